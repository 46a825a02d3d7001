"""Components whose objects are compared whole, against objects written out here from the upstream documents.

Each expected object is transcribed from the system that reads it (cited at each test), never produced by the code:
a change to any field, a dropped field or a renamed kind is a failing diff.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.addons import AckAddons, AddonSpec
from components.disruption_budget import PredictorDisruptionBudget
from components.elastic_scaling import ElasticScaling, PodPolicy, UnitSpec
from components.image_cache import ModelImageCache
from components.inference_service import InferenceService
from components.ingress import ModelIngress
from components.ingress_logs import ACCESS_LOG_KEYS, ACCESS_LOG_REGEX, IngressAccessLogs
from components.model_bucket import ModelBucket
from components.model_store import ModelStore
from components.model_volume import AccessKeyCredentials, ModelVolume
from components.namespace import ServingNamespace
from components.qps_autoscaler import QpsAutoscaler
from components.resource_policy import ResourcePolicyScaling
from components.scheduled_scaling import CronJob, ScheduledScaling
from tools.mockrun import Run, run_program

MANAGED = {"app.kubernetes.io/managed-by": "pulumi"}


class _Outer(pulumi.ComponentResource):
    def __init__(self) -> None:
        super().__init__("test:index:Outer", "outer")


def run(build: Callable[[pulumi.ResourceOptions, list[pulumi.Resource]], dict[str, Any]]) -> Run:
    """Build a component under an outer component passed in its options, so the options it was given are checked, with
    one add-on stand-in (a ConfigMap named ``addon``) to wait for."""

    def program() -> None:
        addon = k8s.core.v1.ConfigMap("addon")
        for key, value in build(pulumi.ResourceOptions(parent=_Outer()), [addon]).items():
            pulumi.export(key, value)

    return run_program(program, {})


def waits_for_the_addon(result: Run, child: Any) -> bool:
    """Whether ``child`` was registered with the add-on stand-in in its ``depends_on``."""
    return result.one("kubernetes:core/v1:ConfigMap").urn in child.dependencies


def component(result: Run, type_: str, outputs: dict[str, Any]) -> Any:
    """The component of this type, registered under the outer component it was given, with these outputs stored."""
    registered = result.one(type_)
    assert registered.parent == result.one("test:index:Outer").urn, "the options the component was given are lost"
    assert result.registered_outputs[registered.urn] == outputs
    return registered


def test_the_access_log_config_is_the_one_ack_documents_whole() -> None:
    """ACK, "Troubleshoot NGINX Ingress issues": the ``k8s-nginx-ingress.yaml`` AliyunLogConfig, in our project."""
    result = run(
        lambda o, _: {"name": IngressAccessLogs("logs", {"project": "proj-1", "logstore": "store-1"}, o).log_config_name}
    )
    owner = component(result, "eci-inference:index:IngressAccessLogs", {"log_config_name": "k8s-nginx-ingress"})
    (config,) = result.of_type("kubernetes:log.alibabacloud.com/v1alpha1:AliyunLogConfig")
    assert config.parent == owner.urn
    assert config.kubernetes_manifest == {
        "apiVersion": "log.alibabacloud.com/v1alpha1",
        "kind": "AliyunLogConfig",
        "metadata": {"name": "k8s-nginx-ingress", "namespace": "kube-system", "labels": MANAGED},
        "spec": {
            "project": "proj-1",
            "logstore": "store-1",
            "productCode": "k8s-nginx-ingress",
            "logtailConfig": {
                "inputType": "plugin",
                "configName": "k8s-nginx-ingress",
                "inputDetail": {
                    "plugin": {
                        "inputs": [
                            {
                                "type": "service_docker_stdout",
                                "detail": {
                                    "IncludeLabel": {"io.kubernetes.container.name": "nginx-ingress-controller"},
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
        },
    }
    assert result.outputs == {"name": "k8s-nginx-ingress"}


def test_the_access_log_parser_reads_a_controller_line_field_by_field() -> None:
    """A line in the ``log-format-upstream`` ACK sets on its NGINX Ingress controller (``$remote_addr - [$remote_addr] -
    $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length
    $request_time [$proxy_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time
    $upstream_status $req_id $host [$proxy_alternative_upstream_name]``), parsed as Logtail's processor_regex would:
    the metrics adapter counts requests per ``proxy_upstream_name``, so that field must come out whole."""
    line = (
        '10.0.0.7 - [10.0.0.7] - - [03/Dec/2026:09:00:00 +0800] "POST /seldon/ns/sd/api/v1.0/predictions HTTP/1.1" '
        '200 512 "-" "curl/8.5.0" 320 0.012 [ns-sd-pred-8000] 10.1.2.3:8000 512 0.011 200 '
        "5f2c0e7b9a model.example.com [ns-sd-canary-8000]"
    )
    match = re.match(ACCESS_LOG_REGEX, line)
    assert match is not None
    assert dict(zip(ACCESS_LOG_KEYS, match.groups(), strict=True)) == {
        "client_ip": "10.0.0.7", "x_forward_for": "10.0.0.7", "remote_user": "-", "time": "03/Dec/2026:09:00:00",
        "method": "POST", "url": "/seldon/ns/sd/api/v1.0/predictions", "version": "HTTP/1.1", "status": "200",
        "body_bytes_sent": "512", "http_referer": "-", "http_user_agent": "curl/8.5.0", "request_length": "320",
        "request_time": "0.012", "proxy_upstream_name": "ns-sd-pred-8000", "upstream_addr": "10.1.2.3:8000",
        "upstream_response_length": "512", "upstream_response_time": "0.011", "upstream_status": "200",
        "req_id": "5f2c0e7b9a", "host": "model.example.com", "proxy_alternative_upstream_name": "ns-sd-canary-8000",
    }  # fmt: skip


def test_the_cronhpa_targets_the_hpa_with_each_job_whole() -> None:
    """kubernetes-cronhpa-controller's CronHorizontalPodAutoscaler (``autoscaling.alibabacloud.com/v1beta1``): jobs
    of name, six-field schedule, targetSize and runOnce; scaleTargetRef is the HPA (ACK: "CronHPA and HPA together")."""
    jobs: list[CronJob] = [
        {"name": "morning", "schedule": "0 0 8 * * *", "target_size": 6},
        {"name": "night", "schedule": "0 0 22 * * *", "target_size": 1},
    ]
    result = run(
        lambda o, deps: {
            "cron": ScheduledScaling(
                "s", {"namespace": "ns", "cron_name": "cron-1", "hpa_name": "hpa-1", "jobs": jobs, "depends_on": deps}, o
            ).cron_name
        }
    )
    owner = component(result, "eci-inference:index:ScheduledScaling", {"cron_name": "cron-1"})
    cron = result.one("kubernetes:autoscaling.alibabacloud.com/v1beta1:CronHorizontalPodAutoscaler")
    assert cron.parent == owner.urn and waits_for_the_addon(result, cron)
    assert cron.kubernetes_manifest == {
        "apiVersion": "autoscaling.alibabacloud.com/v1beta1",
        "kind": "CronHorizontalPodAutoscaler",
        "metadata": {"name": "cron-1", "namespace": "ns", "labels": MANAGED},
        "spec": {
            "scaleTargetRef": {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "name": "hpa-1"},
            "jobs": [
                {"name": "morning", "schedule": "0 0 8 * * *", "targetSize": 6, "runOnce": False},
                {"name": "night", "schedule": "0 0 22 * * *", "targetSize": 1, "runOnce": False},
            ],
        },
    }
    assert result.outputs == {"cron": "cron-1"}


@pytest.mark.parametrize(("retention", "extra"), [(7, {"retentionDays": 7}), (None, {})])
def test_the_image_cache_is_eci_s_object_whole_with_and_without_retention(retention: int | None, extra: dict[str, int]) -> None:
    """ECI's ImageCache CRD (``eci.alibabacloud.com/v1``, cluster-scoped): ``images``, ``imageCacheSize`` in GiB and
    ``retentionDays`` only when a retention is set (ECI keeps the cache until deleted without it)."""
    result = run(
        lambda o, deps: {
            "cache": ModelImageCache(
                "c",
                {"cache_name": "ic-1", "images": ["a:1", "b:2"], "size_gib": 30, "retention_days": retention, "depends_on": deps},
                o,
            ).cache_name
        }
    )
    owner = component(result, "eci-inference:index:ModelImageCache", {"cache_name": "ic-1"})
    cache = result.one("kubernetes:eci.alibabacloud.com/v1:ImageCache")
    assert cache.parent == owner.urn and waits_for_the_addon(result, cache)
    assert cache.kubernetes_manifest == {
        "apiVersion": "eci.alibabacloud.com/v1",
        "kind": "ImageCache",
        "metadata": {"name": "ic-1", "labels": MANAGED},
        "spec": {"images": ["a:1", "b:2"], "imageCacheSize": 30, **extra},
    }
    assert result.outputs == {"cache": "ic-1"}


def test_the_resource_policy_is_acks_object_whole() -> None:
    """ACK, "Custom elastic resource priority scheduling": a ResourcePolicy (``scheduling.alibabacloud.com/v1alpha1``)
    with ``strategy: prefer``, units in order (an ``ecs`` unit by node pool label, ``eci`` units with the ECI
    annotations, never the virtual-kubelet one: the unit's ``resource: eci`` places it), terminating pods ignored and
    ``matchLabelKeys: [pod-template-hash]`` so a rollout counts its new pods from the first unit again."""
    units = [
        UnitSpec(name="pool", resource="ecs", node_pool_id="np-1", max=2),
        UnitSpec(name="od", specs=("ecs.gn6i-c4g1.xlarge",), max=3),
        UnitSpec(name="spot", specs=("ecs.gn6i-c4g1.xlarge", "ecs.gn6i-c8g1.2xlarge"), max=10,
                 spot_strategy="SpotWithPriceLimit", price_limit=1.25),
    ]  # fmt: skip
    policy = PodPolicy(spot_protection_hours=1, spot_graceful_eviction=True, image_cache=True, ram_role_name="reader")
    result = run(
        lambda o, deps: {
            "policy": ResourcePolicyScaling(
                "r", {"namespace": "ns", "policy_name": "rp-1", "selector": {"app": "m"}, "units": units,
                      "pod_policy": policy, "depends_on": deps}, o,
            ).policy_name
        }
    )  # fmt: skip
    owner = component(result, "eci-inference:index:ResourcePolicyScaling", {"policy_name": "rp-1"})
    rp = result.one("kubernetes:scheduling.alibabacloud.com/v1alpha1:ResourcePolicy")
    assert rp.parent == owner.urn and waits_for_the_addon(result, rp)
    common = {"k8s.aliyun.com/eci-auto-imc": "true", "k8s.aliyun.com/eci-ram-role-name": "reader"}
    assert rp.kubernetes_manifest == {
        "apiVersion": "scheduling.alibabacloud.com/v1alpha1",
        "kind": "ResourcePolicy",
        "metadata": {"name": "rp-1", "namespace": "ns", "labels": MANAGED},
        "spec": {
            "selector": {"app": "m"},
            "strategy": "prefer",
            "units": [
                {"resource": "ecs", "nodeSelector": {"alibabacloud.com/nodepool-id": "np-1"}, "max": 2,
                 "podLabels": {"eci-inference.io/unit": "pool"}},
                {"resource": "eci", "max": 3, "podLabels": {"eci-inference.io/unit": "od"},
                 "podAnnotations": {"k8s.aliyun.com/eci-use-specs": "ecs.gn6i-c4g1.xlarge", **common}},
                {"resource": "eci", "max": 10, "podLabels": {"eci-inference.io/unit": "spot"},
                 "podAnnotations": {"k8s.aliyun.com/eci-use-specs": "ecs.gn6i-c4g1.xlarge,ecs.gn6i-c8g1.2xlarge",
                                    "k8s.aliyun.com/eci-spot-strategy": "SpotWithPriceLimit",
                                    "k8s.aliyun.com/eci-spot-price-limit": "1.25", "k8s.aliyun.com/eci-spot-duration": "1",
                                    "k8s.aliyun.com/eci-spot-release-strategy": "api-evict", **common}},
            ],
            "ignorePreviousPod": False,
            "ignoreTerminatingPod": True,
            "matchLabelKeys": ["pod-template-hash"],
        },
    }  # fmt: skip
    assert result.outputs == {"policy": "rp-1"}


def test_the_hpa_is_the_whole_autoscaling_v2_object_and_leaves_scheduled_bounds_alone() -> None:
    """autoscaling/v2 HPA on ACK's External metric ``sls_ingress_qps`` (alibaba-cloud-metrics-adapter: selected by
    ``sls.project``, ``sls.logstore``, ``sls.ingress.route``), AverageValue; the behavior the module documents: scale-up
    the larger of the percent and the pods given per 15 s, scale-down the percent given per 60 s. A side that gets 30 % of the route's requests
    scales at ceil(7 * 100 / 30) = 24 route QPS per pod. With a CronHPA, Pulumi leaves the bounds it moves."""

    def build(o: pulumi.ResourceOptions, deps: list[pulumi.Resource]) -> dict[str, Any]:
        a = QpsAutoscaler("q", {"namespace": "ns", "hpa_name": "h", "target": {"api_version": "apps/v1", "kind": "Deployment", "name": "d"},
                                "sls_project": "proj", "sls_logstore": "store", "route": "ns-svc-8000", "min_replicas": 2,
                                "max_replicas": 9, "target_qps": 7, "traffic_share": 30, "scale_up_stabilization_seconds": 5,
                                "scale_down_stabilization_seconds": 120, "scale_up_pods": 6, "scale_up_percent": 50,
                                "scale_down_percent": 20, "scheduled": True, "depends_on": deps}, o)  # fmt: skip
        return {"hpa": a.hpa_name}

    result = run(build)
    owner = component(result, "eci-inference:index:QpsAutoscaler", {"hpa_name": "h"})
    hpa = result.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
    assert hpa.parent == owner.urn and waits_for_the_addon(result, hpa)
    assert hpa.ignore_changes == ["spec.minReplicas", "spec.maxReplicas"]
    assert hpa.kubernetes_manifest == {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "h", "namespace": "ns", "labels": MANAGED},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"},
            "minReplicas": 2,
            "maxReplicas": 9,
            "metrics": [
                {
                    "type": "External",
                    "external": {
                        "metric": {
                            "name": "sls_ingress_qps",
                            "selector": {
                                "matchLabels": {
                                    "sls.project": "proj",
                                    "sls.logstore": "store",
                                    "sls.ingress.route": "ns-svc-8000",
                                }
                            },
                        },
                        "target": {"type": "AverageValue", "averageValue": "24"},
                    },
                }
            ],
            "behavior": {
                "scaleUp": {
                    "stabilizationWindowSeconds": 5,
                    "selectPolicy": "Max",
                    "policies": [
                        {"type": "Percent", "value": 50, "periodSeconds": 15},
                        {"type": "Pods", "value": 6, "periodSeconds": 15},
                    ],
                },
                "scaleDown": {
                    "stabilizationWindowSeconds": 120,
                    "selectPolicy": "Min",
                    "policies": [{"type": "Percent", "value": 20, "periodSeconds": 60}],
                },
            },
        },
    }
    assert result.outputs == {"hpa": "h"}


def test_an_unscheduled_hpa_keeps_its_bounds_under_pulumi() -> None:
    result = run(
        lambda o, deps: {
            "hpa": QpsAutoscaler("q", {"namespace": "ns", "hpa_name": "h", "target": {"api_version": "apps/v1", "kind": "Deployment", "name": "d"},
                                       "sls_project": "p", "sls_logstore": "s", "route": "r", "min_replicas": 1, "max_replicas": 1,
                                       "target_qps": 7, "traffic_share": 100, "scale_up_stabilization_seconds": 0,
                                       "scale_down_stabilization_seconds": 0, "scale_up_pods": 4, "scale_up_percent": 100,
                                       "scale_down_percent": 10, "scheduled": False, "depends_on": deps}, o).hpa_name
        }
    )  # fmt: skip
    hpa = result.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
    assert hpa.ignore_changes == []
    assert hpa.inputs["spec"]["metrics"][0]["external"]["target"] == {"type": "AverageValue", "averageValue": "7"}


@pytest.mark.parametrize(("bounds", "written"), [((1, None), {"maxUnavailable": 1}), ((None, 2), {"minAvailable": 2})])
def test_the_budget_is_the_whole_policy_v1_object(bounds: tuple[int | None, int | None], written: dict[str, int]) -> None:
    """policy/v1 PodDisruptionBudget over exactly the predictor's pods; the unset one of the two bounds is absent."""
    result = run(
        lambda o, _: {
            "budget": PredictorDisruptionBudget("b", {"namespace": "ns", "budget_name": "pdb-1", "selector": {"app": "m"},
                                                      "max_unavailable": bounds[0], "min_available": bounds[1]}, o).budget_name
        }
    )  # fmt: skip
    owner = component(result, "eci-inference:index:PredictorDisruptionBudget", {"budget_name": "pdb-1"})
    pdb = result.one("kubernetes:policy/v1:PodDisruptionBudget")
    assert pdb.parent == owner.urn
    assert pdb.kubernetes_manifest == {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "pdb-1", "namespace": "ns", "labels": MANAGED},
        "spec": {"selector": {"matchLabels": {"app": "m"}}, **written},
    }
    assert result.outputs == {"budget": "pdb-1"}


