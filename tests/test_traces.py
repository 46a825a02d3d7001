"""tools/traces.py: the load traces shared by the simulator and the load tester."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tools.traces import (
    DEFAULT_TAIL_SECONDS,
    PATTERN_HELP,
    Trace,
    TraceError,
    add_trace_arguments,
    default_duration,
    pattern,
    read_trace,
    trace_from_args,
)

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str, name: str = "trace.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_read_trace_step_function(tmp_path: Path) -> None:
    trace = read_trace(write(tmp_path, "# comment: provenance\nt,qps\n0,10\n\n60,100\n120.5,100\n300,5\n"))
    assert trace.times == (0.0, 60.0, 300.0)  # the repeated value at 120.5 is merged
    assert trace.qps == (10.0, 100.0, 5.0)
    assert trace.name == "trace.csv"
    assert (trace.at(-1), trace.at(0), trace.at(59.999), trace.at(60), trace.at(1e9)) == (10, 10, 10, 100, 5)
    assert (trace.end, trace.peak) == (300.0, 100.0)
    assert trace.steps() == [(60.0, 10.0, 100.0), (300.0, 100.0, 5.0)]
    assert trace.per_second(4) == [10, 10, 10, 10]
    assert trace.per_second(302)[59:62] == [10, 100, 100]
    assert trace.per_second(302)[-1] == 5


def test_columns_in_any_order_and_first_time_after_zero(tmp_path: Path) -> None:
    trace = read_trace(write(tmp_path, "qps,t\n50,30\n"))
    assert trace.times == (0.0, 30.0) and trace.qps == (0.0, 50.0)  # zero demand before the first row


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("", 1, "empty"),
        ("time,rate\n0,1\n", 1, "header"),
        ("t,qps\n", None, "no rows"),
        ("t,qps\n0,1\n0,2\n", 3, "not after"),
        ("t,qps\n0,1\n10,2\n5,3\n", 4, "not after"),
        ("t,qps\n0,-1\n", 2, "negative"),
        ("t,qps\n-5,1\n", 2, "negative"),
        ("t,qps\n0,abc\n", 2, "not a number"),
        ("t,qps\n0,nan\n", 2, "not a finite number"),
        ("t,qps\n0,inf\n", 2, "not a finite number"),
        ("t,qps\n0,1,2\n", 2, "columns"),
    ],
)
def test_read_trace_errors_name_file_and_line(tmp_path: Path, text: str, line: int | None, words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(TraceError) as info:
        read_trace(path)
    message = str(info.value)
    assert words in message
    assert str(path) in message
    if line is not None:
        assert f"{path}:{line}:" in message


def test_read_trace_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match="cannot read"):
        read_trace(tmp_path / "missing.csv")


def test_patterns() -> None:
    step = pattern("step:10:100:60")
    assert (step.times, step.qps, step.name) == ((0.0, 60.0), (10.0, 100.0), "step:10:100:60")
    assert pattern("step:10:100:0").qps == (100.0,)
    ramp = pattern("ramp:10:100:60:150:30")
    assert ramp.times == (0.0, 90.0, 120.0, 150.0) and ramp.qps == (10.0, 40.0, 70.0, 100.0)
    assert pattern("ramp:0:10:0:10").per_second(12) == [float(v) for v in range(10)] + [10.0, 10.0]
    spike = pattern("spike:10:100:60:120")
    assert spike.steps() == [(60.0, 10.0, 100.0), (180.0, 100.0, 10.0)]
    day = pattern("diurnal:5:100")
    assert day.end == 86400.0 and day.qps[0] == 5.0 and day.at(43200) == pytest.approx(100.0)
    assert len(day.times) == 1441
    assert pattern("diurnal:0:10:600:60").times[-1] == 600.0


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("wave:1:2", "unknown pattern"),
        ("step:10:100", "expected step:FROM:TO:AT"),
        ("step:10:x:60", "not a number"),
        ("step:-1:5:60", "negative"),
        ("ramp:1:2:60:30", "must be after"),
        ("ramp:1:2:0:30:0", "EVERY must be > 0"),
        ("spike:1:2:3:0", "LENGTH must be > 0"),
        ("diurnal:1:2:0", "must be > 0"),
        ("ramp:1:2:0:1e9:0.0001", "more than"),
    ],
)
def test_pattern_errors(spec: str, words: str) -> None:
    with pytest.raises(TraceError, match=words):
        pattern(spec)


def test_trace_of_checks_points() -> None:
    with pytest.raises(TraceError, match="first time must be 0"):
        Trace.of([(1.0, 2.0)], "x")
    with pytest.raises(TraceError, match="no points"):
        Trace.of([], "x")


def test_arguments_and_default_duration(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    add_trace_arguments(parser)
    args = parser.parse_args(["--pattern", "step:1:2:60"])
    trace = trace_from_args(args)
    assert default_duration(trace, args) == 60 + DEFAULT_TAIL_SECONDS
    args = parser.parse_args(["--trace", str(write(tmp_path, "t,qps\n0,1\n")), "--duration", "30"])
    assert default_duration(trace_from_args(args), args) == 30.0
    with pytest.raises(SystemExit):
        parser.parse_args(["--pattern", "step:1:2:3", "--trace", "x.csv"])
    with pytest.raises(TraceError, match="--duration"):
        trace_from_args(parser.parse_args(["--pattern", "step:1:2:3", "--duration", "-1"]))
    assert "step:FROM:TO:AT" in PATTERN_HELP and "diurnal" in PATTERN_HELP


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "traces").glob("*.csv")))
def test_reference_traces_are_valid(name: str) -> None:
    trace = read_trace(ROOT / "traces" / name)
    assert trace.peak > 0 and trace.end > 0
