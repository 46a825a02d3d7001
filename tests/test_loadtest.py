"""The load tester against a local Seldon stand-in (tests/seldon_stub.py on 127.0.0.1): open loop, outcomes, caps, files.

Every run is bounded: a few seconds and at most a few hundred requests.
"""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import json
import math
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import numpy
import pytest

from tests.kserve_stub import KServeStub
from tests.seldon_stub import SeldonStub
from tools.loadtest import cli
from tools.loadtest.cli import stack_protocol, url_problems
from tools.loadtest.generator import (
    CANCELLED,
    NOT_SENT,
    OK,
    TIMEOUT,
    LoadConfig,
    LoadResult,
    LoadRun,
    expected_requests,
    intended_times,
)
from tools.loadtest.output import Output
from tools.loadtest.payload import (
    INVALID_RESPONSE,
    KSERVE_V1,
    MAX_BATCH,
    MAX_PAYLOAD_BYTES,
    SELDON,
    UNKNOWN_VERSION,
    V2,
    Answer,
    PayloadError,
    check_answer,
    file_payload,
    generated_payload,
)
from tools.loadtest.redact import redact_url, scrub, secrets_of
from tools.loadtest.report import LATENCY_COLUMNS, SUMMARY_KEYS, Progress, figure, per_second, print_summary, summarize
from tools.loadtest.target import StackInfo, TargetError
from tools.traces import pattern

ROOT = Path(__file__).resolve().parent.parent


def run(url: str, spec: str, duration: float, **options: object) -> tuple[LoadResult, float]:
    """One run in this process; returns the result and the ``time.monotonic()`` of its ``t = 0``."""
    config = LoadConfig(url=url, trace=pattern(spec), duration=duration, **options)  # type: ignore[arg-type]
    start = time.monotonic() + 0.05
    return asyncio.run(LoadRun(config, generated_payload()).run(start)), start


# --- the schedule -------------------------------------------------------------------------------------------------


def test_requests_are_evenly_spaced_at_the_traces_rate() -> None:
    times = list(intended_times(pattern("step:10:100:2"), duration=3))
    assert len(times) == 20 + 100
    assert times[:3] == pytest.approx([0.0, 0.1, 0.2])
    assert times[19] == pytest.approx(1.9) and times[20] == pytest.approx(2.0) and times[21] == pytest.approx(2.01)
    assert all(b > a for a, b in itertools.pairwise(times))
    assert expected_requests(pattern("step:10:100:2"), 3) == pytest.approx(120)


def test_poisson_arrivals_are_seeded_and_keep_the_rate() -> None:
    trace = pattern("step:500:500:0")
    first = list(intended_times(trace, 10, poisson=True, seed=7))
    assert first == list(intended_times(trace, 10, poisson=True, seed=7))
    assert first != list(intended_times(trace, 10, poisson=True, seed=8))
    assert abs(len(first) - 5000) < 4 * math.sqrt(5000)
    gaps = [b - a for a, b in itertools.pairwise(first)]
    assert len(set(round(g, 6) for g in gaps)) > 100  # not evenly spaced


def test_zero_demand_schedules_nothing() -> None:
    assert list(intended_times(pattern("spike:0:10:1:1"), 5)) == pytest.approx([1.0 + k / 10 for k in range(10)])


# --- payload and answers --------------------------------------------------------------------------------------------


def test_generated_images_are_28x28_floats_and_seeded() -> None:
    payload = generated_payload(batch=2, seed=3)
    message = json.loads(payload.body(0))
    images = message["data"]["ndarray"]
    assert len(images) == 2 and all(len(image) == 28 and all(len(row) == 28 for row in image) for image in images)
    assert all(0 <= v < 1 for image in images for row in image for v in row)
    assert payload.body(0) == generated_payload(batch=2, seed=3).body(0)
    assert payload.body(0) != payload.body(1) and payload.body(0) == payload.body(len(payload.bodies))
    assert (payload.instances, payload.outputs) == (2, 10)


