"""The policy ``oss-volume-auth-where-mounted`` on the committed stacks as rendered, and on renders whose volume
authentication is switched behind the config layer's back (the pack must catch what a hand-edited program writes)."""

from __future__ import annotations

import copy

from policies.eci_policies.volume_auth import oss_volume_auth_where_mounted as POLICY
from tests.conftest import run_stack
from tests.policy_helpers import check_stack, registered_resource
from tools.mockrun import Run

PV = "kubernetes:core/v1:PersistentVolume"


def messages(run: Run) -> list[str]:
    return [m for m, _ in check_stack(POLICY, [registered_resource(r) for r in run.resources])]


def with_attributes(run: Run, attributes: dict[str, str], secret_ref: bool = False) -> Run:
    run = copy.deepcopy(run)
    csi = run.one(PV).inputs["spec"]["csi"]
    csi["volumeAttributes"] = {k: v for k, v in csi["volumeAttributes"].items() if k in ("bucket", "url", "path", "otherOpts")}
    csi["volumeAttributes"].update(attributes)
    csi.pop("nodePublishSecretRef", None)
    if secret_ref:
        csi["nodePublishSecretRef"] = {"name": "s", "namespace": "inference"}
    return run


def test_the_committed_stacks_pass() -> None:
    for stack in ("dev", "prod", "staging"):
        assert messages(run_stack(stack)) == [], stack


def test_rrsa_on_eci_units_is_a_violation_per_unit() -> None:
    # prod serves through KServe: the pods are those of its InferenceService's predictor Deployment.
    run = with_attributes(run_stack("prod"), {"authType": "rrsa", "roleName": "reader"})
    assert messages(run) == [
        f"ElasticWorkload inference/fashion-mnist-ew: spec.elasticUnit[{i}] {name!r} runs pods of Deployment "
        "'fashion-mnist-predictor' on eci, which mount PersistentVolume "
        "'inference-fashion-mnist-model' with rrsa; documented on eci: ramRole, accessKey."
        for i, name in enumerate(["eci-on-demand", "eci-spot", "eci-spot-overflow"])
    ]


def test_the_eci_role_on_a_node_pool_unit_is_a_violation() -> None:
    run = with_attributes(run_stack("staging"), {"ramRole": "reader"})
    assert messages(run) == [
        "ResourcePolicy inference/fashion-mnist-rp: spec.units[0] runs pods of Deployment "
        "'fashion-mnist-predictor-0-tfserving-proxy-tfserving-gpu' on ecs, which mount PersistentVolume "
        "'inference-fashion-mnist-model' with ramRole; documented on ecs: rrsa, accessKey."
    ]


def test_an_access_key_secret_passes_everywhere() -> None:
    assert messages(with_attributes(run_stack("staging"), {}, secret_ref=True)) == []
    assert messages(with_attributes(run_stack("prod"), {}, secret_ref=True)) == []


def test_the_source_deployment_is_an_ecs_placement() -> None:
    run = with_attributes(run_stack("dev"), {"ramRole": "reader"})
    assert messages(run) == [
        "ElasticWorkload default/fashion-mnist-eci-ew: spec.sourceTarget (max 1: pods on the cluster's nodes) runs pods "
        "of Deployment 'fashion-mnist-eci-predictor-0-tfserving-proxy-tfserving-gpu' on ecs, which mount "
        "PersistentVolume 'default-fashion-mnist-eci-model' with ramRole; documented on ecs: rrsa, accessKey."
    ]
