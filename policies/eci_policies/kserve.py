"""KServe InferenceServices: the names the controller gives what it creates, and the mode our autoscalers need.

The name derivation is copied from KServe, not imported from the program (the pack runs without it, see
``seldon.py``); ``tests/test_policies.py`` checks that it agrees with the program's ``components/naming.py``.

KServe v0.20.0 (kserve/kserve tag v0.20.0):

- ``pkg/constants/constants.go`` ``PredictorServiceName``: the predictor's Deployment and Service are
  ``<isvc>-predictor``, or ``<isvc>-<predictor name>-predictor`` when ``spec.predictor.name`` is set; the Service's
  first port is 80 (``CommonDefaultHttpPort``, ``reconcilers/service/service_reconciler.go``).
- ``reconcilers/deployment/deployment_reconciler.go``: only the autoscaler class ``none`` writes ``minReplicas`` into
  the Deployment's ``replicas`` (and compares it on every reconcile); the default class ``hpa`` creates an HPA of its
  own (``reconcilers/hpa/hpa_reconciler.go``) that would fight ours; ``external`` leaves the count to us.
- ``ParseDeploymentMode``: ``Standard`` (or the deprecated ``RawDeployment``) makes a plain Deployment; ``Knative``
  (``Serverless``) makes a Knative Service, which has no Deployment of that name for our HPA or ElasticWorkload.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .framework import MANDATORY, PackStackPolicy, Res
from .kubernetes import is_kind, name_of, namespace_of
from .values import NotKnown, could_not_check, dig, mapping, text

KIND = "InferenceService"
HTTP_PORT = 80
DEPLOYMENT_MODE = "serving.kserve.io/deploymentMode"
AUTOSCALER_CLASS = "serving.kserve.io/autoscalerClass"
STANDARD_MODES = ("Standard", "RawDeployment")
EXTERNAL = "external"
DEFAULT_CLASS = "hpa"
DEFAULT_MODE = "Knative"
"""The mode an InferenceService without the annotation gets from the chart's default config (v0.20.0
``charts/kserve-resources/values.yaml`` ``deploymentMode: Knative``)."""


def predictor_name(isvc: str, predictor: str | None = None) -> str:
    """The predictor's Deployment and Service."""
    return f"{isvc}-{predictor}-predictor" if predictor else f"{isvc}-predictor"


def is_inference_service(type_: str) -> bool:
    return is_kind(type_, KIND)


def predictor_of(isvc: Res) -> tuple[str, str] | None:
    """``(namespace, Deployment and Service name)`` of an InferenceService's predictor; None without a name."""
    name = name_of(isvc.props)
    if name is None:
        return None
    return namespace_of(isvc.props), predictor_name(name, text(dig(isvc.props, "spec", "predictor", "name")))


def _scaled(resources: list[Res]) -> dict[tuple[str, str], str]:
    """Deployments our autoscalers own: an HPA's Deployment target, or an HPA-scaled ElasticWorkload's source."""
    sources: dict[tuple[str, str], str] = {}
    for res in resources:
        if is_kind(res.type, "ElasticWorkload") and (name := name_of(res.props)):
            source = text(dig(res.props, "spec", "sourceTarget", "name"))
            if source:
                sources[(namespace_of(res.props), name)] = source
    owned: dict[tuple[str, str], str] = {}
    for res in resources:
        if not is_kind(res.type, "HorizontalPodAutoscaler"):
            continue
        namespace = namespace_of(res.props)
        ref = mapping(dig(res.props, "spec", "scaleTargetRef"))
        kind, name = text(ref.get("kind")), text(ref.get("name")) or ""
        if kind == "Deployment":
            owned[(namespace, name)] = res.label
        elif kind == "ElasticWorkload" and (namespace, name) in sources:
            owned[(namespace, sources[(namespace, name)])] = f"{res.label} through ElasticWorkload {name!r}"
    return owned


def _check_one(isvc: Res, owned: Mapping[tuple[str, str], str]) -> Iterator[str]:
    annotations = mapping(dig(isvc.props, "metadata", "annotations"))
    mode = text(annotations.get(DEPLOYMENT_MODE)) or DEFAULT_MODE
    if mode not in STANDARD_MODES:
        yield (
            f"{isvc.label}: {DEPLOYMENT_MODE} is {mode!r}; the stack's ElasticWorkload or ResourcePolicy and HPA need the "
            f"plain Deployment of the Standard mode. Set the annotation to 'Standard'."
        )
    predictor = predictor_of(isvc)
    if predictor is None or predictor not in owned:
        return
    klass = text(annotations.get(AUTOSCALER_CLASS)) or DEFAULT_CLASS
    if klass != EXTERNAL:
        effect = (
            "it writes minReplicas over the Deployment's replicas on every reconcile"
            if klass == "none"
            else "it creates an HPA of its own that fights ours"
        )
        yield (
            f"{isvc.label}: {AUTOSCALER_CLASS} is {klass!r} while {owned[predictor]} owns the replica count of "
            f"{predictor[1]!r}; {effect}. Set it to 'external'."
        )
    predictor_spec = mapping(dig(isvc.props, "spec", "predictor"))
    for key in ("minReplicas", "maxReplicas"):
        if predictor_spec.get(key) is not None:
            yield (
                f"{isvc.label}: spec.predictor.{key} is set while {owned[predictor]} owns the replica count; "
                "KServe ignores it with the external class, so it only misleads. Remove it and bound the HPA."
            )


def _check(resources: list[Res], _config: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    try:
        owned = _scaled(resources)
    except NotKnown as unknown:
        yield could_not_check("which Deployments the stack's HPAs own", unknown.path), None
        return
    for isvc in (r for r in resources if is_inference_service(r.type)):
        try:
            yield from ((m, isvc.urn) for m in _check_one(isvc, owned))
        except NotKnown as unknown:
            yield could_not_check(f"the mode and autoscaler class of {isvc.label}", unknown.path), isvc.urn


kserve_external_autoscaler = PackStackPolicy(
    name="kserve-external-autoscaler",
    description=(
        "A KServe InferenceService runs in the Standard (raw Deployment) mode, and when the stack's HPA (directly or "
        "through an ElasticWorkload) owns its predictor's replica count, its autoscaler class is 'external' and it "
        "sets no minReplicas/maxReplicas: KServe v0.20.0 creates an HPA of its own for the default class 'hpa', and "
        "writes minReplicas over the Deployment for 'none'. Fix: annotate it serving.kserve.io/deploymentMode: "
        "Standard and serving.kserve.io/autoscalerClass: external, and leave the bounds to the HPA."
    ),
    level=MANDATORY,
    check=_check,
    remediation="Annotate the InferenceService serving.kserve.io/deploymentMode: Standard and "
    "serving.kserve.io/autoscalerClass: external (components/kserve_server.py).",
)
