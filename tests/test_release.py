"""Releasing a model version: pods pinned to their own version, uploads before templates, and the canary.

Expected objects are written out here; the rules they encode are cited in components/tf_serving.py,
components/ingress.py and components/model_server.py.
"""

from __future__ import annotations

import copy
import hashlib
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackconfig import PROJECT, ConfigError, load
from tests.conftest import DEV_MODEL_OUTPUTS, ROOT, run_config, stack_config, validated
from tools import render
from tools.mockrun import Registered, Run

P = PROJECT
SDEP = "kubernetes:machinelearning.seldon.io/v1:SeldonDeployment"
ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
OBJECT = "alicloud:oss/bucketObject:BucketObject"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
EW = "kubernetes:autoscaling.alibabacloud.com/v1beta1:ElasticWorkload"
RP = "kubernetes:scheduling.alibabacloud.com/v1alpha1:ResourcePolicy"
MODEL_FILES = ["fingerprint.pb", "saved_model.pb", "variables/variables.data-00000-of-00001", "variables/variables.index"]


def models_of(config: dict[str, Any]) -> list[dict[str, Any]]:
    models: list[dict[str, Any]] = config[f"{P}:models"]
    return models


def with_model(stack: str, **changes: Any) -> tuple[dict[str, Any], list[str]]:
    config, secret_keys = stack_config(stack)
    config = copy.deepcopy(config)
    models_of(config)[0].update(changes)
    return config, secret_keys


def pinned_config(version: int, prefix: str = "arena/models") -> str:
    return (
        f'model_config_list {{\n  config {{\n    name: "fashion-mnist"\n    base_path: "/mnt/{prefix}/fashion-mnist"\n'
        f'    model_platform: "tensorflow"\n    model_version_policy {{ specific {{ versions: {version} }} }}\n  }}\n}}\n'
    )


def serving(sdep: Registered) -> dict[str, Any]:
    containers = sdep.inputs["spec"]["predictors"][0]["componentSpecs"][0]["spec"]["containers"]
    found: dict[str, Any] = next(c for c in containers if c["name"] == "tfserving-gpu")
    return found


def sdep_named(run: Run, name: str) -> Registered:
    return next(r for r in run.of_type(SDEP) if r.inputs["metadata"]["name"] == name)


def test_version_1_then_2_pins_each_template_and_uploads_before_it() -> None:
    runs = {v: run_config(*with_model("dev", version=v), "dev") for v in (1, 2)}
    for version, run in runs.items():
        container = serving(run.one(SDEP))
        assert container["env"] == [{"name": "TF_MODEL_SERVER_CONFIG", "value": pinned_config(version)}]
        for probe in ("startupProbe", "readinessProbe"):
            assert container[probe]["httpGet"]["path"] == f"/v1/models/fashion-mnist/versions/{version}/metadata"
        objects = run.of_type(OBJECT)
        assert sorted(o.inputs["key"] for o in objects) == [f"arena/models/fashion-mnist/{version}/{f}" for f in MODEL_FILES]
        # The SeldonDeployment (so every pod template) waits for every object of its version.
        assert {o.urn for o in objects} <= set(run.one(SDEP).dependencies)
    # Version 2's objects are new resources: uploading them updates none of version 1's.
    assert not {o.urn for o in runs[1].of_type(OBJECT)} & {o.urn for o in runs[2].of_type(OBJECT)}


def test_objects_of_a_dropped_version_stay_where_the_bucket_is_protected() -> None:
    dev, prod = run_config(*stack_config("dev"), "dev"), run_config(*stack_config("prod"), "prod")
    assert validated(*stack_config("prod")).protect_bucket and not validated(*stack_config("dev")).protect_bucket
    assert prod.of_type(OBJECT) and all(o.retain_on_delete for o in prod.of_type(OBJECT))
    assert dev.of_type(OBJECT) and not any(o.retain_on_delete for o in dev.of_type(OBJECT))


def test_objects_keep_their_identity_from_before_versions_were_kept_apart() -> None:
    run = run_config(*stack_config("dev"), "dev")
    for o in run.of_type(OBJECT):
        relative = o.inputs["key"].removeprefix("arena/models/fashion-mnist/1/")
        assert o.name == f"fashion-mnist-store-v1-{relative}"
        assert o.aliases == [f"fashion-mnist-store-{relative}"]


# --------------------------------------------------------------------------------------------------- canary


