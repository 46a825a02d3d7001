"""Independent oracles for the simulator's HPA (tools/simulate/hpa.py): hand-computed cases and tables transcribed
from upstream tests. No case compares the controller with itself.

Sources: kubernetes/kubernetes ``pkg/controller/podautoscaler/horizontal.go`` and ``replica_calculator.go`` (the
stacks target 1.34; the repository snapshot is too large to fetch at a tag, so the functions were read from the
indexed main branch, see the README's "not verified" list); apimachinery v0.34.0 ``pkg/api/resource/quantity_test.go``
``TestQuantityParse`` (the quantity table below, with its invalid inputs).

Per-direction tolerances (``behavior.scaleUp/scaleDown.tolerance``, KEP-4951) are read by the controller with
``Quantity.AsApproximateFloat64()``. The feature gate ``HPAConfigurableTolerance`` is alpha (off by default) in 1.33
and 1.34 and beta (on) from 1.35 (``pkg/features/kube_features.go``); the simulator models a cluster where the field
reaches the controller. The stacks never set it.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from tools.simulate import SimulateError
from tools.simulate.hpa import (
    DEFAULT_DOWN,
    DEFAULT_UP,
    DISABLED,
    INT64_MAX,
    MAX,
    MIN,
    PERCENT,
    PODS,
    Behavior,
    HpaController,
    Policy,
    Rules,
    approximate_float,
    convert_desired_replicas_with_rules,
    external_per_pod_replicas,
    generate_rules,
    go_pow10,
    milli_value,
    parse_quantity,
    quantity_value,
)
from tools.simulate.objects import find_models, load_manifest_dir

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "simulate"
BIG = 10**9  # a usage far above any target: the proposal is always above the limits
NOW = 10_000.0


# ------------------------------------------------------------------------------------------ tolerance band


@pytest.mark.parametrize(
    ("usage", "down", "up", "expected"),
    [
        # 10 pods, target 10 (10000 milli): ratio = usage / 100000; inside [1 - down, 1 + up] the count stays 10
        (110_000, 0.1, 0.1, 10),  # ratio 1.1: the upper edge is inside
        (110_001, 0.1, 0.1, 12),  # one milli past it: ceil(11.0001) = 12
        (90_000, 0.1, 0.1, 10),  # ratio 0.9: the lower edge is inside
        (89_999, 0.1, 0.1, 9),  # one milli below: ceil(8.9999) = 9
        (100_001, 0.1, 0.1, 10),
        (105_000, 0.2, 0.05, 10),  # per-direction: up 0.05, edge inside
        (105_001, 0.2, 0.05, 11),  # ceil(10.5001) = 11
        (80_000, 0.2, 0.05, 10),  # down 0.2, edge inside
        (79_999, 0.2, 0.05, 8),  # ceil(7.9999) = 8
        (95_000, 0.0, 0.1, 10),  # a zero down tolerance: any drop scales... ceil(9.5) = 10, unchanged by the ceiling
        (94_000, 0.0, 0.1, 10),  # ceil(9.4) = 10: outside the band, the proposal is still 10
        (89_000, 0.0, 0.5, 9),  # ceil(8.9) = 9
        (140_000, 0.1, 0.5, 10),  # up 0.5: ratio 1.4 stays inside
        (150_001, 0.1, 0.5, 16),  # ceil(15.0001) = 16
    ],
)
def test_tolerance_band_edges(usage: int, down: float, up: float, expected: int) -> None:
    """``GetExternalPerPodMetricReplicas``: ``1 - down <= usage / (target * status replicas) <= 1 + up`` keeps the
    status count; outside, ``ceil(usage / target)``. Hand-computed."""
    replicas, per_pod = external_per_pod_replicas(10, 10_000, usage, down, up)
    assert replicas == expected
    assert per_pod == -(-usage // 10)  # ceil(usage / 10 pods)


def test_tolerance_band_through_a_sync() -> None:
    """A whole sync keeps 10 pods at 10.8 qps per pod (ratio 1.08 < 1.1), and moves at 11.2 (ceil(11.2) = 12)."""
    hpa = HpaController(None, target_milli=10_000)
    assert hpa.sync(10, 10, 108_000, 1, 20, 100.0).desired == 10
    moved = HpaController(None, target_milli=10_000).sync(10, 10, 112_000, 1, 20, 100.0)
    assert (moved.proposal, moved.desired, moved.rescale) == (12, 12, True)


def test_per_direction_tolerances_replace_the_flag() -> None:
    """``tolerancesForHpa``: each direction's ``tolerance`` replaces the flag's 0.1 for that direction only."""
    up_only = Behavior(Rules(0, MAX, DEFAULT_UP.policies, tolerance=0.5), DEFAULT_DOWN)
    hpa = HpaController(up_only, target_milli=10_000, tolerance=0.1)
    assert hpa.tolerances() == (0.1, 0.5)
    assert hpa.sync(10, 10, 140_000, 1, 20, 100.0).desired == 10  # ratio 1.4 inside the up tolerance 0.5
    down_only = Behavior(DEFAULT_UP, Rules(0, MAX, DEFAULT_DOWN.policies, tolerance=0.25))
    hpa = HpaController(down_only, target_milli=10_000, tolerance=0.1)
    assert hpa.tolerances() == (0.25, 0.1)
    assert hpa.sync(10, 10, 76_000, 1, 20, 100.0).desired == 10  # ratio 0.76 inside 1 - 0.25
    assert HpaController(down_only, target_milli=10_000).sync(10, 10, 74_000, 1, 20, 100.0).desired == 8  # ceil(7.4)
    assert HpaController(None, target_milli=10_000, tolerance=0.3).tolerances() == (0.3, 0.3)


def test_tolerance_read_from_the_manifest(tmp_path: Path) -> None:
    """``behavior.scaleUp.tolerance: 50m`` reaches the controller as 0.05 (``AsApproximateFloat64``), not rounded to
    milli-units: ``1e-4`` stays 0.0001. A negative tolerance is refused (the API's validation refuses it)."""
    source = (FIXTURES / "staging-fixed" / "008-horizontalpodautoscaler-fashion-mnist-hpa.yaml").read_text(encoding="utf-8")
    for name in ("004-seldondeployment-fashion-mnist.yaml", "007-resourcepolicy-fashion-mnist-rp.yaml"):
        (tmp_path / name).write_text((FIXTURES / "staging-fixed" / name).read_text(encoding="utf-8"), encoding="utf-8")
    hpa = tmp_path / "008-hpa.yaml"
    hpa.write_text(
        source.replace(
            "      stabilizationWindowSeconds: 0\n", "      stabilizationWindowSeconds: 0\n      tolerance: 50m\n"
        ).replace("      stabilizationWindowSeconds: 600\n", "      stabilizationWindowSeconds: 600\n      tolerance: '1e-4'\n"),
        encoding="utf-8",
    )
    behavior = find_models(load_manifest_dir(tmp_path))[0].hpa.behavior
    assert behavior is not None
    assert (behavior.up.tolerance, behavior.down.tolerance) == (0.05, 0.0001)
    hpa.write_text(
        source.replace("      stabilizationWindowSeconds: 0\n", "      stabilizationWindowSeconds: 0\n      tolerance: '-1'\n")
    )
    with pytest.raises(SimulateError, match=r"scaleUp\.tolerance: '-1' is negative"):
        find_models(load_manifest_dir(tmp_path))


# ------------------------------------------------------------------------------------------ the stack's windows


def staging_behavior() -> Behavior:
    behavior = find_models(load_manifest_dir(FIXTURES / "staging-fixed"))[0].hpa.behavior
    assert behavior is not None
    return behavior


def test_stack_scale_down_window_not_the_default() -> None:
    """The staging HPA's own scale-down window (600 s) holds the highest recommendation, although the controller's
    flag (``downscale_window``) is 300 s. Hand-computed: proposals 12 at t = 0..60, then 1 (ratio 0.04) from t = 75;
    12 pods stay while the last 12 (t = 60) is in the window: at t = 645, 60 > 645 - 600 holds it; at t = 660,
    60 > 60 fails, the maximum is 1 and the scale-down policy (10 % per 60 s, Min) allows int(12 * 0.9) = 10."""
    behavior = staging_behavior()
    assert (behavior.down.window, behavior.down.select, behavior.down.policies) == (600, MIN, (Policy(PERCENT, 10, 60),))
    hpa = HpaController(behavior, target_milli=10_000, downscale_window=300)
    for t in range(0, 61, 15):
        assert hpa.sync(12, 12, 120_000, 2, 16, float(t)).desired == 12
    held = [hpa.sync(12, 12, 5_000, 2, 16, float(t)).desired for t in range(75, 646, 15)]
    assert held == [12] * len(held)
    last = hpa.sync(12, 12, 5_000, 2, 16, 660.0)
    assert (last.desired, last.reason) == (10, "ScaleDownLimit")


def test_default_scale_down_window_when_the_stack_sets_none() -> None:
    """A scaleDown without ``stabilizationWindowSeconds`` takes the flag's window (``maybeInitScaleDownStabilizationWindow``):
    with 120 s, 12 held until the 12 at t = 0 leaves it: 0 > 120 - 120 fails at t = 120."""
    behavior = Behavior(Rules(0, MAX, DEFAULT_UP.policies), Rules(None, MAX, (Policy(PERCENT, 100, 15),)))
    hpa = HpaController(behavior, target_milli=10_000, downscale_window=120)
    assert hpa.sync(12, 12, 120_000, 1, 16, 0.0).desired == 12
    assert [hpa.sync(12, 12, 5_000, 1, 16, float(t)).desired for t in (15, 60, 105)] == [12, 12, 12]
    assert hpa.sync(12, 12, 5_000, 1, 16, 120.0).desired == 1  # 100 % per 15 s allows all the way to 1


def test_stack_scale_up_window() -> None:
    """A scale-up window of 60 s: the count rises only to the lowest recommendation of the last 60 s. Hand-computed:
    proposals 2 (t = 0), 12 (t = 15, 30, 45, 60): at t = 15..45 the 2 at t = 0 is in the window (0 > t - 60);
    at t = 60 it is not, the lowest is 12; the up policy (Pods 4 per 15 s) allows 2 + 4 = 6."""
    behavior = Behavior(Rules(60, MAX, (Policy(PODS, 4, 15),)), Rules(300, MAX, DEFAULT_DOWN.policies))
    hpa = HpaController(behavior, target_milli=10_000)
    assert hpa.sync(2, 2, 20_000, 1, 16, 0.0).desired == 2
    assert [hpa.sync(2, 2, 120_000, 1, 16, float(t)).desired for t in (15, 30, 45)] == [2, 2, 2]
    result = hpa.sync(2, 2, 120_000, 1, 16, 60.0)
    assert (result.desired, result.reason) == (6, "ScaleUpLimit")


# ------------------------------------------------------------------------------------------ selectPolicy


@pytest.mark.parametrize(
    ("select", "current", "desired", "expected", "reason"),
    [
        # up: Pods 4 per 60 s -> 10 + 4 = 14; Percent 100 per 60 s -> ceil(10 * 2) = 20
        (MAX, 10, 50, 20, "ScaleUpLimit"),
        (MIN, 10, 50, 14, "ScaleUpLimit"),
        (MIN, 10, 13, 13, "DesiredWithinRange"),
        (DISABLED, 10, 50, 10, "ScaleUpLimit"),
    ],
)
def test_select_policy_scale_up(select: str, current: int, desired: int, expected: int, reason: str) -> None:
    """``calculateScaleUpLimitWithScalingRules``: Max takes the largest limit, Min the smallest, Disabled keeps the
    current count. Hand-computed."""
    up = Rules(0, select, (Policy(PODS, 4, 60), Policy(PERCENT, 100, 60)))
    hpa = HpaController(Behavior(up, DEFAULT_DOWN), target_milli=1000)
    assert hpa.convert_with_behavior_rate(current, desired, 1, 100, 1000.0) == (expected, reason)


@pytest.mark.parametrize(
    ("select", "current", "desired", "expected", "reason"),
    [
        # down: Pods 4 per 60 s -> 10 - 4 = 6; Percent 50 per 60 s -> int(10 * 0.5) = 5
        (MAX, 10, 1, 5, "ScaleDownLimit"),  # Max: the largest change, the lowest count
        (MIN, 10, 1, 6, "ScaleDownLimit"),  # Min: the smallest change
        (MIN, 10, 7, 7, "DesiredWithinRange"),
        (DISABLED, 10, 1, 10, "ScaleDownLimit"),
        (MIN, 10, 1, 8, "TooFewReplicas"),  # with minReplicas 8 above both limits
    ],
)
def test_select_policy_scale_down(select: str, current: int, desired: int, expected: int, reason: str) -> None:
    """``calculateScaleDownLimitWithBehaviors``. Hand-computed (the last case has minReplicas 8)."""
    down = Rules(0, select, (Policy(PODS, 4, 60), Policy(PERCENT, 50, 60)))
    hpa = HpaController(Behavior(DEFAULT_UP, down), target_milli=1000)
    minimum = 8 if expected == 8 else 1
    assert hpa.convert_with_behavior_rate(current, desired, minimum, 100, 1000.0) == (expected, reason)


def test_disabled_scale_down_through_syncs() -> None:
    """``selectPolicy: Disabled`` on scale-down: the count never falls, whatever the load; scale-up still works."""
    behavior = Behavior(Rules(0, MAX, (Policy(PODS, 4, 15),)), Rules(0, DISABLED, (Policy(PERCENT, 100, 15),)))
    hpa = HpaController(behavior, target_milli=10_000)
    assert [hpa.sync(6, 6, 1_000, 1, 16, float(t)).desired for t in (15, 30, 45)] == [6, 6, 6]
    assert hpa.sync(6, 6, 120_000, 1, 16, 60.0).desired == 10


# ------------------------------------------------------------------------------------------ stored scale events


def test_scale_up_events_longer_than_the_sync() -> None:
    """Pods 4 per 60 s with a 15 s sync: each +4 counts against the limit while ``ts > now - 60``. Hand-computed
    from 1 pod under a huge load: t=15 -> 5 (event +4 at 15); t=30..75: start 5 - 4 = 1 -> limit 5, no change
    (at t=75, 15 > 15 fails: start 5 -> 9, event at 75); t=90..135: 9; t=135: 75 > 75 fails -> 13; t=195 -> 16
    (maxReplicas). Outdated events (before ``now - 60``) are reused: the list never holds more than 2."""
    behavior = Behavior(Rules(0, MAX, (Policy(PODS, 4, 60),)), Rules(300, MAX, DEFAULT_DOWN.policies))
    hpa = HpaController(behavior, target_milli=1000)
    current = 1
    seen: dict[int, int] = {}
    for t in range(15, 211, 15):
        result = hpa.sync(current, current, BIG, 1, 16, float(t))
        current = result.desired
        seen[t] = current
        assert len(hpa.up_events) <= 2
    assert seen == {15: 5, 30: 5, 45: 5, 60: 5, 75: 9, 90: 9, 105: 9, 120: 9, 135: 13, 150: 13, 165: 13, 180: 13,
                    195: 16, 210: 16}  # fmt: skip
    assert sorted((e.ts, e.change) for e in hpa.up_events) == [(135.0, 4), (195.0, 3)]


def test_scale_down_events_longer_than_the_sync() -> None:
    """Percent 50 per 120 s, window 0: 16 -> int(16 * 0.5) = 8 at t=15; until t=135 the -8 counts (start 8 + 8 = 16,
    limit 8 = current); at t=135 (15 > 15 fails) start 8 -> 4; at t=255 -> 2, then 1 (minReplicas)."""
    behavior = Behavior(DEFAULT_UP, Rules(0, MAX, (Policy(PERCENT, 50, 120),)))
    hpa = HpaController(behavior, target_milli=1000)
    current = 16
    seen = {}
    for t in range(15, 391, 15):
        current = hpa.sync(current, current, 100, 1, 16, float(t)).desired
        seen[t] = current
    assert [seen[t] for t in (15, 120, 135, 240, 255, 360, 375)] == [8, 8, 4, 4, 2, 2, 1]


def test_up_and_down_events_both_count() -> None:
    """``getReplicasChangePerPeriod`` counts both lists in both directions (up Pods 4 per 60 s, down Pods 2 per 60 s,
    windows 0). Hand-computed: t=15, 2 pods under a huge load -> 2 + 4 = 6 (event +4); t=30, load for 1 pod: the
    down limit starts from 6 - 4 + 0 = 2 -> 2 - 2 = 0, below minReplicas 1 -> 1 (event -5); t=45, huge load: the up
    limit starts from 1 - 4 + 5 = 2 -> 6."""
    behavior = Behavior(Rules(0, MAX, (Policy(PODS, 4, 60),)), Rules(0, MAX, (Policy(PODS, 2, 60),)))
    hpa = HpaController(behavior, target_milli=1000)
    assert hpa.sync(2, 2, BIG, 1, 16, 15.0).desired == 6
    assert hpa.sync(6, 6, 1_000, 1, 16, 30.0).desired == 1
    assert hpa.sync(1, 1, BIG, 1, 16, 45.0).desired == 6


# ------------------------------------------------------------------------------------------ initial recommendation


def test_initial_recommendation_holds_the_current_count() -> None:
    """``recordInitialRecommendation``: the first sync stores the current count (10) at its time (t=15), so a
    300 s scale-down window holds 10 until 15 > t - 300 fails at t = 315, although every proposal is 1."""
    behavior = Behavior(DEFAULT_UP, Rules(300, MAX, (Policy(PERCENT, 100, 15),)))
    hpa = HpaController(behavior, target_milli=10_000)
    held = [hpa.sync(10, 10, 5_000, 1, 10, float(t)).desired for t in range(15, 301, 15)]
    assert held == [10] * len(held)
    assert hpa.sync(10, 10, 5_000, 1, 10, 315.0).desired == 1


def test_initial_recommendation_on_the_legacy_path() -> None:
    """Without behavior the same, with the legacy edge: ``stabilizeRecommendation`` drops a recommendation only when
    it is *before* ``now - window``, so the 8 stored at t = 15 still counts at t = 315 (15 < 15 fails) and is
    gone at t = 330."""
    hpa = HpaController(None, target_milli=10_000, downscale_window=300)
    assert hpa.sync(8, 8, 5_000, 1, 10, 15.0).desired == 8
    assert hpa.sync(8, 8, 5_000, 1, 10, 315.0).desired == 8
    assert hpa.sync(8, 8, 5_000, 1, 10, 330.0).desired == 1


def test_initial_recommendation_set_only_once() -> None:
    """Recommendations already present (even an empty list) are not replaced by the current count."""
    hpa = HpaController(None, target_milli=10_000, downscale_window=300, recommendations=[])
    assert hpa.sync(8, 8, 5_000, 1, 10, 15.0).desired == 1


# ------------------------------------------------------------------------------------------ quantities

Q = Fraction
# apimachinery v0.34.0 quantity_test.go TestQuantityParse: input -> decQuantity(i, exponent) = i * 10^exponent
QUANTITY_TABLE: list[tuple[str, Fraction]] = [
    ("0", Q(0)), ("0n", Q(0)), ("0u", Q(0)), ("0m", Q(0)), ("0Ki", Q(0)), ("0k", Q(0)), ("0Mi", Q(0)), ("0M", Q(0)),
    ("0Gi", Q(0)), ("0G", Q(0)), ("0Ti", Q(0)), ("0T", Q(0)),
    ("1", Q(1)),
    ("1Ki", Q(1024)), ("8Ki", Q(8 * 1024)), ("7Mi", Q(7 * 1024**2)), ("6Gi", Q(6 * 1024**3)), ("5Ti", Q(5 * 1024**4)),
    ("4Pi", Q(4 * 1024**5)), ("3Ei", Q(3 * 1024**6)), ("10Ti", Q(10 * 1024**4)), ("100Ti", Q(100 * 1024**4)),
    ("5n", Q(5, 10**9)), ("4u", Q(4, 10**6)), ("3m", Q(3, 1000)), ("9", Q(9)), ("8k", Q(8000)), ("50k", Q(50_000)),
    ("7M", Q(7 * 10**6)), ("6G", Q(6 * 10**9)), ("5T", Q(5 * 10**12)), ("40T", Q(4 * 10**13)), ("300T", Q(3 * 10**14)),
    ("2P", Q(2 * 10**15)), ("1E", Q(10**18)),
    ("1E-3", Q(1, 1000)), ("1e3", Q(1000)), ("1E6", Q(10**6)), ("1e9", Q(10**9)), ("1E12", Q(10**12)),
    ("1e15", Q(10**15)), ("1E18", Q(10**18)),
    ("1e14", Q(10**14)), ("1e13", Q(10**13)), ("100.035k", Q(100035)),
    ("0.001", Q(1, 1000)), ("0.0005k", Q(5, 10)), ("0.005", Q(5, 1000)), ("0.05", Q(5, 100)), ("0.5", Q(5, 10)),
    ("0.00050k", Q(5, 10)), ("0.00500", Q(5, 1000)), ("0.05000", Q(5, 100)), ("0.50000", Q(5, 10)),
    ("0.5e0", Q(5, 10)), ("0.5e-1", Q(5, 100)), ("0.5e-2", Q(5, 1000)), ("10.035M", Q(10035 * 10**3)),
    ("1.2e3", Q(1200)), ("1.3E+6", Q(13 * 10**5)), ("1.40e9", Q(14 * 10**8)), ("1.53E12", Q(153 * 10**10)),
    ("1.6e15", Q(16 * 10**14)), ("1.7E18", Q(17 * 10**17)),
    ("9.01", Q(901, 100)), ("8.1k", Q(8100)), ("7.123456M", Q(7123456)), ("6.987654321G", Q(6987654321)),
    ("5.444T", Q(5444 * 10**9)), ("40.1T", Q(401 * 10**11)), ("300.2T", Q(3002 * 10**11)), ("2.5P", Q(25 * 10**14)),
    ("1.01E", Q(101 * 10**16)),
    ("3.001n", Q(4, 10**9)), ("1.1E-9", Q(2, 10**9)), ("0.0000000001", Q(1, 10**9)), ("0.0000000005", Q(1, 10**9)),
    ("0.00000000050", Q(1, 10**9)), ("0.5e-9", Q(1, 10**9)), ("0.9n", Q(1, 10**9)), ("0.00000012345", Q(124, 10**9)),
    ("0.00000012354", Q(124, 10**9)),
    ("9Ei", Q(INT64_MAX)), ("9223372036854775807Ki", Q(INT64_MAX)),
    ("12E", Q(12 * 10**18)),
    ("100.035Ki", Q(10243584, 100)), ("0.5Mi", Q(1024**2 // 2)), ("0.05Gi", Q(536870912, 10)),
    ("0.025Ti", Q(274877906944, 10)),
    ("0.000000000001Ki", Q(2, 10**9)), (".001", Q(1, 1000)), (".0001k", Q(1, 10)), ("1.", Q(1)), ("1.G", Q(10**9)),
]  # fmt: skip
QUANTITY_INVALID = ["1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i", "-3.01e-", " 1", "1 ", ""]


@pytest.mark.parametrize(("text", "value"), QUANTITY_TABLE, ids=[c[0] for c in QUANTITY_TABLE])
def test_parse_quantity_upstream_table(text: str, value: Fraction) -> None:
    """TestQuantityParse: each input, its negative and its ``+`` form."""
    assert parse_quantity(text) == value
    assert parse_quantity("-" + text) == -value
    assert parse_quantity("+" + text) == value


@pytest.mark.parametrize("text", QUANTITY_INVALID)
def test_parse_quantity_upstream_invalid(text: str) -> None:
    """TestQuantityParse's invalid inputs (trailing and leading spaces too: ``ParseQuantity`` forbids them)."""
    with pytest.raises(ValueError):
        parse_quantity(text)


@pytest.mark.parametrize(
    ("quantity", "milli"),
    [
        ("10", 10_000),
        ("500m", 500),
        ("0.1m", 1),  # rounded up to the next milli-unit
        ("1001u", 2),
        ("1n", 1),
        ("1.5k", 1_500_000),
        ("1Ki", 1_024_000),
        ("1.5Mi", 1_572_864_000),
        ("2e-3", 2),
        ("1e3", 1_000_000),
        ("1E", 10**21),  # still an int64 in milli-units? no: 10^21 > 2^63 - 1, see the refusal test
        (10, 10_000),  # a JSON number: its literal text
        (0.5, 500),
        (" 7 ", 7_000),  # UnmarshalJSON trims spaces
        ("-1.5m", -2),  # away from zero
        ("9223372036854775.807", INT64_MAX),  # the largest that fits
    ],
)
def test_milli_value(quantity: object, milli: int) -> None:
    """``MilliValue()``: ceil(q * 1000) of the parsed value, hand-computed."""
    if milli > INT64_MAX:
        with pytest.raises(ValueError, match="beyond int64"):
            milli_value(quantity)
    else:
        assert milli_value(quantity) == milli


@pytest.mark.parametrize("quantity", ["9223372036854775.808", "1E", "1Ei", "10Mx", "1K", "1ki", True, None, [1], "e"])
def test_milli_value_refused(quantity: object) -> None:
    """One milli-unit past int64, an exa-unit, and what ``ParseQuantity`` refuses: a ValueError naming the value."""
    with pytest.raises(ValueError, match="quantity"):
        milli_value(quantity)


def test_quantity_value_and_approximate_float() -> None:
    """``UnmarshalJSON`` then ``AsApproximateFloat64`` for tolerances: ``50m`` is 0.05, ``1e-4`` 0.0001, ``1n`` 1e-9."""
    assert quantity_value("  50m ") == Fraction(1, 20)
    assert (approximate_float("50m"), approximate_float("1e-4"), approximate_float("1n")) == (0.05, 0.0001, 1e-9)


def test_averagevalue_suffixes_reach_the_target(tmp_path: Path) -> None:
    """The HPA's ``averageValue`` read with suffixes: ``10`` -> 10000 milli; ``10500m`` -> 10500; ``0.01k`` -> 10000."""
    source_dir = FIXTURES / "staging-fixed"
    for path in source_dir.iterdir():
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    hpa = tmp_path / "008-horizontalpodautoscaler-fashion-mnist-hpa.yaml"
    text = hpa.read_text(encoding="utf-8")
    for written, milli in (("'10'", 10_000), ("10500m", 10_500), ("0.01k", 10_000), ("1Ki", 1_024_000)):
        hpa.write_text(text.replace("averageValue: '10'", f"averageValue: {written}"), encoding="utf-8")
        assert find_models(load_manifest_dir(tmp_path))[0].hpa.target_milli == milli, written


# ------------------------------------------------------------------------------------------ edges found by mutation


@pytest.mark.parametrize(
    ("status", "usage", "down", "up", "expected"),
    [
        (0, 5_000, 0.1, 0.1, (5, 0)),  # no pods: usage / 0 is +Inf in Go's float division, outside any finite band
        (0, 0, 0.1, 0.1, (0, 0)),  # 0 / 0 is NaN: never within, ceil(0 / target) = 0
        (3, 0, 1.0, 0.1, (3, 0)),  # ratio 0 is within a down tolerance of 1.0: the count stays
        (0, 5_000, 0.1, math.inf, (0, 0)),  # +Inf is within an infinite up tolerance: the status count (0) stays
    ],
)
def test_external_per_pod_zero_cases(status: int, usage: int, down: float, up: float, expected: tuple[int, int]) -> None:
    """``GetExternalPerPodMetricReplicas`` with no pods or no usage, hand-computed with IEEE float rules."""
    assert external_per_pod_replicas(status, 1000, usage, down, up) == expected


@pytest.mark.parametrize(
    ("current", "desired", "min_r", "max_r", "expected"),
    [
        (2, 10, 1, 4, (4, "TooManyReplicas")),  # scale-up limit max(2 * 2, 4) = 4 = maxReplicas: max wins the name
        (2, 10, 1, 5, (4, "ScaleUpLimit")),
        (2, 3, 1, 5, (3, "DesiredWithinRange")),
        (2, 0, 1, 5, (1, "TooFewReplicas")),
        (3, 6, 1, 10, (6, "DesiredWithinRange")),  # limit max(6, 4) = 6: the edge is allowed
        (3, 7, 1, 10, (6, "ScaleUpLimit")),
        (1, 5, 1, 10, (4, "ScaleUpLimit")),  # limit max(2, 4) = 4
    ],
)
def test_legacy_convert_with_rules(current: int, desired: int, min_r: int, max_r: int, expected: tuple[int, str]) -> None:
    """``convertDesiredReplicasWithRules``, hand-computed: the count and the condition's reason."""
    assert convert_desired_replicas_with_rules(current, desired, min_r, max_r) == expected


def test_bounds_reasons() -> None:
    """``reconcileAutoscaler``'s reasons when the current count is outside the bounds (no metric is read)."""
    above = HpaController(None, target_milli=1000).sync(12, 12, 0, 1, 10, NOW)
    assert (above.desired, above.reason, above.metric_milli) == (10, "Current number of replicas above Spec.MaxReplicas", None)
    below = HpaController(None, target_milli=1000).sync(1, 1, 0, 3, 10, NOW)
    assert (below.desired, below.reason) == (3, "Current number of replicas below Spec.MinReplicas")
    off = HpaController(None, target_milli=1000).sync(0, 0, 5_000, 1, 10, NOW)
    assert (off.desired, off.rescale, off.reason) == (0, False, "ScalingDisabled")


def test_forced_scale_down_with_no_policies_stores_the_event() -> None:
    """A scale-down forced by maxReplicas with ``Disabled`` and no policies: the event is stored with the longest
    period 0 (``getLongestPolicyPeriod`` of no policies)."""
    behavior = Behavior(DEFAULT_UP, Rules(0, DISABLED, ()))
    hpa = HpaController(behavior, target_milli=1000)
    result = hpa.sync(12, 12, 0, 1, 10, NOW)
    assert (result.desired, result.rescale) == (10, True)
    assert [(e.change, e.ts) for e in hpa.down_events] == [(2, NOW)]
    hpa.sync(11, 11, 0, 1, 10, NOW + 1)
    assert [(e.change, e.ts) for e in hpa.down_events] == [(1, NOW + 1)]  # the first is outdated at once and reused


def test_percent_scale_down_on_a_large_count() -> None:
    """Percent 50 per 60 s from 1000 pods: int(1000 * 0.5) = 500 exactly; Percent 100 per 60 s up: 2000."""
    down = Behavior(DEFAULT_UP, Rules(0, MAX, (Policy(PERCENT, 50, 60),)))
    assert HpaController(down, target_milli=1000).convert_with_behavior_rate(1000, 1, 1, 5000, NOW) == (500, "ScaleDownLimit")
    up = Behavior(Rules(0, MAX, (Policy(PERCENT, 100, 60),)), DEFAULT_DOWN)
    assert HpaController(up, target_milli=1000).convert_with_behavior_rate(1000, 4000, 1, 5000, NOW) == (2000, "ScaleUpLimit")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # fast path, decimal: float(digits) * Pow10(scale); Pow10(-k) = 1 / 1eK
        ("50m", 50 * (1 / 1e3)),
        ("11m", 11 * (1 / 1e3)),  # 0.011; the nano path would give 0.011000000000000001
        ("00000000000000000011m", 11 * (1 / 1e3)),  # leading zeros do not count towards the 18 digits
        ("4.3", 43 * (1 / 1e1)),
        ("-0.2", -2 * (1 / 1e1)),
        ("12k", 12 * 1e3),
        ("1e40", 1e32 * 1e8),  # Pow10(40) = pow10postab32[1] * pow10tab[8]
        ("1e400", math.inf),
        ("-1e400", -math.inf),
        ("172757217426062276m", float(172757217426062276) * (1 / 1e3)),  # 18 digits: still the fast path
        ("1n", 1 * (1 / 1e9)),
        ("11e-3", 11 * (1 / 1e3)),
        # inf.Dec path: rounded up to nano-units, float(nanos) * Pow10(-9)
        ("2087608058291172412m", float(2087608058291172412 * 10**6) * (1 / 1e9)),  # 19 digits
        ("1e-10", 1.0 * (1 / 1e9)),  # scale -10: one nano-unit
        ("1e-400", 1.0 * (1 / 1e9)),
        ("-1234567890123456789e400", -math.inf),
        ("1.17488851590458474452907e16", float(117488851590458474452907 * 10**2) * (1 / 1e9)),  # 24 digits, scale -7
        ("1.5Ki", float(1536 * 10**9) * (1 / 1e9)),  # a fraction: never the binary fast path
        # binary: digits << exponent while 15 - len(digits) - exponent * 3 / 10 - 1 >= 0, else nano-units, or the cap
        ("3Ki", 3072.0),
        ("10000000003Ki", float(10000000003 * 1024)),  # 15 - 11 - 3 - 1 = 0: still the fast path
        ("100000000004Ki", float(100000000004 * 1024 * 10**9) * (1 / 1e9)),  # -1: nano-units
        ("15Ti", float(15 * 2**40)),  # 15 - 2 - 12 - 1 = 0
        ("115Ti", float(115 * 2**40 * 10**9) * (1 / 1e9)),  # -1
        ("123456789012345Ki", float(123456789012345 * 1024 * 10**9) * (1 / 1e9)),
        ("9Ei", float(2**63 - 1)),
        ("0", 0.0),
    ],
)
def test_tolerance_float_as_go_computes_it(text: str, expected: float) -> None:
    """``AsApproximateFloat64`` = ``float(mantissa) * math.Pow10(exponent)`` of the stored amount, hand-computed."""
    assert approximate_float(text) == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, 1.0), (5, 1e5), (31, 1e31), (32, 1e32), (40, 1e32 * 1e8), (308, 1e288 * 1e20), (309, math.inf), (-1, 1 / 1e1),
     (-32, 1e-32 / 1.0), (-40, 1e-32 / 1e8), (-323, 1e-320 / 1e3), (-324, 0.0)],
)  # fmt: skip
def test_go_pow10(n: int, expected: float) -> None:
    """Go's ``math.Pow10`` from its tables (src/math/pow10.go)."""
    assert go_pow10(n) == expected


