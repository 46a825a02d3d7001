"""The ElasticWorkload: on-demand ECI first, spot ECI after, as ordered elastic units."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.config import ElasticUnit
from components.units import PodPolicy, node_selector, pod_annotations, tolerations

EW_API_VERSION = "autoscaling.alibabacloud.com/v1beta1"
EW_KIND = "ElasticWorkload"


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
    pod_policy: PodPolicy
    """Spot protection, graceful eviction and image cache settings of the model's ECI pods."""
    depends_on: Sequence[pulumi.Resource]
    """What must exist first: the elastic-workload controller and the virtual node."""


def unit_spec(unit: ElasticUnit, policy: PodPolicy) -> dict[str, Any]:
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
                "elasticUnit": [unit_spec(u, args["pod_policy"]) for u in args["units"]],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args["depends_on"]), ignore_changes=["spec.replicas"]),
        )
        self.workload_name = ew.urn.apply(lambda _: args["workload_name"])
        self.api_version = pulumi.Output.from_input(EW_API_VERSION)
        self.kind = pulumi.Output.from_input(EW_KIND)
        self.register_outputs({"workload_name": self.workload_name, "api_version": self.api_version, "kind": self.kind})
