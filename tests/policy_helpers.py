"""Build pulumi-policy arguments the way the engine does, and run one policy, collecting what it reports.

The engine sends properties as a protobuf ``Struct`` (every number a double), pulumi-policy deserializes them and
wraps them in its unknown-checking proxy; :func:`engine_props` does the same, so the policies meet here what they
meet under ``pulumi preview --policy-pack``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Protocol

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policies.eci_policies import PackResourcePolicy, PackStackPolicy


class Registered(Protocol):
    """What these helpers read of a resource the mocks captured (``tools.mockrun.Registered``). A protocol, not an
    import: the helpers for hand-made resources must work without the program being importable."""

    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def urn(self) -> str: ...
    @property
    def inputs(self) -> dict[str, Any]: ...
    @property
    def protect(self) -> bool: ...
    @property
    def parent(self) -> str: ...


UNKNOWN = UNKNOWN_STRING_VALUE
"""What the engine sends for any value not known during preview."""


def wire(value: Any) -> Any:
    """Numbers as the engine's ``Struct`` carries them: doubles."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [wire(v) for v in value]
    return value


def engine_props(props: Mapping[str, Any]) -> Any:
    return unknown_checking_proxy(wire(copy.deepcopy(dict(props))))


def options(protect: bool = False, parent: str | None = None) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)


def urn_of(resource_type: str, name: str) -> str:
    return f"urn:pulumi:test::eci-inference::{resource_type}::{name}"


def resource_args(
    resource_type: str,
    props: Mapping[str, Any],
    *,
    name: str = "r",
    protect: bool = False,
    config: Mapping[str, Any] | None = None,
) -> ResourceValidationArgs:
    return ResourceValidationArgs(
        resource_type, engine_props(props), urn_of(resource_type, name), name, options(protect), None, config
    )


def policy_resource(resource_type: str, props: Mapping[str, Any], *, name: str = "r", protect: bool = False) -> PolicyResource:
    return PolicyResource(
        resource_type, engine_props(props), urn_of(resource_type, name), name, options(protect), None, None, [], {}
    )


def registered_args(r: Registered, config: Mapping[str, Any] | None = None) -> ResourceValidationArgs:
    """A resource the mocks captured, as the engine hands it to a resource policy (inputs and options)."""
    return ResourceValidationArgs(
        r.type, engine_props(r.inputs), r.urn, r.name, options(r.protect, r.parent or None), None, config
    )


def registered_resource(r: Registered) -> PolicyResource:
    """A resource the mocks captured, as a stack policy sees it (the mocks echo inputs back as outputs)."""
    return PolicyResource(r.type, engine_props(r.inputs), r.urn, r.name, options(r.protect, r.parent or None), None, None, [], {})


def manifest_type(obj: Mapping[str, Any]) -> str:
    """``kubernetes:<group/version>:<Kind>``, with the core group spelt ``core/v1`` as pulumi-kubernetes does."""
    api_version = str(obj["apiVersion"])
    group_version = api_version if "/" in api_version else f"core/{api_version}"
    return f"kubernetes:{group_version}:{obj['kind']}"


def manifest_name(obj: Mapping[str, Any]) -> str:
    return str(obj.get("metadata", {}).get("name", obj["kind"]))


def check(policy: PackResourcePolicy, args: ResourceValidationArgs) -> list[str]:
    """Every message the policy reports for one resource."""
    found: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    policy.validate(args, report)
    return found


def check_stack(
    policy: PackStackPolicy, resources: list[PolicyResource], config: Mapping[str, Any] | None = None
) -> list[tuple[str, str | None]]:
    """Every ``(message, urn)`` the stack policy reports."""
    found: list[tuple[str, str | None]] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append((message, urn))

    policy.validate(StackValidationArgs(resources, config), report)
    return found
