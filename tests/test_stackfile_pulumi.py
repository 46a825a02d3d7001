"""The offline reader yields what the Pulumi CLI passes the program, value for value.

The oracle is a hand-written table. Each row is a plain YAML scalar and what the CLI makes of it, worked out by hand
from the sources (not from ``tools.stackfile``):

- gopkg.in/yaml.v3 v3.0.1 ``resolve.go`` (the version pulumi's ``sdk/go.mod`` and ``pkg/go.mod`` pin): ``resolveMap``
  holds the only booleans (``true True TRUE false False FALSE``), the nulls (``"" ~ null Null NULL``) and the
  infinities/NaN; a scalar starting with a digit or a sign is tried as ``strconv.ParseInt(plain, 0, 64)`` with ``_``
  removed (so ``0x``, ``0o``, ``0b`` and a leading ``0`` for octal), then ``ParseUint``, then ``yamlStyleFloat``;
  anything else is a string. ``yes``/``no``/``on``/``off`` are strings at every depth.
- pulumi ``sdk/go/common/resource/config/object.go`` (v3.259.0) ``MarshalString``: a top-level bool or number becomes
  its JSON text (Go's ``encoding/json``: floats in ``'f'`` form between 1e-6 and 1e21, shortest digits, so ``1e3`` is
  ``1000`` and ``1.50`` is ``1.5``), a string stays itself; an object or list is JSON, which the program decodes (so a
  nested ``5.0`` arrives as the JSON number ``5``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tools import render
from tools.stackfile import MAX_NODES, StackFileError, read_stack_file

K = "eci-inference:namespace"

TOP_LEVEL: list[tuple[str, str]] = [
    ("no", "no"), ("yes", "yes"), ("on", "on"), ("off", "off"), ("y", "y"), ("n", "n"),
    ("true", "true"), ("True", "true"), ("TRUE", "true"), ("tRUE", "tRUE"), ("false", "false"), ("FALSE", "false"),
    ("'yes'", "yes"), ('"true"', "true"), ("!!str 12", "12"), ("!!int 12", "12"), ("!!float 1", "1"),
    ("1e3", "1000"), ("1.50", "1.5"), ("1.", "1"), (".5", "0.5"), ("+12", "12"), ("-7", "-7"),
    ("0x1F", "31"), ("017", "15"), ("0o17", "15"), ("0b101", "5"), ("1_000", "1000"), ("08", "8"),
    ("1e30", "1e+30"), ("1e21", "1e+21"), ("1e20", "100000000000000000000"), ("1e-7", "1e-7"),
    ("9223372036854775807", "9223372036854775807"), ("9223372036854775808", "9223372036854775808"),
    ("18446744073709551616", "18446744073709552000"), ("1e400", "1e400"),
    ("12:30", "12:30"), ("0.1.2", "0.1.2"), ("~", ""), ("null", ""), ("", ""), ("'0x1F'", "0x1F"),
]  # fmt: skip

NESTED: list[tuple[str, Any]] = [
    ("yes", "yes"), ("no", "no"), ("on", "on"), ("True", True), ("false", False), ("~", None), ("null", None),
    ("1e3", 1000), ("1.5", 1.5), ("5.0", 5), ("0x10", 16), ("017", 15), ("1e21", 1e21), ("'5'", "5"),
    ("[on, off, 1]", ["on", "off", 1]), ("{1: a, true: b, yes: c}", {"1": "a", "true": "b", "yes": "c"}),
]  # fmt: skip

REFUSED: list[tuple[str, str, str]] = [
    ("binary", "eci-inference:namespace: !!binary aGVsbG8=", "the YAML tag !!binary is not allowed"),
    ("set", "eci-inference:models: !!set {a: null}", "the YAML tag !!set is not allowed"),
    ("omap", "eci-inference:models: !!omap [{a: 1}]", "the YAML tag !!omap is not allowed"),
    ("custom tag", "eci-inference:namespace: !vault secret", "the YAML tag !vault is not allowed"),
    ("python tag", "eci-inference:namespace: !!python/name:os.system ''", "the YAML tag !!python/name:os.system"),
    ("timestamp", "eci-inference:namespace: 2024-01-01", "read as a timestamp by Pulumi's YAML reader"),
    ("nested timestamp", "eci-inference:models: [{t: 2024-01-01 10:00:00}]", "read as a timestamp"),
    ("nested infinity", "eci-inference:models: [{priceLimit: .inf}]", "'.inf' is not a finite number"),
    ("top-level NaN", "eci-inference:namespace: .nan", "'.nan' is not a finite number"),
    ("int tag on text", "eci-inference:namespace: !!int abc", "cannot read 'abc' as a !!int"),
    ("bool tag on yes", "eci-inference:createBucket: !!bool yes", "cannot read 'yes' as a !!bool"),
    ("float key", "eci-inference:models: [{1.5: a}]", "config key 1.5 must be a string"),
]  # fmt: skip


def read(tmp_path: Path, body: str, project: str | None = "eci-inference") -> dict[str, Any]:
    if project is not None:
        (tmp_path / "Pulumi.yaml").write_text(f"name: {project}\nruntime: python\n")
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text(body)
    return read_stack_file(path)


@pytest.mark.parametrize(("scalar", "expected"), TOP_LEVEL, ids=[t[0] or "empty" for t in TOP_LEVEL])
def test_a_top_level_scalar_is_the_text_pulumi_passes(tmp_path: Path, scalar: str, expected: str) -> None:
    assert read(tmp_path, f"config:\n  {K}: {scalar}\n") == {K: expected}


@pytest.mark.parametrize(("scalar", "expected"), NESTED, ids=[n[0] for n in NESTED])
def test_a_nested_value_is_what_the_json_pulumi_passes_decodes_to(tmp_path: Path, scalar: str, expected: Any) -> None:
    assert read(tmp_path, f"config:\n  eci-inference:models:\n    - v: {scalar}\n") == {"eci-inference:models": [{"v": expected}]}


@pytest.mark.parametrize(("label", "line", "expected"), REFUSED, ids=[r[0] for r in REFUSED])
def test_what_pulumi_refuses_or_misreads_is_refused_with_the_line(tmp_path: Path, label: str, line: str, expected: str) -> None:
    with pytest.raises(StackFileError) as caught:
        read(tmp_path, f"# {label}\nconfig:\n  {line}\n")
    assert str(caught.value).startswith(f"{tmp_path / 'Pulumi.x.yaml'}:3: "), caught.value
    assert expected in str(caught.value) and "\n" not in str(caught.value)


def test_a_key_given_twice_outside_config_is_refused_too(tmp_path: Path) -> None:
    with pytest.raises(StackFileError, match=r":3: duplicate key 'config' \(first at line 1\)"):
        read(tmp_path, "config:\n  eci-inference:region: a\nconfig:\n  eci-inference:region: b\n")


def test_a_key_without_a_namespace_gets_the_project_name(tmp_path: Path) -> None:
    assert read(tmp_path, "config:\n  region: cn-beijing\n  aws:region: x\n") == {
        "eci-inference:region": "cn-beijing",
        "aws:region": "x",
    }
    with pytest.raises(StackFileError, match="are the same key"):
        read(tmp_path, "config:\n  region: a\n  eci-inference:region: b\n")


def test_secure_values_are_kept_for_the_secret_placeholder(tmp_path: Path) -> None:
    found = read(tmp_path, "config:\n  eci-inference:kubeconfig:\n    secure: AAABAx==\n")
    assert found == {"eci-inference:kubeconfig": {"secure": "AAABAx=="}}


def test_an_alias_bomb_is_refused_before_anything_is_built(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    lines += ["config:", "  eci-inference:models: *a9"]
    with pytest.raises(StackFileError) as caught:
        read(tmp_path, "\n".join(lines) + "\n")
    assert f"more than {MAX_NODES} values once its aliases (*name) are expanded" in str(caught.value)


def test_an_alias_to_itself_and_deep_nesting_are_refused(tmp_path: Path) -> None:
    with pytest.raises(StackFileError, match="an alias refers to the object that holds it"):
        read(tmp_path, "config:\n  eci-inference:models: &a [*a]\n")
    with pytest.raises(StackFileError, match="nested"):
        read(tmp_path, "config:\n  eci-inference:models: " + "[" * 150 + "]" * 150 + "\n")
    with pytest.raises(StackFileError, match="nested deeper than 100"):
        read(tmp_path, "config:\n  eci-inference:models: " + "[" * 1200 + "]" * 1200 + "\n")


def test_aliases_within_the_bound_are_read(tmp_path: Path) -> None:
    found = read(tmp_path, "base: &u {min: 1, max: 2}\nconfig:\n  eci-inference:models: [{units: [*u, *u]}]\n")
    assert found == {"eci-inference:models": [{"units": [{"min": 1, "max": 2}, {"min": 1, "max": 2}]}]}


# ------------------------------------------------------------------------- the render sees what pulumi up does


def _project(tmp_path: Path, extra: str) -> Path:
    from tests.conftest import ROOT

    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (project / "models").symlink_to(ROOT / "models", target_is_directory=True)
    text = (ROOT / "Pulumi.dev.yaml").read_text()
    (project / "Pulumi.x.yaml").write_text(text + extra)
    return project


def test_namespace_no_is_the_namespace_named_no(tmp_path: Path) -> None:
    project = _project(tmp_path, "  eci-inference:createNamespace: true\n")
    text = (project / "Pulumi.x.yaml").read_text().replace("eci-inference:namespace: default", "eci-inference:namespace: no")
    (project / "Pulumi.x.yaml").write_text(text)
    rendered = render.render_stack("x", project_dir=project)
    namespaces = [m.body["metadata"]["name"] for m in rendered.manifests if m.body["kind"] == "Namespace"]
    assert namespaces == ["no"]


@pytest.mark.parametrize(("written", "accepted"), [("yes", False), ("'TRUE'", False), ("TRUE", True), ("'True'", True)])
def test_a_boolean_key_takes_what_pulumis_python_sdk_takes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], written: str, accepted: bool
) -> None:
    project = _project(tmp_path, "")
    text = (project / "Pulumi.x.yaml").read_text().replace("createBucket: true", f"createBucket: {written}")
    (project / "Pulumi.x.yaml").write_text(text)
    status = render.main(["--stack", "x", "--project-dir", str(project), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    if accepted:
        assert status == 0, err
    else:
        shown = written.strip("'")
        assert status == 2 and f"eci-inference:createBucket = '{shown}': must be true or false" in err, err
        assert "Traceback" not in err
