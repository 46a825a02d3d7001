"""Open-loop load: every request is scheduled at its intended time, whatever the server does.

The schedule follows the trace (:mod:`tools.traces`): evenly spaced at the current rate (the ``k``-th request is
sent when the trace's cumulative demand reaches ``k``), or with ``poisson=True`` a Poisson process of that rate
(exponential gaps in cumulative demand; seeded). A slow or stalled server never delays the next request: the
scheduler sends it at its time on its own task, and latency is measured from the *intended* time, so a stall shows
in the latency of every request scheduled during it (no coordinated omission; Gil Tene, "How NOT to Measure Latency",
and the HdrHistogram documentation on coordinated omission).

Bounds, so that a run is safe by construction:

- at most ``max_inflight`` requests in flight; a request due while that many are in flight is *not sent* and is
  recorded with the outcome ``NotSent`` (the server was too slow for the offered load);
- at most ``max_requests`` scheduled requests and ``duration`` seconds (the CLI caps ``duration`` with
  ``--max-duration``); each request times out after ``timeout`` seconds;
- :attr:`LoadRun.stop` (set on SIGINT, SIGTERM, SIGHUP or when the output's reader goes away; see
  :mod:`tools.loadtest.cli`) stops sending at once, also while the last requests drain; requests in flight then get
  ``interrupt_grace`` seconds (0.5 s, so the run ends within 1 s of the stop), and a second stop
  (:attr:`LoadRun.abort`) cancels them at once.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp

from tools.loadtest.payload import INVALID_RESPONSE, SELDON, UNKNOWN_VERSION, Payload, check_answer
from tools.traces import Trace

OK = "200"
"""Outcome of a 200 answer holding the expected message."""
NOT_SENT = "NotSent"
"""Outcome of a request due while ``max_inflight`` requests were in flight."""
CANCELLED = "Cancelled"
"""Outcome of a request still in flight when the run ended (after the drain time, or a second Ctrl-C)."""
TIMEOUT = "TimeoutError"
"""Outcome of a request without an answer after ``timeout`` seconds."""


def intended_times(trace: Trace, duration: float, poisson: bool = False, seed: int = 0) -> Iterator[float]:
    """Intended send times (seconds from the start, ascending, below ``duration``) for the trace's demand.

    Evenly spaced: the ``k``-th request (from 0) is at the time the cumulative demand ``D(t) = ∫ qps`` reaches ``k``,
    so a constant rate ``r`` gives ``0, 1/r, 2/r, ...`` and a step changes the spacing at the step. Poisson: the gaps
    in ``D`` are exponential with mean 1 (a non-homogeneous Poisson process of rate ``qps(t)``).
    """
    rng = random.Random(seed)
    target = rng.expovariate(1.0) if poisson else 0.0
    cumulative = 0.0  # D at the start of the current segment
    bounds = [*trace.times, math.inf]
    for i, rate in enumerate(trace.qps):
        start, end = bounds[i], min(bounds[i + 1], duration)
        if start >= duration:
            return
        if rate > 0:
            while True:
                t = start + (target - cumulative) / rate
                if t >= end:
                    break
                yield t
                target += rng.expovariate(1.0) if poisson else 1.0
            cumulative += rate * (end - start)


def expected_requests(trace: Trace, duration: float) -> float:
    """Requests the trace asks for in ``duration`` seconds (the integral of its demand)."""
    bounds = [*trace.times, math.inf]
    return sum(rate * max(0.0, min(bounds[i + 1], duration) - bounds[i]) for i, rate in enumerate(trace.qps))


@dataclass(frozen=True)
class LoadConfig:
    """One run's settings."""

    url: str
    trace: Trace
    duration: float
    poisson: bool = False
    seed: int = 0
    max_inflight: int = 256
    max_requests: int = 200_000
    timeout: float = 30.0
    drain: float = 30.0
    """Seconds the requests still in flight get after the last one is sent."""
    interrupt_grace: float = 0.5
    """Seconds the requests in flight get after a stop (a signal, or the output's reader gone)."""
    headers: Mapping[str, str] = field(default_factory=dict)
    protocol: str = SELDON
    """The serving protocol the payload speaks (recorded in the summary)."""


@dataclass
class RequestRecord:
    """One scheduled request. ``latency_s`` is ``None`` until (unless) an answer arrives."""

    t_intended: float
    outcome: str = ""
    latency_s: float | None = None
    send_lag_s: float | None = None
    """How late the scheduler sent it (its own overload; already included in ``latency_s``)."""
    detail: str | None = None
    version: str | None = None
    """Which version gave the valid answer, as the answer tells (``unknown`` when it does not; ``None``: not valid)."""

    @property
    def sent(self) -> bool:
        return self.outcome != NOT_SENT

    @property
    def answered(self) -> bool:
        return self.latency_s is not None

    @property
    def ok(self) -> bool:
        return self.outcome == OK


class LoadObserver(Protocol):
    """Told about progress while the run goes (the live progress line)."""

    def request_done(self, record: RequestRecord) -> None: ...

    def tick(self, run: LoadRun, now: float) -> None: ...


@dataclass
class LoadResult:
    """What a run produced."""

    config: LoadConfig
    records: list[RequestRecord]
    started_wall: float
    """``time.time()`` at ``t = 0``."""
    elapsed: float
    """Seconds from ``t = 0`` to the end of the run (the last answer or the end of the drain)."""
    end_reason: str
    """``completed`` (trace run for ``duration``), ``max-requests`` or ``interrupted``."""
    invalid_examples: dict[str, str]
    """One example reason per kind of invalid answer or client error."""