def test_a_canary_ingress_is_the_whole_object_with_ingress_nginx_weight_annotations() -> None:
    """networking.k8s.io/v1 Ingress, one Prefix ``/`` rule to the server's Service port; a canary Ingress carries
    ingress-nginx's ``canary: "true"`` and ``canary-weight`` (docs/user-guide/nginx-configuration/annotations.md#canary).
    The HPA's route is ``<namespace>-<service>-<port>`` (the metrics adapter's ``sls.ingress.route``)."""
    result = run(
        lambda o, _: {
            "url": (i := ModelIngress("i", {"namespace": "ns", "ingress_name": "x-canary", "host": "x.example.com", "service_name": "svc",
                                           "service_port": 8000, "ingress_class": "nginx", "tls_secret": "x-tls", "canary_weight": 0,
                                           "prediction_path": "/api/v1.0/predictions"}, o)).prediction_url,
            "endpoint": i.endpoint_url, "host": i.host, "route": i.route, "name": i.ingress_name,
        }
    )  # fmt: skip
    owner = component(
        result,
        "eci-inference:index:ModelIngress",
        {
            "host": "x.example.com",
            "endpoint_url": "https://x.example.com",
            "prediction_url": "https://x.example.com/api/v1.0/predictions",
            "route": "ns-svc-8000",
        },
    )
    ingress = result.one("kubernetes:networking.k8s.io/v1:Ingress")
    assert ingress.parent == owner.urn
    assert ingress.kubernetes_manifest == {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "x-canary",
            "namespace": "ns",
            "labels": MANAGED,
            "annotations": {"nginx.ingress.kubernetes.io/canary": "true", "nginx.ingress.kubernetes.io/canary-weight": "0"},
        },
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": ["x.example.com"], "secretName": "x-tls"}],
            "rules": [
                {
                    "host": "x.example.com",
                    "http": {
                        "paths": [
                            {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "svc", "port": {"number": 8000}}}}
                        ]
                    },
                }
            ],
        },
    }
    assert result.outputs == {
        "url": "https://x.example.com/api/v1.0/predictions",
        "endpoint": "https://x.example.com",
        "host": "x.example.com",
        "route": "ns-svc-8000",
        "name": "x-canary",
    }