def version_dir(tmp_path: Path, version: int) -> Path:
    """A SavedModel directory for another version (the fashion-mnist files under another number)."""
    target = tmp_path / "models" / "fashion-mnist" / str(version)
    shutil.copytree(ROOT / "models" / "fashion-mnist" / "1", target)
    return target


V2 = "models/fashion-mnist/2"
"""Version 2's directory inside a test project (a local source must be inside the project it is deployed from)."""


def version_project(tmp_path: Path) -> Path:
    """A project directory holding versions 1 and 2 of the model."""
    for version in (1, 2):
        if not (tmp_path / "models" / "fashion-mnist" / str(version)).is_dir():
            version_dir(tmp_path, version)
    return tmp_path


def project_run(project: Path, config: dict[str, Any], secret_keys: list[str], stack: str) -> Run:
    """The program run from ``project`` (not cached: the same config means other files in another project)."""
    from functools import partial

    from program import main
    from tools.mockrun import run_program

    return run_program(partial(main, project), config, secret_keys, stack=stack)


def canary_run(stack: str, tmp_path: Path, weight: int = 20) -> Run:
    project = version_project(tmp_path)
    return project_run(project, *with_model(stack, canary={"version": 2, "weight": weight, "source": V2}), stack)


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_a_canary_renders_two_servers_two_ingresses_and_two_hpas_on_their_own_routes(stack: str, tmp_path: Path) -> None:
    run = canary_run(stack, tmp_path)
    plain = run_config(*stack_config(stack), stack)
    main_name = validated(*stack_config(stack)).models[0].sdep_name
    canary_name = f"{main_name}-canary"
    namespace = sdep_named(plain, main_name).inputs["metadata"]["namespace"]

    # Adding the canary (and uploading its version) changes nothing of the running server.
    assert sdep_named(run, main_name).inputs == sdep_named(plain, main_name).inputs
    canary = sdep_named(run, canary_name)
    prefix = stack_config(stack)[0].get(f"{P}:modelPrefix", "models")
    assert serving(canary)["env"][0]["value"] == pinned_config(2, prefix)
    assert serving(canary)["readinessProbe"]["httpGet"]["path"] == "/v1/models/fashion-mnist/versions/2/metadata"
    pod = canary.inputs["spec"]["predictors"][0]["componentSpecs"][0]
    assert pod["metadata"]["labels"] == {"eci-inference.io/predictor": f"{canary_name}-predictor"}
    claims = {v["name"]: v for v in pod["spec"]["volumes"]}["model-storage"]["persistentVolumeClaim"]["claimName"]
    assert claims == f"{main_name}-model"  # the same volume

    v2 = [o for o in run.of_type(OBJECT) if o.inputs["key"].startswith(f"{prefix}/fashion-mnist/2/")]
    assert sorted(o.inputs["key"].rsplit("/2/", 1)[1] for o in v2) == MODEL_FILES
    assert {o.urn for o in v2} <= set(canary.dependencies)

    ingresses = {i.inputs["metadata"]["name"]: i.inputs for i in run.of_type(INGRESS)}
    assert set(ingresses) == {main_name, canary_name}
    assert "annotations" not in ingresses[main_name]["metadata"]
    assert ingresses[canary_name]["metadata"]["annotations"] == {
        "nginx.ingress.kubernetes.io/canary": "true",
        "nginx.ingress.kubernetes.io/canary-weight": "20",
    }
    assert ingresses[canary_name]["spec"]["rules"][0]["host"] == ingresses[main_name]["spec"]["rules"][0]["host"]
    backend = ingresses[canary_name]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": f"{canary_name}-predictor", "port": {"number": 8000}}

    hpas = {}
    for hpa in run.of_type(HPA):
        spec = hpa.inputs["spec"]
        external = spec["metrics"][0]["external"]
        route = external["metric"]["selector"]["matchLabels"]["sls.ingress.route"]
        hpas[hpa.inputs["metadata"]["name"]] = (route, external["target"]["averageValue"], spec["scaleTargetRef"]["name"])
    expected_targets = (
        {main_name: f"{main_name}-ew", canary_name: f"{canary_name}-ew"}
        if run.of_type(EW)
        else {main_name: f"{main_name}-predictor-0-tfserving-proxy-tfserving-gpu",
              canary_name: f"{canary_name}-predictor-0-tfserving-proxy-tfserving-gpu"}
    )  # fmt: skip
    # Both count the host's route (ingress-nginx logs canary requests under the primary upstream); the canary scales
    # on its 20 %: averageValue 10 * 100 / 20 = 50 host requests per second per canary replica.
    host_route = f"{namespace}-{main_name}-predictor-8000"
    assert hpas == {
        f"{main_name}-hpa": (host_route, "10", expected_targets[main_name]),
        f"{canary_name}-hpa": (host_route, "50", expected_targets[canary_name]),
    }
    canary_hpa = next(h for h in run.of_type(HPA) if h.inputs["metadata"]["name"] == f"{canary_name}-hpa")
    assert (canary_hpa.inputs["spec"]["minReplicas"], canary_hpa.inputs["spec"]["maxReplicas"]) == (1, 2)
    if run.of_type(EW):
        ew = next(e for e in run.of_type(EW) if e.inputs["metadata"]["name"] == f"{canary_name}-ew")
        assert [u["min"] for u in ew.inputs["spec"]["elasticUnit"]] == [0] * len(ew.inputs["spec"]["elasticUnit"])
        assert ew.inputs["spec"]["sourceTarget"]["min"] == 0
    else:
        policy = next(p for p in run.of_type(RP) if p.inputs["metadata"]["name"] == f"{canary_name}-rp")
        assert policy.inputs["spec"]["selector"] == {"eci-inference.io/predictor": f"{canary_name}-predictor"}

    out = run.outputs["fashion-mnist"]
    assert out["traffic"] == [
        {"version": 1, "weight": 80, "seldonDeploymentName": main_name},
        {"version": 2, "weight": 20, "seldonDeploymentName": canary_name},
    ]
    assert (out["canarySeldonDeploymentName"], out["canaryIngressName"], out["canaryHpaName"]) == (
        canary_name,
        canary_name,
        f"{canary_name}-hpa",
    )


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_a_canary_stack_passes_every_mandatory_policy(stack: str, tmp_path: Path) -> None:
    from policies.eci_policies import RESOURCE_POLICIES, STACK_POLICIES
    from tests.policy_helpers import check, check_stack, registered_args, registered_resource

    run = canary_run(stack, tmp_path)
    mandatory = [p for p in RESOURCE_POLICIES if p.enforcement_level is not None and p.enforcement_level.value == "mandatory"]
    violations = [(p.name, r.name, m) for p in mandatory for r in run.resources for m in check(p, registered_args(r))]
    resources = [registered_resource(r) for r in run.resources]
    mandatory_stack = [p for p in STACK_POLICIES if p.enforcement_level is not None and p.enforcement_level.value == "mandatory"]
    violations += [(p.name, "stack", m) for p in mandatory_stack for m, _ in check_stack(p, resources)]
    assert violations == []
    assert len(run.of_type(SDEP) + run.of_type(ISVC)) == 2


