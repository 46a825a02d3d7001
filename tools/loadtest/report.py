"""What a run reports: the live progress line, latency percentiles, and the files in ``--out``.

Files (exactly these names and columns):

- ``latency.csv``: one row per scheduled request, columns ``t_intended`` (seconds from the start), ``latency_s``
  (seconds from the intended time to the answer; empty when never answered) and ``outcome`` (the HTTP status,
  ``InvalidResponse`` for a 200 whose body is not the expected Seldon message, ``NotSent`` when ``--max-inflight``
  requests were already in flight, or the client error's name such as ``TimeoutError`` or ``ClientConnectorError``);
- ``summary.json``: the counts, each of requests: ``scheduled`` (all the trace asked for), ``valid`` (a 200 with the
  expected message), ``failed`` (= ``scheduled - valid``: ``not_sent`` plus ``sent_failed``), ``not_sent``
  (``--max-inflight`` requests were already in flight), ``sent``, ``sent_failed`` (sent, no valid answer: an error
  status, an invalid body, a client error, cancelled at the end), ``answered`` (any HTTP answer, valid or not);
  ``error_rate`` (``failed / scheduled``, 0 when nothing was scheduled) and ``max_error_rate``;
  ``failures_by_outcome`` (``NotSent`` included; sums to ``failed``) with ``failure_examples``; ``by_version``
  (valid answers per version the answer names, ``unknown`` when it names none; sums to ``valid``; see
  :mod:`tools.loadtest.payload`); ``p50_s``, ``p95_s``, ``p99_s``, ``max_s`` (over the valid answers; ``null`` when
  there are none); the run's settings (the URL without credentials, ``protocol``) and ``end_reason``;
- ``loadtest.png``: throughput over time (target, sent, valid answers, failed sent requests and requests not sent,
  drawn on top), latency percentiles per second of intended time ("no valid answers" when there are none), and —
  with ``--watch`` — Ready pods per unit.

Percentiles come from an HdrHistogram (the ``hdrhistogram`` package, ``hdrh.histogram.HdrHistogram``: 1 µs to
1 hour, 3 significant digits), so p99 is within 0.1 % of the exact value.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from hdrh.histogram import HdrHistogram  # type: ignore[import-untyped]

from tools.loadtest.generator import LoadResult, LoadRun, RequestRecord
from tools.loadtest.payload import UNKNOWN_VERSION
from tools.loadtest.redact import redact_url, scrub, secrets_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from matplotlib.figure import Figure

LATENCY_COLUMNS = ("t_intended", "latency_s", "outcome")
SUMMARY_KEYS = (
    "scheduled",
    "valid",
    "failed",
    "not_sent",
    "sent",
    "sent_failed",
    "answered",
    "error_rate",
    "max_error_rate",
    "failures_by_outcome",
    "by_version",
    "p50_s",
    "p95_s",
    "p99_s",
    "max_s",
)
DEFAULT_MAX_ERROR_RATE = 0.01
NO_VALID_ANSWERS = "no valid answers"


class Stream(Protocol):
    """Where the progress line goes (a text stream, or :class:`tools.loadtest.output.Output`)."""

    def write(self, text: str, /) -> Any: ...

    def flush(self) -> None: ...

    def isatty(self) -> bool: ...


MAX_LATENCY_US = 3_600_000_000


class LatencyStats:
    """Latency percentiles over an HdrHistogram (microsecond resolution)."""

    def __init__(self) -> None:
        self._histogram = HdrHistogram(1, MAX_LATENCY_US, 3)

    def record(self, seconds: float) -> None:
        self._histogram.record_value(min(MAX_LATENCY_US, max(1, round(seconds * 1e6))))

    @property
    def count(self) -> int:
        return int(self._histogram.get_total_count())

    def percentile(self, p: float) -> float | None:
        """The ``p``-th percentile in seconds; ``None`` without samples."""
        if self.count == 0:
            return None
        return float(self._histogram.get_value_at_percentile(p)) / 1e6

    def max(self) -> float | None:
        return float(self._histogram.get_max_value()) / 1e6 if self.count else None


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


class Progress:
    """The live progress line on stderr: rates over the last interval, failures and percentiles so far."""

    def __init__(
        self, stream: Stream | None = None, extra: Callable[[], str] | None = None, every_s: float | None = None
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty()
        self.extra = extra
        self.every_s = every_s if every_s is not None else 1.0 if self.tty else 5.0
        """Seconds between lines: 1 on a terminal (one line rewritten), 5 in a log."""
        self.stats = LatencyStats()
        self.answered = 0
        self.sent_failed = 0
        self._last_t = 0.0
        self._last_scheduled = 0
        self._last_answered = 0
        self._last_print = -math.inf
        self.lines = 0

    def request_done(self, record: RequestRecord) -> None:
        if record.answered:
            self.answered += 1
        if record.ok and record.latency_s is not None:
            self.stats.record(record.latency_s)
        elif record.sent:
            self.sent_failed += 1

    def tick(self, run: LoadRun, now: float) -> None:
        if now - self._last_print < self.every_s - 1e-9:
            return
        span = max(now - self._last_t, 1e-9)
        scheduled = len(run.records)
        sent = sum(1 for r in run.records[self._last_scheduled :] if r.sent)
        not_sent = sum(1 for r in run.records if not r.sent)
        line = (
            f"[{max(0.0, now):6.0f} s] sent {sent / span:6.1f}/s  answered {(self.answered - self._last_answered) / span:6.1f}/s"
            f"  valid {self.stats.count}  failed {self.sent_failed + not_sent} (not sent {not_sent})  in flight {run.inflight}"
            f"  p50 {_ms(self.stats.percentile(50))}  p95 {_ms(self.stats.percentile(95))}  p99 {_ms(self.stats.percentile(99))}"
        )
        if self.extra is not None:
            line += f"  | {self.extra()}"
        self.stream.write(("\r" + line + "\x1b[K") if self.tty else line + "\n")
        self.stream.flush()
        self.lines += 1
        self._last_t, self._last_scheduled, self._last_answered, self._last_print = now, scheduled, self.answered, now

    def close(self) -> None:
        if self.tty and self.lines:
            self.stream.write("\n")
            self.stream.flush()


def error_rate(failed: int, scheduled: int) -> float:
    """Failed requests over scheduled ones; 0 when nothing was scheduled."""
    return failed / scheduled if scheduled else 0.0


def summarize(result: LoadResult, max_error_rate: float = DEFAULT_MAX_ERROR_RATE) -> dict[str, Any]:
    """``summary.json``'s content (see the module docstring); no credential of the URL or the headers is in it."""
    records = result.records
    cfg = result.config
    secrets = secrets_of(cfg.url, cfg.headers)
    stats = LatencyStats()
    for r in records:
        if r.ok and r.latency_s is not None:
            stats.record(r.latency_s)
    sent = [r for r in records if r.sent]
    failures = Counter(r.outcome for r in records if not r.ok)
    versions = Counter(r.version or UNKNOWN_VERSION for r in records if r.ok)
    lags = [r.send_lag_s for r in sent if r.send_lag_s is not None]
    valid = stats.count
    failed = len(records) - valid
    return {
        "scheduled": len(records),
        "valid": valid,
        "failed": failed,
        "not_sent": len(records) - len(sent),
        "sent": len(sent),
        "sent_failed": sum(1 for r in sent if not r.ok),
        "answered": sum(1 for r in records if r.answered),
        "error_rate": round(error_rate(failed, len(records)), 6),
        "max_error_rate": max_error_rate,
        "failures_by_outcome": dict(sorted(failures.items())),
        "failure_examples": {k: scrub(v, secrets) for k, v in sorted(result.invalid_examples.items())},
        "by_version": dict(sorted(versions.items())),
        "p50_s": stats.percentile(50),
        "p95_s": stats.percentile(95),
        "p99_s": stats.percentile(99),
        "max_s": stats.max(),
        "max_send_lag_s": max(lags) if lags else None,
        "elapsed_s": round(result.elapsed, 3),
        "end_reason": result.end_reason,
        "url": redact_url(cfg.url),
        "protocol": cfg.protocol,
        "trace": cfg.trace.name,
        "duration_s": cfg.duration,
        "arrivals": "poisson" if cfg.poisson else "even",
        "max_inflight": cfg.max_inflight,
        "max_requests": cfg.max_requests,
        "timeout_s": cfg.timeout,
    }


