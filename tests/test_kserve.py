"""KServe as the model server: the InferenceService we render, its add-ons, its config rules and its policy."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from components.naming import ModelNames, kserve_model_names, kserve_predictor
from policies.eci_policies import kserve as kserve_policy
from stackconfig import PROJECT, ConfigError
from stackconfig.addons import KSERVE, KSERVE_CRD, SELDON
from tests.conftest import ISVC, SDEP, run_config, run_stack, stack_config, validated, with_server
from tests.policy_helpers import check_stack, registered_resource
from tools.render import pipeline as render

P = PROJECT
RELEASE = "kubernetes:helm.sh/v3:Release"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"

PROD_INFERENCE_SERVICE = {
    "apiVersion": "serving.kserve.io/v1beta1",
    "kind": "InferenceService",
    "metadata": {
        "name": "fashion-mnist",
        "namespace": "inference",
        "labels": {
            "app.kubernetes.io/managed-by": "pulumi",
            "app.kubernetes.io/name": "fashion-mnist",
            "networking.kserve.io/visibility": "cluster-local",
        },
        "annotations": {"serving.kserve.io/deploymentMode": "Standard", "serving.kserve.io/autoscalerClass": "external"},
    },
    "spec": {
        "predictor": {
            "labels": {"eci-inference.io/predictor": "fashion-mnist-predictor"},
            "deploymentStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}},
            "containers": [
                {
                    "name": "kserve-container",
                    "image": "tensorflow/serving:2.3.0-gpu",
                    "command": [
                        "/bin/bash",
                        "-c",
                        'printf "%s" "$TF_MODEL_SERVER_CONFIG" > /run/tfserving/models.config && '
                        'exec /usr/bin/tensorflow_model_server "$@"',
                        "/usr/bin/tensorflow_model_server",
                    ],
                    "args": ["--port=7001", "--rest_api_port=8501", "--model_config_file=/run/tfserving/models.config"],
                    "env": [
                        {
                            "name": "TF_MODEL_SERVER_CONFIG",
                            "value": "model_config_list {\n"
                            "  config {\n"
                            '    name: "fashion-mnist"\n'
                            '    base_path: "/mnt/models/fashion-mnist"\n'
                            '    model_platform: "tensorflow"\n'
                            "    model_version_policy { specific { versions: 1 } }\n"
                            "  }\n"
                            "}\n",
                        }
                    ],
                    "ports": [
                        {"name": "http", "containerPort": 8501, "protocol": "TCP"},
                        {"name": "grpc", "containerPort": 7001, "protocol": "TCP"},
                    ],
                    "volumeMounts": [
                        {"name": "model-storage", "mountPath": "/mnt", "readOnly": True},
                        {"name": "tfserving-config", "mountPath": "/run/tfserving"},
                        {"name": "kserve-container-tmp", "mountPath": "/tmp"},  # prod is prod-like: restricted pod
                    ],
                    "resources": {
                        "requests": {"cpu": "3", "memory": "12Gi", "nvidia.com/gpu": "1"},
                        "limits": {"cpu": "3", "memory": "12Gi", "nvidia.com/gpu": "1"},
                    },
                    "securityContext": {
                        "runAsUser": 1000,
                        "runAsGroup": 1000,
                        "runAsNonRoot": True,
                        "allowPrivilegeEscalation": False,
                        "capabilities": {"drop": ["ALL"]},
                        "readOnlyRootFilesystem": True,
                    },
                    "startupProbe": {
                        "httpGet": {"path": "/v1/models/fashion-mnist/versions/1/metadata", "port": 8501},
                        "periodSeconds": 10,
                        "timeoutSeconds": 5,
                        "failureThreshold": 90,
                    },
                    "readinessProbe": {
                        "httpGet": {"path": "/v1/models/fashion-mnist/versions/1/metadata", "port": 8501},
                        "periodSeconds": 10,
                        "timeoutSeconds": 5,
                        "failureThreshold": 3,
                    },
                    "lifecycle": {"preStop": {"exec": {"command": ["sleep", "10"]}}},
                }
            ],
            "volumes": [
                {"name": "model-storage", "persistentVolumeClaim": {"claimName": "fashion-mnist-model", "readOnly": True}},
                {"name": "tfserving-config", "emptyDir": {"sizeLimit": "1Mi"}},
                {"name": "kserve-container-tmp", "emptyDir": {"sizeLimit": "1Gi"}},
            ],
            "terminationGracePeriodSeconds": 30,
            "securityContext": {
                "runAsUser": 1000,
                "runAsGroup": 1000,
                "runAsNonRoot": True,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "automountServiceAccountToken": False,
        }
    },
}
"""Prod's InferenceService, written out: Standard mode, the external autoscaler class, no Ingress of KServe's own, a
surge rollout (0 unavailable), one container named ``kserve-container`` with TF Serving's REST port first (the
Service's port 80 targets it) serving version 1 only, the predictor label the PDB selects, and no replica bounds."""


