"""The HorizontalPodAutoscaler for one External metric with an AverageValue target, as kube-controller-manager computes it.

Transcribed from ``pkg/controller/podautoscaler`` of kubernetes/kubernetes (the stacks target 1.34; read from the
repository's main branch as indexed, which holds the same functions, see the README's "not verified" list):

- ``horizontal.go``: ``reconcileAutoscaler`` (the bounds checks before any metric, ``recordInitialRecommendation``),
  ``normalizeDesiredReplicas`` / ``stabilizeRecommendation`` / ``convertDesiredReplicasWithRules`` /
  ``calculateScaleUpLimit`` (the legacy path without ``behavior``: scale-up limit ``max(2 * current, 4)``, scale-down
  window ``--horizontal-pod-autoscaler-downscale-stabilization``), ``normalizeDesiredReplicasWithBehaviors`` /
  ``stabilizeRecommendationWithBehaviors`` (the current count clamped between the lowest recommendation of the
  scale-up window and the highest of the scale-down window) / ``convertDesiredReplicasWithBehaviorRate`` /
  ``calculateScaleUpLimitWithScalingRules`` / ``calculateScaleDownLimitWithBehaviors`` /
  ``getReplicasChangePerPeriod`` (both up and down events count in every period) / ``storeScaleEvent`` /
  ``markScaleEventsOutdated`` / ``getLongestPolicyPeriod``;
- ``replica_calculator.go``: ``GetExternalPerPodMetricReplicas`` and ``Tolerances.isWithin`` (tolerance 0.1, the
  ``--horizontal-pod-autoscaler-tolerance`` default; per-direction ``behavior.*.tolerance`` when set);
- ``pkg/apis/autoscaling/v2/defaults.go``: ``GenerateHPAScaleUpRules`` / ``GenerateHPAScaleDownRules`` (the API
  server's defaults for a partly written ``behavior``).

Times are seconds (floats); Go's ``timestamp.After(cutoff)`` is ``ts > cutoff`` and ``Before`` is ``ts < cutoff``.
Metric values are milli-units, as ``Quantity.MilliValue()`` gives them to the controller.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from fractions import Fraction

INT32_MAX = 2**31 - 1
INT32_MIN = -(2**31)
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)

SCALE_UP_LIMIT_FACTOR = 2.0
SCALE_UP_LIMIT_MINIMUM = 4.0
"""``scaleUpLimitFactor``, ``scaleUpLimitMinimum`` (horizontal.go): the legacy path's ``max(2 * current, 4)``."""

DEFAULT_TOLERANCE = 0.1
"""``--horizontal-pod-autoscaler-tolerance`` default (kube-controller-manager reference; ``defaultTestingTolerance``)."""
DEFAULT_DOWNSCALE_WINDOW = 300.0
"""``--horizontal-pod-autoscaler-downscale-stabilization`` default, 5 minutes (kube-controller-manager reference)."""
DEFAULT_SYNC_PERIOD = 15.0
"""``--horizontal-pod-autoscaler-sync-period`` default, 15 s (kube-controller-manager reference)."""

MAX = "Max"
MIN = "Min"
DISABLED = "Disabled"
PODS = "Pods"
PERCENT = "Percent"


@dataclass(frozen=True)
class Policy:
    """``HPAScalingPolicy``: at most ``value`` pods (``Pods``) or percent (``Percent``) per ``period`` seconds."""

    type: str
    value: int
    period: int


@dataclass(frozen=True)
class Rules:
    """``HPAScalingRules`` after defaulting; ``window`` is None only for scale-down (then the controller's flag)."""

    window: int | None
    select: str
    policies: tuple[Policy, ...]
    tolerance: float | None = None


@dataclass(frozen=True)
class Behavior:
    up: Rules
    down: Rules


DEFAULT_UP = Rules(window=0, select=MAX, policies=(Policy(PODS, 4, 15), Policy(PERCENT, 100, 15)))
"""``defaultHPAScaleUpRules`` (pkg/apis/autoscaling/v2/defaults.go)."""
DEFAULT_DOWN = Rules(window=None, select=MAX, policies=(Policy(PERCENT, 100, 15),))
"""``defaultHPAScaleDownRules`` (same file): the stabilization window stays unset, the controller fills it in."""


