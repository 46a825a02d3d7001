"""Scheduled scaling: ACK's CronHPA raising the HPA's floor before a known peak, as ACK documents it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.naming import MANAGED_BY

CRONHPA_API_VERSION = "autoscaling.alibabacloud.com/v1beta1"
CRONHPA_KIND = "CronHorizontalPodAutoscaler"


class CronJob(TypedDict):
    """One CronHPA job."""

    name: str
    """Job name, unique within the CronHPA."""
    schedule: str
    """Six-field cron expression (seconds first) in the controller's time zone."""
    target_size: int
    """What the controller does with it at that time (``ScaleHPA`` in kubernetes-cronhpa-controller
    ``pkg/controller/cronjob.go``): it raises the HPA's ``maxReplicas`` to it when it is above, and sets
    ``minReplicas`` to it when the HPA's current count is below it; it is not a floor that lasts until the next job."""


class ScheduledScalingArgs(TypedDict):
    """Inputs of :class:`ScheduledScaling`."""

    namespace: pulumi.Input[str]
    """Namespace of the HPA."""
    cron_name: str
    """Name of the CronHorizontalPodAutoscaler."""
    hpa_name: pulumi.Input[str]
    """The HPA it adjusts (never the workload: the two would overwrite each other)."""
    jobs: Sequence[CronJob]
    """The jobs, in order."""
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
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args["cron_name"], namespace=args["namespace"], labels=MANAGED_BY),
            spec={
                "scaleTargetRef": {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "name": args["hpa_name"]},
                "jobs": [
                    {"name": job["name"], "schedule": job["schedule"], "targetSize": job["target_size"], "runOnce": False}
                    for job in args["jobs"]
                ],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args["depends_on"])),
        )
        self.cron_name = cron.urn.apply(lambda _: args["cron_name"])
        self.register_outputs({"cron_name": self.cron_name})
