"""Reading ``Pulumi.<stack>.yaml`` as the Pulumi CLI does, so the offline render sees what ``pulumi up`` would.

What the CLI does (pulumi v3.259.0, the newest tag of github.com/pulumi/pulumi the team could read; the files below
are the same at its newest commit, and the stack-file path has used ``gopkg.in/yaml.v3`` since v3.50.0):

- ``sdk/go/common/workspace/loaders.go`` ``LoadProjectStackBytes`` decodes the file into a generic value with
  ``encoding.YAML`` (``sdk/go/common/encoding/marshal.go``: ``gopkg.in/yaml.v3``), namespaces every ``config:`` key
  that has no ``:`` with the project name (``stackConfigNamespacedWithProject``), re-encodes it and decodes it into
  ``config.Map``; each value through ``config.Value.UnmarshalYAML`` (``sdk/go/common/resource/config/value.go``),
  which decodes into a generic value (``object.go`` ``UnmarshalYAML`` -> ``unmarshalObject``) and keeps
  ``object.MarshalString``: a string as itself, a bool or number as its JSON text, an object or list as JSON text.
  A key with no value is ``""`` (v3 sets a null node to the zero ``Value``; ``checkForEmptyConfig`` warns).
- So a top-level ``namespace: no`` is the string ``"no"`` and ``createBucket: yes`` the string ``"yes"``: yaml.v3
  resolves plain scalars by its own table (``resolve.go`` of gopkg.in/yaml.v3 v3.0.1, the version pulumi's go.mod
  pins), where only ``true/True/TRUE/false/False/FALSE`` are booleans; ``yes/no/on/off/y/n`` are strings at every
  depth. Inside objects and lists the same table decides, and the value reaches the program as JSON: ``1e3`` is the
  number 1000, ``0x1F`` 31, ``017`` 15 (octal), ``1_000`` 1000, ``.inf`` is refused (JSON has no infinity).

This reader composes the YAML with PyYAML (no construction), then resolves every plain scalar by yaml.v3's table
(:func:`resolve`) and writes values as ``object.MarshalString`` would. It refuses, with the file and line, what the CLI
refuses (duplicate keys, infinities, a map or list as a key) and what it would read silently wrong or that cannot be a
config value: an explicit tag other than the core ones (``!!binary``, ``!!set``, ``!custom``), an unquoted
timestamp (yaml.v3 turns it into Go's ``time.String()`` text), more than :data:`MAX_NODES` nodes after expanding
aliases (an alias bomb, refused before anything is built), an alias that refers to itself, or nesting too deep.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

SECURE = "secure"
"""A value Pulumi encrypted: ``{secure: <ciphertext>}``."""
MAX_NODES = 100_000
"""The most YAML nodes a stack file may hold once its aliases are expanded (a real one holds a few hundred)."""
MAX_DEPTH = 100
"""The deepest nesting of objects and lists accepted."""

_PLAIN = "!plain"
"""The tag this reader gives a plain scalar that carries no tag, so it is resolved by yaml.v3's rules."""
_CORE = "tag:yaml.org,2002:"
_STR, _SEQ, _MAP = f"{_CORE}str", f"{_CORE}seq", f"{_CORE}map"
_TYPED = {f"{_CORE}{name}": name for name in ("int", "float", "bool", "null")}


class StackFileError(ValueError):
    """A stack file that cannot be read, with where and why."""


class Timestamp(str):
    """A plain scalar yaml.v3 resolves to a timestamp (kept as its text here; the reader refuses it)."""


