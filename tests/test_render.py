"""The offline render: files, apply order, check, diff, secrets, outputs, bad input, and the command's wall time."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pulumi
import pulumi_alicloud as alicloud
import pytest
import yaml
from pulumi.runtime.settings import get_root_resource

from program import main as program_main
from stackconfig import PROJECT
from tests.conftest import PLACEHOLDER_SECRETS, ROOT, STACKS, run_stack
from tools import render
from tools.mockrun import SECRET_MASK, run_program
from tools.render import model, pipeline

HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"

KNOWN_SECRETS = {
    "ossAccessKeyId": "LTAI5tKnownIdThatMustNotLeak01",
    "ossAccessKeySecret": "known-secret-that-must-not-leak-02",
    "kubeconfig": "apiVersion: v1\nkind: Config\n# known-kubeconfig-that-must-not-leak-03\n",
}
"""Values a user would set with ``pulumi config set --secret``: the render must show none of them anywhere."""


def models_of(stack: str = "dev") -> list[dict[str, Any]]:
    config, _ = render.render_config(stack)
    return copy.deepcopy(config[f"{PROJECT}:models"])


def render_dev_with(tmp_path: Path, name: str, **model_changes: Any) -> Path:
    """Write a render of the dev stack whose first model has ``model_changes``; return its directory."""
    models = models_of()
    models[0].update(model_changes)
    out = tmp_path / name
    render.write(render.render_stack("dev", {"models": models}), out)
    return out


def files_of(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def project_copy(tmp_path: Path, stacks: dict[str, str]) -> Path:
    """A project directory with the repository's Pulumi.yaml and models and the given stack files."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (project / "models").symlink_to(ROOT / "models", target_is_directory=True)
    for stack, text in stacks.items():
        (project / f"Pulumi.{stack}.yaml").write_text(text)
    return project


def dev_stack_text(**top_level: Any) -> str:
    data = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    data["config"].update({f"{PROJECT}:{k}": v for k, v in top_level.items()})
    return yaml.safe_dump(data, sort_keys=False)


# --------------------------------------------------------------------------------------------------- files


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_renders_and_passes_check(stack: str, tmp_path: Path, schemas_dir: Path) -> None:
    rendered = render.render_stack(stack)
    run = run_stack(stack)
    assert len(rendered.manifests) == len(run.kubernetes_objects()) > 0
    assert len(rendered.resources) == len(run.resources)
    assert render.check(rendered, schemas_dir) == []
    render.write(rendered, tmp_path / "out")
    assert render.check_dir(tmp_path / "out", schemas_dir) == []
    manifests = sorted(p.name for p in (tmp_path / "out").glob("*.yaml"))
    assert manifests == [m.file for m in rendered.manifests]
    assert (tmp_path / "out" / "resources.md").is_file()


def test_a_render_is_byte_identical_when_repeated(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    render.write(render.render_stack("dev"), first)
    render.write(render.render_stack("dev"), second)
    assert files_of(first) == files_of(second)
    render.write(render.render_stack("dev"), first)  # over its own previous render
    assert files_of(first) == files_of(second)


def test_manifest_files_are_numbered_in_apply_order(tmp_path: Path) -> None:
    rendered = render.render_stack("dev")
    files = [m.file for m in rendered.manifests]
    assert files == sorted(files)
    assert [f.split("-", 1)[0] for f in files] == [f"{i:03d}" for i in range(1, len(files) + 1)]
    kinds = [m.body["kind"] for m in rendered.manifests]
    position = {kind: kinds.index(kind) for kind in kinds}
    assert position["Secret"] < position["PersistentVolume"] < position["PersistentVolumeClaim"] < position["SeldonDeployment"]
    assert position["ElasticWorkload"] < position["HorizontalPodAutoscaler"]
    assert kinds[-1] == "HorizontalPodAutoscaler"

    # Every object comes after every object it depends on (the dependencies Pulumi records, followed through
    # the components and non-Kubernetes resources in between).
    run = run_stack("dev")
    transitive = pipeline._transitive(run)
    by_key = {m.key: i for i, m in enumerate(rendered.manifests)}
    for r in run.resources:
        key = pipeline._resource_key(r.urn)
        if key in by_key:
            for dep in transitive[r.urn]:
                dep_key = pipeline._resource_key(dep)
                if dep_key in by_key:
                    assert by_key[dep_key] < by_key[key], f"{key} is applied before {dep_key}"


def test_the_order_follows_dependencies_before_kind() -> None:
    objects = {
        "hpa": {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "a"}},
        "ns": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "z"}},
        "cr": {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "b"}},
        "cm": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}},
        "secret": {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "d"}},
    }
    assert pipeline._apply_order(objects, {}) == ["ns", "secret", "cm", "cr", "hpa"]
    # A Secret that depends on the custom resource (say, its name comes from it) waits for it.
    assert pipeline._apply_order(objects, {"secret": {"cr"}}) == ["ns", "cm", "cr", "secret", "hpa"]