def write_latency_csv(result: LoadResult, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(LATENCY_COLUMNS)
        for r in result.records:
            latency = "" if r.latency_s is None else f"{r.latency_s:.6f}"
            writer.writerow([f"{r.t_intended:.6f}", latency, r.outcome])


def write_summary(summary: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Second:
    """The requests intended in one second ``[t, t + 1)``."""

    t: int
    target: float
    scheduled: int
    sent: int
    ok: int
    errors: int
    not_sent: int
    p50: float | None
    p99: float | None


def per_second(result: LoadResult, seconds: int | None = None) -> list[Second]:
    """Throughput over time, by second of intended time."""
    n = seconds if seconds is not None else max(1, math.ceil(result.elapsed))
    buckets: list[list[RequestRecord]] = [[] for _ in range(n)]
    for r in result.records:
        i = int(r.t_intended)
        if 0 <= i < n:
            buckets[i].append(r)
    targets = result.config.trace.per_second(n)
    out: list[Second] = []
    for t, bucket in enumerate(buckets):
        stats = LatencyStats()
        for r in bucket:
            if r.ok and r.latency_s is not None:
                stats.record(r.latency_s)
        sent = sum(1 for r in bucket if r.sent)
        ok = sum(1 for r in bucket if r.ok)
        out.append(
            Second(
                t,
                targets[t] if t < result.config.duration else 0.0,
                len(bucket),
                sent,
                ok,
                sent - ok,
                len(bucket) - sent,
                stats.percentile(50),
                stats.percentile(99),
            )
        )
    return out


def _percent(rate: float) -> str:
    return f"{rate * 100:.1f} %"


def print_summary(summary: dict[str, Any], stream: Stream) -> None:
    """The end-of-run report on the terminal: every count says what it counts."""
    stream.write(
        f"\n{summary['scheduled']} requests scheduled: {summary['valid']} valid answers, {summary['failed']} failed "
        f"(error rate {_percent(summary['error_rate'])}, allowed {_percent(summary['max_error_rate'])}; "
        f"{summary['end_reason']}, {summary['elapsed_s']:.1f} s)\n"
    )
    stream.write(
        f"  failed = {summary['not_sent']} not sent (--max-inflight reached) + {summary['sent_failed']} sent without a "
        f"valid answer; {summary['sent']} sent, {summary['answered']} answered with any HTTP status\n"
    )
    stream.write(
        f"latency of valid answers from intended send time: p50 {_ms(summary['p50_s'])}, p95 {_ms(summary['p95_s'])}, "
        f"p99 {_ms(summary['p99_s'])}, max {_ms(summary['max_s'])}\n"
    )
    if summary["failures_by_outcome"]:
        parts = [f"{k}: {v}" for k, v in summary["failures_by_outcome"].items()]
        stream.write("failed requests by outcome: " + ", ".join(parts) + "\n")
        for outcome, example in summary["failure_examples"].items():
            stream.write(f"  e.g. {outcome}: {example}\n")
    if summary["by_version"]:
        parts = [f"{k}: {v}" for k, v in summary["by_version"].items()]
        stream.write("valid answers by version (as the answers name it): " + ", ".join(parts) + "\n")
    lag = summary["max_send_lag_s"]
    if lag is not None and lag > 0.1:
        stream.write(f"note: the load generator sent up to {lag:.2f} s late (this machine is the bottleneck)\n")


ON_TOP = 10
"""z-order of the failure lines: above the target, sent and valid lines, so an all-failed run shows them."""


def figure(result: LoadResult, ready_by_unit: Mapping[str, Sequence[float]] | None = None, title: str | None = None) -> Figure:
    """The figure of ``loadtest.png``: throughput, latency percentiles and (with ``--watch``) Ready pods per unit."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = max(1, math.ceil(result.elapsed if result.end_reason != "completed" else min(result.elapsed, result.config.duration)))
    seconds = per_second(result, n)
    edges = [*range(n), n]

    def steps(values: Sequence[float]) -> list[float]:
        return [*values, values[-1]]

    scheduled = len(result.records)
    failed = sum(1 for r in result.records if not r.ok)
    panels = 3 if ready_by_unit else 2
    fig, axes = plt.subplots(panels, 1, figsize=(10, 3.2 * panels), sharex=True, constrained_layout=True)
    ax = axes[0]
    ax.step(edges, steps([s.sent for s in seconds]), where="post", linewidth=4, alpha=0.4, label="sent")
    ax.step(edges, steps([s.ok for s in seconds]), where="post", label="valid answers")
    ax.step(
        edges, steps([s.target for s in seconds]), where="post", color="black", linestyle="--", zorder=5, label="trace (target)"
    )
    ax.step(
        edges,
        steps([s.errors for s in seconds]),
        where="post",
        color="tab:red",
        linewidth=2,
        zorder=ON_TOP,
        label="sent, no valid answer",
    )
    if any(s.not_sent for s in seconds):
        ax.step(
            edges,
            steps([s.not_sent for s in seconds]),
            where="post",
            color="tab:purple",
            linewidth=2,
            zorder=ON_TOP,
            label="not sent (max in flight)",
        )
    ax.set_ylabel("requests / s\n(by intended second)")
    ax.legend(loc="upper left", fontsize="small")
    summary = f"{failed} of {scheduled} requests failed"
    ax.set_title(title or f"{result.config.trace.name} against {redact_url(result.config.url)}: {summary}", fontsize="medium")
    ax = axes[1]
    answered = [(r.t_intended, r.latency_s * 1000) for r in result.records if r.latency_s is not None]
    if answered:
        ax.scatter(*zip(*answered, strict=True), s=2, color="0.7", label="each answer (valid or not)", rasterized=True)
    mid = [s.t + 0.5 for s in seconds]
    if any(s.p50 is not None for s in seconds):
        ax.plot(mid, [math.nan if s.p50 is None else s.p50 * 1000 for s in seconds], label="p50 of valid answers")
        ax.plot(mid, [math.nan if s.p99 is None else s.p99 * 1000 for s in seconds], label="p99 of valid answers")
    else:
        ax.text(0.5, 0.5, NO_VALID_ANSWERS, transform=ax.transAxes, ha="center", va="center", fontsize="large")
    latencies = [v for _, v in answered if v > 0]
    if latencies and max(latencies) / min(latencies) > 50:
        ax.set_yscale("log")
    ax.set_ylabel("latency (ms)\nfrom intended time")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", fontsize="small")
    if ready_by_unit:
        ax = axes[2]
        m = min(n, *(len(v) for v in ready_by_unit.values()))
        ax.stackplot(range(m), *(list(v[:m]) for v in ready_by_unit.values()), labels=list(ready_by_unit), step="post")
        ax.set_ylabel("Ready pods")
        ax.legend(loc="upper left", fontsize="small")
    axes[-1].set_xlabel("seconds from start")
    return fig


def plot(
    result: LoadResult, path: Path, ready_by_unit: Mapping[str, Sequence[float]] | None = None, title: str | None = None
) -> None:
    """Write ``loadtest.png``."""
    import matplotlib.pyplot as plt

    fig = figure(result, ready_by_unit, title)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_report(
    result: LoadResult,
    out: Path,
    ready_by_unit: Mapping[str, Sequence[float]] | None = None,
    max_error_rate: float = DEFAULT_MAX_ERROR_RATE,
) -> dict[str, Any]:
    """Write ``latency.csv``, ``summary.json`` and ``loadtest.png`` into ``out``; return the summary."""
    out.mkdir(parents=True, exist_ok=True)
    summary = summarize(result, max_error_rate)
    write_latency_csv(result, out / "latency.csv")
    write_summary(summary, out / "summary.json")
    plot(result, out / "loadtest.png", ready_by_unit)
    return summary
