"""Command line: ``python -m tools.calibrate OBSERVED.csv (--stack NAME | --manifests DIR) [--trace FILE.csv] --out DIR``."""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from tools.calibrate import EXIT_BAD_INPUT, EXIT_OK, CalibrateError
from tools.calibrate import fit as fit_mod
from tools.calibrate.observed import Timeline, read
from tools.simulate import SimulateError
from tools.simulate import prices as prices_mod
from tools.simulate.engine import Result, simulate
from tools.simulate.objects import (
    KIND_ECI,
    KIND_ECI_CACHED,
    KIND_ECS,
    ModelObjects,
    find_models,
    load_manifest_dir,
    load_stack,
    select_model,
)
from tools.simulate.world import World
from tools.simulate.worldfile import FORMAT
from tools.traces import Trace, TraceError, read_trace

STARTUP_OPTION = {KIND_ECS: "startup-ecs", KIND_ECI: "startup-eci", KIND_ECI_CACHED: "startup-eci-cached"}


def _set(world: World, option: str, value: float) -> World:
    """``world`` with one fitted parameter (named by its option) replaced."""
    setters = {
        "startup-ecs": lambda: dataclasses.replace(world, startup_ecs=value),
        "startup-eci": lambda: dataclasses.replace(world, startup_eci=value),
        "startup-eci-cached": lambda: dataclasses.replace(world, startup_eci_cached=value),
        "metric-delay": lambda: dataclasses.replace(world, metric_delay=value),
        "metric-window": lambda: dataclasses.replace(world, metric_window=value),
        "replica-qps": lambda: dataclasses.replace(world, replica_qps=value),
    }
    return setters[option]()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m tools.calibrate",
        description="Fit the simulator's world parameters to an observed timeline (tools.loadtest --watch).",
        epilog="Exit status: 0 success; 2 bad input.",
    )
    p.add_argument("observed", type=Path, metavar="OBSERVED.csv", help="the timeline.csv that tools.loadtest --watch wrote")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", metavar="NAME", help="the stack the run used (rendered in-process)")
    source.add_argument("--manifests", type=Path, metavar="DIR", help="the objects the run used (YAML files)")
    p.add_argument("--model", metavar="NAME", help="the model when there are several")
    p.add_argument(
        "--trace", type=Path, metavar="FILE.csv", help="the load the run sent (default: the timeline's demand_qps column)"
    )
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="where to write world.yaml and calibration.png")
    p.add_argument("--no-plot", action="store_true", help="skip calibration.png")
    return p


def _entry(value: float | None, spread: float | None, provenance: str, basis: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"value": None if value is None else round(float(value), 3)}
    if spread is not None:
        entry["uncertainty"] = round(float(spread), 3)
    entry["provenance"] = provenance
    entry["basis"] = basis
    return entry


def calibrate(timeline: Timeline, model: ModelObjects, base: World) -> tuple[World, dict[str, dict[str, Any]], list[str]]:
    """The fitted world, the ``parameters`` of world.yaml, and per-unit notes."""
    kinds, per_unit = fit_mod.fit_startups(timeline, model.units)
    params: dict[str, dict[str, Any]] = {}
    world = base
    load = base.model_load
    for kind, option in STARTUP_OPTION.items():
        estimate = kinds[kind]
        default = {KIND_ECS: base.startup_ecs, KIND_ECI: base.startup_eci, KIND_ECI_CACHED: base.startup_eci_cached}[kind]
        if estimate.value is None:
            params[option] = _entry(default, None, "assumed", estimate.basis)
            continue
        value = max(0.0, estimate.value - load)
        params[option] = _entry(
            value, estimate.uncertainty, "calibrated", f"{estimate.basis} {estimate.value:g} s minus model-load {load:g} s"
        )
        world = _set(world, option, value)
    params["model-load"] = _entry(
        load, None, "assumed", "not identifiable: a timeline shows creation and Ready only; the start-ups above include it"
    )
    metric = fit_mod.fit_metric(timeline, base.sync_period)
    for option, default, chosen in (
        ("metric-delay", base.metric_delay, None if metric is None else metric.delay),
        ("metric-window", base.metric_window, None if metric is None else metric.window),
    ):
        if chosen is None or chosen.value is None:
            why = "not identifiable: the timeline has no metric_qps" if chosen is None else chosen.basis
            params[option] = _entry(default, None, "source", why)
            continue
        params[option] = _entry(chosen.value, chosen.uncertainty, "calibrated", chosen.basis)
        world = _set(world, option, chosen.value)
    capacity, _lower = fit_mod.fit_capacity(timeline)
    if capacity.value is None:
        params["replica-qps"] = _entry(model.hpa.target_milli / 1000, None, "assumed", f"{capacity.basis}; the HPA's target kept")
    else:
        params["replica-qps"] = _entry(capacity.value, capacity.uncertainty, "calibrated", capacity.basis)
        world = _set(world, "replica-qps", capacity.value)
    notes = [e.basis + (f": {e.value:g} s creation to Ready" if e.value is not None else "") for e in per_unit.values()]
    return world, params, notes


