"""The search space: which settings of one model are tried, and how a setting becomes a stack config.

A :class:`Settings` is one point: targetQps, minReplicas, maxReplicas, each unit's min and max, the two stabilization
windows, the image cache and the CronHPA schedules. :func:`apply` writes it into a copy of the stack file's
``models`` list, which the program then renders (the config layer validates it there).

:func:`default_space` (what ``tools.tune`` searches):

- ``targetQps``: one pod's capacity ``R`` (rounded down), 90 % and 80 % of it, and the committed value when not above
  ``R``; never above ``R`` (a target above what a pod serves leaves every pod overloaded before the HPA reacts);
- ``maxReplicas``: for each target, the fewest pods that serve the peak (``ceil(peak / R)``) and the count the HPA
  asks for at the peak (``ceil(peak / targetQps)``); more is never reached, fewer never serves the peak;
- units: the committed on-demand maxima, or the lean split (each on-demand unit holds max(1, its min) pods), the last
  spot unit (else the last unit) taking what maxReplicas still needs; unit minima stay as committed;
- ``minReplicas``: 1 and the committed value;
- the HPA's behavior, as five profiles of the two windows and the two policies the stack sets (scale-up pods per
  15 s, scale-down percent per minute): the committed one; the other scale-up window (30 s more, or 0 when it is not
  0); a quicker scale-in (the other scale-down window, 120 s or else 600 s, with the other scale-down percent, 50 or
  else 10); both; and twice the scale-up pods. Profiles rather than the product keep the space at five behaviors
  instead of sixteen; a :class:`Space` may list any behaviors, or windows whose product is taken with the committed
  policies;
- the image cache off and on;
- schedules: the committed ones, none, and a pair per rise of the trace (:func:`rises`): raise the floor to the rise's
  demand ``lead`` seconds before it, lower it back once it has passed.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.simulate.objects import KIND_ECI, KIND_ECI_CACHED, KIND_ECS
from tools.simulate.world import World
from tools.traces import Trace

Schedule = tuple[str, str, int]
"""(name, five-field cron in UTC, targetSize)."""

COMMITTED = "committed"


@dataclass(frozen=True)
class UnitInfo:
    """What the search needs to know about one unit of the committed model."""

    name: str
    spot: bool
    kind: str  # ecs or eci (the image cache turns eci into eci-cached)
    min: int
    max: int


@dataclass(frozen=True)
class Base:
    """The committed model and what the space is built from."""

    stack: str
    model_index: int
    models: list[dict[str, Any]]  # the stack file's models list, as written
    config: dict[str, Any]  # the whole stack file's config, as written
    elastic: bool  # elasticWorkload mode (sourceMin/sourceMax count)
    source_min: int
    source_max: int
    units: tuple[UnitInfo, ...]
    pdb_min_available: int | None
    current: Settings
    project_dir: Path

    @property
    def raw_model(self) -> dict[str, Any]:
        return self.models[self.model_index]


@dataclass(frozen=True, order=True)
class Settings:
    target_qps: int
    min_replicas: int
    max_replicas: int
    unit_min: tuple[int, ...]
    unit_max: tuple[int, ...]
    up_window: int
    down_window: int
    image_cache: bool
    schedules: tuple[Schedule, ...] | None = None  # None: the committed schedules, as written
    up_pods: int = 4  # scaleUpPods (the config layer's default)
    down_percent: int = 10  # scaleDownPercent (the config layer's default)

    def row(self, units: Sequence[UnitInfo]) -> dict[str, str]:
        """The settings as CSV cells."""
        return {
            "targetQps": str(self.target_qps),
            "minReplicas": str(self.min_replicas),
            "maxReplicas": str(self.max_replicas),
            "units": " ".join(f"{u.name}={lo}..{hi}" for u, lo, hi in zip(units, self.unit_min, self.unit_max, strict=True)),
            "scaleUpStabilizationSeconds": str(self.up_window),
            "scaleDownStabilizationSeconds": str(self.down_window),
            "scaleUpPods": str(self.up_pods),
            "scaleDownPercent": str(self.down_percent),
            "imageCache": "on" if self.image_cache else "off",
            "schedules": COMMITTED
            if self.schedules is None
            else (" ".join(f"{n}@{c.replace(' ', '_')}->{s}" for n, c, s in self.schedules) or "none"),
        }


Behavior = tuple[int, int, int, int]
"""``(scaleUpStabilizationSeconds, scaleDownStabilizationSeconds, scaleUpPods, scaleDownPercent)``."""


@dataclass(frozen=True)
class Space:
    """The values tried per dimension; ``max_replicas`` and ``splits`` are derived per target when left empty."""

    target_qps: tuple[int, ...]
    min_replicas: tuple[int, ...]
    up_windows: tuple[int, ...]
    down_windows: tuple[int, ...]
    image_cache: tuple[bool, ...]
    schedules: tuple[str, ...]  # committed, none, ahead
    splits: tuple[str, ...] = (COMMITTED, "lean")
    max_replicas: tuple[int, ...] = ()
    behaviors: tuple[Behavior, ...] = ()
    """``(up window, down window, up pods, down percent)`` profiles; when empty, every pair of ``up_windows`` and
    ``down_windows`` with the committed policies."""
    notes: list[str] = field(default_factory=list, compare=False)


IMAGE_CACHE_GIB = 40
"""``imageCache.sizeGiB`` of a cache the search turns on (the config layer's default)."""

MAX_POLICY_VALUE = 1000
"""``scaleUpPods`` bound of the config layer (stackconfig/models.py ``MAX_SCALE_POLICY_VALUE``)."""

MAX_REPLICAS_LIMIT = 1000
"""``maxReplicas`` bound of the config layer (stackconfig/models.py ``ModelConfig.max_replicas``)."""


def _int(value: Any, default: int) -> int:
    return int(value) if value is not None else default


def base_from_config(stack: str, config: Mapping[str, Any], model_index: int, validated: Any, project_dir: Path) -> Base:
    """The committed model: raw values from the stack file, defaults from the validated config (``StackConfig``)."""
    models = deepcopy(list(config["eci-inference:models"]))
    mc = validated.models[model_index]
    elastic = validated.scaling_mode != "resourcePolicy"
    units = tuple(UnitInfo(u.name, u.is_spot, KIND_ECI if u.is_eci else KIND_ECS, int(u.min), int(u.max)) for u in mc.units)
    current = Settings(
        target_qps=int(mc.target_qps),
        min_replicas=int(mc.min_replicas),
        max_replicas=int(mc.max_replicas),
        unit_min=tuple(u.min for u in units),
        unit_max=tuple(u.max for u in units),
        up_window=int(mc.scale_up_stabilization_seconds),
        down_window=int(mc.scale_down_stabilization_seconds),
        image_cache=mc.image_cache is not None,
        schedules=None,
        up_pods=int(mc.scale_up_pods),
        down_percent=int(mc.scale_down_percent),
    )
    return Base(
        stack,
        model_index,
        models,
        dict(config),
        elastic,
        int(mc.source_min),
        int(mc.source_max),
        units,
        None if mc.pdb_min_available is None else int(mc.pdb_min_available),
        current,
        project_dir,
    )


def default_space(base: Base, replica_qps: float) -> Space:
    """The space ``tools.tune`` searches (see the module docstring)."""
    cap = max(1, math.floor(replica_qps + 1e-9))
    targets = {cap, max(1, math.floor(0.9 * replica_qps + 1e-9)), max(1, math.floor(0.8 * replica_qps + 1e-9))}
    if base.current.target_qps <= replica_qps + 1e-9:
        targets.add(base.current.target_qps)
    c = base.current
    up = (c.up_window, c.up_window + 30 if c.up_window == 0 else 0)
    down = (c.down_window, 120 if c.down_window > 120 else 600)
    percent = 50 if c.down_percent < 50 else 10
    pods = min(MAX_POLICY_VALUE, 2 * c.up_pods)
    behaviors = (
        (c.up_window, c.down_window, c.up_pods, c.down_percent),
        (up[1], c.down_window, c.up_pods, c.down_percent),
        (c.up_window, down[1], c.up_pods, percent),
        (up[1], down[1], c.up_pods, percent),
        (c.up_window, c.down_window, pods, c.down_percent),
    )
    return Space(
        target_qps=tuple(sorted(targets, reverse=True)),
        min_replicas=tuple(dict.fromkeys((1, c.min_replicas))),
        up_windows=tuple(dict.fromkeys(up)),
        down_windows=tuple(dict.fromkeys(down)),
        behaviors=tuple(dict.fromkeys(behaviors)),
        image_cache=(False, True),
        schedules=(COMMITTED, "none", "ahead"),
    )


def _units_for(base: Base, split: str, max_replicas: int) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """Unit minima and maxima that hold ``max_replicas`` pods under a split, or None when the split cannot."""
    units = base.units
    mins = [u.min for u in units]
    maxima = [u.max for u in units] if split == COMMITTED else [u.max if u.spot else max(1, u.min) for u in units]
    spots = [i for i, u in enumerate(units) if u.spot]
    sink = spots[-1] if spots else len(units) - 1
    others = sum(m for i, m in enumerate(maxima) if i != sink) + (base.source_max if base.elastic else 0)
    maxima[sink] = max(1, mins[sink], max_replicas - others)
    if split != COMMITTED and spots:
        for i in spots[:-1]:
            maxima[i] = max(1, mins[i])
        others = sum(m for i, m in enumerate(maxima) if i != sink) + (base.source_max if base.elastic else 0)
        maxima[sink] = max(1, mins[sink], max_replicas - others)
    return tuple(mins), tuple(maxima)


def rises(trace: Trace, duration: int, horizon: int, replica_qps: float, limit: int = 4) -> list[tuple[int, float]]:
    """The largest rises of demand: ``(t, peak within horizon after t)`` for the up-steps whose demand grows by at
    least one pod's capacity within ``horizon`` seconds, at most ``limit``, at least ``horizon`` apart, in time order."""
    demand = trace.per_second(duration + 1)
    found: list[tuple[float, int, float]] = []
    for ts, before, after in trace.steps():
        t = int(ts)
        if after <= before or t > duration:
            continue
        top = max(demand[t : t + horizon + 1])
        if top - before >= replica_qps:
            found.append((top - before, t, top))
    chosen: list[tuple[int, float]] = []
    for _, t, top in sorted(found, key=lambda f: (-f[0], f[1])):
        if all(abs(t - c) > horizon for c, _ in chosen):
            chosen.append((t, top))
        if len(chosen) == limit:
            break
    return sorted(chosen)


def lead_seconds(world: World, image_cache: bool) -> int:
    """How long before a rise a schedule must fire: the slowest ECI start-up plus the metric's lag and one sync."""
    kind = KIND_ECI_CACHED if image_cache else KIND_ECI
    return math.ceil(world.startup(kind) + world.metric_delay + world.metric_window + world.sync_period)


def ahead_schedules(
    trace: Trace,
    duration: int,
    world: World,
    target_qps: int,
    min_replicas: int,
    max_replicas: int,
    replica_qps: float,
    image_cache: bool,
) -> tuple[Schedule, ...]:
    """A CronHPA pair per rise: up (``targetSize`` = pods for the rise's peak) one lead before, down after it."""
    lead = lead_seconds(world, image_cache)
    out: list[Schedule] = []
    for k, (t, top) in enumerate(rises(trace, duration, lead, replica_qps), start=1):
        at = (t - lead) // 60 * 60
        if at < 0:
            continue
        size = min(max_replicas, max(min_replicas + 1, math.ceil(top / target_qps - 1e-9)))
        down = at + 60 * math.ceil((lead + lead) / 60)
        for name, when, target in ((f"tune-up-{k}", at, size), (f"tune-down-{k}", down, min_replicas)):
            wall = (world.start + dt.timedelta(seconds=when)).astimezone(dt.UTC)
            out.append((name, f"{wall.minute} {wall.hour} * * *", target))
    return tuple(out)


def candidates(base: Base, space: Space, trace: Trace, duration: int, world: World, replica_qps: float) -> list[Settings]:
    """Every point of the space (the committed setting first), each once, each satisfying the config layer's rules
    that relate the searched keys (the rest is checked when the program renders it)."""
    peak = trace.peak
    seen: set[Settings] = set()
    out: list[Settings] = [base.current]
    seen.add(base.current)
    for target in space.target_qps:
        maxima = space.max_replicas or tuple(
            dict.fromkeys(min(MAX_REPLICAS_LIMIT, max(1, math.ceil(peak / q - 1e-9))) for q in (replica_qps, float(target)))
        )
        for max_replicas in maxima:
            for min_replicas in space.min_replicas:
                if min_replicas > max_replicas:
                    continue
                if base.pdb_min_available is not None and base.pdb_min_available >= max_replicas:
                    continue
                for split in space.splits:
                    units = _units_for(base, split, max_replicas)
                    if units is None:
                        continue
                    mins, maxs = units
                    if base.elastic and sum(mins) + base.source_min > max_replicas:
                        continue
                    behaviors = space.behaviors or tuple(
                        (up, down, base.current.up_pods, base.current.down_percent)
                        for up in space.up_windows
                        for down in space.down_windows
                    )
                    for up, down, up_pods, down_percent in behaviors:
                        for cache in space.image_cache:
                            for plan in space.schedules:
                                schedules: tuple[Schedule, ...] | None
                                if plan == COMMITTED:
                                    schedules = None
                                elif plan == "none":
                                    schedules = ()
                                else:
                                    schedules = ahead_schedules(
                                        trace, duration, world, target, min_replicas, max_replicas, replica_qps, cache
                                    )
                                if schedules == () and not base.raw_model.get("schedules"):
                                    schedules = None  # no schedules is what the stack file already says
                                if schedules is None and any(
                                    _int(s.get("targetSize"), 0) > max_replicas for s in base.raw_model.get("schedules") or []
                                ):
                                    continue
                                s = Settings(
                                    target,
                                    min_replicas,
                                    max_replicas,
                                    mins,
                                    maxs,
                                    up,
                                    down,
                                    cache,
                                    schedules,
                                    up_pods,
                                    down_percent,
                                )
                                if s not in seen:
                                    seen.add(s)
                                    out.append(s)
    return out


def apply(base: Base, settings: Settings, controller_tz: str) -> dict[str, Any]:
    """The config overrides (``key`` -> value) that make the stack file hold ``settings`` for the model."""
    models = deepcopy(base.models)
    m = models[base.model_index]
    c = base.current
    for key, value, committed in (
        ("targetQps", settings.target_qps, c.target_qps),
        ("minReplicas", settings.min_replicas, c.min_replicas),
        ("maxReplicas", settings.max_replicas, c.max_replicas),
        ("scaleUpStabilizationSeconds", settings.up_window, c.up_window),
        ("scaleDownStabilizationSeconds", settings.down_window, c.down_window),
        ("scaleUpPods", settings.up_pods, c.up_pods),
        ("scaleDownPercent", settings.down_percent, c.down_percent),
    ):
        if value != committed or key in m:
            m[key] = value
    for unit, lo, hi, info in zip(m["units"], settings.unit_min, settings.unit_max, base.units, strict=True):
        if hi != info.max or "max" in unit:
            unit["max"] = hi
        if lo != info.min or "min" in unit:
            unit["min"] = lo
    if settings.image_cache and m.get("imageCache") is None:
        m["imageCache"] = {"sizeGiB": IMAGE_CACHE_GIB}  # the program caches every image the pod runs
    elif not settings.image_cache:
        m.pop("imageCache", None)
    overrides: dict[str, Any] = {"models": models}
    if settings.schedules is not None:
        if settings.schedules:
            m["schedules"] = [
                {"name": n, "cron": cron, "timeZone": "UTC", "targetSize": size} for n, cron, size in settings.schedules
            ]
            if base.config.get("eci-inference:cronControllerTimeZone") is None:
                overrides["cronControllerTimeZone"] = controller_tz
        else:
            m.pop("schedules", None)
    return overrides
