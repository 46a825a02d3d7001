"""``tools.calibrate`` on a 30-minute observed timeline (made by the simulator on the dev stack under a known world,
four changes of demand), the whole command as a user runs it, and the fit alone in this process.

    venv/bin/python -m benchmarks.bench_calibrate [--repeat 3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.calibrate import fit
from tools.calibrate.observed import read
from tools.simulate import prices, report
from tools.simulate.engine import simulate
from tools.simulate.objects import find_models, load_stack
from tools.simulate.world import World
from tools.traces import Trace

ROOT = Path(__file__).resolve().parent.parent
WORLD = World(startup_eci=100, model_load=20, startup_ecs=25, metric_delay=20, metric_window=30, replica_qps=8)
STEPS = [(0.0, 5.0), (120.0, 40.0), (600.0, 10.0), (900.0, 80.0), (1500.0, 20.0)]


def make(path: Path) -> None:
    model = find_models(load_stack("dev"))[0]
    report.write_timeline(simulate(model, Trace.of(STEPS, "observed"), 1800, WORLD, prices.load(None)), path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        observed = Path(tmp) / "timeline.csv"
        make(observed)
        whole = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            command = [sys.executable, "-m", "tools.calibrate", str(observed), "--stack", "dev", "--out", str(Path(tmp) / "out")]
            subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
            whole.append(time.perf_counter() - began)
        timeline = read(observed)
        model = find_models(load_stack("dev"))[0]
        began = time.perf_counter()
        fit.fit_startups(timeline, model.units)
        fit.fit_metric(timeline, 15)
        fit.fit_capacity(timeline)
        alone = time.perf_counter() - began
    print(
        f"tools.calibrate on a {timeline.duration} s timeline: {min(whole):.2f} s for the command (best of {args.repeat}, "
        f"with the render, two simulations and the plot); {alone:.2f} s for the fit alone"
    )


if __name__ == "__main__":
    main()
