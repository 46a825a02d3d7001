"""``--compare OBSERVED.csv``: a timeline in the simulator's own columns (written by ``tools.loadtest --watch`` from a
real cluster) against the simulated one: time to capacity per load step and peak pods per unit."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.simulate import SimulateError
from tools.simulate.engine import Result
from tools.simulate.report import BASE_COLUMNS, TAIL_COLUMNS, time_to_capacity
from tools.traces import TraceError, parse_number


@dataclass
class Observed:
    path: str
    times: list[float] = field(default_factory=list)
    demand: list[float | None] = field(default_factory=list)
    ready: list[float] = field(default_factory=list)
    replicas: list[float] = field(default_factory=list)
    units: dict[str, list[float]] = field(default_factory=dict)


def _cell(text: str, column: str, where: str, required: bool) -> float | None:
    text = text.strip()
    if text == "":
        if required:
            raise SimulateError(f"{where}: {column} is empty")
        return None
    try:
        return parse_number(text, column, where)
    except TraceError as error:
        raise SimulateError(str(error)) from None


def read_observed(path: Path) -> Observed:
    """Read an observed ``timeline.csv``; every problem raises :class:`SimulateError` as ``FILE:LINE: ...``."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise SimulateError(f"--compare {path}: cannot read: {err}") from None
    rows = list(csv.reader(lines))
    if not rows:
        raise SimulateError(f"{path}:1: empty file; expected the simulator's timeline header")
    header = [h.strip() for h in rows[0]]
    if tuple(header[: len(BASE_COLUMNS)]) != BASE_COLUMNS or tuple(header[-len(TAIL_COLUMNS) :]) != TAIL_COLUMNS:
        raise SimulateError(
            f"{path}:1: expected the columns {','.join(BASE_COLUMNS)},replicas:<unit>,ready:<unit>...,{','.join(TAIL_COLUMNS)}"
        )
    middle = header[len(BASE_COLUMNS) : -len(TAIL_COLUMNS)]
    if len(middle) % 2:
        raise SimulateError(f"{path}:1: per-unit columns must come in pairs replicas:<unit>,ready:<unit>")
    names: list[str] = []
    for i in range(0, len(middle), 2):
        rep, rdy = middle[i], middle[i + 1]
        if not rep.startswith("replicas:") or rdy != "ready:" + rep[len("replicas:") :]:
            raise SimulateError(f"{path}:1: expected replicas:<unit>,ready:<unit>, found {rep},{rdy}")
        names.append(rep[len("replicas:") :])
    observed = Observed(str(path), units={name: [] for name in names})
    for number, row in enumerate(rows[1:], start=2):
        where = f"{path}:{number}"
        if not row or not "".join(row).strip():
            continue
        if len(row) != len(header):
            raise SimulateError(f"{where}: expected {len(header)} columns, found {len(row)}")
        t = _cell(row[0], "t", where, True)
        assert t is not None
        if observed.times and t <= observed.times[-1]:
            raise SimulateError(f"{where}: t = {row[0]} is not after the previous row's t")
        observed.times.append(t)
        observed.demand.append(_cell(row[1], "demand_qps", where, False))
        replicas = _cell(row[4], "replicas", where, True)
        ready = _cell(row[5], "ready", where, True)
        assert replicas is not None and ready is not None
        observed.replicas.append(replicas)
        observed.ready.append(ready)
        for k, name in enumerate(names):
            value = _cell(row[len(BASE_COLUMNS) + 2 * k], f"replicas:{name}", where, True)
            assert value is not None
            observed.units[name].append(value)
    if not observed.times:
        raise SimulateError(f"{path}: no rows after the header")
    return observed


def differences(result: Result, observed: Observed) -> dict[str, Any]:
    """Time to capacity per step and peak pods per unit, simulated vs observed (observed minus simulated)."""
    n = result.duration
    steps = [s for s in result.trace.steps(until=n) if s[0] <= n]
    simulated = time_to_capacity(steps, range(n + 1), result.demand, result.ready, result.replica_qps, float(n))
    demand = [d if d is not None else result.trace.at(t) for d, t in zip(observed.demand, observed.times, strict=True)]
    seen = time_to_capacity(steps, observed.times, demand, observed.ready, result.replica_qps, observed.times[-1])
    step_rows = []
    for s, a, b in zip(steps, simulated, seen, strict=True):
        delta = None if a is None or b is None else b - a
        step_rows.append({"t": s[0], "fromQps": s[1], "toQps": s[2], "simulated": a, "observed": b, "difference": delta})
    peaks: dict[str, Any] = {}
    names = [u.name for u in result.model.units] + [k for k in observed.units if k not in {u.name for u in result.model.units}]
    for name in names:
        index = next((i for i, u in enumerate(result.model.units) if u.name == name), None)
        sim_peak = max(result.unit_replicas[index]) if index is not None else None
        obs = observed.units.get(name)
        obs_peak = max(obs) if obs else None
        delta = None if sim_peak is None or obs_peak is None else obs_peak - sim_peak
        peaks[name] = {"simulated": sim_peak, "observed": obs_peak, "difference": delta}
    return {"observed": observed.path, "steps": step_rows, "peakPods": peaks}


def text(diff: dict[str, Any]) -> str:
    def show(v: float | None) -> str:
        return "-" if v is None else f"{v:g}"

    lines = [f"compare with {diff['observed']} (observed - simulated):"]
    for s in diff["steps"][:8]:
        lines.append(
            f"  step at t={s['t']:g} s ({s['fromQps']:g} -> {s['toQps']:g} qps): time to capacity simulated "
            f"{show(s['simulated'])} s, observed {show(s['observed'])} s, difference {show(s['difference'])} s"
        )
    for name, p in diff["peakPods"].items():
        sim, obs, delta = show(p["simulated"]), show(p["observed"]), show(p["difference"])
        lines.append(f"  peak pods {name}: simulated {sim}, observed {obs}, difference {delta}")
    return "\n".join(lines)