@pytest.mark.parametrize(
    ("target_qps", "share", "expected"),
    [(10, 100, "10"), (10, 20, "50"), (10, 3, "334"), (7, 1, "700"), (1, 99, "2"), (5, 50, "10")],
)
def test_a_sides_average_value_is_its_share_of_the_host_route(target_qps: int, share: int, expected: str) -> None:
    from components.qps_autoscaler import average_value

    assert average_value(target_qps, share) == expected  # ceil(target * 100 / share), hand-computed


@pytest.mark.parametrize("share", [0, 101])
def test_a_share_outside_1_to_100_is_refused(share: int) -> None:
    from components.qps_autoscaler import average_value

    with pytest.raises(ValueError, match=r"traffic_share must be 1\.\.100"):
        average_value(10, share)


def test_the_wiring_policy_wants_the_canary_hpa_on_the_host_route(tmp_path: Path) -> None:
    from policies.eci_policies import STACK_POLICIES
    from tests.policy_helpers import check_stack, registered_resource

    run = canary_run("dev", tmp_path)
    wiring = next(p for p in STACK_POLICIES if p.name == "inference-wiring")
    assert check_stack(wiring, [registered_resource(r) for r in run.resources]) == []
    # The canary Ingress's own route counts nothing (ingress-nginx logs the primary upstream): refused.
    hpa = next(h for h in run.of_type(HPA) if h.inputs["metadata"]["name"] == "fashion-mnist-eci-canary-hpa")
    labels = hpa.inputs["spec"]["metrics"][0]["external"]["metric"]["selector"]["matchLabels"]
    labels["sls.ingress.route"] = "default-fashion-mnist-eci-canary-predictor-8000"
    found = check_stack(wiring, [registered_resource(r) for r in run.resources])
    assert len(found) == 1 and "has route 'default-fashion-mnist-eci-predictor-8000'" in found[0][0], found


