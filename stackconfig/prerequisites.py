"""What a stack needs from the cluster it deploys to: the minimum version of each piece, and why.

The rules are data, each with the document that states it; :func:`stack_needs` applies them to a validated
:class:`~stackconfig.models.StackConfig` and :meth:`Prerequisites.minimums` reduces them to one minimum per piece
(``kubernetes``, ``kube-scheduler``, ``csi-plugin``, ``csi-provisioner`` and each add-on of
:data:`stackconfig.addons.CATALOG`). ``python -m tools.preflight`` compares these minimums with a live cluster.

Versions are compared with :func:`stackconfig.types.version_tuple` (``v1.30.4-3ab1edc-aliyun`` -> (1, 30, 4)), except
the scheduler's: ACK numbers its kube-scheduler features by the series after ``-aliyun-`` in the image tag
(``v1.28.3-aliyun-6.2.1.c1d9c4b`` is series 6.2.1), and its documents say "scheduler version 6.1 or later"
(:func:`scheduler_series`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from stackconfig.addons import CATALOG, AddonName, Feature, features
from stackconfig.models import StackConfig
from stackconfig.types import version_tuple

KUBERNETES = "kubernetes"
SCHEDULER = "kube-scheduler"
CSI_PLUGIN = "csi-plugin"
CSI_PROVISIONER = "csi-provisioner"

RESOURCE_POLICY_DOC = (
    "ACK, 'Configure priority-based scheduling for elastic resources' (doc 398680, "
    "https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/user-guide/"
    "configure-priority-based-resource-scheduling)"
)
K8S_DEPRECATIONS = "Kubernetes, 'Deprecated API Migration Guide' (kubernetes.io/docs/reference/using-api/deprecation-guide)"
OSS_RRSA_DOC = (
    "ACK, 'Mount statically provisioned volumes with ossfs 1.0', step 1, RRSA: cluster 1.26 or later, csi-plugin and "
    "csi-provisioner v1.30.4 or later (stackconfig/volume_auth.py)"
)


@dataclass(frozen=True)
class FieldNeed:
    """What one ResourcePolicy field needs; ``None`` where the document names no version."""

    scheduler: str | None
    """The lowest kube-scheduler series (``6.1`` = ``-aliyun-6.1``) that reads the field."""
    cluster: str | None
    """The lowest cluster (Kubernetes) version the field works on."""
    quote: str
    """What the document says."""


RESOURCE_POLICY_FIELDS: dict[str, FieldNeed] = {
    "spec.selector": FieldNeed(None, None, "selector: the pods of the namespace the policy applies to"),
    "spec.strategy": FieldNeed(None, None, "strategy: only prefer is supported"),
    "spec.units": FieldNeed(None, None, "units: scheduled in order on scale-out, removed in reverse on scale-in"),
    "spec.units[].resource": FieldNeed(
        None, None, "resource: eci and ecs (elastic needs 1.24 and scheduler 6.4.3, acs 1.26 and 6.7.1)"
    ),
    "spec.units[].nodeSelector": FieldNeed(None, None, "nodeSelector: the nodes of the unit"),
    "spec.units[].max": FieldNeed(
        "5.0", "1.22", "The max field is available only in clusters of version 1.22 or later with scheduler version 5.0"
    ),
    "spec.units[].maxResources": FieldNeed("6.9.5", None, "maxResources (Available in scheduler version 6.9.5 or later)"),
    "spec.units[].podLabels": FieldNeed(None, None, "podLabels: updated to the pod by the scheduler"),
    "spec.units[].podAnnotations": FieldNeed(None, None, "podAnnotations: updated to the pod by the scheduler"),
    "spec.preemptPolicy": FieldNeed("6.1", None, "preemptPolicy: available for scheduler v6.1 or later"),
    "spec.ignorePreviousPod": FieldNeed("6.1", None, "ignorePreviousPod (Available in scheduler version 6.1 or later)"),
    "spec.ignoreTerminatingPod": FieldNeed("6.1", None, "ignoreTerminatingPod (Available in scheduler version 6.1 or later)"),
    "spec.matchLabelKeys": FieldNeed("6.2", None, "matchLabelKeys (Available in scheduler version 6.2 or later)"),
    "spec.whenTryNextUnits": FieldNeed(
        "6.4", "1.24", "whenTryNextUnits (Available in cluster version 1.24 or later with scheduler version 6.4 or later)"
    ),
}
"""Every documented ResourcePolicy field (RESOURCE_POLICY_DOC) and the versions it needs."""

RENDERED_RESOURCE_POLICY_FIELDS = (
    "spec.selector",
    "spec.strategy",
    "spec.units",
    "spec.units[].resource",
    "spec.units[].nodeSelector",
    "spec.units[].max",
    "spec.units[].podLabels",
    "spec.units[].podAnnotations",
    "spec.ignorePreviousPod",
    "spec.ignoreTerminatingPod",
    "spec.matchLabelKeys",
)
"""The fields ``components/resource_policy.py`` writes (a test compares this with a rendered ResourcePolicy)."""

RESOURCE_POLICY_CLUSTER = "1.20.11"
"""'An ACK managed cluster Pro edition of version 1.20.11 or later' (RESOURCE_POLICY_DOC, Prerequisites)."""

RESOURCE_POLICY_SCHEDULER_BY_CLUSTER = {"1.20": "v1.20.4-ack-7.0", "1.22": "v1.22.15-ack-2.0"}
"""The scheduler each cluster minor needs for ResourcePolicy at all; 1.24 and later: every version
(RESOURCE_POLICY_DOC, Prerequisites). Those old tags are of an earlier numbering than the ``-aliyun-`` series."""

BUILT_IN_APIS = (
    ("1.23", "autoscaling/v2 HorizontalPodAutoscaler: 'Migrate to the autoscaling/v2 API version, available since v1.23'"),
    ("1.21", "policy/v1 PodDisruptionBudget: 'Migrate to the policy/v1 API version, available since v1.21'"),
    ("1.19", "networking.k8s.io/v1 Ingress: 'Migrate to the networking.k8s.io/v1 API version, available since v1.19'"),
)
"""The built-in API versions every stack renders, and the first Kubernetes version that serves each (K8S_DEPRECATIONS)."""

OSS_CSI_DOC = (
    "stackconfig/volume_auth.py: on an ECS node the OSS CSI node plugin mounts the volume; ACK, 'csi-plugin' (mounts "
    "disk, NAS and OSS volumes; installed by default from Kubernetes 1.16)"
)

RRSA_CLUSTER = "1.26"
RRSA_CSI = "v1.30.4"


@dataclass(frozen=True, order=True)
class Need:
    """One thing the stack needs: ``component`` at ``minimum`` or later (``None``: present, any version)."""

    component: str
    minimum: str | None
    why: str
    source: str


def scheduler_series(tag: str) -> tuple[int, ...] | None:
    """The feature series of an ACK kube-scheduler image tag: ``v1.28.3-aliyun-6.2.1.c1d9c4b`` -> (6, 2, 1).

    ``None`` for a tag without an ``-aliyun-<series>`` part (such as the 1.20/1.22 ``-ack-`` tags).
    """
    match = re.search(r"-aliyun-(\d+(?:\.\d+)*)", tag)
    return None if match is None else tuple(int(p) for p in match.group(1).split("."))


def _key(component: str, version: str) -> tuple[int, ...]:
    if component == SCHEDULER:
        return tuple(int(p) for p in version.split("."))
    return version_tuple(version)


def at_least(component: str, found: str, minimum: str) -> bool | None:
    """Whether ``found`` meets ``minimum`` for ``component``; ``None`` when ``found`` cannot be compared."""
    try:
        if component == SCHEDULER:
            series = scheduler_series(found)
            return None if series is None else series >= _key(SCHEDULER, minimum)
        return version_tuple(found) >= version_tuple(minimum)
    except ValueError:
        return None


@dataclass(frozen=True)
class Prerequisites:
    """Everything a stack needs; :meth:`minimums` keeps the highest per component."""

    needs: tuple[Need, ...]

    def minimums(self) -> dict[str, Need]:
        """Per component, the need with the highest minimum (a need without a minimum only says "present")."""
        best: dict[str, Need] = {}
        for need in self.needs:
            held = best.get(need.component)
            if held is None or (
                need.minimum is not None
                and (held.minimum is None or _key(need.component, need.minimum) > _key(need.component, held.minimum))
            ):
                best[need.component] = need
        return best

    def table(self) -> dict[str, str | None]:
        """``component -> minimum`` (``None``: any version), sorted by component."""
        return {c: n.minimum for c, n in sorted(self.minimums().items())}

    def for_component(self, component: str) -> list[Need]:
        """Every need of one component, in the order the rules produced them."""
        return [n for n in self.needs if n.component == component]


def resource_policy_needs(fields: Iterable[str]) -> list[Need]:
    """The scheduler and cluster versions the given ResourcePolicy fields need."""
    needs = [
        Need(KUBERNETES, RESOURCE_POLICY_CLUSTER, "ResourcePolicy (ACK managed Pro cluster)", RESOURCE_POLICY_DOC),
    ]
    for path in fields:
        rule = RESOURCE_POLICY_FIELDS[path]
        if rule.scheduler is not None:
            needs.append(Need(SCHEDULER, rule.scheduler, f"ResourcePolicy {path}", f"{RESOURCE_POLICY_DOC}: {rule.quote}"))
        if rule.cluster is not None:
            needs.append(Need(KUBERNETES, rule.cluster, f"ResourcePolicy {path}", f"{RESOURCE_POLICY_DOC}: {rule.quote}"))
    return needs


def used_features(config: StackConfig) -> set[Feature]:
    """The catalog features the stack uses (the same rule the add-on settings are derived with)."""
    graceful = any(m.spot_graceful_eviction and any(u.is_spot for u in m.units) for m in config.models)
    servers = frozenset(m.server for m in config.models)
    return features(config.scaling_mode, any(m.schedules for m in config.models), graceful, servers)


def addon_needs(config: StackConfig) -> list[Need]:
    """Each add-on the stack uses, at the lowest version its features need (catalog ``minimum``)."""
    used = used_features(config)
    needs: list[Need] = []
    for addon in config.installed_addons:
        name: AddonName = addon.name
        entry = CATALOG[name]
        if not used & set(entry.needed_for):
            continue
        minima = [(f, m) for f, m in entry.minimum.items() if f in used]
        if not minima:
            needs.append(Need(name, None, f"used for {', '.join(sorted(used & set(entry.needed_for)))}", entry.version_source))
        for feature, (minimum, source) in minima:
            needs.append(Need(name, minimum, f"used for {feature}", source))
    return needs


def mounts_on_nodes(config: StackConfig) -> bool:
    """Whether some pod mounts the model volume on an ECS node, where the CSI node plugin mounts it: a node pool
    unit, or in elasticWorkload mode the source Deployment when ``sourceMax`` > 0 (the placements
    ``StackConfig._volume_auth_rules`` checks, stackconfig/volume_auth.py)."""
    return any(
        any(u.resource == "ecs" for u in m.units) or (config.scaling_mode == "elasticWorkload" and m.source_max > 0)
        for m in config.models
    )


def stack_needs(config: StackConfig) -> Prerequisites:
    """Everything ``config`` needs from its cluster, each with why and the document that says so."""
    needs = [Need(KUBERNETES, version, why, K8S_DEPRECATIONS) for version, why in BUILT_IN_APIS]
    if config.scaling_mode == "resourcePolicy":
        needs += resource_policy_needs(RENDERED_RESOURCE_POLICY_FIELDS)
    if config.volume_auth == "rrsa":
        needs += [
            Need(KUBERNETES, RRSA_CLUSTER, "OSS volume with RRSA", OSS_RRSA_DOC),
            Need(CSI_PLUGIN, RRSA_CSI, "OSS volume with RRSA", OSS_RRSA_DOC),
            Need(CSI_PROVISIONER, RRSA_CSI, "OSS volume with RRSA", OSS_RRSA_DOC),
        ]
    if mounts_on_nodes(config):
        needs.append(Need(CSI_PLUGIN, None, "OSS volume mounted on ECS nodes by the CSI node plugin", OSS_CSI_DOC))
    needs += addon_needs(config)
    return Prerequisites(tuple(needs))
