"""The policy pack: each policy passes and fails as it should, on hand-made resources, on every repository stack
(through the mocks), on the seed recipe's manifests, with unknown values, with bad configuration, and through
pulumi-policy's real analyzer server started from a copy of the pack directory alone."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]  # grpcio ships no type stubs
import jsonschema
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import proto
from pulumi.runtime.proto import analyzer_pb2_grpc

from components.naming import seldon_names
from policies.eci_policies import (
    POLICIES,
    RESOURCE_POLICIES,
    STACK_POLICIES,
    PackResourcePolicy,
    PackStackPolicy,
    credentials,
    elastic,
    ingress,
    podsecurity,
    seldon,
    storage,
    wiring,
    workloads,
)
from policies.eci_policies import autoscaling as hpa_policies
from policies.eci_policies.config import PolicyConfigError
from stackconfig import PROJECT
from tests.conftest import ROOT, STACKS, run_stack, stack_config
from tests.policy_helpers import (
    UNKNOWN,
    check,
    check_stack,
    manifest_name,
    manifest_type,
    policy_resource,
    registered_args,
    registered_resource,
    resource_args,
    wire,
)
from tests.seedrecipe import seed_manifests
from tools.mockrun import Run

PV = "kubernetes:core/v1:PersistentVolume"
SECRET = "kubernetes:core/v1:Secret"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
CRON_JOB = "kubernetes:batch/v1:CronJob"
SDEP = "kubernetes:machinelearning.seldon.io/v1:SeldonDeployment"
EW = "kubernetes:autoscaling.alibabacloud.com/v1beta1:ElasticWorkload"
RP = "kubernetes:scheduling.alibabacloud.com/v1alpha1:ResourcePolicy"
IMAGE_CACHE = "kubernetes:eci.alibabacloud.com/v1:ImageCache"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
BUCKET = "alicloud:oss/bucket:Bucket"
BUCKET_ACL = "alicloud:oss/bucketAcl:BucketAcl"
BUCKET_PAB = "alicloud:oss/bucketPublicAccessBlock:BucketPublicAccessBlock"
GPU = "nvidia.com/gpu"
SPOT = elastic.ECI_SPOT_STRATEGY
PRICE = elastic.ECI_SPOT_PRICE_LIMIT
SPECS = elastic.ECI_USE_SPECS

EXPECTED_LEVELS = {
    "no-plaintext-credentials": "mandatory",
    "oss-bucket-encrypted": "mandatory",
    "oss-bucket-private": "mandatory",
    "oss-public-access-blocked": "mandatory",
    "oss-bucket-policy-not-public": "mandatory",
    "no-privileged-containers": "mandatory",
    "no-host-namespaces": "mandatory",
    "no-host-path-volumes": "mandatory",
    "no-load-balancer-services": "mandatory",
    "gpu-requests-equal-limits": "mandatory",
    "container-resource-requests": "mandatory",
    "image-pinned": "mandatory",
    "hpa-autoscaling-v2": "mandatory",
    "elastic-unit-bounds": "mandatory",
    "elastic-unit-order": "mandatory",
    "eci-specs-allowed": "mandatory",
    "hpa-max-within-elastic-capacity": "mandatory",
    "inference-wiring": "mandatory",
    "prod-hardening": "mandatory",
    "oss-volume-auth-where-mounted": "mandatory",
    "kserve-external-autoscaler": "mandatory",
    "ingress-tls": "advisory",
    "hpa-behavior": "advisory",
    "spot-price-limit": "advisory",
    "containers-non-root": "advisory",
    "model-bucket-protected": "advisory",
    "prod-image-digests": "advisory",
}
MANDATORY_RESOURCE = [
    p for p in RESOURCE_POLICIES if p.enforcement_level is not None and p.enforcement_level.value == "mandatory"
]
ADVISORY_RESOURCE = [p for p in RESOURCE_POLICIES if p.enforcement_level is not None and p.enforcement_level.value == "advisory"]
MANDATORY_STACK = [p for p in STACK_POLICIES if p.enforcement_level is not None and p.enforcement_level.value == "mandatory"]
ADVISORY_STACK = [p for p in STACK_POLICIES if p.enforcement_level is not None and p.enforcement_level.value == "advisory"]


# ---------------------------------------------------------------------------------------------------------------
# Builders of plain Kubernetes objects
# ---------------------------------------------------------------------------------------------------------------


def container(name: str = "serve", image: str = "repo/serve:1.0", gpu: Any = None, **extra: Any) -> dict[str, Any]:
    requests: dict[str, Any] = {"cpu": "1", "memory": "1Gi"}
    limits: dict[str, Any] = {"memory": "1Gi"}
    if gpu is not None:
        requests[GPU] = gpu
        limits[GPU] = gpu
    body: dict[str, Any] = {
        "name": name,
        "image": image,
        "resources": {"requests": requests, "limits": limits},
        "securityContext": {"runAsNonRoot": True, "runAsUser": 1000},
    }
    body.update(extra)
    return body


def sdep(
    name: str = "m",
    namespace: str = "default",
    predictor: str = "predictor",
    containers: list[dict[str, Any]] | None = None,
    component_name: str | None = None,
    predictor_annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    component: dict[str, Any] = {"spec": {"containers": containers if containers is not None else [container()]}}
    if component_name:
        component["metadata"] = {"name": component_name}
    p: dict[str, Any] = {"name": predictor, "componentSpecs": [component], "graph": {"name": "serve", "type": "MODEL"}}
    if predictor_annotations:
        p["annotations"] = predictor_annotations
    return {
        "apiVersion": "machinelearning.seldon.io/v1",
        "kind": "SeldonDeployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"predictors": [p]},
    }


def unit(
    name: str,
    specs: str = "ecs.gn6i-c4g1.xlarge",
    strategy: str | None = None,
    price: str | None = None,
    low: Any = 0,
    high: Any = 3,
) -> dict[str, Any]:
    annotations = {"virtual-kubelet": "true", SPECS: specs}
    if strategy:
        annotations[SPOT] = strategy
    if price:
        annotations[PRICE] = price
    body: dict[str, Any] = {"name": name, "annotations": annotations}
    if low is not None:
        body["min"] = low
    if high is not None:
        body["max"] = high
    return body


def ew(
    name: str = "m-ew",
    namespace: str = "default",
    source: str = "m-predictor-0-serve",
    units: list[dict[str, Any]] | None = None,
    source_min: int = 0,
    source_max: int = 1,
) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling.alibabacloud.com/v1beta1",
        "kind": "ElasticWorkload",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "sourceTarget": {"name": source, "kind": "Deployment", "apiVersion": "apps/v1", "min": source_min, "max": source_max},
            "replicas": 1,
            "elasticUnit": units
            if units is not None
            else [unit("on-demand", low=1, high=3), unit("spot", strategy="SpotWithPriceLimit", price="2.5", high=10)],
        },
    }


def hpa(
    name: str = "m-hpa",
    namespace: str = "default",
    target: tuple[str, str, str] = ("autoscaling.alibabacloud.com/v1beta1", "ElasticWorkload", "m-ew"),
    max_replicas: Any = 10,
    route: str | None = "default-m-predictor-8000",
    behavior: bool = True,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "scaleTargetRef": {"apiVersion": target[0], "kind": target[1], "name": target[2]},
        "minReplicas": 1,
        "maxReplicas": max_replicas,
        "metrics": [],
    }
    if route is not None:
        spec["metrics"] = [
            {
                "type": "External",
                "external": {
                    "metric": {"name": "sls_ingress_qps", "selector": {"matchLabels": {"sls.ingress.route": route}}},
                    "target": {"type": "AverageValue", "averageValue": "10"},
                },
            }
        ]
    if behavior:
        spec["behavior"] = {"scaleDown": {"stabilizationWindowSeconds": 300}}
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def ingress_obj(
    namespace: str = "default", service: str = "m-predictor", port: Any = 8000, host: str = "m.example.com", tls: Any = True
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "rules": [
            {
                "host": host,
                "http": {
                    "paths": [
                        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": service, "port": {"number": port}}}}
                    ]
                },
            }
        ]
    }
    if tls is True:
        spec["tls"] = [{"hosts": [host], "secretName": "m-tls"}]
    elif tls:
        spec["tls"] = tls
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "m", "namespace": namespace},
        "spec": spec,
    }


def pv(attributes: dict[str, Any], secret_ref: bool = False) -> dict[str, Any]:
    csi: dict[str, Any] = {"driver": "ossplugin.csi.alibabacloud.com", "volumeHandle": "v", "volumeAttributes": attributes}
    if secret_ref:
        csi["nodePublishSecretRef"] = {"name": "oss-keys", "namespace": "default"}
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "v"}, "spec": {"csi": csi}}


def deployment(containers: list[dict[str, Any]], annotations: dict[str, str] | None = None) -> dict[str, Any]:
    template: dict[str, Any] = {"spec": {"containers": containers}}
    if annotations:
        template["metadata"] = {"annotations": annotations}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": template}}


def messages(policy: PackResourcePolicy, resource_type: str, props: dict[str, Any], **kwargs: Any) -> list[str]:
    return check(policy, resource_args(resource_type, props, **kwargs))


def stack_messages(policy: PackStackPolicy, objects: list[tuple[str, dict[str, Any]]], config: Any = None) -> list[str]:
    resources = [policy_resource(t, props, name=f"r{i}") for i, (t, props) in enumerate(objects)]
    return [m for m, _ in check_stack(policy, resources, config)]


def one(found: list[str], *fragments: str) -> str:
    """The single message, which must contain every fragment."""
    assert len(found) == 1, found
    for fragment in fragments:
        assert fragment in found[0], (fragment, found[0])
    return found[0]


# ---------------------------------------------------------------------------------------------------------------
# The pack itself
# ---------------------------------------------------------------------------------------------------------------


def test_pack_has_every_policy_once_with_its_level() -> None:
    levels = {p.name: p.enforcement_level.value if p.enforcement_level else None for p in POLICIES}
    assert len(levels) == len(POLICIES)
    assert levels == EXPECTED_LEVELS
    assert {p.name for p in STACK_POLICIES} == {
        "hpa-max-within-elastic-capacity",
        "inference-wiring",
        "prod-hardening",
        "oss-volume-auth-where-mounted",
        "kserve-external-autoscaler",
        "prod-image-digests",
    }


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_every_policy_says_how_to_fix_it(policy: PackResourcePolicy | PackStackPolicy) -> None:
    assert "Fix:" in policy.description
    assert policy.remediation_steps


@pytest.mark.parametrize("policy", [p for p in POLICIES if p.config_schema is not None], ids=lambda p: p.name)
def test_config_schemas_are_valid_json_schema(policy: PackResourcePolicy | PackStackPolicy) -> None:
    assert policy.config_schema is not None
    jsonschema.Draft7Validator.check_schema(cli_schema(policy))


def test_configurable_policies() -> None:
    configurable = {p.name: sorted(p.config_properties) for p in POLICIES if p.config_properties}
    assert configurable == {
        "image-pinned": ["requireDigest"],
        "elastic-unit-order": ["allowSpotFirst"],
        "eci-specs-allowed": ["allowedEciSpecs"],
        "spot-price-limit": ["maxPriceLimit"],
        "hpa-max-within-elastic-capacity": ["maxReplicasCap"],
    }


# ---------------------------------------------------------------------------------------------------------------
# One resource that passes and one that fails, for every policy
# ---------------------------------------------------------------------------------------------------------------


def test_no_plaintext_credentials_pv() -> None:
    policy = credentials.no_plaintext_credentials
    assert messages(policy, PV, pv({"bucket": "b", "url": "oss-cn-beijing.aliyuncs.com"}, secret_ref=True)) == []
    assert messages(policy, PV, pv({"bucket": "b", "authType": "rrsa", "roleName": "reader"})) == []
    found = messages(policy, PV, pv({"bucket": "b", "akId": "LTAIabcdefghijklmnop", "akSecret": "s3cr3t-value"}))
    assert len(found) == 2
    assert "spec.csi.volumeAttributes.akId" in found[0] and "nodePublishSecretRef" in found[0]
    assert "spec.csi.volumeAttributes.akSecret" in found[1]
    assert not any("s3cr3t-value" in m or "LTAIabcdefghijklmnop" in m for m in found), "a report must not repeat the secret"


def test_no_plaintext_credentials_anywhere_but_secrets() -> None:
    policy = credentials.no_plaintext_credentials
    env_value = container(env=[{"name": "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "value": "abc123"}])
    env_ref = container(
        env=[{"name": "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "valueFrom": {"secretKeyRef": {"name": "k", "key": "s"}}}]
    )
    one(
        messages(policy, DEPLOYMENT, deployment([env_value])),
        "env[0].value (named ALIBABA_CLOUD_ACCESS_KEY_SECRET)",
        "secretKeyRef",
    )
    assert messages(policy, DEPLOYMENT, deployment([env_ref])) == []
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c"},
        "data": {"conf": "id: LTAI5tAbCdEfGhIjKlMn"},
    }
    one(messages(policy, CONFIG_MAP, config_map), "data.conf (its text holds a credential)")
    mount_options = pv({"bucket": "b", "otherOpts": "-o allow_other -o akSecret=xyz"})
    one(messages(policy, PV, mount_options), "volumeAttributes.otherOpts")
    annotated = sdep()
    annotated["metadata"]["annotations"] = {"ossAccessKeyId": "id"}
    one(messages(policy, SDEP, annotated), "metadata.annotations.ossAccessKeyId")
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "k"}, "stringData": {"akId": "i", "akSecret": "s"}}
    assert messages(policy, SECRET, secret) == []


def test_oss_bucket_encrypted() -> None:
    policy = storage.oss_bucket_encrypted
    assert messages(policy, BUCKET, {"bucket": "b", "serverSideEncryptionRule": {"sseAlgorithm": "AES256"}}) == []
    assert (
        messages(policy, BUCKET, {"bucket": "b", "serverSideEncryptionRule": {"sseAlgorithm": "KMS", "kmsMasterKeyId": "k"}})
        == []
    )
    one(messages(policy, BUCKET, {"bucket": "b"}), "no serverSideEncryptionRule")
    one(messages(policy, BUCKET, {"bucket": "b", "serverSideEncryptionRule": {"sseAlgorithm": "None"}}), "'None'", "AES256")


def test_oss_bucket_private() -> None:
    policy = storage.oss_bucket_private
    assert messages(policy, BUCKET_ACL, {"bucket": "b", "acl": "private"}) == []
    assert messages(policy, BUCKET, {"bucket": "b"}) == []  # OSS creates buckets private
    assert messages(policy, BUCKET, {"bucket": "b", "acl": "private"}) == []
    one(messages(policy, BUCKET_ACL, {"bucket": "b", "acl": "public-read"}), "'public-read'", "bucket 'b'")
    one(messages(policy, BUCKET, {"bucket": "b", "acl": "public-read-write"}), "readable by anyone")


def test_model_bucket_protected() -> None:
    policy = storage.model_bucket_protected
    assert messages(policy, BUCKET, {"bucket": "b", "forceDestroy": False}, protect=True) == []
    one(messages(policy, BUCKET, {"bucket": "b"}, protect=False), "is not protected")
    one(messages(policy, BUCKET, {"bucket": "b", "forceDestroy": True}, protect=True), "forceDestroy")


def test_gpu_requests_equal_limits() -> None:
    policy = workloads.gpu_requests_equal_limits
    assert messages(policy, SDEP, sdep(containers=[container(gpu=1)])) == []
    uneven = container()
    uneven["resources"] = {"requests": {"cpu": "1", "memory": "1Gi", GPU: "1"}, "limits": {GPU: 2}}
    one(messages(policy, SDEP, sdep(containers=[uneven])), "requests 1", "limits 2")
    only_limits = container()
    only_limits["resources"]["limits"][GPU] = 1
    one(messages(policy, DEPLOYMENT, deployment([only_limits])), "in limits (1) but not in requests")
    assert messages(policy, DEPLOYMENT, deployment([container()])) == []  # no GPU, nothing to compare


def test_container_resource_requests() -> None:
    policy = workloads.container_resource_requests
    assert messages(policy, SDEP, sdep(containers=[container(), container("second")])) == []
    no_memory = container()
    del no_memory["resources"]["requests"]["memory"]
    one(messages(policy, SDEP, sdep(containers=[container(), no_memory])), "containers[1]", "no memory request")
    bare = {"name": "bare", "image": "repo/x:1"}
    one(messages(policy, DEPLOYMENT, deployment([bare])), "spec.template.spec.containers[0]", "no cpu or memory request")
    cron_job = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "j"},
        "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [container()], "initContainers": [bare]}}}}},
    }
    one(messages(policy, CRON_JOB, cron_job), "initContainers[0]")


def test_image_pinned() -> None:
    policy = workloads.image_pinned
    digest = "sha256:" + "a" * 64
    for good in (
        "repo/serve:1.0",
        "registry.example.com:5000/team/serve:2.3.0-gpu",
        f"repo/serve@{digest}",
        f"repo/serve:latest@{digest}",
    ):
        assert messages(policy, SDEP, sdep(containers=[container(image=good)])) == [], good
    one(messages(policy, SDEP, sdep(containers=[container(image="tensorflow/serving:latest")])), "uses the :latest tag")
    one(messages(policy, SDEP, sdep(containers=[container(image="tensorflow/serving")])), "has no tag")
    one(messages(policy, DEPLOYMENT, deployment([container(image="registry.example.com:5000/serve")])), "has no tag")
    one(messages(policy, SDEP, sdep(containers=[container(image="repo/serve@sha256:abc")])), "malformed digest")
    pinned_by_tag = sdep(containers=[container(image="repo/serve:1.0")])
    one(messages(policy, SDEP, pinned_by_tag, config={"requireDigest": True}), "requireDigest")
    cache = {
        "apiVersion": "eci.alibabacloud.com/v1",
        "kind": "ImageCache",
        "metadata": {"name": "c"},
        "spec": {"images": ["repo/a:1", "repo/b"]},
    }
    one(messages(policy, IMAGE_CACHE, cache), "spec.images[1] 'repo/b' has no tag")


def test_containers_non_root() -> None:
    policy = workloads.containers_non_root
    assert messages(policy, SDEP, sdep()) == []
    pod_level = deployment([{"name": "x", "image": "r/x:1"}])
    pod_level["spec"]["template"]["spec"]["securityContext"] = {"runAsUser": 1000}
    assert messages(policy, DEPLOYMENT, pod_level) == []
    root = container(securityContext={"runAsUser": 0, "runAsNonRoot": True})
    one(messages(policy, SDEP, sdep(containers=[root])), "runs as root (runAsUser: 0)")
    one(messages(policy, DEPLOYMENT, deployment([{"name": "x", "image": "r/x:1"}])), "sets neither runAsNonRoot")


def test_hpa_autoscaling_v2() -> None:
    policy = hpa_policies.hpa_autoscaling_v2
    assert messages(policy, HPA, hpa()) == []
    one(
        messages(policy, "kubernetes:autoscaling/v2beta1:HorizontalPodAutoscaler", hpa()),
        "autoscaling/v2beta1",
        "removed in Kubernetes 1.25",
    )
    one(messages(policy, "kubernetes:autoscaling/v2beta2:HorizontalPodAutoscaler", hpa()), "removed in Kubernetes 1.26")
    assert messages(policy, EW, ew()) == []  # not an HPA


def test_hpa_behavior() -> None:
    policy = hpa_policies.hpa_behavior
    assert messages(policy, HPA, hpa()) == []
    one(messages(policy, HPA, hpa(behavior=False)), "no spec.behavior")


def test_elastic_unit_bounds() -> None:
    policy = elastic.elastic_unit_bounds
    assert messages(policy, EW, ew()) == []
    one(messages(policy, EW, ew(units=[unit("a", low=4, high=3)])), "spec.elasticUnit[0] 'a' has min 4 > max 3")
    one(messages(policy, EW, ew(units=[unit("a", high=None)])), "sets no max")
    one(messages(policy, EW, ew(units=[unit("a", low=-1)])), "min is -1")
    one(messages(policy, EW, ew(source_min=2, source_max=1)), "sourceTarget has min 2 > max 1")
    resource_policy = {"apiVersion": "scheduling.alibabacloud.com/v1alpha1", "kind": "ResourcePolicy", "metadata": {"name": "rp"},
                       "spec": {"units": [{"resource": "eci", "max": 4}, {"resource": "eci", "min": 5, "max": 2}]}}  # fmt: skip
    one(messages(policy, RP, resource_policy), "spec.units[1] has min 5 > max 2")


def test_elastic_unit_order() -> None:
    policy = elastic.elastic_unit_order
    on_demand, spot = unit("od"), unit("spot", strategy="SpotAsPriceGo")
    assert messages(policy, EW, ew(units=[on_demand, spot])) == []
    assert messages(policy, EW, ew(units=[unit("a", strategy="NoSpot"), spot])) == []
    one(
        messages(policy, EW, ew(units=[spot, on_demand])),
        "on-demand spec.elasticUnit[1] 'od' comes after spot spec.elasticUnit[0] 'spot'",
    )
    assert messages(policy, EW, ew(units=[spot, on_demand]), config={"allowSpotFirst": True}) == []
    resource_policy = {"apiVersion": "scheduling.alibabacloud.com/v1alpha1", "kind": "ResourcePolicy", "metadata": {"name": "rp"},
                       "spec": {"units": [{"resource": "eci", "podAnnotations": {SPOT: "SpotAsPriceGo"}}, {"resource": "ecs"}]}}  # fmt: skip
    one(messages(policy, RP, resource_policy), "on-demand spec.units[1]")


def test_eci_specs_allowed() -> None:
    policy = elastic.eci_specs_allowed
    assert messages(policy, EW, ew(units=[unit("a", specs="ecs.gn6i-c4g1.xlarge, ecs.gn7i-c8g1.2xlarge")])) == []
    one(
        messages(policy, EW, ew(units=[unit("a", specs="ecs.gn6i-c4g1.xlarge,ecs.c6.large")])),
        "'ecs.c6.large'",
        "not in the allowed",
    )
    assert messages(policy, EW, ew(units=[unit("a", specs="ecs.c6.large")]), config={"allowedEciSpecs": ["ecs.c6.*"]}) == []
    one(messages(policy, EW, ew(units=[unit("a")]), config={"allowedEciSpecs": ["ecs.c6.*"]}), "'ecs.gn6i-c4g1.xlarge'")
    one(
        messages(policy, DEPLOYMENT, deployment([container()], annotations={SPECS: "2-4Gi"})),
        "spec.template.metadata.annotations",
        "'2-4Gi'",
    )


def test_spot_price_limit() -> None:
    policy = elastic.spot_price_limit
    assert messages(policy, EW, ew(units=[unit("od"), unit("spot", strategy="SpotWithPriceLimit", price="1.5")])) == []
    one(
        messages(policy, EW, ew(units=[unit("spot", strategy="SpotAsPriceGo")])),
        "spec.elasticUnit[0].annotations",
        "no price limit",
    )
    one(messages(policy, EW, ew(units=[unit("spot", strategy="SpotWithPriceLimit")])), "no price limit")
    capped = ew(units=[unit("spot", strategy="SpotWithPriceLimit", price="3")])
    one(messages(policy, EW, capped, config={"maxPriceLimit": 2.5}), "above the configured maxPriceLimit 2.5")
    assert messages(policy, EW, capped, config={"maxPriceLimit": 3}) == []


def test_ingress_tls() -> None:
    policy = ingress.ingress_tls
    assert messages(policy, INGRESS, ingress_obj()) == []
    assert messages(policy, INGRESS, ingress_obj(tls=[{"hosts": ["*.example.com"], "secretName": "w"}])) == []
    one(messages(policy, INGRESS, ingress_obj(tls=False)), "no spec.tls")
    one(messages(policy, INGRESS, ingress_obj(tls=[{"hosts": ["other.example.com"], "secretName": "o"}])), "host 'm.example.com'")


# ---------------------------------------------------------------------------------------------------------------
# Stack policies
# ---------------------------------------------------------------------------------------------------------------


def serving(**changes: Any) -> list[tuple[str, dict[str, Any]]]:
    """A wired model: SeldonDeployment m, ElasticWorkload m-ew, HPA m-hpa, Ingress to m-predictor:8000."""
    objects = {"sdep": sdep(), "ew": ew(), "hpa": hpa(), "ingress": ingress_obj()}
    objects.update(changes)
    types = {"sdep": SDEP, "ew": EW, "hpa": HPA, "ingress": INGRESS}
    return [(types[key], value) for key, value in objects.items() if value is not None]


def test_hpa_max_within_elastic_capacity() -> None:
    policy = hpa_policies.hpa_max_within_elastic_capacity
    assert stack_messages(policy, serving(hpa=hpa(max_replicas=14))) == []  # units 3 + 10, source 1
    one(stack_messages(policy, serving(hpa=hpa(max_replicas=15))), "maxReplicas 15", "14 (units 3 + 10 + sourceTarget 1)")
    one(stack_messages(policy, serving(hpa=hpa(max_replicas=8)), {"maxReplicasCap": 6}), "above the configured maxReplicasCap 6")
    assert stack_messages(policy, serving(ew=None, hpa=hpa(max_replicas=99))) == []  # its missing target is inference-wiring's


def test_inference_wiring_passes_when_names_are_derived() -> None:
    assert stack_messages(wiring.inference_wiring, serving()) == []


def test_inference_wiring_elastic_workload_source() -> None:
    found = stack_messages(wiring.inference_wiring, serving(ew=ew(source="m-predictor-0-srve")))
    message = one(found, "sourceTarget Deployment 'm-predictor-0-srve'", "expected one of: 'm-predictor-0-serve'")
    assert "ElasticWorkload default/m-ew" in message


def test_inference_wiring_hpa_target() -> None:
    policy = wiring.inference_wiring
    wrong_ew = hpa(target=("autoscaling.alibabacloud.com/v1beta1", "ElasticWorkload", "other-ew"))
    assert any("'other-ew' is not an ElasticWorkload of this stack" in m for m in stack_messages(policy, serving(hpa=wrong_ew)))
    to_source = hpa(target=("apps/v1", "Deployment", "m-predictor-0-serve"))
    one(stack_messages(policy, serving(hpa=to_source)), "the source of ElasticWorkload default/m-ew", "fight")
    wrong_api = hpa(target=("apps/v1", "ElasticWorkload", "m-ew"))
    one(stack_messages(policy, serving(hpa=wrong_api)), "scaleTargetRef.apiVersion is 'apps/v1'")
    direct = hpa(target=("apps/v1", "Deployment", "m-predictor-0-serve"))
    assert stack_messages(policy, serving(ew=None, hpa=direct)) == []  # no ElasticWorkload: the Seldon Deployment itself


def test_inference_wiring_route_label() -> None:
    policy = wiring.inference_wiring
    one(stack_messages(policy, serving(hpa=hpa(route="default-m-predictor-9000"))), "has route 'default-m-predictor-8000'")
    one(stack_messages(policy, serving(ingress=None)), "no Ingress of this stack routes to 'm-predictor'")
    other_backend = serving(ingress=ingress_obj(service="something-else"))
    one(stack_messages(policy, other_backend), "no Ingress of this stack routes to 'm-predictor'")


def test_inference_wiring_long_names_are_hashed() -> None:
    long_name = "a-very-long-seldon-deployment-name-for-a-model"
    raw = f"{long_name}-predictor-0-tfserving-proxy-tfserving-gpu"
    assert len(raw) > 63
    hashed = seldon.deployment_name(long_name, "predictor", 0, ["tfserving-proxy", "tfserving-gpu"])
    assert hashed.startswith("seldon-") and len(hashed) == 39
    model = sdep(name=long_name, containers=[container("tfserving-proxy"), container("tfserving-gpu")])
    route = f"default-{long_name}-predictor-8000"
    good = serving(sdep=model, ew=ew(source=hashed), hpa=hpa(route=route), ingress=ingress_obj(service=f"{long_name}-predictor"))
    assert stack_messages(wiring.inference_wiring, good) == []
    typed = serving(sdep=model, ew=ew(source=raw), hpa=hpa(route=route), ingress=ingress_obj(service=f"{long_name}-predictor"))
    one(stack_messages(wiring.inference_wiring, typed), f"expected one of: {hashed!r}")


def test_inference_wiring_seldon_overrides() -> None:
    named = sdep(component_name="gpu", predictor_annotations={"seldon.io/svc-name": "custom-svc"})
    good = serving(
        sdep=named,
        ew=ew(source="m-predictor-0-gpu"),
        hpa=hpa(route="default-custom-svc-8000"),
        ingress=ingress_obj(service="custom-svc"),
    )
    assert stack_messages(wiring.inference_wiring, good) == []


@pytest.mark.parametrize(
    ("sdep_name", "predictor", "containers"),
    [
        ("fashion-mnist-eci", "predictor", ["tfserving-proxy", "tfserving-gpu"]),
        ("m", "p", ["a"]),
        ("a-very-long-seldon-deployment-name-for-a-model", "predictor", ["tfserving-proxy", "tfserving-gpu"]),
        ("x" * 60, "predictor-with-a-long-name", ["c"]),
    ],
)
def test_pack_copy_of_seldon_naming_agrees_with_the_program(sdep_name: str, predictor: str, containers: list[str]) -> None:
    program = seldon_names(sdep_name, predictor, containers)
    assert seldon.deployment_name(sdep_name, predictor, 0, containers) == program.deployment
    prefixed = seldon_names(sdep_name, predictor, containers, name_as_prefix=True).deployment
    assert seldon.deployment_name(sdep_name, predictor, 0, containers, name_as_prefix=True) == prefixed
    assert seldon.service_name(sdep_name, predictor) == program.service
    assert program.http_port == seldon.HTTP_PORT


# ---------------------------------------------------------------------------------------------------------------
# Every repository stack, as the mocks capture it
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack_runs() -> dict[str, Run]:
    return {stack: run_stack(stack) for stack in STACKS}


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_passes_every_mandatory_policy(stack: str, stack_runs: dict[str, Run]) -> None:
    run = stack_runs[stack]
    violations = [
        (policy.name, r.name, message)
        for policy in MANDATORY_RESOURCE
        for r in run.resources
        for message in check(policy, registered_args(r))
    ]
    resources = [registered_resource(r) for r in run.resources]
    violations += [(policy.name, "stack", m) for policy in MANDATORY_STACK for m, _ in check_stack(policy, resources)]
    assert violations == []


def test_mandatory_policies_do_look_at_the_stacks(stack_runs: dict[str, Run]) -> None:
    """The pass above is not vacuous: every mandatory resource policy applies to resources the stacks register,
    except those that guard against a kind the program never creates (a Service: the operator makes them)."""
    types = {r.type for run in stack_runs.values() for r in run.resources}
    never_created = {"no-load-balancer-services"}
    for policy in MANDATORY_RESOURCE:
        assert any(policy.applies(t) for t in types) != (policy.name in never_created), policy.name
    assert {SDEP, EW, HPA, INGRESS, BUCKET, BUCKET_ACL, BUCKET_PAB, PV} <= types


def expected_advisories(stack: str) -> set[str]:
    """What the stack's own config says the advisory policies should point out."""
    config, _ = stack_config(stack)

    def value(key: str, default: Any) -> Any:
        return config.get(f"{PROJECT}:{key}", default)

    models: list[dict[str, Any]] = value("models", [])
    found = set()
    if any(not m.get("tlsSecret") for m in models):
        found.add("ingress-tls")
    if str(value("createBucket", True)).lower() == "true" and str(value("protectBucket", True)).lower() == "false":
        found.add("model-bucket-protected")
    if any(u.get("spotStrategy") == "SpotAsPriceGo" for m in models for u in m.get("units", [])):
        found.add("spot-price-limit")
    created_protected = str(value("createBucket", True)).lower() == "true" and str(value("protectBucket", True)).lower() == "true"
    prod_like = created_protected or any(m.get("tlsSecret") for m in models)
    # the images the stacks name: their own, or the defaults (stackconfig DEFAULT_PROXY_IMAGE / DEFAULT_SERVING_IMAGE)
    images = [m.get(key, "tag:default") for m in models for key in ("proxyImage", "servingImage")]
    if prod_like and any("@" not in image for image in images):
        found.add("prod-image-digests")
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_advisory_policies_point_out_what_the_stack_config_chose(stack: str, stack_runs: dict[str, Run]) -> None:
    found = {
        policy.name for policy in ADVISORY_RESOURCE for r in stack_runs[stack].resources if check(policy, registered_args(r))
    }
    resources = [registered_resource(r) for r in stack_runs[stack].resources]
    found |= {policy.name for policy in ADVISORY_STACK if check_stack(policy, resources)}
    assert found == expected_advisories(stack)