def test_the_canary_budget_never_blocks_every_eviction(tmp_path: Path) -> None:
    project = version_project(tmp_path)
    run = project_run(project, *with_model("dev", pdbMinAvailable=2, canary={"version": 2, "weight": 5, "source": V2}), "dev")
    budgets = {b.inputs["metadata"]["name"]: b.inputs["spec"] for b in run.of_type("kubernetes:policy/v1:PodDisruptionBudget")}
    assert budgets["fashion-mnist-eci-pdb"]["minAvailable"] == 2
    canary = budgets["fashion-mnist-eci-canary-pdb"]
    assert canary["maxUnavailable"] == 1 and "minAvailable" not in canary


def test_promote_and_roll_back(tmp_path: Path) -> None:
    rolled_back = canary_run("dev", tmp_path / "b", weight=0)
    ingress = next(i for i in rolled_back.of_type(INGRESS) if i.inputs["metadata"]["name"].endswith("-canary"))
    assert ingress.inputs["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-weight"] == "0"
    hpa = next(h for h in rolled_back.of_type(HPA) if h.inputs["metadata"]["name"] == "fashion-mnist-eci-canary-hpa")
    assert (hpa.inputs["spec"]["minReplicas"], hpa.inputs["spec"]["maxReplicas"]) == (1, 1)  # no traffic, no scaling
    assert [t["weight"] for t in rolled_back.outputs["fashion-mnist"]["traffic"]] == [100, 0]

    canaried = canary_run("dev", tmp_path / "c", weight=50)
    promoted = project_run(version_project(tmp_path / "p"), *with_model("dev", version=2, source=V2), "dev")
    assert promoted.outputs["fashion-mnist"]["traffic"] == [
        {"version": 2, "weight": 100, "seldonDeploymentName": "fashion-mnist-eci"}
    ]
    assert len(promoted.of_type(SDEP)) == 1 and serving(promoted.one(SDEP))["env"][0]["value"] == pinned_config(2)
    # The version's objects are the ones the canary uploaded: same resources, same keys, nothing re-uploaded.
    canary_objects = {o.urn: o.inputs["key"] for o in canaried.of_type(OBJECT) if "/2/" in o.inputs["key"]}
    assert {o.urn: o.inputs["key"] for o in promoted.of_type(OBJECT)} == canary_objects


