"""The README's configuration error example is what the program prints for that config."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import pytest

from stackconfig import PROJECT, ConfigError
from tests.conftest import ROOT, validated

P = PROJECT


def readme_example() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```\ninvalid stack configuration \((\d+) problem\(s\)\):\n(.*?)```", text, re.S)
    assert block is not None, "the README has no configuration error example"
    return [line.removeprefix("  - ") for line in block.group(2).splitlines()]


def test_the_readme_error_example_is_real(dev_config: Callable[[], tuple[dict[str, Any], list[str]]]) -> None:
    config, secret_keys = dev_config()
    config = copy.deepcopy(config)
    config[f"{P}:regoin"] = config.pop(f"{P}:region")
    config[f"{P}:volumeAuth"] = "rrsa"
    for key in ("ossAccessKeyId", "ossAccessKeySecret"):
        config.pop(f"{P}:{key}")
        secret_keys.remove(f"{P}:{key}")
    model = config[f"{P}:models"][0]
    model["units"][0]["min"] = 9
    model["units"][1]["spotStrategy"] = "Cheap"
    model["deploymentName"] = model.pop("seldonDeploymentName")
    with pytest.raises(ConfigError) as caught:
        validated(config, secret_keys)
    assert sorted(caught.value.problems) == sorted(readme_example())
