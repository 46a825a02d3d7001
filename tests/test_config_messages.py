"""Each rule's whole message, and the add-ons each stack installs, written out.

A rule that fires with the right key but says something else (a wrong total, a wrong fix, the other scaling mode's
wording) misleads the user as much as a rule that does not fire. The expected lines are written out by hand from the
rule's meaning and the dev stack's numbers (units hold 3 + 10, sourceMax 1, namespace ``default``), not read back from
``stackconfig``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from stackconfig import PROJECT, ConfigError
from stackconfig.models import ModelConfig
from tests.conftest import ROOT, stack_config, validated

P = PROJECT
UP = ".."  # spelt apart: tests/test_clone.py refuses a path that climbs two levels out of the repository
Edit = Callable[[dict[str, Any]], object]


def _model(c: dict[str, Any]) -> dict[str, Any]:
    model: dict[str, Any] = c[f"{P}:models"][0]
    return model


def _problems(edit: Edit, stack: str = "dev") -> list[str]:
    config, secret_keys = stack_config(stack)
    config = copy.deepcopy(config)
    edit(config)
    try:
        validated(config, secret_keys)
    except ConfigError as error:
        return list(error.problems)
    return []


def _resource_policy(**model: Any) -> Edit:
    """resourcePolicy mode, with these model keys."""

    def edit(c: dict[str, Any]) -> None:
        c[f"{P}:scalingMode"] = "resourcePolicy"
        _model(c).update(model)

    return edit


def _kserve(drop: tuple[str, ...], **model: Any) -> Edit:
    """dev's model served by KServe: the Seldon-only keys in ``drop`` removed, these model keys set."""

    def edit(c: dict[str, Any]) -> None:
        for key in drop:
            _model(c).pop(key)
        _model(c).update(server="kserve", **model)

    return edit


MESSAGES: list[tuple[str, Edit, str]] = [
    (
        "a canary of the served version",
        lambda c: _model(c).update(canary={"version": 1, "weight": 10}),
        f"{P}:models[0].canary.version = 1: is the version already served (version = 1): a canary serves another "
        "version; to promote it, set version to it and remove canary",
    ),
    (
        "a canary source on an oss:// model whose path ends in a slash",
        lambda c: _model(c).update(
            source="oss://shared-models/fm-X/", canary={"version": 2, "weight": 10, "source": "models/fashion-mnist/1"}
        ),
        f"{P}:models[0].canary.source = 'models/fashion-mnist/1': must not be set for an oss:// model: the canary "
        "reads oss://shared-models/fm-X/2/",
    ),
    (
        "maxReplicas above the units and sourceMax (elasticWorkload)",
        lambda c: _model(c).update(maxReplicas=15),
        f"{P}:models[0].maxReplicas = 15: is above what the units can hold (14: their max plus sourceMax); the HPA "
        "would ask for pods no unit takes",
    ),
    (
        "maxReplicas above the units (resourcePolicy: the source Deployment is not scaled, sourceMax does not count)",
        _resource_policy(maxReplicas=14),
        f"{P}:models[0].maxReplicas = 14: is above what the units can hold (13: their max); the HPA would ask for "
        "pods no unit takes",
    ),
    (
        "unit minimums above maxReplicas",
        lambda c: _model(c).update(maxReplicas=1),
        f"{P}:models[0].units = [1, 1]: the units' min (plus sourceMin) add up to 2, above maxReplicas = 1: the "
        "ElasticWorkload could never scale in to what the HPA asks",
    ),
    (
        "a schedule above maxReplicas",
        lambda c: _model(c).update(schedules=[{"name": "day", "cron": "0 8 * * *", "targetSize": 11}]),
        f"{P}:models[0].schedules[0].targetSize = 11: is above maxReplicas = 10: the CronHPA would raise the HPA's "
        "maxReplicas to it (kubernetes-cronhpa-controller ScaleHPA), past the capacity this stack was checked for",
    ),
    (
        "a Seldon pod that does not fit its spec (the proxy and the executor count)",
        lambda c: _model(c).update(cpu="8"),
        f"{P}:models[0].units[0].specs[0] = 'ecs.gn6i-c4g1.xlarge': the pod does not fit it: the pod requests 9.0 "
        "vCPU, ecs.gn6i-c4g1.xlarge has 4 (cpu + proxyCpu + Seldon's executor 0.5; memory + proxyMemory + 512Mi; "
        "gpu)",
    ),
    (
        "a KServe pod that does not fit its spec (only the model server counts)",
        _kserve(("seldonDeploymentName", "predictorName", "proxyImage"), cpu="5"),
        f"{P}:models[0].units[0].specs[0] = 'ecs.gn6i-c4g1.xlarge': the pod does not fit it: the pod requests 5 "
        "vCPU, ecs.gn6i-c4g1.xlarge has 4 (cpu; memory; gpu)",
    ),
    (
        "a Seldon route label over 63 characters",
        # default-<41>-predictor-8000: 8 + 41 + 15 = 64
        lambda c: _model(c).update(seldonDeploymentName="a" * 41),
        f"{P}:models[0].seldonDeploymentName = '{'a' * 41}': makes the HPA's sls.ingress.route label "
        f"'default-{'a' * 41}-predictor-8000' longer than 63 characters; shorten seldonDeploymentName, predictorName "
        "or the namespace",
    ),
    (
        "a model source that leaves the project",
        lambda c: _model(c).update(source="../x"),
        f"{P}:models[0].source = '../x': must be a local directory inside the project (a relative path) without "
        "empty, '.' or '..' segments (it may not leave its root)",
    ),
    (
        "a canary source that leaves the project",
        lambda c: _model(c).update(canary={"version": 2, "weight": 10, "source": f"models/{UP}/{UP}/x"}),
        f"{P}:models[0].canary.source = 'models/{UP}/{UP}/x': must be a local directory inside the project (a relative "
        "path) without empty, '.' or '..' segments (it may not leave its root)",
    ),
    (
        "an add-on the stack does not use, enabled",
        lambda c: c.update({f"{P}:addons": {"kserve": {"enabled": True}}}),
        f"{P}:addons.kserve.enabled = True: this add-on is not used by this stack's scalingMode and schedules",
    ),
    (
        "a KServe-only key on a Seldon model",
        lambda c: _model(c).update(inferenceServiceName="fm"),
        f"{P}:models[0].inferenceServiceName = 'fm': only a server: kserve model takes it; this model's server is seldon",
    ),
    (
        "a Seldon-only key on a KServe model",
        _kserve(("seldonDeploymentName", "proxyImage")),
        f"{P}:models[0].predictorName = 'predictor': only a server: seldon model takes it; this model's server is kserve",
    ),
]


