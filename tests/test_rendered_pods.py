"""Each committed stack's predictor pod template, compared whole with the one written out by hand.

``tests/fixtures/pods/<stack>.json`` holds what the SeldonDeployment's ``componentSpecs``, or the KServe
InferenceService's ``spec.predictor`` (labels, every container, its image, command, arguments, env, ports, mounts,
resources, security context, probes and lifecycle, the pod's volumes, grace period and pod-level security), and the
stack's NetworkPolicy must be. The files were written from the stack files and
the documented defaults, not dumped from the program: a change to any of those fields fails here with the path of
each difference. A change that is meant (a new flag, a new version) is made in the fixture too, by hand.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from components.pod_security import restrict_pod, restricted_container
from components.tf_serving import lifecycle, serving_probes
from policies.eci_policies.framework import Res
from policies.eci_policies.hardening import prod_signals
from policies.eci_policies.restricted import restricted_problems
from stackconfig import PROJECT
from tests.conftest import FIXTURES, STACKS, run_config, run_stack, stack_config, validated

PODS = FIXTURES / "pods"
SDEP = "kubernetes:machinelearning.seldon.io/v1:SeldonDeployment"
ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Every place where ``actual`` differs from ``expected``, as ``path: expected X, got Y`` lines."""
    where = path or "(top)"
    if isinstance(expected, dict) and isinstance(actual, dict):
        found: list[str] = []
        for key in sorted(set(expected) | set(actual), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in actual:
                found.append(f"{sub}: expected {json.dumps(expected[key])}, missing")
            elif key not in expected:
                found.append(f"{sub}: not expected, got {json.dumps(actual[key])}")
            else:
                found += differences(expected[key], actual[key], sub)
        return found
    if isinstance(expected, list) and isinstance(actual, list):
        found = [f"{where}: expected {len(expected)} item(s), got {len(actual)}"] if len(expected) != len(actual) else []
        for index, (want, got) in enumerate(zip(expected, actual, strict=False)):
            found += differences(want, got, f"{path}[{index}]")
        return found
    if type(expected) is not type(actual) or expected != actual:
        return [f"{where}: expected {json.dumps(expected)}, got {json.dumps(actual)}"]
    return []


def expected_pods(stack: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PODS / f"{stack}.json").read_text())
    return data


def rendered_pods(stack: str) -> dict[str, Any]:
    """The stack's pod as its server object carries it: ``componentSpecs`` (Seldon) or ``predictor`` (KServe)."""
    run = run_stack(stack)
    pod: dict[str, Any]
    if run.of_type(SDEP):
        (predictor,) = run.one(SDEP).inputs["spec"]["predictors"]
        pod = {"componentSpecs": predictor["componentSpecs"]}
    else:
        pod = {"predictor": run.one(ISVC).inputs["spec"]["predictor"]}
    policies = run.of_type(NETWORK_POLICY)
    assert len(policies) <= 1, [p.name for p in policies]
    policy = None
    if policies:
        inputs = policies[0].inputs
        policy = {"metadata": inputs["metadata"], "spec": inputs["spec"]}
    return {**pod, "networkPolicy": policy}


def pod_spec(expected: dict[str, Any]) -> dict[str, Any]:
    """The pod spec inside a fixture: the first componentSpec's ``spec``, or the KServe predictor itself."""
    spec: dict[str, Any] = expected["componentSpecs"][0]["spec"] if "componentSpecs" in expected else expected["predictor"]
    return spec


