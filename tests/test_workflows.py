"""The GitHub workflows: valid YAML, only actions and inputs that exist, and the jobs the README describes."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import stat
import subprocess
import sys
import tomllib
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
    pins: dict[str, str]
    """Commit SHA -> the release tag it is (``git rev-parse <tag>^{commit}`` in a clone of the action)."""
    inputs: frozenset[str]
    required: frozenset[str] = frozenset()


# Each action's inputs as its action.yml declares them at the pinned commit (all node20 actions).
ACTIONS: dict[str, Action] = {
    "actions/checkout": Action(
        pins={"11d5960a326750d5838078e36cf38b85af677262": "v4.4.0"},
        inputs=frozenset(
            [
                "allow-unsafe-pr-checkout",
                "clean",
                "fetch-depth",
                "fetch-tags",
                "filter",
                "github-server-url",
                "lfs",
                "path",
                "persist-credentials",
                "ref",
                "repository",
                "set-safe-directory",
                "show-progress",
                "sparse-checkout",
                "sparse-checkout-cone-mode",
                "ssh-key",
                "ssh-known-hosts",
                "ssh-strict",
                "ssh-user",
                "submodules",
                "token",
            ]
        ),
    ),
    "actions/setup-python": Action(
        pins={"a26af69be951a213d495a4c3e4e4022e16d87065": "v5.6.0"},
        inputs=frozenset(
            [
                "allow-prereleases",
                "architecture",
                "cache",
                "cache-dependency-path",
                "check-latest",
                "freethreaded",
                "python-version",
                "python-version-file",
                "token",
                "update-environment",
            ]
        ),
    ),
    "actions/github-script": Action(
        pins={"f28e40c7f34bde8b3046d885e986cb6290c5673b": "v7.1.0"},
        inputs=frozenset(
            [
                "base-url",
                "debug",
                "github-token",
                "previews",
                "result-encoding",
                "retries",
                "retry-exempt-status-codes",
                "script",
                "user-agent",
            ]
        ),
        required=frozenset({"script"}),
    ),
    "actions/upload-artifact": Action(
        pins={"ea165f8d65b6e75b540449e92b4886f43607fa02": "v4.6.2"},
        inputs=frozenset(
            ["compression-level", "if-no-files-found", "include-hidden-files", "name", "overwrite", "path", "retention-days"]
        ),
        required=frozenset({"path"}),
    ),
    # No input is required: without `command` the action only installs the Pulumi CLI.
    "pulumi/actions": Action(
        pins={"8582a9e8cc630786854029b4e09281acd6794b58": "v6.6.1"},
        inputs=frozenset(
            [
                "always-include-summary",
                "cloud-url",
                "color",
                "command",
                "comment-on-pr",
                "comment-on-pr-number",
                "comment-on-summary",
                "config-map",
                "continue-on-error",
                "debug",
                "diff",
                "edit-pr-comment",
                "exclude",
                "exclude-dependents",
                "exclude-protected",
                "expect-no-changes",
                "github-token",
                "log-flow",
                "log-verbosity",
                "message",
                "parallel",
                "plan",
                "policyPackConfigs",
                "policyPacks",
                "pulumi-version",
                "pulumi-version-file",
                "refresh",
                "remove",
                "replace",
                "secrets-provider",
                "stack-name",
                "suppress-outputs",
                "suppress-progress",
                "target",
                "target-dependents",
                "upsert",
                "work-dir",
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
            if ref not in action.pins:
                problems.append(f"{where}: {ref!r} is not a pinned commit of {name} ({sorted(action.pins.values())})")
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
        assert steps(job)[0]["uses"].startswith("actions/checkout@"), name


def test_only_actions_versions_and_inputs_that_exist(workflow: dict[str, Any]) -> None:
    assert action_problems(workflow) == []


def test_the_action_check_catches_what_does_not_exist() -> None:
    (pulumi_sha,) = ACTIONS["pulumi/actions"].pins
    (script_sha,) = ACTIONS["actions/github-script"].pins
    bad = {
        "jobs": {
            "j": {
                "steps": [
                    {
                        "uses": f"pulumi/actions@{pulumi_sha}",
                        "with": {"command": "preview", "stack_name": "d", "policy-packs": "p"},
                    },
                    {"uses": "pulumi/actions@v6"},
                    {"uses": f"actions/github-script@{script_sha}", "with": {"github-token": "t"}},
                    {"uses": "someone/else@v1"},
                ]
            }
        }
    }
    assert action_problems(bad) == [
        f"j.steps[0] pulumi/actions@{pulumi_sha}: no input 'policy-packs'",
        f"j.steps[0] pulumi/actions@{pulumi_sha}: no input 'stack_name'",
        "j.steps[1] pulumi/actions@v6: 'v6' is not a pinned commit of pulumi/actions (['v6.6.1'])",
        f"j.steps[2] actions/github-script@{script_sha}: required input 'script' missing",
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
        installs = [i for i, s in enumerate(order) if s.get("uses", "").startswith("pulumi/actions@") and "with" not in s]
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
    script = step_running(job, "--missing-secrets")["run"]
    work, log = _fake_project(tmp_path)
    env = {
        "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "RUNNER_TEMP": str(tmp_path),
        "STACK": "acme/dev",
        "STACK_NAME": "dev",
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
    assert run_script(script, work, env | {"STACK_NAME": "prod"}).returncode == 0
    assert not log.exists()


# --------------------------------------------------------------------------------------------------- hardening
# What zizmor (`.ci/run`) asks of the workflows, checked here on our own terms so each property has a test that
# names the step that breaks it.

ALL_WORKFLOWS = ["preview.yml", "deploy.yml", "simulate.yml", "mutation.yml"]
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$")
PINNED = re.compile(r"([\w.-]+/[\w.-]+)@([0-9a-f]{40})")


def test_every_workflow_is_listed_here() -> None:
    assert sorted(p.name for p in WORKFLOWS.glob("*.y*ml")) == sorted(ALL_WORKFLOWS)


def injection_problems(workflow: dict[str, Any]) -> list[str]:
    """Every ``${{ }}`` inside a ``run:`` script: a value reaches the shell only through ``env:``."""
    return [
        f"{job_name}.steps[{i}]: {match}"
        for job_name, job in workflow["jobs"].items()
        for i, step in enumerate(steps(job))
        for match in re.findall(r"\$\{\{.*?\}\}", step.get("run", ""))
    ]


def pin_problems(text: str) -> list[str]:
    """Every ``uses:`` line that is not ``owner/repo@<sha of a known release> # <that release>``."""
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        match = USES_LINE.match(line)
        if match is None:
            continue
        pinned = PINNED.fullmatch(match.group(1))
        if pinned is None:
            problems.append(f"line {number}: {match.group(1)} is not pinned to a commit")
            continue
        action = ACTIONS.get(pinned.group(1))
        version = action.pins.get(pinned.group(2)) if action else None
        if match.group(2).strip() != f"# {version}":
            problems.append(f"line {number}: {match.group(1)} needs the comment '# {version}' (its release)")
    return problems