def test_dev_stack_advisories_are_the_seed_choices() -> None:
    assert expected_advisories("dev") == {"ingress-tls", "model-bucket-protected", "spot-price-limit"}


def test_a_broken_stack_fails(stack_runs: dict[str, Run]) -> None:
    """The same run, with the HPA asking for more replicas than the units hold and a typo in the EW source."""
    run = copy.deepcopy(stack_runs["dev"])
    hpa_resource = run.one(HPA)
    hpa_resource.inputs["spec"]["maxReplicas"] = 100
    run.one(EW).inputs["spec"]["sourceTarget"]["name"] += "-typo"
    resources = [registered_resource(r) for r in run.resources]
    capacity = check_stack(hpa_policies.hpa_max_within_elastic_capacity, resources)
    assert [urn for _, urn in capacity] == [hpa_resource.urn]
    assert len(check_stack(wiring.inference_wiring, resources)) == 1


def test_a_resource_policy_stack_over_capacity_fails(stack_runs: dict[str, Run]) -> None:
    """staging (resourcePolicy mode) as the program renders it: the HPA on the Seldon Deployment is bounded by the
    ResourcePolicy that selects its pods (units 2 + 4 + 10)."""
    run = copy.deepcopy(stack_runs["staging"])
    hpa_resource = run.one(HPA)
    assert hpa_resource.inputs["spec"]["scaleTargetRef"]["kind"] == "Deployment"
    assert check_stack(hpa_policies.hpa_max_within_elastic_capacity, [registered_resource(r) for r in run.resources]) == []
    hpa_resource.inputs["spec"]["maxReplicas"] = 17
    found = check_stack(hpa_policies.hpa_max_within_elastic_capacity, [registered_resource(r) for r in run.resources])
    assert [urn for _, urn in found] == [hpa_resource.urn]
    assert "ResourcePolicy inference/fashion-mnist-rp can place" in found[0][0] and "16 (units 2 + 4 + 10)" in found[0][0]


