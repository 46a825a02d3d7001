"""The simulator's HPA against cases transcribed from upstream kube-controller-manager tests.

Sources (kubernetes/kubernetes, ``pkg/controller/podautoscaler``; read from the indexed main branch, the same cases as
release 1.34 as far as the index shows): ``horizontal_test.go`` ``TestScalingWithRules``,
``TestNormalizeDesiredReplicasWithBehavior``, ``TestNormalizeDesiredReplicas``, ``TestScaleUpPerPodCMExternal``,
``TestScaleDownPerPodCMExternal``; ``replica_calculator_test.go`` ``TestReplicaCalcScaleUpPerPodCMExternal``,
``TestReplicaCalcScaleDownPerPodCMExternal``, ``TestReplicaCalcTolerancePerPodCMExternal``,
``TestReplicaCalcConfigurableTolerancePerPodCMExternal``, ``TestExternalPerPodMetricReplicaOverflow``,
``TestExternalPerPodMetricUsageOverflow``. Each case keeps its upstream name. Timestamps are seconds before ``NOW``.
The last tests run whole simulations in the mode for exactness and check ``hpa_desired`` sync by sync.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tools.simulate.cli import main
from tools.simulate.hpa import (
    DEFAULT_DOWN,
    DEFAULT_UP,
    INT32_MAX,
    INT64_MAX,
    MAX,
    PERCENT,
    PODS,
    Behavior,
    HpaController,
    Policy,
    Recommendation,
    Rules,
    ScaleEvent,
    external_per_pod_replicas,
    generate_rules,
)

NOW = 10_000.0
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "simulate"


def scaling_rules(pods: int, pods_period: int, percent: int, percent_period: int, window: int) -> Rules:
    """``generateScalingRules``: a Pods policy if pods != 0, then a Percent policy if percent != 0, selectPolicy Max."""
    policies: list[Policy] = []
    if pods:
        policies.append(Policy(PODS, pods, pods_period))
    if percent:
        policies.append(Policy(PERCENT, percent, percent_period))
    return Rules(window=window, select=MAX, policies=tuple(policies))


def uniform_events(raw: list[int], period: int) -> list[ScaleEvent]:
    """``generateEventsUniformDistribution``: event i at ``now - int(period - seg * (i + 1) + seg / 2)`` seconds."""
    segment = period / len(raw)
    return [ScaleEvent(change, NOW - int(period - segment * (i + 1) + segment / 2)) for i, change in enumerate(raw)]


def up_rules(rules: Rules | None) -> Rules:
    """``GenerateHPAScaleUpRules``."""
    return generate_rules(rules, DEFAULT_UP, window=True, select=True, policies=bool(rules and rules.policies))


def down_rules(rules: Rules | None) -> Rules:
    """``GenerateHPAScaleDownRules``."""
    return generate_rules(rules, DEFAULT_DOWN, window=True, select=True, policies=bool(rules and rules.policies))


# name, up events, down events, min, max, up rules, down rules, current, prenormalized, expected, condition
SCALING_WITH_RULES = [
    ("prenormalized desired replicas within range", [], [], 3, 8, None, None, 5, 7, 7, "DesiredWithinRange"),
    ("prenormalized desired replicas < minReplicas", [], [], 2, 8, None, None, 3, 1, 2, "TooFewReplicas"),
    ("prenormalized desired replicas within range when minReplicas is 0", [], [], 0, 10, None, None, 1, 0, 0, "DesiredWithinRange"),
    ("maxReplicas is the limit because maxReplicas < scaleUpLimit", [], [], 1, 10, None, None, 20, 1000, 10, "TooManyReplicas"),
    ("desired replica count is more than the maximum replica count", [], [], 100, 150, None, None, 100, 1000, 150, "TooManyReplicas"),
    (
        "scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies",
        [], [], 1, 2000, scaling_rules(0, 0, 1, 60, 0), None, 3, 1000, 4, "ScaleUpLimit",
    ),
    ("scaleUp with default behavior", [], [], 1, 1000, None, None, 10, 50, 20, "ScaleUpLimit"),
    (
        "scaleUp with pods policy larger than percent policy",
        [], [], 1, 1000, scaling_rules(100, 60, 100, 60, 0), None, 10, 500, 110, "ScaleUpLimit",
    ),
    (
        "scaleUp with percent policy larger than pods policy",
        [], [], 1, 1000, scaling_rules(2, 60, 100, 60, 0), None, 10, 500, 20, "ScaleUpLimit",
    ),
    (
        "scaleUp with spec MaxReplicas limitation with large pod policy",
        [], [], 1, 1000, scaling_rules(100, 60, 0, 0, 0), None, 10, 50, 50, "DesiredWithinRange",
    ),
    (
        "scaleUp with spec MaxReplicas limitation with large percent policy",
        [], [], 1, 1000, scaling_rules(10000, 60, 0, 0, 0), None, 10, 50, 50, "DesiredWithinRange",
    ),
    ("scaleUp with pod policy limitation", [], [], 1, 1000, scaling_rules(30, 60, 0, 0, 0), None, 10, 50, 40, "ScaleUpLimit"),
    ("scaleUp with percent policy limitation", [], [], 1, 1000, scaling_rules(0, 0, 200, 60, 0), None, 10, 50, 30, "ScaleUpLimit"),
    (
        "scaleDown with percent policy larger than pod policy",
        [], [], 1, 1000, None, scaling_rules(20, 60, 1, 60, 300), 100, 2, 80, "ScaleDownLimit",
    ),
    (
        "scaleDown with pod policy larger than percent policy",
        [], [], 1, 1000, None, scaling_rules(2, 60, 1, 60, 300), 100, 2, 98, "ScaleDownLimit",
    ),
    (
        "scaleDown with spec MinReplicas limitation with large pod policy",
        [], [], 1, 1000, None, scaling_rules(100, 60, 0, 0, 300), 10, 0, 1, "TooFewReplicas",
    ),
    (
        "scaleDown with spec MinReplicas limitation with large percent policy",
        [], [], 5, 1000, None, scaling_rules(0, 0, 100, 60, 300), 10, 2, 5, "TooFewReplicas",
    ),
    ("scaleDown with pod policy limitation", [], [], 1, 1000, None, scaling_rules(5, 60, 0, 0, 300), 10, 2, 5, "ScaleDownLimit"),
    (
        "scaleDown with percent policy limitation",
        [], [], 1, 1000, None, scaling_rules(0, 0, 50, 60, 300), 10, 5, 5, "DesiredWithinRange",
    ),
    (
        "scaleUp with spec MaxReplicas limitation with large pod policy and events",
        uniform_events([1, 5, 9], 120), [], 1, 200, scaling_rules(300, 60, 0, 0, 0), None, 100, 500, 200, "TooManyReplicas",
    ),
    (
        "scaleUp with spec MaxReplicas limitation with large percent policy and events",
        uniform_events([1, 5, 9], 120), [], 1, 200, scaling_rules(0, 0, 10000, 60, 0), None, 100, 500, 200, "TooManyReplicas",
    ),
    (
        "scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events",
        uniform_events([1, 5, 9], 120), [], 1, 1000, scaling_rules(5, 120, 0, 0, 0), None, 100, 500, 100, "ScaleUpLimit",
    ),
    (
        "scaleUp with pod policy and previous scale up events",
        uniform_events([1, 5, 9], 120), [], 1, 1000, scaling_rules(150, 120, 0, 0, 0), None, 100, 500, 235, "ScaleUpLimit",
    ),
    (
        "scaleUp with percent policy and previous scale up events",
        uniform_events([1, 5, 9], 120), [], 1, 1000, scaling_rules(0, 0, 200, 120, 0), None, 100, 500, 255, "ScaleUpLimit",
    ),
    (
        "scaleUp with percent policy and previous scale up and down events",
        uniform_events([4], 120), uniform_events([2], 120), 1, 1000, scaling_rules(0, 0, 300, 300, 0), None, 6, 24, 16,
        "ScaleUpLimit",
    ),
    (
        "scaleDown with default policy and previous events",
        [], uniform_events([1, 5, 9], 120), 1, 1000, None, None, 10, 5, 5, "DesiredWithinRange",
    ),
    (
        "scaleDown with spec MinReplicas=nil limitation with large pod policy and previous events",
        [], uniform_events([1, 5, 9], 120), 1, 1000, None, scaling_rules(115, 120, 0, 0, 300), 100, 0, 1, "TooFewReplicas",
    ),
    (
        "scaleDown with spec MinReplicas limitation with large pod policy and previous events",
        [], uniform_events([1, 5, 9], 120), 5, 1000, None, scaling_rules(130, 120, 0, 0, 300), 100, 0, 5, "TooFewReplicas",
    ),
    (
        "scaleDown with spec MinReplicas limitation with large percent policy and previous events",
        [], uniform_events([1, 5, 9], 120), 5, 1000, None, scaling_rules(0, 0, 100, 120, 300), 100, 2, 5, "TooFewReplicas",
    ),
    (
        "scaleDown with pod policy limitation and previous events",
        [], uniform_events([1, 5, 9], 120), 1, 1000, None, scaling_rules(5, 120, 0, 0, 300), 100, 2, 100, "ScaleDownLimit",
    ),
    (
        "scaleDown with percent policy limitation and previous events",
        [], uniform_events([2, 4, 6], 120), 1, 1000, None, scaling_rules(0, 0, 50, 120, 300), 100, 0, 56, "ScaleDownLimit",
    ),
    (
        "scaleDown with percent policy and previous scale up and down events",
        uniform_events([2], 120), uniform_events([4], 120), 1, 1000, None, scaling_rules(0, 0, 50, 180, 0), 10, 1, 6,
        "ScaleDownLimit",
    ),
    (
        "scaleDown with previous events preventing further scale down",
        [], uniform_events([10, 10, 10], 120), 1, 1000, None, scaling_rules(0, 0, 10, 120, 300), 100, 0, 100, "ScaleDownLimit",
    ),
    (
        "scaleDown with with previous events still allowing more scale down",
        [], uniform_events([10, 10, 10], 120), 1, 1000, None, scaling_rules(0, 0, 1000, 120, 300), 10, 5, 5,
        "DesiredWithinRange",
    ),
    (
        "check 'outdated' flag for events for one behavior for up",
        uniform_events([8, 12, 9, 11], 120), [], 1, 1000, scaling_rules(1000, 60, 0, 0, 0), None, 100, 200, 200,
        "DesiredWithinRange",
    ),
    (
        "check that events were not marked 'outdated' for two different policies in the behavior for up",
        uniform_events([8, 12, 9, 11], 120), [], 1, 1000, scaling_rules(1000, 120, 100, 60, 0), None, 100, 200, 200,
        "DesiredWithinRange",
    ),
    (
        "check that events were marked 'outdated' for two different policies in the behavior for up",
        uniform_events([8, 12, 9, 11], 120), [], 1, 1000, scaling_rules(1000, 30, 100, 60, 0), None, 100, 200, 200,
        "DesiredWithinRange",
    ),
    (
        "check 'outdated' flag for events for one behavior for down",
        [], uniform_events([8, 12, 9, 11], 120), 1, 1000, None, scaling_rules(1000, 60, 0, 0, 300), 100, 5, 5,
        "DesiredWithinRange",
    ),
    (
        "check that events were not marked 'outdated' for two different policies in the behavior for down",
        [], uniform_events([8, 12, 9, 11], 120), 1, 1000, None, scaling_rules(1000, 120, 100, 60, 300), 100, 5, 5,
        "DesiredWithinRange",
    ),
    (
        "check that events were marked 'outdated' for two different policies in the behavior for down",
        [], uniform_events([8, 12, 9, 11], 120), 1, 1000, None, scaling_rules(1000, 30, 100, 60, 300), 100, 5, 5,
        "DesiredWithinRange",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "up_events", "down_events", "min_r", "max_r", "up", "down", "current", "desired", "expected", "condition"),
    SCALING_WITH_RULES,
    ids=[case[0] for case in SCALING_WITH_RULES],
)
def test_scaling_with_rules(
    name: str,
    up_events: list[ScaleEvent],
    down_events: list[ScaleEvent],
    min_r: int,
    max_r: int,
    up: Rules | None,
    down: Rules | None,
    current: int,
    desired: int,
    expected: int,
    condition: str,
) -> None:
    """horizontal_test.go TestScalingWithRules: convertDesiredReplicasWithBehaviorRate."""
    hpa = HpaController(Behavior(up_rules(up), down_rules(down)), target_milli=1000)
    hpa.up_events = list(up_events)
    hpa.down_events = list(down_events)
    replicas, reason = hpa.convert_with_behavior_rate(current, desired, min_r, max_r, NOW)
    assert (replicas, reason) == (expected, condition), name


def recs(*pairs: tuple[int, float]) -> list[Recommendation]:
    return [Recommendation(value, NOW - ago) for value, ago in pairs]


MINUTE = 60.0
# name, recommendations (value, seconds ago), current, prenormalized, expected, stored values (None: not checked), up, down
NORMALIZE_WITH_BEHAVIOR = [
    ("empty recommendations for scaling down", [], 100, 5, 5, [5], 0, 0),
    ("simple scale down stabilization", [(4, 2 * MINUTE), (5, 1 * MINUTE)], 100, 3, 5, [4, 5, 3], 0, 3 * 60),
    ("simple scale up stabilization", [(4, 2 * MINUTE), (5, 1 * MINUTE)], 1, 7, 4, [4, 5, 7], 5 * 60, 0),
    ("no scale down stabilization", [(1, 2 * MINUTE), (2, 1 * MINUTE)], 100, 3, 3, [1, 2, 3], 5 * 60, 0),
    ("no scale up stabilization", [(4, 2 * MINUTE), (5, 1 * MINUTE)], 1, 3, 3, [4, 5, 3], 0, 5 * 60),
    ("no scale down stabilization, reuse recommendation element", [(10, 10 * MINUTE), (9, 9 * MINUTE)], 100, 3, 3, [10, 3], 0, 0),
    ("no scale up stabilization, reuse recommendation element", [(10, 10 * MINUTE), (9, 9 * MINUTE)], 1, 100, 100, [10, 100], 0, 0),
    (
        "scale down stabilization, reuse one of obsolete recommendation element",
        [(10, 10 * MINUTE), (4, 1 * MINUTE), (5, 2 * MINUTE), (9, 9 * MINUTE)], 100, 3, 5, [10, 4, 5, 3], 0, 3 * 60,
    ),
    (
        "scale up stabilization, reuse one of obsolete recommendation element",
        [(10, 100 * MINUTE), (6, 1 * MINUTE), (5, 2 * MINUTE), (9, 3 * MINUTE)], 1, 100, 5, [100, 6, 5, 9], 300, 0,
    ),
    (
        "scale up and down stabilization, do not scale up when prenormalized rec goes down",
        [(2, 100 * MINUTE), (3, 3 * MINUTE)], 2, 1, 2, None, 300, 300,
    ),
    (
        "scale up and down stabilization, do not scale down when prenormalized rec goes up",
        [(2, 100 * MINUTE), (1, 3 * MINUTE)], 2, 3, 2, None, 300, 300,
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "history", "current", "desired", "expected", "stored", "up_window", "down_window"),
    NORMALIZE_WITH_BEHAVIOR,
    ids=[case[0] for case in NORMALIZE_WITH_BEHAVIOR],
)
def test_normalize_desired_replicas_with_behavior(
    name: str,
    history: list[tuple[int, float]],
    current: int,
    desired: int,
    expected: int,
    stored: list[int] | None,
    up_window: int,
    down_window: int,
) -> None:
    """horizontal_test.go TestNormalizeDesiredReplicasWithBehavior: stabilizeRecommendationWithBehaviors."""
    behavior = Behavior(Rules(up_window, MAX, ()), Rules(down_window, MAX, ()))
    hpa = HpaController(behavior, target_milli=1000, recommendations=recs(*history))
    stabilized = hpa.stabilize_with_behaviors(current, desired, NOW)
    assert stabilized == expected, name
    if stored is not None:
        assert hpa.recommendations is not None
        assert [r.value for r in hpa.recommendations] == stored, name


# name, recommendations (value, seconds ago), prenormalized, expected stabilized, expected log length
NORMALIZE_LEGACY = [
    ("empty log", [], 5, 5, 1),
    ("stabilize", [(4, 2 * MINUTE), (5, 1 * MINUTE)], 3, 5, 3),
    ("no stabilize", [(1, 2 * MINUTE), (2, 1 * MINUTE)], 3, 3, 3),
    ("no stabilize - old recommendations", [(10, 10 * MINUTE), (9, 9 * MINUTE)], 3, 3, 2),
    ("stabilize - old recommendations", [(10, 10 * MINUTE), (4, 1 * MINUTE), (5, 2 * MINUTE), (9, 9 * MINUTE)], 3, 5, 4),
]


@pytest.mark.parametrize(
    ("name", "history", "desired", "expected", "length"), NORMALIZE_LEGACY, ids=[c[0] for c in NORMALIZE_LEGACY]
)
def test_normalize_desired_replicas(
    name: str, history: list[tuple[int, float]], desired: int, expected: int, length: int
) -> None:
    """horizontal_test.go TestNormalizeDesiredReplicas: stabilizeRecommendation with a 5-minute window."""
    hpa = HpaController(None, target_milli=1000, downscale_window=300, recommendations=recs(*history))
    assert hpa.stabilize_recommendation(desired, NOW) == expected, name
    assert hpa.recommendations is not None and len(hpa.recommendations) == length, name


# name, current (status) replicas, metric levels (milli), per-pod target (milli), tolerances (down, up), replicas, usage
EXTERNAL_PER_POD = [
    ("TestReplicaCalcScaleUpPerPodCMExternal", 3, [8600], 2150, (0.1, 0.1), 4, 2867),
    ("TestReplicaCalcScaleDownPerPodCMExternal", 5, [8600], 2867, (0.1, 0.1), 3, 1720),
    ("TestReplicaCalcTolerancePerPodCMExternal", 3, [8600], 2900, (0.1, 0.1), 3, 2867),
    ("TestReplicaCalcConfigurableTolerancePerPodCMExternal", 3, [8600], 2800, (0.1, 0.01), 4, 2867),
    ("TestExternalPerPodMetricReplicaOverflow", 1, [INT64_MAX], 1, (0.1, 0.1), INT32_MAX, INT64_MAX),
    ("TestExternalPerPodMetricUsageOverflow", 1, [INT64_MAX], INT64_MAX, (0.1, 0.1), 1, INT64_MAX),
]


@pytest.mark.parametrize(
    ("name", "status", "levels", "target", "tolerances", "replicas", "usage"),
    EXTERNAL_PER_POD,
    ids=[c[0] for c in EXTERNAL_PER_POD],
)
def test_external_per_pod_replicas(
    name: str, status: int, levels: list[int], target: int, tolerances: tuple[float, float], replicas: int, usage: int
) -> None:
    """replica_calculator_test.go: GetExternalPerPodMetricReplicas."""
    got = external_per_pod_replicas(status, target, sum(levels), tolerances[0], tolerances[1])
    assert got == (replicas, usage), name


@pytest.mark.parametrize(
    ("name", "min_r", "max_r", "replicas", "target", "level", "recommendations", "expected"),
    [
        # recommendations unset: recordInitialRecommendation stores the current count first
        ("TestScaleUpPerPodCMExternal", 2, 6, 3, 2222, 8600, None, 4),
        # recommendations: []timestampedRecommendation{} (set, empty)
        ("TestScaleDownPerPodCMExternal", 2, 6, 5, 3000, 8600, [], 3),
    ],
)
def test_reconcile_external_per_pod(
    name: str,
    min_r: int,
    max_r: int,
    replicas: int,
    target: int,
    level: int,
    recommendations: list[Recommendation] | None,
    expected: int,
) -> None:
    """horizontal_test.go: a whole reconcileAutoscaler without behavior (legacy path) for an External AverageValue metric."""
    hpa = HpaController(None, target_milli=target, recommendations=recommendations)
    result = hpa.sync(replicas, replicas, level, min_r, max_r, NOW)
    assert result.desired == expected, name
    assert result.rescale is (expected != replicas)


def test_bounds_before_metrics() -> None:
    """reconcileAutoscaler: current above max -> max; below min -> min; zero with min > 0 -> scaling disabled."""
    hpa = HpaController(None, target_milli=1000)
    assert hpa.sync(12, 12, 0, 1, 10, NOW).desired == 10
    assert hpa.sync(0, 0, 50_000, 1, 10, NOW).desired == 0
    low = hpa.sync(1, 1, 0, 3, 10, NOW)
    assert (low.desired, low.proposal) == (3, None)


def test_legacy_scale_up_limit() -> None:
    """calculateScaleUpLimit: without behavior a sync adds at most max(2 * current, 4)."""
    hpa = HpaController(None, target_milli=1000)
    assert hpa.sync(1, 1, 100_000, 1, 100, NOW).desired == 4
    assert hpa.sync(4, 4, 100_000, 1, 100, NOW + 15).desired == 8
    assert hpa.sync(8, 8, 100_000, 1, 100, NOW + 30).desired == 16


def _timeline(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_exact_mode_behavior_sync_by_sync(tmp_path: Path) -> None:
    """Mode for exactness on the dev HPA (behavior: up 100 % or 4 pods per 15 s, Max; down 10 % per 60 s after 300 s;
    target 10 qps; min 1, max 10) with a 10 -> 100 -> 10 qps trace:

    - t=15..45: demand 10 -> proposal 1 -> 1 (the first sync records the initial recommendation 1);
    - t=60: demand 100 -> proposal 10; up limit max(ceil(1 * 2), 1 + 4) = 5 -> 5;
    - t=75: current 5; the +4 event at t=60 is not after 75 - 15 -> start 5 -> max(10, 9) -> 10;
    - t=120 (demand 10 again): proposal 1, but the down window (300 s) holds the maximum 10 -> 10 until t=390;
    - t=405: the last 10 (t=105) is not after 405 - 300 -> 1; down limit int(10 * 0.9) = 9 -> 9;
    - t=420..450: the -1 event at 405 is after t - 60: start 9 + 1 = 10 -> int(10 * 0.9) = 9 -> stays 9;
    - t=465: the event at 405 is not after 465 - 60: start 9 -> int(9 * 0.9) = 8.
    """
    trace = tmp_path / "trace.csv"
    trace.write_text("t,qps\n0,10\n60,100\n120,10\n", encoding="utf-8")
    out = tmp_path / "out"
    status = main(
        ["--manifests", str(FIXTURES / "dev-fixed"), "--trace", str(trace), "--duration", "500", "--out", str(out), "--no-plot",
         "--metric-delay", "0", "--metric-window", "0", "--startup", "0"]
    )  # fmt: skip
    assert status == 0
    rows = _timeline(out / "timeline.csv")
    desired = {int(r["t"]): int(r["hpa_desired"]) for r in rows if r["hpa_desired"] and int(r["t"]) % 15 == 0}
    assert rows[0]["hpa_desired"] == "" and rows[14]["hpa_desired"] == ""  # the first sync is at t = 15
    assert rows[0]["replicas"] == "1"  # minReplicas
    assert [desired[t] for t in (15, 30, 45, 60, 75, 90, 105)] == [1, 1, 1, 5, 10, 10, 10]
    assert all(desired[t] == 10 for t in range(120, 391, 15))
    assert [desired[t] for t in (405, 420, 435, 450, 465, 480, 495)] == [9, 9, 9, 9, 8, 8, 8]
    # the target follows each decision at once and pods are Ready at once
    for r in rows:
        if r["hpa_desired"]:
            assert r["replicas"] == r["ready"] == r["hpa_desired"]


def test_exact_mode_staging_spike_hand_computed(tmp_path: Path) -> None:
    """Mode for exactness on the staging HPA (target 10 qps, min 2, max 16; up: 100 % or 4 pods per 15 s, Max,
    window 0; down: 10 % per 60 s, Min, window 600 s) over 5 -> 120 qps at t = 100 -> 5 qps at t = 300, computed by
    hand sync by sync:

    - t=15..90: 5 qps on 2 pods -> proposal ceil(0.5) = 1, held by the initial recommendation and minReplicas: 2;
    - t=105: 120 qps -> proposal 12; up limit max(ceil(2 * 2), 2 + 4) = 6 -> 6 (event +4 at 105);
    - t=120: 105 > 120 - 15 fails, start 6 -> max(12, 10) = 12 -> 12; t=135..285: ratio 1.0 -> 12;
    - t=300..870: proposal 1, but the stack's 600 s window holds the last 12 (t=285) while 285 > t - 600;
    - t=885: the window gives 1; down limit int(12 * 0.9) = 10 -> 10 (event -2 at 885); t=900..930: the event counts,
      start 10 + 2 = 12 -> 10, no change;
    - t=945 (885 > 885 fails): int(10 * 0.9) = 9; then one pod per 60 s: t=1005 int(8.1) = 8, t=1065 int(7.2) = 7,
      t=1125 int(6.3) = 6, t=1185 int(5.4) = 5.

    With the default 300 s window instead of the stack's, 12 would fall at t=585."""
    out = tmp_path / "out"
    status = main(
        ["--manifests", str(FIXTURES / "staging-fixed"), "--pattern", "spike:5:120:100:200", "--duration", "1200",
         "--out", str(out), "--no-plot", "--metric-delay", "0", "--metric-window", "0", "--startup", "0",
         "--start", "2024-01-06T12:00:00+08:00"]
    )  # fmt: skip
    assert status == 0
    rows = _timeline(out / "timeline.csv")
    expected: dict[int, int] = {}
    for first, last, value in (
        (15, 90, 2), (105, 105, 6), (120, 870, 12), (885, 930, 10), (945, 990, 9), (1005, 1050, 8), (1065, 1110, 7),
        (1125, 1170, 6), (1185, 1200, 5),
    ):  # fmt: skip
        expected.update(dict.fromkeys(range(first, last + 1, 15), value))
    assert len(expected) == 80
    assert {t: int(rows[t]["hpa_desired"]) for t in range(15, 1201, 15)} == expected
    assert rows[14]["hpa_desired"] == "" and rows[0]["replicas"] == "2"