def test_external_per_pod_denominator_one() -> None:
    """Target 1 milli on 1 pod (denominator 1): no usage is ratio 0, inside a down tolerance of 1.0 -> 1 pod; on 0
    pods, 1 milli is +Inf, inside an infinite up tolerance -> the status count 0."""
    assert external_per_pod_replicas(1, 1, 0, 1.0, 0.1) == (1, 0)
    assert external_per_pod_replicas(0, 1000, 1, 0.1, math.inf) == (0, 0)


def test_generate_rules_takes_only_what_the_object_sets() -> None:
    """``GenerateHPAScaleUpRules`` / ``copyHPAScalingRules``: each field the object leaves out is the default's."""
    given = Rules(120, MIN, (Policy(PODS, 1, 60),), tolerance=0.2)
    assert generate_rules(given, DEFAULT_UP, window=False, select=False, policies=False) == Rules(
        0, MAX, DEFAULT_UP.policies, tolerance=0.2
    )
    assert generate_rules(given, DEFAULT_UP, window=True, select=True, policies=True) == given
    assert generate_rules(None, DEFAULT_DOWN, window=True, select=True, policies=True) == DEFAULT_DOWN


def test_behavior_reasons_at_the_edges() -> None:
    """``convertDesiredReplicasWithBehaviorRate``: a limit equal to maxReplicas is named TooManyReplicas, a desired
    count equal to the limit is within range, a floor equal to minReplicas is named TooFewReplicas. Hand-computed with
    Pods 4 per 15 s up (limit 2 + 4 = 6) and Pods 4 per 60 s down (limit 10 - 4 = 6)."""
    behavior = Behavior(Rules(0, MAX, (Policy(PODS, 4, 15),)), Rules(0, MAX, (Policy(PODS, 4, 60),)))
    hpa = HpaController(behavior, target_milli=1000)
    assert hpa.convert_with_behavior_rate(2, 10, 1, 6, NOW) == (6, "TooManyReplicas")
    assert hpa.convert_with_behavior_rate(2, 10, 1, 7, NOW) == (6, "ScaleUpLimit")
    assert hpa.convert_with_behavior_rate(2, 6, 1, 10, NOW) == (6, "DesiredWithinRange")
    assert hpa.convert_with_behavior_rate(10, 1, 6, 10, NOW) == (6, "TooFewReplicas")
    assert hpa.convert_with_behavior_rate(10, 1, 5, 10, NOW) == (6, "ScaleDownLimit")
    assert hpa.convert_with_behavior_rate(10, 6, 1, 10, NOW) == (6, "DesiredWithinRange")
    assert convert_desired_replicas_with_rules(2, 1, 1, 5) == (1, "DesiredWithinRange")  # legacy: minReplicas itself


