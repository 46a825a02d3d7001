"""The render's cost against two floors measured in the same run, as fresh processes, for 1, 20 and 100 models.

The floors are bare-SDK programs (:mod:`benchmarks.floor_program`) that import the same SDKs and register what the
render registers, with the same inputs, under the same mocks, with no config validation and no files:

- the flat floor registers only the custom resources, flat (the layout issue's floor);
- the structure floor registers every resource, components included, with its parent, provider and dependencies.

The render is ``python -m tools.render`` on a stack of N copies of the dev stack's model (a temporary project: a copy
of ``Pulumi.yaml``, the repository's ``models/`` linked in). All run as the same kind of process
(:func:`tools.mockrun.one_shot`) and take turns, ``--repeat`` times each. Printed: the fastest run of each in seconds,
render / flat floor, and the median ratios of runs made in the same turn ("paired", the steadier figures on a machine
whose speed drifts): render / flat, structure / flat (what the resource tree itself costs) and render / structure
(what the program adds to the tree: config, Outputs between resources, files); then the cost per added model (which
must not grow with N). With ``--check`` the render also validates every object offline.

    venv/bin/python -m benchmarks.bench_render [--repeat 3] [--models 1,20,100] [--check]
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
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


def floor_resources(project: Path, out: Path) -> list[dict[str, Any]]:
    """Render the stack in-process once and write what the floor programs register: every resource, where it sits."""
    from program import main as program_main
    from tools.mockrun import run_program
    from tools.render.pipeline import render_config

    config, secret_keys = render_config("bench", project_dir=project)
    run = run_program(lambda: program_main(project), config, secret_keys, stack="bench")
    recorded = [dataclasses.asdict(r) for r in run.resources]  # every field, as tools.mockrun.Registered has it
    out.write_text(json.dumps(recorded))
    return recorded


def timed_turns(commands: list[list[str]], repeat: int) -> list[list[float]]:
    """Wall times of each command over ``repeat`` fresh processes, the commands taking turns (one list per command).

    Taking turns matters: the speed of a shared machine drifts by a third within seconds, and a ratio of two
    figures measured minutes apart measures the drift as much as the programs.
    """
    times: list[list[float]] = [[] for _ in commands]
    order = list(enumerate(commands))
    for turn in range(repeat):
        shift = turn % len(order)
        for i, command in order[shift:] + order[:shift]:  # each goes first in turn
            start = time.perf_counter()
            subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
            times[i].append(time.perf_counter() - start)
    return times


def _paired(times: list[float], against: list[float]) -> float:
    """The median ratio of runs made in the same turn."""
    return statistics.median(t / a for t, a in zip(times, against, strict=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--models", default="1,20,100", help="comma-separated model counts")
    parser.add_argument("--check", action="store_true", help="time the render with --check")
    args = parser.parse_args(argv)
    extra = ["--check"] if args.check else []
    counts = [int(n) for n in args.models.split(",")]
    python = sys.executable
    rows: list[tuple[int, float, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        print("the last three columns are paired: the median ratio of runs made in the same turn", flush=True)
        print(
            f"{'models':>6}  {'custom':>6}  {'all':>5}  {'flat s':>6}  {'struct s':>8}  {'render s':>8}  "
            f"{'render/flat min':>15}  {'render/flat':>11}  {'struct/flat':>11}  {'render/struct':>13}",
            flush=True,
        )
        for count in counts:
            project = Path(tmp) / f"project-{count}"
            stack_with_models(count, project)
            recorded_at = Path(tmp) / f"floor-{count}.json"
            recorded = floor_resources(project, recorded_at)
            flats, structures, renders = timed_turns(
                [[python, "-m", "benchmarks.floor_program", str(recorded_at), "flat"],
                 [python, "-m", "benchmarks.floor_program", str(recorded_at), "structure"],
                 [python, "-m", "tools.render", "--stack", "bench", "--project-dir", str(project),
                  "--out", f"{tmp}/out-{count}", "--force", *extra]],
                args.repeat,
            )  # fmt: skip
            flat, structure, render = min(flats), min(structures), min(renders)
            rows.append((count, flat, structure, render))
            custom = sum(1 for r in recorded if r["custom"])
            print(
                f"{count:>6}  {custom:>6}  {len(recorded):>5}  {flat:>6.2f}  {structure:>8.2f}  {render:>8.2f}  "
                f"{render / flat:>15.2f}  {_paired(renders, flats):>11.2f}  {_paired(structures, flats):>11.2f}  "
                f"{_paired(renders, structures):>13.2f}",
                flush=True,
            )
    print("cost per added model (render, structure floor, flat floor):")
    for (n0, f0, s0, r0), (n1, f1, s1, r1) in itertools.pairwise(rows):
        per = [(b - a) / (n1 - n0) * 1000 for a, b in ((r0, r1), (s0, s1), (f0, f1))]
        print(f"  {n0:>3} -> {n1:>3} models: {per[0]:6.1f} ms, {per[1]:6.1f} ms, {per[2]:6.1f} ms", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
