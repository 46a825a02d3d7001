"""The names the Seldon operator 1.17.1 gives what it creates, under the chart value ``manager.deploymentNameAsPrefix``
and with no ``seldon.io/svc-name`` annotation.

Oracle: seldon-core v1.17.1 ``operator/apis/machinelearning.seldon.io/v1/seldondeployment_types_test.go``
``TestGetDeploymentNames`` (lines 96-182), its table copied below, and hand-built stacks whose long names hash.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.naming import SELDON_SVC_NAME_ANNOTATION, seldon_names
from policies.eci_policies import STACK_POLICIES
from policies.eci_policies.wiring import inference_wiring
from stackconfig import PROJECT, ConfigError
from tests.conftest import run_config, stack_config, validated, with_server
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