# ---------------------------------------------------------------------------------------------------------------
# The seed recipe's manifests
# ---------------------------------------------------------------------------------------------------------------


def test_seed_manifests_fail_exactly_what_they_violate(seed_path: Path) -> None:
    objects = seed_manifests(seed_path)
    assert [o["kind"] for o in objects] == [
        "PersistentVolume", "PersistentVolumeClaim", "SeldonDeployment", "ElasticWorkload", "HorizontalPodAutoscaler",
    ]  # fmt: skip
    found: dict[tuple[str, str], list[str]] = {}
    for policy in RESOURCE_POLICIES:
        for obj in objects:
            reported = check(policy, resource_args(manifest_type(obj), obj, name=manifest_name(obj)))
            if reported:
                found[(policy.name, manifest_name(obj))] = reported
    resources = [policy_resource(manifest_type(o), o, name=manifest_name(o)) for o in objects]
    for stack_policy in STACK_POLICIES:
        for message, urn in check_stack(stack_policy, resources):
            assert urn is not None
            found.setdefault((stack_policy.name, urn.rsplit("::", 1)[-1]), []).append(message)

    mandatory = {key for key in found if EXPECTED_LEVELS[key[0]] == "mandatory"}
    advisory = {key for key in found if EXPECTED_LEVELS[key[0]] == "advisory"}
    assert mandatory == {
        ("no-plaintext-credentials", "oss-csi-pv"),  # akId / akSecret in volumeAttributes
        ("hpa-autoscaling-v2", "fashion-mnist-eci-hpa"),  # autoscaling/v2beta1
        ("container-resource-requests", "fashion-mnist-eci"),  # proxy: no memory; tfserving-gpu: no cpu or memory
        ("inference-wiring", "fashion-mnist-eci-hpa"),  # its route's Ingress is made in the console, not in the YAML
    }
    assert advisory == {
        ("hpa-behavior", "fashion-mnist-eci-hpa"),  # v2beta1 has no behavior
        ("spot-price-limit", "fashion-mnist-eci-ew"),  # virtual-kubelet-2 is SpotAsPriceGo
        ("containers-non-root", "fashion-mnist-eci"),  # tfserving-proxy has no securityContext
    }
    credential_paths = found[("no-plaintext-credentials", "oss-csi-pv")]
    assert len(credential_paths) == 2 and "akId" in credential_paths[0] and "akSecret" in credential_paths[1]
    assert "autoscaling/v2beta1" in found[("hpa-autoscaling-v2", "fashion-mnist-eci-hpa")][0]
    requests = found[("container-resource-requests", "fashion-mnist-eci")]
    assert ["no memory request" in requests[0], "no cpu or memory request" in requests[1]] == [True, True]
    one(found[("inference-wiring", "fashion-mnist-eci-hpa")], "no Ingress of this stack routes to 'fashion-mnist-eci-predictor'")