def test_the_images_a_predictor_pod_runs_per_server_kind() -> None:
    """Seldon: the proxy and TF Serving this program writes plus the executor the operator injects; KServe v0.20.0
    adds no container to a custom predictor without a logger, batcher or storage URI, so TF Serving alone."""
    server = {"proxy_image": "proxy:1", "serving_image": "tfs:2.3.0-gpu", "gpu": 1}
    seldon: Any = {"server_kind": "seldon", "server": server, "executor_image": "executor:1.17.1"}
    kserve: Any = {"server_kind": "kserve", "server": server, "executor_image": "executor:1.17.1"}
    assert InferenceService.pod_images(seldon) == ("proxy:1", "tfs:2.3.0-gpu", "executor:1.17.1")
    assert InferenceService.pod_images(kserve) == ("tfs:2.3.0-gpu",)


def test_the_elastic_workload_is_the_whole_object_ack_documents() -> None:
    """ACK's ElasticWorkload (``autoscaling.alibabacloud.com/v1beta1``, "Use ElasticWorkload"): ``sourceTarget`` the
    Deployment with its min/max, ``replicas`` the starting total (Pulumi then leaves it to the HPA), ``elasticUnit`` in
    order. An ECI unit goes to the virtual node (``type: virtual-kubelet``, tolerating ``virtual-kubelet.io/provider``)
    with the ECI annotations; an ECS unit goes to its node pool and carries neither. A spot unit that bids the market
    price has no price limit; without graceful eviction ECI does not evict through the API."""
    units = [
        UnitSpec(name="pool", resource="ecs", node_pool_id="np-1", min=1, max=2),
        UnitSpec(name="od", specs=("ecs.gn6i-c4g1.xlarge",), min=0, max=3),
        UnitSpec(name="spot", specs=("ecs.gn6i-c4g1.xlarge",), min=0, max=8, spot_strategy="SpotAsPriceGo"),
    ]
    policy = PodPolicy(spot_protection_hours=0, spot_graceful_eviction=False)
    result = run(
        lambda o, deps: {
            "name": (e := ElasticScaling("e", {"namespace": "ns", "workload_name": "ew-1", "source_deployment": "dep-1",
                                               "source_min": 0, "source_max": 1, "initial_replicas": 2, "units": units,
                                               "pod_policy": policy, "depends_on": deps}, o)).workload_name,
            "apiVersion": e.api_version, "kind": e.kind,
        }
    )  # fmt: skip
    owner = component(
        result,
        "eci-inference:index:ElasticScaling",
        {"workload_name": "ew-1", "api_version": "autoscaling.alibabacloud.com/v1beta1", "kind": "ElasticWorkload"},
    )
    ew = result.one("kubernetes:autoscaling.alibabacloud.com/v1beta1:ElasticWorkload")
    assert ew.parent == owner.urn and waits_for_the_addon(result, ew)
    assert ew.ignore_changes == ["spec.replicas"]
    on_eci = {
        "nodeSelector": {"type": "virtual-kubelet"},
        "tolerations": [{"key": "virtual-kubelet.io/provider", "operator": "Exists"}],
    }
    assert ew.kubernetes_manifest == {
        "apiVersion": "autoscaling.alibabacloud.com/v1beta1",
        "kind": "ElasticWorkload",
        "metadata": {"name": "ew-1", "namespace": "ns", "labels": MANAGED},
        "spec": {
            "sourceTarget": {"name": "dep-1", "kind": "Deployment", "apiVersion": "apps/v1", "min": 0, "max": 1},
            "replicas": 2,
            "elasticUnit": [
                {"name": "pool", "nodeSelector": {"alibabacloud.com/nodepool-id": "np-1"}, "min": 1, "max": 2},
                {"name": "od", "annotations": {"virtual-kubelet": "true", "k8s.aliyun.com/eci-use-specs": "ecs.gn6i-c4g1.xlarge"},
                 **on_eci, "min": 0, "max": 3},
                {"name": "spot", "annotations": {"virtual-kubelet": "true", "k8s.aliyun.com/eci-use-specs": "ecs.gn6i-c4g1.xlarge",
                                                 "k8s.aliyun.com/eci-spot-strategy": "SpotAsPriceGo",
                                                 "k8s.aliyun.com/eci-spot-duration": "0"},
                 **on_eci, "min": 0, "max": 8},
            ],
        },
    }  # fmt: skip
    assert result.outputs == {"name": "ew-1", "apiVersion": "autoscaling.alibabacloud.com/v1beta1", "kind": "ElasticWorkload"}


