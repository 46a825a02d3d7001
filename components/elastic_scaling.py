"""The ElasticWorkload: on-demand ECI first, spot ECI after, as ordered elastic units."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.config import ElasticUnit

EW_API_VERSION = "autoscaling.alibabacloud.com/v1beta1"
EW_KIND = "ElasticWorkload"
VIRTUAL_KUBELET_SELECTOR = {"type": "virtual-kubelet"}
VIRTUAL_KUBELET_TOLERATION = {"key": "virtual-kubelet.io/provider", "operator": "Exists"}
VIRTUAL_KUBELET_ANNOTATION = "virtual-kubelet"
ECI_USE_SPECS = "k8s.aliyun.com/eci-use-specs"
ECI_SPOT_STRATEGY = "k8s.aliyun.com/eci-spot-strategy"
ECI_SPOT_PRICE_LIMIT = "k8s.aliyun.com/eci-spot-price-limit"


class ElasticScalingArgs(TypedDict):
    """Inputs of :class:`ElasticScaling`."""

    namespace: str
    """Namespace of the ElasticWorkload (the source Deployment's)."""
    workload_name: str
    """Name of the ElasticWorkload."""
    source_deployment: pulumi.Input[str]
    """The Deployment the Seldon operator creates."""
    source_min: int
    """Replicas kept on the source Deployment at least."""
    source_max: int
    """Replicas the source Deployment holds before the units fill."""
    replicas: int
    """Initial total replicas; the HPA owns the count afterwards."""
    units: Sequence[ElasticUnit]
    """Ordered units: pods go to the first with room."""
    depends_on: Sequence[pulumi.Resource]
    """What must exist first: the elastic-workload controller and the virtual node."""


def unit_spec(unit: ElasticUnit) -> dict[str, Any]:
    """One ``elasticUnit`` entry: an ECI unit on the virtual node, on-demand or spot."""
    annotations = {VIRTUAL_KUBELET_ANNOTATION: "true", ECI_USE_SPECS: ",".join(unit.specs)}
    if unit.spot_strategy is not None:
        annotations[ECI_SPOT_STRATEGY] = unit.spot_strategy
    if unit.price_limit is not None:
        annotations[ECI_SPOT_PRICE_LIMIT] = f"{unit.price_limit:g}"
    return {
        "name": unit.name,
        "annotations": annotations,
        "nodeSelector": dict(VIRTUAL_KUBELET_SELECTOR),
        "tolerations": [dict(VIRTUAL_KUBELET_TOLERATION)],
        "min": unit.min,
        "max": unit.max,
    }


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
                labels={"app.kubernetes.io/managed-by": "pulumi"},
            ),
            spec={
                "sourceTarget": {
                    "name": args["source_deployment"],
                    "kind": "Deployment",
                    "apiVersion": "apps/v1",
                    "min": args["source_min"],
                    "max": args["source_max"],
                },
                "replicas": args["replicas"],
                "elasticUnit": [unit_spec(u) for u in args["units"]],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args["depends_on"]), ignore_changes=["spec.replicas"]),
        )
        self.workload_name = ew.urn.apply(lambda _: args["workload_name"])
        self.api_version = pulumi.Output.from_input(EW_API_VERSION)
        self.kind = pulumi.Output.from_input(EW_KIND)
        self.register_outputs({"workload_name": self.workload_name, "api_version": self.api_version, "kind": self.kind})
