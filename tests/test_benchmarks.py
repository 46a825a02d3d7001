"""The floors of ``benchmarks/bench_render.py`` register what the render registers, or their ratios would mean nothing."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks import floor_program
from benchmarks.bench_render import floor_resources, stack_with_models
from tests.conftest import ROOT
from tools import mockrun
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


def _comparable(registered: Registered | dict[str, Any]) -> dict[str, Any]:
    """Every field of a registration, lists whose order is the SDK's (not the program's) sorted."""
    fields = dict(registered) if isinstance(registered, dict) else dataclasses.asdict(registered)
    fields["dependencies"] = sorted(fields["dependencies"])
    fields["secret_values"] = sorted(map(str, fields["secret_values"]))
    return fields


@pytest.mark.parametrize("count", [1, 3])
def test_the_structure_floor_registers_the_renders_whole_tree_with_its_options(count: int, tmp_path: Path) -> None:
    recorded, _ = _recorded(count, tmp_path)  # the render's registrations, every field
    assert len(recorded) == 12 + 20 * count  # eight components per model, twelve others

    run = run_program(lambda: floor_program.structure(recorded), {}, stack="bench")
    by_urn = {r.urn: _comparable(r) for r in run.resources}
    assert len(by_urn) == len(run.resources)
    for expected in map(_comparable, recorded):
        assert by_urn.pop(expected["urn"]) == expected  # every field: inputs, secrets, parent, provider(s), options
    assert by_urn == {}
    components = [r for r in recorded if not r["custom"]]
    assert len(components) == 3 + 8 * count  # not flat in disguise
    assert all(r["providers"] for r in components)  # the providers a component hands down are part of the tree
    assert sum(1 for r in recorded if r["dependencies"]) == 2 + 11 * count
    assert any(r["ignore_changes"] for r in recorded) and any(r["replace_on_changes"] for r in recorded)
    assert any(r["masked"] != r["inputs"] for r in recorded)  # a secret is marked, not sent plain


def test_every_resource_of_the_floors_is_made_through_an_sdk_class_or_as_a_custom_resource(tmp_path: Path) -> None:
    """A type the floors do not know is an error, not a cheaper registration that would flatter the ratio."""
    recorded, _ = _recorded(1, tmp_path)
    for resource in (r for r in recorded if r["custom"]):
        floor_program._sdk_call(resource)  # raises for a type it does not know
        if resource["type"] not in floor_program._CLASSES:  # apiextensions.CustomResource: only for CRD kinds
            group = resource["type"].split(":")[1].rsplit("/", 1)[0]
            assert "." in group and not group.endswith(".k8s.io"), resource["type"]
    with pytest.raises(KeyError, match="add its SDK class"):
        floor_program._sdk_call({"type": "alicloud:log/project:Project", "name": "x", "inputs": {}})


def test_the_structure_floors_components_record_where_they_were_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pulumi walks the stack from a resource's third ``__init__`` frame; a component without its own constructor would
    send no frames and cost less than every real component."""
    recorded, _ = _recorded(1, tmp_path)
    frames: dict[str, int] = {}
    register = mockrun._Monitor.RegisterResource

    def counting(self: Any, request: Any) -> Any:
        frames[request.name] = len(request.stackTrace.frames)
        return register(self, request)

    monkeypatch.setattr(mockrun._Monitor, "RegisterResource", counting)
    run_program(lambda: floor_program.structure(recorded), {}, stack="bench")
    assert {r["name"]: frames[r["name"]] > 0 for r in recorded} == {r["name"]: True for r in recorded}


@pytest.mark.parametrize("floor", ["flat", "structure"])
def test_the_floor_program_runs_as_a_command(floor: str, tmp_path: Path) -> None:
    _, recorded_at = _recorded(1, tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.floor_program", str(recorded_at), floor],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")
