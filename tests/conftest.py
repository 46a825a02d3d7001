"""Fixtures: the repository's stacks, run under Pulumi's mocks once per distinct configuration, and the schemas.

Everything the tests read is inside the repository: the CRD schemas in ``schemas/``, the seed recipe's manifests in
``tests/fixtures/seed/``. A program run is memoised on its configuration (config, secret keys, stack) and every
caller gets its own deep copy, so a test may change what it was given without touching another test's run.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from program import main
from stackconfig import PROJECT, StackConfig, load
from tools.mockrun import Run, run_program
from tools.stackfile import stack_file_config

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED = FIXTURES / "seed" / "recipe-manifests.yaml"
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


_RUNS: dict[str, Run] = {}
"""Program runs by the canonical JSON of their configuration, for one pytest session."""


def pytest_sessionstart(session: pytest.Session) -> None:
    """Forget the previous session's runs: a process that runs pytest again (mutmut forks each mutant's session from a
    process that has already run the tests) must run the program as the code now is, not reuse what it registered."""
    _RUNS.clear()


def plain_id(text: str) -> str:
    """A test id that can be named again on pytest's command line in the same process.

    pytest escapes a backslash and any character outside printable ASCII in an id (`_pytest.compat.ascii_escaped`);
    a second `pytest.main` in one process, which is how mutmut runs its clean and mutant tests, then reports the
    escaped id "not found" and mutmut stops with exit 4. So those characters are spelt out instead.
    """
    return "".join("<backslash>" if c == "\\" else c if " " <= c <= "~" else f"<U+{ord(c):04X}>" for c in text)


def pytest_make_parametrize_id(config: pytest.Config, val: object, argname: str) -> str | None:
    """Ids pytest derives from a string go through `plain_id` too. A string over 100 characters is left to pytest,
    which names it by its argument and index (``parametrize_long_str_id_strategy = short``, pytest 9's default)."""
    if isinstance(val, str) and len(val) <= 100 and val != plain_id(val):
        return plain_id(val)
    return None


def run_key(config: Mapping[str, Any], secret_keys: Sequence[str], stack: str) -> str:
    """The canonical JSON of one configuration: keys sorted, secret keys as a sorted set."""
    return json.dumps({"config": config, "secret_keys": sorted(set(secret_keys)), "stack": stack}, sort_keys=True)


def fresh_run(config: Mapping[str, Any], secret_keys: Sequence[str] | None = None, stack: str = "test") -> Run:
    """Run the whole program now, bypassing the cache (for tests about the runs themselves, such as determinism)."""
    return run_program(main, config, list(secret_keys or []), stack=stack)


def run_config(config: Mapping[str, Any], secret_keys: Sequence[str] | None = None, stack: str = "test") -> Run:
    """The whole program's run with this config: run once per distinct configuration, a deep copy for each caller."""
    key = run_key(config, secret_keys or [], stack)
    # mutmut's "stats" session records which tests reach each function, and later runs only those tests against
    # that function's mutants. A test served from this cache reaches nothing, so it would never be run against a
    # mutant it could kill: in that session every test runs the program itself.
    if key not in _RUNS or os.environ.get("MUTANT_UNDER_TEST") == "stats":
        _RUNS[key] = fresh_run(copy.deepcopy(dict(config)), secret_keys, stack)
    return copy.deepcopy(_RUNS[key])


def run_stack(stack: str) -> Run:
    """The program's run with a repository stack's config (shared, see :func:`run_config`)."""
    config, secret_keys = stack_config(stack)
    return run_config(config, secret_keys, stack)


@pytest.fixture(params=STACKS)
def stack_run(request: pytest.FixtureRequest) -> Run:
    """The program's run for each ``Pulumi.<stack>.yaml`` in the repository."""
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
    """The CRD schemas vendored in ``schemas/``; their absence is an error, never a skip."""
    if not SCHEMAS.is_dir():
        pytest.fail(f"the CRD schemas are missing: expected {SCHEMAS}")
    return SCHEMAS


@pytest.fixture(scope="session")
def seed_path() -> Path:
    """The seed recipe's five manifests, as a fixture of this test suite."""
    if not SEED.is_file():
        pytest.fail(f"the seed recipe's manifests are missing: expected {SEED}")
    return SEED


DEV_HOST = "fashion-mnist-eci.c9522b942edaf4ec98c2cbc351ec8ade6.cn-beijing.alicontainer.com"
DEV_MODEL_OUTPUTS: dict[str, Any] = {
    "bucket": "eci-inference-dev-models",
    "modelUri": "oss://eci-inference-dev-models/arena/models/fashion-mnist",
    "protocol": "seldon",
    "ingressHost": DEV_HOST,
    "endpointUrl": f"http://{DEV_HOST}",
    "predictionUrl": f"http://{DEV_HOST}/api/v1.0/predictions",
    "seldonDeploymentName": "fashion-mnist-eci",
    "predictorDeploymentName": "fashion-mnist-eci-predictor-0-tfserving-proxy-tfserving-gpu",
    "hpaName": "fashion-mnist-eci-hpa",
    "elasticWorkloadName": "fashion-mnist-eci-ew",
    "traffic": [{"version": 1, "seldonDeploymentName": "fashion-mnist-eci", "weight": 100}],
}
"""The dev stack's model outputs, written out: the ACK default domain <sdep>.<cluster id>.<region>.alicontainer.com,
the names naming.py derives, and all traffic on version 1."""


SERVERS = ("seldon", "kserve")
SDEP = "kubernetes:machinelearning.seldon.io/v1:SeldonDeployment"
ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
SELDON_ONLY_KEYS = ("seldonDeploymentName", "predictorName", "proxyImage", "proxyCpu", "proxyMemory")


def with_server(config: Mapping[str, Any], server: str) -> dict[str, Any]:
    """A copy of a stack's config with every model served by ``server``: the server-only keys of the other one
    dropped (a SeldonDeployment's name becomes the InferenceService's, and back)."""
    changed = copy.deepcopy(dict(config))
    for model in changed[f"{PROJECT}:models"]:
        model["server"] = server
        if server == "kserve":
            name = model.get("seldonDeploymentName")
            for key in SELDON_ONLY_KEYS:
                model.pop(key, None)
            if name:
                model["inferenceServiceName"] = name
        else:
            name = model.pop("inferenceServiceName", None)
            if name:
                model["seldonDeploymentName"] = name
    return changed


def server_pod(run: Run, out: Mapping[str, Any]) -> dict[str, Any]:
    """The predictor pod spec of one model's server object, found by the stack output that names it."""
    if "inferenceServiceName" in out:
        (isvc,) = [r for r in run.of_type(ISVC) if r.inputs["metadata"]["name"] == out["inferenceServiceName"]]
        predictor: dict[str, Any] = isvc.inputs["spec"]["predictor"]
        return predictor
    (sdep,) = [r for r in run.of_type(SDEP) if r.inputs["metadata"]["name"] == out["seldonDeploymentName"]]
    pod: dict[str, Any] = sdep.inputs["spec"]["predictors"][0]["componentSpecs"][0]["spec"]
    return pod


def validated(config: Mapping[str, Any], secret_keys: Sequence[str]) -> StackConfig:
    """Validate a config as the program does (raises :class:`stackconfig.ConfigError`)."""
    return load(config, secret_keys, ROOT)