def generate_rules(given: Rules | None, default: Rules, *, window: bool, select: bool, policies: bool) -> Rules:
    """``copyHPAScalingRules``: the fields the object sets, the defaults for the others."""
    if given is None:
        return default
    return Rules(
        window=given.window if window else default.window,
        select=given.select if select else default.select,
        policies=given.policies if policies else default.policies,
        tolerance=given.tolerance,
    )


@dataclass
class Recommendation:
    """``timestampedRecommendation``."""

    value: int
    ts: float


@dataclass
class ScaleEvent:
    """``timestampedScaleEvent`` (``replicaChange`` is the absolute change)."""

    change: int
    ts: float
    outdated: bool = False


def is_within(ratio: float, down: float, up: float) -> bool:
    """``Tolerances.isWithin``: ``1 - down <= ratio <= 1 + up``."""
    return (1.0 - down) <= ratio <= (1.0 + up)


def external_per_pod_replicas(
    status_replicas: int, target_milli: int, usage_milli: int, down: float, up: float
) -> tuple[int, int]:
    """``GetExternalPerPodMetricReplicas``: (replica proposal, per-pod usage in milli-units).

    The ratio divides by the target's *status* replica count; outside the tolerance the proposal is
    ``ceil(usage / target)`` capped at MaxInt32; the per-pod usage is ``getPerPodUsage``.
    """
    usage = min(usage_milli, INT64_MAX)
    replicas = status_replicas
    denominator = float(target_milli) * float(replicas)
    ratio = math.inf if denominator == 0 else float(usage) / denominator
    if denominator == 0 and usage == 0:
        ratio = math.nan
    if not is_within(ratio, down, up):
        result = math.ceil(float(usage) / float(target_milli))
        replicas = INT32_MAX if result > float(INT32_MAX) else int(result)
    if float(usage) >= float(INT64_MAX):
        per_pod = INT64_MAX
    elif status_replicas == 0:
        per_pod = 0
    else:
        per_pod = math.ceil(float(usage) / float(status_replicas))
    return replicas, per_pod


def calculate_scale_up_limit(current: int) -> int:
    """``calculateScaleUpLimit``: ``int32(max(2 * current, 4))``."""
    return int(max(SCALE_UP_LIMIT_FACTOR * float(current), SCALE_UP_LIMIT_MINIMUM))


def convert_desired_replicas_with_rules(current: int, desired: int, min_replicas: int, max_replicas: int) -> tuple[int, str]:
    """``convertDesiredReplicasWithRules``: the legacy bounds (minReplicas, maxReplicas, the scale-up limit)."""
    scale_up_limit = calculate_scale_up_limit(current)
    if max_replicas > scale_up_limit:
        maximum, condition = scale_up_limit, "ScaleUpLimit"
    else:
        maximum, condition = max_replicas, "TooManyReplicas"
    if desired < min_replicas:
        return min_replicas, "TooFewReplicas"
    if desired > maximum:
        return maximum, condition
    return desired, "DesiredWithinRange"


def replicas_change_per_period(period: int, events: list[ScaleEvent], now: float) -> int:
    """``getReplicasChangePerPeriod``: the sum of the changes stored after ``now - period``."""
    cutoff = now - period
    return sum(e.change for e in events if e.ts > cutoff)


def longest_policy_period(rules: Rules) -> int:
    """``getLongestPolicyPeriod``."""
    return max((p.period for p in rules.policies), default=0)


def mark_outdated(events: list[ScaleEvent], longest: int, now: float) -> None:
    """``markScaleEventsOutdated``: events before ``now - longest`` may be reused."""
    cutoff = now - longest
    for e in events:
        if e.ts < cutoff:
            e.outdated = True


def _select(select: str, a: int, b: int, up: bool) -> int:
    # For scale-up, the Min policy selects the lowest limit; for scale-down, the lowest change is the highest value.
    if select == MIN:
        return min(a, b) if up else max(a, b)
    return max(a, b) if up else min(a, b)