def test_stabilize_on_a_fresh_controller_and_reused_slots() -> None:
    """Without any recommendation yet, the new one is the result (windows 0). On the legacy path a recommendation
    older than the window is replaced by the new one, which later syncs read: the initial 8 and a 1 at t=15; at t=330
    both are old and the last one's slot takes (1, 330); at t=345 the 8's slot takes (1, 345)."""
    fresh = HpaController(Behavior(Rules(0, MAX, ()), Rules(0, MAX, ())), target_milli=1000)
    assert fresh.stabilize_with_behaviors(5, 3, NOW) == 3
    assert fresh.recommendations is not None and [(r.value, r.ts) for r in fresh.recommendations] == [(3, NOW)]
    hpa = HpaController(None, target_milli=10_000, downscale_window=300)
    assert hpa.sync(8, 8, 5_000, 1, 10, 15.0).desired == 8
    assert hpa.sync(8, 8, 5_000, 1, 10, 330.0).desired == 1
    assert hpa.sync(1, 1, 5_000, 1, 10, 345.0).desired == 1
    assert hpa.recommendations is not None
    assert [(r.value, r.ts) for r in hpa.recommendations] == [(1, 345.0), (1, 330.0)]


def test_sync_result_fields() -> None:
    """The metric read and the count are reported as read; scaling disabled reports the current count 0."""
    result = HpaController(None, target_milli=10_000).sync(10, 10, 108_000, 1, 20, 100.0)
    assert (result.current, result.metric_milli, result.proposal, result.desired, result.rescale) == (10, 108_000, 10, 10, False)
    off = HpaController(None, target_milli=1000).sync(0, 0, 5_000, 1, 10, NOW)
    assert (off.current, off.metric_milli, off.proposal) == (0, None, None)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1e9223372036854775807", Fraction(1, 10)),  # int32(int64 max) = -1 (Go's conversion keeps the low 32 bits)
        ("1e-9223372036854775808", Fraction(1)),  # int32(int64 min) = 0
        ("1e4294967301", Fraction(10**5)),  # 2^32 + 5 -> 5
        ("1e-1000000000", Fraction(1, 10**9)),  # rounds up to one nano-unit, at once
        ("-9223372036854775.808", Fraction(-(2**63), 1000)),
    ],
)
def test_parse_quantity_exponent_edges(text: str, value: Fraction) -> None:
    """``interpret``: the exponent is ``strconv.ParseInt`` (int64) then ``int32(parsed)``."""
    assert parse_quantity(text) == value


