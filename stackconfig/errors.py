"""One error for every problem in a stack's configuration, each line naming the key, the value and what is allowed.

Pydantic reports where and why a value failed (``loc``, ``type``, ``ctx``); :func:`problems_from` turns that into the
lines users read: ``eci-inference:models[0].units[1].spotStrategy = 'Cheap': must be one of SpotAsPriceGo,
SpotWithPriceLimit (did you mean ...?)``. Rules that relate several keys raise :func:`rule_error` with their own
key paths, so one validator can report several problems at once. A value is never printed when its key is a secret.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import annotated_types
from pydantic import BaseModel, SecretStr, ValidationError
from pydantic_core import PydanticCustomError

PROJECT = "eci-inference"
"""The Pulumi project name; config keys are namespaced by it (``eci-inference:clusterId``)."""

SECRET_SHOWN = "[secret]"
RULES = "rules"
"""Error type of a rule that relates several keys; its ``ctx["problems"]`` holds ``(path, value, message)`` triples."""
ALLOWED = "allowed"
"""Error type of a value a validator refused; the message says what is allowed."""


class ConfigError(Exception):
    """Raised with every configuration problem at once; the message lists one problem per line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid stack configuration ({len(self.problems)} problem(s)):\n{lines}")


def nearest(key: str, allowed: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest allowed word, or nothing."""
    match = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.5)
    return f" (did you mean {match[0]!r}?)" if match else ""


def rule_error(problems: Sequence[tuple[str, Any, str]]) -> PydanticCustomError:
    """An error for several problems found by one rule; each is ``(path below the model, value, message)``.

    A path starts with the key it is about (``units[2].min``); ``value`` is shown as ``= <repr>`` unless it is
    :data:`NO_VALUE`.
    """
    return PydanticCustomError(RULES, "{count} problem(s)", {"count": len(problems), "problems": list(problems)})


NO_VALUE = object()
"""Value of a rule problem that names a key but no value (``... is required: ...``)."""


def allowed(message: str) -> PydanticCustomError:
    """A refused value: ``message`` says what is allowed."""
    return PydanticCustomError(ALLOWED, message)


def _path(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif text:
            text += f".{part}"
        else:
            text = str(part)
    return text


def _full(path: str) -> str:
    return f"{PROJECT}:{path}" if path else PROJECT


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside ``X | None``, ``list[X]`` or ``dict[str, X]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, dict, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _model_of(arg)
            if found is not None:
                return found
    return None


def _dict_of_models(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is dict:
        return True
    return origin in (typing.Union, types.UnionType) and any(_dict_of_models(a) for a in typing.get_args(annotation))


def _field(root: type[BaseModel], loc: Sequence[int | str]) -> tuple[type[BaseModel] | None, Any]:
    """The model that holds the last key of ``loc`` and that key's field info (a dict's keys are stepped over)."""
    model: type[BaseModel] | None = root
    info: Any = None
    skip_key = False
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        if skip_key:
            skip_key = False
            continue
        by_alias = {f.alias or n: f for n, f in model.model_fields.items()}
        info = by_alias.get(str(part))
        if info is None:
            return model, None
        skip_key = _dict_of_models(info.annotation)
        inner = _model_of(info.annotation)
        if inner is None:
            return model, info
        model = inner
    return model, info


def _alias_loc(root: type[BaseModel], loc: Sequence[int | str], *, last_is_key: bool = True) -> list[int | str]:
    """``loc`` with field names as their config keys (a default that fails validation is reported by field name).

    With ``last_is_key`` false (an unknown key) the last part is kept as the user wrote it.
    """
    model: type[BaseModel] | None = root
    out: list[int | str] = []
    skip_key = False
    for i, part in enumerate(loc):
        if isinstance(part, int) or model is None or skip_key or (i == len(loc) - 1 and not last_is_key):
            out.append(part)
            skip_key = False
            continue
        info = model.model_fields.get(part)
        if info is None:
            info = {f.alias or n: f for n, f in model.model_fields.items()}.get(part)
            out.append(part)
        else:
            out.append(info.alias or part)
        skip_key = info is not None and _dict_of_models(info.annotation)
        model = _model_of(info.annotation) if info is not None else None
    return out


def aliases(model: type[BaseModel]) -> list[str]:
    """The config keys of a model, in declaration order."""
    return [f.alias or n for n, f in model.model_fields.items()]


def _bounds(info: Any) -> tuple[Any, Any]:
    lo = hi = None
    for meta in getattr(info, "metadata", []):
        if isinstance(meta, annotated_types.Ge):
            lo = meta.ge
        elif isinstance(meta, annotated_types.Le):
            hi = meta.le
    return lo, hi


def _whole(info: Any) -> str:
    lo, hi = _bounds(info)
    text = "must be a whole number"
    if lo is not None:
        text += f" >= {lo}"
    if hi is not None:
        text += f" and <= {hi}" if lo is not None else f" <= {hi}"
    return text


def _number(info: Any) -> str:
    lo, hi = _bounds(info)
    return f"must be a number >= {lo:g} and <= {hi:g}"


def _show(value: Any, secret: bool) -> str:
    if secret or isinstance(value, SecretStr):
        return SECRET_SHOWN
    return repr(value)


_INT_ERRORS = {
    "int_type",
    "int_parsing",
    "int_parsing_size",
    "int_from_float",
    "greater_than_equal",
    "less_than_equal",
    "finite_number",
}
_FLOAT_ERRORS = {"float_type", "float_parsing", "greater_than", "finite_number"}


def _message(error: Mapping[str, Any], info: Any, holder: type[BaseModel] | None) -> str | None:
    """What is allowed, for a refused value; ``None`` when the line is not ``key = value: ...``."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    annotation = str(getattr(info, "annotation", ""))
    if kind in _INT_ERRORS and "int" in annotation:
        return _whole(info)
    if kind in ("greater_than_equal", "less_than_equal") and "float" in annotation:
        return _number(info)
    if kind in _FLOAT_ERRORS:
        return f"must be a number > {ctx.get('gt', 0):g}" if "gt" in ctx or kind != "greater_than" else error["msg"]
    if kind in ("bool_type", "bool_parsing"):
        return "must be true or false"
    if kind in ("string_type", "string_too_short") or (kind == "too_short" and _is_text(info)):
        return "must be a non-empty string"
    if kind == "string_too_long" or (kind == "too_long" and _is_text(info)):
        return f"must be at most {ctx.get('max_length')} characters"
    if kind == "literal_error":
        choices = list(typing.get_args(_literal(info)))
        hint = nearest(str(error.get("input")), [str(c) for c in choices]) if isinstance(error.get("input"), str) else ""
        return f"must be one of {', '.join(str(c) for c in choices)}{hint}"
    if kind == "list_type":
        return "must be a list"
    if kind == "too_short":
        return "must hold at least one entry"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "must be an object"
    if kind == ALLOWED:
        return str(error["msg"])
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    return str(error["msg"])