def scale_up_limit_with_rules(
    current: int, up_events: list[ScaleEvent], down_events: list[ScaleEvent], rules: Rules, now: float
) -> int:
    """``calculateScaleUpLimitWithScalingRules``."""
    if rules.select == DISABLED:
        return current
    result = INT32_MAX if rules.select == MIN else INT32_MIN
    for policy in rules.policies:
        added = replicas_change_per_period(policy.period, up_events, now)
        deleted = replicas_change_per_period(policy.period, down_events, now)
        start = current - added + deleted
        # the proposal is rounded up so that a percent policy can always add a pod
        proposed = start + policy.value if policy.type == PODS else math.ceil(float(start) * (1 + float(policy.value) / 100))
        result = _select(rules.select, result, proposed, up=True)
    return result


def scale_down_limit_with_rules(
    current: int, up_events: list[ScaleEvent], down_events: list[ScaleEvent], rules: Rules, now: float
) -> int:
    """``calculateScaleDownLimitWithBehaviors`` (``int32(float)`` truncates toward zero, as Python's ``int``)."""
    if rules.select == DISABLED:
        return current
    result = INT32_MIN if rules.select == MIN else INT32_MAX
    for policy in rules.policies:
        added = replicas_change_per_period(policy.period, up_events, now)
        deleted = replicas_change_per_period(policy.period, down_events, now)
        start = current - added + deleted
        proposed = start - policy.value if policy.type == PODS else int(float(start) * (1 - float(policy.value) / 100))
        result = _select(rules.select, result, proposed, up=False)
    return result


@dataclass
class SyncResult:
    """One ``reconcileAutoscaler``: what the HPA read, proposed and set."""

    current: int
    metric_milli: int | None
    proposal: int | None
    desired: int
    rescale: bool
    reason: str