def test_answers_are_checked_against_the_seldon_message() -> None:
    payload = generated_payload(batch=2)
    good = {"data": {"names": [f"t:{k}" for k in range(10)], "ndarray": [[0.1] * 10, [0.1] * 10]}, "meta": {}}
    assert check_answer(json.dumps(good).encode(), payload) == Answer(None, UNKNOWN_VERSION)
    tensor = {"data": {"tensor": {"shape": [2, 10], "values": [0.0] * 20}}}
    assert check_answer(json.dumps(tensor).encode(), payload).problem is None
    assert check_answer(b"<html>", payload).problem == "the body is not JSON"
    assert check_answer(b'{"status": {"status": "FAILURE"}}', payload).problem == "no 'data' object in the answer"
    assert "1 row(s) for 2" in str(check_answer(json.dumps({"data": {"ndarray": [[0.1] * 10]}}).encode(), payload).problem)
    assert "expected 10" in str(check_answer(json.dumps({"data": {"ndarray": [[0.1] * 9] * 2}}).encode(), payload).problem)


def test_payload_file(tmp_path: Path) -> None:
    path = tmp_path / "body.json"
    path.write_text(json.dumps({"data": {"ndarray": [[1, 2, 3]]}}))
    payload = file_payload(path, expect_outputs=2)
    assert (payload.instances, payload.outputs) == (1, 2)
    path.write_text("[1, 2]")
    with pytest.raises(PayloadError, match="expected a Seldon message"):
        file_payload(path)
    path.write_text(json.dumps({"instances": [[1, 2], [3, 4]]}))
    assert file_payload(path, protocol=KSERVE_V1).instances == 2
    with pytest.raises(PayloadError, match=r"expected a v2 inference request .* for --protocol v2"):
        file_payload(path, protocol=V2)
    path.write_text(json.dumps({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [0.5]}]}))
    assert file_payload(path, protocol=V2).instances is None


def test_the_stub_validates_the_payload_shape() -> None:
    with SeldonStub("ok") as stub:
        bad = urllib.request.Request(
            stub.url, data=json.dumps({"data": {"ndarray": [[[0.0] * 27] * 28]}}).encode(), method="POST"
        )
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(bad, timeout=5)
        assert raised.value.code == 400
        assert json.loads(raised.value.read())["status"]["reason"] == "MICROSERVICE_BAD_DATA"
        good = urllib.request.Request(stub.url, data=generated_payload(batch=3).body(0), method="POST")
        with urllib.request.urlopen(good, timeout=5) as response:
            answer = json.loads(response.read())
        assert len(answer["data"]["ndarray"]) == 3 and all(len(row) == 10 for row in answer["data"]["ndarray"])
        assert stub.rejected == 1


# --- open loop --------------------------------------------------------------------------------------------------------


def test_a_stall_shows_in_the_latency_of_every_request_scheduled_during_it() -> None:
    """Open loop: requests due during a 1 s stall are still sent on time, and their latency, measured from the
    intended time, includes the rest of the stall (a closed-loop tester would record one slow request instead)."""
    with SeldonStub("stall", stall_after=0.5, stall_seconds=1.0) as stub:
        result, start = run(stub.url, "step:40:40:0", duration=2.5)
        window = stub.stall_window
    assert window is not None
    stall_from, stall_until = window[0] - start, window[1] - start
    during = [r for r in result.records if stall_from + 0.01 <= r.t_intended < stall_until - 0.01]
    assert len(during) >= 35  # 40/s for 1 s
    for r in during:
        assert r.outcome == OK and r.latency_s is not None
        assert r.latency_s >= (stall_until - r.t_intended) - 0.02, r
        # sent on time, not after the stall (the bound leaves room for a loaded CI machine, far below the 1 s stall)
        assert r.send_lag_s is not None and r.send_lag_s < 0.5
    assert max(r.latency_s or 0 for r in during) >= 0.9
    after = [r for r in result.records if r.t_intended > stall_until + 0.1]
    assert after and all((r.latency_s or 1) < 0.5 for r in after)  # the stall is over: well under its 1 s


def test_max_inflight_saturation_counts_requests_not_sent() -> None:
    with SeldonStub("stall", stall_after=0.0, stall_seconds=1.0) as stub:
        result, _ = run(stub.url, "step:50:50:0", duration=0.8, max_inflight=5)
        assert stub.max_inflight <= 5
    summary = summarize(result)
    assert summary["sent"] == 5
    assert summary["not_sent"] == summary["scheduled"] - 5 == 35
    unsent = [r for r in result.records if r.outcome == NOT_SENT]
    assert len(unsent) == 35 and all(r.latency_s is None for r in unsent)
    # not-sent requests are failures, counted and labelled as such (issue 20: "0 errors" beside "NotSent: 35")
    assert (summary["valid"], summary["failed"], summary["sent_failed"]) == (5, 35, 0)
    assert summary["failures_by_outcome"] == {NOT_SENT: 35} and summary["error_rate"] == 35 / 40
    printed = io.StringIO()
    print_summary(summary, printed)
    text = printed.getvalue()
    assert "40 requests scheduled: 5 valid answers, 35 failed (error rate 87.5 %, allowed 1.0 %" in text
    assert "failed = 35 not sent (--max-inflight reached) + 0 sent without a valid answer" in text
    assert "failed requests by outcome: NotSent: 35" in text and " 0 errors" not in text


