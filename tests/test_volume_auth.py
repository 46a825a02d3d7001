"""The model volume's authentication against where its pods run: only combinations Alibaba Cloud documents.

The oracle is the table in docs/volume-auth.md, written out here by hand: on an ECS node (CSI node plugin) RRSA or an
AccessKey; on ECI (ECI mounts) the instance's RAM role or an AccessKey. Every cell is tried on a stack whose only
placement is that one, and the refusals are compared word for word.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from stackconfig import PROJECT, ConfigError
from tests.conftest import PLACEHOLDER_SECRETS, run_config, run_stack, stack_config, validated

P = PROJECT
PV = "kubernetes:core/v1:PersistentVolume"
SECRET = "kubernetes:core/v1:Secret"
EW = "kubernetes:autoscaling.alibabacloud.com/v1beta1:ElasticWorkload"
RP = "kubernetes:scheduling.alibabacloud.com/v1alpha1:ResourcePolicy"

ECS_WHY = "the OSS CSI node plugin mounts the volume (ACK, 'Mount statically provisioned volumes with ossfs 1.0')"
ECI_WHY = "ECI mounts the volume, not the CSI node plugin (ECI, 'Mount an OSS bucket')"


def with_auth(config: dict[str, Any], secret_keys: list[str], auth: str) -> tuple[dict[str, Any], list[str]]:
    """``config`` switched to ``auth``, with the keys that auth needs and none of the others'."""
    config, secret_keys = copy.deepcopy(config), list(secret_keys)
    for key in ("volumeAuth", "rrsaRoleName", "ramRoleName", "ossAccessKeyId", "ossAccessKeySecret"):
        config.pop(f"{P}:{key}", None)
        if f"{P}:{key}" in secret_keys:
            secret_keys.remove(f"{P}:{key}")
    config[f"{P}:volumeAuth"] = auth
    if auth == "rrsa":
        config[f"{P}:rrsaRoleName"] = "reader"
    elif auth == "ramRole":
        config[f"{P}:ramRoleName"] = "reader"
    else:
        for key in ("ossAccessKeyId", "ossAccessKeySecret"):
            config[f"{P}:{key}"] = PLACEHOLDER_SECRETS[key]
            secret_keys.append(f"{P}:{key}")
    return config, secret_keys


def eci_only() -> tuple[dict[str, Any], list[str]]:
    """The prod stack: every unit ECI, sourceMax 0."""
    return stack_config("prod")


def ecs_only() -> tuple[dict[str, Any], list[str]]:
    """The staging stack with only its node pool unit (elasticWorkload mode, sourceMax 0: no other placement)."""
    config, secret_keys = stack_config("staging")
    config[f"{P}:scalingMode"] = "elasticWorkload"
    model = config[f"{P}:models"][0]
    model["units"] = model["units"][:1]
    model["maxReplicas"] = 2
    model["minReplicas"] = 1
    model["sourceMax"] = 0
    model["schedules"] = []
    model["pdbMinAvailable"] = 0
    config.pop(f"{P}:cronControllerTimeZone")
    return config, secret_keys


def problems(config: dict[str, Any], secret_keys: list[str]) -> list[str]:
    try:
        validated(config, secret_keys)
    except ConfigError as error:
        return error.problems
    return []


@pytest.mark.parametrize("auth", ["ramRole", "accessKey"])
def test_eci_units_accept_what_eci_documents(auth: str) -> None:
    assert problems(*with_auth(*eci_only(), auth)) == []


def test_eci_units_refuse_rrsa_naming_each_unit_and_the_alternatives() -> None:
    found = problems(*with_auth(*eci_only(), "rrsa"))
    assert found == [
        f"{P}:volumeAuth = 'rrsa': models[0].units[{i}] {name!r} runs on eci, where {ECI_WHY}; volumeAuth rrsa is not "
        "documented there. Documented for eci: ramRole, accessKey"
        for i, name in enumerate(["eci-on-demand", "eci-spot", "eci-spot-overflow"])
    ]


