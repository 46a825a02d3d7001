"""The HPA that scales on the Ingress QPS that ACK's metrics adapter reads from SLS.

The adapter counts the ingress log lines whose ``proxy_upstream_name`` is the ``sls.ingress.route`` label
(alibaba-cloud-metrics-adapter ``pkg/metrics/sls/ingress.go``, ``getSLSIngressQuery``: ``* and proxy_upstream_name:
<route> | SELECT count(1) / <interval>``). ingress-nginx logs a request it sends to a canary backend under the
primary backend's ``proxy_upstream_name`` and names the canary only in ``proxy_alternative_upstream_name``
(``rootfs/etc/nginx/lua/balancer.lua``, ``get_balancer``). So no series counts a canary's requests alone: a canary's
HPA reads the host's route, the whole host's QPS, and scales on its share of it (``traffic_share``): with
``averageValue = targetQps * 100 / share`` the HPA asks for ``ceil(host QPS * share / 100 / targetQps)`` replicas,
which is the side's own QPS over ``targetQps`` when ingress-nginx splits by the weight.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.naming import MANAGED_BY

QPS_METRIC = "sls_ingress_qps"


class ScaleTarget(TypedDict):
    """What the HPA scales."""

    api_version: pulumi.Input[str]
    """apiVersion of the target."""
    kind: pulumi.Input[str]
    """kind of the target."""
    name: pulumi.Input[str]
    """name of the target."""


class QpsAutoscalerArgs(TypedDict):
    """Inputs of :class:`QpsAutoscaler`."""

    namespace: pulumi.Input[str]
    """Namespace of the HPA (its target's)."""
    hpa_name: str
    """Name of the HPA."""
    target: ScaleTarget
    """The ElasticWorkload (or Deployment) it scales."""
    sls_project: str
    """Log project with the ingress logs (``sls.project``)."""
    sls_logstore: str
    """Logstore of the ingress logs (``sls.logstore``)."""
    route: pulumi.Input[str]
    """``sls.ingress.route`` of the Ingress backend, ``<namespace>-<service>-<port>``."""
    min_replicas: int
    """Fewest replicas."""
    max_replicas: int
    """Most replicas."""
    target_qps: int
    """QPS per replica above which it scales out."""
    traffic_share: int
    """Percentage (1-100) of the route's requests the scaled pods receive (100 but for a canary; module doc)."""
    scale_up_stabilization_seconds: int
    """Window over which scale-up recommendations are compared."""
    scale_down_stabilization_seconds: int
    """Window over which scale-down recommendations are compared; long enough not to flap."""
    scale_up_pods: int
    """Pods the HPA may add per :data:`SCALE_UP_PERIOD_SECONDS` (the larger of this and ``scale_up_percent`` wins)."""
    scale_up_percent: int
    """Percent of the current pods the HPA may add per :data:`SCALE_UP_PERIOD_SECONDS`."""
    scale_down_percent: int
    """Percent of the current pods the HPA may remove per :data:`SCALE_DOWN_PERIOD_SECONDS`."""
    scheduled: bool
    """A CronHPA moves this HPA's bounds on schedule; Pulumi then leaves minReplicas/maxReplicas to it."""
    depends_on: Sequence[pulumi.Resource]
    """What must exist first: the metrics adapter."""


SCALE_UP_PERIOD_SECONDS = 15
"""The period of both scale-up policies: the HPA's sync period, so each sync may add that much."""
SCALE_DOWN_PERIOD_SECONDS = 60


def behavior(args: QpsAutoscalerArgs) -> k8s.autoscaling.v2.HorizontalPodAutoscalerBehaviorArgs:
    """Scale-out by the larger of ``scale_up_percent`` % and ``scale_up_pods`` pods per 15 s (defaults: double, or +4),
    scale-in by ``scale_down_percent`` % per minute (default 10 %) after the window."""
    return k8s.autoscaling.v2.HorizontalPodAutoscalerBehaviorArgs(
        scale_up=k8s.autoscaling.v2.HPAScalingRulesArgs(
            stabilization_window_seconds=args["scale_up_stabilization_seconds"],
            select_policy="Max",
            policies=[
                k8s.autoscaling.v2.HPAScalingPolicyArgs(
                    type="Percent", value=args["scale_up_percent"], period_seconds=SCALE_UP_PERIOD_SECONDS
                ),
                k8s.autoscaling.v2.HPAScalingPolicyArgs(
                    type="Pods", value=args["scale_up_pods"], period_seconds=SCALE_UP_PERIOD_SECONDS
                ),
            ],
        ),
        scale_down=k8s.autoscaling.v2.HPAScalingRulesArgs(
            stabilization_window_seconds=args["scale_down_stabilization_seconds"],
            select_policy="Min",
            policies=[
                k8s.autoscaling.v2.HPAScalingPolicyArgs(
                    type="Percent", value=args["scale_down_percent"], period_seconds=SCALE_DOWN_PERIOD_SECONDS
                )
            ],
        ),
    )


def average_value(target_qps: int, traffic_share: int) -> str:
    """The metric's ``averageValue`` for pods that get ``traffic_share`` % of the route's requests (module doc)."""
    if not 1 <= traffic_share <= 100:
        raise ValueError(f"traffic_share must be 1..100, not {traffic_share}")
    return str(-(-target_qps * 100 // traffic_share))


class QpsAutoscaler(pulumi.ComponentResource):
    """``autoscaling/v2`` HPA on the External metric ``sls_ingress_qps``, target AverageValue."""

    hpa_name: pulumi.Output[str]
    """Name of the HPA."""

    def __init__(self, name: str, args: QpsAutoscalerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eci-inference:index:QpsAutoscaler", name, None, opts)
        target = args["target"]
        hpa = k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-hpa",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args["hpa_name"], namespace=args["namespace"], labels=MANAGED_BY),
            spec=k8s.autoscaling.v2.HorizontalPodAutoscalerSpecArgs(
                scale_target_ref=k8s.autoscaling.v2.CrossVersionObjectReferenceArgs(
                    api_version=target["api_version"], kind=target["kind"], name=target["name"]
                ),
                min_replicas=args["min_replicas"],
                max_replicas=args["max_replicas"],
                metrics=[
                    k8s.autoscaling.v2.MetricSpecArgs(
                        type="External",
                        external=k8s.autoscaling.v2.ExternalMetricSourceArgs(
                            metric=k8s.autoscaling.v2.MetricIdentifierArgs(
                                name=QPS_METRIC,
                                selector=k8s.meta.v1.LabelSelectorArgs(
                                    match_labels={
                                        "sls.project": args["sls_project"],
                                        "sls.logstore": args["sls_logstore"],
                                        "sls.ingress.route": args["route"],
                                    }
                                ),
                            ),
                            target=k8s.autoscaling.v2.MetricTargetArgs(
                                type="AverageValue", average_value=average_value(args["target_qps"], args["traffic_share"])
                            ),
                        ),
                    )
                ],
                behavior=behavior(args),
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=list(args["depends_on"]),
                ignore_changes=["spec.minReplicas", "spec.maxReplicas"] if args["scheduled"] else None,
            ),
        )
        self.hpa_name = hpa.metadata.name
        self.register_outputs({"hpa_name": self.hpa_name})
