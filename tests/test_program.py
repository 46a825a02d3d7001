"""The whole program, run fresh for every stack file: wiring, outputs, secrets, determinism."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from components.naming import seldon_names
from stackconfig import PROJECT
from tests import conftest
from tests.conftest import PLACEHOLDER_SECRETS, STACKS, fresh_run, run_config, run_stack, stack_config
from tools.mockrun import Registered, Run

SDEP = conftest.SDEP
ISVC = conftest.ISVC
EW = "kubernetes:autoscaling.alibabacloud.com/v1beta1:ElasticWorkload"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"
PV = "kubernetes:core/v1:PersistentVolume"
SECRET = "kubernetes:core/v1:Secret"
RP = "kubernetes:scheduling.alibabacloud.com/v1alpha1:ResourcePolicy"
CRONHPA = "kubernetes:autoscaling.alibabacloud.com/v1beta1:CronHorizontalPodAutoscaler"


@dataclass(frozen=True)
class Names:
    deployment: str
    service: str
    http_port: int


def models(stack: str) -> list[dict[str, Any]]:
    config, _ = stack_config(stack)
    found: list[dict[str, Any]] = config[f"{PROJECT}:models"]
    return found


def by_name(run: Run, type_: str, name: str) -> Registered:
    found = [r for r in run.of_type(type_) if r.inputs["metadata"]["name"] == name]
    assert len(found) == 1, f"{type_} {name}: {[r.inputs['metadata']['name'] for r in run.of_type(type_)]}"
    return found[0]


def test_stack_files_exist() -> None:
    assert {"dev", "prod"} <= set(STACKS)


def served(run: Run) -> list[tuple[str, str, str, int, dict[str, Any]]]:
    """``(namespace, predictor Deployment, Service, Service port, pod)`` of every server object, each derived here from
    the operator's rule: Seldon's by ``seldon_names``; KServe v0.20.0's written out (``constants.PredictorServiceName``:
    ``<isvc>-predictor``; ``service_reconciler.go``: port 80)."""
    found = []
    for sdep in run.of_type(SDEP):
        predictor = sdep.inputs["spec"]["predictors"][0]
        pod = predictor["componentSpecs"][0]["spec"]
        names = seldon_names(sdep.inputs["metadata"]["name"], predictor["name"], [c["name"] for c in pod["containers"]])
        found.append((sdep.inputs["metadata"]["namespace"], names.deployment, names.service, names.http_port, pod))
    for isvc in run.of_type(ISVC):
        name = isvc.inputs["metadata"]["name"] + "-predictor"
        found.append((isvc.inputs["metadata"]["namespace"], name, name, 80, isvc.inputs["spec"]["predictor"]))
    return found


@pytest.mark.parametrize("server", ["seldon", "kserve"])
@pytest.mark.parametrize("stack", conftest.STACKS)
def test_every_model_is_wired_end_to_end(stack: str, server: str) -> None:
    config, secret_keys = stack_config(stack)
    stack_run = run_config(conftest.with_server(config, server), secret_keys, stack)
    assert len(served(stack_run)) == len(models(stack))
    for namespace, deployment, service, port, pod in served(stack_run):
        names = Names(deployment, service, port)
        if stack_run.of_type(EW):
            # The ElasticWorkload's source is the Deployment the operator will create from this SeldonDeployment.
            ews = [e for e in stack_run.of_type(EW) if e.inputs["spec"]["sourceTarget"]["name"] == names.deployment]
            assert len(ews) == 1, names.deployment
            ew = ews[0]
            assert ew.inputs["metadata"]["namespace"] == namespace
            source = ew.inputs["spec"]["sourceTarget"]
            assert (source["kind"], source["apiVersion"]) == ("Deployment", "apps/v1")
            # The HPA targets that ElasticWorkload.
            expected = {"apiVersion": ew.inputs["apiVersion"], "kind": ew.inputs["kind"], "name": ew.inputs["metadata"]["name"]}
        else:
            # resourcePolicy mode: the HPA scales the Deployment itself.
            expected = {"apiVersion": "apps/v1", "kind": "Deployment", "name": names.deployment}
        hpas = [h for h in stack_run.of_type(HPA) if h.inputs["spec"]["scaleTargetRef"] == expected]
        assert len(hpas) == 1, expected

        # The route label matches the Ingress backend that points at the operator's Service.
        ingresses = [
            i for i in stack_run.of_type(INGRESS)
            if i.inputs["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == names.service
        ]  # fmt: skip
        assert len(ingresses) == 1
        backend = ingresses[0].inputs["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
        assert backend["port"]["number"] == names.http_port == {"seldon": 8000, "kserve": 80}[server]
        labels = hpas[0].inputs["spec"]["metrics"][0]["external"]["metric"]["selector"]["matchLabels"]
        assert (
            labels["sls.ingress.route"]
            == f"{ingresses[0].inputs['metadata']['namespace']}-{backend['name']}-{backend['port']['number']}"
        )

        # The PVC the server object mounts is the one created, bound to the PV created, which mounts the bucket.
        claim = pod["volumes"][0]["persistentVolumeClaim"]["claimName"]
        pvc = by_name(stack_run, PVC, claim)
        assert pvc.inputs["metadata"]["namespace"] == namespace
        pv = by_name(stack_run, PV, pvc.inputs["spec"]["volumeName"])
        assert pv.inputs["spec"]["csi"]["volumeHandle"] == pv.inputs["metadata"]["name"]
        assert pv.inputs["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
        assert pv.inputs["spec"]["accessModes"] == pvc.inputs["spec"]["accessModes"] == ["ReadOnlyMany"]
        assert pod["containers"][-1]["volumeMounts"][0]["name"] == pod["volumes"][0]["name"]


def test_the_kubernetes_provider_is_explicit_and_used_everywhere(stack_run: Run) -> None:
    providers = stack_run.of_type("pulumi:providers:kubernetes")
    assert len(providers) == 1
    assert providers[0].masked["kubeconfig"] == "[secret]"
    for r in stack_run.resources:
        if r.type.startswith("kubernetes:"):
            assert r.provider.startswith(providers[0].urn + "::"), f"{r.urn} uses {r.provider}"


def test_outputs_per_model(stack_run: Run) -> None:
    for model in stack_run.outputs:
        out = stack_run.outputs[model]
        common = {"endpointUrl", "predictionUrl", "ingressHost", "bucket", "modelUri", "hpaName", "predictorDeploymentName",
                  "protocol", "traffic"}  # fmt: skip
        mode_key = "elasticWorkloadName" if stack_run.of_type(EW) else "resourcePolicyName"
        cron = {"cronHpaName"} if stack_run.of_type(CRONHPA) else set()
        if out["protocol"] == "kserve-v1":
            assert set(out) == common | {"inferenceServiceName", mode_key} | cron
            assert out["traffic"] == [{"version": 1, "weight": 100, "inferenceServiceName": out["inferenceServiceName"]}]
            assert out["predictionUrl"] == out["endpointUrl"] + f"/v1/models/{model}:predict"
            assert out["predictorDeploymentName"] == out["inferenceServiceName"] + "-predictor"
            continue
        assert out["protocol"] == "seldon"
        assert set(out) == common | {"seldonDeploymentName", mode_key} | cron
        assert out["traffic"] == [{"version": 1, "weight": 100, "seldonDeploymentName": out["seldonDeploymentName"]}]
        assert out["endpointUrl"].endswith("://" + out["ingressHost"])
        assert out["predictionUrl"] == out["endpointUrl"] + "/api/v1.0/predictions"
        assert out["modelUri"].startswith(f"oss://{out['bucket']}/")
        hpa = by_name(stack_run, HPA, out["hpaName"])
        sdep = by_name(stack_run, SDEP, out["seldonDeploymentName"])
        predictor = sdep.inputs["spec"]["predictors"][0]
        containers = [c["name"] for c in predictor["componentSpecs"][0]["spec"]["containers"]]
        assert (
            out["predictorDeploymentName"] == seldon_names(out["seldonDeploymentName"], predictor["name"], containers).deployment
        )
        if mode_key == "elasticWorkloadName":
            ew = by_name(stack_run, EW, out["elasticWorkloadName"])
            assert ew.inputs["spec"]["sourceTarget"]["name"] == out["predictorDeploymentName"]
        else:
            assert by_name(stack_run, RP, out["resourcePolicyName"])
            assert hpa.inputs["spec"]["scaleTargetRef"]["name"] == out["predictorDeploymentName"]


def test_dev_outputs_match_the_recipe(dev_run: Run) -> None:
    out = dev_run.outputs["fashion-mnist"]
    assert out["ingressHost"] == "fashion-mnist-eci.c9522b942edaf4ec98c2cbc351ec8ade6.cn-beijing.alicontainer.com"
    assert out["endpointUrl"] == "http://" + out["ingressHost"]
    assert out["modelUri"] == "oss://eci-inference-dev-models/arena/models/fashion-mnist"
    assert (out["hpaName"], out["elasticWorkloadName"]) == ("fashion-mnist-eci-hpa", "fashion-mnist-eci-ew")
    assert out["seldonDeploymentName"] == "fashion-mnist-eci"
    assert out["predictorDeploymentName"] == "fashion-mnist-eci-predictor-0-tfserving-proxy-tfserving-gpu"


def test_prod_is_protected_encrypted_tls_and_mounts_with_the_eci_ram_role() -> None:
    run = run_stack("prod")
    bucket = run.one("alicloud:oss/bucket:Bucket")
    assert bucket.protect
    assert bucket.inputs["serverSideEncryptionRule"] == {"sseAlgorithm": "AES256"}
    assert bucket.inputs["versioning"] == {"status": "Enabled"}
    assert run.one("alicloud:oss/bucketAcl:BucketAcl").inputs["acl"] == "private"
    assert run.of_type(SECRET) == []
    csi = run.one(PV).inputs["spec"]["csi"]
    assert csi["volumeAttributes"] == {
        "bucket": "eci-inference-prod-models",
        "url": "oss-cn-beijing-internal.aliyuncs.com",
        "path": "/",
        "otherOpts": "-o max_stat_cache_size=0 -o allow_other -o umask=022",
        "ramRole": "eci-inference-prod-oss-reader",
    }
    assert "nodePublishSecretRef" not in csi
    ingress = run.one(INGRESS).inputs["spec"]
    assert ingress["tls"] == [{"hosts": ["fashion-mnist.inference.example.com"], "secretName": "fashion-mnist-tls"}]
    units = run.one(EW).inputs["spec"]["elasticUnit"]
    spot = ["k8s.aliyun.com/eci-spot-strategy" in u["annotations"] for u in units]
    assert spot == [False, True, True]
    roles = [u["annotations"]["k8s.aliyun.com/eci-ram-role-name"] for u in units]
    assert roles == ["eci-inference-prod-oss-reader"] * 3


def test_dev_volume_takes_keys_from_a_secret_never_from_attributes(dev_run: Run) -> None:
    pv = dev_run.one(PV).inputs["spec"]["csi"]
    assert not {"akId", "akSecret"} & set(pv["volumeAttributes"])
    secret = dev_run.one(SECRET)
    assert pv["nodePublishSecretRef"] == {"name": secret.inputs["metadata"]["name"], "namespace": "default"}
    assert secret.masked["stringData"] == "[secret]"
    assert secret.inputs["stringData"] == {
        "akId": PLACEHOLDER_SECRETS["ossAccessKeyId"],
        "akSecret": PLACEHOLDER_SECRETS["ossAccessKeySecret"],
    }


def _plain_occurrences(run: Run, secret: str) -> list[str]:
    secret = json.dumps(secret)[1:-1]  # as it appears inside JSON text
    found = []
    for r in run.resources:
        if secret in json.dumps(r.masked):
            found.append(r.urn)
    if secret in json.dumps(run.masked_outputs):
        found.append("stack outputs")
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_no_secret_appears_in_plain_text(stack: str) -> None:
    config, secret_keys = stack_config(stack)
    config[f"{PROJECT}:kubeconfig"] = PLACEHOLDER_SECRETS["kubeconfig"]
    secret_keys.append(f"{PROJECT}:kubeconfig")
    run = run_config(config, secret_keys, stack)
    secrets = [config[k] for k in secret_keys]
    assert PLACEHOLDER_SECRETS["kubeconfig"] in secrets
    for secret in secrets:
        assert _plain_occurrences(run, secret) == [], f"{secret!r} in plain text"
        as_json = json.dumps(secret)[1:-1]
        assert any(as_json in json.dumps(r.secret_values) for r in run.resources), (
            f"{secret!r} never reached a resource as a secret"
        )


def test_cluster_credential_is_fetched_when_no_kubeconfig_is_given(dev_run: Run) -> None:
    assert [t for t, _ in dev_run.invokes] == ["alicloud:cs/getClusterCredential:getClusterCredential"]
    assert dev_run.invokes[0][1]["clusterId"] == "c9522b942edaf4ec98c2cbc351ec8ade6"
    assert dev_run.one("pulumi:providers:kubernetes").masked["kubeconfig"] == "[secret]"


def _fingerprint(run: Run) -> list[tuple[str, str, str, bool, list[str]]]:
    return sorted(
        (r.urn, r.parent, json.dumps(r.masked, sort_keys=True), r.protect, sorted(r.ignore_changes)) for r in run.resources
    )


@pytest.mark.parametrize("stack", STACKS)
def test_same_config_registers_the_same_resources(stack: str) -> None:
    config, secret_keys = stack_config(stack)
    first, second = fresh_run(config, secret_keys, stack), fresh_run(config, secret_keys, stack)  # not the shared run
    assert first is not second and first.resources is not second.resources
    assert len(first.resources) > 10
    assert _fingerprint(first) == _fingerprint(second)
    assert first.masked_outputs == second.masked_outputs


def test_several_models_share_the_bucket_and_add_ons(dev_config: Any) -> None:
    config, secret_keys = dev_config()
    second = json.loads(json.dumps(config[f"{PROJECT}:models"][0]))
    second.update({"name": "fashion-mnist-b", "seldonDeploymentName": "fashion-mnist-b"})
    config[f"{PROJECT}:models"].append(second)
    run = run_config(config, secret_keys)
    assert len(run.of_type("alicloud:oss/bucket:Bucket")) == 1
    assert len(run.of_type("kubernetes:helm.sh/v3:Release")) == 3
    assert len(run.of_type(SDEP)) == len(run.of_type(EW)) == len(run.of_type(HPA)) == 2
    assert set(run.outputs) == {"fashion-mnist", "fashion-mnist-b"}
    names = [
        (r.type, r.inputs["metadata"]["name"])
        for r in run.resources
        if r.type.startswith("kubernetes:") and "metadata" in r.inputs
    ]
    assert len(names) == len(set(names)), "two objects share a name"


def test_renaming_a_model_keeps_its_resources_through_aliases(dev_config: Any) -> None:
    config, secret_keys = dev_config()
    config[f"{PROJECT}:models"][0].update(
        {"name": "fashion", "formerNames": ["fashion-mnist"], "seldonDeploymentName": "fashion-mnist-eci"}
    )
    run = run_config(config, secret_keys)
    top = run.one("eci-inference:index:InferenceService")
    assert top.name == "fashion"
    assert top.aliases == ["fashion-mnist"]
    sdep = run.one(SDEP)
    assert sdep.inputs["metadata"]["name"] == "fashion-mnist-eci", (
        "Kubernetes names follow seldonDeploymentName, not the component name"
    )


def test_addons_come_before_what_needs_them(dev_run: Run) -> None:
    releases = {r.inputs["name"]: r.urn for r in dev_run.of_type("kubernetes:helm.sh/v3:Release")}
    virtual_node = dev_run.one("alicloud:cs/kubernetesAddon:KubernetesAddon")
    assert virtual_node.inputs["name"] == "ack-virtual-node"
    assert releases["seldon-core"] in dev_run.one(SDEP).dependencies
    assert {releases["ack-kubernetes-elastic-workload"], virtual_node.urn} <= set(dev_run.one(EW).dependencies)
    assert releases["ack-alibaba-cloud-metrics-adapter"] in dev_run.one(HPA).dependencies


def test_autoscaler_owned_replicas_are_not_fought_over(dev_run: Run) -> None:
    assert dev_run.one(EW).ignore_changes == ["spec.replicas"]


def test_model_files_are_uploaded_under_prefix_model_version(dev_run: Run) -> None:
    objects = dev_run.of_type("alicloud:oss/bucketObject:BucketObject")
    keys = sorted(o.inputs["key"] for o in objects)
    assert keys == [
        "arena/models/fashion-mnist/1/fingerprint.pb",
        "arena/models/fashion-mnist/1/saved_model.pb",
        "arena/models/fashion-mnist/1/variables/variables.data-00000-of-00001",
        "arena/models/fashion-mnist/1/variables/variables.index",
    ]
    assert all(o.inputs["contentMd5"] and o.inputs["bucket"] == "eci-inference-dev-models" for o in objects)
    sdep = dev_run.one(SDEP).inputs["spec"]["predictors"][0]["componentSpecs"][0]["spec"]
    assert 'base_path: "/mnt/arena/models/fashion-mnist"' in sdep["containers"][1]["env"][0]["value"]


def test_existing_bucket_and_oss_source_create_no_bucket_and_upload_nothing(dev_config: Any) -> None:
    config, secret_keys = dev_config()
    config[f"{PROJECT}:createBucket"] = False
    config[f"{PROJECT}:models"][0]["source"] = "oss://team-models/fashion/mnist"
    run = run_config(config, secret_keys)
    assert run.of_type("alicloud:oss/bucket:Bucket") == []
    assert run.of_type("alicloud:oss/bucketObject:BucketObject") == []
    assert run.outputs["fashion-mnist"]["modelUri"] == "oss://team-models/fashion/mnist"
    assert run.one(PV).inputs["spec"]["csi"]["volumeAttributes"]["bucket"] == "team-models"


def test_one_run_per_configuration_each_caller_its_own_copy() -> None:
    config, secret_keys = stack_config("dev")
    key = conftest.run_key(config, secret_keys, "dev")
    first = run_stack("dev")
    assert key in conftest._RUNS
    assert conftest.run_key(config, list(reversed(secret_keys)), "dev") == key, "secret keys are a set"
    first.resources.clear()
    first.outputs["fashion-mnist"]["hpaName"] = "changed"
    second = run_stack("dev")
    assert second is not first and len(second.resources) > 10
    assert second.outputs["fashion-mnist"]["hpaName"] == "fashion-mnist-eci-hpa"
    assert conftest.run_key(config, secret_keys, "other") != key
