"""The render's cost against a floor measured in the same run, as fresh processes, for 1, 20 and 100 models.

The floor is a bare-SDK program (:mod:`benchmarks.floor_program`): it imports the same SDKs and registers the same
custom resources, with the same inputs, under the same mocks, but has no components, no config validation and writes
no files. The render is ``python -m tools.render`` on a stack of N copies of the dev stack's model (a temporary
project: a copy of ``Pulumi.yaml``, the repository's ``models/`` linked in). Both run as the same kind of process
(:func:`tools.mockrun.one_shot`). The floor and the render take turns, ``--repeat`` times each. Printed: the fastest
run of each in seconds, their ratio, the median of the ratios of runs made back to back ("paired", the steadier
figure on a machine whose speed drifts), and the cost per added model (which must not grow with N).
With ``--check`` the render also validates every object offline.

    venv/bin/python -m benchmarks.bench_render [--repeat 3] [--models 1,20,100] [--check]
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from stackconfig import PROJECT

ROOT = Path(__file__).resolve().parent.parent


def stack_with_models(count: int, project: Path, stack: str = "bench") -> Path:
    """Write ``Pulumi.<stack>.yaml`` into ``project``: the dev stack with ``count`` copies of its model."""
    data: dict[str, Any] = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    config = data["config"]
    model = config[f"{PROJECT}:models"][0]
    models = []
    for i in range(count):
        copied = copy.deepcopy(model)
        copied["name"] = f"{model['name']}-{i:03d}"
        copied["seldonDeploymentName"] = f"{model.get('seldonDeploymentName', model['name'])}-{i:03d}"
        models.append(copied)
    config[f"{PROJECT}:models"] = models
    project.mkdir(parents=True, exist_ok=True)
    (project / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    if not (project / "models").exists():
        (project / "models").symlink_to(ROOT / "models", target_is_directory=True)
    path = project / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def floor_resources(project: Path, out: Path) -> int:
    """Render the stack in-process once and write what the floor program registers: every custom resource."""
    from program import main as program_main
    from tools.mockrun import run_program
    from tools.render.pipeline import render_config

    config, secret_keys = render_config("bench", project_dir=project)
    run = run_program(lambda: program_main(project), config, secret_keys, stack="bench")
    custom = [{"type": r.type, "name": r.name, "inputs": r.inputs} for r in run.resources if r.custom]
    out.write_text(json.dumps(custom))
    return len(custom)


def timed_turns(commands: list[list[str]], repeat: int) -> list[list[float]]:
    """Wall times of each command over ``repeat`` fresh processes, the commands taking turns (one list per command).

    Taking turns matters: the speed of a shared machine drifts by a third within seconds, and a ratio of two
    figures measured minutes apart measures the drift as much as the programs.
    """
    times: list[list[float]] = [[] for _ in commands]
    for turn in range(repeat):
        order = list(enumerate(commands))
        for i, command in order if turn % 2 == 0 else reversed(order):  # neither always goes first
            start = time.perf_counter()
            subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
            times[i].append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--models", default="1,20,100", help="comma-separated model counts")
    parser.add_argument("--check", action="store_true", help="time the render with --check")
    args = parser.parse_args(argv)
    extra = ["--check"] if args.check else []
    counts = [int(n) for n in args.models.split(",")]
    python = sys.executable
    rows: list[tuple[int, int, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        print(f"{'models':>6}  {'resources':>9}  {'floor s':>8}  {'render s':>8}  {'ratio':>6}  {'paired':>7}", flush=True)
        for count in counts:
            project = Path(tmp) / f"project-{count}"
            stack_with_models(count, project)
            resources = Path(tmp) / f"floor-{count}.json"
            registered = floor_resources(project, resources)
            floors, renders = timed_turns(
                [[python, "-m", "benchmarks.floor_program", str(resources)],
                 [python, "-m", "tools.render", "--stack", "bench", "--project-dir", str(project),
                  "--out", f"{tmp}/out-{count}", "--force", *extra]],
                args.repeat,
            )  # fmt: skip
            floor, render = min(floors), min(renders)
            paired = statistics.median(r / f for f, r in zip(floors, renders, strict=True))
            rows.append((count, registered, floor, render))
            print(
                f"{count:>6}  {registered:>9}  {floor:>8.2f}  {render:>8.2f}  {render / floor:>6.2f}  {paired:>7.2f}",
                flush=True,
            )
    print("cost per added model (render, floor):")
    for (n0, _, f0, r0), (n1, _, f1, r1) in itertools.pairwise(rows):
        per_render, per_floor = (r1 - r0) / (n1 - n0), (f1 - f0) / (n1 - n0)
        print(f"  {n0:>3} -> {n1:>3} models: {per_render * 1000:6.1f} ms, {per_floor * 1000:6.1f} ms", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