@pytest.mark.parametrize(("edit", "expected"), [m[1:] for m in MESSAGES], ids=[m[0] for m in MESSAGES])
def test_each_rule_says_exactly_what_is_wrong(edit: Edit, expected: str) -> None:
    assert expected in _problems(edit)


def test_in_resource_policy_mode_the_units_alone_bound_maxreplicas() -> None:
    """resourcePolicy mode does not scale the source Deployment (scaling.md), so sourceMax adds no capacity: dev's
    units hold 3 + 10 = 13 whatever sourceMax says."""
    at_edge = _problems(_resource_policy(maxReplicas=13, sourceMax=5))
    assert not [p for p in at_edge if "maxReplicas" in p]
    past = _problems(_resource_policy(maxReplicas=14, sourceMax=5))
    assert [p for p in past if p.startswith(f"{P}:models[0].maxReplicas ")] == [
        f"{P}:models[0].maxReplicas = 14: is above what the units can hold (13: their max); the HPA would ask for "
        "pods no unit takes"
    ]


@pytest.mark.parametrize(("mode", "holds"), [("resourcePolicy", 13), ("elasticWorkload", 18)])
def test_the_canary_is_bounded_by_what_the_units_hold_in_its_mode(mode: str, holds: int) -> None:
    """dev's units hold 3 + 10; with sourceMax 5, elasticWorkload mode adds 5 (the source Deployment scales),
    resourcePolicy mode adds nothing."""

    def canary(max_replicas: int) -> Edit:
        def edit(c: dict[str, Any]) -> None:
            c[f"{P}:scalingMode"] = mode
            _model(c).update(
                sourceMax=5,
                canary={"version": 2, "weight": 10, "maxReplicas": max_replicas, "source": "models/fashion-mnist/1"},
            )

        return edit

    assert _problems(canary(holds)) == []
    assert _problems(canary(holds + 1)) == [
        f"{P}:models[0].canary.maxReplicas = {holds + 1}: is above what the units can hold ({holds})"
    ]


def test_a_canary_route_label_over_63_characters_names_the_fix() -> None:
    # default-<32>-canary-predictor-8000: 8 + 32 + 7 + 15 = 62; 33 makes 63 and 34 makes 64
    def edit(length: int) -> Edit:
        return lambda c: _model(c).update(
            seldonDeploymentName="a" * length,
            canary={"version": 2, "weight": 10, "source": "models/fashion-mnist/1"},
        )

    assert not [p for p in _problems(edit(33)) if p.startswith(f"{P}:models[0].canary ")]
    route = f"default-{'a' * 34}-canary-predictor-8000"
    assert [p for p in _problems(edit(34)) if p.startswith(f"{P}:models[0].canary ")] == [
        f"{P}:models[0].canary makes the canary HPA's sls.ingress.route label {route!r} longer than 63 characters; "
        "shorten seldonDeploymentName, predictorName or the namespace"
    ]


def test_the_canary_reads_the_version_beside_a_source_written_with_a_trailing_slash() -> None:
    config, secret_keys = stack_config("dev")
    config = copy.deepcopy(config)
    _model(config).update(
        source="models/fashion-mnist/1/", canary={"version": 2, "weight": 10, "source": "models/fashion-mnist/1"}
    )
    model = validated(config, secret_keys).models[0]
    assert model.canary is not None and model.local_dir(ROOT) == ROOT.resolve() / "models" / "fashion-mnist" / "1"
    by_default = model.model_copy(update={"canary": model.canary.model_copy(update={"source": None})})
    assert by_default.canary_local_dir(ROOT) == ROOT.resolve() / "models" / "fashion-mnist" / "2"