def test_errors_are_counted_by_status_and_by_exception() -> None:
    with SeldonStub("error", error_every=3, error_status=503) as stub:
        result, _ = run(stub.url, "step:30:30:0", duration=1.0)
    summary = summarize(result)
    assert summary["scheduled"] == summary["sent"] == summary["answered"] == 30
    assert summary["failures_by_outcome"] == {"503": 10} and summary["sent_failed"] == summary["failed"] == 10
    assert summary["valid"] == 20
    with SeldonStub("badshape") as stub:
        result, _ = run(stub.url, "step:10:10:0", duration=0.5)
    assert summarize(result)["failures_by_outcome"] == {INVALID_RESPONSE: 5}
    assert "expected 10" in summarize(result)["failure_examples"][INVALID_RESPONSE]
    with SeldonStub("ok") as stub:
        closed = stub.url  # the port is closed once the stub stops
    result, _ = run(closed, "step:10:10:0", duration=0.3)
    summary = summarize(result)
    assert summary["answered"] == 0 and summary["failed"] == 3 and summary["p50_s"] is None
    assert list(summary["failures_by_outcome"]) == ["ClientConnectorError"]


def test_a_request_without_answer_times_out_and_has_no_latency() -> None:
    with SeldonStub("slow", delay=1.0) as stub:
        result, _ = run(stub.url, "step:5:5:0", duration=0.4, timeout=0.3)
    assert [r.outcome for r in result.records] == [TIMEOUT] * 2
    assert all(r.latency_s is None for r in result.records)


def test_hard_caps_on_requests_and_duration(tmp_path: Path) -> None:
    with SeldonStub("ok") as stub:
        began = time.monotonic()
        result, _ = run(stub.url, "step:100:100:0", duration=30, max_requests=25)
        assert time.monotonic() - began < 3
        assert len(result.records) == 25 and result.end_reason == "max-requests"
        out = tmp_path / "capped"
        code = cli.main(
            [
                "--url",
                stub.url,
                "--pattern",
                "step:20:20:0",
                "--duration",
                "60",
                "--max-duration",
                "1",
                "--out",
                str(out),
                "--quiet",
            ]
        )
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["duration_s"] == 1 and summary["scheduled"] == 20 and summary["elapsed_s"] < 2


# --- the report ---------------------------------------------------------------------------------------------------------


