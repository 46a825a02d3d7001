"""The GitHub workflows: valid YAML, only actions and inputs that exist, and the jobs the README describes."""

from __future__ import annotations

import os
import re
import shlex
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, STACKS
from tools import render
from tools.render.model import CI_SECRETS

WORKFLOWS = ROOT / ".github" / "workflows"


@dataclass(frozen=True)
class Action:
    majors: frozenset[str]
    inputs: frozenset[str]
    required: frozenset[str] = frozenset()


ACTIONS: dict[str, Action] = {
    # actions/checkout, action.yml at commit 02c73802609a582111d8af3a9cd6519263dd983a (runs on node20: the v4 line).
    "actions/checkout": Action(
        majors=frozenset({"v4"}),
        inputs=frozenset(
            [
                "repository",
                "ref",
                "token",
                "ssh-key",
                "ssh-known-hosts",
                "ssh-strict",
                "ssh-user",
                "persist-credentials",
                "path",
                "clean",
                "filter",
                "sparse-checkout",
                "sparse-checkout-cone-mode",
                "fetch-depth",
                "fetch-tags",
                "show-progress",
                "reference",
                "lfs",
                "submodules",
                "set-safe-directory",
                "github-server-url",
            ]
        ),
    ),
    # actions/setup-python, action.yml at commit 05b0430d2d0525a63c8ea5bc7d09fc0e14911520 (node20: the v5 line).
    "actions/setup-python": Action(
        majors=frozenset({"v5"}),
        inputs=frozenset(
            [
                "python-version",
                "python-version-file",
                "cache",
                "architecture",
                "check-latest",
                "token",
                "cache-dependency-path",
                "update-environment",
                "allow-prereleases",
                "ignore-platform-version",
            ]
        ),
    ),
    # actions/github-script, action.yml at commits 044ebbb94591db039a428f61a178e6f8168c4ffc (node16, v6) and
    # 35053f82bc1ddfe8d46e9709c6658ba87a2cfc46 (node24, v8): the same inputs on both sides of v7 (node20).
    "actions/github-script": Action(
        majors=frozenset({"v7"}),
        inputs=frozenset(
            [
                "script",
                "github-token",
                "debug",
                "user-agent",
                "previews",
                "result-encoding",
                "retries",
                "retry-exempt-status-codes",
                "base-url",
            ]
        ),
        required=frozenset({"script"}),
    ),
    # pulumi/actions, action.yml at commit 4ddd4329226d5f7fdca0bc1fe3a0a659f4de25fe (node20; `refresh` runs the
    # command with --refresh, which README.md "Migrating from v5" names as v6's change). No input is required:
    # without `command` the action only installs the Pulumi CLI.
    "pulumi/actions": Action(
        majors=frozenset({"v6"}),
        inputs=frozenset(
            [
                "command",
                "stack-name",
                "pulumi-version",
                "pulumi-version-file",
                "work-dir",
                "comment-on-pr",
                "comment-on-pr-number",
                "comment-on-summary",
                "github-token",
                "cloud-url",
                "secrets-provider",
                "parallel",
                "message",
                "config-map",
                "expect-no-changes",
                "diff",
                "replace",
                "target",
                "target-dependents",
                "policyPacks",
                "policyPackConfigs",
                "refresh",
                "upsert",
                "remove",
                "edit-pr-comment",
                "color",
                "exclude-protected",
                "plan",
                "suppress-outputs",
                "suppress-progress",
                "always-include-summary",
            ]
        ),
    ),
}

CLOUD_SECRETS = {"PULUMI_ACCESS_TOKEN", "ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY"}
"""What every cloud job needs; the README's "CI and pull requests" lists these and CI_SECRETS' values."""


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return data


def triggers(workflow: dict[Any, Any]) -> Any:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = job.get("steps", [])
    return found


def action_problems(workflow: dict[str, Any]) -> list[str]:
    """Every `uses:` that names an action, a major version or an input the table does not know."""
    problems = []
    for job_name, job in workflow.get("jobs", {}).items():
        for i, step in enumerate(steps(job)):
            if "uses" not in step:
                continue
            where = f"{job_name}.steps[{i}] {step['uses']}"
            name, _, ref = step["uses"].partition("@")
            action = ACTIONS.get(name)
            if action is None:
                problems.append(f"{where}: action not in the table")
                continue
            if ref not in action.majors:
                problems.append(f"{where}: version {ref!r} is not one of {sorted(action.majors)}")
            given = set(step.get("with") or {})
            problems += [f"{where}: no input {key!r}" for key in sorted(given - action.inputs)]
            problems += [f"{where}: required input {key!r} missing" for key in sorted(action.required - given)]
    return problems


