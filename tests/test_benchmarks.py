"""The floors of ``benchmarks/bench_render.py`` register what the render registers, or their ratios would mean nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks import floor_program
from benchmarks.bench_render import floor_resources, stack_with_models
from tests.conftest import ROOT
from tools.mockrun import Registered, run_program


def _recorded(count: int, tmp_path: Path) -> tuple[list[dict[str, Any]], Path]:
    project = tmp_path / "project"
    stack_with_models(count, project)
    recorded_at = tmp_path / "floor.json"
    return floor_resources(project, recorded_at), recorded_at


def _inputs(inputs: dict[str, Any]) -> str:
    return json.dumps(inputs, sort_keys=True)


@pytest.mark.parametrize("count", [1, 3])
def test_the_flat_floor_registers_the_renders_custom_resources_with_the_same_inputs(count: int, tmp_path: Path) -> None:
    recorded, _ = _recorded(count, tmp_path)
    custom = [r for r in recorded if r["custom"]]
    assert len(custom) == 9 + 12 * count  # the stack's shared part, then twelve per model

    run = run_program(lambda: floor_program.flat(recorded), {}, stack="bench")
    floor = sorted((r.type, r.name, _inputs(r.inputs)) for r in run.resources)
    assert floor == sorted((r["type"], r["name"], _inputs(r["inputs"])) for r in custom)
    assert all(r.parent.endswith("::pulumi:pulumi:Stack::eci-inference-bench") for r in run.resources)  # flat
    assert all(r.provider == "" and r.dependencies == [] for r in run.resources)  # and without options


@pytest.mark.parametrize("count", [1, 3])
def test_the_structure_floor_registers_the_renders_whole_tree(count: int, tmp_path: Path) -> None:
    recorded, _ = _recorded(count, tmp_path)
    assert len(recorded) == 12 + 20 * count  # components too: eight per model besides its twelve custom resources

    def where(r: Registered | dict[str, Any]) -> tuple[Any, ...]:
        fields = r if isinstance(r, dict) else vars(r)
        return (
            fields["type"], fields["name"], fields["custom"], fields["urn"], fields["parent"], fields["provider"],
            sorted(fields["dependencies"]), _inputs(fields["inputs"]),
        )  # fmt: skip

    run = run_program(lambda: floor_program.structure(recorded), {}, stack="bench")
    assert sorted(map(where, run.resources)) == sorted(map(where, recorded))
    assert sum(1 for r in recorded if not r["custom"]) == 3 + 8 * count  # the floor is not flat in disguise
    assert sum(1 for r in recorded if r["dependencies"]) >= 8 * count


@pytest.mark.parametrize("floor", ["flat", "structure"])
def test_the_floor_program_runs_as_a_command(floor: str, tmp_path: Path) -> None:
    _, recorded_at = _recorded(1, tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.floor_program", str(recorded_at), floor],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")
