"""Each rule of a unit and a model, deleted or inverted, makes one of these fail: the problem is named exactly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from stackconfig import PROJECT, ConfigError
from tests.conftest import stack_config, validated

P = PROJECT
U = f"{P}:models[0].units[0]"


def unit_problems(change: Callable[[dict[str, Any]], None]) -> list[str]:
    config, secret_keys = stack_config("dev")
    change(config[f"{P}:models"][0]["units"][0])
    try:
        validated(config, secret_keys)
    except ConfigError as error:
        return [p for p in error.problems if p.startswith(U)]
    return []


CASES: list[tuple[str, Callable[[dict[str, Any]], None], list[str]]] = [
    ("an ecs unit needs its node pool", lambda u: u.update(resource="ecs", specs=None),
     [f"{U}.nodePoolId is required: an ecs unit places pods on the node pool with this id"]),
    ("an ecs unit takes no ECI settings", lambda u: u.update(resource="ecs", nodePoolId="np1", spotStrategy="SpotAsPriceGo"),
     [f"{U}.specs = ['ecs.gn6i-c4g1.xlarge']: only an eci unit takes ECI instance types and spot settings",
      f"{U}.spotStrategy = 'SpotAsPriceGo': only an eci unit takes ECI instance types and spot settings"]),
    ("an eci unit needs its specs", lambda u: u.pop("specs"),
     [f"{U}.specs is required: an eci unit names its ECI instance types"]),
    ("an eci unit takes no node pool", lambda u: u.update(nodePoolId="np1"),
     [f"{U}.nodePoolId = 'np1': only an ecs unit runs on a node pool"]),
    ("an ecs unit with its node pool is fine", lambda u: u.update(resource="ecs", nodePoolId="np1", specs=None), []),
    ("an unknown spec", lambda u: u.update(specs=["ecs.gn6i-c4g1.xlarg"]),
     [f"{U}.specs[0] = 'ecs.gn6i-c4g1.xlarg': is not an ECI GPU instance type this stack knows (did you mean 'ecs.gn6i-c4g1.xlarge'?)"]),
]  # fmt: skip


@pytest.mark.parametrize(("label", "change", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_unit_rule_names_its_key(label: str, change: Callable[[dict[str, Any]], None], expected: list[str]) -> None:
    found = unit_problems(change)
    assert [p.split("; known:")[0] for p in found] == expected, f"{label}: {found}"


def model_problems(change: Callable[[dict[str, Any]], None]) -> list[str]:
    config, secret_keys = stack_config("dev")
    config[f"{P}:cronControllerTimeZone"] = "UTC"
    change(config[f"{P}:models"][0])
    try:
        validated(config, secret_keys)
    except ConfigError as error:
        return error.problems
    return []


def test_schedule_names_are_unique_within_a_model() -> None:
    def schedules(*names: str) -> Callable[[dict[str, Any]], None]:
        return lambda m: m.update(schedules=[{"name": n, "cron": "0 8 * * *", "targetSize": 2} for n in names])

    assert model_problems(schedules("a", "b")) == []
    assert model_problems(schedules("a", "a")) == [
        f"{P}:models[0].schedules = ['a', 'a']: schedule names must be unique within a model"
    ]


def test_a_budget_is_one_of_min_available_and_max_unavailable() -> None:
    assert model_problems(lambda m: m.update(pdbMinAvailable=1)) == []
    assert model_problems(lambda m: m.update(pdbMaxUnavailable=1)) == []
    assert model_problems(lambda m: m.update(pdbMinAvailable=1, pdbMaxUnavailable=1)) == [
        f"{P}:models[0].pdbMinAvailable = 1: set either pdbMinAvailable or pdbMaxUnavailable, not both"
    ]