@pytest.mark.parametrize("auth", ["rrsa", "accessKey"])
def test_ecs_units_accept_what_ack_documents(auth: str) -> None:
    assert problems(*with_auth(*ecs_only(), auth)) == []


def test_ecs_units_refuse_the_eci_ram_role() -> None:
    assert problems(*with_auth(*ecs_only(), "ramRole")) == [
        f"{P}:volumeAuth = 'ramRole': models[0].units[0] 'gpu-pool' runs on ecs, where {ECS_WHY}; volumeAuth ramRole "
        "is not documented there. Documented for ecs: rrsa, accessKey"
    ]


def test_the_source_deployment_counts_as_ecs_in_elastic_workload_mode() -> None:
    config, secret_keys = with_auth(*eci_only(), "ramRole")
    config[f"{P}:models"][0]["sourceMax"] = 1
    assert problems(config, secret_keys) == [
        f"{P}:volumeAuth = 'ramRole': models[0]'s source Deployment (sourceMax 1, no virtual-node selector) runs on "
        f"ecs, where {ECS_WHY}; volumeAuth ramRole is not documented there. Documented for ecs: rrsa, accessKey"
    ]
    config[f"{P}:models"][0]["sourceMax"] = 0
    assert problems(config, secret_keys) == []


def test_a_mixed_stack_takes_only_the_access_key() -> None:
    config, secret_keys = stack_config("staging")
    assert config[f"{P}:volumeAuth"] == "accessKey"
    assert problems(config, secret_keys) == []
    assert len(problems(*with_auth(config, secret_keys, "rrsa"))) == 2
    assert len(problems(*with_auth(config, secret_keys, "ramRole"))) == 1


def test_ram_role_needs_its_name_and_nothing_else() -> None:
    config, secret_keys = with_auth(*eci_only(), "ramRole")
    del config[f"{P}:ramRoleName"]
    assert problems(config, secret_keys) == [
        f"{P}:ramRoleName is required: volumeAuth is ramRole, so the RAM role attached to the ECI instances must be named"
    ]
    config, secret_keys = with_auth(*eci_only(), "accessKey")
    config[f"{P}:ramRoleName"] = "reader"
    assert problems(config, secret_keys) == [
        f"{P}:ramRoleName = 'reader': is only used with volumeAuth: ramRole; remove it, or set volumeAuth to ramRole"
    ]


def test_no_committed_stack_renders_an_undocumented_combination() -> None:
    """prod (all ECI): the ECI role; staging (a node pool and ECI): the AccessKey; dev (source on ECS, ECI): the
    AccessKey. Each stack validates, so each of its placements has a documented mechanism."""
    expected = {"prod": "ramRole", "staging": "accessKey", "dev": "accessKey"}
    for stack, auth in expected.items():
        config, secret_keys = stack_config(stack)
        assert config[f"{P}:volumeAuth"] == auth, stack
        assert problems(config, secret_keys) == [], stack


def test_the_ram_role_reaches_the_pv_and_every_eci_unit_only() -> None:
    config, secret_keys = with_auth(*stack_config("staging"), "accessKey")
    run = run_config(config, secret_keys, "staging")
    units = run.one(RP).inputs["spec"]["units"]
    assert all("k8s.aliyun.com/eci-ram-role-name" not in (u.get("podAnnotations") or {}) for u in units)
    assert run.one(PV).inputs["spec"]["csi"]["nodePublishSecretRef"] == {
        "name": "fashion-mnist-model-oss",
        "namespace": "inference",
    }
    prod = run_stack("prod")
    assert prod.of_type(SECRET) == []
    assert prod.one(PV).inputs["spec"]["csi"]["volumeAttributes"]["ramRole"] == "eci-inference-prod-oss-reader"
    annotations = [u["annotations"] for u in prod.one(EW).inputs["spec"]["elasticUnit"]]
    assert [a["k8s.aliyun.com/eci-ram-role-name"] for a in annotations] == ["eci-inference-prod-oss-reader"] * 3
