"""The two scaling modes, scheduled scaling, spot interruption handling and the image cache."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pulumi
import pytest

from program import main
from stackconfig import PROJECT, ConfigError
from stackconfig.schedule import ScheduleError, fires, normalise, to_controller_zone
from tests.conftest import STACKS, run_config, stack_config, validated
from tools.mockrun import Run, run_program
from tools.validate import validate_object

P = PROJECT
SDEP = "kubernetes:machinelearning.seldon.io/v1:SeldonDeployment"
EW = "kubernetes:autoscaling.alibabacloud.com/v1beta1:ElasticWorkload"
RP = "kubernetes:scheduling.alibabacloud.com/v1alpha1:ResourcePolicy"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
CRONHPA = "kubernetes:autoscaling.alibabacloud.com/v1beta1:CronHorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
IMAGE_CACHE = "kubernetes:eci.alibabacloud.com/v1:ImageCache"
MODES = ["elasticWorkload", "resourcePolicy"]
SPOT = "k8s.aliyun.com/eci-spot-strategy"


def in_mode(stack: str, mode: str) -> tuple[dict[str, Any], list[str]]:
    config, secret_keys = stack_config(stack)
    config[f"{P}:scalingMode"] = mode
    return config, secret_keys


def addon_names(run: Run) -> set[str]:
    types = ("kubernetes:helm.sh/v3:Release", "alicloud:cs/kubernetesAddon:KubernetesAddon")
    return {r.inputs["name"] for r in run.resources if r.type in types}


def pod_labels(sdep: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = sdep["spec"]["predictors"][0]["componentSpecs"][0]["metadata"]["labels"]
    return labels


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_renders_valid_objects_in_both_modes(stack: str, mode: str, schemas_dir: Path) -> None:
    run = run_config(*in_mode(stack, mode), stack=stack)
    objects = run.kubernetes_objects()
    assert [p for o in objects for p in validate_object(o, schemas_dir)] == []
    kinds = {o["kind"] for o in objects}
    assert ("ElasticWorkload" in kinds, "ResourcePolicy" in kinds) == (mode == "elasticWorkload", mode == "resourcePolicy")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("stack", STACKS)
def test_the_hpa_targets_the_right_object_in_each_mode(stack: str, mode: str) -> None:
    run = run_config(*in_mode(stack, mode), stack=stack)
    deployment = run.outputs["fashion-mnist"]["predictorDeploymentName"]
    target = run.one(HPA).inputs["spec"]["scaleTargetRef"]
    if mode == "elasticWorkload":
        ew = run.one(EW).inputs
        assert target == {"apiVersion": ew["apiVersion"], "kind": "ElasticWorkload", "name": ew["metadata"]["name"]}
        assert ew["spec"]["sourceTarget"]["name"] == deployment
    else:
        assert target == {"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment}


@pytest.mark.parametrize("stack", STACKS)
def test_add_ons_follow_the_mode(stack: str) -> None:
    ew_run = run_config(*in_mode(stack, "elasticWorkload"), stack=stack)
    rp_run = run_config(*in_mode(stack, "resourcePolicy"), stack=stack)
    assert "ack-kubernetes-elastic-workload" in addon_names(ew_run)
    assert "ack-kubernetes-elastic-workload" not in addon_names(rp_run)
    assert addon_names(ew_run) - {"ack-kubernetes-elastic-workload"} == addon_names(rp_run)
    has_schedule = bool(ew_run.of_type(CRONHPA))
    assert ("ack-kubernetes-cronhpa-controller" in addon_names(rp_run)) == has_schedule


def test_resource_policy_selects_exactly_each_predictors_pods() -> None:
    config, secret_keys = in_mode("staging", "resourcePolicy")
    other = copy.deepcopy(config[f"{P}:models"][0])
    other.update({"name": "fashion-mnist-b", "seldonDeploymentName": "fashion-mnist-b", "host": "b.staging.example.com"})
    other.pop("imageCache")
    config[f"{P}:models"].append(other)
    run = run_config(config, secret_keys)
    sdeps = {r.inputs["metadata"]["name"]: r.inputs for r in run.of_type(SDEP)}
    policies = run.of_type(RP)
    assert len(policies) == len(sdeps) == 2
    for policy in policies:
        selector = policy.inputs["spec"]["selector"]
        matched = [name for name, sdep in sdeps.items() if selector.items() <= pod_labels(sdep).items()]
        assert len(matched) == 1, (selector, matched)
        sdep = sdeps[matched[0]]
        assert policy.inputs["metadata"]["namespace"] == sdep["metadata"]["namespace"]
        assert selector == {"eci-inference.io/predictor": f"{matched[0]}-predictor"}
    pdbs = run.of_type(PDB)
    assert {tuple(p.inputs["spec"]["selector"]["matchLabels"].items()) for p in pdbs} == {
        tuple(r.inputs["spec"]["selector"].items()) for r in policies
    }


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("stack", STACKS)
def test_units_go_node_pool_then_on_demand_then_spot(stack: str, mode: str) -> None:
    run = run_config(*in_mode(stack, mode), stack=stack)
    if mode == "elasticWorkload":
        units = run.one(EW).inputs["spec"]["elasticUnit"]
        spot = [SPOT in u.get("annotations", {}) for u in units]
        eci = [u["nodeSelector"] == {"type": "virtual-kubelet"} for u in units]
    else:
        units = run.one(RP).inputs["spec"]["units"]
        spot = [SPOT in u.get("podAnnotations", {}) for u in units]
        eci = [u["resource"] == "eci" for u in units]
    assert spot == sorted(spot), "a spot unit comes before an on-demand unit"
    assert eci == sorted(eci), "an ECS node pool comes after an ECI unit"
    assert any(eci)


def test_staging_units_in_resource_policy_mode() -> None:
    run = run_config(*in_mode("staging", "resourcePolicy"), stack="staging")
    units = run.one(RP).inputs["spec"]["units"]
    assert [(u["resource"], u["max"]) for u in units] == [("ecs", 2), ("eci", 4), ("eci", 10)]
    assert units[0]["nodeSelector"] == {"alibabacloud.com/nodepool-id": "np0123456789abcdef"}
    assert "podAnnotations" not in units[0]
    assert units[2]["podAnnotations"] == {
        "k8s.aliyun.com/eci-use-specs": "ecs.gn6i-c4g1.xlarge,ecs.gn6i-c8g1.2xlarge",
        "k8s.aliyun.com/eci-spot-strategy": "SpotWithPriceLimit",
        "k8s.aliyun.com/eci-spot-price-limit": "4.5",
        "k8s.aliyun.com/eci-spot-duration": "1",
        "k8s.aliyun.com/eci-spot-release-strategy": "api-evict",
        "k8s.aliyun.com/eci-auto-imc": "true",
    }
    spec = run.one(RP).inputs["spec"]
    assert (spec["strategy"], spec["ignorePreviousPod"], spec["ignoreTerminatingPod"]) == ("prefer", False, True)


def test_cron_hpa_targets_the_hpa_as_ack_requires() -> None:
    run = run_config(*stack_config("staging"), stack="staging")
    hpa = run.one(HPA)
    cron = run.one(CRONHPA).inputs["spec"]
    assert cron["scaleTargetRef"] == {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "name": hpa.inputs["metadata"]["name"],
    }
    assert hpa.ignore_changes == ["spec.minReplicas", "spec.maxReplicas"]
    # staging's controller runs in Asia/Shanghai, the schedules' own zone: the hours stay as written.
    assert cron["jobs"] == [
        {"name": "weekday-peak", "schedule": "0 0 8 * * 1-5", "targetSize": 6, "runOnce": False},
        {"name": "weekday-night", "schedule": "0 0 22 * * 1-5", "targetSize": 2, "runOnce": False},
    ]
    addon = [
        r
        for r in run.of_type("alicloud:cs/kubernetesAddon:KubernetesAddon")
        if r.inputs["name"] == "ack-kubernetes-cronhpa-controller"
    ]
    assert len(addon) == 1 and addon[0].urn in run.one(CRONHPA).dependencies


def test_schedules_reach_the_cron_hpa_in_the_controllers_time_zone() -> None:
    config, secret_keys = stack_config("staging")
    config[f"{P}:cronControllerTimeZone"] = "UTC"
    jobs = run_config(config, secret_keys, "staging").one(CRONHPA).inputs["spec"]["jobs"]
    # 08:00 and 22:00 in Asia/Shanghai (UTC+8) are 00:00 and 14:00 in the controller's UTC.
    assert [(j["name"], j["schedule"]) for j in jobs] == [("weekday-peak", "0 0 0 * * 1-5"), ("weekday-night", "0 0 14 * * 1-5")]


def test_without_schedules_pulumi_keeps_owning_the_hpa_bounds() -> None:
    run = run_config(*stack_config("dev"), stack="dev")
    assert run.of_type(CRONHPA) == []
    assert run.one(HPA).ignore_changes == []


def test_disruption_budget_grace_period_and_pre_stop() -> None:
    staging = run_config(*stack_config("staging"), stack="staging")
    assert staging.one(PDB).inputs["spec"]["minAvailable"] == 1
    pod = staging.one(SDEP).inputs["spec"]["predictors"][0]["componentSpecs"][0]["spec"]
    assert pod["terminationGracePeriodSeconds"] == 60
    assert all(c["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", "15"] for c in pod["containers"])
    dev = run_config(*stack_config("dev"), stack="dev")
    assert dev.one(PDB).inputs["spec"] == {
        "selector": {"matchLabels": {"eci-inference.io/predictor": "fashion-mnist-eci-predictor"}},
        "maxUnavailable": 1,
    }


def test_image_cache_holds_every_image_the_pod_runs() -> None:
    run = run_config(*stack_config("staging"), stack="staging")
    cache = run.one(IMAGE_CACHE).inputs
    assert cache["spec"] == {
        "images": [
            "registry.cn-beijing.aliyuncs.com/deepai/seldonio-tfserving-proxy_rest:1.3.0",
            "tensorflow/serving:2.3.0-gpu",
            "docker.io/seldonio/seldon-core-executor:1.17.1",
        ],
        "imageCacheSize": 40,
        "retentionDays": 30,
    }
    assert "namespace" not in cache["metadata"]
    virtual_node = next(
        r for r in run.of_type("alicloud:cs/kubernetesAddon:KubernetesAddon") if r.inputs["name"] == "ack-virtual-node"
    )
    assert virtual_node.urn in run.one(IMAGE_CACHE).dependencies


def edit(stack: str, change: Any) -> tuple[dict[str, Any], list[str]]:
    config, secret_keys = stack_config(stack)
    change(config)
    return config, secret_keys


def model(config: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = config[f"{P}:models"][0]
    return found


BAD: list[tuple[str, Any, str]] = [
    ("cron with 4 fields", lambda c: model(c)["schedules"][0].update({"cron": "0 8 * *"}), "schedules[0].cron = '0 8 * *': has 4 fields"),
    ("cron hour 25", lambda c: model(c)["schedules"][0].update({"cron": "0 25 * * *"}), "hour field: 25 is outside 0-23"),
    ("unknown time zone", lambda c: model(c)["schedules"][0].update({"timeZone": "Asia/Beijing"}), "schedules[0].timeZone = 'Asia/Beijing': time zone 'Asia/Beijing' is not an IANA time zone"),
    ("daylight-saving zone", lambda c: model(c)["schedules"][0].update({"timeZone": "Europe/Berlin"}), "changes its offset during the year"),
    ("bad controller zone", lambda c: c.update({f"{P}:cronControllerTimeZone": "Moon/Base"}), "cronControllerTimeZone = 'Moon/Base'"),
    ("resourcePolicy without an eci unit", lambda c: model(c).update({"units": [model(c)["units"][0]]}), "units = ['gpu-pool']: resourcePolicy mode needs at least one eci unit"),
    ("pdb blocks every eviction", lambda c: model(c).update({"pdbMinAvailable": 16}), "pdbMinAvailable = 16: must be below maxReplicas = 16, or the budget blocks every eviction"),
    ("image cache extra that the pod runs", lambda c: model(c)["imageCache"].update({"extraImages": ["tensorflow/serving:2.3.0-gpu"]}), "imageCache.extraImages[0] = 'tensorflow/serving:2.3.0-gpu': is cached already"),
    ("image cache listing the pod's images by hand", lambda c: model(c)["imageCache"].update({"images": ["nginx:1.27"]}), "imageCache.images is not a key any more: the cache now holds every image the predictor pod runs"),
    ("pre-stop longer than grace", lambda c: model(c).update({"preStopSeconds": 60}), "preStopSeconds = 60: must be shorter than terminationGracePeriodSeconds = 60"),
    ("grace beyond spot notice", lambda c: model(c).update({"terminationGracePeriodSeconds": 300}), "spot pods get about 180 s notice"),
    ("schedule above max", lambda c: model(c)["schedules"][0].update({"targetSize": 40}), "schedules[0].targetSize = 40: is above maxReplicas = 16: the CronHPA would raise the HPA's maxReplicas to it"),
    ("unknown mode", lambda c: c.update({f"{P}:scalingMode": "keda"}), "scalingMode = 'keda': must be one of elasticWorkload, resourcePolicy"),
    ("ecs unit without pool", lambda c: model(c)["units"][0].pop("nodePoolId"), "units[0].nodePoolId is required"),
    ("spot protection of 2 h", lambda c: model(c).update({"spotProtectionHours": 2}), "spotProtectionHours = 2: must be a whole number >= 0 and <= 1"),
    ("schedule that never fires", lambda c: model(c)["schedules"][1].update({"cron": "0 8 30 2 *"}), "schedules[1].cron = '0 8 30 2 *': never fires"),
    ("schedules without the controller's zone", lambda c: c.pop(f"{P}:cronControllerTimeZone"), "cronControllerTimeZone is required when a model has schedules"),
]  # fmt: skip


@pytest.mark.parametrize(("label", "change", "expected"), BAD, ids=[b[0] for b in BAD])
def test_scaling_mistakes_get_the_clear_error_and_register_nothing(label: str, change: Any, expected: str) -> None:
    config, secret_keys = edit("staging", change)
    with pytest.raises(ConfigError) as caught:
        validated(config, secret_keys)
    assert any(expected in p for p in caught.value.problems), (label, caught.value.problems)
    run = Run()
    with pytest.raises(pulumi.RunError):
        run_program(main, config, secret_keys, into=run)
    assert run.resources == []


def test_an_add_on_the_mode_does_not_use_cannot_be_enabled() -> None:
    config, secret_keys = edit(
        "staging", lambda c: c.update({f"{P}:addons": {"ack-kubernetes-elastic-workload": {"enabled": True}}})
    )
    with pytest.raises(ConfigError, match="not used by this stack's scalingMode and schedules"):
        validated(config, secret_keys)


@pytest.mark.parametrize(
    ("cron", "zone", "controller", "expected"),
    [
        ("0 8 * * 1-5", "Asia/Shanghai", "UTC", "0 0 0 * * 1-5"),
        ("30 0 8,20 * * *", "Asia/Shanghai", "UTC", "30 0 0,12 * * *"),
        ("0 2 * * *", "Asia/Shanghai", "UTC", "0 0 18 * * *"),
        ("0 8 * * MON-FRI", "UTC", "UTC", "0 0 8 * * MON-FRI"),
        ("0 9 * * *", "UTC", "Asia/Shanghai", "0 0 17 * * *"),
    ],
)
def test_schedules_move_into_the_controllers_time_zone(cron: str, zone: str, controller: str, expected: str) -> None:
    assert to_controller_zone(cron, zone, controller) == expected


def test_a_move_across_midnight_with_fixed_days_is_refused() -> None:
    with pytest.raises(ScheduleError, match="crosses midnight"):
        to_controller_zone("0 2 * * 1-5", "Asia/Shanghai", "UTC")


def test_a_move_across_midnight_in_a_fixed_month_is_refused() -> None:
    with pytest.raises(ScheduleError, match="crosses midnight"):
        to_controller_zone("0 1 * 1 *", "Asia/Shanghai", "UTC")
    assert to_controller_zone("0 * * 1 *", "Asia/Shanghai", "UTC") == "0 0 * * 1 *"


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        ("0 8 31 2 *", False),
        ("0 8 30 2 *", False),
        ("0 8 31 4,6,9,11 *", False),
        ("0 8 29 2 *", True),  # leap years
        ("0 8 31 2 1", True),  # day of month or day of week: every Monday in February
        ("0 8 * * 1-5", True),
        ("0 0 8 31 1-12/2 ?", True),
    ],
)
def test_a_schedule_fires_only_if_some_date_matches(cron: str, expected: bool) -> None:
    assert fires(" ".join(normalise(cron))) is expected


def test_image_cache_follows_the_executor_image_the_operator_is_installed_with() -> None:
    """The operator injects ``<registry>/<repository>:<tag>`` of its chart's ``executor.image`` (seldon-core v1.17.1,
    ``templates/deployment_seldon-controller-manager.yaml`` line 129): a mirror set in the add-on's values is what the
    cache must hold, and every container image of the rendered SeldonDeployment is there too."""
    mirror = {"registry": "registry.cn-hangzhou.aliyuncs.com", "repository": "mirror/seldon-core-executor"}
    config, secret_keys = edit(
        "staging", lambda c: c.update({f"{P}:addons": {"seldon-core": {"values": {"executor": {"image": mirror}}}}})
    )
    run = run_config(config, secret_keys, "staging")
    release = next(r for r in run.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["name"] == "seldon-core")
    assert release.inputs["values"]["executor"]["image"] == {**mirror, "tag": "1.17.1"}
    pod = run.one(SDEP).inputs["spec"]["predictors"][0]["componentSpecs"][0]["spec"]
    images = run.one(IMAGE_CACHE).inputs["spec"]["images"]
    assert {c["image"] for c in pod["containers"]} <= set(images)
    assert images[-1] == "registry.cn-hangzhou.aliyuncs.com/mirror/seldon-core-executor:1.17.1"