# ---------------------------------------------------------------------------------------------------------------
# Unknown values (pulumi preview): reported as "could not check", never a silent pass, never a crash
# ---------------------------------------------------------------------------------------------------------------


def with_unknown(obj: dict[str, Any], *path: str | int) -> dict[str, Any]:
    changed = copy.deepcopy(obj)
    target: Any = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = UNKNOWN
    return changed


SDEP_C0 = ("spec", "predictors", 0, "componentSpecs", 0, "spec", "containers", 0)
UNKNOWN_CASES = [
    (credentials.no_plaintext_credentials, PV, with_unknown(pv({"bucket": "b"}), "spec", "csi", "volumeAttributes", "bucket"),
     "spec.csi.volumeAttributes.bucket"),
    (storage.oss_bucket_encrypted, BUCKET, with_unknown({"serverSideEncryptionRule": {"sseAlgorithm": "x"}}, "serverSideEncryptionRule", "sseAlgorithm"),
     "serverSideEncryptionRule.sseAlgorithm"),
    (storage.oss_bucket_private, BUCKET_ACL, {"bucket": "b", "acl": UNKNOWN}, "`acl`"),
    (storage.model_bucket_protected, BUCKET, {"bucket": "b", "forceDestroy": UNKNOWN}, "`forceDestroy`"),
    (workloads.gpu_requests_equal_limits, SDEP, with_unknown(sdep(containers=[container(gpu=1)]), *SDEP_C0, "resources", "limits", GPU),
     'containers[0].resources.limits["nvidia.com/gpu"]'),
    (workloads.container_resource_requests, SDEP, with_unknown(sdep(), *SDEP_C0, "resources", "requests", "cpu"),
     "containers[0].resources.requests.cpu"),
    (workloads.image_pinned, SDEP, with_unknown(sdep(), *SDEP_C0, "image"), "containers[0].image"),
    (workloads.containers_non_root, SDEP, with_unknown(sdep(), *SDEP_C0, "securityContext"), "containers[0].securityContext"),
    (hpa_policies.hpa_behavior, HPA, with_unknown(hpa(), "spec", "behavior"), "`spec.behavior`"),
    (elastic.elastic_unit_bounds, EW, with_unknown(ew(), "spec", "elasticUnit", 1, "max"), "spec.elasticUnit[1].max"),
    (elastic.elastic_unit_order, EW, with_unknown(ew(), "spec", "elasticUnit", 0, "annotations"), "spec.elasticUnit[0].annotations"),
    (elastic.eci_specs_allowed, EW, with_unknown(ew(), "spec", "elasticUnit", 0, "annotations", SPECS),
     'spec.elasticUnit[0].annotations["k8s.aliyun.com/eci-use-specs"]'),
    (elastic.spot_price_limit, EW, with_unknown(ew(), "spec", "elasticUnit", 1, "annotations", PRICE),
     'spec.elasticUnit[1].annotations["k8s.aliyun.com/eci-spot-price-limit"]'),
    (ingress.ingress_tls, INGRESS, with_unknown(ingress_obj(), "spec", "tls"), "`spec.tls`"),
    # the security policies (tests/test_policies_security.py has their passing and failing cases)
    (storage.oss_public_access_blocked, BUCKET_PAB, {"bucket": "b", "blockPublicAccess": UNKNOWN}, "`blockPublicAccess`"),
    (storage.oss_bucket_policy_not_public, "alicloud:oss/bucketPolicy:BucketPolicy", {"bucket": "b", "policy": UNKNOWN}, "`policy`"),
    (podsecurity.no_privileged_containers, SDEP, with_unknown(sdep(), *SDEP_C0, "securityContext"), "containers[0].securityContext"),
    (podsecurity.no_host_namespaces, DEPLOYMENT, with_unknown(deployment([container()]), "spec", "template", "spec"), "spec.template.spec"),
    (podsecurity.no_host_path_volumes, SDEP, with_unknown(sdep(), "spec", "predictors", 0, "componentSpecs"),
     "spec.predictors[0].componentSpecs"),
    (podsecurity.no_load_balancer_services, "kubernetes:core/v1:Service", {"metadata": {"name": "s"}, "spec": {"type": UNKNOWN}},
     "spec.type"),
]  # fmt: skip