def test_a_model_validated_without_its_context_says_how_to_validate_it() -> None:
    with pytest.raises(ValidationError) as raised:
        ModelConfig.model_validate({"name": "fashion-mnist", "version": 1, "source": "models/fashion-mnist/1"})
    said = [e["msg"] for e in raised.value.errors() if e["msg"].startswith("Assertion")]
    assert said == ["Assertion failed, validate with context=Context(...)"]


# What each committed stack installs: (add-on, enabled, chart, repo, version, after, cleanupCloudResources), written
# out from stackconfig/addons.py's sources: ACK's managed add-ons (no chart, no repo), the Seldon and ACK catalog
# charts by name and repository, the metrics adapter from its chart archive (1.3.3), KServe's OCI charts (the
# resources after the CRDs).
ACK_CATALOG = "https://aliacs-app-catalog.oss-cn-hangzhou.aliyuncs.com/charts-incubator/"
SELDON = ("seldon-core", "seldon-core-operator", "https://storage.googleapis.com/seldon-charts", "1.17.1", (), None)
EW = ("ack-kubernetes-elastic-workload", "ack-kubernetes-elastic-workload", ACK_CATALOG, None, (), None)
ADAPTER = (
    "ack-alibaba-cloud-metrics-adapter",
    f"{ACK_CATALOG}ack-alibaba-cloud-metrics-adapter-1.3.3.tgz",
    "",
    "1.3.3",
    (),
    None,
)
CRON = ("ack-kubernetes-cronhpa-controller", "ack-kubernetes-cronhpa-controller", "", "v1.4.4-d9f7d25-aliyun", (), None)
VNODE = ("ack-virtual-node", "ack-virtual-node", "", None, (), True)
KSERVE_CRD = ("kserve-crd", "oci://ghcr.io/kserve/charts/kserve-crd", "", "v0.20.0", (), None)
KSERVE = ("kserve", "oci://ghcr.io/kserve/charts/kserve-resources", "", "v0.20.0", ("kserve-crd",), None)
ADDONS = {
    # dev: Seldon, elasticWorkload mode, no schedules
    "dev": {"ack-virtual-node", "seldon-core", "ack-kubernetes-elastic-workload", "ack-alibaba-cloud-metrics-adapter"},
    # staging: Seldon, resourcePolicy mode, schedules
    "staging": {"ack-virtual-node", "seldon-core", "ack-alibaba-cloud-metrics-adapter", "ack-kubernetes-cronhpa-controller"},
    # prod: KServe, elasticWorkload mode, no schedules
    "prod": {"ack-virtual-node", "ack-kubernetes-elastic-workload", "ack-alibaba-cloud-metrics-adapter", "kserve-crd", "kserve"},
}


@pytest.mark.parametrize("stack", sorted(ADDONS))
def test_each_stack_installs_exactly_the_add_ons_it_uses(stack: str) -> None:
    config, secret_keys = stack_config(stack)
    settings = validated(config, secret_keys).installed_addons
    got = [(a.name, a.enabled, a.chart, a.repo, a.version, a.after, a.cleanup_cloud_resources) for a in settings]
    expected = [
        (name, name in ADDONS[stack], chart, repo, version, after, cleanup)
        for name, chart, repo, version, after, cleanup in (VNODE, SELDON, EW, ADAPTER, CRON, KSERVE_CRD, KSERVE)
    ]
    assert got == expected


def _dev_addon(overrides: dict[str, Any], name: str) -> Any:
    config, secret_keys = stack_config("dev")
    config = copy.deepcopy(config)
    config[f"{P}:addons"] = overrides
    return next(a for a in validated(config, secret_keys).installed_addons if a.name == name)


def test_an_add_on_the_stack_uses_can_be_left_to_the_cluster() -> None:
    assert _dev_addon({"seldon-core": {"enabled": False}}, "seldon-core").enabled is False
    assert _dev_addon({"seldon-core": {"enabled": True}}, "seldon-core").enabled is True


def test_a_chart_and_a_repository_given_in_the_stack_are_used() -> None:
    seldon = _dev_addon({"seldon-core": {"chart": "my-operator", "repo": "https://charts.example.com/seldon"}}, "seldon-core")
    assert (seldon.chart, seldon.repo) == ("my-operator", "https://charts.example.com/seldon")
    # an archive-installed chart joins the given repository, with or without its trailing slash, to <chart>-<version>
    for repo in ("https://mirror.example.com/chartsX/", "https://mirror.example.com/chartsX"):
        adapter = _dev_addon({"ack-alibaba-cloud-metrics-adapter": {"repo": repo}}, "ack-alibaba-cloud-metrics-adapter")
        assert (adapter.chart, adapter.repo) == (
            "https://mirror.example.com/chartsX/ack-alibaba-cloud-metrics-adapter-1.3.3.tgz",
            "",
        )