class _Resolver(BaseResolver):
    """Leaves every untagged plain scalar for :func:`resolve`; quoted scalars and ``!`` are strings."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]


class _Composer(Reader, Scanner, Parser, Composer, _Resolver):
    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _Resolver.__init__(self)
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        """PyYAML's composer, refusing nesting deeper than :data:`MAX_DEPTH` before Python's recursion limit does."""
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH + 2:  # the document and the config mapping hold the values
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"nested deeper than {MAX_DEPTH} objects and lists",
                    self.peek_event().start_mark,  # type: ignore[no-untyped-call]
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


# ----------------------------------------------------------------------------------- yaml.v3 scalar resolution

_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
"""``yamlStyleFloat`` of yaml.v3 resolve.go."""
_DOT_FLOAT = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?")
"""What Go's ``strconv.ParseFloat`` accepts of a scalar starting with '.'."""
_RESOLVE_MAP: dict[str, Any] = {
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}
"""``resolveMap`` of yaml.v3 resolve.go (the merge key ``<<`` is handled as a key)."""
_IN_MAP = set("yYnNtTfFoO~")
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]*)?(Z|[-+][0-9]{2}:[0-9]{2})?)?"
)
"""The forms of yaml.v3's ``allowedTimestampFormats`` (date only; date and time with ``T``, ``t`` or a space)."""
_GO_DIGITS = {2: "01", 8: "01234567", 10: "0123456789", 16: "0123456789abcdefABCDEF"}
INT64 = (-(2**63), 2**63 - 1)
UINT64_MAX = 2**64 - 1


def _go_parse_int(text: str, unsigned: bool) -> int | None:
    """Go's ``strconv.ParseInt(text, 0, 64)`` (or ``ParseUint``): prefixes 0x, 0o, 0b and a leading 0 for octal."""
    sign = 1
    body = text
    if body[:1] in ("+", "-"):
        if unsigned:
            return None
        sign, body = (-1 if body[0] == "-" else 1), body[1:]
    base = 10
    if body[:2].lower() in ("0x", "0o", "0b"):
        base, body = {"x": 16, "o": 8, "b": 2}[body[1].lower()], body[2:]
    elif body.startswith("0") and len(body) > 1:
        base, body = 8, body[1:]
    if not body or any(c not in _GO_DIGITS[base] for c in body):
        return None
    value = sign * int(body, base)
    low, high = (0, UINT64_MAX) if unsigned else INT64
    return value if low <= value <= high else None


def resolve(text: str) -> Any:
    """What yaml.v3 (v3.0.1 ``resolve``) makes of an untagged plain scalar: bool, int, float, None, str or
    :class:`Timestamp`."""
    if text in _RESOLVE_MAP:
        return _RESOLVE_MAP[text]
    hint = text[:1]
    if hint == ".":
        return float(text) if _DOT_FLOAT.fullmatch(text) else text
    if (hint.isdigit() and hint.isascii()) or hint in ("+", "-"):
        if _TIMESTAMP.fullmatch(text):
            return Timestamp(text)
        plain = text.replace("_", "")
        for unsigned in (False, True):
            number = _go_parse_int(plain, unsigned) if plain else None
            if number is not None:
                return number
        if _YAML_STYLE_FLOAT.fullmatch(plain):
            value = float(plain)
            if not math.isinf(value):  # Go's ParseFloat reports a range error; the scalar stays a string
                return value
    return text