def test_prod_renders_the_inference_service_written_out() -> None:
    run = run_stack("prod")
    assert run.of_type(SDEP) == []
    assert run.one(ISVC).kubernetes_manifest == PROD_INFERENCE_SERVICE


def test_prod_outputs_name_kserve_objects_and_its_protocol() -> None:
    out = run_stack("prod").outputs["fashion-mnist"]
    assert out["inferenceServiceName"] == "fashion-mnist"
    assert out["predictorDeploymentName"] == "fashion-mnist-predictor"
    assert out["protocol"] == "kserve-v1"
    assert out["predictionUrl"] == "https://fashion-mnist.inference.example.com/v1/models/fashion-mnist:predict"
    assert "seldonDeploymentName" not in out


def test_the_naming_rule_is_kserves() -> None:
    # kserve v0.20.0 pkg/constants/constants.go PredictorServiceName: name + "-" + "predictor".
    assert kserve_predictor("fashion-mnist") == "fashion-mnist-predictor"
    assert kserve_policy.predictor_name("fashion-mnist") == kserve_predictor("fashion-mnist")
    assert kserve_policy.predictor_name("m", "p") == "m-p-predictor"


def test_every_name_of_a_kserve_model_written_out() -> None:
    """The names prod's objects carry: the predictor's from KServe's rule, the cluster-scoped ones (the PV and the
    ECI ImageCache) prefixed with the namespace, the others from the InferenceService's name."""
    assert kserve_model_names("inference", "fashion-mnist") == ModelNames(
        sdep="fashion-mnist",
        predictor_deployment="fashion-mnist-predictor",
        predictor_service="fashion-mnist-predictor",
        ingress="fashion-mnist",
        claim="fashion-mnist-model",
        volume="inference-fashion-mnist-model",
        credentials="fashion-mnist-model-oss",
        budget="fashion-mnist-pdb",
        elastic_workload="fashion-mnist-ew",
        resource_policy="fashion-mnist-rp",
        hpa="fashion-mnist-hpa",
        cron_hpa="fashion-mnist-cronhpa",
        image_cache="inference-fashion-mnist",
        network_policy="fashion-mnist-ingress-only",
    )


def test_the_inference_service_is_registered_by_its_own_component() -> None:
    """The component's type token is part of every child's URN: changing it would replace the InferenceService."""
    run = run_stack("prod")
    server = run.one("eci-inference:index:KServeServer")
    assert run.one(ISVC).parent == server.urn
    model = run.one("eci-inference:index:InferenceService")
    assert server.parent == model.urn
    assert run.registered_outputs[server.urn] == {
        "server_name": "fashion-mnist",
        "predictor_deployment": "fashion-mnist-predictor",
        "service_name": "fashion-mnist-predictor",
        "http_port": 80,  # the predictor Service's port (kserve v0.20.0 pkg/constants CommonDefaultHttpPort)
    }
    host = "fashion-mnist.inference.example.com"
    assert run.registered_outputs[model.urn] == {
        "bucket": "eci-inference-prod-models",
        "modelUri": "oss://eci-inference-prod-models/models/fashion-mnist",
        "protocol": "kserve-v1",
        "ingressHost": host,
        "endpointUrl": f"https://{host}",
        "predictionUrl": f"https://{host}/v1/models/fashion-mnist:predict",
        "inferenceServiceName": "fashion-mnist",
        "predictorDeploymentName": "fashion-mnist-predictor",
        "hpaName": "fashion-mnist-hpa",
        "elasticWorkloadName": "fashion-mnist-ew",
        "traffic": [{"version": 1, "inferenceServiceName": "fashion-mnist", "weight": 100}],
    }


@pytest.mark.parametrize("mode", ["elasticWorkload", "resourcePolicy"])
@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_kserve_renders_and_checks_in_every_stack_and_mode(stack: str, mode: str, schemas_dir: Path) -> None:
    config, _ = stack_config(stack)
    models = with_server(config, "kserve")[f"{P}:models"]
    rendered = render.render_stack(stack, {"scalingMode": mode, "models": models})
    kinds = {m.body["kind"] for m in rendered.manifests}
    assert "InferenceService" in kinds and "SeldonDeployment" not in kinds
    assert render.check(rendered, schemas_dir) == []


# --------------------------------------------------------------------------------------------------- add-ons


