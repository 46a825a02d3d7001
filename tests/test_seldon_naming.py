"""The names the Seldon operator 1.17.1 gives what it creates, under the chart value ``manager.deploymentNameAsPrefix``
and with no ``seldon.io/svc-name`` annotation.

Oracle: seldon-core v1.17.1 ``operator/apis/machinelearning.seldon.io/v1/seldondeployment_types_test.go``
``TestGetDeploymentNames`` (lines 96-182), its table copied below, and hand-built stacks whose long names hash.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from components.naming import SELDON_SVC_NAME_ANNOTATION, ModelNames, model_names, seldon_names
from policies.eci_policies import STACK_POLICIES
from policies.eci_policies.wiring import inference_wiring
from stackconfig import PROJECT, ConfigError
from tests.conftest import DEV_MODEL_OUTPUTS, run_config, run_stack, stack_config, validated, with_server
from tests.policy_helpers import check_stack, registered_resource

P = PROJECT
SDEP = "kubernetes:machinelearning.seldon.io/v1:SeldonDeployment"
EW = "kubernetes:autoscaling.alibabacloud.com/v1beta1:ElasticWorkload"
LONG_PREDICTOR = "C12345678912345678901234567890123456789012345678901234567890"

UPSTREAM: list[tuple[bool, str, str, str, str]] = [
    (False, "s", "p", "m", "s-p-0-m"),
    (True, "s", "p", "m", "s-p-0-m"),
    (False, "s", LONG_PREDICTOR, "m", "seldon-10eb0f02cdc303e74043e57c1d8147ab"),
    (True, "s", LONG_PREDICTOR, "m", "s-10eb0f02cdc303e74043e57c1d8147ab"),
]


@pytest.mark.parametrize(("prefix", "sdep", "predictor", "model", "expected"), UPSTREAM)
def test_the_upstream_table(prefix: bool, sdep: str, predictor: str, model: str, expected: str) -> None:
    assert seldon_names(sdep, predictor, [model], name_as_prefix=prefix).deployment == expected


def test_a_prefix_that_would_not_fit_falls_back_to_seldon() -> None:
    """``len(possibleName) <= 63`` (line 138): a 30-character sdep, '-' and 32 hex digits make 63 (kept); 31 make 64."""
    at_edge = seldon_names("a" * 30, LONG_PREDICTOR, ["m"], name_as_prefix=True).deployment
    assert at_edge.startswith("a" * 30 + "-") and len(at_edge) == 63
    assert seldon_names("a" * 31, LONG_PREDICTOR, ["m"], name_as_prefix=True).deployment.startswith("seldon-")


def long_stack(prefix: Any) -> tuple[dict[str, Any], list[str]]:
    """prod, served by Seldon, with a predictor name long enough that the Deployment's name passes 63 characters."""
    config, secret_keys = stack_config("prod")
    config = with_server(config, "seldon")
    config[f"{P}:models"][0]["predictorName"] = "predictor-with-a-long-name"
    if prefix is not None:
        config[f"{P}:addons"] = {"seldon-core": {"values": {"manager": {"deploymentNameAsPrefix": prefix}}}}
    return config, secret_keys


# fashion-mnist-predictor-with-a-long-name-0-tfserving-proxy-tfserving-gpu (71 characters), md5 hex:
LONG_HASH = "fd8b511888453b4ad0a343312cac75e0"


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        (None, f"seldon-{LONG_HASH}"),
        (False, f"seldon-{LONG_HASH}"),
        (True, f"fashion-mnist-{LONG_HASH}"),
        ("true", f"fashion-mnist-{LONG_HASH}"),
        ("True", f"seldon-{LONG_HASH}"),
    ],
)
def test_the_chart_value_renames_the_deployment_everything_points_at(prefix: Any, expected: str) -> None:
    run = run_config(*long_stack(prefix), stack="prod")
    assert run.one(EW).inputs["spec"]["sourceTarget"]["name"] == expected
    assert run.outputs["fashion-mnist"]["predictorDeploymentName"] == expected


def test_the_program_never_writes_the_svc_name_annotation() -> None:
    for stack in ("dev", "prod", "staging"):
        config, secret_keys = stack_config(stack)
        run = run_config(with_server(config, "seldon"), secret_keys, stack=stack)
        for predictor in run.one(SDEP).inputs["spec"]["predictors"]:
            assert SELDON_SVC_NAME_ANNOTATION not in (predictor.get("annotations") or {}), stack


def test_the_config_has_no_key_for_predictor_annotations() -> None:
    config, secret_keys = stack_config("prod")
    config[f"{P}:models"][0]["annotations"] = {SELDON_SVC_NAME_ANNOTATION: "other"}
    with pytest.raises(ConfigError) as caught:
        validated(config, secret_keys)
    assert any(p.startswith(f"{P}:models[0].annotations is not a known key") for p in caught.value.problems)