def test_the_model_volume_with_an_access_key_is_three_whole_objects() -> None:
    """alibaba-cloud-csi-driver's static OSS volume (docs/oss.md): a PV of driver ``ossplugin.csi.alibabacloud.com``
    whose ``volumeHandle`` is its name, read-only, kept on release (Retain), no storage class; the key pair in a Secret
    of ``akId``/``akSecret`` named by ``nodePublishSecretRef``; a claim bound to exactly that PV."""

    def build(o: pulumi.ResourceOptions, _: list[pulumi.Resource]) -> dict[str, Any]:
        keys: AccessKeyCredentials = {
            "access_key_id": pulumi.Output.secret("id-1"),
            "access_key_secret": pulumi.Output.secret("sk-2"),
        }
        v = ModelVolume("v", {"namespace": "ns", "volume_name": "ns-x-model", "claim_name": "x-model", "secret_name": "x-model-oss",
                              "bucket": "bk", "endpoint": "oss-cn-beijing-internal.aliyuncs.com", "size": "5Gi",
                              "rrsa_role_name": None, "ram_role_name": None, "access_key": keys}, o)  # fmt: skip
        return {"volume": v.volume_name, "claim": v.claim_name}

    result = run(build)
    owner = component(result, "eci-inference:index:ModelVolume", {"volume_name": "ns-x-model", "claim_name": "x-model"})
    labels = {**MANAGED, "app.kubernetes.io/part-of": "x-model"}
    secret = result.one("kubernetes:core/v1:Secret")
    pv = result.one("kubernetes:core/v1:PersistentVolume")
    pvc = result.one("kubernetes:core/v1:PersistentVolumeClaim")
    assert {secret.parent, pv.parent, pvc.parent} == {owner.urn}
    assert secret.kubernetes_manifest == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "x-model-oss", "namespace": "ns", "labels": labels},
        "type": "Opaque",
        "stringData": {"akId": "id-1", "akSecret": "sk-2"},
    }
    assert pv.kubernetes_manifest == {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": "ns-x-model", "labels": labels},
        "spec": {
            "capacity": {"storage": "5Gi"},
            "accessModes": ["ReadOnlyMany"],
            "persistentVolumeReclaimPolicy": "Retain",
            "storageClassName": "",
            "csi": {
                "driver": "ossplugin.csi.alibabacloud.com",
                "volumeHandle": "ns-x-model",
                "readOnly": True,
                "volumeAttributes": {"bucket": "bk", "url": "oss-cn-beijing-internal.aliyuncs.com", "path": "/",
                                     "otherOpts": "-o max_stat_cache_size=0 -o allow_other -o umask=022"},
                "nodePublishSecretRef": {"name": "x-model-oss", "namespace": "ns"},
            },
        },
    }  # fmt: skip
    assert pvc.kubernetes_manifest == {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "x-model", "namespace": "ns", "labels": labels},
        "spec": {
            "accessModes": ["ReadOnlyMany"],
            "storageClassName": "",
            "volumeName": "ns-x-model",
            "resources": {"requests": {"storage": "5Gi"}},
        },
    }
    assert result.outputs == {"volume": "ns-x-model", "claim": "x-model"}


