"""Prod-like stacks: TLS on every Ingress host, no container running as root, and restricted, fenced pods.

The pack cannot read a stack's config, but a stack policy sees every resource. A stack is prod-like when any
Ingress sets ``spec.tls`` (the stack set a TLS secret) or any OSS Bucket has the ``protect`` resource option (the
stack protects its bucket); the program's ``StackConfig.prod_like`` is the same rule. ``ingress-tls`` and
``containers-non-root`` stay advisory for every stack; this policy repeats their findings at mandatory level for
prod-like stacks only, together with what ``restricted.py`` asks of their pods (seccomp, read-only root filesystems,
no service-account token, a NetworkPolicy). ``prod-image-digests`` advises digests over tags on the same stacks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any

from .framework import ADVISORY, MANDATORY, PackStackPolicy, Res
from .ingress import tls_problems
from .kubernetes import is_kind, is_object
from .restricted import restricted_problems, tagged_images
from .storage import BUCKET
from .values import NotKnown, could_not_check, dig, entries, guarded
from .workloads import each_container, non_root_problems

Finding = tuple[str, str | None]


def prod_signals(resources: list[Res]) -> tuple[list[str], dict[str, str]]:
    """Why the stack is prod-like (``Ingress ns/name sets spec.tls``, ``Bucket name is protected``), and the
    Ingresses (urn -> path) whose unknown ``spec.tls`` might make it so."""
    reasons: list[str] = []
    unknown: dict[str, str] = {}
    for res in resources:
        if res.type == BUCKET and res.protect:
            reasons.append(f"{res.label} is protected")
        elif is_kind(res.type, "Ingress"):
            try:
                if entries(dig(res.props, "spec", "tls")):
                    reasons.append(f"{res.label} sets spec.tls")
            except NotKnown as not_known:
                unknown[res.urn] = f"{res.label} {not_known.path}"
    return reasons, unknown


def hardening_problems(resources: list[Res]) -> Iterator[Finding]:
    """What ``ingress-tls`` and ``containers-non-root`` report, and what ``restricted.py`` asks, for every resource."""
    for res in resources:
        if is_kind(res.type, "Ingress"):
            for message in guarded(f"TLS on {res.label}", partial(tls_problems, res, {})):
                yield message, res.urn
        if is_object(res.type):
            for message in each_container(res, {}, non_root_problems):
                yield message, res.urn
    yield from restricted_problems(resources)


def _check(resources: list[Res], _config: Mapping[str, Any]) -> Iterator[Finding]:
    reasons, unknown = prod_signals(resources)
    if not reasons and not unknown:
        return
    problems = list(hardening_problems(resources))
    if not reasons:
        # An Ingress whose spec.tls is unknown cannot be checked for TLS either; that alone decides nothing.
        relevant = [m for m, urn in problems if not (urn in unknown and m.startswith("could not check"))]
        if relevant:
            subject = "whether this stack is prod-like (and so must serve TLS, run as non-root and restrict its pods)"
            yield could_not_check(subject, ", ".join(unknown.values())), None
        return
    why = reasons[0] + (f" and {len(reasons) - 1} more" if len(reasons) > 1 else "")
    for message, urn in problems:
        if message.startswith("could not check"):
            yield message, urn
        else:
            yield f"this stack is prod-like ({why}), so this is mandatory: {message}", urn


prod_hardening = PackStackPolicy(
    name="prod-hardening",
    description=(
        "A prod-like stack (any Ingress sets spec.tls, or any OSS Bucket has the protect resource option) serves every "
        "Ingress host over TLS and runs no container as root (what ingress-tls and containers-non-root advise is "
        "mandatory there); every pod runs under the RuntimeDefault seccomp profile, with readOnlyRootFilesystem on "
        "every container and automountServiceAccountToken: false; and a NetworkPolicy isolates each SeldonDeployment's "
        "pods for ingress. Fix: set the model's tlsSecret (and host) for every model; the program restricts the pods "
        "and creates the NetworkPolicy on such stacks."
    ),
    level=MANDATORY,
    check=_check,
    remediation=(
        "Give every model a tlsSecret (Ingress spec.tls covering each host) and every container securityContext "
        "{runAsNonRoot: true, runAsUser: 1000, readOnlyRootFilesystem: true} with an emptyDir where it writes; the pod "
        "securityContext.seccompProfile {type: RuntimeDefault} and automountServiceAccountToken: false; a "
        "NetworkPolicy selecting the predictor pods that admits only the Ingress controller. Or, for a stack that is "
        "not production, stop protecting its bucket."
    ),
)


def _digest_check(resources: list[Res], _config: Mapping[str, Any]) -> Iterator[Finding]:
    reasons, _unknown = prod_signals(resources)
    if reasons:
        for message, urn in tagged_images(resources):
            yield (
                (message if message.startswith("could not check") else f"this stack is prod-like ({reasons[0]}): {message}"),
                urn,
            )


prod_image_digests = PackStackPolicy(
    name="prod-image-digests",
    description=(
        "On a prod-like stack (any Ingress sets spec.tls, or any OSS Bucket has the protect resource option), every "
        "image is named by digest (name@sha256:<64 hex>): a tag can be moved to other content in the registry, a "
        "digest cannot. Advisory: a digest must come from the registry, never be guessed. Fix: set proxyImage, "
        "servingImage and imageCache.images to name@sha256:<digest> as the registry reports it."
    ),
    level=ADVISORY,
    check=_digest_check,
    remediation=(
        "Look the digest up in the registry (for example `crane digest <image>`, or the registry's console) and set "
        "proxyImage/servingImage (and imageCache.images) to name@sha256:<digest>."
    ),
)