def _is_text(info: Any) -> bool:
    """Whether a field holds a string (a constrained ``str`` or a ``SecretStr``, optional or not).

    Pydantic checks ``min_length``/``max_length`` of an ``Annotated`` string after its validators as a generic length
    (``too_short``/``too_long``, worded for lists); a string field gets the string wording instead.
    """
    annotation = getattr(info, "annotation", None)
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    for arg in typing.get_args(annotation) if union else (annotation,):
        if typing.get_origin(arg) is typing.Annotated:
            arg = typing.get_args(arg)[0]
        if arg in (str, SecretStr):
            return True
    return False


def _literal(info: Any) -> Any:
    annotation = getattr(info, "annotation", None)
    if typing.get_origin(annotation) is typing.Literal:
        return annotation
    for arg in typing.get_args(annotation):
        if typing.get_origin(arg) is typing.Literal:
            return arg
    return annotation


def problems_from(
    error: ValidationError,
    root: type[BaseModel],
    *,
    secret_keys: frozenset[str] = frozenset(),
    renamed: Mapping[tuple[str, str], str] | None = None,
) -> list[str]:
    """The lines of a :class:`ConfigError` for every error pydantic found.

    ``secret_keys``: top-level keys whose values are secrets (never shown). ``renamed``: keys that were renamed or
    removed, by (model class name, key), with what to do instead (said instead of "not a known key").
    """
    lines: list[str] = []
    for item in error.errors():
        raw_loc = [p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        loc = _alias_loc(root, raw_loc, last_is_key=item["type"] != "extra_forbidden")
        secret = bool(loc) and str(loc[0]) in secret_keys
        kind = item["type"]
        if kind == RULES:
            base = _path(loc)
            for sub, value, message in item["ctx"]["problems"]:
                path = _full(f"{base}.{sub}" if base and sub else base or sub)
                shown = "" if value is NO_VALUE else f" = {_show(value, secret or _is_secret_path(sub, secret_keys))}"
                lines.append(f"{path}{shown}: {message}" if shown else f"{path} {message}")
            continue
        holder, info = _field(root, loc[:-1]) if kind == "extra_forbidden" else _field(root, loc)
        path = _full(_path(loc))
        if kind == "extra_forbidden":
            key = str(loc[-1])
            model = _model_of(info.annotation) if info is not None else holder
            keys = aliases(model) if model is not None else []
            said = (renamed or {}).get((model.__name__ if model is not None else "", key))
            if said is not None:
                lines.append(f"{path} is not a key any more: {said}")
            else:
                lines.append(f"{path} is not a known key{nearest(key, keys)}; allowed: {', '.join(keys)}")
            continue
        if kind == "missing":
            description = getattr(info, "description", None) or "this key has no default"
            lines.append(f"{path} is required: {description}")
            continue
        message = _message(item, info, holder)
        lines.append(f"{path} = {_show(item.get('input'), secret)}: {message}")
    return lines


def _is_secret_path(path: str, secret_keys: frozenset[str]) -> bool:
    return path.split(".")[0].split("[")[0] in secret_keys