def test_the_model_store_uploads_each_version_under_its_own_key_and_keeps_the_former_names(tmp_path: Path) -> None:
    """Each file is one OSS object at ``<prefix>/<model>/<version>/<path>`` with its Content-MD5 (RFC 1864: base64 of
    the MD5 digest, which OSS checks on upload); the version whose objects had no version in their names keeps those
    names as aliases; a dropped version's objects stay in the bucket when asked; TF Serving's base is
    ``oss://<bucket>/<prefix>/<model>``."""
    for version, content in ((3, b"three"), (4, b"four")):
        (tmp_path / str(version) / "variables").mkdir(parents=True)
        (tmp_path / str(version) / "saved_model.pb").write_bytes(content)
        (tmp_path / str(version) / "variables" / "variables.index").write_bytes(content + b"-index")
    md5 = {
        b"three": "NdbTNGeq6aLj3MtLawJ4eA==",
        b"four": "jLrZas7UCzg43Z8H9u9Xcg==",
    }  # `printf three | openssl md5 -binary | base64`

    def build(o: pulumi.ResourceOptions, _: list[pulumi.Resource]) -> dict[str, Any]:
        s = ModelStore("s", {"bucket": "bk", "prefix": "p/q", "model": "m", "versions": {4: tmp_path / "4", 3: tmp_path / "3"},
                             "former_version": 3, "keep_dropped_versions": True, "oss_location": None}, o)  # fmt: skip
        return {
            "bucket": s.bucket,
            "base": s.base_path,
            "uri": s.model_uri,
            "uploads": {str(v): len(r) for v, r in s.uploads.items()},
        }

    result = run(build)
    owner = component(
        result, "eci-inference:index:ModelStore", {"bucket": "bk", "base_path": "p/q/m", "model_uri": "oss://bk/p/q/m"}
    )
    objects = sorted(result.of_type("alicloud:oss/bucketObject:BucketObject"), key=lambda o: o.name)
    assert [(o.name, o.inputs["key"], o.aliases) for o in objects] == [
        ("s-v3-saved_model.pb", "p/q/m/3/saved_model.pb", ["s-saved_model.pb"]),
        ("s-v3-variables/variables.index", "p/q/m/3/variables/variables.index", ["s-variables/variables.index"]),
        ("s-v4-saved_model.pb", "p/q/m/4/saved_model.pb", []),
        ("s-v4-variables/variables.index", "p/q/m/4/variables/variables.index", []),
    ]
    assert objects[0].inputs == {"bucket": "bk", "key": "p/q/m/3/saved_model.pb", "source": str(tmp_path / "3" / "saved_model.pb"),
                                 "contentMd5": md5[b"three"]}  # fmt: skip
    assert objects[2].inputs["contentMd5"] == md5[b"four"]
    assert all(o.parent == owner.urn and o.retain_on_delete for o in objects)
    assert result.outputs == {"bucket": "bk", "base": "p/q/m", "uri": "oss://bk/p/q/m", "uploads": {"3": 2, "4": 2}}