def _go_float(value: float) -> str:
    """Go's ``encoding/json`` text of a finite float64 (``'f'`` form in [1e-6, 1e21), else ``'e'``; shortest digits)."""
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    digits = Decimal(repr(value))
    if 1e-6 <= abs(value) < 1e21:
        text = format(digits, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    sign, numerals, exponent = digits.normalize().as_tuple()
    assert isinstance(exponent, int)
    mantissa = "".join(map(str, numerals))
    power = exponent + len(mantissa) - 1
    body = mantissa[0] + ("." + mantissa[1:] if len(mantissa) > 1 else "")
    return f"{'-' if sign else ''}{body}e{'-' if power < 0 else '+'}{abs(power):02d}".replace("e-0", "e-").replace("e+0", "e+")


def _go_key(value: Any) -> str:
    """Go's ``fmt.Sprintf("%v", key)`` of a decoded map key (``object.go`` ``unmarshalObject``, ``map[any]any``)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ----------------------------------------------------------------------------------------------- the reader


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def error(self, node: yaml.Node | None, message: str) -> StackFileError:
        line = f":{node.start_mark.line + 1}" if node is not None else ""
        return StackFileError(f"{self.path}{line}: {message}")

    def count(self, root: yaml.Node) -> None:
        """Refuse an expansion of more than :data:`MAX_NODES` nodes, a self-referring alias or deep nesting."""
        sizes: dict[int, int] = {}
        active: set[int] = set()

        def size(node: yaml.Node, depth: int) -> int:
            key = id(node)
            if key in sizes:
                return sizes[key]
            if key in active:
                raise self.error(node, "an alias refers to the object that holds it (a cycle has no end)")
            if depth > MAX_DEPTH:
                raise self.error(node, f"nested deeper than {MAX_DEPTH} objects and lists")
            active.add(key)
            total = 1
            children: list[yaml.Node] = []
            if isinstance(node, yaml.SequenceNode):
                children = list(node.value)
            elif isinstance(node, yaml.MappingNode):
                children = [part for pair in node.value for part in pair]
            for child in children:
                total += size(child, depth + 1)
                if total > MAX_NODES:
                    raise self.error(
                        node,
                        f"more than {MAX_NODES} values once its aliases (*name) are expanded; a stack file this "
                        "large is an alias bomb or a mistake",
                    )
            active.discard(key)
            sizes[key] = total
            return total

        size(root, 0)

    def scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag == _STR:
            return node.value
        if node.tag == _PLAIN:
            value = resolve(node.value)
        elif node.tag in _TYPED:
            value = resolve(node.value)
            kind = _TYPED[node.tag]
            fits = {
                "int": isinstance(value, int) and not isinstance(value, bool),
                "float": isinstance(value, (int, float)) and not isinstance(value, bool),
                "bool": isinstance(value, bool),
                "null": value is None,
            }[kind]
            if not fits:
                raise self.error(node, f"cannot read {node.value!r} as a !!{kind}")
            value = float(value) if kind == "float" else value
        else:
            raise self.error(node, _tag_problem(node.tag))
        if isinstance(value, Timestamp):
            raise self.error(
                node,
                f"{node.value!r} is read as a timestamp by Pulumi's YAML reader (yaml.v3), which passes Go's time "
                "text instead; quote it",
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise self.error(node, f"{node.value!r} is not a finite number; Pulumi cannot pass it (JSON has none)")
        return value

    def value(self, node: yaml.Node) -> Any:
        """A node as the generic Go value yaml.v3 decodes (maps keyed by strings, as ``unmarshalObject`` keys them)."""
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise self.error(node, _tag_problem(node.tag))
            return [self.value(item) for item in node.value]
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, top=False)
        raise self.error(node, f"cannot read a {type(node).__name__}")

    def mapping(self, node: yaml.Node, *, top: bool) -> dict[str, Any]:
        if not isinstance(node, yaml.MappingNode) or node.tag != _MAP:
            raise self.error(node, _tag_problem(node.tag))
        own: dict[str, Any] = {}
        lines: dict[str, int] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == "<<" and key_node.tag in (_PLAIN, f"{_CORE}merge"):
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for source in reversed(sources):  # the first of several merged maps wins
                    merged.update(self.mapping(source, top=top))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                kind = "list" if isinstance(key_node, yaml.SequenceNode) else "dict"
                raise self.error(key_node, f"a key must be a string such as eci-inference:region, not a {kind}")
            raw = self.scalar(key_node)
            if (top and not isinstance(raw, str)) or isinstance(raw, float):
                raise self.error(key_node, f"config key {key_node.value} must be a string such as eci-inference:region")
            key = raw if isinstance(raw, str) else _go_key(raw)
            if key in own:
                raise self.error(
                    key_node,
                    f"duplicate key {key!r} (first at line {lines[key] + 1}); Pulumi refuses a stack file with a key given twice",
                )
            own[key] = self.value(value_node)
            lines[key] = key_node.start_mark.line
        return {**merged, **own}


def _tag_problem(tag: str) -> str:
    shown = f"!!{tag.removeprefix(_CORE)}" if tag.startswith(_CORE) else tag
    return (
        f"the YAML tag {shown} is not allowed in a stack file (a config value is a string, number, true/false, "
        "list or object); remove the tag"
    )


def _where(error: yaml.YAMLError, path: Path) -> str:
    mark = getattr(error, "problem_mark", None)
    line = f":{mark.line + 1}" if mark is not None else ""
    problem = getattr(error, "problem", None) or str(error)
    if "\\t" in str(problem) or "tab" in str(problem):
        problem = f"{problem} (YAML does not allow tabs for indentation; use spaces)"
    return f"{path}{line}: {problem}"


def _compose(text: str, path: Path) -> yaml.Node | None:
    try:
        loader = _Composer(text)  # the reader checks the characters already here
        try:
            return loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        raise StackFileError(_where(error, path)) from None
    except RecursionError:
        raise StackFileError(f"{path}: nested too deeply to read") from None


def _project_name(path: Path) -> str | None:
    """``name:`` of the ``Pulumi.yaml`` beside the stack file (what the CLI prefixes a key without a namespace with)."""
    project = path.parent / "Pulumi.yaml"
    try:
        data = yaml.safe_load(project.read_text(encoding="utf-8")) if project.is_file() else None
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    name = data.get("name") if isinstance(data, Mapping) else None
    return name if isinstance(name, str) else None


def marshal_string(value: Any) -> Any:
    """What a top-level config value reaches the program as (``object.MarshalString``): a string, or for an object or
    list its JSON decoded again (the program decodes the JSON text of ``models`` and ``addons`` itself)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, str):
        return value
    return json.loads(go_json(value))


