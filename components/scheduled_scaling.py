"""Scheduled scaling: ACK's CronHPA raising the HPA's floor before a known peak, as ACK documents it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.config import Schedule

CRONHPA_API_VERSION = "autoscaling.alibabacloud.com/v1beta1"
CRONHPA_KIND = "CronHorizontalPodAutoscaler"


class ScheduledScalingArgs(TypedDict):
    """Inputs of :class:`ScheduledScaling`."""

    namespace: str
    """Namespace of the HPA."""
    cron_name: str
    """Name of the CronHorizontalPodAutoscaler."""
    hpa_name: pulumi.Input[str]
    """The HPA it adjusts (never the workload: the two would overwrite each other)."""
    schedules: Sequence[Schedule]
    """Jobs: from each schedule on, the HPA keeps at least ``min_replicas``."""
    depends_on: Sequence[pulumi.Resource]
    """What must exist first: the cronhpa controller."""


class ScheduledScaling(pulumi.ComponentResource):
    """A CronHPA whose ``scaleTargetRef`` is the HPA: it moves the HPA's bounds and the HPA scales the pods."""

    cron_name: pulumi.Output[str]
    """Name of the CronHPA."""

    def __init__(self, name: str, args: ScheduledScalingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eci-inference:index:ScheduledScaling", name, None, opts)
        cron = k8s.apiextensions.CustomResource(
            f"{name}-cronhpa",
            api_version=CRONHPA_API_VERSION,
            kind=CRONHPA_KIND,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args["cron_name"], namespace=args["namespace"], labels={"app.kubernetes.io/managed-by": "pulumi"}
            ),
            spec={
                "scaleTargetRef": {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "name": args["hpa_name"]},
                "jobs": [
                    {"name": s.name, "schedule": s.cron, "targetSize": s.min_replicas, "runOnce": False}
                    for s in args["schedules"]
                ],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args["depends_on"])),
        )
        self.cron_name = cron.urn.apply(lambda _: args["cron_name"])
        self.register_outputs({"cron_name": self.cron_name})