def test_resources_table_lists_every_resource_with_parent_and_options() -> None:
    rendered = render.render_stack("prod")
    table = rendered.files[model.RESOURCES_MD]
    rows = [line for line in table.splitlines() if line.startswith("| ") and line.split("|")[1].strip().isdigit()]
    assert len(rows) == len(rendered.resources)
    bucket = next(line for line in rows if "alicloud:oss/bucket:Bucket " in line)
    assert "| models-bucket | models | protect" in bucket
    assert 'serverSideEncryptionRule.sseAlgorithm="AES256"' in bucket
    ew = next(line for line in rows if "ElasticWorkload" in line)
    assert "ignoreChanges: spec.replicas" in ew
    assert "`0" in ew  # points at its YAML file
    # Local paths are relative to the project, so that two checkouts render alike.
    assert str(ROOT) not in table
    assert 'source="models/fashion-mnist/1/saved_model.pb"' in table


# --------------------------------------------------------------------------------------------------- secrets


def _assert_absent(directory: Path, values: list[str]) -> None:
    """Neither a value nor any distinctive line of it (the kubeconfig's marker line) is in any file."""
    needles = {v for value in values for v in [value, *(line for line in value.splitlines() if "leak" in line)]}
    assert needles
    for name, data in files_of(directory).items():
        for needle in needles:
            assert needle.encode() not in data, f"{needle!r} leaked into {name}"


def test_secret_values_never_reach_the_render(tmp_path: Path) -> None:
    rendered = render.render_stack("dev", secret_override=KNOWN_SECRETS)
    render.write(rendered, tmp_path / "dev")
    _assert_absent(tmp_path / "dev", list(KNOWN_SECRETS.values()))

    # What the render shows instead: visible placeholders, where the program put the secrets.
    secret = next(m for m in rendered.manifests if m.body["kind"] == "Secret")
    assert secret.body["stringData"] == {"akId": "[secret:ossAccessKeyId]", "akSecret": "[secret:ossAccessKeySecret]"}
    assert "[secret:ossAccessKeyId]" in (tmp_path / "dev" / secret.file).read_text()
    provider = next(r for r in rendered.resources if r["type"] == "pulumi:providers:kubernetes")
    assert provider["inputs"]["kubeconfig"] == "[secret:kubeconfig]"


def test_stack_file_ciphertext_never_reaches_the_render(tmp_path: Path) -> None:
    text = dev_stack_text(ossAccessKeyId={"secure": "v1:Q2lwaGVydGV4dE9mVGhlSWQ="})
    text += f"  {PROJECT}:ossAccessKeySecret:\n    secure: v1:Q2lwaGVydGV4dE9mVGhlU2VjcmV0\n"
    project = project_copy(tmp_path, {"sec": text})
    rendered = render.render_stack("sec", project_dir=project)
    render.write(rendered, tmp_path / "out")
    _assert_absent(tmp_path / "out", ["Q2lwaGVydGV4dE9mVGhlSWQ=", "Q2lwaGVydGV4dE9mVGhlU2VjcmV0"])
    secret = next(m for m in rendered.manifests if m.body["kind"] == "Secret")
    assert secret.body["stringData"]["akSecret"] == "[secret:ossAccessKeySecret]"
    assert render.missing_secrets("sec", project) == []