def test_a_canary_stack_renders_and_passes_check(tmp_path: Path, schemas_dir: Path) -> None:
    data = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    data["config"][f"{P}:models"][0]["canary"] = {"version": 2, "weight": 10}
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    version_dir(project, 1)
    version_dir(project, 2)  # beside version 1: the canary's default source
    (project / "Pulumi.canary.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "out"
    assert render.main(["--stack", "canary", "--project-dir", str(project), "--out", str(out), "--check"]) == 0
    kinds = [yaml.safe_load(p.read_text())["kind"] for p in sorted(out.glob("*.yaml"))]
    assert kinds.count("SeldonDeployment") == kinds.count("Ingress") == kinds.count("HorizontalPodAutoscaler") == 2


# --------------------------------------------------------------------------------------------------- bad input


def canary_problems(tmp_path: Path, canary: dict[str, Any], stack: str = "dev", **top: Any) -> list[str]:
    config, secret_keys = with_model(stack, canary=canary)
    config.update({f"{P}:{k}": v for k, v in top.items()})
    if not (tmp_path / "models" / "fashion-mnist" / "1").is_dir():
        version_dir(tmp_path, 1)
    with pytest.raises(ConfigError) as caught:
        load(config, secret_keys, tmp_path)
    return caught.value.problems


def test_canary_weight_edges_are_accepted(tmp_path: Path) -> None:
    project = version_project(tmp_path)
    for weight in (0, 100):
        config, secret_keys = with_model("dev", canary={"version": 2, "weight": weight, "source": V2})
        assert load(config, secret_keys, project).models[0].canary is not None


@pytest.mark.parametrize(
    ("label", "canary", "top", "expected"),
    [
        ("weight below 0", {"version": 2, "weight": -1}, {}, "models[0].canary.weight = -1: must be a whole number >= 0 and <= 100"),
        ("weight above 100", {"version": 2, "weight": 101}, {}, "models[0].canary.weight = 101: must be a whole number >= 0 and <= 100"),
        ("fractional weight", {"version": 2, "weight": 12.5}, {}, "models[0].canary.weight = 12.5: must be a whole number"),
        ("the served version", {"version": 1, "weight": 10}, {},
         "models[0].canary.version = 1: is the version already served (version = 1)"),
        ("no model files", {"version": 7, "weight": 10}, {},
         "models[0].canary.version = 7: has no model files: "),
        ("source without a model", {"version": 2, "weight": 10, "source": "components"}, {},
         "models[0].canary.source = 'components': has no model files: "),
        ("ingress class that cannot split", {"version": 2, "weight": 10}, {"ingressClass": "alb"},
         "models[0].canary needs an ingress class that splits traffic by canary-weight (nginx); ingressClass is 'alb'"),
        ("min above max", {"version": 2, "weight": 10, "minReplicas": 3, "maxReplicas": 2}, {},
         "models[0].canary.minReplicas = 3: is greater than canary.maxReplicas = 2"),
        ("unknown key", {"version": 2, "weight": 10, "weigth": 3}, {}, "models[0].canary.weigth is not a known key"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)  # fmt: skip
def test_each_bad_canary_gets_its_clear_message(
    tmp_path: Path, label: str, canary: dict[str, Any], top: dict[str, Any], expected: str
) -> None:
    if "source" not in canary and label not in ("no model files", "the served version"):
        version_dir(tmp_path, canary["version"])
        canary = {**canary, "source": f"models/fashion-mnist/{canary['version']}"}
    found = canary_problems(tmp_path, canary, **top)
    assert any(expected in p for p in found), f"{label}: {expected!r} not in {found}"


def test_a_canary_on_an_oss_model_reads_the_version_beside_it(tmp_path: Path) -> None:
    config, secret_keys = with_model("dev", source="oss://shared-models/fm", canary={"version": 2, "weight": 5})
    assert validated(config, secret_keys).models[0].canary_local_dir(ROOT) is None
    config, secret_keys = with_model(
        "dev", source="oss://shared-models/fm", canary={"version": 2, "weight": 5, "source": "models/fashion-mnist/1"}
    )
    with pytest.raises(ConfigError) as caught:
        validated(config, secret_keys)
    assert any(
        "models[0].canary.source = 'models/fashion-mnist/1': must not be set for an oss:// model: the canary reads "
        "oss://shared-models/fm/2/" in p
        for p in caught.value.problems
    ), caught.value.problems


def test_a_bad_canary_registers_nothing() -> None:
    import pulumi

    from program import main
    from tools.mockrun import run_program

    config, secret_keys = with_model("dev", canary={"version": 1, "weight": 101})
    run = Run()
    with pytest.raises(pulumi.RunError) as caught:
        run_program(main, config, secret_keys, into=run)
    message = str(caught.value)
    assert "models[0].canary.weight = 101" in message and "Traceback" not in message
    assert run.resources == []


def test_the_serving_command_writes_the_pods_own_config_and_runs_the_server_with_its_flags(tmp_path: Path) -> None:
    """The container's command, run by a real bash with the binary and the config path moved into ``tmp_path``."""
    import os
    import subprocess

    from components import tf_serving

    invocation = tf_serving.serving_invocation("fashion-mnist", "arena/models/fashion-mnist", 2)
    config_file, binary = tmp_path / "models.config", tmp_path / "tensorflow_model_server"
    binary.write_text('#!/bin/bash\nprintf "%s\\n" "$@"\n')
    binary.chmod(0o755)
    shell, flag, script, name = invocation["command"]
    script = script.replace(tf_serving.MODEL_CONFIG_FILE, str(config_file)).replace(tf_serving.SERVING_BINARY, str(binary))
    env = {**os.environ, **{e["name"]: e["value"] for e in invocation["env"]}}
    done = subprocess.run([shell, flag, script, name, *invocation["args"]], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["--port=7001", "--rest_api_port=8501", "--model_config_file=/run/tfserving/models.config"]
    assert config_file.read_text() == pinned_config(2)  # byte for byte what the pod's env carries


def test_the_model_config_quotes_its_strings_as_protobuf_text_format_does() -> None:
    from components.tf_serving import model_config

    text = model_config("m", '/mnt/a"b\\c/é', 3)
    assert '    base_path: "/mnt/a\\"b\\\\c/é"\n' in text  # \" and \\ escaped, UTF-8 kept
    assert "model_version_policy { specific { versions: 3 } }" in text


# staging with a canary of version 2: every resource of the model, by Pulumi name, with its type and its parent. The
# names are part of each URN (a changed name replaces the resource); the canary's parts are named <model>-canary-<part>
# beside the main ones, share the main model's store and volume, and have no schedule of their own (the CronHPA
# raises the main HPA only).
_IDX = "eci-inference:index:"
STAGING_CANARY_TREE = {
    "fashion-mnist": (f"{_IDX}InferenceService", "eci-inference-staging"),
    "fashion-mnist-store": (f"{_IDX}ModelStore", "fashion-mnist"),
    "fashion-mnist-volume": (f"{_IDX}ModelVolume", "fashion-mnist"),
    "fashion-mnist-image-cache": (f"{_IDX}ModelImageCache", "fashion-mnist"),
    "fashion-mnist-schedule": (f"{_IDX}ScheduledScaling", "fashion-mnist"),
    **{
        f"fashion-mnist{side}-{part}": (f"{_IDX}{kind}", "fashion-mnist")
        for side in ("", "-canary")
        for part, kind in (
            ("server", "ModelServer"),
            ("network-policy", "PredictorNetworkPolicy"),
            ("budget", "PredictorDisruptionBudget"),
            ("resource-policy", "ResourcePolicyScaling"),
            ("autoscaler", "QpsAutoscaler"),
            ("ingress", "ModelIngress"),
        )
    },
    **{
        f"fashion-mnist-store-v{v}-{f}": ("alicloud:oss/bucketObject:BucketObject", "fashion-mnist-store")
        for v in (1, 2)
        for f in MODEL_FILES
    },
    "fashion-mnist-image-cache-imagecache": ("kubernetes:eci.alibabacloud.com/v1:ImageCache", "fashion-mnist-image-cache"),
    "fashion-mnist-volume-credentials": ("kubernetes:core/v1:Secret", "fashion-mnist-volume"),
    "fashion-mnist-volume-pv": ("kubernetes:core/v1:PersistentVolume", "fashion-mnist-volume"),
    "fashion-mnist-volume-pvc": ("kubernetes:core/v1:PersistentVolumeClaim", "fashion-mnist-volume"),
    "fashion-mnist-schedule-cronhpa": (
        "kubernetes:autoscaling.alibabacloud.com/v1beta1:CronHorizontalPodAutoscaler",
        "fashion-mnist-schedule",
    ),
    **{
        f"fashion-mnist{side}-{part}-{suffix}": (kind, f"fashion-mnist{side}-{part}")
        for side in ("", "-canary")
        for part, suffix, kind in (
            ("server", "sdep", SDEP),
            ("ingress", "ingress", INGRESS),
            ("network-policy", "policy", "kubernetes:networking.k8s.io/v1:NetworkPolicy"),
            ("budget", "pdb", "kubernetes:policy/v1:PodDisruptionBudget"),
            ("resource-policy", "rp", "kubernetes:scheduling.alibabacloud.com/v1alpha1:ResourcePolicy"),
            ("autoscaler", "hpa", "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"),
        )
    },
}


def test_every_resource_of_a_model_with_a_canary_has_its_name_and_parent(tmp_path: Path) -> None:
    run = canary_run("staging", tmp_path)
    by_urn = {r.urn: r for r in run.resources}
    model = run.one(f"{_IDX}InferenceService")
    below = {model.urn}
    tree: dict[str, tuple[str, str]] = {model.name: (model.type, model.parent.rsplit("::", 1)[-1])}
    for resource in run.resources:  # registration order: a parent comes before its children
        if resource.parent in below:
            below.add(resource.urn)
            tree[resource.name] = (resource.type, by_urn[resource.parent].name)
    assert tree == STAGING_CANARY_TREE


def test_a_canary_adds_its_own_names_to_the_outputs_and_splits_the_traffic(tmp_path: Path) -> None:
    """The stack outputs with a 20 % canary, whole: each canary object's name beside the main one's (the
    ElasticWorkload's in elasticWorkload mode, the ResourcePolicy's in resourcePolicy mode, never both), and the split."""
    dev = canary_run("dev", tmp_path / "dev").outputs["fashion-mnist"]
    # <sdep>-canary-predictor-0-tfserving-proxy-tfserving-gpu is 66 characters: Seldon names it seldon-<md5>
    canary_deployment = "fashion-mnist-eci-canary-predictor-0-tfserving-proxy-tfserving-gpu"
    assert dev == {
        **DEV_MODEL_OUTPUTS,
        "canarySeldonDeploymentName": "fashion-mnist-eci-canary",
        "canaryPredictorDeploymentName": "seldon-" + hashlib.md5(canary_deployment.encode()).hexdigest(),
        "canaryIngressName": "fashion-mnist-eci-canary",
        "canaryHpaName": "fashion-mnist-eci-canary-hpa",
        "canaryElasticWorkloadName": "fashion-mnist-eci-canary-ew",
        "traffic": [
            {"version": 1, "seldonDeploymentName": "fashion-mnist-eci", "weight": 80},
            {"version": 2, "seldonDeploymentName": "fashion-mnist-eci-canary", "weight": 20},
        ],
    }
    staging = canary_run("staging", tmp_path / "staging").outputs["fashion-mnist"]
    host = "fashion-mnist.staging.example.com"
    assert staging == {
        "bucket": "eci-inference-staging-models",
        "modelUri": "oss://eci-inference-staging-models/models/fashion-mnist",
        "protocol": "seldon",
        "ingressHost": host,
        "endpointUrl": f"https://{host}",
        "predictionUrl": f"https://{host}/api/v1.0/predictions",
        "seldonDeploymentName": "fashion-mnist",
        "predictorDeploymentName": "fashion-mnist-predictor-0-tfserving-proxy-tfserving-gpu",
        "hpaName": "fashion-mnist-hpa",
        "resourcePolicyName": "fashion-mnist-rp",
        "cronHpaName": "fashion-mnist-cronhpa",
        "canarySeldonDeploymentName": "fashion-mnist-canary",
        "canaryPredictorDeploymentName": "fashion-mnist-canary-predictor-0-tfserving-proxy-tfserving-gpu",
        "canaryIngressName": "fashion-mnist-canary",
        "canaryHpaName": "fashion-mnist-canary-hpa",
        "canaryResourcePolicyName": "fashion-mnist-canary-rp",
        "traffic": [
            {"version": 1, "seldonDeploymentName": "fashion-mnist", "weight": 80},
            {"version": 2, "seldonDeploymentName": "fashion-mnist-canary", "weight": 20},
        ],
    }


@pytest.mark.parametrize(
    ("budget", "main_pdb"),
    [({"pdbMaxUnavailable": 2}, {"maxUnavailable": 2}), ({"pdbMinAvailable": 1}, {"minAvailable": 1})],
)
def test_the_canarys_budget_lets_one_pod_go_whatever_the_models_says(
    budget: dict[str, int], main_pdb: dict[str, int], tmp_path: Path
) -> None:
    """The model's budget is sized for its own replicas; the canary's 1-2 pods get maxUnavailable 1 (a minAvailable
    of the model's size could block every eviction of the canary)."""
    canary = {"version": 2, "weight": 20, "source": V2}
    run = project_run(version_project(tmp_path), *with_model("dev", canary=canary, **budget), "dev")
    specs = {p.inputs["metadata"]["name"]: p.inputs["spec"] for p in run.of_type("kubernetes:policy/v1:PodDisruptionBudget")}
    selector = {"matchLabels": {"eci-inference.io/predictor": "fashion-mnist-eci-predictor"}}
    canary_selector = {"matchLabels": {"eci-inference.io/predictor": "fashion-mnist-eci-canary-predictor"}}
    assert specs == {
        "fashion-mnist-eci-pdb": {**main_pdb, "selector": selector},
        "fashion-mnist-eci-canary-pdb": {"maxUnavailable": 1, "selector": canary_selector},
    }


def test_only_the_scheduled_hpa_leaves_its_bounds_to_the_cronhpa(tmp_path: Path) -> None:
    """staging's CronHPA targets the model's HPA (kubernetes-cronhpa-controller ScaleHPA rewrites its min and max), so
    Pulumi must not reset them; the canary's HPA has no schedule, so Pulumi keeps owning its bounds."""
    run = canary_run("staging", tmp_path)
    ignored = {h.name: h.ignore_changes for h in run.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")}
    assert ignored == {
        "fashion-mnist-autoscaler-hpa": ["spec.minReplicas", "spec.maxReplicas"],
        "fashion-mnist-canary-autoscaler-hpa": [],
    }
