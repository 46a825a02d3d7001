"""Load traces shared by the simulator (``tools.simulate``) and the load tester (``tools.loadtest``).

A trace is a step function of time: at ``times[i]`` seconds after the start the demand becomes ``qps[i]`` requests
per second and holds until ``times[i + 1]`` (the last value holds for ever).

Two sources:

- ``--trace FILE.csv``: a CSV file with the header ``t,qps`` (seconds, requests per second). Blank lines and lines
  starting with ``#`` are ignored (use them for provenance). Times must be strictly ascending; the first time may be
  greater than 0, in which case the demand is 0 from ``t = 0`` until it (a row ``0,0`` is implied). Every problem is
  reported as ``FILE:LINE: ...``.
- ``--pattern SPEC``: one of the built-in shapes in :data:`PATTERN_HELP`.

``--duration SECONDS`` says how long to run; by default the trace's last change plus 15 minutes, so that the
scale-in after the last change shows (:func:`default_duration`).
"""

from __future__ import annotations

import argparse
import bisect
import csv
import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEFAULT_TAIL_SECONDS",
    "PATTERN_HELP",
    "Trace",
    "TraceError",
    "add_trace_arguments",
    "default_duration",
    "pattern",
    "read_trace",
    "trace_from_args",
]

DEFAULT_TAIL_SECONDS = 900.0
"""Default ``--duration`` is the trace's last time plus this (15 minutes: longer than the HPA's default 300 s
scale-down stabilization window, so the scale-in shows)."""

MAX_POINTS = 10_000_000
"""Upper bound on the number of points of a trace (a built-in pattern or a file), so a typo cannot exhaust memory."""


class TraceError(ValueError):
    """A trace that cannot be used; the message names the file and line (CSV) or the pattern and parameter."""


@dataclass(frozen=True)
class Trace:
    """A demand step function: ``qps[i]`` requests per second from ``times[i]`` until ``times[i + 1]``.

    ``times`` is strictly ascending and starts at 0.0; ``qps`` has the same length and every value is finite and
    >= 0. Construct through :func:`read_trace`, :func:`pattern` or :meth:`Trace.of`, which check this.
    """

    times: tuple[float, ...]
    qps: tuple[float, ...]
    name: str
    period: float | None = None
    """When set (``diurnal``), the demand repeats: the value at ``t`` is the value at ``t mod period``; ``times`` then
    ends at ``period``, where the next cycle starts."""

    @staticmethod
    def of(points: list[tuple[float, float]], name: str) -> Trace:
        """A checked trace from ``(t, qps)`` points; consecutive equal values are merged."""
        if not points:
            raise TraceError(f"{name}: the trace has no points")
        times: list[float] = []
        values: list[float] = []
        for t, q in points:
            if not (math.isfinite(t) and math.isfinite(q)):
                raise TraceError(f"{name}: t = {t}, qps = {q}: values must be finite numbers")
            if q < 0:
                raise TraceError(f"{name}: t = {t}: qps = {q} is negative")
            if times and t <= times[-1]:
                raise TraceError(f"{name}: t = {t} is not after the previous time {times[-1]}")
            if not times and t != 0.0:
                raise TraceError(f"{name}: the first time must be 0, not {t}")
            if values and q == values[-1]:
                continue
            times.append(float(t))
            values.append(float(q))
        return Trace(tuple(times), tuple(values), name)

    def at(self, t: float) -> float:
        """Demand at time ``t`` (seconds): the value of the last point at or before ``t`` (the first before 0)."""
        if self.period is not None and t >= self.period:
            t = math.fmod(t, self.period)
        i = bisect.bisect_right(self.times, t) - 1
        return self.qps[max(i, 0)]

    @property
    def end(self) -> float:
        """Time of the last point (the last change of demand)."""
        return self.times[-1]

    @property
    def peak(self) -> float:
        """Highest demand."""
        return max(self.qps)

    def steps(self, until: float | None = None) -> list[tuple[float, float, float]]:
        """``(t, qps_before, qps_after)`` for each change of demand after ``t = 0`` (up to ``until`` when given; a
        repeating trace's cycles are unrolled up to it, or one cycle without it)."""
        q = self.qps
        one = [(self.times[i], q[i - 1], q[i]) for i in range(1, len(self.times)) if q[i] != q[i - 1]]
        if self.period is None or until is None:
            return [s for s in one if until is None or s[0] <= until]
        cycle = [(t, q[i]) for i, t in enumerate(self.times) if t < self.period]
        out: list[tuple[float, float, float]] = []
        before = q[0]
        k = 0
        while k * self.period <= until:
            for t, value in cycle:
                at = k * self.period + t
                if at > until:
                    return out
                if value != before and at > 0:
                    out.append((at, before, value))
                before = value
            k += 1
        return out

    def per_second(self, n: int) -> list[float]:
        """Demand at ``t = 0, 1, ..., n - 1`` (one walk over the points, O(n + points))."""
        out: list[float] = []
        times, values = self.times, self.qps
        i, last = 0, len(times) - 1
        base, period = 0.0, self.period
        for s in range(n):
            if period is not None and s >= base + period:
                base += period * math.floor((s - base) / period)
                i = 0
            while i < last and base + times[i + 1] <= s:
                i += 1
            out.append(values[i])
        return out


