"""ACK's custom elastic resource priority scheduling: a ResourcePolicy with ordered units."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.elastic_scaling import PodPolicy, UnitSpec, node_selector, pod_annotations
from components.naming import MANAGED_BY, UNIT_LABEL, VIRTUAL_KUBELET_ANNOTATION

RP_API_VERSION = "scheduling.alibabacloud.com/v1alpha1"
RP_KIND = "ResourcePolicy"


class ResourcePolicyScalingArgs(TypedDict):
    """Inputs of :class:`ResourcePolicyScaling`."""

    namespace: pulumi.Input[str]
    """Namespace of the ResourcePolicy (it selects pods of this namespace only)."""
    policy_name: str
    """Name of the ResourcePolicy."""
    selector: Mapping[str, pulumi.Input[str]]
    """Pod labels that select exactly the predictor's pods."""
    units: Sequence[UnitSpec]
    """Ordered units: the scheduler fills the first with room; scale-in removes pods in reverse order."""
    pod_policy: PodPolicy
    """Spot protection, graceful eviction and image cache settings of the model's ECI pods."""
    depends_on: Sequence[pulumi.Resource]
    """What must exist first: the virtual node."""


def unit_spec(unit: UnitSpec, policy: PodPolicy) -> dict[str, Any]:
    """One ``units`` entry: ``resource: eci`` with its pod annotations, or ``resource: ecs`` on a node pool."""
    spec: dict[str, Any] = {"resource": unit.resource}
    if not unit.is_eci:
        spec["nodeSelector"] = node_selector(unit)
    spec["max"] = unit.max
    spec["podLabels"] = {UNIT_LABEL: unit.name}
    annotations = pod_annotations(unit, policy)
    annotations.pop(VIRTUAL_KUBELET_ANNOTATION, None)
    if annotations:
        spec["podAnnotations"] = annotations
    return spec


class ResourcePolicyScaling(pulumi.ComponentResource):
    """A ResourcePolicy over the predictor's pods; the HPA scales the Seldon Deployment itself."""

    policy_name: pulumi.Output[str]
    """Name of the ResourcePolicy."""

    def __init__(self, name: str, args: ResourcePolicyScalingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eci-inference:index:ResourcePolicyScaling", name, None, opts)
        policy = k8s.apiextensions.CustomResource(
            f"{name}-rp",
            api_version=RP_API_VERSION,
            kind=RP_KIND,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args["policy_name"], namespace=args["namespace"], labels=MANAGED_BY),
            spec={
                "selector": dict(args["selector"]),
                "strategy": "prefer",
                "units": [unit_spec(u, args["pod_policy"]) for u in args["units"]],
                "ignorePreviousPod": False,
                "ignoreTerminatingPod": True,
                "matchLabelKeys": ["pod-template-hash"],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args["depends_on"])),
        )
        self.policy_name = policy.urn.apply(lambda _: args["policy_name"])
        self.register_outputs({"policy_name": self.policy_name})
