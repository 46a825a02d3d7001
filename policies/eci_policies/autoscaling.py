"""The HorizontalPodAutoscaler: autoscaling/v2, a behavior block, and no more replicas than the units can hold."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .elastic import RESOURCE_POLICY, is_elastic_workload
from .framework import ADVISORY, MANDATORY, PackResourcePolicy, PackStackPolicy, Res
from .kserve import is_inference_service, predictor_of
from .kubernetes import api_kind, is_kind, name_of, namespace_of
from .seldon import deployment_name
from .values import NotKnown, could_not_check, dig, entries, known, mapping, text, whole

HPA = "HorizontalPodAutoscaler"
WORKLOAD_KINDS = ("Deployment", "StatefulSet")
HPA_API = "autoscaling/v2"
REMOVED = {
    "autoscaling/v2beta1": "was removed in Kubernetes 1.25",
    "autoscaling/v2beta2": "was removed in Kubernetes 1.26",
    "autoscaling/v1": "cannot express external metrics or scaling behavior",
}


def is_hpa(resource_type: str) -> bool:
    return is_kind(resource_type, HPA)


def _v2(res: Res, _config: Mapping[str, Any]) -> Iterator[str]:
    found = api_kind(res.type)
    api_version = found[0] if found else "?"
    if api_version != HPA_API:
        why = REMOVED.get(api_version, "is not the served HPA API")
        yield (
            f"{res.label} uses {api_version}, which {why}. Use autoscaling/v2 (k8s.autoscaling.v2.HorizontalPodAutoscaler): "
            "metricName/metricSelector become metric.name/metric.selector and targetAverageValue becomes "
            "target: {type: AverageValue, averageValue}."
        )


hpa_autoscaling_v2 = PackResourcePolicy(
    name="hpa-autoscaling-v2",
    description=(
        "HorizontalPodAutoscalers use autoscaling/v2 (v2beta1 was removed in Kubernetes 1.25, v2beta2 in 1.26; ACK "
        "serves neither). Fix: declare the HPA with k8s.autoscaling.v2.HorizontalPodAutoscaler."
    ),
    level=MANDATORY,
    applies=is_hpa,
    check=_v2,
    remediation="Rewrite the HPA as autoscaling/v2 (metric.selector, target.averageValue).",
)


def _behavior(res: Res, _config: Mapping[str, Any]) -> Iterator[str]:
    if dig(res.props, "spec", "behavior") is None:
        yield (
            f"{res.label} has no spec.behavior, so it scales down after the default 300 s window at up to 100% per "
            "step and may flap on bursty QPS."
        )


hpa_behavior = PackResourcePolicy(
    name="hpa-behavior",
    description=(
        "HPAs set spec.behavior (scaleUp/scaleDown stabilization windows and policies) so QPS-driven scaling does not "
        "flap. Fix: set scaleUpStabilizationSeconds/scaleDownStabilizationSeconds in the model config (autoscaling/v2)."
    ),
    level=ADVISORY,
    applies=is_hpa,
    check=_behavior,
    remediation="Add spec.behavior.scaleUp/scaleDown with stabilizationWindowSeconds and policies.",
)


def capacity(ew: Res) -> tuple[int, str] | None:
    """Most replicas an ElasticWorkload can place (units' max + sourceTarget max) and how; None if a unit is
    unbounded. :class:`NotKnown` if a needed value is unknown."""
    parts: list[str] = []
    total = 0
    for unit in entries(dig(ew.props, "spec", "elasticUnit")):
        high = whole(mapping(unit).get("max"))
        if high is None:
            return None
        total += high
        parts.append(str(high))
    source = whole(dig(ew.props, "spec", "sourceTarget", "max")) or 0
    total += source
    return total, f"units {' + '.join(parts) or '0'} + sourceTarget {source}"


def policy_capacity(rp: Res) -> tuple[int, str] | None:
    """Most pods a ResourcePolicy places (the sum of its units' max) and how; None if a unit sets no max (that unit
    is unbounded). :class:`NotKnown` if a needed value is unknown."""
    highs: list[int] = []
    for unit in entries(dig(rp.props, "spec", "units")):
        high = whole(mapping(unit).get("max"))
        if high is None:
            return None
        highs.append(high)
    return sum(highs), f"units {' + '.join(str(h) for h in highs) or '0'}"


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """ACK's ResourcePolicy ``spec.selector`` is a plain label map; like any Kubernetes map selector, every pair
    must be on the pod, and an empty map selects every pod of the namespace."""
    return all(labels.get(key) == value for key, value in selector.items())


@dataclass
class Scope:
    """What the capacity check compares an HPA with."""

    workloads: dict[tuple[str, str], Res] = field(default_factory=dict)
    """ElasticWorkloads by (namespace, name)."""
    policies: list[tuple[str, dict[str, Any], Res]] = field(default_factory=list)
    """ResourcePolicies with a known selector: (namespace, selector, resource)."""
    unknown_policies: dict[str, list[str]] = field(default_factory=dict)
    """Namespace -> paths of ResourcePolicy selectors (or names) that are unknown."""
    pods: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    """(namespace, Deployment or StatefulSet name) -> the labels its pods carry, as far as the stack says."""
    unknown_pods: list[str] = field(default_factory=list)
    """Paths of unknown values that may hide a Deployment's name or pod labels."""


def _labels(value: Any) -> dict[str, str]:
    """A label map; :class:`NotKnown` if it or a value is unknown."""
    return {key: str(known(item)) for key, item in mapping(value).items()}


def seldon_pods(sdep: Res) -> Iterator[tuple[tuple[str, str], dict[str, str]]]:
    """The Deployment the Seldon operator creates for each componentSpec, with the componentSpec's
    ``metadata.labels``, which the operator copies onto the pods (it adds labels of its own, not modelled here)."""
    namespace, name = namespace_of(sdep.props), name_of(sdep.props)
    if name is None:
        return
    for predictor in entries(dig(sdep.props, "spec", "predictors")):
        body = mapping(predictor)
        predictor_name = text(body.get("name")) or ""
        for index, component in enumerate(entries(body.get("componentSpecs"))):
            spec = mapping(component)
            names = [text(mapping(c).get("name")) or "" for c in entries(dig(spec, "spec", "containers"))]
            own = text(dig(spec, "metadata", "name"))
            deployment = deployment_name(name, predictor_name, index, names, own)
            yield (namespace, deployment), _labels(dig(spec, "metadata", "labels"))


def kserve_pods(isvc: Res) -> Iterator[tuple[tuple[str, str], dict[str, str]]]:
    """The predictor Deployment KServe creates, with ``spec.predictor.labels``, which it merges into the pods' labels
    (kserve v0.20.0 ``components/predictor.go``, ``buildObjectMeta``; it adds labels of its own, not modelled here)."""
    found = predictor_of(isvc)
    if found is not None:
        yield found, _labels(dig(isvc.props, "spec", "predictor", "labels"))


def _scope(resources: list[Res]) -> tuple[Scope, list[tuple[str, str | None]]]:
    scope = Scope()
    problems: list[tuple[str, str | None]] = []
    for res in resources:
        try:
            if is_elastic_workload(res.type):
                name = name_of(res.props)
                if name is not None:
                    scope.workloads[(namespace_of(res.props), name)] = res
            elif is_kind(res.type, RESOURCE_POLICY):
                namespace = namespace_of(res.props)
                try:
                    selector = _labels(dig(res.props, "spec", "selector"))
                except NotKnown as unknown:
                    scope.unknown_policies.setdefault(namespace, []).append(unknown.path)
                    continue
                scope.policies.append((namespace, selector, res))
            elif is_kind(res.type, "SeldonDeployment"):
                try:
                    scope.pods.update(dict(seldon_pods(res)))
                except NotKnown as unknown:
                    scope.unknown_pods.append(unknown.path)
            elif is_inference_service(res.type):
                try:
                    scope.pods.update(dict(kserve_pods(res)))
                except NotKnown as unknown:
                    scope.unknown_pods.append(unknown.path)
            elif any(is_kind(res.type, kind) for kind in WORKLOAD_KINDS):
                name = name_of(res.props)
                if name is not None:
                    try:
                        labels = _labels(dig(res.props, "spec", "template", "metadata", "labels"))
                    except NotKnown as unknown:
                        scope.unknown_pods.append(unknown.path)
                        continue
                    scope.pods[(namespace_of(res.props), name)] = labels
        except NotKnown as unknown:
            problems.append((could_not_check(f"the name of {res.label}", unknown.path), res.urn))
            if is_kind(res.type, RESOURCE_POLICY):
                scope.unknown_policies.setdefault("", []).append(unknown.path)
    return scope, problems


def _max_replicas(resources: list[Res], config: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    cap = config.get("maxReplicasCap")
    scope, problems = _scope(resources)
    yield from problems
    for hpa in (r for r in resources if is_hpa(r.type)):
        try:
            yield from ((m, hpa.urn) for m in _max_of(hpa, scope, cap))
        except NotKnown as unknown:
            yield could_not_check(f"maxReplicas of {hpa.label}", unknown.path), hpa.urn


def _max_of(hpa: Res, scope: Scope, cap: int | None) -> Iterator[str]:
    raw = known(dig(hpa.props, "spec", "maxReplicas"))
    most = whole(raw)
    if most is None:
        yield f"{hpa.label} has no whole-number spec.maxReplicas ({raw!r})."
        return
    if cap is not None and most > cap:
        yield f"{hpa.label} maxReplicas {most} is above the configured maxReplicasCap {cap}."
    target = mapping(dig(hpa.props, "spec", "scaleTargetRef"))
    kind, name, namespace = known(target.get("kind")), text(target.get("name")) or "", namespace_of(hpa.props)
    if kind == "ElasticWorkload":
        ew = scope.workloads.get((namespace, name))
        if ew is None:
            return  # an HPA whose ElasticWorkload is not in the stack is inference-wiring's to report
        room = capacity(ew)
        if room is not None and most > room[0]:
            yield (
                f"{hpa.label} maxReplicas {most} is above what {ew.label} can place: {room[0]} ({room[1]}); "
                "replicas beyond that have no unit to run in."
            )
    elif kind in WORKLOAD_KINDS:
        yield from _policy_bound(hpa, most, f"{kind} {name!r}", (namespace, name), scope)


def _policy_bound(hpa: Res, most: int, target: str, key: tuple[str, str], scope: Scope) -> Iterator[str]:
    """resourcePolicy mode: the HPA scales a Deployment whose pods a ResourcePolicy places in its units."""
    namespace = key[0]
    unknown_policies = scope.unknown_policies.get(namespace, []) + scope.unknown_policies.get("", [])
    in_namespace = [(selector, rp) for ns, selector, rp in scope.policies if ns == namespace]
    if not in_namespace and not unknown_policies:
        return  # no ResourcePolicy can select its pods: not resourcePolicy mode
    subject = f"which ResourcePolicy places the pods of {target} ({hpa.label})"
    labels = scope.pods.get(key)
    if labels is None:
        if scope.unknown_pods:
            yield could_not_check(subject, ", ".join(scope.unknown_pods))
        return  # a target that is not in the stack is inference-wiring's to report
    matched = [rp for selector, rp in in_namespace if selects(selector, labels)]
    if not matched and unknown_policies:
        yield could_not_check(subject, ", ".join(unknown_policies))
    for rp in matched:
        room = policy_capacity(rp)
        if room is not None and most > room[0]:
            yield (
                f"{hpa.label} maxReplicas {most} is above what {rp.label} can place for the pods of {target}: {room[0]} "
                f"({room[1]}); replicas beyond that have no unit to run in."
            )


hpa_max_within_elastic_capacity = PackStackPolicy(
    name="hpa-max-within-elastic-capacity",
    description=(
        "An HPA asks for no more replicas than its elastic units can place: scaling an ElasticWorkload, maxReplicas <= "
        "the sum of its units' max + sourceTarget max; scaling a Deployment whose pods a ResourcePolicy selects (the "
        "Deployment the Seldon operator creates, with the componentSpec's labels), maxReplicas <= the sum of the "
        "ResourcePolicy units' max. Also <= maxReplicasCap when configured. Fix: lower the model's maxReplicas or "
        "raise the units' max."
    ),
    level=MANDATORY,
    check=_max_replicas,
    remediation="Make maxReplicas <= sum(units[].max) (+ sourceMax for an ElasticWorkload) in the model config.",
    config={
        "maxReplicasCap": {
            "type": "integer",
            "minimum": 1,
            "description": "Hard upper bound on any HPA's maxReplicas (a cost guard), on top of the capacity check.",
        }
    },
)
