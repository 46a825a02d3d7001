"""Wall time of ``python -m tools.render.pipeline`` as a fresh process: the dev stack, then 1, 10 and 50 models.

The N-model stacks are N copies of the dev stack's model under distinct names and deploymentNames, in a
temporary project (a copy of ``Pulumi.yaml``, the repository's ``models/`` linked in). Each command runs
``--repeat`` times and the fastest run counts (the others measure the machine's noise, not the render).

    python -m benchmarks.bench_render [--repeat 3] [--models 1,10,50] [--check]
"""

from __future__ import annotations

import argparse
import copy
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
        copied["deploymentName"] = f"{model.get('deploymentName', model['name'])}-{i:03d}"
        models.append(copied)
    config[f"{PROJECT}:models"] = models
    project.mkdir(parents=True, exist_ok=True)
    (project / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    if not (project / "models").exists():
        (project / "models").symlink_to(ROOT / "models", target_is_directory=True)
    path = project / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def time_render(args: list[str], repeat: int) -> float:
    """Fastest wall time of ``python -m tools.render.pipeline <args>`` over ``repeat`` fresh processes."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tools.render.pipeline", *args], cwd=ROOT, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--models", default="1,10,50", help="comma-separated model counts")
    parser.add_argument("--check", action="store_true", help="time the render with --check")
    args = parser.parse_args(argv)
    extra = ["--check"] if args.check else []
    counts = [int(n) for n in args.models.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        dev = time_render(["--stack", "dev", "--out", f"{tmp}/dev", "--force", *extra], args.repeat)
        print(f"dev stack (repository config): {dev:.2f} s  [best of {args.repeat}{', --check' if extra else ''}]")
        print(f"{'models':>6}  {'seconds':>8}  {'ratio':>6}")
        times: dict[int, float] = {}
        for count in counts:
            project = Path(tmp) / f"project-{count}"
            stack_with_models(count, project)
            times[count] = time_render(
                ["--stack", "bench", "--project-dir", str(project), "--out", f"{tmp}/out-{count}", "--force", *extra],
                args.repeat,
            )
            ratio = times[count] / times[counts[0]]
            print(f"{count:>6}  {times[count]:>8.2f}  {ratio:>6.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
