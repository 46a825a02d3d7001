"""``python -m tools.simulate --rollout T``: a model-version change as the Deployment controller rolls it.

Fixtures: ``rollout-default`` (a Deployment without a strategy: the API server's 25 % / 25 %) and ``rollout-surge``
(maxSurge 1, maxUnavailable 0), each with an HPA held at 4 pods (minReplicas = maxReplicas = 4, target 10 qps),
under a steady 40 qps. Expected timelines are computed by hand from kubernetes ``pkg/controller/deployment/rolling.go``
and ``util/deployment_util.go`` (see :mod:`tools.simulate.rollout`), with ``--startup 100``: a pod created at ``t`` is
Ready from ``t + 100`` and counts for the controller from the next second.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tools.simulate import EXIT_ROLLOUT, SimulateError
from tools.simulate.cli import main
from tools.simulate.objects import KSERVE_DEFAULT_ROLLOUT, SELDON_STRATEGY, find_models, load_manifest_dir
from tools.simulate.rollout import RollingState, fenceposts, scaled

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "simulate"
RUN = ["--pattern", "step:40:40:0", "--rollout", "100", "--duration", "700", "--startup", "100", "--no-plot"]


def run(tmp_path: Path, fixture: str, *extra: str) -> tuple[int, list[dict[str, str]], dict[str, object]]:
    out = tmp_path / fixture
    status = main(["--manifests", str(FIXTURES / fixture), *RUN, *extra, "--out", str(out)])
    with (out / "timeline.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return status, rows, json.loads((out / "summary.json").read_text(encoding="utf-8"))


def changes(rows: list[dict[str, str]]) -> list[tuple[int, int, int, int, int]]:
    """(t, all pods, ready, version_ready:1, version_ready:2) at each second where one of them changes."""
    out: list[tuple[int, int, int, int, int]] = []
    for r in rows:
        row = (int(r["t"]), int(r["replicas"]), int(r["ready"]), int(r["version_ready:1"]), int(r["version_ready:2"]))
        if not out or out[-1][1:] != row[1:]:
            out.append(row)
    return out


@pytest.mark.parametrize(
    ("value", "total", "up", "expected"),
    [("25%", 4, True, 1), ("25%", 4, False, 1), ("25%", 3, True, 1), ("25%", 3, False, 0), ("10%", 25, True, 3),
     ("10%", 25, False, 2), (2, 100, True, 2), ("0%", 7, True, 0), ("100%", 7, False, 7)],
)  # fmt: skip
def test_scaled_value(value: int | str, total: int, up: bool, expected: int) -> None:
    """``GetScaledValueFromIntOrPercent``: a percentage of the total, ceil for maxSurge, floor for maxUnavailable."""
    assert scaled(value, total, up) == expected


def test_fenceposts() -> None:
    """``ResolveFenceposts``: 25 % / 25 % of 4 -> (1, 1); of 3 -> (1, 0); 0 / 0 -> maxUnavailable 1."""
    assert fenceposts("25%", "25%", 4) == (1, 1)
    assert fenceposts("25%", "25%", 3) == (1, 0)
    assert fenceposts(0, 0, 5) == (0, 1)
    assert fenceposts("0%", "10%", 5) == (0, 1)  # floor(0.5) = 0 -> both 0 -> 1
    assert fenceposts(1, 0, 4) == (1, 0)


def test_rolling_state_steps() -> None:
    """The example in rolling.go's ``reconcileOldReplicaSets`` comment (10 replicas, maxUnavailable 2, maxSurge 3):
    "create new ReplicaSet with 3 replicas, old ReplicaSet scaled down to 8, new ReplicaSet scaled up to 5"; with no
    new pod available, nothing more (13 - 8 - 5 = 0). Then by hand: 5 new Ready -> old down by 8 + 5 - 8 = 5 to 3,
    new up to 10; all 10 Ready -> old down to 0."""
    state = RollingState(0, 10)
    state.step(10, 0, 10, 3, 2)
    assert (state.new_spec, state.old_spec) == (3, 8)
    state.settle(10, 0, 8, 3, 2)
    assert (state.new_spec, state.old_spec) == (5, 8)
    state.settle(10, 5, 8, 3, 2)
    assert (state.new_spec, state.old_spec) == (10, 3)
    assert not state.done(10, 5)
    state.settle(10, 10, 3, 3, 2)
    assert (state.new_spec, state.old_spec) == (10, 0)
    assert state.done(10, 10) and not state.done(10, 9)


def test_rolling_state_removes_unhealthy_old_pods_first() -> None:
    """``cleanupUnhealthyReplicas``: of 4 old pods 2 are not Ready; maxSurge 1, maxUnavailable 0. With the new pod not
    Ready, maxScaledDown = 4 + 1 - 4 - 1 = 0: nothing goes. With it Ready, maxScaledDown 1: one unhealthy old pod goes
    (no available one: 2 + 1 - 4 < 0), which lets the new ReplicaSet grow to 2."""
    state = RollingState(0, 4)
    state.settle(4, 0, 2, 1, 0)
    assert (state.new_spec, state.old_spec) == (1, 4)
    state.settle(4, 1, 2, 1, 0)
    assert (state.new_spec, state.old_spec) == (2, 3)


def test_default_strategy_drops_capacity_exit_5(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """25 % / 25 % of 4: surge 1, unavailable 1. t=100: new 1, old down by 4 + 1 - 3 - 1 = 1 to 3, then new 2 (5 pods);
    3 Ready for 30 of 40 qps until t=200, when the 2 new pods turn Ready; t=201: old down by 3 + 2 - 3 = 2 to 1, new
    up to 4: 3 Ready again until t=301; t=302 the last old pod goes. Unmet 10 qps for 200 s = 2000 requests."""
    status, rows, data = run(tmp_path, "rollout-default")
    assert status == EXIT_ROLLOUT == 5
    assert changes(rows) == [
        (0, 4, 4, 4, 0),
        (100, 5, 3, 3, 0),
        (200, 5, 5, 3, 2),
        (201, 5, 3, 1, 2),
        (301, 5, 5, 1, 4),
        (302, 4, 4, 0, 4),
    ]
    assert data["rollout"] == {
        "startSeconds": 100,
        "endSeconds": 302,
        "minReadyFraction": 0.75,
        "unmetRequests": 2000.0,
        "lowestAt": 100,
        "fromVersion": 1,
        "toVersion": 2,
        "maxSurge": "25%",
        "maxUnavailable": "25%",
        "strategySource": "Deployment/model spec.strategy (missing fields: the API's 25%)",
    }
    reason = [line for line in capsys.readouterr().out.splitlines() if "ROLLOUT DROPS CAPACITY" in line]
    assert len(reason) == 1 and "75 % of demand at t=100 s" in reason[0] and "maxUnavailable 25%" in reason[0]


def test_surge_strategy_keeps_capacity(tmp_path: Path) -> None:
    """maxSurge 1, maxUnavailable 0: t=100 new 1 (5 pods, 4 old Ready); each time a new pod is Ready (t=200, 301,
    402, 503) one old pod goes in the next second and the next new pod starts. Ready never below 4: fraction 1.0."""
    status, rows, data = run(tmp_path, "rollout-surge")
    assert status == 0
    assert changes(rows) == [
        (0, 4, 4, 4, 0),
        (100, 5, 4, 4, 0),
        (200, 5, 5, 4, 1),
        (201, 5, 4, 3, 1),
        (301, 5, 5, 3, 2),
        (302, 5, 4, 2, 2),
        (402, 5, 5, 2, 3),
        (403, 5, 4, 1, 3),
        (503, 5, 5, 1, 4),
        (504, 4, 4, 0, 4),
    ]
    rollout = data["rollout"]
    assert isinstance(rollout, dict)
    assert (rollout["endSeconds"], rollout["minReadyFraction"], rollout["unmetRequests"]) == (504, 1.0, 0)
    assert all(float(r["unmet_qps"]) == 0 for r in rows)


def test_dev_stack_version_change_under_steady_load(tmp_path: Path) -> None:
    """The dev objects (ElasticWorkload, Seldon's predictor Deployment): the operator's strategy is maxUnavailable 0,
    maxSurge 25 %; at a steady 50 qps (5 pods: source 1, on-demand ECI 3, spot 1) every unit Deployment surges, so no
    request goes unmet and ready capacity never falls below demand."""
    out = tmp_path / "dev"
    status = main(
        ["--manifests", str(FIXTURES / "dev-fixed"), "--pattern", "step:50:50:0", "--rollout", "600", "--duration", "1500",
         "--no-plot", "--out", str(out)]
    )  # fmt: skip
    assert status == 0
    data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    rollout = data["rollout"]
    assert (rollout["maxSurge"], rollout["maxUnavailable"]) == ("25%", 0)
    assert rollout["unmetRequests"] == 0 and rollout["minReadyFraction"] >= 1.0
    # the unit with 3 pods rolls one at a time: 3 ECI start-ups (150 s + 20 s model load) and a second each
    assert rollout["endSeconds"] == 600 + 3 * 171


def test_seldon_strategy_cited() -> None:
    model = find_models(load_manifest_dir(FIXTURES / "staging-fixed"))[0]
    assert model.strategy == SELDON_STRATEGY
    assert "createDeploymentWithoutEngine" in SELDON_STRATEGY.source and SELDON_STRATEGY.max_unavailable == 0


@pytest.mark.parametrize(
    ("strategy", "words"),
    [
        ("{type: RollingUpdate, rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}", "may not both be 0"),
        ("{type: RollingUpdate, rollingUpdate: {maxSurge: '1.5%'}}", "maxSurge: '1.5%' is not a whole number"),
        ("{type: RollingUpdate, rollingUpdate: {maxUnavailable: -1}}", "maxUnavailable: -1"),
    ],
)
def test_bad_strategy_is_bad_input(tmp_path: Path, strategy: str, words: str) -> None:
    text = (FIXTURES / "rollout-default" / "deployment.yaml").read_text(encoding="utf-8")
    (tmp_path / "d.yaml").write_text(text.replace("  replicas: 4\n", f"  replicas: 4\n  strategy: {strategy}\n"))
    with pytest.raises(SimulateError, match=words):
        find_models(load_manifest_dir(tmp_path))


def test_recreate_strategy(tmp_path: Path) -> None:
    """``Recreate``: every old pod goes first (modelled as maxSurge 0, maxUnavailable 100 %): 0 Ready for the start-up."""
    text = (FIXTURES / "rollout-default" / "deployment.yaml").read_text(encoding="utf-8")
    (tmp_path / "d.yaml").write_text(text.replace("  replicas: 4\n", "  replicas: 4\n  strategy: {type: Recreate}\n"))
    out = tmp_path / "out"
    assert main(["--manifests", str(tmp_path), *RUN, "--out", str(out)]) == EXIT_ROLLOUT
    rollout = json.loads((out / "summary.json").read_text(encoding="utf-8"))["rollout"]
    assert (rollout["minReadyFraction"], rollout["unmetRequests"], rollout["endSeconds"]) == (0.0, 4000.0, 201)


@pytest.mark.parametrize("value", ["-1", "701"])
def test_rollout_outside_the_run_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str) -> None:
    """``--rollout`` 0 .. duration: the edges are accepted (see the other tests for 100), one past refused."""
    args = ["--manifests", str(FIXTURES / "rollout-surge"), "--pattern", "step:40:40:0", "--duration", "700"]
    assert main([*args, "--rollout", value, "--no-plot", "--out", str(tmp_path / "o")]) == 2
    assert "--rollout" in capsys.readouterr().err
    assert main([*args, "--rollout", "700", "--no-plot", "--out", str(tmp_path / "edge")]) == 0


def test_kserve_strategy() -> None:
    """KServe v0.20.0's predictor Deployment (prod): the InferenceService's ``spec.predictor.deploymentStrategy`` when
    set (prod's render sets maxUnavailable 0), else ``setDefaultDeploymentSpec``'s 25 % / 25 %."""
    from tools.render import pipeline as render

    objects = [dict(m.body) for m in render.render_stack("prod").manifests]
    isvc = next(o for o in objects if o["kind"] == "InferenceService")
    rendered = isvc["spec"]["predictor"]["deploymentStrategy"]["rollingUpdate"]
    model = find_models(objects)[0]
    assert model.strategy.max_unavailable == rendered["maxUnavailable"] == 0
    assert model.strategy.source.startswith("InferenceService/fashion-mnist spec.predictor.deploymentStrategy")
    del isvc["spec"]["predictor"]["deploymentStrategy"]
    model = find_models(objects)[0]
    assert (model.strategy.max_surge, model.strategy.max_unavailable, model.strategy.source) == (
        "25%",
        "25%",
        KSERVE_DEFAULT_ROLLOUT,
    )
    isvc["spec"]["predictor"]["deploymentStrategy"] = {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
    }
    assert (find_models(objects)[0].strategy.max_surge, find_models(objects)[0].strategy.max_unavailable) == (1, 0)


POLICY = """---
apiVersion: scheduling.alibabacloud.com/v1alpha1
kind: ResourcePolicy
metadata: {name: model-rp, namespace: inference}
spec:
  selector: {app: model}
  strategy: prefer
  units:
  - {resource: ecs, max: 4, podLabels: {eci-inference.io/unit: first}}
  - {resource: ecs, max: 4, podLabels: {eci-inference.io/unit: second}}
"""


@pytest.mark.parametrize(("keys", "first", "second"), [("", 4, 1), ("  matchLabelKeys: [pod-template-hash]\n", 5, 0)])
def test_resource_policy_counts_each_template_apart(tmp_path: Path, keys: str, first: int, second: int) -> None:
    """Two units of at most 4 pods, 4 old pods in the first. The surge pod at t=100 goes to the second unit when the
    ResourcePolicy counts every pod against ``max``, and to the first when ``matchLabelKeys: [pod-template-hash]`` counts
    the new ReplicaSet's pods apart (ACK's "Custom elastic resource priority scheduling" example)."""
    text = (FIXTURES / "rollout-surge" / "deployment.yaml").read_text(encoding="utf-8")
    (tmp_path / "m.yaml").write_text(text + POLICY + keys, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["--manifests", str(tmp_path), *RUN, "--out", str(out)]) == 0
    with (out / "timeline.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert (int(rows[99]["replicas:first"]), int(rows[99]["replicas:second"])) == (4, 0)
    assert (int(rows[100]["replicas:first"]), int(rows[100]["replicas:second"])) == (first, second)