def _trace_of(timeline: Timeline, path: Path | None) -> Trace:
    if path is not None:
        return read_trace(path)
    return Trace.of([(float(t), q) for t, q in enumerate(timeline.demand)], f"{Path(timeline.path).name} demand")


def ready_error(result: Result, timeline: Timeline) -> float:
    """Root mean square difference of the Ready pod count, simulated against observed."""
    n = min(result.duration, timeline.duration) + 1
    total = sum((result.ready[t] - timeline.ready[t]) ** 2 for t in range(n))
    return math.sqrt(total / n)


def run(args: argparse.Namespace) -> int:
    began = time.perf_counter()
    timeline = read(args.observed)
    objects = load_stack(args.stack) if args.stack else load_manifest_dir(args.manifests)
    model = select_model(find_models(objects), args.model)
    unknown = [u for u in timeline.unit_replicas if u not in {m.name for m in model.units}]
    if len(unknown) == len(timeline.unit_replicas):
        raise CalibrateError(
            f"{args.observed}: none of its units ({', '.join(unknown)}) is a unit of {model.name} "
            f"({', '.join(u.name for u in model.units)}): was it observed on another stack?"
        )
    trace = _trace_of(timeline, args.trace)
    book = prices_mod.load(None)
    before_world = World()
    fitted, params, notes = calibrate(timeline, model, before_world)
    before = simulate(model, trace, timeline.duration, before_world, book)
    after = simulate(model, trace, timeline.duration, fitted, book)
    errors = {"before": ready_error(before, timeline), "after": ready_error(after, timeline)}
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CalibrateError(f"--out {args.out}: {err}") from None
    document = {
        "format": FORMAT,
        "tool": "tools.calibrate",
        "observed": str(args.observed),
        "source": {"stack": args.stack} if args.stack else {"manifests": str(args.manifests)},
        "model": model.name,
        "parameters": params,
        "units": notes,
        "readyPodsRmse": {k: round(v, 3) for k, v in errors.items()},
    }
    header = (
        f"# World parameters fitted by tools.calibrate from {args.observed}.\n"
        "# calibrated: fitted from the run (uncertainty: one standard error, or the profile half-width);\n"
        "# assumed: the simulator's default, which this run could not identify (basis says why);\n"
        "# source: the default read from the upstream source, not identifiable from this run.\n"
    )
    try:
        (args.out / "world.yaml").write_text(header + yaml.safe_dump(document, sort_keys=False, width=120), encoding="utf-8")
        if not args.no_plot:
            from tools.calibrate import plot

            plot.calibration_png(
                args.out / "calibration.png", timeline, before, after, params, f"{args.stack or args.manifests}: {model.name}"
            )
    except OSError as err:
        raise CalibrateError(f"--out {args.out}: {err}") from None
    for key, entry in params.items():
        spread = f" +/- {entry['uncertainty']:g}" if "uncertainty" in entry else ""
        print(f"  {key:<20} {entry['value']:g}{spread} ({entry['provenance']}): {entry['basis']}")
    for note in notes:
        print(f"  unit {note}")
    print(f"  Ready pods, simulated vs observed (RMS): {errors['before']:.2f} with the defaults, {errors['after']:.2f} fitted")
    print(f"  wrote world.yaml{'' if args.no_plot else ', calibration.png'} in {args.out} ({time.perf_counter() - began:.1f} s)")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return run(args)
    except (CalibrateError, SimulateError, TraceError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
