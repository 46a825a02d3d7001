"""The Ingress access-log collection the HPA's QPS metric needs, created on request as ACK documents it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from stackconfig import PROJECT
from tests.conftest import run_config
from tools.validate import validate_object

LOG_CONFIG = "kubernetes:log.alibabacloud.com/v1alpha1:AliyunLogConfig"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
ConfigFactory = Callable[[], tuple[dict[str, Any], list[str]]]


def test_no_log_config_unless_asked(dev_config: ConfigFactory) -> None:
    config, secret_keys = dev_config()
    assert run_config(config, secret_keys).of_type(LOG_CONFIG) == []


def test_the_log_config_is_the_one_ack_documents_and_feeds_the_hpa(dev_config: ConfigFactory) -> None:
    config, secret_keys = dev_config()
    config = copy.deepcopy(config)
    config[f"{PROJECT}:createIngressLogConfig"] = True
    config[f"{PROJECT}:slsLogstore"] = "ingress-access"
    config[f"{PROJECT}:slsProject"] = "inference-logs"
    run = run_config(config, secret_keys)
    (log_config,) = run.of_type(LOG_CONFIG)
    body = log_config.kubernetes_manifest
    assert body is not None
    assert validate_object(body) == []
    assert (body["metadata"]["name"], body["metadata"]["namespace"]) == ("k8s-nginx-ingress", "kube-system")
    spec = body["spec"]
    assert spec["logtailConfig"]["configName"] == body["metadata"]["name"], "ACK: the Logtail config name equals the object's"
    assert (spec["project"], spec["logstore"]) == ("inference-logs", "ingress-access")
    (source,) = spec["logtailConfig"]["inputDetail"]["plugin"]["inputs"]
    assert source["detail"]["IncludeLabel"] == {"io.kubernetes.container.name": "nginx-ingress-controller"}
    (parser,) = spec["logtailConfig"]["inputDetail"]["plugin"]["processors"]
    assert "proxy_upstream_name" in parser["detail"]["Keys"], "the metrics adapter filters on proxy_upstream_name"
    for hpa in run.of_type(HPA):
        labels = hpa.inputs["spec"]["metrics"][0]["external"]["metric"]["selector"]["matchLabels"]
        assert (labels["sls.project"], labels["sls.logstore"]) == ("inference-logs", "ingress-access")