FORMAT = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
SUFFIX = "unable to parse quantity's suffix"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1e9223372036854775808", SUFFIX),  # one past int64
        ("1k5", SUFFIX),
        ("1Ki3", SUFFIX),
        ("1m-3", SUFFIX),
        ("X1", FORMAT),
        ("1.5.5", FORMAT),
        ("1mX", FORMAT),
        ("1e+x", FORMAT),
        ("1e5x", FORMAT),
        ("1eX5", FORMAT),
        ("", "quantities may not be empty"),
    ],
)
def test_parse_quantity_refusals_name_the_problem(text: str, message: str) -> None:
    """``ErrFormatWrong`` / ``ErrSuffix`` as apimachinery words them (quantity.go), for the scanner's and the suffix's
    refusals."""
    with pytest.raises(ValueError) as refused:
        parse_quantity(text)
    assert str(refused.value) == message


def test_quantity_types_and_int64_edges() -> None:
    """Only what JSON holds is a quantity (no Decimal); the lowest int64 of milli-units is accepted, one below is not."""
    with pytest.raises(ValueError, match="not a quantity"):
        quantity_value(Decimal("1.5"))
    assert milli_value("-9223372036854775.808") == -(2**63)
    with pytest.raises(ValueError, match="beyond int64"):
        milli_value("-9223372036854775.809")
    assert milli_value("0") == 0 and milli_value("-0") == 0