def test_every_stack_has_an_expected_pod_and_every_fixture_a_stack() -> None:
    assert sorted(p.stem for p in PODS.glob("*.json")) == sorted(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_the_rendered_pod_template_is_the_expected_one(stack: str) -> None:
    expected = expected_pods(stack)
    expected.pop("_comment")
    found = differences(expected, rendered_pods(stack))
    assert not found, f"stack {stack}: the pod differs from tests/fixtures/pods/{stack}.json:\n" + "\n".join(found)


def test_prod_like_stacks_and_only_they_have_restricted_pods() -> None:
    """The fixtures themselves say what the issue asks of prod-like stacks (staging and prod; dev is not)."""
    for stack in STACKS:
        spec = pod_spec(expected_pods(stack))
        restricted = stack in ("staging", "prod")
        assert (spec.get("automountServiceAccountToken") is False) == restricted, stack
        assert (spec.get("securityContext", {}).get("seccompProfile") == {"type": "RuntimeDefault"}) == restricted
        for container in spec["containers"]:
            assert (container["securityContext"].get("readOnlyRootFilesystem") is True) == restricted, stack
            assert container["securityContext"]["runAsNonRoot"] is True
            assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
            if restricted:
                assert {"name": f"{container['name']}-tmp", "mountPath": "/tmp"} in container["volumeMounts"]
        assert (expected_pods(stack)["networkPolicy"] is not None) == restricted


# The comparison itself: a change to the security context, a mount or a probe is a difference, named by its path.

MUTATIONS = [
    (
        lambda pod: pod["componentSpecs"][0]["spec"]["containers"][1]["securityContext"].update(runAsNonRoot=False),
        "componentSpecs[0].spec.containers[1].securityContext.runAsNonRoot: expected true, got false",
    ),
    (
        lambda pod: pod["componentSpecs"][0]["spec"]["containers"][0]["securityContext"]["capabilities"].update(drop=[]),
        "componentSpecs[0].spec.containers[0].securityContext.capabilities.drop: expected 1 item(s), got 0",
    ),
    (
        lambda pod: pod["componentSpecs"][0]["spec"]["containers"][1]["volumeMounts"][0].pop("readOnly"),
        "componentSpecs[0].spec.containers[1].volumeMounts[0].readOnly: expected true, missing",
    ),
    (
        lambda pod: pod["componentSpecs"][0]["spec"]["containers"][1]["readinessProbe"]["httpGet"].update(port=8500),
        "componentSpecs[0].spec.containers[1].readinessProbe.httpGet.port: expected 8501, got 8500",
    ),
    (
        lambda pod: pod["componentSpecs"][0]["spec"].update(hostNetwork=True),
        "componentSpecs[0].spec.hostNetwork: not expected, got true",
    ),
    (
        lambda pod: pod["componentSpecs"][0]["spec"]["securityContext"].pop("seccompProfile"),
        'componentSpecs[0].spec.securityContext.seccompProfile: expected {"type": "RuntimeDefault"}, missing',
    ),
    (
        lambda pod: pod["componentSpecs"][0]["spec"].update(automountServiceAccountToken=True),
        "componentSpecs[0].spec.automountServiceAccountToken: expected false, got true",
    ),
    (
        lambda pod: pod["componentSpecs"][0]["spec"]["volumes"][2]["emptyDir"].update(sizeLimit="1"),
        'componentSpecs[0].spec.volumes[2].emptyDir.sizeLimit: expected "1Gi", got "1"',
    ),
    (
        lambda pod: pod["networkPolicy"]["spec"]["ingress"][0].pop("from"),
        "networkPolicy.spec.ingress[0].from: expected",
    ),
    (
        lambda pod: pod["componentSpecs"][0]["spec"].update(terminationGracePeriodSeconds=60.0),
        "componentSpecs[0].spec.terminationGracePeriodSeconds: expected 60, got 60.0",
    ),
]


@pytest.mark.parametrize(("mutate", "line"), MUTATIONS, ids=range(len(MUTATIONS)))
def test_a_changed_field_is_a_readable_difference(mutate: Any, line: str) -> None:
    expected = expected_pods("staging")
    expected.pop("_comment")
    changed = copy.deepcopy(expected)
    mutate(changed)
    found = differences(expected, changed)
    assert len(found) == 1 and found[0].startswith(line), found
    assert differences(expected, copy.deepcopy(expected)) == []


# Which stacks are prod-like: the program's rule (StackConfig.prod_like) and the pack's (prod_signals) agree.


def _dev_with(change: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    config, secret_keys = stack_config("dev")
    for key, value in change.items():
        if key == "tlsSecret":
            models = copy.deepcopy(config[f"{PROJECT}:models"])
            models[0] |= {"host": "m.example.com", "tlsSecret": value}
            config[f"{PROJECT}:models"] = models
        else:
            config[f"{PROJECT}:{key}"] = value
    return config, secret_keys


@pytest.mark.parametrize(
    ("change", "prod_like"),
    [
        ({}, False),
        ({"protectBucket": True}, True),
        ({"createBucket": False, "protectBucket": True}, False),  # nothing protected is created
        ({"tlsSecret": "m-tls"}, True),
    ],
)
def test_prod_like_is_the_same_rule_in_the_program_and_the_pack(change: dict[str, Any], prod_like: bool) -> None:
    config, secret_keys = _dev_with(change)
    assert validated(config, secret_keys).prod_like is prod_like
    run = run_config(config, secret_keys)
    resources = [Res(r.type, r.name, r.urn, copy.deepcopy(r.inputs), r.protect) for r in run.resources]
    reasons, unknown = prod_signals(resources)
    assert (bool(reasons), unknown) == (prod_like, {})
    (predictor,) = run.one(SDEP).inputs["spec"]["predictors"]
    pod = predictor["componentSpecs"][0]["spec"]
    assert (pod.get("automountServiceAccountToken") is False) is prod_like
    assert len(run.of_type(NETWORK_POLICY)) == int(prod_like)
    assert not list(restricted_problems(resources)) if prod_like else list(restricted_problems(resources))


def test_the_network_policy_is_registered_by_its_own_component() -> None:
    """The component's type token is part of the NetworkPolicy's URN: changing it would replace the policy."""
    run = run_stack("prod")
    owner = run.one("eci-inference:index:PredictorNetworkPolicy")
    assert run.one(NETWORK_POLICY).parent == owner.urn
    assert owner.parent == run.one("eci-inference:index:InferenceService").urn
    assert run.registered_outputs[owner.urn] == {"policy_name": "fashion-mnist-ingress-only"}


def test_a_restricted_container_without_a_security_context_gets_one() -> None:
    assert restricted_container({"name": "sidecar", "image": "x:1"}, True) == {
        "name": "sidecar",
        "image": "x:1",
        "securityContext": {"readOnlyRootFilesystem": True},
        "volumeMounts": [{"name": "sidecar-tmp", "mountPath": "/tmp"}],
    }
    assert restricted_container({"name": "sidecar"}, False) == {"name": "sidecar"}


def test_no_pre_stop_hook_when_its_sleep_is_zero() -> None:
    assert lifecycle(0) == {}
    assert lifecycle(1) == {"lifecycle": {"preStop": {"exec": {"command": ["sleep", "1"]}}}}


def test_the_startup_probe_covers_the_whole_load_timeout_in_whole_periods() -> None:
    """failureThreshold is an int32 in the API: ceil(timeout / 10 s), never a fraction (601 s needs 61 tries)."""
    for timeout, tries in ((600, 60), (601, 61), (609, 61), (610, 61)):
        threshold = serving_probes("m", 1, timeout)["startupProbe"]["failureThreshold"]
        assert (type(threshold), threshold) == (int, tries)


def test_a_restricted_pod_without_volumes_gets_only_its_scratch_volumes() -> None:
    pod = {"containers": [{"name": "a"}, {"name": "b"}]}
    assert restrict_pod(pod, 1000, 1000, True) == {
        "containers": [
            {
                "name": "a",
                "securityContext": {"readOnlyRootFilesystem": True},
                "volumeMounts": [{"name": "a-tmp", "mountPath": "/tmp"}],
            },
            {
                "name": "b",
                "securityContext": {"readOnlyRootFilesystem": True},
                "volumeMounts": [{"name": "b-tmp", "mountPath": "/tmp"}],
            },
        ],
        "volumes": [{"name": "a-tmp", "emptyDir": {"sizeLimit": "1Gi"}}, {"name": "b-tmp", "emptyDir": {"sizeLimit": "1Gi"}}],
        "securityContext": {
            "runAsUser": 1000,
            "runAsGroup": 1000,
            "runAsNonRoot": True,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "automountServiceAccountToken": False,
    }
    assert restrict_pod(pod, 1000, 1000, False) is pod