def test_masking_alone_keeps_secrets_out_of_a_run_that_had_them(tmp_path: Path) -> None:
    # run_stack gives the program real-looking secret values (no placeholders): every file still masks them.
    run = run_stack("dev")
    plain = run.one("kubernetes:core/v1:Secret").inputs["stringData"]
    assert plain == {"akId": PLACEHOLDER_SECRETS["ossAccessKeyId"], "akSecret": PLACEHOLDER_SECRETS["ossAccessKeySecret"]}
    rendered = render.render_run(run, "dev")
    render.write(rendered, tmp_path / "dev")
    _assert_absent(tmp_path / "dev", list(PLACEHOLDER_SECRETS.values()))
    secret = next(m for m in rendered.manifests if m.body["kind"] == "Secret")
    assert secret.body["stringData"] == {"akId": SECRET_MASK, "akSecret": SECRET_MASK}


def test_missing_secrets_name_the_ci_secret() -> None:
    assert render.missing_secrets("dev") == ["ossAccessKeyId", "ossAccessKeySecret"]
    assert render.missing_secrets("prod") == []
    assert set(model.CI_SECRETS) == {"ossAccessKeyId", "ossAccessKeySecret"}


# --------------------------------------------------------------------------------------------------- outputs


def test_outputs_are_the_programs_exports() -> None:
    rendered = render.render_stack("dev")
    assert rendered.outputs == run_stack("dev").outputs
    assert model.KNOWN_AFTER_DEPLOY not in str(rendered.outputs)  # all of them follow from the config
    assert "## Stack outputs" in rendered.files[model.RESOURCES_MD]
    assert "predictionUrl: http://fashion-mnist-eci." in rendered.files[model.RESOURCES_MD]


def test_values_only_known_after_deploy_are_shown_as_such() -> None:
    shape: dict[str, Any] = {}

    def program() -> None:
        bucket = alicloud.oss.Bucket("b", bucket="models")
        alicloud.oss.BucketAcl("acl", bucket=bucket.id, acl="private")
        pulumi.export("bucketId", bucket.id)
        pulumi.export("bucketName", bucket.bucket)
        pulumi.export("endpoint", bucket.extranet_endpoint)  # computed by the cloud: the mocks have no value
        pulumi.export("url", bucket.id.apply(lambda i: f"https://{i}.example.com/x"))
        pulumi.export("nested", {"name": bucket.bucket, "ids": [bucket.id], "internal": bucket.intranet_endpoint})
        shape.update(pipeline.export_shape(getattr(get_root_resource(), "outputs", {})))

    rendered = render.render_run(run_program(program, {}, stack="t"), "t", exported=shape)
    unknown = model.KNOWN_AFTER_DEPLOY
    assert rendered.outputs == {
        "bucketId": unknown,
        "bucketName": "models",
        "endpoint": unknown,
        "nested": {"ids": [unknown], "internal": unknown, "name": "models"},
        "url": unknown,
    }
    acl = next(r for r in rendered.resources if r["name"] == "acl")
    assert acl["inputs"] == {"acl": "private", "bucket": unknown}


# --------------------------------------------------------------------------------------------------- check


def test_check_reports_a_broken_file_by_name(tmp_path: Path, schemas_dir: Path) -> None:
    out = tmp_path / "dev"
    rendered = render.render_stack("dev")
    render.write(rendered, out)
    hpa = next(m.file for m in rendered.manifests if m.body["kind"] == "HorizontalPodAutoscaler")
    path = out / hpa
    path.write_text(path.read_text().replace("maxReplicas: 10", "maxReplicas: ten"))
    problems = render.check_dir(out, schemas_dir)
    assert len(problems) == 1
    assert problems[0].startswith(f"{hpa}: HorizontalPodAutoscaler/fashion-mnist-eci-hpa: spec.maxReplicas: 'ten'")


def test_check_failure_exits_1_with_the_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import tools.validate

    def picky(obj: Any, schemas_dir: Path | None = None) -> list[str]:
        return ["HorizontalPodAutoscaler/x: spec: too picky"] if obj["kind"] == "HorizontalPodAutoscaler" else []

    monkeypatch.setattr(tools.validate, "validate_object", picky)
    assert render.main(["--stack", "dev", "--out", str(tmp_path / "dev"), "--check"]) == 1
    err = capsys.readouterr().err
    assert "horizontalpodautoscaler-fashion-mnist-eci-hpa.yaml: HorizontalPodAutoscaler/x: spec: too picky" in err
    assert "check: 1 problem(s)" in err


