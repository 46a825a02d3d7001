"""The mock runner's process policy: :func:`tools.mockrun.one_shot` (what the renderer's CLI runs through)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


def one_shot(body: str) -> subprocess.CompletedProcess[str]:
    """Run ``one_shot(main)`` in a fresh interpreter, ``main`` being a function with ``body``."""
    code = "\n".join(
        [
            "import gc, sys",
            "from tools.mockrun import one_shot",
            "def main():",
            *(f"    {line}" for line in body.splitlines()),
            "one_shot(main)",
            "print('after one_shot', flush=True)",
        ]
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_it_ends_the_process_with_the_commands_status_and_flushes_its_output() -> None:
    done = one_shot("print('out', end='')\nprint('err', end='', file=sys.stderr)\nreturn 3")
    assert (done.returncode, done.stdout, done.stderr) == (3, "out", "err")


def test_the_collector_is_off_while_the_command_runs() -> None:
    done = one_shot("print(gc.isenabled())\nreturn 0")
    assert (done.returncode, done.stdout) == (0, "False\n")


@pytest.mark.parametrize(("raised", "status"), [("SystemExit(2)", 2), ("SystemExit()", 0), ("SystemExit(0)", 0)])
def test_an_argparse_exit_keeps_its_status(raised: str, status: int) -> None:
    done = one_shot(f"print('usage', file=sys.stderr)\nraise {raised}")
    assert (done.returncode, done.stderr) == (status, "usage\n")


def test_an_exit_with_a_message_and_an_error_end_as_python_ends_them() -> None:
    message = one_shot("raise SystemExit('stopped: reason')")
    assert (message.returncode, message.stderr) == (1, "stopped: reason\n")
    error = one_shot("raise ValueError('broken')")
    assert error.returncode == 1
    assert "Traceback" in error.stderr and "ValueError: broken" in error.stderr
    assert "after one_shot" not in error.stdout