@pytest.mark.parametrize("prefix", [True, False])
def test_the_policy_pack_follows_the_chart_value_too(prefix: bool) -> None:
    """The pack reads ``manager.deploymentNameAsPrefix`` from the seldon-core-operator release in the stack, so the
    renamed Deployment is not reported as a broken reference (and the default one still is not either)."""
    run = run_config(*long_stack(prefix), stack="prod")
    resources = [registered_resource(r) for r in run.resources]
    mandatory = [p for p in STACK_POLICIES if p.enforcement_level is not None and p.enforcement_level.value == "mandatory"]
    assert [m for policy in mandatory for m, _ in check_stack(policy, resources)] == []
    release = next(r for r in resources if r.resource_type == "kubernetes:helm.sh/v3:Release" and r.name == "addons-seldon-core")
    release.props["values"]["manager"] = {"deploymentNameAsPrefix": not prefix}
    found = [m for m, _ in check_stack(inference_wiring, resources)]
    assert found and all("fashion-mnist-ew" in m for m in found)


_RESTRICTED = {
    "runAsUser": 1000,
    "runAsGroup": 1000,
    "runAsNonRoot": True,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
}
_PRE_STOP = {"preStop": {"exec": {"command": ["sleep", "10"]}}}
_VERSION_1 = {"path": "/v1/models/fashion-mnist/versions/1/metadata", "port": 8501}

DEV_SELDON_DEPLOYMENT = {
    "apiVersion": "machinelearning.seldon.io/v1",
    "kind": "SeldonDeployment",
    "metadata": {
        "name": "fashion-mnist-eci",
        "namespace": "default",
        "labels": {"app.kubernetes.io/name": "fashion-mnist", "app.kubernetes.io/managed-by": "pulumi"},
    },
    "spec": {
        "name": "fashion-mnist-eci",
        "predictors": [
            {
                "name": "predictor",
                # the seed recipe's graph (tests/fixtures/seed/recipe-manifests.yaml), the proxy pointed at the
                # TF Serving container of the same pod
                "graph": {
                    "name": "tfserving-proxy",
                    "endpoint": {"type": "REST"},
                    "type": "MODEL",
                    "children": [],
                    "parameters": [
                        {"name": "rest_endpoint", "type": "STRING", "value": "http://127.0.0.1:8501"},
                        {"name": "model_name", "type": "STRING", "value": "fashion-mnist"},
                        {"name": "signature_name", "type": "STRING", "value": "serving_default"},
                    ],
                },
                "componentSpecs": [
                    {
                        "metadata": {"labels": {"eci-inference.io/predictor": "fashion-mnist-eci-predictor"}},
                        "spec": {
                            "containers": [
                                {
                                    "name": "tfserving-proxy",
                                    "image": "registry.cn-beijing.aliyuncs.com/deepai/seldonio-tfserving-proxy_rest:1.3.0",
                                    "resources": {
                                        "requests": {"cpu": "0.5", "memory": "512Mi"},
                                        "limits": {"memory": "512Mi"},
                                    },
                                    "readinessProbe": {
                                        "httpGet": {"path": "/health/ping", "port": 9000},
                                        "periodSeconds": 10,
                                        "timeoutSeconds": 5,
                                        "failureThreshold": 3,
                                    },
                                    "lifecycle": _PRE_STOP,
                                    "securityContext": _RESTRICTED,
                                },
                                {
                                    "name": "tfserving-gpu",
                                    "image": "tensorflow/serving:2.3.0-gpu",
                                    "command": [
                                        "/bin/bash",
                                        "-c",
                                        'printf "%s" "$TF_MODEL_SERVER_CONFIG" > /run/tfserving/models.config && '
                                        'exec /usr/bin/tensorflow_model_server "$@"',
                                        "/usr/bin/tensorflow_model_server",
                                    ],
                                    "args": [
                                        "--port=7001",
                                        "--rest_api_port=8501",
                                        "--model_config_file=/run/tfserving/models.config",
                                    ],
                                    "env": [
                                        {
                                            "name": "TF_MODEL_SERVER_CONFIG",
                                            "value": "model_config_list {\n"
                                            "  config {\n"
                                            '    name: "fashion-mnist"\n'
                                            '    base_path: "/mnt/arena/models/fashion-mnist"\n'
                                            '    model_platform: "tensorflow"\n'
                                            "    model_version_policy { specific { versions: 1 } }\n"
                                            "  }\n"
                                            "}\n",
                                        }
                                    ],
                                    "ports": [
                                        {"containerPort": 7001, "protocol": "TCP"},
                                        {"containerPort": 8501, "protocol": "TCP"},
                                    ],
                                    "volumeMounts": [
                                        {"name": "model-storage", "mountPath": "/mnt", "readOnly": True},
                                        {"name": "tfserving-config", "mountPath": "/run/tfserving"},
                                    ],
                                    "resources": {
                                        "requests": {"cpu": "3", "memory": "12Gi", "nvidia.com/gpu": "1"},
                                        "limits": {"cpu": "3", "memory": "12Gi", "nvidia.com/gpu": "1"},
                                    },
                                    "startupProbe": {
                                        "httpGet": _VERSION_1,
                                        "periodSeconds": 10,
                                        "timeoutSeconds": 5,
                                        "failureThreshold": 90,
                                    },
                                    "readinessProbe": {
                                        "httpGet": _VERSION_1,
                                        "periodSeconds": 10,
                                        "timeoutSeconds": 5,
                                        "failureThreshold": 3,
                                    },
                                    "lifecycle": _PRE_STOP,
                                    "securityContext": _RESTRICTED,
                                },
                            ],
                            "volumes": [
                                {
                                    "name": "model-storage",
                                    "persistentVolumeClaim": {"claimName": "fashion-mnist-eci-model", "readOnly": True},
                                },
                                {"name": "tfserving-config", "emptyDir": {"sizeLimit": "1Mi"}},
                            ],
                            "terminationGracePeriodSeconds": 30,
                        },
                    }
                ],
            }
        ],
    },
}
"""Dev's SeldonDeployment, written out: no replica count (the HPA owns it), the recipe's graph, the proxy and
TF Serving as non-root containers without capabilities (dev is not prod-like: no seccomp, no read-only root), TF
Serving pinned to version 1 through its config file, the model mounted read-only."""


