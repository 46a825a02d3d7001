"""Policy configuration: one JSON schema per policy, checked by the CLI and again inside the policy.

The Pulumi CLI validates ``--policy-pack-config`` against ``{"type": "object", "properties": ..., "required":
...}`` built from each policy's :class:`~pulumi_policy.PolicyConfigSchema`. pulumi-policy 1.21's
``PolicyConfigSchema`` carries only ``properties`` and ``required`` (no ``additionalProperties``), so a misspelt
key passes the CLI unnoticed; :func:`read_config` therefore re-checks the same schema inside the policy and
rejects unknown keys, raising :class:`PolicyConfigError` (the preview fails with its message).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyConfigSchema

ENFORCEMENT_LEVEL = "enforcementLevel"
"""Set per policy in ``--policy-pack-config``; the engine takes it, never the policy."""


class PolicyConfigError(ValueError):
    """A policy's configuration does not match its schema."""


def schema(properties: Mapping[str, Mapping[str, Any]]) -> PolicyConfigSchema:
    """The schema object pulumi-policy sends to the CLI."""
    return PolicyConfigSchema(properties={k: dict(v) for k, v in properties.items()})


def _shown(value: Any) -> str:
    """A value as the user wrote it in JSON: the engine hands every number over as a float (20 arrives as 20.0)."""
    if isinstance(value, float) and value.is_integer():
        return repr(int(value))
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    return repr(value)


def _problem(key: str, value: Any, rule: Mapping[str, Any]) -> str | None:
    kind = rule.get("type")
    if kind == "boolean":
        return None if isinstance(value, bool) else "must be true or false"
    if kind in ("integer", "number"):
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not is_number or (kind == "integer" and not float(value).is_integer()):
            return "must be a whole number" if kind == "integer" else "must be a number"
        if "minimum" in rule and value < rule["minimum"]:
            return f"must be >= {_shown(rule['minimum'])}"
        if "exclusiveMinimum" in rule and value <= rule["exclusiveMinimum"]:
            return f"must be > {_shown(rule['exclusiveMinimum'])}"
        return None
    if kind == "array":
        if not isinstance(value, list):
            return "must be a list"
        if len(value) < int(rule.get("minItems", 0)):
            return f"must hold at least {rule['minItems']} item(s)"
        item_rule = rule.get("items", {})
        for i, item in enumerate(value):
            inner = _problem(f"{key}[{i}]", item, item_rule)
            if inner is not None:
                return f"item {i} ({_shown(item)}) {inner}"
        return None
    if kind == "string":
        if not isinstance(value, str):
            return "must be a string"
        if len(value) < int(rule.get("minLength", 0)):
            return "must not be empty"
        return None
    raise AssertionError(f"schema type {kind!r} of {key} is not supported by read_config")


def read_config(policy: str, properties: Mapping[str, Mapping[str, Any]], raw: Mapping[str, Any]) -> dict[str, Any]:
    """The policy's config with defaults filled in; :class:`PolicyConfigError` listing every problem otherwise."""
    problems: list[str] = []
    allowed = list(properties)
    for key in sorted(raw):
        if key == ENFORCEMENT_LEVEL:
            continue
        if key not in properties:
            match = difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)
            hint = f" (did you mean {match[0]!r}?)" if match else ""
            known = f"allowed keys: {', '.join(allowed)}" if allowed else "this policy takes no configuration"
            problems.append(f"unknown key {key!r}{hint}; {known}")
            continue
        problem = _problem(key, raw[key], properties[key])
        if problem is not None:
            problems.append(f"{key} = {_shown(raw[key])}: {problem}")
    if problems:
        lines = "; ".join(problems)
        raise PolicyConfigError(f"policy {policy!r}: invalid configuration in --policy-pack-config: {lines}")
    values: dict[str, Any] = {key: rule.get("default") for key, rule in properties.items()}
    for key, value in raw.items():
        if key in properties:
            values[key] = int(value) if properties[key].get("type") == "integer" else value
    return values