def permission_problems(workflow: dict[str, Any], wanted: dict[str, dict[str, str]]) -> list[str]:
    problems = [] if workflow.get("permissions") == {} else [f"workflow-wide permissions {workflow.get('permissions')}"]
    for name, job in workflow["jobs"].items():
        if job.get("permissions") != wanted.get(name):
            problems.append(f"{name}: permissions {job.get('permissions')} instead of {wanted.get(name)}")
    return problems


@pytest.mark.parametrize("name", ALL_WORKFLOWS)
def test_no_expression_inside_a_run_script(name: str) -> None:
    assert injection_problems(load(name)) == []


def test_the_injection_check_finds_an_expression_in_a_script() -> None:
    bad = {"jobs": {"j": {"steps": [{"run": 'echo "${{ matrix.stack }}"'}, {"run": "echo $X", "env": {"X": "${{ a }}"}}]}}}
    assert injection_problems(bad) == ["j.steps[0]: ${{ matrix.stack }}"]


@pytest.mark.parametrize("name", ALL_WORKFLOWS)
def test_every_action_is_pinned_to_a_release_commit_named_in_a_comment(name: str) -> None:
    text = (WORKFLOWS / name).read_text()
    assert pin_problems(text) == []
    assert action_problems(load(name)) == []


def test_the_pin_check_refuses_tags_unknown_commits_and_wrong_comments() -> None:
    (checkout,) = ACTIONS["actions/checkout"].pins
    text = "\n".join(
        [
            "      - uses: actions/checkout@v4",
            f"      - uses: actions/checkout@{checkout} # v4.4.0",
            f"        uses: actions/checkout@{checkout} # v4.3.0",
            f"      - uses: actions/checkout@{checkout}",
            f"      - uses: actions/checkout@{'0' * 40} # v4.4.0",
        ]
    )
    assert pin_problems(text) == [
        "line 1: actions/checkout@v4 is not pinned to a commit",
        f"line 3: actions/checkout@{checkout} needs the comment '# v4.4.0' (its release)",
        f"line 4: actions/checkout@{checkout} needs the comment '# v4.4.0' (its release)",
        f"line 5: actions/checkout@{'0' * 40} needs the comment '# None' (its release)",
    ]


