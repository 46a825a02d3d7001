"""One candidate under one seed: render it with the program, simulate it, measure cost, unmet demand and time to capacity.

The render (:func:`tools.render.pipeline.render_stack` with the candidate's ``models`` as an override) runs the config
layer and the components exactly as ``pulumi up`` would, so a candidate the config layer refuses is never simulated
(it is counted as refused). The objects are read by the simulator's own loader (:func:`find_models`) and run by its
engine; only the seed of the world changes between draws. Work is spread over processes (``fork``), one per core.
"""

from __future__ import annotations

import dataclasses
import math
import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tools.simulate import SimulateError
from tools.simulate.engine import Result, simulate
from tools.simulate.objects import ModelObjects, find_models, select_model
from tools.simulate.prices import PriceBook
from tools.simulate.report import summary
from tools.simulate.world import World
from tools.traces import Trace
from tools.tune.space import Base, Settings, apply


@dataclass(frozen=True)
class Context:
    """What every evaluation shares (sent once to each worker)."""

    base: Base
    trace: Trace
    duration: int
    world: World
    prices: PriceBook
    sdep_name: str


@dataclass(frozen=True)
class Outcome:
    """One candidate under one seed; ``refused`` holds the config layer's message when it refused the candidate."""

    index: int
    seed: int
    cost: float = math.inf
    per_million: float | None = None
    unmet: float = 1.0
    worst_ttc: float = math.inf  # seconds; inf when capacity never met the demand after some rise
    peak_pods: int = 0
    refused: str | None = None


def worst_time_to_capacity(result: Result) -> float:
    """Over every rise of demand: seconds from the rise until ready capacity first meets the demand again (whatever the
    demand has become by then); inf when it never does before the end of the run."""
    n = result.duration
    demand, ready, per_pod = result.demand, result.ready, result.replica_qps
    next_ok = [math.inf] * (n + 2)
    for t in range(n, -1, -1):
        next_ok[t] = float(t) if ready[t] * per_pod >= demand[t] - 1e-9 else next_ok[t + 1]
    worst = 0.0
    for ts, before, after in result.trace.steps():
        t = math.ceil(ts)
        if after > before and t <= n:
            worst = max(worst, next_ok[t] - ts)
    return worst


def run_one(model: ModelObjects, ctx: Context, seed: int) -> Result:
    world = dataclasses.replace(ctx.world, seed=seed)
    return simulate(model, ctx.trace, ctx.duration, world, ctx.prices)


def measure(index: int, seed: int, result: Result) -> Outcome:
    data = summary(result, {})
    return Outcome(
        index=index,
        seed=seed,
        cost=float(data["cost"]["total"]),
        per_million=data["cost"]["perMillionServed"],
        unmet=float(data["unmetFraction"]),
        worst_ttc=worst_time_to_capacity(result),
        peak_pods=int(data["peakReplicas"]),
    )


def render_model(ctx: Context, settings: Settings) -> ModelObjects:
    """The candidate's objects, rendered by the program; raises :class:`SimulateError` when the config layer refuses."""
    from tools.render.model import RenderError
    from tools.render.pipeline import render_stack  # the program and the providers' SDKs load here only

    overrides = apply(ctx.base, settings, ctx.world.controller_tz)
    try:
        rendered = render_stack(ctx.base.stack, overrides, project_dir=ctx.base.project_dir)
    except RenderError as err:
        raise SimulateError(" ".join(line.strip() for line in str(err).splitlines()) or type(err).__name__) from None
    objects = [dict(m.body) for m in rendered.manifests]
    return select_model(find_models(objects), ctx.sdep_name)


# ---------------------------------------------------------------------------------------------- workers

_CTX: Context | None = None
_SETTINGS: Sequence[Settings] = ()
_RENDERED: dict[Settings, ModelObjects | str] = {}
"""Rendered candidates of the current context (a render does not depend on the seed)."""


def _init(ctx: Context, settings: Sequence[Settings]) -> None:
    global _CTX, _SETTINGS
    if ctx is not _CTX:
        _RENDERED.clear()
    _CTX, _SETTINGS = ctx, settings


def _task(job: tuple[int, int]) -> Outcome:
    index, seed = job
    assert _CTX is not None
    settings = _SETTINGS[index]
    model = _RENDERED.get(settings)
    if model is None:
        try:
            model = render_model(_CTX, settings)
        except SimulateError as err:
            model = str(err)
        _RENDERED[settings] = model
    if isinstance(model, str):
        return Outcome(index, seed, refused=model)
    return measure(index, seed, run_one(model, _CTX, seed))


class Evaluator:
    """Runs (candidate, seed) jobs on ``workers`` processes (1: in this process), keeping every outcome."""

    def __init__(self, ctx: Context, settings: Sequence[Settings], workers: int | None = None) -> None:
        self.ctx = ctx
        self.settings = settings
        self.workers = workers or os.cpu_count() or 1
        self.outcomes: dict[tuple[int, int], Outcome] = {}
        self._pool: Any = None

    def __enter__(self) -> Evaluator:
        if self.workers > 1:
            context = multiprocessing.get_context("fork")
            self._pool = context.Pool(self.workers, initializer=_init, initargs=(self.ctx, self.settings))
        else:
            _init(self.ctx, self.settings)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()

    def run(self, jobs: Iterable[tuple[int, int]], progress: Callable[[int], None] | None = None) -> list[Outcome]:
        todo = [j for j in jobs if j not in self.outcomes]
        results: list[Outcome] = []
        iterator = self._pool.imap_unordered(_task, todo, chunksize=1) if self._pool is not None else map(_task, todo)
        for outcome in iterator:
            self.outcomes[(outcome.index, outcome.seed)] = outcome
            results.append(outcome)
            if progress is not None:
                progress(1)
        return results
