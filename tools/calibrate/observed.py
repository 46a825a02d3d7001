"""Reading an observed ``timeline.csv`` (``tools.loadtest --watch``; the simulator writes the same columns) into
per-second series, with every problem reported as ``FILE:LINE: ...``."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

from tools.calibrate import CalibrateError
from tools.simulate.report import BASE_COLUMNS, TAIL_COLUMNS
from tools.traces import TraceError, parse_number

MIN_SECONDS = 300
"""Shortest timeline accepted: five minutes, long enough for a pod to start and the HPA to sync twenty times."""


@dataclass
class Timeline:
    """Per-second series, index = t (rows forward-filled over gaps); ``None`` where a cell was empty."""

    path: str
    duration: int
    demand: list[float] = field(default_factory=list)
    metric: list[float | None] = field(default_factory=list)
    replicas: list[int] = field(default_factory=list)
    ready: list[int] = field(default_factory=list)
    unit_replicas: dict[str, list[int]] = field(default_factory=dict)
    unit_ready: dict[str, list[int]] = field(default_factory=dict)
    served: list[float | None] = field(default_factory=list)
    unmet: list[float | None] = field(default_factory=list)


def _cell(text: str, column: str, where: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = parse_number(text, column, where)
    except TraceError as err:
        raise CalibrateError(str(err)) from None
    if value < 0:
        raise CalibrateError(f"{where}: {column} = {text}: must be >= 0")
    return value


def read(path: Path) -> Timeline:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise CalibrateError(f"{path}: cannot read: {err}") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise CalibrateError(f"{path}:1: empty file; expected the header of tools.loadtest --watch's timeline.csv")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in (*BASE_COLUMNS, *TAIL_COLUMNS) if c not in header]
    if missing:
        raise CalibrateError(f"{path}:1: columns missing: {', '.join(missing)} (expected tools.loadtest --watch's timeline.csv)")
    units = [h[len("replicas:") :] for h in header if h.startswith("replicas:")]
    absent = [u for u in units if f"ready:{u}" not in header]
    if not units or absent:
        raise CalibrateError(
            f"{path}:1: columns missing: " + (", ".join(f"ready:{u}" for u in absent) or "replicas:<unit>,ready:<unit>")
        )
    col = {name: i for i, name in enumerate(header)}
    points: list[tuple[int, dict[str, float | None]]] = []
    for number, row in enumerate(rows[1:], start=2):
        where = f"{path}:{number}"
        if not row or not "".join(row).strip():
            continue
        if len(row) != len(header):
            raise CalibrateError(f"{where}: expected {len(header)} columns, found {len(row)}")
        values = {name: _cell(row[i], name, where) for name, i in col.items()}
        t = values["t"]
        if t is None or not math.isfinite(t):
            raise CalibrateError(f"{where}: t is empty")
        for name in ("demand_qps", "replicas", "ready", *(f"replicas:{u}" for u in units), *(f"ready:{u}" for u in units)):
            if values[name] is None:
                raise CalibrateError(f"{where}: {name} is empty")
        second = round(t)
        if points and second <= points[-1][0]:
            raise CalibrateError(f"{where}: t = {row[0]} is not after the previous row's t")
        points.append((second, values))
    if not points:
        raise CalibrateError(f"{path}: no rows after the header")
    start, end = points[0][0], points[-1][0]
    if end - start < MIN_SECONDS:
        raise CalibrateError(f"{path}: the timeline is too short: {end - start} s; at least {MIN_SECONDS} s are needed")
    timeline = Timeline(str(path), end - start)
    timeline.unit_replicas = {u: [] for u in units}
    timeline.unit_ready = {u: [] for u in units}
    k = 0
    for second in range(start, end + 1):
        while k + 1 < len(points) and points[k + 1][0] <= second:
            k += 1
        v = points[k][1]
        fresh = points[k][0] == second
        timeline.demand.append(float(v["demand_qps"] or 0.0))
        timeline.metric.append(v["metric_qps"])
        timeline.replicas.append(int(v["replicas"] or 0))
        timeline.ready.append(int(v["ready"] or 0))
        for u in units:
            timeline.unit_replicas[u].append(int(v[f"replicas:{u}"] or 0))
            timeline.unit_ready[u].append(int(v[f"ready:{u}"] or 0))
        timeline.served.append(v["served_qps"] if fresh else None)
        timeline.unmet.append(v["unmet_qps"] if fresh else None)
    if max(timeline.replicas) == 0:
        raise CalibrateError(f"{path}: no pods observed (replicas is 0 in every row): was --watch on?")
    return timeline
