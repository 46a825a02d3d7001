"""The configuration page's error example is what the program prints for that config."""

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
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    block = re.search(r"```\ninvalid stack configuration \((\d+) problem\(s\)\):\n(.*?)```", text, re.S)
    assert block is not None, "docs/configuration.md has no configuration error example"
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


LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation but hyphens dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Any) -> set[str]:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    return {_anchor(m.group(1)) for m in re.finditer(r"^#+ (.+)$", text, re.M)}


def test_anchor_rule_matches_github() -> None:
    # Hand-written from the anchors GitHub gives these headings.
    assert _anchor("Who owns the replica count") == "who-owns-the-replica-count"
    assert _anchor("Not verified (needs a real cluster)") == "not-verified-needs-a-real-cluster"
    assert _anchor("`models[].units[]`") == "modelsunits"
    assert _anchor("Simulate the autoscaling before `pulumi up`") == "simulate-the-autoscaling-before-pulumi-up"


def test_every_relative_link_in_the_docs_resolves() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            file = (page.parent / path) if path else page
            if not file.exists():
                broken.append(f"{page.name}: {target}: no such file")
            elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
                broken.append(f"{page.name}: {target}: no such heading")
    assert broken == []


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = re.search(r"## Quick start\n.*?```bash\n(.*?)```", readme, re.S)
    assert quick_start is not None
    commands = quick_start.group(1).strip().splitlines()
    assert len(commands) == 2, "the quick start is two commands: install, then test"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ci[-1] == commands[1]
