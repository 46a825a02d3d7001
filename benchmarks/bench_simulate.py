"""The simulator's cost: a 24-hour trace at 1-second resolution for one model, and linearity in trace length and units.

Everything runs in this process against a floor measured in the same run: a loop over the same seconds that only reads
the demand and appends one row's worth of values (what any per-second simulation must at least do). Printed: seconds,
the ratio to the floor, and the cost per simulated second (per unit-second for the units series), which must stay flat
as the trace or the unit count grows. No thresholds: the numbers are for people, not for a test.

    venv/bin/python -m benchmarks.bench_simulate [--repeat 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tools.simulate import prices, report
from tools.simulate.engine import simulate
from tools.simulate.objects import ModelObjects, Unit, find_models, load_manifest_dir
from tools.simulate.world import World
from tools.traces import Trace, pattern

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "simulate" / "dev-fixed"
DAY = 86400


def best(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return min(times)


def floor(trace: Trace, seconds: int, units: int) -> None:
    demand = trace.per_second(seconds + 1)
    rows: list[list[float]] = [[] for _ in range(6 + 2 * units + 3)]
    for t in range(seconds + 1):
        q = demand[t]
        for col in rows:
            col.append(q)


def with_units(model: ModelObjects, count: int) -> ModelObjects:
    """The model with ``count`` units (the source, then on-demand/spot ECI units of 10 pods each)."""
    extra = [
        Unit(name=f"u{i}", min=0, max=10, kind="eci", spot=i % 2 == 1, specs=("ecs.gn6i-c4g1.xlarge",)) for i in range(count - 1)
    ]
    hpa = dataclasses.replace(model.hpa, max_replicas=10 * (count - 1))
    return dataclasses.replace(model, units=(model.units[0], *extra), hpa=hpa)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    model = find_models(load_manifest_dir(FIXTURE))[0]
    book = prices.load(None)
    world = World()
    day = pattern(f"diurnal:5:120:{DAY}:1")

    print(f"model {model.name} ({len(model.units)} units), trace {day.name} ({len(day.times)} points), best of {args.repeat}")
    base = best(args.repeat, lambda: floor(day, DAY, len(model.units)))
    engine = best(args.repeat, lambda: simulate(model, day, DAY, world, book))
    result = simulate(model, day, DAY, world, book)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        write = best(args.repeat, lambda: report.write_timeline(result, out / "timeline.csv"))
        summarize = best(args.repeat, lambda: report.write_summary(report.summary(result, {}), out / "summary.json"))
        from tools.simulate import plot

        drawing = best(1, lambda: plot.scaling_png(result, out / "scaling.png", "bench"))
    total = engine + write + summarize
    print(f"  floor (read + append a row per second)  {base:7.3f} s")
    print(f"  simulate 24 h                           {engine:7.3f} s   {engine / base:5.1f} x floor")
    print(f"  timeline.csv                            {write:7.3f} s")
    print(f"  summary.json                            {summarize:7.3f} s")
    print(f"  simulate + timeline + summary           {total:7.3f} s   {total / base:5.1f} x floor   (target: < 2 s)")
    print(f"  scaling.png                             {drawing:7.3f} s")

    print("linearity in trace length (same model):")
    reference: float | None = None
    for hours in (3, 6, 12, 24, 48):
        seconds = hours * 3600
        trace = pattern(f"diurnal:5:120:{DAY}:1")
        f = best(args.repeat, lambda s=seconds, tr=trace: floor(tr, s, len(model.units)))  # type: ignore[misc]
        e = best(args.repeat, lambda s=seconds, tr=trace: simulate(model, tr, s, world, book))  # type: ignore[misc]
        per = e / seconds * 1e6
        reference = reference or per
        print(f"  {hours:>3} h: {e:7.3f} s  {e / f:5.1f} x floor  {per:6.2f} us/s  ({per / reference:4.2f} x the 3 h rate)")

    print("linearity in units (24 h):")
    reference = None
    for count in (3, 6, 12, 24):
        wide = with_units(model, count)
        f = best(args.repeat, lambda c=count: floor(day, DAY, c))  # type: ignore[misc]
        e = best(args.repeat, lambda m=wide: simulate(m, day, DAY, world, book))  # type: ignore[misc]
        per = e / (DAY * count) * 1e6
        reference = reference or per
        print(f"  {count:>3} units: {e:7.3f} s  {e / f:5.1f} x floor  {per:6.3f} us/unit-s  ({per / reference:4.2f} x 3 units)")


if __name__ == "__main__":
    main()
