"""Write settings into ``Pulumi.<stack>.yaml`` keeping everything else as written: comments, order, quoting, layout.

The file is never re-serialised. Each change is a targeted edit of the text, located through PyYAML's composed nodes
(their start and end marks): a scalar that exists has its characters replaced (a comment after it on the line stays);
a key that does not exist gets a line after the last line of its mapping, at the mapping's indentation; a block value
(``schedules``, ``imageCache``) that changes is replaced as a whole, and a key that goes is removed with its block.
The result is read back and must equal the intended config, or nothing is written.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from copy import deepcopy
from typing import Any

import yaml

from stackconfig import PROJECT
from tools.tune import TuneError

PathKey = str | int


class _Dumper(yaml.SafeDumper):
    """Block style with sequences indented under their key, as the repository's stack files write them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _scalar(value: Any) -> str:
    text = yaml.dump(value, Dumper=_Dumper, default_flow_style=True, width=10_000)
    return text.removesuffix("\n...\n").strip()


def _block(key: str, value: Any, column: int) -> list[str]:
    text = yaml.dump({key: value}, Dumper=_Dumper, default_flow_style=False, sort_keys=False, width=10_000)
    return [" " * column + line for line in text.splitlines()]


def _node(root: yaml.Node, path: Sequence[PathKey]) -> yaml.Node:
    node = root
    for step in path:
        if isinstance(step, int):
            assert isinstance(node, yaml.SequenceNode)
            node = node.value[step]
        else:
            assert isinstance(node, yaml.MappingNode)
            node = next(v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == step)
    return node


def _entry(mapping: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    for k, v in mapping.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None


def _last_line(node: yaml.Node) -> int:
    """The last line (0-based) holding part of ``node``'s content."""
    if isinstance(node, yaml.ScalarNode):
        return int(node.end_mark.line)
    children: list[yaml.Node] = []
    if isinstance(node, yaml.MappingNode):
        children = [n for pair in node.value for n in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    if not children:
        return int(node.end_mark.line)
    if getattr(node, "flow_style", False):
        return int(node.end_mark.line)
    return max(_last_line(c) for c in children)


class _Text:
    def __init__(self, text: str) -> None:
        self.text = text

    def root(self) -> yaml.Node:
        node = yaml.compose(self.text, Loader=yaml.SafeLoader)
        assert node is not None
        return node

    def mapping(self, path: Sequence[PathKey]) -> yaml.MappingNode:
        node = _node(self.root(), path)
        if not isinstance(node, yaml.MappingNode):
            raise TuneError(f"cannot edit {'.'.join(map(str, path))}: not a mapping in the stack file")
        return node

    def set(self, path: Sequence[PathKey], key: str, value: Any) -> None:
        mapping = self.mapping(path)
        found = _entry(mapping, key)
        lines = self.text.split("\n")
        if found is None:
            column = int(mapping.value[0][0].start_mark.column)
            at = _last_line(mapping) + 1
            lines[at:at] = _block(key, value, column)
            self.text = "\n".join(lines)
            return
        key_node, value_node = found
        simple = not isinstance(value, Mapping | list)
        if simple and isinstance(value_node, yaml.ScalarNode) and value_node.start_mark.line == value_node.end_mark.line:
            start, end = value_node.start_mark.index, value_node.end_mark.index
            self.text = self.text[:start] + _scalar(value) + self.text[end:]
            return
        first, last = int(key_node.start_mark.line), _last_line(value_node)
        column = int(key_node.start_mark.column)
        if lines[first][:column].strip():
            raise TuneError(f"cannot rewrite {key} in place: it shares its line with another token")
        lines[first : last + 1] = _block(key, value, column)
        self.text = "\n".join(lines)

    def delete(self, path: Sequence[PathKey], key: str) -> None:
        found = _entry(self.mapping(path), key)
        if found is None:
            return
        key_node, value_node = found
        lines = self.text.split("\n")
        first, last = int(key_node.start_mark.line), _last_line(value_node)
        if lines[first][: int(key_node.start_mark.column)].strip():
            raise TuneError(f"cannot remove {key} in place: it shares its line with another token")
        del lines[first : last + 1]
        self.text = "\n".join(lines)


def _edit(doc: _Text, path: list[PathKey], old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    for key in old:
        if key not in new:
            doc.delete(path, key)
    for key, value in new.items():
        before = old.get(key, _MISSING)
        if before == value:
            continue
        if isinstance(before, Mapping) and isinstance(value, Mapping) and key not in _WHOLE:
            _edit(doc, [*path, key], before, value)
        elif (
            isinstance(before, list)
            and isinstance(value, list)
            and len(before) == len(value)
            and all(isinstance(a, Mapping) and isinstance(b, Mapping) for a, b in zip(before, value, strict=True))
            and key not in _WHOLE
        ):
            for i, (a, b) in enumerate(zip(before, value, strict=True)):
                if a != b:
                    _edit(doc, [*path, key, i], a, b)
        else:
            doc.set(path, key, value)


_MISSING = object()
_WHOLE = frozenset({"schedules", "imageCache", "specs"})
"""Keys whose value is replaced as a whole block when it changes."""


def expected_config(config: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The stack file's config with the overrides applied (keys with or without ``eci-inference:``)."""
    out = deepcopy(dict(config))
    for key, value in overrides.items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        out[full] = deepcopy(value)
    return out


def rewrite(text: str, overrides: Mapping[str, Any]) -> str:
    """``text`` (a stack file) with ``overrides`` applied, comments and layout kept; checked by reading it back."""
    data = yaml.safe_load(text)
    if not isinstance(data, Mapping) or not isinstance(data.get("config"), Mapping):
        raise TuneError("the stack file has no 'config:' mapping to edit")
    old = dict(data["config"])
    new = expected_config(old, overrides)
    doc = _Text(text)
    _edit(doc, ["config"], old, new)
    reread = yaml.safe_load(doc.text)
    if not isinstance(reread, Mapping) or reread.get("config") != new:
        raise TuneError("could not edit the stack file in place without changing other values; nothing written")
    return doc.text


def unified_diff(before: str, after: str, name: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), fromfile=f"a/{name}", tofile=f"b/{name}"
        )
    )