@pytest.mark.parametrize(("policy", "resource_type", "props", "path"), UNKNOWN_CASES, ids=[c[0].name for c in UNKNOWN_CASES])
def test_unknown_values_are_reported_as_not_checked(
    policy: PackResourcePolicy, resource_type: str, props: dict[str, Any], path: str
) -> None:
    message = one(messages(policy, resource_type, props, protect=True), "could not check", path, "unknown during preview")
    assert "not a confirmed violation" in message


def test_every_resource_policy_has_an_unknown_value_case() -> None:
    covered = {case[0].name for case in UNKNOWN_CASES}
    # hpa-autoscaling-v2 reads only the resource type, which is always known
    assert covered == {p.name for p in RESOURCE_POLICIES} - {"hpa-autoscaling-v2"}
    assert (
        messages(hpa_policies.hpa_autoscaling_v2, "kubernetes:autoscaling/v2beta1:HorizontalPodAutoscaler", {"spec": UNKNOWN})
        != []
    )


def test_an_unknown_value_does_not_hide_the_rest() -> None:
    props = sdep(containers=[container("a", image=UNKNOWN), container("b", image="repo/b:latest")])
    found = messages(workloads.image_pinned, SDEP, props)
    assert len(found) == 2
    assert "could not check container 'a'" in found[0] and "containers[0].image" in found[0]
    assert "container 'b'" in found[1] and ":latest" in found[1]
    bucket = messages(storage.model_bucket_protected, BUCKET, {"forceDestroy": UNKNOWN}, protect=False)
    assert len(bucket) == 2 and "is not protected" in bucket[0] and "could not check" in bucket[1]


