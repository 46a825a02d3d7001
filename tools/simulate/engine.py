"""The simulation loop: one step per second, the controllers in the order they react to each other.

Each second ``t``: (1) CronHPA jobs due at ``t`` (:mod:`tools.simulate.cronhpa`); (2) the HPA, every sync period from
``t = sync period`` on (:mod:`tools.simulate.hpa`, reading :mod:`tools.simulate.metrics`); (3) the ElasticWorkload
writes each unit Deployment's share (:mod:`tools.simulate.elastic`); (4) the Seldon operator writes its count back
``--seldon-delay`` seconds after someone else changed it (:mod:`tools.simulate.seldon`); (5) each Deployment creates or
removes pods (ResourcePolicy mode: new pods go to the first unit with room, removals start from the last unit);
(6) pods whose start-up time has passed turn Ready; (7) spot reclaims; (8) the ready pods serve the demand, every
existing pod is billed.

The per-second work is O(units): pods are counted per unit in two queues (pending, ready) ordered by creation.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from tools.simulate.cronhpa import Firing, HpaBounds, firings, scale_hpa
from tools.simulate.elastic import place, split
from tools.simulate.hpa import HpaController
from tools.simulate.metrics import MetricPipeline
from tools.simulate.objects import ModelObjects
from tools.simulate.prices import PriceBook
from tools.simulate.rollout import RollingState, fenceposts
from tools.simulate.seldon import Fight, FightDetector, desired_replicas
from tools.simulate.world import World
from tools.traces import Trace


@dataclass
class SyncRecord:
    t: int
    current: int
    status: int
    metric_qps: float | None
    proposal: int | None
    desired: int
    min_replicas: int
    max_replicas: int
    reason: str


@dataclass
class Reclaim:
    t: int
    unit: str
    evicted_at: int


@dataclass
class Rollout:
    """A model-version change at ``start`` (``--rollout``): the pods' template changes, each Deployment rolls."""

    start: int
    old_version: int
    new_version: int
    max_surge: int | str
    max_unavailable: int | str
    strategy_source: str
    end: int | None = None  # the second every Deployment was complete (None: not within the run)


@dataclass
class Result:
    """Per-second series (index = t) and the events of one run."""

    model: ModelObjects
    trace: Trace
    world: World
    duration: int
    replica_qps: float
    currency: str
    placeholder_prices: bool
    start_replicas: int
    demand: list[float] = field(default_factory=list)
    metric: list[float | None] = field(default_factory=list)
    desired: list[int | None] = field(default_factory=list)
    replicas: list[int] = field(default_factory=list)
    ready: list[int] = field(default_factory=list)
    unit_replicas: list[list[int]] = field(default_factory=list)
    unit_ready: list[list[int]] = field(default_factory=list)
    served: list[float] = field(default_factory=list)
    unmet: list[float] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    on_demand_cost: float = 0.0
    pod_seconds: float = 0.0
    spot_pod_seconds: float = 0.0
    syncs: list[SyncRecord] = field(default_factory=list)
    cron_events: list[dict[str, object]] = field(default_factory=list)
    reclaims: list[Reclaim] = field(default_factory=list)
    fights: list[Fight] = field(default_factory=list)
    unit_deployments: list[str] = field(default_factory=list)
    rollout: Rollout | None = None
    version_ready: dict[int, list[int]] = field(default_factory=dict)  # per model version, ready pods per second