@dataclass
class HpaController:
    """The controller's per-HPA state (``recommendations``, ``scaleUpEvents``, ``scaleDownEvents``) and its algorithm."""

    behavior: Behavior | None
    target_milli: int
    tolerance: float = DEFAULT_TOLERANCE
    downscale_window: float = DEFAULT_DOWNSCALE_WINDOW
    recommendations: list[Recommendation] | None = None
    up_events: list[ScaleEvent] = field(default_factory=list)
    down_events: list[ScaleEvent] = field(default_factory=list)

    # ------------------------------------------------------------------ legacy path (no behavior)
    def stabilize_recommendation(self, desired: int, now: float) -> int:
        """``stabilizeRecommendation``: the highest recommendation not older than the downscale window."""
        recs = self._recs()
        highest = desired
        old_index: int | None = None
        cutoff = now - self.downscale_window
        for i, rec in enumerate(recs):
            if rec.ts < cutoff:
                old_index = i
            elif rec.value > highest:
                highest = rec.value
        if old_index is not None:
            recs[old_index] = Recommendation(desired, now)
        else:
            recs.append(Recommendation(desired, now))
        return highest

    def normalize_desired_replicas(
        self, current: int, desired: int, min_replicas: int, max_replicas: int, now: float
    ) -> tuple[int, str]:
        """``normalizeDesiredReplicas``."""
        stabilized = self.stabilize_recommendation(desired, now)
        return convert_desired_replicas_with_rules(current, stabilized, min_replicas, max_replicas)

    # ------------------------------------------------------------------ behavior path
    def rules(self) -> Behavior:
        """The behavior with the controller's default scale-down window filled in (``maybeInitScaleDownStabilizationWindow``)."""
        assert self.behavior is not None
        down = self.behavior.down
        if down.window is None:
            down = replace(down, window=int(self.downscale_window))
        return Behavior(self.behavior.up, down)

    def stabilize_with_behaviors(self, current: int, desired: int, now: float) -> int:
        """``stabilizeRecommendationWithBehaviors``: clamp the current count between the up-window minimum and the
        down-window maximum of the recommendations (the new one included), then record the new one. (The reason it
        also returns upstream only names the HPA's AbleToScale condition, which is not simulated.)"""
        behavior = self.rules()
        up_window = behavior.up.window or 0
        down_window = behavior.down.window or 0
        up_cutoff = now - up_window
        down_cutoff = now - down_window
        up_rec = desired
        down_rec = desired
        recs = self._recs()
        old_index: int | None = None
        for i, rec in enumerate(recs):
            if rec.ts > up_cutoff:
                up_rec = min(rec.value, up_rec)
            if rec.ts > down_cutoff:
                down_rec = max(rec.value, down_rec)
            if rec.ts < up_cutoff and rec.ts < down_cutoff:
                old_index = i
        recommendation = current
        if recommendation < up_rec:
            recommendation = up_rec
        if recommendation > down_rec:
            recommendation = down_rec
        if old_index is not None:
            recs[old_index] = Recommendation(desired, now)
        else:
            recs.append(Recommendation(desired, now))
        return recommendation

    def convert_with_behavior_rate(
        self, current: int, desired: int, min_replicas: int, max_replicas: int, now: float
    ) -> tuple[int, str]:
        """``convertDesiredReplicasWithBehaviorRate``: the policies' limits over their periods, then min/max."""
        behavior = self.rules()
        if desired > current:
            limit = scale_up_limit_with_rules(current, self.up_events, self.down_events, behavior.up, now)
            limit = max(limit, current)
            if max_replicas > limit:
                maximum, reason = limit, "ScaleUpLimit"
            else:
                maximum, reason = max_replicas, "TooManyReplicas"
            if desired > maximum:
                return maximum, reason
        elif desired < current:
            limit = scale_down_limit_with_rules(current, self.up_events, self.down_events, behavior.down, now)
            limit = min(limit, current)
            if min_replicas < limit:
                minimum, reason = limit, "ScaleDownLimit"
            else:
                minimum, reason = min_replicas, "TooFewReplicas"
            if desired < minimum:
                return minimum, reason
        return desired, "DesiredWithinRange"

    def normalize_with_behaviors(
        self, current: int, desired: int, min_replicas: int, max_replicas: int, now: float
    ) -> tuple[int, str]:
        """``normalizeDesiredReplicasWithBehaviors``: stabilize, then the rate limits."""
        stabilized = self.stabilize_with_behaviors(current, desired, now)
        return self.convert_with_behavior_rate(current, stabilized, min_replicas, max_replicas, now)

    def store_scale_event(self, prev: int, new: int, now: float) -> None:
        """``storeScaleEvent``: reuse the last outdated slot of the direction's list, else append."""
        if self.behavior is None:
            return
        behavior = self.rules()
        if new > prev:
            events, rules, change = self.up_events, behavior.up, new - prev
        else:
            events, rules, change = self.down_events, behavior.down, prev - new
        mark_outdated(events, longest_policy_period(rules), now)
        old_index: int | None = None
        for i, e in enumerate(events):
            if e.outdated:
                old_index = i
        event = ScaleEvent(change, now)
        if old_index is not None:
            events[old_index] = event
        else:
            events.append(event)

    # ------------------------------------------------------------------ one sync
    def tolerances(self) -> tuple[float, float]:
        """``tolerancesForHpa``: (down, up), the flag's value unless the behavior sets its own."""
        down = up = self.tolerance
        if self.behavior is not None:
            if self.behavior.down.tolerance is not None:
                down = self.behavior.down.tolerance
            if self.behavior.up.tolerance is not None:
                up = self.behavior.up.tolerance
        return down, up

    def sync(
        self, spec_replicas: int, status_replicas: int, usage_milli: int, min_replicas: int, max_replicas: int, now: float
    ) -> SyncResult:
        """``reconcileAutoscaler`` for one External AverageValue metric; returns the count to set on the target."""
        current = spec_replicas
        if self.recommendations is None:  # recordInitialRecommendation
            self.recommendations = [Recommendation(current, now)]
        if current == 0 and min_replicas != 0:
            return SyncResult(current, None, None, 0, False, "ScalingDisabled")
        if current > max_replicas:
            desired, reason, proposal, metric = max_replicas, "Current number of replicas above Spec.MaxReplicas", None, None
        elif current < min_replicas:
            desired, reason, proposal, metric = min_replicas, "Current number of replicas below Spec.MinReplicas", None, None
        else:
            down, up = self.tolerances()
            proposal, _ = external_per_pod_replicas(status_replicas, self.target_milli, usage_milli, down, up)
            metric = usage_milli
            if self.behavior is None:
                desired, reason = self.normalize_desired_replicas(current, proposal, min_replicas, max_replicas, now)
            else:
                desired, reason = self.normalize_with_behaviors(current, proposal, min_replicas, max_replicas, now)
        rescale = desired != current
        if rescale:
            self.store_scale_event(current, desired, now)
        return SyncResult(current, metric, proposal, desired if rescale else current, rescale, reason)

    def _recs(self) -> list[Recommendation]:
        if self.recommendations is None:
            self.recommendations = []
        return self.recommendations


DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
"""``<decimalSI>`` (apimachinery ``pkg/api/resource/suffix.go`` ``newSuffixer``, v0.34.0): base 10, exponent."""
BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
"""``<binarySI>`` (same function): base 2, exponent."""
SUFFIX_CHARACTERS = "eEinumkKMGTP"
"""The characters ``parseQuantityString`` takes into a suffix (apimachinery ``pkg/api/resource/quantity.go``)."""


def split_quantity(text: str) -> tuple[bool, str, str, str]:
    """``parseQuantityString`` (apimachinery v0.34.0 ``pkg/api/resource/quantity.go``): (positive, integer digits,
    fraction digits, suffix); leading zeros dropped, ``1.``, ``.5`` and ``+1`` allowed; raises ValueError."""
    positive, pos, end = True, 0, len(text)
    if pos < end and text[0] in "+-":
        positive, pos = text[0] == "+", 1
    while pos < end and text[pos] == "0":
        pos += 1
    start = pos
    while pos < end and text[pos].isascii() and text[pos].isdigit():
        pos += 1
    num = text[start:pos] or "0"
    denom = ""
    if pos < end and text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos].isascii() and text[pos].isdigit():
            pos += 1
        denom = text[start:pos]
    suffix_start = pos
    while pos < end and text[pos] in SUFFIX_CHARACTERS:
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos].isascii() and text[pos].isdigit():
        pos += 1
    if pos < end:
        raise ValueError("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
    return positive, num, denom, text[suffix_start:]


def interpret_suffix(suffix: str) -> tuple[int, int]:
    """``suffixHandler.interpret``: (base, exponent) of ``<decimalSI>``, ``<binarySI>`` or ``e``/``E`` followed by a
    signed int64 (``strconv.ParseInt``), truncated to int32 as Go's ``int32(parsed)``; raises ValueError."""
    if suffix in DECIMAL_SUFFIXES:
        return 10, DECIMAL_SUFFIXES[suffix]
    if suffix in BINARY_SUFFIXES:
        return 2, BINARY_SUFFIXES[suffix]
    digits = suffix[1:]
    if len(suffix) > 1 and suffix[0] in "eE" and re.fullmatch(r"[+-]?[0-9]+", digits):
        parsed = int(digits)
        if INT64_MIN <= parsed <= INT64_MAX:
            return 10, (parsed + 2**31) % 2**32 - 2**31
    raise ValueError("unable to parse quantity's suffix")


def parse_quantity(text: str) -> Fraction:
    """``ParseQuantity`` (apimachinery v0.34.0 ``pkg/api/resource/quantity.go``): the exact value, rounded up (away
    from zero) to a nano-unit, a BinarySI amount capped at 2^63 - 1; raises ValueError for text it refuses."""
    if not text:
        raise ValueError("quantities may not be empty")
    positive, num, denom, suffix = split_quantity(text)
    base, exponent = interpret_suffix(suffix)
    digits = int(num + denom)
    if base == 2:
        value = Fraction(digits, 10 ** len(denom)) * 2**exponent
    else:
        # The scale is clamped where the outcome cannot change, so that an exponent of 10^9 takes no time: past
        # 10^400 every value is beyond a float and an int64 of milli-units; below 10^-(digits + 20) every non-zero
        # value rounds up to one nano-unit.
        scale = min(max(exponent - len(denom), -(len(num + denom) + 20)), 400)
        value = digits * Fraction(10) ** scale
    nano = math.ceil(value * 10**9)  # inf.RoundUp of the magnitude to Nano
    if base == 2 and nano > INT64_MAX * 10**9:
        nano = INT64_MAX * 10**9  # the cap at maxAllowed (BinarySI only)
    return Fraction(nano if positive else -nano, 10**9)


def quantity_value(quantity: object) -> Fraction:
    """A quantity as the API server reads it from JSON (``Quantity.UnmarshalJSON``: a string or a number's literal
    text, trimmed of spaces, then :func:`parse_quantity`); raises ValueError naming the quantity."""
    if isinstance(quantity, bool) or not isinstance(quantity, int | float | str):
        raise ValueError(f"not a quantity: {quantity!r}")
    try:
        return parse_quantity(str(quantity).strip())
    except ValueError as err:
        raise ValueError(f"not a quantity: {quantity!r} ({err})") from None


def milli_value(quantity: object) -> int:
    """``Quantity.MilliValue()``: the value in thousandths rounded up, away from zero (``ScaledValue``; for a negative
    fast-path amount ``negativeScaleInt64`` rounds away from zero). Raises ValueError for text ``ParseQuantity``
    refuses, and for a value whose milli-units do not fit an int64 (where Go's arithmetic would overflow)."""
    value = quantity_value(quantity)
    milli = math.ceil(abs(value) * 1000)
    milli = milli if value >= 0 else -milli
    if not INT64_MIN <= milli <= INT64_MAX:
        raise ValueError(f"not a quantity the HPA can use: {quantity!r} is beyond int64 milli-units")
    return milli


def go_pow10(n: int) -> float:
    """Go's ``math.Pow10`` (``src/math/pow10.go``): ``pow10postab32[n/32] * pow10tab[n%32]`` for 0..308, ``pow10negtab32
    [-n/32] / pow10tab[-n%32]`` for -323..0, +Inf above, 0 below; the tables hold the literals 1eK."""
    if 0 <= n <= 308:
        return float(f"1e{32 * (n // 32)}") * float(f"1e{n % 32}")
    if -323 <= n <= 0:
        return float(f"1e-{32 * (-n // 32)}") / float(f"1e{-n % 32}")
    return math.inf if n > 0 else 0.0


def approximate_float(quantity: object) -> float:
    """``Quantity.AsApproximateFloat64()``, how the controller reads ``behavior.*.tolerance`` (KEP-4951):
    ``float(mantissa) * math.Pow10(exponent)`` of the amount as ``ParseQuantity`` stores it. Its fast path keeps a
    decimal quantity of at most 18 digits with a scale >= -9 as (digits, scale), and a binary one with no fraction and
    ``15 - len(digits) - exponent * 3 / 10 - 1 >= 0`` as (digits << exponent, 0); any other is an ``inf.Dec`` rounded
    up to scale 9 (nano-units), or the BinarySI cap 2^63 - 1 at scale 0."""
    value = quantity_value(quantity)
    positive, num, denom, suffix = split_quantity(str(quantity).strip())
    base, exponent = interpret_suffix(suffix)
    sign = 1 if positive else -1
    scale = exponent - len(denom)
    if base == 10 and len(num) + len(denom) <= 18 and scale >= -9:
        return float(sign * int(num + denom)) * go_pow10(scale)  # Pow10(0) is 1: Go's "exponent == 0" shortcut
    if base == 2 and not denom and 15 - len(num) - int(exponent * 3 / 10) - 1 >= 0:
        return float(sign * (int(num) << exponent))
    try:
        return float((value * 10**9).numerator) * go_pow10(-9)  # the BinarySI cap lands here too, as the same float
    except OverflowError:
        return math.inf * sign