def test_a_whole_unknown_spec_is_not_a_silent_pass() -> None:
    whole_spec = {**sdep(), "spec": UNKNOWN}
    for policy in (workloads.container_resource_requests, workloads.image_pinned, elastic.eci_specs_allowed):
        one(messages(policy, SDEP, whole_spec), "could not check", "`spec`")
    one(messages(elastic.elastic_unit_order, EW, {**ew(), "spec": UNKNOWN}), "could not check", "`spec`")


def test_stack_policies_report_unknown_values() -> None:
    capacity = stack_messages(
        hpa_policies.hpa_max_within_elastic_capacity, serving(hpa=with_unknown(hpa(), "spec", "maxReplicas"))
    )
    one(capacity, "could not check maxReplicas of HorizontalPodAutoscaler default/m-hpa", "spec.maxReplicas")
    unit_max = stack_messages(
        hpa_policies.hpa_max_within_elastic_capacity, serving(ew=with_unknown(ew(), "spec", "elasticUnit", 0, "max"))
    )
    one(unit_max, "could not check", "spec.elasticUnit[0].max")
    source = stack_messages(wiring.inference_wiring, serving(ew=with_unknown(ew(), "spec", "sourceTarget", "name")))
    assert any("could not check the sourceTarget of ElasticWorkload default/m-ew" in m for m in source), source
    names = stack_messages(wiring.inference_wiring, serving(sdep=with_unknown(sdep(), "spec", "predictors")))
    assert any("could not check the names in SeldonDeployment default/m" in m for m in names), names
    # with the Seldon names unknown, the ElasticWorkload's source cannot be confirmed wrong either
    assert names and all(m.startswith("could not check") for m in names), names
    route = stack_messages(wiring.inference_wiring, serving(hpa=with_unknown(hpa(), "spec", "metrics", 0, "external")))
    one(route, "could not check the target and route of HorizontalPodAutoscaler default/m-hpa", "spec.metrics[0].external")