# --------------------------------------------------------------------------------------------------- diff


def test_diff_of_one_config_change_is_exactly_that_change(tmp_path: Path) -> None:
    before = render_dev_with(tmp_path, "before")
    assert render.diff(before, render_dev_with(tmp_path, "replicas", maxReplicas=12)).lines == [
        f"~ {HPA} fashion-mnist-autoscaler-hpa: spec.maxReplicas: 10 -> 12"
    ]
    qps = render.diff(before, render_dev_with(tmp_path, "qps", targetQps=25))
    assert qps.lines == [f'~ {HPA} fashion-mnist-autoscaler-hpa: spec.metrics[0].external.target.averageValue: "10" -> "25"']
    assert qps.summary == "resources: 0 added, 1 changed, 0 removed; outputs: 0 changed"


def test_diff_of_identical_renders_is_empty(tmp_path: Path) -> None:
    a, b = render_dev_with(tmp_path, "a"), render_dev_with(tmp_path, "b")
    result = render.diff(a, b)
    assert result.lines == []
    assert result.text() == "no differences\n"


def test_diff_lists_added_and_removed_resources_and_outputs(tmp_path: Path) -> None:
    one = tmp_path / "one"
    render.write(render.render_stack("dev"), one)
    models = models_of()
    extra = copy.deepcopy(models[0]) | {"name": "digits", "seldonDeploymentName": "digits"}
    two = tmp_path / "two"
    rendered = render.render_stack("dev", {"models": [*models, extra], "protectBucket": True})
    render.write(rendered, two)

    # protectBucket makes the stack prod-like (StackConfig.prod_like): the first model gains its NetworkPolicy too.
    added_names = ("digits-", "fashion-mnist-network-policy")
    new = [r for r in rendered.resources if r["name"] == "digits" or r["name"].startswith(added_names)]
    forward = render.diff(one, two)
    assert [line for line in forward.lines if line.startswith("+ ") and " output " not in line] == [
        f"+ {r['type']} {r['name']}" for r in new
    ]
    assert "~ alicloud:oss/bucket:Bucket models-bucket: (protect): false -> true" in forward.lines
    assert '+ output digits.hpaName: "digits-hpa"' in forward.lines
    assert (forward.added, forward.removed) == (len(new), 0)

    backward = render.diff(two, one)
    assert [line for line in backward.lines if line.startswith("- ") and " output " not in line] == [
        f"- {r['type']} {r['name']}" for r in new
    ]
    assert '- output digits.hpaName: "digits-hpa"' in backward.lines
    assert (backward.added, backward.removed) == (0, len(new))


def test_cli_diff_compares_another_render_with_this_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = render_dev_with(tmp_path, "other", maxReplicas=12)
    assert render.main(["--stack", "dev", "--out", str(tmp_path / "dev"), "--diff", str(other)]) == 0
    assert capsys.readouterr().out == (
        f"~ {HPA} fashion-mnist-autoscaler-hpa: spec.maxReplicas: 12 -> 10\n"
        "resources: 0 added, 1 changed, 0 removed; outputs: 0 changed\n"
    )
    # The same directory as --out and --diff: the other render is read before this one replaces it.
    assert render.main(["--stack", "dev", "--out", str(other), "--diff", str(other)]) == 0
    assert "spec.maxReplicas: 12 -> 10" in capsys.readouterr().out


def test_diff_against_a_directory_that_is_no_render_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes").mkdir()
    assert render.main(["--stack", "dev", "--out", str(tmp_path / "dev"), "--diff", str(tmp_path / "notes")]) == 2
    assert "is not a render" in capsys.readouterr().err
    assert not (tmp_path / "dev").exists()


# --------------------------------------------------------------------------------------------------- bad input


def test_unknown_stack_lists_the_stacks_that_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(render.UnknownStack) as caught:
        render.render_stack("qa")
    assert caught.value.available == STACKS
    assert render.main(["--stack", "qa", "--out", str(tmp_path / "qa")]) == 2
    err = capsys.readouterr().err
    assert "unknown stack 'qa'" in err
    assert f"stacks of this project: {', '.join(STACKS)}" in err
    assert "Traceback" not in err
    assert not (tmp_path / "qa").exists()
    assert render.main(["--stack", "../Pulumi", "--out", str(tmp_path / "x")]) == 2  # not a path either


