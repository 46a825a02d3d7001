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
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.seldon_stub import SeldonStub
from tools.loadtest import cli
from tools.loadtest.generator import NOT_SENT, OK, TIMEOUT, LoadConfig, LoadResult, LoadRun, expected_requests, intended_times
from tools.loadtest.payload import INVALID_RESPONSE, PayloadError, check_answer, file_payload, generated_payload
from tools.loadtest.report import LATENCY_COLUMNS, SUMMARY_KEYS, Progress, per_second, summarize
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
    assert check_answer(json.dumps(good).encode(), payload) is None
    tensor = {"data": {"tensor": {"shape": [2, 10], "values": [0.0] * 20}}}
    assert check_answer(json.dumps(tensor).encode(), payload) is None
    assert check_answer(b"<html>", payload) == "the body is not JSON"
    assert check_answer(b'{"status": {"status": "FAILURE"}}', payload) == "no 'data' object in the answer"
    assert "1 row(s) for 2" in str(check_answer(json.dumps({"data": {"ndarray": [[0.1] * 10]}}).encode(), payload))
    assert "expected 10" in str(check_answer(json.dumps({"data": {"ndarray": [[0.1] * 9] * 2}}).encode(), payload))


def test_payload_file(tmp_path: Path) -> None:
    path = tmp_path / "body.json"
    path.write_text(json.dumps({"data": {"ndarray": [[1, 2, 3]]}}))
    payload = file_payload(path, expect_outputs=2)
    assert (payload.instances, payload.outputs) == (1, 2)
    path.write_text("[1, 2]")
    with pytest.raises(PayloadError, match="expected a Seldon message"):
        file_payload(path)


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
        assert r.send_lag_s is not None and r.send_lag_s < 0.1  # sent on time, not after the stall
    assert max(r.latency_s or 0 for r in during) >= 0.9
    after = [r for r in result.records if r.t_intended > stall_until + 0.1]
    assert after and all((r.latency_s or 1) < 0.2 for r in after)


def test_max_inflight_saturation_counts_requests_not_sent() -> None:
    with SeldonStub("stall", stall_after=0.0, stall_seconds=1.0) as stub:
        result, _ = run(stub.url, "step:50:50:0", duration=0.8, max_inflight=5)
        assert stub.max_inflight <= 5
    summary = summarize(result)
    assert summary["sent"] == 5
    assert summary["not_sent"] == summary["scheduled"] - 5 == 35
    unsent = [r for r in result.records if r.outcome == NOT_SENT]
    assert len(unsent) == 35 and all(r.latency_s is None for r in unsent)


def test_errors_are_counted_by_status_and_by_exception() -> None:
    with SeldonStub("error", error_every=3, error_status=503) as stub:
        result, _ = run(stub.url, "step:30:30:0", duration=1.0)
    summary = summarize(result)
    assert summary["scheduled"] == summary["sent"] == summary["answered"] == 30
    assert summary["errors_by_outcome"] == {"503": 10} and summary["errors"] == 10 and summary["ok"] == 20
    with SeldonStub("badshape") as stub:
        result, _ = run(stub.url, "step:10:10:0", duration=0.5)
    assert summarize(result)["errors_by_outcome"] == {INVALID_RESPONSE: 5}
    assert "expected 10" in summarize(result)["error_examples"][INVALID_RESPONSE]
    with SeldonStub("ok") as stub:
        closed = stub.url  # the port is closed once the stub stops
    result, _ = run(closed, "step:10:10:0", duration=0.3)
    summary = summarize(result)
    assert summary["answered"] == 0 and summary["errors"] == 3 and summary["p50_s"] is None
    assert list(summary["errors_by_outcome"]) == ["ClientConnectorError"]


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
        code = cli.main(["--url", stub.url, "--pattern", "step:20:40:1", "--duration", "2", "--out", str(out), "--quiet"])
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert set(SUMMARY_KEYS) <= set(summary)
    assert (summary["scheduled"], summary["sent"], summary["answered"], summary["errors"]) == (60, 60, 60, 15)
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
    assert "60 scheduled, 60 sent, 60 answered, 45 valid, 15 errors" in printed and "500: 15" in printed


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


def test_ctrl_c_stops_sending_at_once_and_still_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "interrupted"
    with SeldonStub("ok") as stub:
        command = [sys.executable, "-m", "tools.loadtest", "--url", stub.url, "--pattern", "step:20:20:0", "--duration", "60"]
        process = subprocess.Popen(
            [*command, "--out", str(out), "--quiet"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 20
        while stub.requests < 20 and time.monotonic() < deadline:  # the run is under way (after the imports)
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=15)
        received = stub.requests
    assert process.returncode == 130, stderr.decode()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["end_reason"] == "interrupted"
    assert 20 <= summary["scheduled"] <= received + 2  # stopped at once: nothing after the interrupt (the trace asks 1200)
    assert summary["sent"] == summary["answered"] == received and summary["elapsed_s"] < 10
    assert (out / "latency.csv").exists() and (out / "loadtest.png").exists()
    assert b"stopping" in stderr and b"wrote" in stdout


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
        (["--url", "ftp://x/y", "--pattern", "step:1:1:0"], "is not an http(s) URL"),
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