# ---------------------------------------------------------------------------------------------------------------
# Policy configuration
# ---------------------------------------------------------------------------------------------------------------


def cli_schema(policy: PackResourcePolicy | PackStackPolicy) -> dict[str, Any]:
    """The JSON schema the Pulumi CLI validates --policy-pack-config with (pkg/resource/plugin: convertSchema)."""
    assert policy.config_schema is not None
    return {"type": "object", "properties": policy.config_schema.properties}


BAD_CONFIGS: list[tuple[PackResourcePolicy | PackStackPolicy, dict[str, Any], str]] = [
    (hpa_policies.hpa_max_within_elastic_capacity, {"maxReplicasCap": -3}, "maxReplicasCap = -3: must be >= 1"),
    (hpa_policies.hpa_max_within_elastic_capacity, {"maxReplicasCap": 2.5}, "maxReplicasCap = 2.5: must be a whole number"),
    (elastic.spot_price_limit, {"maxPriceLimit": -1}, "maxPriceLimit = -1: must be > 0"),
    (elastic.eci_specs_allowed, {"allowedEciSpecs": []}, "allowedEciSpecs = []: must hold at least 1 item(s)"),
    (elastic.eci_specs_allowed, {"allowedEciSpecs": "ecs.gn6i-*"}, "allowedEciSpecs = 'ecs.gn6i-*': must be a list"),
    (elastic.eci_specs_allowed, {"allowedEciSpecs": ["ecs.gn6i-*", ""]}, "item 1 ('') must not be empty"),
    (elastic.elastic_unit_order, {"allowSpotFrist": True}, "unknown key 'allowSpotFrist' (did you mean 'allowSpotFirst'?)"),
    (elastic.elastic_unit_order, {"allowSpotFirst": "yes"}, "allowSpotFirst = 'yes': must be true or false"),
    (workloads.image_pinned, {"requireDigest": 1}, "requireDigest = 1: must be true or false"),
    (hpa_policies.hpa_behavior, {"minWindow": 5}, "unknown key 'minWindow'; this policy takes no configuration"),
]


