"""Command line of the tuner: ``python -m tools.tune --stack NAME (--trace FILE.csv | --pattern SPEC) --out DIR [options]``."""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tools.simulate import SimulateError, worldfile
from tools.simulate import prices as prices_mod
from tools.simulate.world import World
from tools.stackfile import StackFileError, read_stack_file
from tools.traces import PATTERN_HELP, TraceError, add_trace_arguments, default_duration, trace_from_args
from tools.tune import EXIT_BAD_INPUT, EXIT_NO_SETTING, EXIT_OK, TuneError
from tools.tune import report as report_mod
from tools.tune.evaluate import Context, Evaluator, render_model, run_one
from tools.tune.search import Slo, search, verdict
from tools.tune.space import Base, apply, base_from_config, candidates, default_space
from tools.tune.stackedit import rewrite, unified_diff

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
MAX_DURATION = 31 * 86400
MAX_SEEDS = 100


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m tools.tune",
        description="Search a stack's scaling settings for the cheapest that meets an SLO in the simulator.",
        epilog=(
            f"{PATTERN_HELP}\n\nExit status: 0 a setting meets the SLO; 6 none in the space does (the closest is printed); "
            "2 bad input."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--stack", required=True, metavar="NAME", help="tune Pulumi.<NAME>.yaml")
    p.add_argument("--model", metavar="NAME", help="the model (its name or its SeldonDeployment's) when the stack serves several")
    add_trace_arguments(p)
    p.add_argument("--world", type=Path, metavar="FILE", help="world parameters (tools.calibrate's world.yaml)")
    p.add_argument(
        "--replica-qps",
        type=float,
        metavar="QPS",
        help="what one ready pod serves (default: the world's, else the committed targetQps, assumed)",
    )
    p.add_argument("--spot-reclaims", type=float, metavar="N", help="spot reclaims per hour (default: the world's, 0)")
    p.add_argument("--prices", type=Path, metavar="FILE", help="prices per pod-hour (default: prices.example.yaml, placeholders)")
    p.add_argument("--slo-unmet", type=float, default=0.01, metavar="FRACTION", help="most unmet demand allowed (default 0.01)")
    p.add_argument(
        "--slo-capacity", type=float, metavar="SECONDS", help="after every rise of demand, capacity must arrive within this"
    )
    p.add_argument("--seeds", type=int, default=3, metavar="N", help="spot-reclaim draws each candidate must pass (default 3)")
    p.add_argument("--workers", type=int, metavar="N", help="processes (default: every core)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="where to write the results")
    p.add_argument("--write", action="store_true", help="apply the recommendation to Pulumi.<stack>.yaml, keeping its comments")
    p.add_argument("--no-plot", action="store_true", help="skip tune.png")
    return p


def _check(args: argparse.Namespace) -> None:
    if not (math.isfinite(args.slo_unmet) and 0 <= args.slo_unmet < 1):
        raise TuneError(f"--slo-unmet {args.slo_unmet}: must be a fraction >= 0 and < 1")
    if args.slo_capacity is not None and not (math.isfinite(args.slo_capacity) and args.slo_capacity >= 0):
        raise TuneError(f"--slo-capacity {args.slo_capacity}: must be a number of seconds >= 0")
    if not 1 <= args.seeds <= MAX_SEEDS:
        raise TuneError(f"--seeds {args.seeds}: must be 1 to {MAX_SEEDS}")
    if args.replica_qps is not None and not (math.isfinite(args.replica_qps) and args.replica_qps > 0):
        raise TuneError(f"--replica-qps {args.replica_qps}: must be a number > 0")
    if args.spot_reclaims is not None and not (math.isfinite(args.spot_reclaims) and args.spot_reclaims >= 0):
        raise TuneError(f"--spot-reclaims {args.spot_reclaims}: must be a number >= 0")
    if args.workers is not None and args.workers < 1:
        raise TuneError(f"--workers {args.workers}: must be at least 1")


def load_base(stack: str, model: str | None) -> tuple[Base, str]:
    """The committed stack, validated by the config layer, and the SeldonDeployment name of the tuned model."""
    import re

    from stackconfig import ConfigError, load
    from tools.render.pipeline import render_config

    path = PROJECT_DIR / f"Pulumi.{stack}.yaml"
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", stack) or not path.is_file():
        known = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in PROJECT_DIR.glob("Pulumi.*.yaml"))
        raise TuneError(f"--stack {stack}: no Pulumi.{stack}.yaml; stacks: {', '.join(known)}")
    try:
        raw = read_stack_file(path)
        config, secret_keys = render_config(stack, project_dir=PROJECT_DIR)
        validated = load(config, secret_keys, PROJECT_DIR)
    except (StackFileError, ConfigError) as err:
        raise TuneError(f"--stack {stack}: {' '.join(str(err).split())}") from None
    names = [m.name for m in validated.models]
    sdeps = [m.sdep_name for m in validated.models]
    if model is None:
        if len(names) != 1:
            raise TuneError(f"--stack {stack} serves {len(names)} models; choose one with --model: {', '.join(names)}")
        index = 0
    elif model in names or model in sdeps:
        index = names.index(model) if model in names else sdeps.index(model)
    else:
        raise TuneError(f"--model {model}: no such model in Pulumi.{stack}.yaml; models: {', '.join(names)}")
    return base_from_config(stack, raw, index, validated, PROJECT_DIR), validated.models[index].sdep_name


def _world(args: argparse.Namespace) -> tuple[World, dict[str, Any]]:
    """The world, and each parameter's value and provenance for the summary and the plot."""
    world = World()
    provenance = {"startup-eci": "assumed", "startup-eci-cached": "assumed", "startup-ecs": "assumed", "model-load": "assumed"}
    provenance |= {"metric-delay": "source", "metric-window": "source", "spot-reclaims": "assumed"}
    if args.world is not None:
        try:
            file = worldfile.read(args.world)
        except SimulateError as err:
            raise TuneError(str(err)) from None
        fields = {worldfile.FIELDS[k][0]: worldfile.FIELDS[k][1](v) for k, v in file.values.items()}
        world = dataclasses.replace(world, **fields)
        provenance |= file.provenance
    if args.replica_qps is not None:
        world = dataclasses.replace(world, replica_qps=args.replica_qps)
        provenance["replica-qps"] = "given"
    if args.spot_reclaims is not None:
        world = dataclasses.replace(world, spot_reclaims=args.spot_reclaims)
        provenance["spot-reclaims"] = "given"
    return world, provenance


class _Bar:
    def __init__(self, show: bool) -> None:
        self.show = show

    def __call__(self, done: int, total: int, stage: str) -> None:
        if not self.show:
            return
        width = 30
        filled = int(width * done / total) if total else width
        sys.stderr.write(f"\r  searching [{'#' * filled}{'.' * (width - filled)}] {done}/{total} candidates ({stage})")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    _check(args)
    trace = trace_from_args(args)
    duration = default_duration(trace, args)
    if duration > MAX_DURATION:
        raise TuneError(f"--duration {duration:g}: at most {MAX_DURATION} seconds (31 days)")
    seconds = max(1, math.ceil(duration))
    base, sdep = load_base(args.stack, args.model)
    world, provenance = _world(args)
    if world.replica_qps is None:
        world = dataclasses.replace(world, replica_qps=float(base.current.target_qps))
        provenance["replica-qps"] = "assumed"
    replica_qps = float(world.replica_qps or base.current.target_qps)
    try:
        book = prices_mod.load(args.prices)
    except SimulateError as err:
        raise TuneError(str(err)) from None
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise TuneError(f"--out {args.out}: {err}") from None
    slo = Slo(args.slo_unmet, args.slo_capacity)
    space = default_space(base, replica_qps)
    settings = candidates(base, space, trace, seconds, world, replica_qps)
    ctx = Context(base, trace, seconds, world, book, sdep)
    try:
        render_model(ctx, base.current)  # the committed stack must render before anything is searched
    except SimulateError as err:
        raise TuneError(f"--stack {args.stack}: {err}") from None
    spot = any(u.spot for u in base.units) and world.spot_reclaims > 0
    began = time.perf_counter()
    bar = _Bar(sys.stderr.isatty())
    with Evaluator(ctx, settings, args.workers) as ev:
        # the committed setting is measured, but recommended only if its targetQps is within one pod's capacity
        within = [s.target_qps <= replica_qps + 1e-9 for s in settings]
        found = search(ev, len(settings), args.seeds, slo, lambda _i: spot, bar, within.__getitem__)
        # the committed setting is reported under every seed, whether or not the search needed them
        draws = range(args.seeds if spot else 1)
        ev.run((0, s) for s in draws)
        current = dataclasses.replace(verdict([ev.outcomes[(0, s)] for s in draws], slo), seeds=args.seeds)
        found.verdicts[0] = current
    elapsed = time.perf_counter() - began
    chosen = found.best
    status = EXIT_OK if chosen is not None else EXIT_NO_SETTING
    stack_path = PROJECT_DIR / f"Pulumi.{args.stack}.yaml"
    original = stack_path.read_text(encoding="utf-8")
    shown = chosen if chosen is not None else report_mod.closest(found.verdicts, slo)
    recommended_text = rewrite(original, apply(base, settings[shown.index], world.controller_tz))
    diff = unified_diff(original, recommended_text, stack_path.name)
    data = report_mod.summary(
        args,
        base,
        settings,
        found,
        current,
        chosen,
        shown,
        world,
        provenance,
        book,
        slo,
        replica_qps,
        trace,
        seconds,
        elapsed,
        ev.workers,
    )
    if chosen is None:
        data["needed"] = report_mod.needed(shown, settings[shown.index], slo, world, base, replica_qps, trace)
    try:
        if chosen is not None:
            (args.out / "stack.yaml").write_text(recommended_text, encoding="utf-8")
            (args.out / "stack.diff").write_text(diff, encoding="utf-8")
        report_mod.write_pareto(args.out / "pareto.csv", found, settings, base, current, chosen)
        report_mod.write_summary(args.out / "summary.json", data)
        report_mod.write_world(args.out / "world.yaml", data)
        if not args.no_plot:
            from tools.tune import plot

            model_now = render_model(ctx, base.current)
            model_best = render_model(ctx, settings[shown.index])
            plot.tune_png(
                args.out / "tune.png",
                data,
                list(found.verdicts.values()),
                current,
                shown,
                run_one(model_now, ctx, 0),
                run_one(model_best, ctx, 0),
                recommended=chosen is not None,
            )
        if args.write and chosen is not None:
            stack_path.write_text(recommended_text, encoding="utf-8")
    except OSError as err:
        raise TuneError(f"--out {args.out}: {err}") from None
    print(report_mod.text(data))
    return status


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return run(args)
    except (TuneError, SimulateError, TraceError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