def test_dev_renders_the_seldon_deployment_written_out() -> None:
    assert run_stack("dev").one(SDEP).kubernetes_manifest == DEV_SELDON_DEPLOYMENT


def test_every_name_of_a_seldon_model_written_out() -> None:
    """Dev's names: the predictor Deployment from Seldon's rule without the name prefix (the operator's default), the
    cluster-scoped PV and ImageCache prefixed with the namespace, the others from the SeldonDeployment's name."""
    assert model_names("default", "fashion-mnist-eci", "predictor") == ModelNames(
        sdep="fashion-mnist-eci",
        predictor_deployment="fashion-mnist-eci-predictor-0-tfserving-proxy-tfserving-gpu",
        predictor_service="fashion-mnist-eci-predictor",
        ingress="fashion-mnist-eci",
        claim="fashion-mnist-eci-model",
        volume="default-fashion-mnist-eci-model",
        credentials="fashion-mnist-eci-model-oss",
        budget="fashion-mnist-eci-pdb",
        elastic_workload="fashion-mnist-eci-ew",
        resource_policy="fashion-mnist-eci-rp",
        hpa="fashion-mnist-eci-hpa",
        cron_hpa="fashion-mnist-eci-cronhpa",
        image_cache="default-fashion-mnist-eci",
        network_policy="fashion-mnist-eci-ingress-only",
    )


def test_the_seldon_deployment_is_registered_by_its_own_component() -> None:
    """The component's type token is part of every child's URN: changing it would replace the SeldonDeployment."""
    run = run_stack("dev")
    server = run.one("eci-inference:index:ModelServer")
    model = run.one("eci-inference:index:InferenceService")
    assert run.one(SDEP).parent == server.urn and server.parent == model.urn
    assert run.registered_outputs[server.urn] == {
        "server_name": "fashion-mnist-eci",
        "predictor_deployment": "fashion-mnist-eci-predictor-0-tfserving-proxy-tfserving-gpu",
        "service_name": "fashion-mnist-eci-predictor",
        "http_port": 8000,  # Seldon's predictor Service: REST on 8000 (naming.SELDON_HTTP_PORT)
    }
    assert run.registered_outputs[model.urn] == DEV_MODEL_OUTPUTS


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def test_seldon_keeps_a_63_character_name_and_hashes_a_64_character_one() -> None:
    """Seldon v1.17.1 hashes a Deployment or Service name only past a DNS label (``len(name) > 63``): 63 is kept."""
    kept = seldon_names("a", "p" * 57, ["c"])  # a-<57>-0-c: 63
    assert kept.deployment == f"a-{'p' * 57}-0-c" and len(kept.deployment) == 63
    hashed = seldon_names("a", "p" * 58, ["c"])  # 64
    assert hashed.deployment == "seldon-" + _md5(f"a-{'p' * 58}-0-c")
    # with DEPLOYMENT_NAME_AS_PREFIX the 63-character name is kept too, and the 64-character one is <sdep>-<md5>
    assert seldon_names("a", "p" * 57, ["c"], name_as_prefix=True).deployment == kept.deployment
    assert seldon_names("a", "p" * 58, ["c"], name_as_prefix=True).deployment == "a-" + _md5(f"a-{'p' * 58}-0-c")
    # the Service, <sdep>-<predictor>
    assert seldon_names("s" * 61, "p", ["c"]).service == f"{'s' * 61}-p"
    assert seldon_names("s" * 62, "p", ["c"]).service == "seldon-" + _md5(f"{'s' * 62}-p")


def test_without_the_chart_value_seldon_names_the_deployment_without_the_prefix() -> None:
    """``manager.deploymentNameAsPrefix`` defaults to false in the chart the catalog installs, so the default here is
    the plain name (hashed to ``seldon-<md5>`` past 63 characters)."""
    assert seldon_names("a", "p" * 58, ["c"]).deployment == "seldon-" + _md5(f"a-{'p' * 58}-0-c")
    assert model_names("default", "a", "p" * 58).predictor_deployment == "seldon-" + _md5(
        f"a-{'p' * 58}-0-tfserving-proxy-tfserving-gpu"
    )
