"""Command line of the simulator: ``python -m tools.simulate --stack NAME | --manifests DIR  --pattern SPEC | --trace FILE
--out DIR [options]``. See the module docstring of :mod:`tools.simulate` and ``--help``."""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tools.simulate import EXIT_BAD_INPUT, SimulateError, report, worldfile
from tools.simulate import compare as compare_mod
from tools.simulate import prices as prices_mod
from tools.simulate.engine import Result, simulate
from tools.simulate.objects import ModelObjects, find_models, load_manifest_dir, load_stack, select_model
from tools.simulate.world import DEFAULT_CONTROLLER_TZ, DEFAULT_START, PARAMETERS, World
from tools.stackfile import StackFileError, read_stack_file
from tools.traces import PATTERN_HELP, TraceError, add_trace_arguments, default_duration, trace_from_args

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
MAX_DURATION = 31 * 86400
PROGRESS_FROM = 6 * 3600


def _epilog() -> str:
    rows = "\n".join(f"  {p.option:<22} {p.default:<28} {'(assumption) ' if p.assumption else ''}{p.source}" for p in PARAMETERS)
    return (
        f"{PATTERN_HELP}\n\nWorld parameters (option, default, source):\n{rows}\n\n"
        "Mode for exactness: --metric-delay 0 --metric-window 0 --startup 0 (the HPA reads the demand at each sync, pods\n"
        "are Ready at once, the run starts at minReplicas, the first sync is at t = sync period).\n\n"
        "Exit status: 0 success; 2 bad input; 3 a controller fight (two controllers setting the same replica count back\n"
        "and forth; wins over 4); 4 the units' total maximum x --replica-qps can never meet the trace's peak; 5 the\n"
        "--rollout leaves demand unmet (ready capacity below demand during the version change)."
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m tools.simulate",
        description="Simulate the HPA, ElasticWorkload/ResourcePolicy, Seldon operator and CronHPA of a stack under a load.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--stack", metavar="NAME", help="render Pulumi.<NAME>.yaml in-process (no cloud) and simulate its objects"
    )
    source.add_argument(
        "--manifests", type=Path, metavar="DIR", help="YAML files holding the HPA, its target, the SeldonDeployment..."
    )
    p.add_argument("--model", metavar="NAME", help="the model (SeldonDeployment, HPA or model name) when there are several")
    p.add_argument("--list-models", action="store_true", help="print the models found, one per line, and exit")
    p.add_argument("--out", type=Path, metavar="DIR", help="where to write timeline.csv, summary.json, scaling.png")
    p.add_argument("--prices", type=Path, metavar="FILE", help="prices per pod-hour (default: prices.example.yaml, placeholders)")
    p.add_argument(
        "--compare", type=Path, metavar="OBSERVED.csv", help="overlay an observed timeline.csv (tools.loadtest --watch)"
    )
    p.add_argument("--no-plot", action="store_true", help="skip the PNG files")
    p.add_argument(
        "--rollout",
        type=int,
        metavar="T",
        help="change the model version at second T: each Deployment rolls its pods per its RollingUpdate strategy",
    )
    add_trace_arguments(p, required=False)  # --list-models needs none; run() asks for one
    w = p.add_argument_group("world parameters (defaults and sources below)")
    w.add_argument(
        "--world", type=Path, metavar="FILE", help="world parameters from a file (tools.calibrate's world.yaml); options win"
    )
    w.add_argument("--sync-period", type=int, default=15, metavar="S")
    w.add_argument("--tolerance", type=float, default=0.1)
    w.add_argument("--downscale-window", type=float, default=300.0, metavar="S")
    w.add_argument("--metric-window", type=float, default=15.0, metavar="S")
    w.add_argument("--metric-delay", type=float, default=10.0, metavar="S")
    w.add_argument(
        "--startup", type=float, metavar="S", help="one creation-to-Ready time for every unit kind (model load included)"
    )
    w.add_argument("--startup-ecs", type=float, default=30.0, metavar="S")
    w.add_argument("--startup-eci", type=float, default=150.0, metavar="S")
    w.add_argument("--startup-eci-cached", type=float, default=45.0, metavar="S")
    w.add_argument("--model-load", type=float, default=20.0, metavar="S")
    w.add_argument("--replica-qps", type=float, metavar="QPS", help="what one ready pod serves (default: the HPA's averageValue)")
    w.add_argument("--spot-reclaims", type=float, default=0.0, metavar="N", help="spot reclaims per hour (Poisson, seeded)")
    w.add_argument("--spot-notice", type=float, default=180.0, metavar="S")
    w.add_argument("--seed", type=int, default=0)
    w.add_argument("--seldon-delay", type=int, default=1, metavar="S")
    w.add_argument("--start", default=DEFAULT_START, metavar="ISO8601", help="wall-clock instant of t = 0, with its UTC offset")
    w.add_argument("--controller-tz", default=DEFAULT_CONTROLLER_TZ, metavar="ZONE", help="the CronHPA controller's time zone")
    return p


def _non_negative(args: argparse.Namespace, *names: str) -> None:
    for name in names:
        value = getattr(args, name)
        if value is not None and (not math.isfinite(value) or value < 0):
            raise SimulateError(f"--{name.replace('_', '-')} {value}: must be a number >= 0")


