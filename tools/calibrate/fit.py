"""Fitting the world parameters an observed timeline can identify.

- **Creation-to-Ready time per unit kind** (:func:`startup_samples`): pods are matched first in, first out within a
  unit: a rise of ``replicas:<unit>`` creates pods, a rise of ``ready:<unit>`` makes the oldest waiting ones Ready, a
  fall of ``replicas`` not matched by a fall of ``ready`` removes the newest waiting ones (a ReplicaSet deletes
  not-ready pods first). The estimate is the median of the samples; its uncertainty the scaled median absolute
  deviation over the square root of the count, at least 0.5 s (the timeline's resolution is 1 s). A kind with no
  pod that went from created to Ready in the run is not identifiable and keeps its default.
- **Model load** is not separable from the start-up in a timeline (it shows creation and Ready only): it keeps its
  default, and the fitted ``startup-<kind>`` is the creation-to-Ready time minus that default.
- **Metric delay and window** (:func:`fit_metric`): least squares between the observed ``metric_qps`` and the
  adapter's value (:class:`tools.simulate.metrics.MetricPipeline` over the observed demand) read at HPA syncs every
  ``sync_period`` seconds from an unknown phase, over a grid of delays (0-60 s), windows (15-120 s) and phases. The
  uncertainty is the half-width of the profile interval where the sum of squares is within one residual variance of
  its minimum; a parameter whose interval spans the whole grid is not identifiable.
- **One pod's capacity** (:func:`fit_capacity`): where demand went unmet while the Ready count held for 3 s,
  served / Ready is what a pod serves; with fewer than 5 such seconds it is not identifiable and only a lower bound
  (the most a pod was seen to serve) is reported.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from tools.calibrate.observed import Timeline
from tools.simulate.objects import KIND_ECI, KIND_ECI_CACHED, KIND_ECS, KIND_SOURCE, Unit

DELAYS = tuple(range(0, 61))
WINDOWS = (15, 30, 45, 60, 90, 120)
MIN_SATURATED_SECONDS = 5


@dataclass(frozen=True)
class Estimate:
    """A fitted value (or None when not identifiable) with its uncertainty and the evidence, in words."""

    value: float | None
    uncertainty: float | None
    basis: str

    @property
    def identified(self) -> bool:
        return self.value is not None


def startup_samples(created: Sequence[int], ready: Sequence[int]) -> list[float]:
    """Creation-to-Ready seconds of each pod of one unit that turned Ready during the run (FIFO matching)."""
    waiting: deque[int] = deque()
    out: list[float] = []
    for t in range(1, len(created)):
        up = created[t] - created[t - 1]
        became_ready = ready[t] - ready[t - 1]
        if up < 0:
            gone_waiting = max(0, -up - max(0, -became_ready))
            for _ in range(min(gone_waiting, len(waiting))):
                waiting.pop()
        for _ in range(max(0, up)):
            waiting.append(t)
        for _ in range(max(0, became_ready)):
            if waiting:
                out.append(float(t - waiting.popleft()))
    return out


def _robust(samples: Sequence[float], floor: float) -> tuple[float, float]:
    median = statistics.median(samples)
    mad = statistics.median(abs(s - median) for s in samples)
    spread = 1.4826 * mad / math.sqrt(len(samples))
    return median, max(floor, spread)


def kind_of(unit: Unit) -> str:
    """The world parameter a unit's start-up feeds: the ElasticWorkload's source starts like a node-pool pod."""
    return KIND_ECS if unit.kind == KIND_SOURCE else unit.kind


def fit_startups(timeline: Timeline, units: Sequence[Unit]) -> tuple[dict[str, Estimate], dict[str, Estimate]]:
    """Creation-to-Ready per kind (ecs, eci, eci-cached) and per observed unit."""
    per_unit: dict[str, Estimate] = {}
    per_kind: dict[str, list[float]] = {KIND_ECS: [], KIND_ECI: [], KIND_ECI_CACHED: []}
    names: dict[str, list[str]] = {k: [] for k in per_kind}
    for unit in units:
        label = f"{unit.name} ({'spot ' if unit.spot else ''}{unit.kind})"
        if unit.name not in timeline.unit_replicas:
            per_unit[unit.name] = Estimate(None, None, f"{label}: not in the observed timeline")
            continue
        samples = startup_samples(timeline.unit_replicas[unit.name], timeline.unit_ready[unit.name])
        if not samples:
            per_unit[unit.name] = Estimate(None, None, f"{label}: no pod of it went from created to Ready in the run")
            continue
        value, spread = _robust(samples, 0.5)
        per_unit[unit.name] = Estimate(value, spread, f"{label}: {len(samples)} pod(s)")
        per_kind[kind_of(unit)].extend(samples)
        names[kind_of(unit)].append(unit.name)
    out: dict[str, Estimate] = {}
    for kind, samples in per_kind.items():
        if samples:
            value, spread = _robust(samples, 0.5)
            out[kind] = Estimate(value, spread, f"{len(samples)} pod(s) of {', '.join(names[kind])}, creation to Ready")
        else:
            units_of = [u.name for u in units if kind_of(u) == kind]
            why = f"no pod of {', '.join(units_of)} started in the run" if units_of else "no unit of this kind in the stack"
            out[kind] = Estimate(None, None, f"not identifiable: {why}")
    return out, per_unit


def _window_sums(demand: np.ndarray, cumulative: np.ndarray, ends: np.ndarray, window: float) -> np.ndarray:
    """Requests in [end - window, end) per end (before 0 the first demand holds, after the end the last), as
    :meth:`tools.simulate.metrics.MetricPipeline._requests_until` counts them."""
    n = len(demand)

    def until(t: np.ndarray) -> np.ndarray:
        whole = np.clip(np.floor(t), 0, n - 1).astype(int)
        inside = cumulative[whole] + (t - whole) * demand[whole]
        before = t * demand[0]
        after = cumulative[n] + (t - n) * demand[-1]
        value: np.ndarray = np.where(t <= 0, before, np.where(t >= n, after, inside))
        return value

    sums: np.ndarray = until(ends) - until(ends - window)
    return sums


@dataclass(frozen=True)
class MetricFit:
    delay: Estimate
    window: Estimate
    phase: int
    rows: int


def fit_metric(timeline: Timeline, sync_period: int) -> MetricFit | None:
    """Delay and window of the metric (see the module docstring); None when the timeline has no metric values."""
    t_obs = np.array([t for t, m in enumerate(timeline.metric) if m is not None], dtype=float)
    if len(t_obs) < 10:
        return None
    y = np.array([m for m in timeline.metric if m is not None], dtype=float)
    demand = np.array(timeline.demand, dtype=float)
    cumulative = np.concatenate(([0.0], np.cumsum(demand)))
    sse: dict[tuple[int, int, int], float] = {}
    delays = np.array(DELAYS)[:, None]
    offset = max(DELAYS)
    ends = np.arange(-offset, len(demand) + 1, dtype=float)  # every whole second a window can end at
    for window in WINDOWS:
        value = np.floor(_window_sums(demand, cumulative, ends, window) / window + 1e-9)  # the adapter's value per end
        for phase in range(sync_period):
            sync_index = np.floor((t_obs - phase) / sync_period)
            valid = (sync_index >= 0).astype(float)
            syncs = (phase + sync_index * sync_period).astype(int)[None, :]
            predicted = value[np.clip(syncs - delays + offset, 0, len(ends) - 1)]
            per_delay = (((predicted - y[None, :]) ** 2) * valid[None, :]).sum(axis=1)
            for delay, total in zip(DELAYS, per_delay, strict=True):
                sse[(delay, window, phase)] = float(total) if valid.any() else math.inf
    best = min(sse, key=lambda k: (sse[k], k))
    minimum = sse[best]
    independent = max(4, int(len(t_obs) / sync_period))
    variance = minimum / (independent - 3) if minimum > 0 else 0.0

    def profile(index: int, grid: Sequence[int], name: str) -> Estimate:
        lows = dict.fromkeys(grid, math.inf)
        for k, v in sse.items():
            lows[k[index]] = min(lows[k[index]], v)
        inside = [g for g, v in lows.items() if v - minimum <= max(variance, 1e-9)]
        value = best[index]
        if min(inside) == min(grid) and max(inside) == max(grid) and len(grid) > 1:
            return Estimate(None, None, f"not identifiable: every {name} in {min(grid)}-{max(grid)} s fits as well")
        half = max(abs(g - value) for g in inside)
        return Estimate(float(value), max(0.5, float(half)), f"{len(t_obs)} metric readings, least squares")

    return MetricFit(profile(0, DELAYS, "delay"), profile(1, WINDOWS, "window"), best[2], len(t_obs))


def fit_capacity(timeline: Timeline) -> tuple[Estimate, float | None]:
    """One pod's capacity where saturation shows, and the most a pod was seen to serve (a lower bound)."""
    samples: list[float] = []
    lower: float | None = None
    for t in range(2, timeline.duration + 1):
        served, unmet, ready = timeline.served[t], timeline.unmet[t], timeline.ready[t]
        if served is None or ready <= 0:
            continue
        lower = max(lower or 0.0, served / ready)
        if unmet is None or unmet <= max(0.5, 0.02 * timeline.demand[t]):
            continue
        if timeline.ready[t - 1] == ready and timeline.ready[t - 2] == ready:
            samples.append(served / ready)
    if len(samples) < MIN_SATURATED_SECONDS:
        shown = f"; a pod served up to {lower:.3g} qps" if lower is not None else ""
        return Estimate(
            None, None, f"not identifiable: demand exceeded what steady Ready pods served in {len(samples)} s{shown}"
        ), lower
    value, spread = _robust(samples, 0.01)
    return Estimate(value, spread, f"{len(samples)} saturated seconds: served / Ready pods"), lower


def summary_of(estimates: Mapping[str, Estimate]) -> list[str]:
    return [
        f"{k}: {e.value:g} +/- {e.uncertainty:.2g} ({e.basis})"
        if e.value is not None and e.uncertainty is not None
        else f"{k}: {e.basis}"
        for k, e in estimates.items()
    ]
