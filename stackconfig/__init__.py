"""The config layer: read the stack's configuration once, validate it, report every problem at once.

:func:`from_pulumi` reads what Pulumi hands the program (public API only); :func:`load` validates it into a
:class:`~stackconfig.models.StackConfig` or raises :class:`~stackconfig.errors.ConfigError` with one line per
problem. Components never import this package: the program maps the validated values onto their arguments.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from stackconfig.errors import PROJECT, SECRET_SHOWN, ConfigError, aliases, nearest, problems_from
from stackconfig.models import PROVIDER_NAMESPACES, RENAMED, SECRET_KEYS, Context, StackConfig
from stackconfig.schedule import ScheduleError, zone

__all__ = ["PROJECT", "ConfigError", "StackConfig", "from_pulumi", "load"]

_STRUCTURED = ("models", "addons")


def from_pulumi() -> tuple[dict[str, Any], frozenset[str]]:
    """Every config value of the stack (``namespace:key`` -> value) and which keys are secret.

    The language host hands a Python program the whole stack config as ``PULUMI_CONFIG`` and the secret keys as
    ``PULUMI_CONFIG_SECRET_KEYS`` (``pulumi.runtime.get_config_env`` / ``get_config_secret_keys_env``); the
    values of this project's keys are read through ``pulumi.Config``.
    """
    import pulumi

    bag = pulumi.runtime.get_config_env()
    secret = frozenset(pulumi.runtime.get_config_secret_keys_env())
    config = pulumi.Config(PROJECT)
    values: dict[str, Any] = {}
    for full in bag:
        namespace, _, key = full.partition(":")
        values[full] = config.get(key) if namespace == PROJECT else bag[full]
    return values, secret


def _field_is_text(key: str) -> bool:
    field = {f.alias or n: f for n, f in StackConfig.model_fields.items()}.get(key)
    return field is not None and "str" in str(field.annotation) and key not in _STRUCTURED


def _decode(key: str, value: Any, problems: list[str], secret: bool) -> Any:
    """Objects arrive as JSON text; optional strings that ``Pulumi.yaml`` declares with default ``""`` mean unset."""
    if isinstance(value, str) and value == "" and _field_is_text(key):
        return None
    if key in _STRUCTURED and isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as error:
            shown = SECRET_SHOWN if secret else repr(value)
            problems.append(f"{PROJECT}:{key} = {shown}: must be a YAML object or list in the stack file ({error.msg})")
            return _UNREADABLE
    return value


_UNREADABLE = object()


def _project_keys(
    raw: Mapping[str, Any], secret_keys: frozenset[str], problems: list[str], unreadable: set[str]
) -> dict[str, Any]:
    keys = aliases(StackConfig)
    data: dict[str, Any] = {}
    for full, value in raw.items():
        namespace, sep, key = full.partition(":")
        if not sep:
            problems.append(f"{full} has no namespace: write {PROJECT}:{full}")
            continue
        if namespace != PROJECT:
            if namespace not in PROVIDER_NAMESPACES and nearest(namespace, [PROJECT]):
                hint = f"{PROJECT}:{key}" if key in keys else f"a key of {PROJECT}"
                problems.append(
                    f"{full} is in namespace {namespace!r}, not this project's {PROJECT!r} (did you mean {hint}?); "
                    "as written the program never reads it"
                )
            continue
        decoded = _decode(key, value, problems, full in secret_keys)
        if decoded is _UNREADABLE:
            unreadable.add(key)
            continue
        if full in secret_keys and key not in SECRET_KEYS and key in keys:
            problems.append(
                f"{full} is set as a secret, but the program passes it into resources in plain text: set it without "
                f"--secret (only {', '.join(SECRET_KEYS)} are secrets)"
            )
        if decoded is not None:
            data[key] = decoded
    return data


def _context(data: Mapping[str, Any], project_dir: Path, secret_keys: frozenset[str]) -> Context:
    def text(key: str) -> str | None:
        value = data.get(key)
        return value if isinstance(value, str) else None

    mode = text("scalingMode") or "elasticWorkload"
    cron_zone = text("cronControllerTimeZone")
    try:
        if cron_zone is not None:
            zone(cron_zone)
    except ScheduleError:
        cron_zone = None  # reported once, on its own key; schedules are then not translated
    return Context(
        project_dir=project_dir,
        namespace=text("namespace") or "default",
        scaling_mode=mode if mode in typing.get_args(StackConfig.model_fields["scaling_mode"].annotation) else None,
        cron_zone=cron_zone,
        secret_keys=frozenset(k.partition(":")[2] for k in secret_keys if k.startswith(f"{PROJECT}:")),
    )


def load(raw: Mapping[str, Any], secret_keys: Iterable[str], project_dir: Path) -> StackConfig:
    """Validate one stack's config (``namespace:key`` -> value); raise :class:`ConfigError` listing every problem."""
    secret = frozenset(secret_keys)
    problems: list[str] = []
    unreadable: set[str] = set()
    data = _project_keys(raw, secret, problems, unreadable)
    context = _context(data, project_dir, secret)
    try:
        config = StackConfig.model_validate(data, context=context)
    except ValidationError as error:
        found = problems_from(error, StackConfig, secret_keys=context.secret_keys, renamed=RENAMED)
        # A key that could not be read was already reported; pydantic only adds that it is missing.
        problems += [p for p in found if not any(p.startswith(f"{PROJECT}:{key} is required") for key in unreadable)]
        raise ConfigError(problems) from None
    if problems:
        raise ConfigError(problems)
    return config


def fields(model: type[BaseModel]) -> dict[str, Any]:
    """The config keys of a model with their pydantic field info (for ``Pulumi.yaml`` and the README)."""
    return {f.alias or n: f for n, f in model.model_fields.items()}