def _releases(stack: str, server: str | None = None) -> dict[str, Any]:
    config, secret_keys = stack_config(stack)
    if server is not None:
        config = with_server(config, server)
    return {r.inputs["name"]: r for r in run_config(config, secret_keys, stack).of_type(RELEASE)}


def test_kserve_is_installed_from_its_oci_charts_in_standard_mode_after_its_crds() -> None:
    releases = _releases("prod")
    assert SELDON not in releases
    crd, controller = releases[KSERVE_CRD], releases[KSERVE]
    assert (crd.inputs["chart"], crd.inputs["version"], crd.inputs["namespace"]) == (
        "oci://ghcr.io/kserve/charts/kserve-crd",
        "v0.20.0",
        "kserve",
    )
    assert (controller.inputs["chart"], controller.inputs["version"]) == (
        "oci://ghcr.io/kserve/charts/kserve-resources",
        "v0.20.0",
    )
    assert "repositoryOpts" not in crd.inputs and "repositoryOpts" not in controller.inputs
    assert controller.inputs["values"] == {
        "kserve": {"controller": {"deploymentMode": "Standard", "gateway": {"disableIngressCreation": True}}}
    }
    assert crd.urn in controller.dependencies
    isvc = run_stack("prod").one(ISVC)
    assert controller.urn in isvc.dependencies and crd.urn in isvc.dependencies


def test_a_seldon_stack_installs_no_kserve_and_a_mixed_one_both() -> None:
    assert {KSERVE_CRD, KSERVE} & set(_releases("dev")) == set()
    assert SELDON in _releases("dev")
    config, secret_keys = stack_config("dev")
    second = copy.deepcopy(config[f"{P}:models"][0])
    second.update(name="other", server="kserve", host="other.example.com")
    for key in ("seldonDeploymentName", "predictorName", "proxyImage"):
        second.pop(key, None)
    config[f"{P}:models"].append(second)
    run = run_config(config, secret_keys, "dev")
    assert {SELDON, KSERVE_CRD, KSERVE} <= {r.inputs["name"] for r in run.of_type(RELEASE)}
    assert len(run.of_type(SDEP)) == len(run.of_type(ISVC)) == 1


def test_the_kserve_version_is_checked_against_the_standard_mode() -> None:
    config, secret_keys = stack_config("prod")
    config[f"{P}:addons"] = {KSERVE: {"version": "v0.16.0"}, KSERVE_CRD: {"version": "v0.16.0"}}
    assert validated(config, secret_keys).models[0].server == "kserve"
    config[f"{P}:addons"] = {KSERVE: {"version": "v0.15.2"}}
    with pytest.raises(ConfigError) as caught:
        validated(config, secret_keys)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{P}:addons.kserve.version = 'v0.15.2': is below v0.16.0, the first version that supports kserve")


# --------------------------------------------------------------------------------------------------- config


def _problems(change: dict[str, Any], stack: str = "prod", namespace: str | None = None) -> list[str]:
    config, secret_keys = stack_config(stack)
    if namespace is not None:
        config[f"{P}:namespace"] = namespace
    model = config[f"{P}:models"][0]
    for key, value in change.items():
        if value is None:
            model.pop(key, None)
        else:
            model[key] = value
    try:
        validated(config, secret_keys)
    except ConfigError as error:
        return list(error.problems)
    return []


def test_an_unknown_server_is_refused() -> None:
    assert _problems({"server": "triton"}) == [f"{P}:models[0].server = 'triton': must be one of seldon, kserve"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("seldonDeploymentName", "fashion-mnist"),
        ("predictorName", "main"),
        ("proxyImage", "registry.example.com/proxy:1.0"),
        ("proxyCpu", "1"),
        ("proxyMemory", "1Gi"),
    ],
)
def test_a_seldon_only_key_on_a_kserve_model_is_refused(key: str, value: str) -> None:
    assert _problems({key: value}) == [
        f"{P}:models[0].{key} = {value!r}: only a server: seldon model takes it; this model's server is kserve"
    ]


def test_a_kserve_only_key_on_a_seldon_model_is_refused() -> None:
    assert _problems({"inferenceServiceName": "x"}, "dev") == [
        f"{P}:models[0].inferenceServiceName = 'x': only a server: kserve model takes it; this model's server is seldon"
    ]


