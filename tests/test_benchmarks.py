"""The floor of ``benchmarks/bench_render.py`` registers what the render registers, or its ratio would mean nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import floor_program
from benchmarks.bench_render import floor_resources, stack_with_models
from tests.conftest import ROOT
from tools.mockrun import run_program


@pytest.mark.parametrize("count", [1, 3])
def test_the_floor_registers_the_renders_custom_resources_with_the_same_inputs(count: int, tmp_path: Path) -> None:
    project = tmp_path / "project"
    stack_with_models(count, project)
    recorded = tmp_path / "floor.json"
    registered = floor_resources(project, recorded)
    resources = json.loads(recorded.read_text())
    assert registered == len(resources) == 9 + 12 * count  # the stack's shared part, then twelve per model

    def program() -> None:
        for resource in resources:
            floor_program.register(resource)

    run = run_program(program, {}, stack="bench")
    floor = sorted((r.type, r.name, json.dumps(r.inputs, sort_keys=True)) for r in run.resources)
    assert floor == sorted((r["type"], r["name"], json.dumps(r["inputs"], sort_keys=True)) for r in resources)
    assert all(r.parent.endswith("::pulumi:pulumi:Stack::eci-inference-bench") for r in run.resources)  # flat


def test_the_floor_program_runs_as_a_command(tmp_path: Path) -> None:
    project = tmp_path / "project"
    stack_with_models(1, project)
    recorded = tmp_path / "floor.json"
    floor_resources(project, recorded)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.floor_program", str(recorded)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert (done.returncode, done.stderr) == (0, "")