def expressions(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [e for v in value.values() for e in expressions(v)] + [e for k in value for e in expressions(k)]
    if isinstance(value, list):
        return [e for v in value for e in expressions(v)]
    return re.findall(r"\$\{\{(.*?)\}\}", value) if isinstance(value, str) else []


def job_named(workflow: dict[str, Any], predicate: Any) -> dict[str, Any]:
    found: list[dict[str, Any]] = [job for job in workflow["jobs"].values() if predicate(job)]
    assert len(found) == 1, [j.get("name") for j in found]
    return found[0]


def pulumi_steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in steps(job) if s.get("uses", "").startswith("pulumi/actions@") and "with" in s]


def step_running(job: dict[str, Any], text: str) -> dict[str, Any]:
    found = [s for s in steps(job) if text in s.get("run", "")]
    assert len(found) == 1, text
    return found[0]


def run_script(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True)


@pytest.fixture(params=["preview.yml", "deploy.yml"])
def workflow(request: pytest.FixtureRequest) -> dict[str, Any]:
    return load(request.param)


# --------------------------------------------------------------------------------------------------- both


def test_workflows_are_valid_yaml_with_runnable_jobs(workflow: dict[str, Any]) -> None:
    assert workflow["name"]
    assert triggers(workflow)
    assert workflow["jobs"]
    for name, job in workflow["jobs"].items():
        assert job["runs-on"] == "ubuntu-latest", name
        assert steps(job), name
        for step in steps(job):
            assert ("uses" in step) != ("run" in step), step
        assert steps(job)[0]["uses"] == "actions/checkout@v4", name


def test_only_actions_versions_and_inputs_that_exist(workflow: dict[str, Any]) -> None:
    assert action_problems(workflow) == []


def test_the_action_check_catches_what_does_not_exist() -> None:
    bad = {
        "jobs": {
            "j": {
                "steps": [
                    {"uses": "pulumi/actions@v6", "with": {"command": "preview", "stack_name": "dev", "policy-packs": "p"}},
                    {"uses": "pulumi/actions@v99"},
                    {"uses": "actions/github-script@v7", "with": {"github-token": "t"}},
                    {"uses": "someone/else@v1"},
                ]
            }
        }
    }
    assert action_problems(bad) == [
        "j.steps[0] pulumi/actions@v6: no input 'policy-packs'",
        "j.steps[0] pulumi/actions@v6: no input 'stack_name'",
        "j.steps[1] pulumi/actions@v99: version 'v99' is not one of ['v6']",
        "j.steps[2] actions/github-script@v7: required input 'script' missing",
        "j.steps[3] someone/else@v1: action not in the table",
    ]


def test_expressions_refer_to_what_exists(workflow: dict[str, Any]) -> None:
    jobs = workflow["jobs"]
    for name, job in jobs.items():
        needs = job.get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        assert set(needs) <= set(jobs), name
        step_ids = {s["id"] for s in steps(job) if "id" in s}
        for expression in expressions(job):
            for used in re.findall(r"\bneeds\.([\w-]+)\.outputs\.([\w-]+)", expression):
                assert used[0] in needs, f"{name}: {expression}"
                assert used[1] in jobs[used[0]].get("outputs", {}), f"{name}: {expression}"
            for step_id in re.findall(r"\bsteps\.([\w-]+)\.outputs", expression):
                assert step_id in step_ids, f"{name}: {expression}"
            if "matrix." in expression:
                assert "matrix" in job.get("strategy", {}), f"{name}: {expression}"
            for secret in re.findall(r"(?<![\w.])secrets\.(\w+)", expression):
                assert secret in CLOUD_SECRETS | set(CI_SECRETS.values()), f"{name}: undocumented secret {secret}"
            assert expression.count("(") == expression.count(")"), expression


def test_every_render_command_in_the_workflows_parses() -> None:
    parser = render.build_parser()
    found = 0
    for path in WORKFLOWS.glob("*.yml"):
        for job in load(path.name)["jobs"].values():
            for step in steps(job):
                script = re.sub(r"\$\{\{.*?\}\}", "X", step.get("run", "")).replace("\\\n", " ")
                for line in script.splitlines():
                    for match in re.finditer(r"-m tools\.render (.*)", line):
                        words = shlex.split(match.group(1), comments=True)
                        args = []
                        for word in words:
                            if word in {">", "2>", "|", ";", "&&", ")", "then"} or word.startswith((">", "2>", ")")):
                                break
                            args.append(word)
                        parser.parse_args(args)  # exits (SystemExit) on an unknown option
                        found += 1
    assert found >= 5