def world_from_args(args: argparse.Namespace) -> World:
    _non_negative(
        args,
        "tolerance",
        "downscale_window",
        "metric_window",
        "metric_delay",
        "startup",
        "startup_ecs",
        "startup_eci",
        "startup_eci_cached",
        "model_load",
        "spot_reclaims",
        "spot_notice",
    )
    if args.sync_period < 1:
        raise SimulateError(f"--sync-period {args.sync_period}: must be at least 1 second")
    if args.seldon_delay < 0:
        raise SimulateError(f"--seldon-delay {args.seldon_delay}: must be >= 0")
    if args.replica_qps is not None and (not math.isfinite(args.replica_qps) or args.replica_qps <= 0):
        raise SimulateError(f"--replica-qps {args.replica_qps}: must be a number > 0")
    try:
        start = dt.datetime.fromisoformat(args.start)
    except ValueError:
        raise SimulateError(f"--start {args.start!r}: not an ISO 8601 date-time") from None
    if start.tzinfo is None:
        raise SimulateError(f"--start {args.start!r}: give the UTC offset, e.g. 2024-01-01T08:00:00+08:00")
    try:
        ZoneInfo(args.controller_tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise SimulateError(f"--controller-tz {args.controller_tz!r}: unknown IANA time zone") from None
    return World(
        sync_period=args.sync_period,
        tolerance=args.tolerance,
        downscale_window=args.downscale_window,
        metric_window=args.metric_window,
        metric_delay=args.metric_delay,
        startup_ecs=args.startup_ecs,
        startup_eci=args.startup_eci,
        startup_eci_cached=args.startup_eci_cached,
        model_load=args.model_load,
        startup_override=args.startup,
        replica_qps=args.replica_qps,
        spot_reclaims=args.spot_reclaims,
        spot_notice=args.spot_notice,
        seed=args.seed,
        seldon_delay=args.seldon_delay,
        start=start,
        controller_tz=args.controller_tz,
    )


def _stack_cron_zone(stack: str) -> str | None:
    """The stack's ``cronControllerTimeZone`` (what the program translated the schedules into), if its file sets it."""
    path = PROJECT_DIR / f"Pulumi.{stack}.yaml"
    try:
        config = read_stack_file(path) if path.is_file() else None
    except StackFileError:
        return None
    value = config.get("eci-inference:cronControllerTimeZone") if config is not None else None
    return str(value) if value is not None else ("UTC" if config is not None else None)


def _progress(t: int, total: int) -> None:
    width = 30
    done = int(width * t / total) if total else width
    sys.stderr.write(f"\r  simulating [{'#' * done}{'.' * (width - done)}] {t // 3600:>3} h / {total // 3600} h")
    sys.stderr.flush()
    if t >= total - 3600:
        sys.stderr.write("\n")


def run(args: argparse.Namespace) -> int:
    objects = load_stack(args.stack) if args.stack else load_manifest_dir(args.manifests)
    models = find_models(objects)
    if args.list_models:
        for m in models:
            print(m.name)
        return 0
    if args.out is None:
        raise SimulateError("--out DIR is required")
    model: ModelObjects = select_model(models, args.model)
    trace = trace_from_args(args)
    duration = default_duration(trace, args)
    if duration > MAX_DURATION:
        raise SimulateError(f"--duration {duration:g}: at most {MAX_DURATION} seconds (31 days)")
    seconds = max(1, math.ceil(duration))
    world = world_from_args(args)
    book = prices_mod.load(args.prices)
    observed = compare_mod.read_observed(args.compare) if args.compare is not None else None
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise SimulateError(f"--out {args.out}: {err}") from None
    show = sys.stderr.isatty() and seconds >= PROGRESS_FROM
    began = time.perf_counter()
    if args.rollout is not None and not 0 <= args.rollout <= seconds:
        raise SimulateError(f"--rollout {args.rollout}: must be a second of the run, 0 to {seconds}")
    result: Result = simulate(model, trace, seconds, world, book, progress=_progress if show else None, rollout_at=args.rollout)
    elapsed = time.perf_counter() - began
    source: dict[str, Any] = {"stack": args.stack} if args.stack else {"manifests": str(args.manifests)}
    data = report.summary(result, source)
    notes: list[str] = []
    if args.stack and model.cron is not None:
        zone = _stack_cron_zone(args.stack)
        if zone is not None and zone != world.controller_tz:
            notes.append(
                f"  note: Pulumi.{args.stack}.yaml translates the schedules into cronControllerTimeZone {zone}, but the "
                f"controller is simulated in {world.controller_tz} (--controller-tz; the chart's TZ); check which one "
                "your add-on runs in"
            )
            data["notes"] = [n.strip() for n in notes]
    if observed is not None:
        data["compare"] = compare_mod.differences(result, observed)
    try:
        report.write_timeline(result, args.out / "timeline.csv")
        report.write_summary(data, args.out / "summary.json")
        title = f"{args.stack or args.manifests}: {model.name} ({model.mode}), trace {trace.name}"
        if not args.no_plot:
            from tools.simulate import plot

            plot.scaling_png(result, args.out / "scaling.png", title)
            if observed is not None:
                plot.compare_png(result, observed, args.out / "compare.png", f"{title}: observed vs simulated")
    except OSError as err:
        raise SimulateError(f"--out {args.out}: {err}") from None
    print(report.text(data))
    for note in notes:
        print(note)
    if observed is not None:
        print(compare_mod.text(data["compare"]))
    files = (
        "timeline.csv, summary.json"
        + ("" if args.no_plot else ", scaling.png")
        + (", compare.png" if observed and not args.no_plot else "")
    )
    print(f"  wrote {files} in {args.out} (simulated {seconds} s in {elapsed:.2f} s)")
    status: int = data["exitStatus"]
    return status


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.world is not None:
            worldfile.apply(args, worldfile.read(args.world), sys.argv[1:] if argv is None else argv)
        return run(args)
    except (SimulateError, TraceError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
