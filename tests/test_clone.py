"""The repository stands alone: a copy with nothing beside it renders and checks every stack."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, STACKS


def tracked_files() -> list[str]:
    """The files a clone would hold: tracked and new ones, as they are in the working tree."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT, check=True, capture_output=True, text=True
    )
    return [name for name in listed.stdout.splitlines() if (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository in a folder with nothing beside it, as a clone on GitHub is."""
    target = tmp_path_factory.mktemp("alone") / "eci-inference"
    for name in tracked_files():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)
    assert [p.name for p in target.parent.iterdir()] == [target.name]
    return target


@pytest.mark.parametrize("stack", STACKS)
def test_a_plain_clone_renders_and_checks_every_stack(clone: Path, stack: str, tmp_path: Path) -> None:
    out = tmp_path / "render"
    done = subprocess.run(
        [sys.executable, "-m", "tools.render", "--stack", stack, "--out", str(out), "--check"],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "objects valid" in done.stderr
    assert sorted(p.name for p in out.glob("*.yaml"))


SIBLING_PATH = re.compile(r"\.\./[\w.-]+/")
"""A relative path into a folder beside the repository (``../<folder>/...``): a clone has none."""


def test_nothing_in_the_product_reaches_beside_the_repository() -> None:
    offenders = []
    for name in tracked_files():
        if name != "tests/test_clone.py" and name.startswith(
            ("tests/", "tools/", ".github/", "program/", "stackconfig/", "components/", "policies/", ".ci/", "benchmarks/")
        ):
            found = SIBLING_PATH.search((ROOT / name).read_text(errors="replace"))
            if found:
                offenders.append(f"{name}: {found.group()}")
    assert offenders == []
