"""Fixtures: the repository's stacks, run fresh under Pulumi's mocks, and the shared schemas and seed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stackconfig import PROJECT
from tools.mockrun import Run, run_program, stack_file_config
from program import main
from stackconfig import StackConfig, load

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SCHEMAS = SHARED / "schemas"
SEED = SHARED / "seed" / "elastic-inference-on-eci.md"
STACK_FILES = sorted(ROOT.glob("Pulumi.*.yaml"))
STACKS = [p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in STACK_FILES]

PLACEHOLDER_SECRETS = {
    "ossAccessKeyId": "LTAI-test-access-key-id-0001",
    "ossAccessKeySecret": "test-access-key-secret-do-not-leak-0002",
    "kubeconfig": "apiVersion: v1\nkind: Config\n# test-kubeconfig-do-not-leak-0003\n",
}
"""What a user sets with ``pulumi config set --secret``; tests add them to a stack that needs them."""


def stack_config(stack: str) -> tuple[dict[str, Any], list[str]]:
    """A stack file's config plus the placeholder secrets its README tells the user to set."""
    config, secret_keys = stack_file_config(ROOT / f"Pulumi.{stack}.yaml")
    if config.get(f"{PROJECT}:volumeAuth") == "accessKey":
        for key in ("ossAccessKeyId", "ossAccessKeySecret"):
            full = f"{PROJECT}:{key}"
            if full not in config:
                config[full] = PLACEHOLDER_SECRETS[key]
                secret_keys.append(full)
    return config, secret_keys


def run_config(config: dict[str, Any], secret_keys: list[str] | None = None, stack: str = "test") -> Run:
    """Run the whole program fresh with this config."""
    return run_program(main, config, secret_keys or [], stack=stack)


def run_stack(stack: str) -> Run:
    """Run the whole program fresh with a repository stack's config."""
    config, secret_keys = stack_config(stack)
    return run_config(config, secret_keys, stack)


@pytest.fixture(params=STACKS)
def stack_run(request: pytest.FixtureRequest) -> Run:
    """The program run once for each ``Pulumi.<stack>.yaml`` in the repository."""
    return run_stack(request.param)


@pytest.fixture
def dev_run() -> Run:
    return run_stack("dev")


@pytest.fixture
def dev_config() -> Callable[[], tuple[dict[str, Any], list[str]]]:
    """A fresh copy of the dev stack's config, to alter in a test."""
    return lambda: stack_config("dev")


@pytest.fixture(scope="session")
def schemas_dir() -> Path:
    """``../shared/schemas``; its absence is an error, never a skip (CI always has it)."""
    if not SCHEMAS.is_dir():
        pytest.fail(f"the CRD schemas are missing: expected {SCHEMAS} (../shared/schemas beside the repository)")
    return SCHEMAS


@pytest.fixture(scope="session")
def seed_path() -> Path:
    if not SEED.is_file():
        pytest.fail(f"the seed recipe is missing: expected {SEED} (../shared/seed beside the repository)")
    return SEED


def validated(config: dict[str, Any], secret_keys: list[str]) -> StackConfig:
    """Validate a config as the program does (raises :class:`ConfigError`)."""
    return load(config, secret_keys, ROOT)
