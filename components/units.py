"""How one elastic unit places and annotates its pods; shared by the ElasticWorkload and ResourcePolicy modes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.config import ElasticUnit

VIRTUAL_KUBELET_ANNOTATION = "virtual-kubelet"
VIRTUAL_KUBELET_SELECTOR = {"type": "virtual-kubelet"}
VIRTUAL_KUBELET_TOLERATION = {"key": "virtual-kubelet.io/provider", "operator": "Exists"}
NODE_POOL_LABEL = "alibabacloud.com/nodepool-id"
ECI_USE_SPECS = "k8s.aliyun.com/eci-use-specs"
ECI_SPOT_STRATEGY = "k8s.aliyun.com/eci-spot-strategy"
ECI_SPOT_PRICE_LIMIT = "k8s.aliyun.com/eci-spot-price-limit"
ECI_SPOT_DURATION = "k8s.aliyun.com/eci-spot-duration"
ECI_SPOT_RELEASE_STRATEGY = "k8s.aliyun.com/eci-spot-release-strategy"
ECI_AUTO_IMAGE_CACHE = "k8s.aliyun.com/eci-auto-imc"


@dataclass(frozen=True)
class PodPolicy:
    """What every ECI pod of a model carries, whatever unit it lands in."""

    spot_protection_hours: int = 1
    """Hours a spot instance is protected from reclaim after it starts (ECI: 0 or 1)."""
    spot_graceful_eviction: bool = True
    """On SpotToBeReleased, ECI evicts the pod through the Eviction API (PDB and grace period apply)."""
    image_cache: bool = False
    """Let ECI match the model's ImageCache when it creates the pod."""


def pod_annotations(unit: ElasticUnit, policy: PodPolicy) -> dict[str, str]:
    """Annotations for the pods of one unit (ECI reads them when it creates the pod; node pools ignore them)."""
    if not unit.is_eci:
        return {}
    annotations = {VIRTUAL_KUBELET_ANNOTATION: "true", ECI_USE_SPECS: ",".join(unit.specs)}
    if unit.spot_strategy is not None:
        annotations[ECI_SPOT_STRATEGY] = unit.spot_strategy
        if unit.price_limit is not None:
            annotations[ECI_SPOT_PRICE_LIMIT] = f"{unit.price_limit:g}"
        annotations[ECI_SPOT_DURATION] = str(policy.spot_protection_hours)
        if policy.spot_graceful_eviction:
            annotations[ECI_SPOT_RELEASE_STRATEGY] = "api-evict"
    if policy.image_cache:
        annotations[ECI_AUTO_IMAGE_CACHE] = "true"
    return annotations


def node_selector(unit: ElasticUnit) -> dict[str, str]:
    """The virtual node for an ECI unit, the node pool for an ECS unit."""
    if unit.is_eci:
        return dict(VIRTUAL_KUBELET_SELECTOR)
    assert unit.node_pool_id is not None
    return {NODE_POOL_LABEL: unit.node_pool_id}


def tolerations(unit: ElasticUnit) -> list[dict[str, Any]]:
    return [dict(VIRTUAL_KUBELET_TOLERATION)] if unit.is_eci else []