def test_report_files_have_the_documented_keys_and_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report"
    with SeldonStub("error", error_every=4) as stub:
        argv = ["--url", stub.url, "--pattern", "step:20:40:1", "--duration", "2", "--out", str(out), "--quiet"]
        code = cli.main([*argv, "--max-error-rate", "0.25"])  # 15 of 60 fail: exactly the allowed rate
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert set(SUMMARY_KEYS) <= set(summary)
    assert (summary["scheduled"], summary["sent"], summary["answered"], summary["failed"]) == (60, 60, 60, 15)
    assert summary["error_rate"] == 0.25 and summary["max_error_rate"] == 0.25
    assert 0 < summary["p50_s"] <= summary["p95_s"] <= summary["p99_s"] <= summary["max_s"] < 1
    with (out / "latency.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == LATENCY_COLUMNS == ("t_intended", "latency_s", "outcome")
    assert len(rows) - 1 == summary["scheduled"]
    assert sorted({row[2] for row in rows[1:]}) == ["200", "500"]
    assert sum(1 for row in rows[1:] if row[2] == "500") == 15 and all(float(row[1]) > 0 for row in rows[1:])
    assert [float(row[0]) for row in rows[1:3]] == [0.0, 0.05]
    assert (out / "loadtest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    assert "60 requests scheduled: 45 valid answers, 15 failed (error rate 25.0 %, allowed 25.0 %" in printed
    assert "0 not sent (--max-inflight reached) + 15 sent without a valid answer; 60 sent, 60 answered" in printed
    assert "failed requests by outcome: 500: 15" in printed


def test_throughput_per_second_and_progress_line() -> None:
    with SeldonStub("ok") as stub:
        stream = io.StringIO()
        progress = Progress(stream, extra=lambda: "pods 1 Ready / 1", every_s=0.0)
        config = LoadConfig(url=stub.url, trace=pattern("step:10:30:1"), duration=2)
        result = asyncio.run(LoadRun(config, generated_payload(), progress, tick_s=0.5).run())
    seconds = per_second(result, 2)
    assert [(s.target, s.scheduled, s.ok, s.errors) for s in seconds] == [(10, 10, 10, 0), (30, 30, 30, 0)]
    lines = stream.getvalue().splitlines()
    assert len(lines) >= 3 and "sent" in lines[-1] and "p99" in lines[-1] and lines[-1].endswith("pods 1 Ready / 1")


STOP_BOUND_S = 15.0
"""A stopped run's process is gone within this, a quarter of the 60 s it would otherwise run (``--max-duration 60``).
That the load stops at once is what the request count proves (at most STOP_SLACK more requests reach the stub); the time the
process then takes (0.5 s for requests in flight, then the report) is measured, not asserted: 0.6-1.0 s here
(docs/loadtest.md). A tighter bound failed on a machine loaded by other test runs."""


STOP_SLACK = 20
"""Requests that may still reach the stub after the count is read and the stop sent: 1 s of the 20 requests/s load."""


def _load_process(url: str, out: Path, **streams: Any) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "tools.loadtest", "--url", url, "--pattern", "step:20:20:0", "--duration", "60"]
    return subprocess.Popen([*command, "--max-duration", "60", "--out", str(out)], cwd=ROOT, **streams)


def test_signals_and_a_closed_output_stop_the_load(tmp_path: Path) -> None:
    """SIGINT while requests hang in flight, SIGTERM, and the reader of stdout and stderr going away (``| head``, a
    closed ssh session; the progress line is on): each stops the load at once and the process exits within
    ``STOP_BOUND_S`` with the report written. The three runs start together (one start-up wait) and are stopped one
    after the other, so that each report is written alone."""
    with SeldonStub("slow", delay=30.0) as hanging, SeldonStub("ok") as term, SeldonStub("ok") as piped:
        cases = [
            (
                "SIGINT",
                hanging,
                130,
                _load_process(hanging.url, tmp_path / "int", stdout=subprocess.PIPE, stderr=subprocess.PIPE),
            ),
            ("SIGTERM", term, 143, _load_process(term.url, tmp_path / "term", stdout=subprocess.PIPE, stderr=subprocess.PIPE)),
            ("pipe", piped, 141, _load_process(piped.url, tmp_path / "pipe", stdout=subprocess.PIPE, stderr=subprocess.STDOUT)),
        ]
        for how, stub, code, process in cases:
            deadline = time.monotonic() + 30
            while stub.requests < 10 and time.monotonic() < deadline:  # under way (after the imports)
                time.sleep(0.02)
            assert process.poll() is None
            received = stub.requests
            began = time.monotonic()
            if how == "pipe":
                assert process.stdout is not None
                process.stdout.close()
                output = b""
            else:
                process.send_signal(getattr(signal, how))
                stdout, stderr = process.communicate(timeout=30)
                output = stdout + stderr
            process.wait(timeout=30)
            took = time.monotonic() - began
            assert took < STOP_BOUND_S, (how, took)
            assert process.returncode == code, (how, output.decode())
            # The load stops: at most STOP_SLACK more requests (1 s at 20 requests/s, for the time between reading the
            # count and the signal arriving on a loaded machine) of the 1200 a 60 s run would send.
            assert stub.requests <= received + STOP_SLACK, how
            out = tmp_path / {"SIGINT": "int", "SIGTERM": "term", "pipe": "pipe"}[how]
            summary = json.loads((out / "summary.json").read_text())
            assert summary["end_reason"] == "interrupted" and summary["scheduled"] <= received + STOP_SLACK
            assert (out / "latency.csv").exists() and (out / "loadtest.png").exists()
            if how != "pipe":
                assert f"stopping ({how})".encode() in output and b"wrote" in output
    hung = json.loads((tmp_path / "int" / "summary.json").read_text())
    assert hung["answered"] == 0 and hung["failures_by_outcome"].get("Cancelled", 0) >= 5  # abandoned after 0.5 s


def test_sighup_while_the_last_requests_drain_ends_the_run_within_the_grace() -> None:
    """The schedule is over at 0.2 s and its 4 requests hang (a 30 s drain would wait for them); SIGHUP (a closed ssh
    session) at 0.6 s ends the run 0.5 s later, the requests in flight abandoned."""
    outputs = (Output(io.StringIO()), Output(io.StringIO()))
    with SeldonStub("slow", delay=30.0) as stub:
        config = LoadConfig(url=stub.url, trace=pattern("step:20:20:0"), duration=0.2, drain=30.0)

        async def stopped_by_sighup() -> tuple[LoadResult, int | None]:
            asyncio.get_running_loop().call_later(0.6, os.kill, os.getpid(), signal.SIGHUP)
            return await cli._run(config, generated_payload(), None, time.monotonic(), outputs)

        began = time.monotonic()
        result, code = asyncio.run(stopped_by_sighup())
        took = time.monotonic() - began
    assert code == 129 and result.end_reason == "interrupted"
    assert 1.0 < took < 2.5, took  # 0.6 s + the 0.5 s grace, not the drain's 30 s
    assert [r.outcome for r in result.records] == [CANCELLED] * 4
    stream = outputs[1].stream
    assert isinstance(stream, io.StringIO) and "stopping (SIGHUP)" in stream.getvalue()


def test_output_notices_a_reader_that_went_away() -> None:
    """A write to a pipe without a reader marks the output gone instead of raising; a reader that left while nothing
    was written is noticed by poll(2) (``... | head`` while the load runs silently)."""
    for write_first in (True, False):
        read_end, write_end = os.pipe()
        with os.fdopen(write_end, "w") as stream:
            output = Output(stream)
            output.write("progress\n")
            assert not output.reader_gone()
            os.close(read_end)
            if write_first:
                output.write("x" * 70_000)  # more than a pipe buffer: the write itself fails
                assert output.gone
            assert output.reader_gone()
            output.write("after\n")  # swallowed: the descriptor now points at /dev/null
            assert os.readlink(f"/proc/self/fd/{stream.fileno()}") == os.devnull
    never_there = Output(None)  # started with the descriptor closed (>&-): not a reader that left
    never_there.write("x")
    assert not never_there.reader_gone() and not never_there.isatty()


# --- bounds and input checks (issue 20) ---------------------------------------------------------------------------


def _argv(url: str, out: Path, *extra: str) -> list[str]:
    return ["--url", url, "--pattern", "step:10:10:0", "--duration", "0.3", "--out", str(out), "--quiet", *extra]


def test_batch_is_bounded_edge_accepted_one_past_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert MAX_BATCH == 256
    with SeldonStub("ok") as stub:
        assert cli.main([*_argv(stub.url, tmp_path / "edge", "--batch", "256"), "--duration", "0.05"]) == 0
        assert stub.requests == 1 and stub.rejected == 0  # the stub checked the 256 images of 28x28
    summary = json.loads((tmp_path / "edge" / "summary.json").read_text())
    assert summary["valid"] == 1
    assert cli.main(_argv("http://127.0.0.1:9/p", tmp_path / "past", "--batch", "257")) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == "error: --batch 257: must be from 1 to 256" and not (tmp_path / "past").exists()
    with pytest.raises(PayloadError, match="from 1 to 256"):
        generated_payload(batch=MAX_BATCH + 1)
    big = generated_payload(batch=MAX_BATCH)
    assert len(big.bodies) == 8 and all(len(b) < 2_000_000 for b in big.bodies)  # 13 MB at most in memory
    assert len(set(big.bodies)) == 8


def test_a_payload_file_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b'{"data": {"ndarray": [' + b"0," * (MAX_PAYLOAD_BYTES // 2) + b"0]}}")
    with pytest.raises(PayloadError, match="at most 16777216"):
        file_payload(path)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--url", "http://127.0.0.1:0/p"], "URL 'http://127.0.0.1:0/p': port '0', allowed: a number from 1 to 65535"),
        (["--url", "http://127.0.0.1:65536/p"], "port '65536', allowed: a number from 1 to 65535"),
        (["--url", "http://127.0.0.1:http/p"], "port 'http', allowed"),
        (["--url", "ftp://x/y"], "URL 'ftp://x/y': scheme 'ftp', allowed: http, https"),
        (["--url", "http:///p"], "has no host"),
        (["--url", "http://127.0.0.1/p\r\nX: y"], "holds a space or a control character"),
        (["--header", "X-Token: abc\r\nEvil: 1"], "--header 'X-Token': the value holds a character"),
        (["--header", "X Token: abc"], "--header #1: the name holds a character"),
        (["--header", "no colon here"], "--header #1: expected 'NAME: VALUE'"),
        (["--max-error-rate", "1.01"], "--max-error-rate 1.01: must be a fraction from 0 to 1"),
        (["--max-error-rate", "-0.01"], "--max-error-rate -0.01: must be a fraction"),
        (["--max-error-rate", "nan"], "--max-error-rate nan: must be a fraction"),
        (["--max-inflight", "0"], "--max-inflight 0: must be at least 1"),
        (["--batch", "0"], "--batch 0: must be from 1 to 256"),
    ],
)
def test_inputs_checked_before_sending_are_refused(
    extra: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "http://127.0.0.1:9/p"
    argv = ["--pattern", "step:1:1:0", "--out", str(tmp_path / "out")]
    argv += extra if extra[0] == "--url" else ["--url", url, *extra]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_port_edges_are_accepted_and_all_problems_come_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert url_problems("http://127.0.0.1:1/p") == url_problems("http://127.0.0.1:65535/p") == []
    assert url_problems("https://[::1]:8443/p") == url_problems("http://host/p") == []
    argv = ["--url", "ftp://127.0.0.1:70000/p", "--header", "A:\n", "--batch", "999", "--pattern", "step:1:1:0"]
    assert cli.main(argv) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "scheme 'ftp'" in line and "port '70000'" in line and "--header 'A'" in line and "--batch 999" in line


def test_an_all_failed_run_exits_3_and_the_rate_bound_is_exact(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with SeldonStub("ok") as stub:
        closed = stub.url  # nothing listens once the stub stops
    assert cli.main(_argv(closed, tmp_path / "dead")) == 3
    captured = capsys.readouterr()
    assert "error: 3 of 3 requests failed (100.0 %), more than --max-error-rate 0.01" in captured.err
    summary = json.loads((tmp_path / "dead" / "summary.json").read_text())
    assert (summary["failed"], summary["error_rate"], summary["valid"]) == (3, 1.0, 0)
    assert cli.main(_argv(closed, tmp_path / "allowed", "--max-error-rate", "1")) == 0  # the edge: 100 % allowed


def test_credentials_never_leave_the_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secrets = ("bob", "s3cr3t-pw", "Bearer tok-9f8e7d", "tok-9f8e7d")
    header = ["--header", "Authorization: Bearer tok-9f8e7d"]
    with SeldonStub("ok") as stub:
        url = stub.url.replace("http://", "http://bob:s3cr3t-pw@")
        assert cli.main(_argv(url, tmp_path / "ok")) == 0
        config = LoadConfig(url=url, trace=pattern("step:10:10:0"), duration=0.2)
        result = asyncio.run(LoadRun(config, generated_payload()).run())
    dead = url  # the stub is gone: client errors, whose messages may quote the URL
    assert cli.main(_argv(dead, tmp_path / "dead")) == 3
    assert cli.main([*_argv(url, tmp_path / "both"), *header]) == 2  # aiohttp sends one or the other, not both
    assert cli.main(["--url", "ftp://bob:s3cr3t-pw@127.0.0.1/p", "--pattern", "step:1:1:0", *header]) == 2
    assert cli.main([*_argv("http://127.0.0.1:9/p", tmp_path / "x"), "--header", "Authorization: tok-9f8e7d\r\n"]) == 2
    captured = capsys.readouterr()
    assert "error: credentials in the URL and an Authorization header: give one of them" in captured.err
    written = [path.read_text() for path in tmp_path.rglob("*") if path.suffix in (".json", ".csv")]
    title = figure(result).axes[0].get_title()
    for text in (captured.out, captured.err, *written, title):
        assert not any(secret in text for secret in secrets), text
    assert "http://***@127.0.0.1:" in captured.err and "ftp://***@127.0.0.1/p" in captured.err
    assert "http://***@127.0.0.1:" in title
    dead_summary = json.loads((tmp_path / "dead" / "summary.json").read_text())
    assert dead_summary["url"].startswith("http://***@127.0.0.1:") and dead_summary["failure_examples"]
    assert redact_url("http://u:p@h:1/x?q=1") == "http://***@h:1/x?q=1" and redact_url("http://h/x") == "http://h/x"
    assert scrub("to p%40ss and p@ss", secrets_of("http://u:p%40ss@h/", {})) == "to *** and ***"


# --- what the run reports ---------------------------------------------------------------------------------------------


def test_an_all_failed_plot_draws_failures_on_top_and_says_no_valid_answers(tmp_path: Path) -> None:
    with SeldonStub("ok") as stub:
        closed = stub.url
        half, _ = run(stub.url, "step:10:10:0", duration=0.3)
    failed, _ = run(closed, "step:10:10:0", duration=0.3)
    fig = figure(failed)
    throughput, latency = fig.axes[0], fig.axes[1]
    lines = {line.get_label(): line for line in throughput.get_lines()}
    failures = lines["sent, no valid answer"]
    others = [line for label, line in lines.items() if label != "sent, no valid answer"]
    assert others and all(failures.get_zorder() > line.get_zorder() for line in others)
    assert numpy.asarray(failures.get_ydata(), dtype=float)[0] == 3.0  # the 3 requests of the first second all failed
    assert [t.get_text() for t in latency.texts] == ["no valid answers"]
    assert "3 of 3 requests failed" in throughput.get_title()
    assert len(figure(half).axes[1].texts) == 0  # the note only when there is nothing to draw


def test_answers_are_counted_per_version_the_server_names(tmp_path: Path) -> None:
    main_path = {"tfserving-proxy": "seldonio/tfserving-proxy:1.17.1"}
    canary_path = {"tfserving-proxy-v2": "seldonio/tfserving-proxy:1.17.1"}
    with SeldonStub("ok", request_paths=[main_path, main_path, main_path, canary_path]) as stub:
        result, _ = run(stub.url, "step:40:40:0", duration=0.5)
    assert summarize(result)["by_version"] == {
        "tfserving-proxy-v2=seldonio/tfserving-proxy:1.17.1": 5,
        "tfserving-proxy=seldonio/tfserving-proxy:1.17.1": 15,
    }
    with SeldonStub("ok") as stub:  # no requestPath in the answers
        result, _ = run(stub.url, "step:20:20:0", duration=0.15)
    assert summarize(result)["by_version"] == {UNKNOWN_VERSION: 3}
    with KServeStub(V2, versions=["1", "2", "1", "1"]) as stub:
        config = LoadConfig(url=stub.url, trace=pattern("step:40:40:0"), duration=0.5, protocol=V2)
        result = asyncio.run(LoadRun(config, generated_payload(protocol=V2)).run())
    summary = summarize(result)
    assert summary["by_version"] == {"1": 15, "2": 5} and summary["protocol"] == V2
    with KServeStub(KSERVE_V1) as stub:  # TF Serving's :predict answers do not name the version
        config = LoadConfig(url=stub.url, trace=pattern("step:20:20:0"), duration=0.15, protocol=KSERVE_V1)
        result = asyncio.run(LoadRun(config, generated_payload(protocol=KSERVE_V1)).run())
    assert summarize(result)["by_version"] == {UNKNOWN_VERSION: 3}


# --- protocols (issue 18) ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [KSERVE_V1, V2])
def test_the_cli_loads_a_kserve_endpoint(protocol: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / protocol
    with KServeStub(protocol, versions=["3"]) as stub:
        argv = ["--url", stub.url, "--protocol", protocol, "--pattern", "step:10:10:0", "--duration", "0.5"]
        assert cli.main([*argv, "--batch", "2", "--out", str(out), "--quiet"]) == 0
        assert stub.requests == 5 and stub.rejected == 0
        if protocol == KSERVE_V1:  # Seldon bodies (the default protocol): the stub refuses them with 400
            wrong = ["--url", stub.url, "--pattern", "step:10:10:0", "--duration", "0.1", "--out", str(tmp_path / "s")]
            assert cli.main([*wrong, "--quiet"]) == 3
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["valid"], summary["protocol"]) == (5, protocol)
    assert summary["by_version"] == ({"3": 5} if protocol == V2 else {UNKNOWN_VERSION: 5})
    assert f"({protocol} protocol)" in capsys.readouterr().err


def test_kserve_answers_are_checked() -> None:
    v1 = generated_payload(batch=2, protocol=KSERVE_V1)
    assert json.loads(v1.body(0)).keys() == {"instances"} and len(json.loads(v1.body(0))["instances"]) == 2
    assert check_answer(json.dumps({"predictions": [[0.1] * 10] * 2}).encode(), v1) == Answer(None, UNKNOWN_VERSION)
    assert check_answer(b'{"error": "bad"}', v1).problem == "no 'predictions' (or columnar 'outputs') list in the answer"
    assert check_answer(json.dumps({"outputs": [[0.1] * 10] * 2}).encode(), v1).problem is None  # columnar request
    assert "1 row(s) for 2" in str(check_answer(json.dumps({"predictions": [[0.1] * 10]}).encode(), v1).problem)
    v2 = generated_payload(batch=2, protocol=V2)
    (request,) = json.loads(v2.body(0))["inputs"]
    assert (request["name"], request["shape"], request["datatype"]) == ("images", [2, 28, 28], "FP32")
    flat = {"model_name": "m", "model_version": "7", "outputs": [{"name": "scores", "shape": [2, 10], "data": [0.1] * 20}]}
    assert check_answer(json.dumps(flat).encode(), v2) == Answer(None, "7")
    nested = {"outputs": [{"name": "scores", "shape": [2, 10], "data": [[0.1] * 10] * 2}]}
    assert check_answer(json.dumps(nested).encode(), v2) == Answer(None, UNKNOWN_VERSION)
    short = {"outputs": [{"name": "scores", "shape": [2, 10], "data": [0.1] * 19}]}
    assert "the 20 value(s) its shape [2, 10] says" in str(check_answer(json.dumps(short).encode(), v2).problem)
    assert check_answer(b'{"error": "x"}', v2).problem == "no 'outputs' list in the answer"


def test_the_stack_names_the_protocol() -> None:
    assert stack_protocol("m", {"predictionUrl": "u"}) == SELDON  # stacks without the output serve through Seldon
    assert [stack_protocol("m", {"protocol": p}) for p in (SELDON, KSERVE_V1, V2)] == [SELDON, KSERVE_V1, V2]
    with pytest.raises(TargetError, match=r"stack output m.protocol 'KServe': expected one of seldon, kserve-v1, v2"):
        stack_protocol("m", {"protocol": "KServe"})
    stack = StackInfo("prod", {"m": {"predictionUrl": "http://h/v2/models/m/infer", "protocol": V2}}, {})
    args = cli.parser().parse_args(["--stack", "prod", "--pattern", "step:1:1:0"])
    assert cli._target(args, stack) == ("http://h/v2/models/m/infer", V2, dict(stack.outputs["m"]))
    args = cli.parser().parse_args(["--stack", "prod", "--pattern", "step:1:1:0", "--protocol", KSERVE_V1])
    assert cli._target(args, stack)[1] == KSERVE_V1  # an explicit --protocol wins


# --- target ---------------------------------------------------------------------------------------------------------


def test_stack_without_the_pulumi_cli_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert cli.main(["--stack", "dev", "--pattern", "step:1:1:0", "--duration", "1", "--out", str(tmp_path / "x")]) == 2
    message = capsys.readouterr().err
    assert "error: --stack needs the Pulumi CLI on PATH" in message and "--url" in message
    assert not (tmp_path / "x").exists()


def test_model_outputs_of_a_stack() -> None:
    one = StackInfo(
        "dev", {"fashion-mnist": {"predictionUrl": "http://h/api/v1.0/predictions", "hpaName": "x"}, "bucket": "b"}, {}
    )
    assert one.model(None) == ("fashion-mnist", one.outputs["fashion-mnist"])
    assert one.namespace == "default" and one.kubeconfig is None
    two = StackInfo("prod", {"a": {"predictionUrl": "u"}, "b": {"predictionUrl": "v"}}, {"eci-inference:namespace": "inference"})
    assert two.namespace == "inference"
    with pytest.raises(TargetError, match=r"several models \(a, b\): choose one with --model"):
        two.model(None)
    with pytest.raises(TargetError, match="no model 'c'; its models: a, b"):
        two.model("c")
    with pytest.raises(TargetError, match=r"deploy it first \(pulumi up -s empty\)"):
        StackInfo("empty", {}, {}).model(None)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--url", "ftp://x/y", "--pattern", "step:1:1:0"], "scheme 'ftp', allowed: http, https"),
        (["--url", "http://127.0.0.1:9/p", "--pattern", "step:1:1"], "expected step:FROM:TO:AT"),
        (
            ["--url", "http://127.0.0.1:9/p", "--pattern", "step:1:1:0", "--max-inflight", "0"],
            "--max-inflight 0: must be at least 1",
        ),
        (["--url", "http://127.0.0.1:9/p", "--pattern", "step:1:1:0", "--watch"], "--watch with --url needs --deployment"),
    ],
)
def test_bad_arguments_fail_before_any_request(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert cli.main([*argv, "--out", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
