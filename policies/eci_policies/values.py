"""Plain values from what pulumi-policy hands a policy, with unknown values kept visible.

pulumi-policy 1.21 wraps resource properties in an "unknown checking proxy": a dict becomes a read-only
``Mapping`` and a list a ``Sequence`` whose item access raises ``UnknownValueError`` when the value is one of
Pulumi's unknown sentinels (a value that depends on another resource's output during ``pulumi preview``).
Left alone, that exception makes the SDK skip the whole policy with an advisory note. Here every property is
copied into plain dicts and lists first, and each unknown value becomes an :class:`Unknown` marker, so a
policy checks everything it can and reports precisely what it could not check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)
from pulumi_policy.secret import Secret

UNKNOWN_KINDS = {
    UNKNOWN_STRING_VALUE: "string",
    UNKNOWN_NUMBER_VALUE: "number",
    UNKNOWN_BOOLEAN_VALUE: "boolean",
    UNKNOWN_ARRAY_VALUE: "list",
    UNKNOWN_OBJECT_VALUE: "object",
    UNKNOWN_ASSET_VALUE: "asset",
    UNKNOWN_ARCHIVE_VALUE: "archive",
}
"""pulumi-policy's unknown sentinels and what kind of value each stands for."""


@dataclass(frozen=True)
class Unknown:
    """A value not known yet (during preview it comes from another resource's output)."""

    path: str
    kind: str


class NotKnown(Exception):
    """Raised by the accessors below when a value a check needs is :class:`Unknown`."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def join(path: str, key: str | int) -> str:
    """``spec`` + ``containers`` -> ``spec.containers``; indexes as ``[0]``; keys with dots or slashes quoted."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if "." in key or "/" in key:
        return f'{path}["{key}"]'
    return f"{path}.{key}" if path else key


def _kind_of(error: UnknownValueError) -> str:
    return UNKNOWN_KINDS.get(str(error.unknown_type_sentinel), "value")


def plain(value: Any, path: str = "") -> Any:
    """A plain copy: dicts, lists, scalars (whole floats as ints) and :class:`Unknown` markers."""
    if isinstance(value, Secret):
        value = value.value
    if isinstance(value, str):
        return Unknown(path, UNKNOWN_KINDS[value]) if value in UNKNOWN_KINDS else value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in value:
            where = join(path, str(key))
            try:
                item = value[key]
            except UnknownValueError as error:
                out[str(key)] = Unknown(where, _kind_of(error))
                continue
            out[str(key)] = plain(item, where)
        return out
    if isinstance(value, Sequence) and not isinstance(value, bytes):
        items: list[Any] = []
        for index in range(len(value)):
            where = join(path, index)
            try:
                item = value[index]
            except UnknownValueError as error:
                items.append(Unknown(where, _kind_of(error)))
                continue
            items.append(plain(item, where))
        return items
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def unknowns(value: Any) -> list[Unknown]:
    """Every :class:`Unknown` inside a plain value."""
    if isinstance(value, Unknown):
        return [value]
    if isinstance(value, dict):
        return [u for item in value.values() for u in unknowns(item)]
    if isinstance(value, list):
        return [u for item in value for u in unknowns(item)]
    return []


def known(value: Any) -> Any:
    """The value itself; :class:`NotKnown` if it is unknown."""
    if isinstance(value, Unknown):
        raise NotKnown(value.path)
    return value


def dig(value: Any, *keys: str | int) -> Any:
    """``value[k1][k2]...``: ``None`` where a key is missing or the shape differs; :class:`NotKnown` where unknown."""
    current = known(value)
    for key in keys:
        if isinstance(key, int):
            if not isinstance(current, list) or not -len(current) <= key < len(current):
                return None
            current = current[key]
        else:
            if not isinstance(current, dict):
                return None
            current = current.get(key)
        current = known(current)
        if current is None:
            return None
    return current


def mapping(value: Any) -> dict[str, Any]:
    """A dict (empty when missing or not a dict); :class:`NotKnown` when unknown."""
    value = known(value)
    return value if isinstance(value, dict) else {}


def entries(value: Any) -> list[Any]:
    """A list (empty when missing or not a list); :class:`NotKnown` when unknown."""
    value = known(value)
    return value if isinstance(value, list) else []


def text(value: Any) -> str | None:
    """A string, ``None`` when missing or not a string; :class:`NotKnown` when unknown."""
    value = known(value)
    return value if isinstance(value, str) else None


def whole(value: Any) -> int | None:
    """A whole number (``3``, ``3.0``, ``"3"``), ``None`` otherwise; :class:`NotKnown` when unknown."""
    value = known(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def could_not_check(subject: str, path: str) -> str:
    """The report for a value a policy needs that is unknown: not a pass, not a confirmed violation."""
    return (
        f"could not check {subject}: `{path}` is unknown during preview (it comes from another resource's output), "
        "so this policy cannot confirm it complies. This is not a confirmed violation: the check runs again when the "
        "value is known; to let a preview through meanwhile, set this policy to advisory with --policy-pack-config."
    )


def guarded(subject: str, check: Callable[[], Iterable[str]]) -> list[str]:
    """Run one check; if it meets an unknown value, its result is a single "could not check" report."""
    found: list[str] = []
    try:
        found.extend(check())
    except NotKnown as unknown:
        found.append(could_not_check(subject, unknown.path))
    return found


def quantity_key(value: Any) -> str:
    """A quantity in a comparable form: ``1``, ``1.0`` and ``"1"`` agree; other strings compare as written."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return f"{value:g}"
    text_value = str(value).strip()
    try:
        return f"{float(text_value):g}"
    except ValueError:
        return text_value