def test_a_model_store_on_an_existing_location_points_there() -> None:
    result = run(
        lambda o, _: {
            "bucket": (s := ModelStore("s", {"bucket": "bk", "prefix": "p", "model": "m", "versions": {}, "former_version": None,
                                             "keep_dropped_versions": False, "oss_location": ("other", "a/b")}, o)).bucket,
            "base": s.base_path, "uri": s.model_uri,
        }
    )  # fmt: skip
    component(result, "eci-inference:index:ModelStore", {"bucket": "other", "base_path": "a/b", "model_uri": "oss://other/a/b"})
    assert result.outputs == {"bucket": "other", "base": "a/b", "uri": "oss://other/a/b"}


def release_inputs(release: Any) -> dict[str, Any]:
    """A Release's inputs without what pulumi-kubernetes' SDK adds to every one (``compat``, ``__meta``)."""
    return {k: v for k, v in release.inputs.items() if k not in ("compat", "__meta")}


def test_the_addons_are_whole_managed_addons_and_helm_releases_in_order() -> None:
    """A managed add-on is ``alicloud.cs.KubernetesAddon`` (config as JSON, keys sorted so the same values give the same
    string); a chart from a repository is a ``helm.sh/v3`` Release, atomic, creating its namespace; a chart given as an
    archive URL has no repository; a chart that needs another's CRDs waits for it, and one with no in-place upgrade is
    replaced (deleted first) when its chart or version changes; a disabled add-on registers nothing."""
    addons = [
        AddonSpec(name="ack-virtual-node", kind="managed", enabled=True, version="2.11.0", values={"b": 1, "a": 2},
                  cleanup_cloud_resources=True),
        AddonSpec(name="plain", kind="managed", enabled=True, version=None),
        AddonSpec(name="seldon-core", kind="helm", enabled=True, version="1.17.1", chart="seldon-core-operator",
                  repo="https://charts.example/", namespace="seldon-system", values={"usageMetrics": {"enabled": False}}),
        AddonSpec(name="adapter", kind="helm", enabled=True, version="1.0.0", chart="https://charts.example/adapter-1.0.0.tgz",
                  reinstall_on_upgrade=True, after=("seldon-core", "not-managed")),
        AddonSpec(name="off", kind="helm", enabled=False, version="9", chart="off", repo="https://charts.example/"),
    ]  # fmt: skip
    result = run(lambda o, _: {"installed": AckAddons("a", {"cluster_id": "cabc", "addons": addons}, o).installed})
    owner = component(
        result, "eci-inference:index:AckAddons", {"installed": ["ack-virtual-node", "adapter", "plain", "seldon-core"]}
    )
    managed = result.of_type("alicloud:cs/kubernetesAddon:KubernetesAddon")
    assert sorted((m.name, m.inputs) for m in managed) == [
        ("a-ack-virtual-node", {"clusterId": "cabc", "name": "ack-virtual-node", "version": "2.11.0", "config": '{"a": 2, "b": 1}',
                                "cleanupCloudResources": True}),
        ("a-plain", {"clusterId": "cabc", "name": "plain"}),
    ]  # fmt: skip
    releases = {r.name: r for r in result.of_type("kubernetes:helm.sh/v3:Release")}
    assert sorted(releases) == ["a-adapter", "a-seldon-core"]
    seldon, adapter = releases["a-seldon-core"], releases["a-adapter"]
    assert release_inputs(seldon) == {
        "name": "seldon-core", "chart": "seldon-core-operator", "version": "1.17.1", "namespace": "seldon-system",
        "createNamespace": True, "atomic": True, "repositoryOpts": {"repo": "https://charts.example/"},
        "values": {"usageMetrics": {"enabled": False}},
    }  # fmt: skip
    assert release_inputs(adapter) == {
        "name": "adapter", "chart": "https://charts.example/adapter-1.0.0.tgz", "version": "1.0.0", "namespace": "kube-system",
        "createNamespace": True, "atomic": True, "values": {},
    }  # fmt: skip
    assert seldon.dependencies == [] and not seldon.delete_before_replace and seldon.replace_on_changes == []
    assert adapter.dependencies == [seldon.urn]
    assert adapter.delete_before_replace and adapter.replace_on_changes == ["chart", "version"]
    assert all(r.parent == owner.urn for r in [*managed, seldon, adapter])
    assert result.outputs == {"installed": ["ack-virtual-node", "adapter", "plain", "seldon-core"]}


