"""``--out`` mistakes are one-line errors with exit 2, never a traceback, and nothing is written outside ``--out``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT
from tools import render


def run(out: str, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    status = render.main(["--stack", "dev", "--out", out, *extra])
    return status, capsys.readouterr().err


@pytest.mark.parametrize("force", [(), ("--force",)], ids=["plain", "force"])
@pytest.mark.parametrize("where", ["/", ".", "..", str(ROOT)])
def test_the_file_system_root_and_the_project_are_refused(
    capsys: pytest.CaptureFixture[str], where: str, force: tuple[str, ...]
) -> None:
    status, err = run(where, capsys, *force)
    assert status == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "is the file system root, the project directory or one above it" in err


def test_an_existing_file_is_refused_and_left_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("mine\n")
    status, err = run(str(target), capsys, "--force")
    assert (status, err.strip()) == (2, f"--out {target}: it is a file, not a directory; choose a directory")
    assert target.read_text() == "mine\n"


def test_a_path_below_a_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "f").write_text("")
    status, err = run(str(tmp_path / "f" / "out"), capsys)
    assert status == 2 and err.strip().startswith(f"--out {tmp_path / 'f' / 'out'}: cannot write the render there"), err
    assert len(err.strip().splitlines()) == 1


def test_an_unwritable_file_inside_out_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert run(str(out), capsys)[0] == 0
    victim = next(p for p in sorted(out.glob("*.yaml")))
    victim.unlink()
    victim.mkdir()  # a directory where the render writes a file: the write fails whoever runs it
    (victim / "x").write_text("")
    status, err = run(str(out), capsys, "--force")
    assert status == 2 and "cannot write the render there" in err and "Traceback" not in err, err


def test_a_directory_that_is_no_render_is_refused_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "keep.txt").write_text("")
    status, err = run(str(tmp_path), capsys)
    assert status == 2 and len(err.strip().splitlines()) == 1 and "keep.txt" in err, err


def test_a_symlinked_model_folder_is_shown_relative_to_the_project(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (project / "Pulumi.dev.yaml").write_text((ROOT / "Pulumi.dev.yaml").read_text())
    (project / "models").symlink_to(ROOT / "models", target_is_directory=True)
    rendered = render.render_stack("dev", project_dir=project)
    text = "".join(rendered.files.values())
    assert str(ROOT) not in text and str(tmp_path) not in text
    assert "models/fashion-mnist/1/saved_model.pb" in rendered.files["resources.md"]