def go_json(value: Any) -> str:
    """Go's ``json.Marshal`` text of a decoded value (keys sorted, floats as Go writes them)."""
    if isinstance(value, Mapping):
        items = ",".join(f"{json.dumps(k)}:{go_json(v)}" for k, v in sorted(value.items()))
        return "{" + items + "}"
    if isinstance(value, list):
        return "[" + ",".join(go_json(v) for v in value) + "]"
    if isinstance(value, float):
        return _go_float(value)
    return json.dumps(value, ensure_ascii=False)


def read_stack_file(path: Path) -> dict[str, Any]:
    """The ``config:`` of a stack file as the program receives it from the CLI: every key namespaced, a scalar as
    the string Pulumi passes, an object or list as its JSON value, ``{secure: ...}`` kept (empty when none)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise StackFileError(f"{path}: cannot be read ({error})") from None
    root = _compose(text, path)
    if root is None:
        return {}
    reader = _Reader(path)
    reader.count(root)
    if not isinstance(root, yaml.MappingNode):
        kind = "list" if isinstance(root, yaml.SequenceNode) else "str"
        raise reader.error(root, f"must be a mapping with a 'config:' key, not a {kind}")
    config_node = next(
        (v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "config" and k.tag in (_PLAIN, _STR)),
        None,
    )
    reader.mapping(root, top=False)  # the whole file is read, so that its mistakes (a key given twice) are the CLI's
    if config_node is None or (isinstance(config_node, yaml.ScalarNode) and reader.scalar(config_node) is None):
        return {}
    if not isinstance(config_node, yaml.MappingNode):
        kind = "list" if isinstance(config_node, yaml.SequenceNode) else type(reader.value(config_node)).__name__
        raise reader.error(config_node, f"'config:' must be a mapping of keys to values, not a {kind}")
    config = reader.mapping(config_node, top=True)
    project = _project_name(path)
    result: dict[str, Any] = {}
    for key, value in config.items():
        full = key if ":" in key or project is None else f"{project}:{key}"
        if full in result:
            raise StackFileError(f"{path}: {key!r} and {full!r} are the same key (Pulumi prefixes the project name)")
        secure = isinstance(value, Mapping) and set(value) == {SECURE} and isinstance(value[SECURE], str)
        result[full] = value if secure else marshal_string(value)
    return result


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