# --------------------------------------------------------------------------------------------------- stacks


def stacks_from(workflow: dict[str, Any], tmp_path: Path) -> list[str]:
    """Run the workflow's step that lists the stacks, in the repository, and read its output."""
    test = workflow["jobs"]["test"]
    step = next(s for s in steps(test) if s.get("id") == "stacks")
    output = tmp_path / "github_output"
    done = run_script(step["run"], ROOT, {"GITHUB_OUTPUT": str(output)})
    assert done.returncode == 0, done.stderr
    line = output.read_text().strip()
    assert line.startswith("stacks=")
    listed: list[str] = yaml.safe_load(line.removeprefix("stacks="))
    return listed


def test_preview_runs_for_every_stack(tmp_path: Path) -> None:
    preview = load("preview.yml")
    assert stacks_from(preview, tmp_path) == STACKS
    assert {"dev", "prod"} <= set(STACKS)


def test_deploy_runs_every_stack_but_prod_on_its_own(tmp_path: Path) -> None:
    deploy = load("deploy.yml")
    assert stacks_from(deploy, tmp_path) == [s for s in STACKS if s != "prod"]


# --------------------------------------------------------------------------------------------------- preview


def test_preview_on_pull_requests_tests_then_previews_with_secrets() -> None:
    workflow = load("preview.yml")
    assert "pull_request" in triggers(workflow)
    assert workflow["permissions"]["pull-requests"] == "write"
    jobs = workflow["jobs"]

    test = jobs["test"]
    setup = next(s for s in steps(test) if s.get("uses", "").startswith("actions/setup-python"))
    assert setup["with"]["python-version"] == "3.11"
    assert any(s.get("run") == "bash .ci/run" for s in steps(test))
    has_secrets = next(s for s in steps(test) if s.get("id") == "secrets")
    assert set(has_secrets["env"]) == CLOUD_SECRETS
    assert all(has_secrets["env"][k] == f"${{{{ secrets.{k} }}}}" for k in CLOUD_SECRETS)
    assert test["outputs"]["has_secrets"] == "${{ steps.secrets.outputs.has_secrets }}"

    preview = job_named(workflow, lambda j: bool(pulumi_steps(j)))
    assert preview["if"] == "needs.test.outputs.has_secrets == 'true'"
    assert preview["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.test.outputs.stacks) }}"
    assert set(preview["env"]) >= CLOUD_SECRETS
    assert "matrix.stack" in preview["env"]["STACK"]
    (step,) = pulumi_steps(preview)
    assert step["with"] == {
        "command": "preview",
        "stack-name": "${{ env.STACK }}",
        "diff": True,
        "comment-on-pr": True,
        "policyPacks": "policies",
    }


@pytest.mark.parametrize(("stdout", "value"), [(True, "set"), (False, "unset")])
def test_the_has_secrets_step_tells_both_cases(tmp_path: Path, stdout: bool, value: str) -> None:
    step = next(s for s in steps(load("preview.yml")["jobs"]["test"]) if s.get("id") == "secrets")
    output = tmp_path / "out"
    env = {k: ("x" if stdout else "") for k in CLOUD_SECRETS} | {"GITHUB_OUTPUT": str(output)}
    assert run_script(step["run"], tmp_path, env).returncode == 0
    assert output.read_text() == f"has_secrets={'true' if stdout else 'false'}\n"


def test_without_secrets_the_pull_request_gets_the_render_diff() -> None:
    workflow = load("preview.yml")
    job = job_named(workflow, lambda j: "git worktree add" in str(j))
    assert job["if"] == "needs.test.outputs.has_secrets != 'true'"
    checkout = steps(job)[0]
    assert checkout["with"]["fetch-depth"] == 0  # the base commit must be there for the worktree
    script = step_running(job, "git worktree add")
    assert script["env"]["BASE_SHA"] == "${{ github.event.pull_request.base.sha }}"
    assert '--diff "$RUNNER_TEMP/render-base/$stack"' in script["run"]
    assert "--check" in script["run"]
    assert 'cat "$comment" >> "$GITHUB_STEP_SUMMARY"' in script["run"]
    comment = next(s for s in steps(job) if s.get("uses", "").startswith("actions/github-script@"))
    assert "<!-- eci-inference-render-diff -->" in script["run"]
    assert "<!-- eci-inference-render-diff -->" in comment["with"]["script"]
    assert "render-diff.md" in script["run"] and "render-diff.md" in comment["with"]["script"]
    assert "updateComment" in comment["with"]["script"] and "createComment" in comment["with"]["script"]


# --------------------------------------------------------------------------------------------------- deploy


def test_deploy_on_push_to_main_with_prod_behind_approval() -> None:
    workflow = load("deploy.yml")
    assert triggers(workflow) == {"push": {"branches": ["main"]}}
    assert workflow["concurrency"]["cancel-in-progress"] is False
    jobs = workflow["jobs"]
    assert any(s.get("run") == "bash .ci/run" for s in steps(jobs["test"]))

    auto = job_named(workflow, lambda j: "matrix" in j.get("strategy", {}))
    assert "environment" not in auto
    assert auto["needs"] == "test"
    (up,) = pulumi_steps(auto)
    assert up["with"]["command"] == "up" and up["with"]["stack-name"] == "${{ env.STACK }}"
    assert up["with"]["policyPacks"] == "policies"

    prod = job_named(workflow, lambda j: j.get("environment") == "production")
    assert prod["needs"] in ("up", ["up"]) and jobs["up"] is auto
    assert "'prod'" in prod["env"]["STACK"]
    (up,) = pulumi_steps(prod)
    assert up["with"]["command"] == "up"
    for job in (auto, prod):
        assert set(job["env"]) >= CLOUD_SECRETS


# --------------------------------------------------------------------------------------------------- secrets


def cloud_jobs() -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{path.name}:{name}", job)
        for path in sorted(WORKFLOWS.glob("*.yml"))
        for name, job in load(path.name)["jobs"].items()
        if pulumi_steps(job)
    ]