@pytest.mark.parametrize("name", ALL_WORKFLOWS)
def test_no_checkout_keeps_its_credentials(name: str) -> None:
    for job_name, job in load(name)["jobs"].items():
        for step in steps(job):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, job_name


@pytest.mark.parametrize(
    ("name", "wanted"),
    [
        (
            "preview.yml",
            {
                "test": {"contents": "read"},
                "preview": {"contents": "read", "pull-requests": "write"},
                "render-diff": {"contents": "read", "pull-requests": "write"},
            },
        ),
        ("deploy.yml", {"test": {"contents": "read"}, "up": {"contents": "read"}, "prod": {"contents": "read"}}),
        ("simulate.yml", {"simulate": {"contents": "read", "pull-requests": "write"}}),
    ],
)
def test_each_job_gets_only_the_permissions_it_uses(name: str, wanted: dict[str, dict[str, str]]) -> None:
    assert permission_problems(load(name), wanted) == []


def test_the_permission_check_refuses_workflow_wide_and_extra_grants() -> None:
    bad = {"permissions": {"pull-requests": "write"}, "jobs": {"t": {"permissions": {"contents": "write"}}, "u": {}}}
    assert permission_problems(bad, {"t": {"contents": "read"}, "u": {"contents": "read"}}) == [
        "workflow-wide permissions {'pull-requests': 'write'}",
        "t: permissions {'contents': 'write'} instead of {'contents': 'read'}",
        "u: permissions None instead of {'contents': 'read'}",
    ]


def test_jobs_that_comment_hold_the_write_permission_and_the_others_do_not() -> None:
    for name in ALL_WORKFLOWS:
        for job_name, job in load(name)["jobs"].items():
            comments = any(
                s.get("uses", "").startswith("actions/github-script@") or (s.get("with") or {}).get("comment-on-pr")
                for s in steps(job)
            )
            granted = (job.get("permissions") or {}).get("pull-requests") == "write"
            assert comments == granted, f"{name}:{job_name}"


# --------------------------------------------------------------------------------------------------- stack names
# Pulumi's rule (pulumi/pulumi v3.259.0, sdk/go/common/tokens/stack_name.go, ParseStackName): 1 to 100 characters
# of [A-Za-z0-9_.-]. Its own test table (stack_name_test.go) is transcribed where it gives a verdict.

STACKS_SCRIPT = ROOT / ".ci" / "stacks.py"


def list_stacks(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(STACKS_SCRIPT), "--dir", str(directory), *args], capture_output=True, text=True)


@pytest.mark.parametrize(
    "name",
    # stack_name_test.go's valid inputs, then the edges: one character, exactly 100, each allowed symbol alone.
    ["my-stack", "stack", "s-92", "stack_foo", "foo_bar_123", "a", "A" * 100, "0", "-", "_", "."],
)
def test_valid_stack_names_are_listed(tmp_path: Path, name: str) -> None:
    (tmp_path / f"Pulumi.{name}.yaml").write_text("config: {}\n")
    done = list_stacks(tmp_path)
    assert (done.returncode, done.stdout) == (0, json.dumps([name]) + "\n")


@pytest.mark.parametrize(
    "name",
    # stack_name_test.go's invalid inputs (the empty name is "Pulumi..yaml"; "foo/bar" cannot be a file name), then 101 characters and shell syntax.
    ["", "!my stack!", "my bad", "mybad%", "A" * 101, "$(touch pwned)", "a;b", "dev\n", "`id`", "é", "${{ github.token }}"],
)
def test_a_file_name_pulumi_would_refuse_fails_and_lists_nothing(tmp_path: Path, name: str) -> None:
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    (tmp_path / f"Pulumi.{name}.yaml").write_text("config: {}\n")
    done = list_stacks(tmp_path)
    assert done.returncode == 1
    (line,) = done.stdout.splitlines()
    assert line.startswith("::error::stack file ") and "is not a Pulumi stack name" in line
    assert json.dumps(name) in line
    assert not (tmp_path / "pwned").exists()


