"""Stack-level rules are reported together with the models' problems, not after they are fixed."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from stackconfig import PROJECT, ConfigError
from tests.conftest import validated

P = PROJECT


def test_stack_rules_run_even_when_a_model_is_invalid(dev_config: Callable[[], tuple[dict[str, Any], list[str]]]) -> None:
    config, secret_keys = dev_config()
    config = copy.deepcopy(config)
    model = config[f"{P}:models"][0]
    model["gpu"] = 0
    model["schedules"] = [{"name": "peak", "cron": "0 8 * * *", "targetSize": 2}]
    config[f"{P}:volumeAuth"] = "rrsa"
    for key in ("ossAccessKeyId", "ossAccessKeySecret"):
        del config[f"{P}:{key}"]
        secret_keys.remove(f"{P}:{key}")
    with pytest.raises(ConfigError) as caught:
        validated(config, secret_keys)
    found = caught.value.problems
    assert any(p.startswith(f"{P}:models[0].gpu = 0: must be a whole number >= 1") for p in found), found
    assert any(p.startswith(f"{P}:rrsaRoleName is required: volumeAuth is rrsa") for p in found), found
    assert not any("cronControllerTimeZone" in p for p in found), "with the model invalid, its schedules are unknown"


def test_a_missing_time_zone_is_reported_beside_other_stack_problems(
    dev_config: Callable[[], tuple[dict[str, Any], list[str]]],
) -> None:
    config, secret_keys = dev_config()
    config = copy.deepcopy(config)
    config[f"{P}:models"][0]["schedules"] = [{"name": "peak", "cron": "0 8 * * *", "targetSize": 2}]
    config[f"{P}:bucket"] = "Bad_Bucket"
    with pytest.raises(ConfigError) as caught:
        validated(config, secret_keys)
    found = caught.value.problems
    assert any(p.startswith(f"{P}:cronControllerTimeZone is required when a model has schedules") for p in found), found
    assert any(p.startswith(f"{P}:bucket = 'Bad_Bucket'") for p in found), found
