"""The metrics adapter is installed the way Alibaba Cloud's own ROS template installs it: the chart's 1.3.3 archive
from ACK's charts-incubator catalog with the template's values, the region being the stack's.

The expected release is written out from the template (ROS documentation, ``ALIYUN::CS::ClusterApplication``,
scenario 2, resource ``AckMetricsAdapter``) with cn-hangzhou replaced by the prod stack's cn-beijing.
"""

from __future__ import annotations

from typing import Any

from stackconfig import PROJECT
from tests.conftest import run_config, run_stack, stack_config

P = PROJECT
RELEASE = "kubernetes:helm.sh/v3:Release"

EXPECTED_VALUES: dict[str, Any] = {
    "AlibabaCloudMetricsAdapter": {
        "commonLabels": "",
        "replicas": 1,
        "resources": {
            "metricsAdapterDeployment": {
                "resources": {"limits": {"cpu": 0.5, "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "200Mi"}}
            },
            "configReloader": {
                "resources": {"limits": {"cpu": "20m", "memory": "30Mi"}, "requests": {"cpu": "20m", "memory": "30Mi"}}
            },
        },
        "listenPort": 443,
        "costWeights": {"cpu": "1.0", "memory": "0.0"},
        "image": {
            "repository": "registry-cn-beijing-vpc.ack.aliyuncs.com/acs/alibaba-cloud-metrics-adapter-amd64",
            "tag": "v0.2.7-f1ee5c3-aliyun",
            "pullPolicy": "Always",
        },
        "nameOverride": "",
        "fullnameOverride": "",
        "service": {"type": "ClusterIP"},
        "serviceAccountName": "ack-alibaba-cloud-metrics-adapter",
        "annotations": {},
        "nodeSelector": {},
        "tolerations": [],
        "env": [{"AccessKeyId": ""}, {"AccessKeySecret": ""}, {"Region": ""}],
        "affinity": {},
        "prometheus": {
            "enabled": True,
            "url": {},
            "metricsRelistInterval": "1m",
            "logLevel": 5,
            "adapter": {
                "rules": {
                    "default": False,
                    "custom": [
                        {
                            "seriesQuery": 'container_memory_working_set_bytes{namespace!="",pod!=""}',
                            "resources": {"overrides": {"namespace": {"resource": "namespace"}, "pod": {"resource": "pod"}}},
                            "name": {"matches": "^(.*)_bytes", "as": "${1}_bytes_per_second"},
                            "metricsQuery": "sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)",
                        },
                        {
                            "seriesQuery": 'container_cpu_usage_seconds_total{namespace!="",pod!=""}',
                            "resources": {"overrides": {"namespace": {"resource": "namespace"}, "pod": {"resource": "pod"}}},
                            "name": {"matches": "^(.*)_seconds_total", "as": "${1}_core_per_second"},
                            "metricsQuery": "sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>)",
                        },
                    ],
                }
            },
        },
    },
    "ConfigReloader": {"image": {"repository": "registry-vpc.cn-beijing.aliyuncs.com/acs/configmap-reload", "tag": "v0.0.1"}},
}


def adapter(run: Any) -> Any:
    return next(r for r in run.of_type(RELEASE) if r.inputs["name"] == "ack-alibaba-cloud-metrics-adapter")


def test_prod_installs_the_chart_archive_with_the_ros_template_values() -> None:
    release = adapter(run_stack("prod"))
    inputs = dict(release.inputs)
    assert inputs.pop("values") == EXPECTED_VALUES
    assert inputs == {
        "name": "ack-alibaba-cloud-metrics-adapter",
        "chart": "https://aliacs-app-catalog.oss-cn-hangzhou.aliyuncs.com/charts-incubator/ack-alibaba-cloud-metrics-adapter-1.3.3.tgz",
        "version": "1.3.3",
        "namespace": "kube-system",
        "createNamespace": True,
        "atomic": True,
        "compat": "true",
    }
    assert set(release.replace_on_changes) == {"chart", "version"} and release.delete_before_replace


def test_the_region_and_a_pinned_version_follow_the_stack() -> None:
    config, secret_keys = stack_config("staging")
    config[f"{P}:addons"] = {"ack-alibaba-cloud-metrics-adapter": {"version": "1.3.4"}}
    inputs = adapter(run_config(config, secret_keys, "staging")).inputs
    assert inputs["chart"].endswith("/charts-incubator/ack-alibaba-cloud-metrics-adapter-1.3.4.tgz")
    image = inputs["values"]["AlibabaCloudMetricsAdapter"]["image"]["repository"]
    assert image == "registry-cn-hangzhou-vpc.ack.aliyuncs.com/acs/alibaba-cloud-metrics-adapter-amd64"
    reloader = inputs["values"]["ConfigReloader"]["image"]["repository"]
    assert reloader == "registry-vpc.cn-hangzhou.aliyuncs.com/acs/configmap-reload"


def test_a_repository_override_keeps_the_archive_form() -> None:
    config, secret_keys = stack_config("prod")
    config[f"{P}:addons"] = {"ack-alibaba-cloud-metrics-adapter": {"repo": "https://mirror.example.com/charts"}}
    inputs = adapter(run_config(config, secret_keys, "prod")).inputs
    assert inputs["chart"] == "https://mirror.example.com/charts/ack-alibaba-cloud-metrics-adapter-1.3.3.tgz"
    assert "repositoryOpts" not in inputs
