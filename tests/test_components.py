"""Each component on its own, under the mocks, with hand-built arguments."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi

from components.addons import AckAddons, AddonSpec
from components.elastic_scaling import ElasticScaling, PodPolicy, UnitSpec
from components.ingress import ModelIngress
from components.model_bucket import ModelBucket
from components.model_server import ModelServer, ServerSettings
from components.model_store import ModelStore
from components.model_volume import ModelVolume
from components.namespace import ServingNamespace
from components.naming import model_names, seldon_names
from components.qps_autoscaler import QpsAutoscaler
from tests.conftest import ROOT
from tools.mockrun import Run, run_program

MODEL_DIR = ROOT / "models" / "fashion-mnist" / "1"


def run(build: Callable[[], dict[str, Any]]) -> Run:
    def program() -> None:
        for key, value in build().items():
            pulumi.export(key, value)

    return run_program(program, {})


def test_model_bucket_created_private_encrypted_versioned_and_protected() -> None:
    result = run(lambda: {"bucket": ModelBucket("m", {"bucket": "b-models", "create": True, "protect": True}).bucket})
    bucket = result.one("alicloud:oss/bucket:Bucket")
    assert bucket.inputs["bucket"] == "b-models" and bucket.protect
    assert bucket.inputs["serverSideEncryptionRule"] == {"sseAlgorithm": "AES256"}
    assert bucket.inputs["versioning"] == {"status": "Enabled"}
    assert bucket.inputs["forceDestroy"] is False
    acl = result.one("alicloud:oss/bucketAcl:BucketAcl")
    assert acl.inputs == {"bucket": "b-models", "acl": "private"} and acl.protect
    assert result.one("alicloud:oss/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs["blockPublicAccess"] is True
    assert result.outputs == {"bucket": "b-models"}
    assert all(r.parent == result.one("eci-inference:index:ModelBucket").urn for r in result.resources if r.custom)


def test_model_bucket_existing_creates_nothing() -> None:
    result = run(lambda: {"bucket": ModelBucket("m", {"bucket": "given", "create": False, "protect": True}).bucket})
    assert [r.type for r in result.resources] == ["eci-inference:index:ModelBucket"]
    assert result.outputs == {"bucket": "given"}


def test_model_bucket_unprotected_when_the_stack_says_so() -> None:
    result = run(lambda: {"bucket": ModelBucket("m", {"bucket": "b-models", "create": True, "protect": False}).bucket})
    assert not result.one("alicloud:oss/bucket:Bucket").protect


def addon(name: str, kind: str, **kw: Any) -> AddonSpec:
    base: dict[str, Any] = {
        "enabled": True,
        "version": None,
        "chart": name,
        "repo": "https://charts.example/",
        "namespace": "kube-system",
        "values": {},
    }
    return AddonSpec(name=name, kind=kind, **{**base, **kw})


def test_addons_managed_helm_and_disabled() -> None:
    addons = [
        addon("ack-virtual-node", "managed", values={"b": 1, "a": 2}, version="2.11.0", cleanup_cloud_resources=True),
        addon("seldon-core", "helm", chart="seldon-core-operator", version="1.17.1", namespace="seldon-system"),
        addon("ack-kubernetes-elastic-workload", "helm", enabled=False),
    ]
    result = run(lambda: {"installed": AckAddons("a", {"cluster_id": "cabc", "addons": addons}).installed})
    managed = result.one("alicloud:cs/kubernetesAddon:KubernetesAddon")
    assert managed.inputs == {
        "clusterId": "cabc",
        "name": "ack-virtual-node",
        "version": "2.11.0",
        "config": '{"a": 2, "b": 1}',
        "cleanupCloudResources": True,
    }
    release = result.one("kubernetes:helm.sh/v3:Release")
    assert release.inputs["chart"] == "seldon-core-operator"
    assert release.inputs["version"] == "1.17.1"
    assert release.inputs["namespace"] == "seldon-system"
    assert release.inputs["repositoryOpts"] == {"repo": "https://charts.example/"}
    assert result.outputs == {"installed": ["ack-virtual-node", "seldon-core"]}


def test_model_store_uploads_each_file_with_its_md5() -> None:
    result = run(
        lambda: {
            "uri": ModelStore(
                "s",
                {
                    "bucket": "bk",
                    "prefix": "p/q",
                    "model": "m",
                    "versions": {3: MODEL_DIR},
                    "former_version": 3,
                    "keep_dropped_versions": False,
                    "oss_location": None,
                },
            ).model_uri
        }
    )
    objects = {o.inputs["key"]: o for o in result.of_type("alicloud:oss/bucketObject:BucketObject")}
    files = sorted(p for p in MODEL_DIR.rglob("*") if p.is_file())
    assert sorted(objects) == sorted(f"p/q/m/3/{f.relative_to(MODEL_DIR).as_posix()}" for f in files)
    for f in files:
        o = objects[f"p/q/m/3/{f.relative_to(MODEL_DIR).as_posix()}"]
        assert o.inputs["contentMd5"] == base64.b64encode(hashlib.md5(f.read_bytes()).digest()).decode()
        assert Path(o.inputs["source"]) == f and o.inputs["bucket"] == "bk"
    assert result.outputs == {"uri": "oss://bk/p/q/m"}


def test_model_store_existing_oss_location_uploads_nothing() -> None:
    result = run(
        lambda: {
            "uri": ModelStore(
                "s",
                {
                    "bucket": "bk",
                    "prefix": "p",
                    "model": "m",
                    "versions": {},
                    "former_version": 1,
                    "keep_dropped_versions": True,
                    "oss_location": ("other", "a/b"),
                },
            ).model_uri
        }
    )
    assert result.of_type("alicloud:oss/bucketObject:BucketObject") == []
    assert result.outputs == {"uri": "oss://other/a/b"}


def volume_args(**kw: Any) -> Any:
    args: dict[str, Any] = {"namespace": "ns", "volume_name": "ns-x-model", "claim_name": "x-model", "secret_name": "x-model-oss", "bucket": "bk",
                            "endpoint": "oss-cn-beijing-internal.aliyuncs.com", "size": "5Gi", "rrsa_role_name": None, "ram_role_name": None,
                            "access_key": None}  # fmt: skip
    return {**args, **kw}


def test_model_volume_with_rrsa_has_no_secret_at_all() -> None:
    result = run(lambda: {"claim": ModelVolume("v", volume_args(rrsa_role_name="reader")).claim_name})
    assert result.of_type("kubernetes:core/v1:Secret") == []
    csi = result.one("kubernetes:core/v1:PersistentVolume").inputs["spec"]["csi"]
    assert csi["volumeAttributes"] == {"bucket": "bk", "url": "oss-cn-beijing-internal.aliyuncs.com", "path": "/",
                                       "otherOpts": "-o max_stat_cache_size=0 -o allow_other -o umask=022", "authType": "rrsa", "roleName": "reader"}  # fmt: skip
    assert "nodePublishSecretRef" not in csi
    assert result.outputs == {"claim": "x-model"}


def test_model_volume_with_the_eci_ram_role_names_it_and_has_no_secret() -> None:
    result = run(lambda: {"claim": ModelVolume("v", volume_args(ram_role_name="reader")).claim_name})
    assert result.of_type("kubernetes:core/v1:Secret") == []
    csi = result.one("kubernetes:core/v1:PersistentVolume").inputs["spec"]["csi"]
    assert csi["volumeAttributes"] == {"bucket": "bk", "url": "oss-cn-beijing-internal.aliyuncs.com", "path": "/",
                                       "otherOpts": "-o max_stat_cache_size=0 -o allow_other -o umask=022", "ramRole": "reader"}  # fmt: skip
    assert "nodePublishSecretRef" not in csi


def test_model_volume_with_access_key_uses_a_secret_reference() -> None:
    def build() -> dict[str, Any]:
        keys = {"access_key_id": pulumi.Output.secret("id-1"), "access_key_secret": pulumi.Output.secret("sk-2")}
        return {"claim": ModelVolume("v", volume_args(access_key=keys)).claim_name}

    result = run(build)
    secret = result.one("kubernetes:core/v1:Secret")
    assert secret.inputs["stringData"] == {"akId": "id-1", "akSecret": "sk-2"}
    assert secret.masked["stringData"] == "[secret]"
    pv = result.one("kubernetes:core/v1:PersistentVolume")
    assert pv.inputs["spec"]["csi"]["nodePublishSecretRef"] == {"name": "x-model-oss", "namespace": "ns"}
    assert "id-1" not in str(pv.inputs) and "sk-2" not in str(pv.inputs)
    pvc = result.one("kubernetes:core/v1:PersistentVolumeClaim")
    assert pvc.inputs["spec"]["volumeName"] == "ns-x-model" and pvc.inputs["spec"]["storageClassName"] == ""


def server_settings(**kw: Any) -> ServerSettings:
    settings: ServerSettings = {"proxy_image": "proxy:1", "serving_image": "tfs:2-gpu", "gpu": 2, "cpu": "4", "memory": "8Gi",
                                "proxy_cpu": "0.5", "proxy_memory": "256Mi", "termination_grace_seconds": 45, "pre_stop_seconds": 5,
                                "model_load_timeout_seconds": 600}  # fmt: skip
    return {**settings, **kw}  # type: ignore[typeddict-item]


def server_args(**kw: Any) -> Any:
    args: dict[str, Any] = {"namespace": "ns", "names": model_names("ns", "sd", "pred"), "predictor_name": "pred",
                            "model_name": "mnist", "model_version": 3, "model_base_path": "m/mnist", "claim_name": "c",
                            "settings": server_settings(), "depends_on": [], "restricted": False}  # fmt: skip
    return {**args, **kw}


def test_model_server_derives_the_operator_names() -> None:
    def build() -> dict[str, Any]:
        s = ModelServer("srv", server_args())
        return {"sdep": s.server_name, "deployment": s.predictor_deployment, "service": s.service_name, "port": s.http_port}

    result = run(build)
    assert result.outputs == {
        "sdep": "sd",
        "deployment": "sd-pred-0-tfserving-proxy-tfserving-gpu",
        "service": "sd-pred",
        "port": 8000,
    }
    sdep = result.one("kubernetes:machinelearning.seldon.io/v1:SeldonDeployment").inputs
    assert (sdep["metadata"]["name"], sdep["metadata"]["namespace"]) == ("sd", "ns")
    spec = sdep["spec"]
    assert "replicas" not in spec and "replicas" not in spec["predictors"][0]
    pod = spec["predictors"][0]["componentSpecs"][0]["spec"]
    gpu = pod["containers"][1]["resources"]
    assert gpu["requests"]["nvidia.com/gpu"] == gpu["limits"]["nvidia.com/gpu"] == "2"
    assert gpu["requests"]["cpu"] == gpu["limits"]["cpu"] == "4"
    assert pod["containers"][0]["resources"] == {"requests": {"cpu": "0.5", "memory": "256Mi"}, "limits": {"memory": "256Mi"}}
    serving = pod["containers"][1]
    # The image's entrypoint script never runs (command is replaced); the flags are ours alone.
    assert serving["command"][:2] == ["/bin/bash", "-c"] and serving["command"][3] == "/usr/bin/tensorflow_model_server"
    assert "exec /usr/bin/tensorflow_model_server" in serving["command"][2]
    assert serving["args"] == ["--port=7001", "--rest_api_port=8501", "--model_config_file=/run/tfserving/models.config"]
    assert serving["env"] == [
        {
            "name": "TF_MODEL_SERVER_CONFIG",
            "value": 'model_config_list {\n  config {\n    name: "mnist"\n    base_path: "/mnt/m/mnist"\n'
            '    model_platform: "tensorflow"\n    model_version_policy { specific { versions: 3 } }\n  }\n}\n',
        }
    ]
    assert serving["volumeMounts"] == [
        {"name": "model-storage", "mountPath": "/mnt", "readOnly": True},
        {"name": "tfserving-config", "mountPath": "/run/tfserving"},
    ]
    assert pod["volumes"] == [
        {"name": "model-storage", "persistentVolumeClaim": {"claimName": "c", "readOnly": True}},
        {"name": "tfserving-config", "emptyDir": {"sizeLimit": "1Mi"}},
    ]
    assert spec["predictors"][0]["componentSpecs"][0]["metadata"] == {"labels": {"eci-inference.io/predictor": "sd-pred"}}
    assert pod["terminationGracePeriodSeconds"] == 45
    assert all(c["lifecycle"] == {"preStop": {"exec": {"command": ["sleep", "5"]}}} for c in pod["containers"])
    params = {p["name"]: p["value"] for p in spec["predictors"][0]["graph"]["parameters"]}
    assert params == {"rest_endpoint": "http://127.0.0.1:8501", "model_name": "mnist", "signature_name": "serving_default"}


def test_seldon_names_hash_past_63_characters() -> None:
    long = seldon_names("a" * 40, "predictor", ["tfserving-proxy", "tfserving-gpu"])
    assert (
        long.deployment == "seldon-" + hashlib.md5(("a" * 40 + "-predictor-0-tfserving-proxy-tfserving-gpu").encode()).hexdigest()
    )
    assert long.service == "a" * 40 + "-predictor"
    assert seldon_names("a" * 60, "predictor", []).service.startswith("seldon-")


def test_elastic_scaling_units_in_order_with_spot_annotations() -> None:
    units = [
        UnitSpec(name="od", specs=("ecs.gn6i-c4g1.xlarge", "ecs.gn6i-c8g1.2xlarge"), min=1, max=3),
        UnitSpec(
            name="spot", specs=("ecs.gn6i-c4g1.xlarge",), min=0, max=10, spot_strategy="SpotWithPriceLimit", price_limit=2.5
        ),
    ]

    def build() -> dict[str, Any]:
        e = ElasticScaling("e", {"namespace": "ns", "workload_name": "w", "source_deployment": "d", "source_min": 0,
                                 "source_max": 1, "initial_replicas": 4, "units": units, "depends_on": [],
                                 "pod_policy": PodPolicy(spot_protection_hours=0, spot_graceful_eviction=True)})  # fmt: skip
        return {"name": e.workload_name, "kind": e.kind}

    result = run(build)
    ew = result.one("kubernetes:autoscaling.alibabacloud.com/v1beta1:ElasticWorkload")
    assert ew.ignore_changes == ["spec.replicas"]
    spec = ew.inputs["spec"]
    assert spec["sourceTarget"] == {"name": "d", "kind": "Deployment", "apiVersion": "apps/v1", "min": 0, "max": 1}
    assert spec["replicas"] == 4
    assert [(u["min"], u["max"]) for u in spec["elasticUnit"]] == [(1, 3), (0, 10)]
    assert [u["name"] for u in spec["elasticUnit"]] == ["od", "spot"]
    assert spec["elasticUnit"][0]["annotations"] == {
        "virtual-kubelet": "true",
        "k8s.aliyun.com/eci-use-specs": "ecs.gn6i-c4g1.xlarge,ecs.gn6i-c8g1.2xlarge",
    }
    assert spec["elasticUnit"][1]["annotations"]["k8s.aliyun.com/eci-spot-strategy"] == "SpotWithPriceLimit"
    assert spec["elasticUnit"][1]["annotations"]["k8s.aliyun.com/eci-spot-price-limit"] == "2.5"
    assert spec["elasticUnit"][1]["annotations"]["k8s.aliyun.com/eci-spot-duration"] == "0"
    assert spec["elasticUnit"][1]["annotations"]["k8s.aliyun.com/eci-spot-release-strategy"] == "api-evict"
    assert all(u["nodeSelector"] == {"type": "virtual-kubelet"} for u in spec["elasticUnit"])
    assert result.outputs == {"name": "w", "kind": "ElasticWorkload"}


def test_qps_autoscaler_metric_and_behavior() -> None:
    def build() -> dict[str, Any]:
        a = QpsAutoscaler("q", {"namespace": "ns", "hpa_name": "h", "target": {"api_version": "apps/v1", "kind": "Deployment", "name": "d"},
                                "sls_project": "proj", "sls_logstore": "store", "route": "ns-svc-8000", "min_replicas": 2,
                                "max_replicas": 9, "target_qps": 7, "traffic_share": 100, "scale_up_stabilization_seconds": 0,
                                "scale_down_stabilization_seconds": 120, "scale_up_pods": 6, "scale_up_percent": 50,
                                "scale_down_percent": 20, "scheduled": False, "depends_on": []})  # fmt: skip
        return {"hpa": a.hpa_name}

    result = run(build)
    spec = result.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler").inputs["spec"]
    assert (spec["minReplicas"], spec["maxReplicas"]) == (2, 9)
    external = spec["metrics"][0]["external"]
    assert external["metric"] == {
        "name": "sls_ingress_qps",
        "selector": {"matchLabels": {"sls.project": "proj", "sls.logstore": "store", "sls.ingress.route": "ns-svc-8000"}},
    }
    assert external["target"] == {"type": "AverageValue", "averageValue": "7"}
    assert spec["behavior"] == {
        "scaleUp": {
            "stabilizationWindowSeconds": 0,
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
    }
    assert result.outputs == {"hpa": "h"}


def test_ingress_tls_urls_and_route() -> None:
    def build() -> dict[str, Any]:
        i = ModelIngress("i", {"namespace": "ns", "ingress_name": "x", "host": "x.example.com", "service_name": "svc",
                               "service_port": 8000, "ingress_class": "nginx", "tls_secret": "x-tls", "canary_weight": None,
                               "prediction_path": "/api/v1.0/predictions"})  # fmt: skip
        return {"url": i.prediction_url, "route": i.route}

    result = run(build)
    spec = result.one("kubernetes:networking.k8s.io/v1:Ingress").inputs["spec"]
    assert spec["ingressClassName"] == "nginx"
    assert spec["tls"] == [{"hosts": ["x.example.com"], "secretName": "x-tls"}]
    assert result.outputs == {"url": "https://x.example.com/api/v1.0/predictions", "route": "ns-svc-8000"}


def test_ingress_without_tls_is_plain_http() -> None:
    def build() -> dict[str, Any]:
        i = ModelIngress("i", {"namespace": "ns", "ingress_name": "x", "host": "x.example.com", "service_name": "svc",
                               "service_port": 8000, "ingress_class": None, "tls_secret": None, "canary_weight": None,
                               "prediction_path": "/api/v1.0/predictions"})  # fmt: skip
        return {"url": i.endpoint_url}

    result = run(build)
    assert "tls" not in result.one("kubernetes:networking.k8s.io/v1:Ingress").inputs["spec"]
    assert result.outputs == {"url": "http://x.example.com"}


def test_every_child_is_parented_to_its_component(dev_run: Run) -> None:
    components = {r.urn: r for r in dev_run.resources if r.type.startswith("eci-inference:index:")}
    for r in dev_run.resources:
        if r.type.startswith("pulumi:providers:"):
            continue
        if r.custom:
            assert r.parent in components, f"{r.urn} has no component parent"
        component = components.get(r.parent)
        if component is not None:
            assert r.name.startswith(component.name + "-"), f"{r.name} is not named after {component.name}"


def test_model_server_probes_wait_for_the_model_version() -> None:
    settings = server_settings(model_load_timeout_seconds=605)
    result = run(lambda: {"sdep": ModelServer("srv", server_args(settings=settings)).server_name})
    spec = result.one("kubernetes:machinelearning.seldon.io/v1:SeldonDeployment").inputs["spec"]
    proxy, serving = spec["predictors"][0]["componentSpecs"][0]["spec"]["containers"]
    for probe in ("startupProbe", "readinessProbe"):
        assert serving[probe]["httpGet"] == {"path": "/v1/models/mnist/versions/3/metadata", "port": 8501}, probe
    startup = serving["startupProbe"]
    assert startup["failureThreshold"] * startup["periodSeconds"] >= 605
    assert proxy["readinessProbe"]["httpGet"] == {"path": "/health/ping", "port": 9000}
    assert "startupProbe" not in proxy


def test_serving_namespace_is_created_or_only_named() -> None:
    created = run(lambda: {"name": ServingNamespace("ns", {"name": "inference", "create": True}).name})
    namespace = created.one("kubernetes:core/v1:Namespace")
    assert namespace.inputs["metadata"]["name"] == "inference"
    assert namespace.parent == created.one("eci-inference:index:ServingNamespace").urn
    assert created.outputs == {"name": "inference"}
    existing = run(lambda: {"name": ServingNamespace("ns", {"name": "default", "create": False}).name})
    assert [r.type for r in existing.resources] == ["eci-inference:index:ServingNamespace"]
    assert existing.outputs == {"name": "default"}