@pytest.mark.parametrize("protect", [True, False])
def test_a_created_bucket_is_private_encrypted_versioned_and_kept_as_asked(protect: bool) -> None:
    """OSS: a Bucket with AES256 server-side encryption, versioning on and ``forceDestroy`` false (a non-empty bucket is
    never deleted), its ACL ``private`` and public access blocked, all three protected when the stack says so."""
    result = run(lambda o, _: {"bucket": ModelBucket("m", {"bucket": "b-models", "create": True, "protect": protect}, o).bucket})
    owner = component(result, "eci-inference:index:ModelBucket", {"bucket": "b-models"})
    bucket = result.one("alicloud:oss/bucket:Bucket")
    acl = result.one("alicloud:oss/bucketAcl:BucketAcl")
    block = result.one("alicloud:oss/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert bucket.inputs == {"bucket": "b-models", "serverSideEncryptionRule": {"sseAlgorithm": "AES256"},
                             "versioning": {"status": "Enabled"}, "forceDestroy": False}  # fmt: skip
    assert acl.inputs == {"bucket": "b-models", "acl": "private"}
    assert block.inputs == {"bucket": "b-models", "blockPublicAccess": True}
    assert [(r.name, r.parent, r.protect) for r in (bucket, acl, block)] == [
        ("m-bucket", owner.urn, protect), ("m-acl", owner.urn, protect), ("m-public-access-block", owner.urn, protect),
    ]  # fmt: skip
    assert result.outputs == {"bucket": "b-models"}