def test_the_inference_service_name_edges() -> None:
    # 48 = 63 (a label value) - len("isvc.") - len("-predictor"): KServe labels the pods app: isvc.<name>-predictor.
    # Only a one-letter namespace leaves the route label room for it: a-<48>-predictor-80 is 63 characters.
    assert _problems({"inferenceServiceName": "a" * 48}, namespace="a") == []
    assert _problems({"inferenceServiceName": "a" * 49}, namespace="a") == [
        f"{P}:models[0].inferenceServiceName = '{'a' * 49}': must be at most 48 characters"
    ]
    # In prod's namespace the route label inference-<name>-predictor-80 binds first: 40 fits, 41 does not.
    assert _problems({"inferenceServiceName": "a" * 40}) == []
    assert _problems({"inferenceServiceName": "a" * 41}) == [
        f"{P}:models[0].inferenceServiceName = '{'a' * 41}': makes the HPA's sls.ingress.route label "
        f"'inference-{'a' * 41}-predictor-80' longer than 63 characters; shorten inferenceServiceName (or the model "
        "name) or the namespace"
    ]
    for bad in ("9lives", "Upper", "trailing-", "under_score"):
        assert _problems({"inferenceServiceName": bad}) == [
            f"{P}:models[0].inferenceServiceName = {bad!r}: must start with a lowercase letter, then lowercase letters, "
            "digits and '-', and not end with '-'"
        ], bad


def test_two_models_may_not_share_a_server_name_across_servers() -> None:
    config, secret_keys = stack_config("dev")
    second = copy.deepcopy(config[f"{P}:models"][0])
    second.update(name="other", server="kserve", inferenceServiceName="fashion-mnist-eci", host="other.example.com")
    for key in ("seldonDeploymentName", "predictorName", "proxyImage"):
        second.pop(key, None)
    config[f"{P}:models"].append(second)
    with pytest.raises(ConfigError) as caught:
        validated(config, secret_keys)
    assert caught.value.problems == [f"{P}:models[1].inferenceServiceName = 'fashion-mnist-eci': must be unique across models"]


# --------------------------------------------------------------------------------------------------- policy


def _prod_resources(annotations: dict[str, str] | None = None, extra: dict[str, Any] | None = None) -> list[Any]:
    """Prod's resources as the pack sees them, its InferenceService's annotations and predictor fields changed."""
    run = run_stack("prod")
    isvc = run.one(ISVC)
    if annotations is not None:
        isvc.inputs["metadata"]["annotations"] = annotations
    isvc.inputs["spec"]["predictor"].update(extra or {})
    return [registered_resource(r) for r in run.resources]


def test_the_policy_passes_prod() -> None:
    assert check_stack(kserve_policy.kserve_external_autoscaler, _prod_resources()) == []


@pytest.mark.parametrize(
    ("annotations", "extra", "expected"),
    [
        (
            {"serving.kserve.io/deploymentMode": "Standard"},
            {},
            "serving.kserve.io/autoscalerClass is 'hpa' while HorizontalPodAutoscaler",
        ),
        (
            {"serving.kserve.io/deploymentMode": "Standard", "serving.kserve.io/autoscalerClass": "none"},
            {},
            "it writes minReplicas over the Deployment's replicas on every reconcile",
        ),
        (
            {"serving.kserve.io/autoscalerClass": "external"},
            {},
            "serving.kserve.io/deploymentMode is 'Knative'",
        ),
        (
            {"serving.kserve.io/deploymentMode": "RawDeployment", "serving.kserve.io/autoscalerClass": "external"},
            {"minReplicas": 2},
            "spec.predictor.minReplicas is set while HorizontalPodAutoscaler",
        ),
    ],
)
def test_the_policy_refuses_what_would_fight_our_autoscaler(
    annotations: dict[str, str], extra: dict[str, Any], expected: str
) -> None:
    resources = _prod_resources(annotations, extra)
    isvc = next(r for r in resources if r.resource_type == ISVC)
    findings = check_stack(kserve_policy.kserve_external_autoscaler, resources)
    assert len(findings) == 1 and expected in findings[0][0], findings
    assert findings[0][1] == isvc.urn


def test_the_policy_leaves_an_inference_service_no_autoscaler_of_ours_owns() -> None:
    resources = [r for r in _prod_resources({"serving.kserve.io/deploymentMode": "Standard"}) if r.resource_type != HPA]
    assert check_stack(kserve_policy.kserve_external_autoscaler, resources) == []


def test_the_image_cache_holds_what_the_kserve_pod_runs() -> None:
    config, secret_keys = stack_config("staging")
    run = run_config(with_server(config, "kserve"), secret_keys, "staging")
    cache = run.one("kubernetes:eci.alibabacloud.com/v1:ImageCache").inputs["spec"]
    pod = run.one(ISVC).inputs["spec"]["predictor"]
    assert [c["image"] for c in pod["containers"]] == ["tensorflow/serving:2.3.0-gpu"]
    assert [i["image"] if isinstance(i, dict) else i for i in cache["images"]] == ["tensorflow/serving:2.3.0-gpu"]
