"""Collection of the Ingress controller's access logs into SLS, which the HPA's QPS metric is computed from.

ACK's metrics adapter computes ``sls_ingress_qps`` by querying the logstore the NGINX Ingress controller's access logs
are collected into (alibaba-cloud-metrics-adapter ``pkg/metrics/sls/ingress.go``: ``count(1) / 15`` over the 15 s
ending 10 s ago, per ``proxy_upstream_name``). ACK documents the collection as an ``AliyunLogConfig``
(``log.alibabacloud.com/v1alpha1``) named ``k8s-nginx-ingress`` in ``kube-system``, handled by the logtail-ds add-on's
alibaba-log-controller (ACK, "Troubleshoot NGINX Ingress issues", the ``k8s-nginx-ingress.yaml`` it has you apply).
A cluster created with log collection already has that object; this component creates it for one that does not.

SLS now recommends ``ClusterAliyunPipelineConfig`` (``telemetry.alibabacloud.com/v1alpha1``) over ``AliyunLogConfig``
(SLS, "[Recommended] Use AliyunPipelineConfig to manage collection configurations"; "AliyunPipelineConfig parameters":
the loongcollector-operator syncs it). This component stays on ``AliyunLogConfig`` on purpose: it is what ACK's page
above applies and what the logtail-ds add-on serves (SLS, "Use AliyunLogConfig to manage a Logtail configuration",
2024-09-18: "the Logtail components installed in an ACK cluster do not support AliyunPipelineConfig"), and no schema of
the new CRD is vendored in ``schemas/``. Switching needs a cluster on loongcollector; see docs/not-verified.md.
"""

from __future__ import annotations

from typing import Any, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.naming import MANAGED_BY

LOG_CONFIG_API_VERSION = "log.alibabacloud.com/v1alpha1"
LOG_CONFIG_KIND = "AliyunLogConfig"
LOG_CONFIG_NAME = "k8s-nginx-ingress"
"""The name ACK's documentation gives it; its Logtail config name must equal it."""
CONTROLLER_CONTAINER = "nginx-ingress-controller"
ACCESS_LOG_KEYS = [
    "client_ip", "x_forward_for", "remote_user", "time", "method", "url", "version", "status", "body_bytes_sent",
    "http_referer", "http_user_agent", "request_length", "request_time", "proxy_upstream_name", "upstream_addr",
    "upstream_response_length", "upstream_response_time", "upstream_status", "req_id", "host",
    "proxy_alternative_upstream_name",
]  # fmt: skip
ACCESS_LOG_REGEX = (
    r'^(\S+)\s-\s\[([^]]+)]\s-\s(\S+)\s\[(\S+)\s\S+\s"(\w+)\s(\S+)\s([^"]+)"\s(\d+)\s(\d+)\s"([^"]*)"\s"([^"]*)"\s(\S+)'
    r"\s(\S+)+\s\[([^]]*)]\s(\S+)\s(\S+)\s(\S+)\s(\S+)\s(\S+)\s*(\S*)\s*\[*([^]]*)\]*.*"
)
"""The documented parser: it matches the controller's ``log-format-upstream`` that ACK configures."""


class IngressAccessLogsArgs(TypedDict):
    """Inputs of :class:`IngressAccessLogs`."""

    project: str
    """SLS project of the logstore (the HPA's ``sls.project``)."""
    logstore: str
    """Logstore the access logs go to (the HPA's ``sls.logstore``)."""


def log_config_spec(project: str, logstore: str) -> dict[str, Any]:
    """The ``spec`` ACK documents for the NGINX Ingress access logs, in the project the HPA reads."""
    return {
        "project": project,
        "logstore": logstore,
        "productCode": LOG_CONFIG_NAME,
        "logtailConfig": {
            "inputType": "plugin",
            "configName": LOG_CONFIG_NAME,
            "inputDetail": {
                "plugin": {
                    "inputs": [
                        {
                            "type": "service_docker_stdout",
                            "detail": {
                                "IncludeLabel": {"io.kubernetes.container.name": CONTROLLER_CONTAINER},
                                "Stderr": False,
                                "Stdout": True,
                            },
                        }
                    ],
                    "processors": [
                        {
                            "type": "processor_regex",
                            "detail": {
                                "KeepSource": False,
                                "Keys": ACCESS_LOG_KEYS,
                                "NoKeyError": True,
                                "NoMatchError": True,
                                "Regex": ACCESS_LOG_REGEX,
                                "SourceKey": "content",
                            },
                        }
                    ],
                }
            },
        },
    }


class IngressAccessLogs(pulumi.ComponentResource):
    """The ``AliyunLogConfig`` that collects the NGINX Ingress controller's access logs into the logstore."""

    log_config_name: pulumi.Output[str]
    """Name of the AliyunLogConfig."""

    def __init__(self, name: str, args: IngressAccessLogsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eci-inference:index:IngressAccessLogs", name, None, opts)
        config = k8s.apiextensions.CustomResource(
            f"{name}-logconfig",
            api_version=LOG_CONFIG_API_VERSION,
            kind=LOG_CONFIG_KIND,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=LOG_CONFIG_NAME, namespace="kube-system", labels=MANAGED_BY),
            spec=log_config_spec(args["project"], args["logstore"]),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.log_config_name = config.urn.apply(lambda _: LOG_CONFIG_NAME)
        self.register_outputs({"log_config_name": self.log_config_name})