def test_an_existing_bucket_and_namespace_are_only_named() -> None:
    result = run(
        lambda o, _: {
            "bucket": ModelBucket("m", {"bucket": "given", "create": False, "protect": True}, o).bucket,
            "namespace": ServingNamespace("ns", {"name": "default", "create": False}, o).name,
        }
    )
    component(result, "eci-inference:index:ModelBucket", {"bucket": "given"})
    component(result, "eci-inference:index:ServingNamespace", {"name": "default"})
    assert [r.type for r in result.resources if r.custom] == ["kubernetes:core/v1:ConfigMap"]
    assert result.outputs == {"bucket": "given", "namespace": "default"}


def test_a_created_namespace_is_the_whole_object() -> None:
    result = run(lambda o, _: {"name": ServingNamespace("ns", {"name": "inference", "create": True}, o).name})
    owner = component(result, "eci-inference:index:ServingNamespace", {"name": "inference"})
    namespace = result.one("kubernetes:core/v1:Namespace")
    assert (namespace.name, namespace.parent) == ("ns-namespace", owner.urn)
    assert namespace.kubernetes_manifest == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "inference", "labels": MANAGED},
    }
    assert result.outputs == {"name": "inference"}


def test_what_reads_the_ingress_route_or_host_waits_for_the_ingress() -> None:
    """The route label exists in the metrics only once the Ingress does: an object built from the route (the HPA's
    selector) or the host depends on the Ingress, not only on the names it was made of."""

    def build(o: pulumi.ResourceOptions, _: list[pulumi.Resource]) -> dict[str, Any]:
        i = ModelIngress("i", {"namespace": "ns", "ingress_name": "x", "host": "x.example.com", "service_name": "svc",
                               "service_port": 8000, "ingress_class": None, "tls_secret": None, "canary_weight": None,
                               "prediction_path": "/p"}, o)  # fmt: skip
        k8s.core.v1.ConfigMap("by-route", data={"route": i.route})
        k8s.core.v1.ConfigMap("by-host", data={"host": i.host})
        return {}

    result = run(build)
    ingress = result.one("kubernetes:networking.k8s.io/v1:Ingress")
    readers = {r.name: r for r in result.of_type("kubernetes:core/v1:ConfigMap")}
    assert ingress.urn in readers["by-route"].dependencies
    assert ingress.urn in readers["by-host"].dependencies


def test_a_model_volume_without_any_credential_is_a_programming_error_that_says_what_it_needs() -> None:
    """The config layer always gives one of the three (stackconfig/volume_auth.py); a caller that does not is told which."""
    with pytest.raises(AssertionError, match=r"^ModelVolume needs rrsa_role_name, ram_role_name or access_key$"):
        run(lambda o, _: {"claim": ModelVolume("v", {"namespace": "ns", "volume_name": "pv", "claim_name": "c", "secret_name": "s",
                                                     "bucket": "bk", "endpoint": "e", "size": "1Gi", "rrsa_role_name": None,
                                                     "ram_role_name": None, "access_key": None}, o).claim_name})  # fmt: skip