def test_config_error_prints_the_programs_message_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = dev_stack_text(bucket="-Bad-Bucket-", regoin="cn-beijing")
    project = project_copy(tmp_path, {"broken": text})
    config, secret_keys = render.render_config("broken", project_dir=project)
    with pytest.raises(pulumi.RunError) as program_error:
        run_program(lambda: program_main(project), config, secret_keys, stack="broken")
    message = str(program_error.value)
    assert "-Bad-Bucket-" in message and "regoin" in message

    out = tmp_path / "out"
    assert render.main(["--stack", "broken", "--project-dir", str(project), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not out.exists()


def test_a_directory_with_other_files_is_not_overwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")
    assert render.main(["--stack", "dev", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "refusing to render into" in err and "notes.txt" in err and "--force" in err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]

    assert render.main(["--stack", "dev", "--out", str(out), "--force"]) == 0
    assert (out / "notes.txt").read_text() == "mine\n"
    assert (out / render.MARKER).is_file()
    assert "left alone" in capsys.readouterr().err

    # A render with a foreign file added later is refused too; a file is never a directory.
    with pytest.raises(render.OverwriteRefused):
        render.write(render.render_stack("dev"), out)
    with pytest.raises(render.OverwriteRefused, match="it is a file"):
        render.write(render.render_stack("dev"), out / "notes.txt")


def test_a_previous_render_is_replaced_whole(tmp_path: Path) -> None:
    models = models_of()
    extra = copy.deepcopy(models[0]) | {"name": "digits", "seldonDeploymentName": "digits"}
    out = tmp_path / "out"
    render.write(render.render_stack("dev", {"models": [*models, extra]}), out)
    assert any("digits" in p.name for p in out.glob("*.yaml"))
    single = render.render_stack("dev")
    assert render.write(single, out) == []
    assert set(files_of(out)) == set(single.files)
    assert not any("digits" in p.name for p in out.glob("*.yaml"))


# --------------------------------------------------------------------------------------------------- the command


def test_the_command_renders_dev_as_a_fresh_process(tmp_path: Path) -> None:
    """The command end to end; its speed is measured in benchmarks/bench_render.py, never asserted here."""
    out = tmp_path / "dev"
    done = subprocess.run(
        [sys.executable, "-m", "tools.render", "--stack", "dev", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith("rendered stack 'dev': ")
    assert "Traceback" not in done.stderr and "Exception" not in done.stderr
    assert (out / render.MARKER).is_file()


def test_the_command_writes_every_file_whole_before_it_exits(tmp_path: Path) -> None:
    """The command leaves with ``os._exit`` (:func:`tools.mockrun.one_shot`): nothing it wrote may be cut short."""
    out = tmp_path / "prod"
    done = subprocess.run(
        [sys.executable, "-m", "tools.render", "--stack", "prod", "--out", str(out), "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.rstrip().endswith("objects valid")
    expected = render.render_stack("prod").files
    written = {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in out.rglob("*") if p.is_file()}
    assert written == expected


def test_the_command_exits_2_on_a_usage_error() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tools.render", "--out", "x"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "the following arguments are required: --stack" in done.stderr


def test_resources_json_holds_one_resource_per_line() -> None:
    rendered = render.render_stack("dev")
    text = rendered.files[model.RESOURCES_JSON]
    lines = text.splitlines()
    assert (lines[0], lines[-1]) == ("[", "]")
    assert len(lines) == len(rendered.resources) + 2
    assert json.loads(text) == json.loads(json.dumps(list(rendered.resources)))


def test_the_commands_diff_reaches_a_pipe_whole(tmp_path: Path) -> None:
    """``--diff`` is printed through a buffered pipe and the command leaves with ``os._exit``: all of it must arrive."""
    other = tmp_path / "prod"
    render.write(render.render_stack("prod"), other)
    expected = render.diff_data(render.load(other), render.render_stack("dev").data()).text()
    assert len(expected.encode()) > 8192  # more than one buffer's worth
    done = subprocess.run(
        [sys.executable, "-m", "tools.render", "--stack", "dev", "--out", str(tmp_path / "dev"), "--diff", str(other)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected
