"""Reading ``Pulumi.<stack>.yaml`` as Pulumi does: a mapping whose ``config:`` is a mapping, duplicate keys refused.

PyYAML keeps the last of two equal keys without a word; Pulumi's YAML reader refuses the file. So does this one:
every problem is a :class:`StackFileError` naming the file and the line, never a traceback.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import yaml

SECURE = "secure"
"""A value Pulumi encrypted: ``{secure: <ciphertext>}``."""


class StackFileError(ValueError):
    """A stack file that cannot be read, with where and why."""


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
    loader.flatten_mapping(node)  # YAML merge keys (<<:), as the safe loader reads them
    seen: dict[Hashable, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, Hashable) or isinstance(key, (list, dict)):
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"a key must be a string such as eci-inference:region, not a {type(key).__name__}",
                key_node.start_mark,
            )
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first at line {seen[key] + 1}); Pulumi refuses a stack file with a key given twice",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _where(error: yaml.YAMLError, path: Path) -> str:
    mark = getattr(error, "problem_mark", None)
    line = f":{mark.line + 1}" if mark is not None else ""
    problem = getattr(error, "problem", None) or str(error)
    if "\\t" in str(problem) or "tab" in str(problem):
        problem = f"{problem} (YAML does not allow tabs for indentation; use spaces)"
    return f"{path}{line}: {problem}"


def read_stack_file(path: Path) -> dict[str, Any]:
    """The ``config:`` mapping of a stack file (empty when the file has none)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise StackFileError(f"{path}: cannot be read ({error})") from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as error:
        raise StackFileError(_where(error, path)) from None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise StackFileError(f"{path}:1: must be a mapping with a 'config:' key, not a {type(data).__name__}")
    config = data.get("config")
    if config is None:
        return {}
    if not isinstance(config, Mapping) or not all(isinstance(key, str) for key in config):
        raise StackFileError(_config_problem(path, text, config))
    return dict(config)


def _config_problem(path: Path, text: str, config: Any) -> str:
    """What is wrong with a ``config:`` that is not a mapping with string keys, and on which line.

    The line comes from a second pass of the same parser, made only when there is an error to report.
    """
    config_node = _value_node(yaml.compose(text, Loader=yaml.SafeLoader), "config")
    if not isinstance(config, Mapping):
        line = f":{config_node.start_mark.line + 1}" if config_node is not None else ""
        return f"{path}{line}: 'config:' must be a mapping of keys to values, not a {type(config).__name__}"
    key = next(k for k in config if not isinstance(k, str))
    return f"{path}{_key_line(config_node, key)}: config key {key!r} must be a string such as eci-inference:region"


def _value_node(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The node of ``key``'s value in a mapping node."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key and isinstance(value_node, yaml.Node):
                return value_node
    return None


def _key_line(node: yaml.Node | None, key: Any) -> str:
    """``:<line>`` of a non-string key in a mapping node (its text is compared), or nothing."""
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value.lower() == str(key).lower():
                return f":{key_node.start_mark.line + 1}"
    return ""


def stack_file_config(path: Path) -> tuple[dict[str, Any], list[str]]:
    """The config of a stack file, and its secret keys; a ``secure:`` value becomes a placeholder marked secret."""
    config: dict[str, Any] = {}
    secret_keys: list[str] = []
    for key, value in read_stack_file(path).items():
        if isinstance(value, Mapping) and set(value) == {SECURE}:
            config[key] = f"placeholder-for-{key}"
            secret_keys.append(key)
        else:
            config[key] = value
    return config, secret_keys
