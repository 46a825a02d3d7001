"""How every policy of the pack is built: config read and checked first, properties made plain, unknowns reported.

A check is a plain function of plain data that yields messages; the policy objects here wrap it for
pulumi-policy. A check that meets an unknown value where it did not guard a smaller piece itself still ends
in one "could not check" report, never in a silent pass or an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from .config import read_config, schema
from .values import NotKnown, could_not_check, plain

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY


@dataclass(frozen=True)
class Res:
    """One resource as a check sees it: plain properties (``Unknown`` markers where not known) and ``protect``."""

    type: str
    name: str
    urn: str
    props: dict[str, Any]
    protect: bool

    @property
    def label(self) -> str:
        """``Kind namespace/name`` for Kubernetes objects, ``type name`` otherwise."""
        kind = self.type.rsplit(":", 1)[-1]
        meta = self.props.get("metadata")
        if isinstance(meta, dict) and isinstance(meta.get("name"), str):
            namespace = meta.get("namespace")
            prefix = f"{namespace}/" if isinstance(namespace, str) and namespace else ""
            return f"{kind} {prefix}{meta['name']}"
        return f"{kind} {self.name}"


ResourceCheck = Callable[[Res, Mapping[str, Any]], Iterable[str]]
StackCheck = Callable[[list[Res], Mapping[str, Any]], Iterable[tuple[str, str | None]]]
ConfigProperties = Mapping[str, Mapping[str, Any]]


def _props(value: Any) -> dict[str, Any]:
    copied = plain(value)
    return copied if isinstance(copied, dict) else {}


class PackResourcePolicy(ResourceValidationPolicy):
    """A resource policy of this pack; ``applies`` says which resource types it looks at."""

    def __init__(
        self,
        *,
        name: str,
        description: str,
        level: EnforcementLevel,
        applies: Callable[[str], bool],
        check: ResourceCheck,
        remediation: str,
        config: ConfigProperties | None = None,
    ) -> None:
        properties: ConfigProperties = config or {}

        def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
            cfg = read_config(name, properties, args.get_config())
            if not applies(args.resource_type):
                return
            res = Res(args.resource_type, args.name, args.urn, _props(args.props), bool(args.opts.protect))
            messages: list[str] = []
            try:
                messages.extend(check(res, cfg))  # keeps what was found before an unknown value stopped the check
            except NotKnown as unknown:
                messages.append(could_not_check(res.label, unknown.path))
            for message in messages:
                report_violation(message, None)

        super().__init__(
            name=name,
            description=description,
            validate=validate,
            enforcement_level=level,
            config_schema=schema(properties) if properties else None,
            remediation_steps=remediation,
        )
        self.applies = applies
        self.config_properties = properties


class PackStackPolicy(StackValidationPolicy):
    """A stack policy of this pack: it sees every resource's properties (outputs) at once."""

    def __init__(
        self,
        *,
        name: str,
        description: str,
        level: EnforcementLevel,
        check: StackCheck,
        remediation: str,
        config: ConfigProperties | None = None,
    ) -> None:
        properties: ConfigProperties = config or {}

        def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
            cfg = read_config(name, properties, args.get_config())
            resources = [Res(r.resource_type, r.name, r.urn, _props(r.props), bool(r.opts.protect)) for r in args.resources]
            findings: list[tuple[str, str | None]] = []
            try:
                findings.extend(check(resources, cfg))
            except NotKnown as unknown:
                findings.append((could_not_check("the stack", unknown.path), None))
            for message, urn in findings:
                report_violation(message, urn)

        super().__init__(
            name=name,
            description=description,
            validate=validate,
            enforcement_level=level,
            config_schema=schema(properties) if properties else None,
            remediation_steps=remediation,
        )
        self.config_properties = properties