def test_the_list_leaves_out_what_is_excepted_and_can_print_lines(tmp_path: Path) -> None:
    for name in ("dev", "prod", "staging"):
        (tmp_path / f"Pulumi.{name}.yaml").write_text("config: {}\n")
    assert list_stacks(tmp_path, "--except", "prod").stdout == '["dev", "staging"]\n'
    assert list_stacks(tmp_path, "--lines").stdout == "dev\nprod\nstaging\n"


def test_a_bad_stack_file_name_fails_the_listing_step_before_any_job_gets_it(tmp_path: Path) -> None:
    for name in ("preview.yml", "deploy.yml"):
        step = next(s for s in steps(load(name)["jobs"]["test"]) if s.get("id") == "stacks")
        work = tmp_path / name
        (work / ".ci").mkdir(parents=True)
        (work / ".ci" / "stacks.py").write_text(STACKS_SCRIPT.read_text())
        (work / "Pulumi.dev.yaml").write_text("config: {}\n")
        (work / "Pulumi.$(touch pwned).yaml").write_text("config: {}\n")
        output = work / "github_output"
        done = run_script(step["run"], work, {"GITHUB_OUTPUT": str(output)})
        assert done.returncode == 1, name
        assert "::error::stack file" in done.stdout
        assert not output.exists() and not (work / "pwned").exists()


def test_the_loops_over_stacks_take_the_checked_names() -> None:
    render_diff = step_running(load("preview.yml")["jobs"]["render-diff"], "git worktree add")
    assert render_diff["env"]["STACKS"] == "${{ needs.test.outputs.stacks }}"
    assert 'json.loads(os.environ["STACKS"])' in render_diff["run"]
    loops = [s for s in steps(load("simulate.yml")["jobs"]["simulate"]) if "for stack in" in s.get("run", "")]
    assert len(loops) == 2  # the simulation and the tuning
    assert all("head/.ci/stacks.py --dir head --lines" in s["run"] for s in loops)
    for name in ALL_WORKFLOWS:
        for job in load(name)["jobs"].values():
            for step in steps(job):
                assert "Pulumi.*.yaml" not in step.get("run", ""), f"{name}: a raw glob of stack files"


def test_ci_runs_zizmor_offline_after_mypy_and_before_pytest() -> None:
    lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.startswith("venv/bin/")]
    assert lines.index("venv/bin/mypy .") < lines.index("venv/bin/zizmor --offline .github/workflows")
    assert lines.index("venv/bin/zizmor --offline .github/workflows") < lines.index("venv/bin/python -m pytest -n auto")
    pinned = [line for line in (ROOT / "requirements-dev.txt").read_text().splitlines() if line.startswith("zizmor")]
    assert len(pinned) == 1 and re.fullmatch(r"zizmor==\d+\.\d+\.\d+", pinned[0])


def _mutant_prefix(path: Path) -> str:
    """What mutmut's mutant names start with for a file: its module path, then ``.`` (``components.ingress.x…``)."""
    return ".".join(path.relative_to(ROOT).with_suffix("").parts) + "."


def test_the_weekly_mutation_jobs_cover_each_file_of_the_three_targets_once() -> None:
    """mutmut selects mutants with fnmatch patterns on their names; every file under ``source_paths`` must be matched
    by the patterns of exactly one job (a new component file joins a job), and no pattern may match nothing."""
    paths = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]["source_paths"]
    files = sorted(
        f for p in paths for f in ((ROOT / p).rglob("*.py") if (ROOT / p).is_dir() else [ROOT / p]) if f.name != "__init__.py"
    )
    jobs = load("mutation.yml")["jobs"]["mutation"]["strategy"]["matrix"]["include"]
    # the job reads its target with `read -ra`, which takes one line: a target over several lines would lose the rest
    assert all("\n" not in job["target"] for job in jobs)
    patterns = {job["job"]: job["target"].split(" ") for job in jobs}
    for path in files:
        name = _mutant_prefix(path) + "x_f__mutmut_1"
        owners = [job for job, pats in patterns.items() if any(fnmatch.fnmatch(name, pat) for pat in pats)]
        assert len(owners) == 1, (path, owners)
    for job, pats in patterns.items():
        for pat in pats:
            assert any(fnmatch.fnmatch(_mutant_prefix(f) + "x_f__mutmut_1", pat) for f in files), (job, pat)
