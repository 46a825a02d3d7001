"""The ElasticWorkload: on-demand ECI first, spot ECI after, as ordered elastic units."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.naming import (
    ECI_AUTO_IMAGE_CACHE,
    ECI_RAM_ROLE,
    ECI_SPOT_DURATION,
    ECI_SPOT_PRICE_LIMIT,
    ECI_SPOT_RELEASE_STRATEGY,
    ECI_SPOT_STRATEGY,
    ECI_USE_SPECS,
    MANAGED_BY,
    NODE_POOL_LABEL,
    VIRTUAL_KUBELET_ANNOTATION,
    VIRTUAL_KUBELET_SELECTOR,
    VIRTUAL_KUBELET_TOLERATION,
)

EW_API_VERSION = "autoscaling.alibabacloud.com/v1beta1"
EW_KIND = "ElasticWorkload"


@dataclass(frozen=True)
class UnitSpec:
    """One elastic unit: where pods go once the units before it are full."""

    name: str
    """Unit name, unique within the model."""
    max: int
    """Most pods in this unit."""
    min: int = 0
    """Fewest pods in this unit (elasticWorkload mode)."""
    resource: str = "eci"
    """``eci`` (the virtual node) or ``ecs`` (a node pool)."""
    specs: tuple[str, ...] = ()
    """ECI instance types, in order of preference."""
    node_pool_id: str | None = None
    """Node pool of an ``ecs`` unit."""
    spot_strategy: str | None = None
    """``SpotAsPriceGo`` or ``SpotWithPriceLimit``; ``None`` for on-demand."""
    price_limit: float | None = None
    """Hourly price limit with ``SpotWithPriceLimit``."""

    @property
    def is_spot(self) -> bool:
        return self.spot_strategy is not None

    @property
    def is_eci(self) -> bool:
        return self.resource == "eci"


@dataclass(frozen=True)
class PodPolicy:
    """What every ECI pod of a model carries, whatever unit it lands in."""

    spot_protection_hours: int = 1
    """Hours a spot instance is protected from reclaim after it starts (ECI: 0 or 1)."""
    spot_graceful_eviction: bool = True
    """On SpotToBeReleased, ECI evicts the pod through the Eviction API (PDB and grace period apply)."""
    image_cache: bool = False
    """Let ECI match the model's ImageCache when it creates the pod."""
    ram_role_name: str | None = None
    """RAM role ECI attaches to the instance (``k8s.aliyun.com/eci-ram-role-name``), so that it can mount the model
    volume with the role the PV names in ``ramRole`` (stackconfig/volume_auth.py)."""


def pod_annotations(unit: UnitSpec, policy: PodPolicy) -> dict[str, str]:
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
    if policy.ram_role_name is not None:
        annotations[ECI_RAM_ROLE] = policy.ram_role_name
    return annotations


def node_selector(unit: UnitSpec) -> dict[str, str]:
    """The virtual node for an ECI unit, the node pool for an ECS unit."""
    if unit.is_eci:
        return dict(VIRTUAL_KUBELET_SELECTOR)
    assert unit.node_pool_id is not None
    return {NODE_POOL_LABEL: unit.node_pool_id}


def tolerations(unit: UnitSpec) -> list[dict[str, Any]]:
    """The virtual node's taint is tolerated by ECI units only."""
    return [dict(VIRTUAL_KUBELET_TOLERATION)] if unit.is_eci else []


class ElasticScalingArgs(TypedDict):
    """Inputs of :class:`ElasticScaling`."""

    namespace: pulumi.Input[str]
    """Namespace of the ElasticWorkload (the source Deployment's)."""
    workload_name: str
    """Name of the ElasticWorkload."""
    source_deployment: pulumi.Input[str]
    """The Deployment the Seldon operator creates."""
    source_min: int
    """Replicas kept on the source Deployment at least."""
    source_max: int
    """Replicas the source Deployment holds before the units fill."""
    initial_replicas: int
    """Total replicas when the ElasticWorkload is created (the HPA's minimum); the HPA owns the count afterwards."""
    units: Sequence[UnitSpec]
    """Ordered units: pods go to the first with room."""
    pod_policy: PodPolicy
    """Spot protection, graceful eviction and image cache settings of the model's ECI pods."""
    depends_on: Sequence[pulumi.Resource]
    """What must exist first: the elastic-workload controller and the virtual node."""


def unit_spec(unit: UnitSpec, policy: PodPolicy) -> dict[str, Any]:
    """One ``elasticUnit`` entry: an ECI unit on the virtual node (on-demand or spot) or an ECS node pool."""
    spec: dict[str, Any] = {"name": unit.name}
    annotations = pod_annotations(unit, policy)
    if annotations:
        spec["annotations"] = annotations
    spec["nodeSelector"] = node_selector(unit)
    if tolerations(unit):
        spec["tolerations"] = tolerations(unit)
    spec.update({"min": unit.min, "max": unit.max})
    return spec


class ElasticScaling(pulumi.ComponentResource):
    """ElasticWorkload whose ``sourceTarget`` is the Seldon Deployment.

    ``spec.replicas`` is the HPA's to change: Pulumi ignores later changes to it instead of fighting the autoscaler.
    """

    workload_name: pulumi.Output[str]
    """Name of the ElasticWorkload (the HPA's target)."""
    api_version: pulumi.Output[str]
    """Its apiVersion."""
    kind: pulumi.Output[str]
    """Its kind."""

    def __init__(self, name: str, args: ElasticScalingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eci-inference:index:ElasticScaling", name, None, opts)
        ew = k8s.apiextensions.CustomResource(
            f"{name}-ew",
            api_version=EW_API_VERSION,
            kind=EW_KIND,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args["workload_name"],
                namespace=args["namespace"],
                labels=MANAGED_BY,
            ),
            spec={
                "sourceTarget": {
                    "name": args["source_deployment"],
                    "kind": "Deployment",
                    "apiVersion": "apps/v1",
                    "min": args["source_min"],
                    "max": args["source_max"],
                },
                "replicas": args["initial_replicas"],
                "elasticUnit": [unit_spec(u, args["pod_policy"]) for u in args["units"]],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args["depends_on"]), ignore_changes=["spec.replicas"]),
        )
        self.workload_name = ew.urn.apply(lambda _: args["workload_name"])
        self.api_version = pulumi.Output.from_input(EW_API_VERSION)
        self.kind = pulumi.Output.from_input(EW_KIND)
        self.register_outputs({"workload_name": self.workload_name, "api_version": self.api_version, "kind": self.kind})