def parse_number(text: str, what: str, where: str) -> float:
    """A finite number from CSV text; a :class:`TraceError` naming ``where`` and ``what`` otherwise."""
    try:
        value = float(text)
    except ValueError:
        raise TraceError(f"{where}: {what} = {text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise TraceError(f"{where}: {what} = {text.strip()!r} is not a finite number")
    return value


def read_trace(path: Path) -> Trace:
    """Read a ``t,qps`` CSV file (see the module docstring); every problem raises :class:`TraceError` with FILE:LINE."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise TraceError(f"{path}: cannot read the trace: {err}") from None
    header: list[str] | None = None
    t_col = q_col = 0
    points: list[tuple[float, float]] = []
    try:
        rows = list(csv.reader(lines))
    except csv.Error as err:  # a field over csv's limit (131072 characters): not a trace
        raise TraceError(f"{path}: not a t,qps CSV file ({err})") from None
    for number, row in enumerate(rows, start=1):
        where = f"{path}:{number}"
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        cells = [cell.strip() for cell in row]
        if header is None:
            header = [cell.lower() for cell in cells]
            if "t" not in header or "qps" not in header:
                raise TraceError(f"{where}: expected the header 't,qps', found {','.join(cells)!r}")
            t_col, q_col = header.index("t"), header.index("qps")
            continue
        if len(cells) != len(header):
            raise TraceError(f"{where}: expected {len(header)} columns ({','.join(header)}), found {len(cells)}")
        t = parse_number(cells[t_col], "t", where)
        q = parse_number(cells[q_col], "qps", where)
        if t < 0:
            raise TraceError(f"{where}: t = {cells[t_col]} is negative")
        if q < 0:
            raise TraceError(f"{where}: qps = {cells[q_col]} is negative")
        if points and t <= points[-1][0]:
            raise TraceError(f"{where}: t = {cells[t_col]} is not after the previous row's t = {points[-1][0]:g}")
        if len(points) >= MAX_POINTS:
            raise TraceError(f"{where}: more than {MAX_POINTS} rows")
        points.append((t, q))
    if header is None:
        raise TraceError(f"{path}:1: the file is empty; expected the header 't,qps'")
    if not points:
        raise TraceError(f"{path}: no rows after the header 't,qps'")
    if points[0][0] > 0:
        points.insert(0, (0.0, 0.0))
    return Trace.of(points, path.name)


PATTERN_HELP = """\
Built-in load patterns (--pattern), numbers in requests per second and seconds:
  step:FROM:TO:AT                  FROM qps, then TO qps from t=AT on.  e.g. step:10:100:60
  ramp:FROM:TO:START:END[:EVERY]   FROM until START, a linear ramp to TO at END in steps of EVERY seconds
                                   (default 1), then TO.  e.g. ramp:10:100:60:660
  spike:BASE:PEAK:AT:LENGTH        BASE, PEAK from AT for LENGTH seconds, then BASE.  e.g. spike:10:100:60:120
  diurnal:LOW:HIGH[:PERIOD[:EVERY]] a cosine day: LOW at t=0 (midnight), HIGH at PERIOD/2, held in steps of EVERY
                                   seconds (defaults: PERIOD 86400, EVERY 60); repeats every PERIOD.  e.g. diurnal:5:100
The trace ends at its last change (AT, END, AT+LENGTH, PERIOD); --duration defaults to that plus 900 s."""


_PATTERN_PARAMS: dict[str, tuple[tuple[str, ...], int]] = {
    # name -> (parameter names, number required)
    "step": (("FROM", "TO", "AT"), 3),
    "ramp": (("FROM", "TO", "START", "END", "EVERY"), 4),
    "spike": (("BASE", "PEAK", "AT", "LENGTH"), 4),
    "diurnal": (("LOW", "HIGH", "PERIOD", "EVERY"), 2),
}


def pattern(spec: str) -> Trace:
    """A built-in trace from ``NAME:P1:P2:...`` (see :data:`PATTERN_HELP`); raises :class:`TraceError`."""
    name, _, rest = spec.strip().partition(":")
    name = name.lower()
    if name not in _PATTERN_PARAMS:
        raise TraceError(f"--pattern {spec!r}: unknown pattern {name!r}; one of {', '.join(_PATTERN_PARAMS)}")
    names, required = _PATTERN_PARAMS[name]
    texts = rest.split(":") if rest else []
    usage = f"{name}:{':'.join(n if i < required else '[' + n + ']' for i, n in enumerate(names))}"
    if not required <= len(texts) <= len(names):
        raise TraceError(f"--pattern {spec!r}: expected {usage}")
    values = [parse_number(text, names[i], f"--pattern {spec!r}") for i, text in enumerate(texts)]
    for i, value in enumerate(values):
        if value < 0:
            raise TraceError(f"--pattern {spec!r}: {names[i]} = {value:g} is negative")
    where = f"--pattern {spec!r}"
    points: list[tuple[float, float]]
    if name == "step":
        low, high, at = values
        points = [(0.0, high)] if at == 0 else [(0.0, low), (at, high)]
    elif name == "ramp":
        low, high, start, end = values[:4]
        every = values[4] if len(values) > 4 else 1.0
        if end <= start:
            raise TraceError(f"{where}: END = {end:g} must be after START = {start:g}")
        if every <= 0:
            raise TraceError(f"{where}: EVERY must be > 0")
        steps = (end - start) / every
        if steps > MAX_POINTS:
            raise TraceError(f"{where}: more than {MAX_POINTS} points; raise EVERY")
        count = math.ceil(steps)
        points = [(0.0, low)] if start > 0 else []
        for k in range(count):
            t = start + k * every
            points.append((t, low + (high - low) * (t - start) / (end - start)))
        points.append((end, high))
    elif name == "spike":
        base, peak, at, length = values
        if length <= 0:
            raise TraceError(f"{where}: LENGTH must be > 0")
        points = [(0.0, base), (at, peak), (at + length, base)] if at > 0 else [(0.0, peak), (length, base)]
    else:
        low, high = values[:2]
        period = values[2] if len(values) > 2 else 86400.0
        every = values[3] if len(values) > 3 else 60.0
        if period <= 0 or every <= 0:
            raise TraceError(f"{where}: PERIOD and EVERY must be > 0")
        steps = period / every
        if steps > MAX_POINTS:
            raise TraceError(f"{where}: more than {MAX_POINTS} points; raise EVERY")
        count = math.ceil(steps)
        points = [(k * every, low + (high - low) * (1 - math.cos(2 * math.pi * k * every / period)) / 2) for k in range(count)]
        points.append((period, low))
        return dataclasses.replace(Trace.of(points, spec.strip()), period=period)
    return Trace.of(points, spec.strip())


def add_trace_arguments(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """Add ``--trace FILE.csv`` / ``--pattern SPEC`` (one of the two, required unless ``required=False``; then
    :func:`trace_from_args` says so) and ``--duration SECONDS``."""
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--trace", type=Path, metavar="FILE.csv", help="load trace: CSV with the header 't,qps' (seconds, req/s)")
    group.add_argument("--pattern", metavar="SPEC", help="built-in load pattern, e.g. step:10:100:60 (see below)")
    parser.add_argument(
        "--duration",
        type=float,
        metavar="SECONDS",
        help=f"how long to run (default: the trace's last change + {DEFAULT_TAIL_SECONDS:g} s)",
    )


def trace_from_args(args: argparse.Namespace) -> Trace:
    """The trace ``--trace`` or ``--pattern`` names; raises :class:`TraceError` (also for a bad ``--duration``)."""
    duration = getattr(args, "duration", None)
    if duration is not None and not (math.isfinite(duration) and duration > 0):
        raise TraceError(f"--duration {duration}: must be a positive number of seconds")
    trace_path: Path | None = getattr(args, "trace", None)
    spec: str | None = getattr(args, "pattern", None)
    if trace_path is not None:
        return read_trace(trace_path)
    if spec is not None:
        return pattern(spec)
    raise TraceError("give a load trace: --trace FILE.csv or --pattern SPEC")


def default_duration(trace: Trace, args: argparse.Namespace) -> float:
    """``--duration`` when given, else the trace's last time plus :data:`DEFAULT_TAIL_SECONDS`."""
    duration: float | None = getattr(args, "duration", None)
    return float(duration) if duration is not None else trace.end + DEFAULT_TAIL_SECONDS
