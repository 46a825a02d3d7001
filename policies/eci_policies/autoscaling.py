"""The HorizontalPodAutoscaler: autoscaling/v2, a behavior block, and no more replicas than the units can hold."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .elastic import is_elastic_workload
from .framework import ADVISORY, MANDATORY, PackResourcePolicy, PackStackPolicy, Res
from .kubernetes import api_kind, is_kind, name_of, namespace_of
from .values import NotKnown, could_not_check, dig, entries, known, mapping, text, whole

HPA = "HorizontalPodAutoscaler"
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


def _max_replicas(resources: list[Res], config: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    cap = config.get("maxReplicasCap")
    workloads: dict[tuple[str, str], Res] = {}
    for res in resources:
        if is_elastic_workload(res.type):
            try:
                name = name_of(res.props)
            except NotKnown as unknown:
                yield could_not_check(f"the name of {res.label}", unknown.path), res.urn
                continue
            if name is not None:
                workloads[(namespace_of(res.props), name)] = res
    for hpa in (r for r in resources if is_hpa(r.type)):
        try:
            yield from ((m, hpa.urn) for m in _max_of(hpa, workloads, cap))
        except NotKnown as unknown:
            yield could_not_check(f"maxReplicas of {hpa.label}", unknown.path), hpa.urn


def _max_of(hpa: Res, workloads: dict[tuple[str, str], Res], cap: int | None) -> Iterator[str]:
    raw = known(dig(hpa.props, "spec", "maxReplicas"))
    most = whole(raw)
    if most is None:
        yield f"{hpa.label} has no whole-number spec.maxReplicas ({raw!r})."
        return
    if cap is not None and most > cap:
        yield f"{hpa.label} maxReplicas {most} is above the configured maxReplicasCap {cap}."
    target = mapping(dig(hpa.props, "spec", "scaleTargetRef"))
    if known(target.get("kind")) != "ElasticWorkload":
        return
    ew = workloads.get((namespace_of(hpa.props), text(target.get("name")) or ""))
    if ew is None:
        return  # an HPA whose ElasticWorkload is not in the stack is inference-wiring's to report
    room = capacity(ew)
    if room is not None and most > room[0]:
        yield (
            f"{hpa.label} maxReplicas {most} is above what {ew.label} can place: {room[0]} ({room[1]}); "
            "replicas beyond that have no unit to run in."
        )


hpa_max_within_elastic_capacity = PackStackPolicy(
    name="hpa-max-within-elastic-capacity",
    description=(
        "An HPA that scales an ElasticWorkload asks for no more replicas than the workload can place: maxReplicas <= "
        "sum of its units' max + sourceTarget max (and <= maxReplicasCap when configured). Fix: lower the model's "
        "maxReplicas or raise the units' max."
    ),
    level=MANDATORY,
    check=_max_replicas,
    remediation="Make maxReplicas <= sum(units[].max) + sourceMax in the model config.",
    config={
        "maxReplicasCap": {
            "type": "integer",
            "minimum": 1,
            "description": "Hard upper bound on any HPA's maxReplicas (a cost guard), on top of the capacity check.",
        }
    },
)