class _Unit:
    __slots__ = (
        "created",
        "deployment",
        "index",
        "od_price",
        "old_pending",
        "old_ready",
        "pending",
        "price",
        "ready",
        "rolling",
        "spec",
        "spot",
        "startup",
        "unit",
    )

    def __init__(self, index: int, unit_name: str, deployment: str, startup: float, price: float, od: float, spot: bool) -> None:
        self.index = index
        self.unit = unit_name
        self.deployment = deployment
        self.startup = startup
        self.price = price
        self.od_price = od
        self.spot = spot
        self.pending: deque[tuple[float, float]] = deque()  # (created, ready at), in creation order
        self.ready: deque[float] = deque()  # creation times
        self.old_pending: deque[tuple[float, float]] = deque()  # the previous version's pods during a rollout
        self.old_ready: deque[float] = deque()
        self.rolling: RollingState | None = None  # ElasticWorkload mode: this unit's Deployment during a rollout
        self.spec = 0

    @property
    def count(self) -> int:
        return len(self.pending) + len(self.ready) + len(self.old_pending) + len(self.old_ready)

    @property
    def new_count(self) -> int:
        return len(self.pending) + len(self.ready)

    @property
    def old_count(self) -> int:
        return len(self.old_pending) + len(self.old_ready)

    def remove_old(self) -> bool:
        """Remove an old-version pod, not-ready first, then the newest."""
        if self.old_pending:
            self.old_pending.pop()
            return True
        if self.old_ready:
            self.old_ready.pop()
            return True
        return False

    def create(self, t: int) -> None:
        self.pending.append((float(t), t + self.startup))

    def remove_one(self) -> bool:
        """Remove the newest not-ready pod, else the newest ready pod (ReplicaSet: not-ready and younger first)."""
        if self.pending:
            self.pending.pop()
            return True
        if self.ready:
            self.ready.pop()
            return True
        return False

    def remove_created(self, created: float) -> bool:
        for queue in (self.ready, self.old_ready):
            if created in queue:
                queue.remove(created)
                return True
        for pending in (self.pending, self.old_pending):
            for item in pending:
                if item[0] == created:
                    pending.remove(item)
                    return True
        return False


def start_replicas(model: ModelObjects, first_demand: float, world: World) -> int:
    """The count at ``t = 0``: minReplicas in the mode for exactness, else the HPA's steady state for the first demand."""
    hpa = model.hpa
    if world.exact:
        return hpa.min_replicas
    steady = math.ceil(first_demand * 1000 / hpa.target_milli - 1e-9)
    return min(max(steady, hpa.min_replicas), hpa.max_replicas)