def test_every_cloud_job_sets_the_secrets_its_stack_lacks_before_pulumi_runs() -> None:
    assert len(cloud_jobs()) == 3
    for name, job in cloud_jobs():
        step = step_running(job, "--missing-secrets")
        assert step["env"] == {v: f"${{{{ secrets.{v} }}}}" for v in CI_SECRETS.values()}, name
        order = steps(job)
        assert order.index(step) < order.index(pulumi_steps(job)[0]), name
        installs = [i for i, s in enumerate(order) if s.get("uses") == "pulumi/actions@v6" and "with" not in s]
        assert installs and installs[0] < order.index(step), f"{name}: the Pulumi CLI must be installed first"


def _fake_project(tmp_path: Path) -> tuple[Path, Path]:
    """A working directory whose `venv/bin/python` is this interpreter and whose `pulumi` records its calls."""
    work = tmp_path / "work"
    (work / "venv" / "bin").mkdir(parents=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "pulumi.log"
    record = shlex.quote(str(log))
    scripts = {
        work / "venv" / "bin" / "python": f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n',
        bin_dir / "pulumi": f'#!/bin/sh\necho "pulumi $*" >> {record}\necho "stdin=$(cat)" >> {record}\n',
    }
    for path, text in scripts.items():
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return work, log


def test_the_secrets_step_pipes_each_missing_secret_to_pulumi_config(tmp_path: Path) -> None:
    _, job = next((n, j) for n, j in cloud_jobs() if n.startswith("preview.yml"))
    script = step_running(job, "--missing-secrets")["run"].replace("${{ matrix.stack }}", "dev")
    work, log = _fake_project(tmp_path)
    env = {
        "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "RUNNER_TEMP": str(tmp_path),
        "STACK": "acme/dev",
        "OSS_ACCESS_KEY_ID": "id-from-ci",
        "OSS_ACCESS_KEY_SECRET": "secret-from-ci",
    }
    done = run_script(script, work, env)
    assert done.returncode == 0, done.stderr
    assert log.read_text().splitlines() == [
        "pulumi config set --secret --stack acme/dev ossAccessKeyId",
        "stdin=id-from-ci",
        "pulumi config set --secret --stack acme/dev ossAccessKeySecret",
        "stdin=secret-from-ci",
    ]
    assert "id-from-ci" not in done.stdout + done.stderr

    # A stack that needs a secret the repository does not have stops with the name of that secret.
    log.unlink()
    done = run_script(script, work, env | {"OSS_ACCESS_KEY_SECRET": ""})
    assert done.returncode == 1
    assert "::error::stack dev needs the repository secret OSS_ACCESS_KEY_SECRET (config key ossAccessKeySecret)" in done.stdout

    # prod holds no such key: nothing is set.
    log.unlink()
    prod = step_running(job, "--missing-secrets")["run"].replace("${{ matrix.stack }}", "prod")
    assert run_script(prod, work, env).returncode == 0
    assert not log.exists()