@pytest.mark.parametrize(
    ("policy", "config", "expected"), BAD_CONFIGS, ids=[f"{c[0].name}-{next(iter(c[1]))}" for c in BAD_CONFIGS]
)
def test_bad_config_fails_with_a_clear_message(
    policy: PackResourcePolicy | PackStackPolicy, config: dict[str, Any], expected: str
) -> None:
    with pytest.raises(PolicyConfigError) as raised:
        if isinstance(policy, PackStackPolicy):
            check_stack(policy, [policy_resource(t, p) for t, p in serving()], wire(config))
        else:
            check(policy, resource_args(BUCKET, {"bucket": "b"}, config=wire(config)))  # fails whatever the resource
    assert f"policy {policy.name!r}: invalid configuration in --policy-pack-config: " in str(raised.value)
    assert expected in str(raised.value)


def test_good_config_and_enforcement_level_are_accepted() -> None:
    config = wire({"enforcementLevel": "advisory", "maxReplicasCap": 20})
    assert check_stack(hpa_policies.hpa_max_within_elastic_capacity, [policy_resource(t, p) for t, p in serving()], config) == []


def test_cli_schema_rejects_bad_values_but_not_unknown_keys() -> None:
    """Why the policies check their config themselves: the CLI's schema has no additionalProperties."""
    validator = jsonschema.Draft7Validator(cli_schema(hpa_policies.hpa_max_within_elastic_capacity))
    assert not validator.is_valid({"maxReplicasCap": -3})
    assert validator.is_valid({"maxReplicasCap": 20})
    assert validator.is_valid({"maxReplicasCapp": 20})  # a typo passes the CLI; the policy rejects it
    specs = jsonschema.Draft7Validator(cli_schema(elastic.eci_specs_allowed))
    assert not specs.is_valid({"allowedEciSpecs": []}) and specs.is_valid({"allowedEciSpecs": ["ecs.gn6i-*"]})


# ---------------------------------------------------------------------------------------------------------------
# The pack as the engine runs it: pulumi-policy's analyzer server, from a copy of the pack directory alone
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    pack = tmp_path_factory.mktemp("pack") / "policies"
    shutil.copytree(ROOT / "policies", pack, ignore=shutil.ignore_patterns("__pycache__", "venv"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PULUMI_PROJECT", "PULUMI_STACK")}
    # pulumi's policy entry point runs the pack directory with runpy, as `pulumi preview --policy-pack` does
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", str(pack)],
        cwd=pack.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        if not port.isdigit():
            process.kill()
            pytest.fail(f"the policy pack did not start: {port!r} {process.communicate()[1]}")
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def struct(props: dict[str, Any]) -> struct_pb2.Struct:
    value = struct_pb2.Struct()
    value.update(json.loads(json.dumps(props)))
    return value


def analyze(stub: analyzer_pb2_grpc.AnalyzerStub, resource_type: str, props: dict[str, Any], protect: bool = False) -> list[Any]:
    request = proto.AnalyzeRequest(
        type=resource_type,
        properties=struct(props),
        urn=f"urn:pulumi:e2e::eci-inference::{resource_type}::r",
        name="r",
        options=proto.AnalyzerResourceOptions(protect=protect),
    )
    return list(stub.Analyze(request).diagnostics)


def configure(stub: analyzer_pb2_grpc.AnalyzerStub, config: dict[str, dict[str, Any]]) -> None:
    request = proto.ConfigureAnalyzerRequest(
        policyConfig={
            name: proto.PolicyConfig(enforcementLevel=proto.MANDATORY, properties=struct(props)) for name, props in config.items()
        }
    )
    stub.Configure(request)


def test_engine_lists_the_pack(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "eci-inference-policies"
    levels = {p.name: ("mandatory" if p.enforcementLevel == proto.MANDATORY else "advisory") for p in info.policies}
    assert levels == EXPECTED_LEVELS
    specs = next(p for p in info.policies if p.name == "eci-specs-allowed")
    assert "allowedEciSpecs" in specs.configSchema.properties


def test_engine_reports_violations_unknowns_and_bad_config(analyzer: analyzer_pb2_grpc.AnalyzerStub, seed_path: Path) -> None:
    configure(analyzer, {})
    pv_seed = next(o for o in seed_manifests(seed_path) if o["kind"] == "PersistentVolume")
    found = analyze(analyzer, PV, pv_seed)
    assert [(d.policyName, d.enforcementLevel) for d in found] == [("no-plaintext-credentials", proto.MANDATORY)] * 2
    assert found[0].message.startswith(credentials.no_plaintext_credentials.description)
    assert {"akId", "akSecret"} == {k for k in ("akId", "akSecret") for d in found if f"volumeAttributes.{k}`" in d.message}

    unknown = analyze(analyzer, SDEP, with_unknown(sdep(), *SDEP_C0, "image"))
    # the image is the one unknown value: the image policy and the credential scan cannot vouch for it, the others pass
    assert [d.policyName for d in unknown] == ["no-plaintext-credentials", "image-pinned"]
    assert all("could not check" in d.message and "containers[0].image" in d.message for d in unknown)

    assert analyze(analyzer, BUCKET, {"bucket": "b", "serverSideEncryptionRule": {"sseAlgorithm": "AES256"}}, protect=True) == []

    configure(analyzer, {"hpa-max-within-elastic-capacity": {"maxReplicasCap": -3}})
    with pytest.raises(grpc.RpcError) as raised:
        analyzer.AnalyzeStack(proto.AnalyzeStackRequest(resources=[]))
    assert "maxReplicasCap = -3: must be >= 1" in str(raised.value)
    configure(analyzer, {})


def test_engine_passes_the_dev_stack(analyzer: analyzer_pb2_grpc.AnalyzerStub, stack_runs: dict[str, Run]) -> None:
    configure(analyzer, {})
    run = stack_runs["dev"]
    mandatory = [
        (d.policyName, r.name)
        for r in run.resources
        for d in analyze(analyzer, r.type, r.inputs, r.protect)
        if d.enforcementLevel == proto.MANDATORY
    ]
    assert mandatory == []
    stack = proto.AnalyzeStackRequest(
        resources=[
            proto.AnalyzerResource(type=r.type, properties=struct(r.inputs), urn=r.urn, name=r.name) for r in run.resources
        ]
    )
    assert list(analyzer.AnalyzeStack(stack).diagnostics) == []


def test_pack_directory_is_self_contained() -> None:
    """The pack imports nothing from the program (``components``), so it runs where the program is not importable."""
    for path in (ROOT / "policies").rglob("*.py"):
        text = path.read_text()
        assert "components" not in [
            line.split()[1].split(".")[0] for line in text.splitlines() if line.startswith(("import ", "from "))
        ], path