def simulate(
    model: ModelObjects,
    trace: Trace,
    duration: int,
    world: World,
    prices: PriceBook,
    progress: Callable[[int, int], None] | None = None,
    rollout_at: int | None = None,
) -> Result:
    """Run ``duration`` seconds (rows ``t = 0 .. duration``) and return the series and events; with ``rollout_at``, the
    pod template changes to the next model version at that second (:mod:`tools.simulate.rollout`)."""
    hpa_spec = model.hpa
    replica_qps = world.replica_qps if world.replica_qps is not None else hpa_spec.target_milli / 1000
    n = duration + 1
    demand = trace.per_second(n)
    pipeline = MetricPipeline(demand, world.metric_window, world.metric_delay)
    hpa = HpaController(hpa_spec.behavior, hpa_spec.target_milli, world.tolerance, world.downscale_window)
    bounds = HpaBounds(hpa_spec.min_replicas, hpa_spec.max_replicas)
    hpa_writer = f"HorizontalPodAutoscaler/{hpa_spec.name}"
    ew_mode = model.mode == "elasticWorkload"
    source_deployment = model.seldon_target.split("/", 1)[1] if model.seldon_target else None

    units: list[_Unit] = []
    for i, mu in enumerate(model.units):
        price, od = prices.for_unit(mu)
        if ew_mode:
            base = source_deployment or model.target_ref.split("/", 1)[1] + "-source"
            deployment = base if i == 0 else f"{base}-unit-{mu.name}"
        else:
            deployment = model.target_ref.split("/", 1)[1]
        units.append(_Unit(i, mu.name, deployment, world.startup(mu.kind), price, od, mu.spot))
    maxima = [mu.max for mu in model.units]
    ew_bounds = [(mu.min, mu.max) for mu in model.units]
    result = Result(
        model,
        trace,
        world,
        duration,
        replica_qps,
        prices.currency,
        prices.placeholder,
        0,
        unit_replicas=[[] for _ in units],
        unit_ready=[[] for _ in units],
        unit_deployments=[u.deployment for u in units],
    )

    rollout: Rollout | None = None
    old_version = model.seldon.version if model.seldon is not None and model.seldon.version is not None else 1
    if rollout_at is not None:
        strategy = model.strategy
        rollout = Rollout(rollout_at, old_version, old_version + 1, strategy.max_surge, strategy.max_unavailable, strategy.source)
        result.rollout = rollout
        result.version_ready = {old_version: [], old_version + 1: []}
    rolling_all: RollingState | None = None  # ResourcePolicy / plain Deployment mode: the one Deployment

    # ---- initial state: the target at its start count, every pod Ready
    r0 = start_replicas(model, demand[0], world)
    result.start_replicas = r0
    target_spec = r0
    detector = FightDetector(window=max(60.0, 2.0 * world.sync_period + world.seldon_delay))
    detector.write(model.target_ref, hpa_writer, r0, 0)
    unplaced = 0
    if ew_mode:
        for u, share in zip(units, split(r0, ew_bounds), strict=True):
            u.spec = share
            u.ready.extend([0.0] * share)
            detector.write(f"Deployment/{u.deployment}", f"{model.target_ref}", share, 0)
    else:
        for _ in range(r0):
            where = place([u.count for u in units], maxima)
            if where is None:
                unplaced += 1
            else:
                units[where].ready.append(0.0)

    seldon_value = desired_replicas(model.seldon) if model.seldon is not None else None
    seldon_writer = f"{model.seldon.kind}/{model.seldon.name}" if model.seldon is not None else ""
    seldon_dirty_since: int | None = None

    zone = ZoneInfo(world.controller_tz)
    cron_firings: list[Firing] = []
    cron_writer = ""
    if model.cron is not None:
        cron_writer = f"CronHorizontalPodAutoscaler/{model.cron.name}"
        jobs = [(j.name, j.schedule, j.target_size, j.run_once) for j in model.cron.jobs]
        cron_firings = firings(jobs, world.start, zone, duration)
    cron_index = 0

    rng = random.Random(world.seed)
    reclaim_times: list[int] = []
    if world.spot_reclaims > 0 and any(u.spot for u in units):
        rate = world.spot_reclaims / 3600.0
        at = rng.expovariate(rate)
        while at <= duration:
            reclaim_times.append(int(at))
            at += rng.expovariate(rate)
    reclaim_index = 0
    doomed: list[tuple[int, int, float]] = []  # (time of removal, unit index, creation time)

    sync = world.sync_period
    hpa_status_current = r0
    last_metric: float | None = None
    last_desired: int | None = None
    cost = 0.0
    od_cost = 0.0
    pod_seconds = 0.0
    spot_seconds = 0.0
    rows_replicas = result.replicas
    rows_ready = result.ready
    unit_rep = result.unit_replicas
    unit_rdy = result.unit_ready
    report_every = 3600 if progress is not None else 0

    for t in range(n):
        # (1) CronHPA
        while cron_index < len(cron_firings) and cron_firings[cron_index].t == t:
            f = cron_firings[cron_index]
            cron_index += 1
            before = (bounds.min_replicas, bounds.max_replicas)
            written = scale_hpa(bounds, hpa_status_current, f.target_size)
            if written is not None:
                target_spec = written
                detector.write(model.target_ref, cron_writer, written, t)
            result.cron_events.append(
                {
                    "t": t,
                    "wall": f.wall,
                    "job": f.job,
                    "targetSize": f.target_size,
                    "hpaCurrentReplicas": hpa_status_current,
                    "minReplicas": [before[0], bounds.min_replicas],
                    "maxReplicas": [before[1], bounds.max_replicas],
                    "scaledTargetTo": written,
                }
            )
        # (2) HPA
        if t >= sync and t % sync == 0:
            status = sum(u.count for u in units) + (0 if ew_mode else unplaced)
            usage = pipeline.milli(t)
            r = hpa.sync(target_spec, status, usage, bounds.min_replicas, bounds.max_replicas, float(t))
            hpa_status_current = r.current
            last_metric = usage / 1000 if r.metric_milli is not None else last_metric
            last_desired = r.desired
            result.syncs.append(
                SyncRecord(
                    t, r.current, status, usage / 1000, r.proposal, r.desired, bounds.min_replicas, bounds.max_replicas, r.reason
                )
            )
            if r.rescale:
                target_spec = r.desired
                detector.write(model.target_ref, hpa_writer, r.desired, t)
        # (3) ElasticWorkload
        if ew_mode:
            shares = split(target_spec, ew_bounds)
            for u in units:
                share = shares[u.index]
                if u.spec != share:
                    u.spec = share
                    detector.write(f"Deployment/{u.deployment}", model.target_ref, share, t)
        # (4) Seldon operator
        if seldon_value is not None:
            current = units[0].spec if ew_mode else target_spec
            if current != seldon_value:
                if seldon_dirty_since is None:
                    seldon_dirty_since = t
                if t - seldon_dirty_since >= world.seldon_delay:
                    if ew_mode:
                        units[0].spec = seldon_value
                    else:
                        target_spec = seldon_value
                    detector.write(model.seldon_target or "", seldon_writer, seldon_value, t)
                    seldon_dirty_since = None
            else:
                seldon_dirty_since = None
        # (5) pods
        if rollout is not None and t == rollout.start:
            for u in units:
                u.old_pending, u.pending = u.pending, deque()
                u.old_ready, u.ready = u.ready, deque()
                if ew_mode:
                    u.rolling = RollingState(0, u.old_count)
            if not ew_mode:
                rolling_all = RollingState(0, sum(u.old_count for u in units))
        if ew_mode and any(u.rolling is not None for u in units):
            assert rollout is not None
            for u in units:
                state = u.rolling
                if state is None:
                    continue
                surge, unavailable = fenceposts(rollout.max_surge, rollout.max_unavailable, u.spec)
                state.settle(u.spec, len(u.ready), len(u.old_ready), surge, unavailable)
                while u.new_count < state.new_spec:
                    u.create(t)
                while u.new_count > state.new_spec and u.remove_one():
                    pass
                while u.old_count > state.old_spec and u.remove_old():
                    pass
            rollout_units_done = all(u.rolling is None or u.rolling.done(u.spec, len(u.ready)) for u in units)
            if rollout_units_done:
                for u in units:
                    u.rolling = None
                rollout.end = t
        elif rolling_all is not None:
            assert rollout is not None
            new_ready = sum(len(u.ready) for u in units)
            surge, unavailable = fenceposts(rollout.max_surge, rollout.max_unavailable, target_spec)
            rolling_all.settle(target_spec, new_ready, sum(len(u.old_ready) for u in units), surge, unavailable)
            new_total = sum(u.new_count for u in units) + unplaced
            while unplaced and new_total > rolling_all.new_spec:
                unplaced -= 1
                new_total -= 1
            while new_total > rolling_all.new_spec:
                for u in reversed(units):
                    if u.remove_one():
                        break
                new_total -= 1
            old_total = sum(u.old_count for u in units)
            while old_total > rolling_all.old_spec:
                if not any(u.old_pending for u in units):
                    next(u for u in reversed(units) if u.old_ready).old_ready.pop()
                else:
                    next(u for u in reversed(units) if u.old_pending).old_pending.pop()
                old_total -= 1

            def counted() -> list[int]:
                return [u.new_count if model.units_per_template else u.count for u in units]

            while unplaced:
                where = place(counted(), maxima)
                if where is None:
                    break
                units[where].create(t)
                unplaced -= 1
            while new_total < rolling_all.new_spec:
                where = place(counted(), maxima)
                if where is None:
                    unplaced += 1
                else:
                    units[where].create(t)
                new_total += 1
            if rolling_all.done(target_spec, new_ready) and not unplaced:
                rolling_all = None
                rollout.end = t
        elif ew_mode:
            for u in units:
                count = u.count
                while count < u.spec:
                    u.create(t)
                    count += 1
                while count > u.spec and u.remove_one():
                    count -= 1
        else:
            total = sum(u.count for u in units) + unplaced
            while unplaced and total > target_spec:
                unplaced -= 1
                total -= 1
            while total > target_spec:
                for u in reversed(units):
                    if u.remove_one():
                        break
                total -= 1
            while unplaced:
                where = place([u.count for u in units], maxima)
                if where is None:
                    break
                units[where].create(t)
                unplaced -= 1
            while total < target_spec:
                where = place([u.count for u in units], maxima)
                if where is None:
                    unplaced += 1
                else:
                    units[where].create(t)
                total += 1
        # (6) readiness
        for u in units:
            pending = u.pending
            while pending and pending[0][1] <= t:
                u.ready.append(pending.popleft()[0])
            old = u.old_pending
            while old and old[0][1] <= t:
                u.old_ready.append(old.popleft()[0])
        # (7) spot reclaims
        while reclaim_index < len(reclaim_times) and reclaim_times[reclaim_index] == t:
            reclaim_index += 1
            eligible: list[tuple[_Unit, float]] = []
            for u in units:
                if not u.spot:
                    continue
                protected_until = model.units[u.index].protection_hours * 3600
                for ready in (u.ready, u.old_ready):
                    eligible.extend((u, c) for c in ready if t - c >= protected_until)
                for pending in (u.pending, u.old_pending):
                    eligible.extend((u, c) for c, _ in pending if t - c >= protected_until)
            if not eligible:
                continue
            victim_unit, created = eligible[rng.randrange(len(eligible))]
            if model.units[victim_unit.index].api_evict:
                victim_unit.remove_created(created)
                result.reclaims.append(Reclaim(t, victim_unit.unit, t))
            else:
                at = t + int(world.spot_notice)
                doomed.append((at, victim_unit.index, created))
                result.reclaims.append(Reclaim(t, victim_unit.unit, at))
        if doomed:
            keep: list[tuple[int, int, float]] = []
            for at, index, created in doomed:
                if at <= t:
                    units[index].remove_created(created)
                else:
                    keep.append((at, index, created))
            doomed = keep
        # (8) serve and bill
        ready_total = 0
        existing = unplaced
        result.cost.append(cost)  # accrued over [0, t)
        new_ready_total = 0
        for u in units:
            new_ready_total += len(u.ready)
            r_count = len(u.ready) + len(u.old_ready)
            c_count = u.count
            unit_rep[u.index].append(c_count)
            unit_rdy[u.index].append(r_count)
            ready_total += r_count
            existing += c_count
            if c_count and t < duration:
                cost += c_count * u.price
                od_cost += c_count * u.od_price
                pod_seconds += c_count
                if u.spot:
                    spot_seconds += c_count
        rows_replicas.append(existing)
        rows_ready.append(ready_total)
        if rollout is not None:
            started = t >= rollout.start
            result.version_ready[rollout.old_version].append(ready_total - new_ready_total if started else ready_total)
            result.version_ready[rollout.new_version].append(new_ready_total if started else 0)
        q = demand[t]
        served = min(q, ready_total * replica_qps)
        result.served.append(served)
        result.unmet.append(q - served)
        result.metric.append(last_metric)
        result.desired.append(last_desired)
        if report_every and progress is not None and t % report_every == 0:
            progress(t, duration)
    result.demand = demand
    result.on_demand_cost = od_cost
    result.pod_seconds = pod_seconds
    result.spot_pod_seconds = spot_seconds
    result.fights = detector.report()
    return result