class LoadRun:
    """A run in progress: :meth:`run` sends the schedule; :attr:`stop` / :attr:`abort` end it early."""

    def __init__(self, config: LoadConfig, payload: Payload, observer: LoadObserver | None = None, tick_s: float = 1.0) -> None:
        self.config = config
        self.payload = payload
        self.observer = observer
        self.tick_s = tick_s
        self.records: list[RequestRecord] = []
        self.inflight = 0
        self.stop = asyncio.Event()
        self.abort = asyncio.Event()
        self.t0 = 0.0
        self.invalid_examples: dict[str, str] = {}

    def now(self) -> float:
        """Seconds since ``t = 0`` on the loop's monotonic clock."""
        return asyncio.get_running_loop().time() - self.t0

    async def _send(self, session: aiohttp.ClientSession, record: RequestRecord, index: int) -> None:
        loop = asyncio.get_running_loop()
        try:
            record.send_lag_s = max(0.0, loop.time() - self.t0 - record.t_intended)
            async with session.post(self.config.url, data=self.payload.body(index)) as response:
                body = await response.read()
                record.latency_s = loop.time() - self.t0 - record.t_intended
                if response.status == 200:
                    answer = check_answer(body, self.payload)
                    record.outcome = OK if answer.problem is None else INVALID_RESPONSE
                    if answer.problem is None:
                        record.version = answer.version or UNKNOWN_VERSION
                    else:
                        record.detail = answer.problem
                        self.invalid_examples.setdefault(INVALID_RESPONSE, answer.problem)
                else:
                    record.outcome = str(response.status)
        except TimeoutError:
            record.outcome = TIMEOUT
        except asyncio.CancelledError:
            record.outcome = CANCELLED
            raise
        except (aiohttp.ClientError, OSError, ValueError) as err:
            record.outcome = type(err).__name__
            record.detail = str(err)
            self.invalid_examples.setdefault(record.outcome, str(err))
        finally:
            self.inflight -= 1
            if self.observer is not None:
                self.observer.request_done(record)

    async def _ticker(self) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            if self.observer is not None:
                self.observer.tick(self, self.now())

    async def _wait_until(self, t: float, stop_task: asyncio.Future[Any]) -> bool:
        """Sleep until ``t`` (run seconds); ``False`` if :attr:`stop` was set first."""
        delay = t - self.now()
        if delay > 0:
            await asyncio.wait({stop_task}, timeout=delay)
        return not self.stop.is_set()

    async def run(self, start: float | None = None) -> LoadResult:
        """Send the schedule; ``start`` is the ``time.monotonic()`` of ``t = 0`` (default: now)."""
        loop = asyncio.get_running_loop()
        cfg = self.config
        mono_now = time.monotonic()
        self.t0 = loop.time() + ((start - mono_now) if start is not None else 0.0)
        started_wall = time.time() + (self.t0 - loop.time())
        end_reason = "completed"
        stop_task = asyncio.ensure_future(self.stop.wait())
        ticker = asyncio.ensure_future(self._ticker())
        tasks: set[asyncio.Task[None]] = set()
        connector = aiohttp.TCPConnector(limit=cfg.max_inflight)
        timeout = aiohttp.ClientTimeout(total=cfg.timeout)
        headers = {"Content-Type": "application/json", **cfg.headers}
        try:
            async with aiohttp.ClientSession(connector=connector, timeout=timeout, headers=headers) as session:
                for index, t in enumerate(intended_times(cfg.trace, cfg.duration, cfg.poisson, cfg.seed)):
                    if index >= cfg.max_requests:
                        end_reason = "max-requests"
                        break
                    if not await self._wait_until(t, stop_task):
                        break
                    record = RequestRecord(t)
                    self.records.append(record)
                    if self.inflight >= cfg.max_inflight:
                        record.outcome = NOT_SENT
                        continue
                    self.inflight += 1
                    task = asyncio.create_task(self._send(session, record, index))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                else:
                    await self._wait_until(cfg.duration, stop_task)
                await self._drain(tasks, cfg.drain)
                if self.stop.is_set():
                    end_reason = "interrupted"
        finally:
            ticker.cancel()
            stop_task.cancel()
            for task in list(tasks):
                task.cancel()
            await asyncio.gather(ticker, stop_task, *tasks, return_exceptions=True)
        if self.observer is not None:
            self.observer.tick(self, self.now())
        return LoadResult(cfg, self.records, started_wall, self.now(), end_reason, self.invalid_examples)

    async def _drain(self, tasks: set[asyncio.Task[None]], seconds: float) -> None:
        """Let the requests in flight finish: ``seconds`` at most, ``interrupt_grace`` once :attr:`stop` is set
        (before or during the drain), nothing once :attr:`abort` is."""
        deadline = self.now() + seconds
        stopped_by: float | None = None
        while tasks and not self.abort.is_set():
            if self.stop.is_set() and stopped_by is None:
                stopped_by = self.now() + self.config.interrupt_grace
                deadline = min(deadline, stopped_by)
            left = deadline - self.now()
            if left <= 0:
                break
            await asyncio.wait(set(tasks), timeout=min(left, 0.1))
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
