"""Outputs of a run: ``timeline.csv`` (one row per second), ``summary.json`` and the text on stdout."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tools.simulate import EXIT_FIGHT, EXIT_OK, EXIT_ROLLOUT, EXIT_UNREACHABLE
from tools.simulate.engine import Result

SUMMARY_FORMAT = 1
BASE_COLUMNS = ("t", "demand_qps", "metric_qps", "hpa_desired", "replicas", "ready")
TAIL_COLUMNS = ("served_qps", "unmet_qps", "cost")


def columns(unit_names: Sequence[str], versions: Sequence[int] = ()) -> list[str]:
    """The timeline's header: ``t, demand_qps, metric_qps, hpa_desired, replicas, ready, replicas:<unit>, ready:<unit>
    (per unit, in unit order), version_ready:<N> (per model version, with --rollout), served_qps, unmet_qps, cost``."""
    per_unit = [c for name in unit_names for c in (f"replicas:{name}", f"ready:{name}")]
    per_version = [f"version_ready:{v}" for v in versions]
    return [*BASE_COLUMNS, *per_unit, *per_version, *TAIL_COLUMNS]


def fmt(x: float | None, digits: int = 3) -> str:
    """A number as short as it is exact to ``digits`` decimals; empty for None."""
    if x is None:
        return ""
    if x == int(x):
        return str(int(x))
    text = f"{x:.{digits}f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def write_timeline(result: Result, path: Path) -> None:
    header = ",".join(columns([u.name for u in result.model.units], list(result.version_ready)))
    unit_cols = [col for pair in zip(result.unit_replicas, result.unit_ready, strict=True) for col in pair]
    unit_cols.extend(result.version_ready.values())
    lines = [header]
    append = lines.append
    for t in range(result.duration + 1):
        metric = result.metric[t]
        desired = result.desired[t]
        cells = [
            str(t),
            fmt(result.demand[t]),
            "" if metric is None else fmt(metric),
            "" if desired is None else str(desired),
            str(result.replicas[t]),
            str(result.ready[t]),
        ]
        cells.extend(str(col[t]) for col in unit_cols)
        cells.extend((fmt(result.served[t]), fmt(result.unmet[t]), fmt(result.cost[t], 4)))
        append(",".join(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def time_to_capacity(
    steps: Sequence[tuple[float, float, float]],
    times: Sequence[float],
    demand: Sequence[float],
    ready: Sequence[float],
    replica_qps: float,
    end: float,
) -> list[float | None]:
    """For each step ``(t, before, after)``: seconds from ``t`` until ready capacity first meets the demand, strictly
    before the next step (the next demand is another question) or up to ``end`` (None if it never does)."""
    out: list[float | None] = []
    index = 0
    count = len(times)
    last = len(steps) - 1
    for k, (ts, _, _) in enumerate(steps):
        limit = steps[k + 1][0] if k < last else end
        while index < count and times[index] < ts:
            index += 1
        found: float | None = None
        i = index
        while i < count and (times[i] < limit or (k == last and times[i] <= limit)):
            if ready[i] * replica_qps >= demand[i] - 1e-9:
                found = times[i] - ts
                break
            i += 1
        out.append(found)
    return out


MAX_LISTED_STEPS = 200
"""A trace with more changes than this (a ramp or a day at fine resolution) lists the largest changes only."""


def listed_steps(
    steps: Sequence[tuple[float, float, float]], ttc: Sequence[float | None]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The steps for summary.json (every one, or the ``MAX_LISTED_STEPS`` largest in time order) and statistics over all."""
    rows = [{"t": s[0], "fromQps": s[1], "toQps": s[2], "secondsToCapacity": v} for s, v in zip(steps, ttc, strict=True)]
    if len(rows) > MAX_LISTED_STEPS:
        largest = sorted(range(len(rows)), key=lambda i: -abs(steps[i][2] - steps[i][1]))[:MAX_LISTED_STEPS]
        shown = [rows[i] for i in sorted(largest)]
    else:
        shown = rows
    up = [v for s, v in zip(steps, ttc, strict=True) if s[2] > s[1]]
    met = [v for v in up if v is not None]
    stats = {
        "count": len(rows),
        "listed": len(shown),
        "upSteps": len(up),
        "upStepsNeverMet": len(up) - len(met),
        "meanSecondsToCapacity": sum(met) / len(met) if met else None,
        "maxSecondsToCapacity": max(met) if met else None,
    }
    return shown, stats


def exit_status(result: Result) -> int:
    if result.fights:
        return EXIT_FIGHT
    if not reachable(result):
        return EXIT_UNREACHABLE
    stats = rollout_stats(result)
    if stats is not None and stats["unmetRequests"] > 0:
        return EXIT_ROLLOUT
    return EXIT_OK


def rollout_stats(result: Result) -> dict[str, Any] | None:
    """``{startSeconds, endSeconds, minReadyFraction, unmetRequests, ...}`` over the rollout's seconds (to the end of
    the run if it did not finish): the lowest ready capacity / demand (None when there was no demand) and the
    requests left unmet."""
    rollout = result.rollout
    if rollout is None:
        return None
    last = rollout.end if rollout.end is not None else result.duration
    span = range(rollout.start, last + 1)
    unmet = sum(result.unmet[t] for t in span if t < result.duration)

    def fraction(t: int) -> float:
        return result.ready[t] * result.replica_qps / result.demand[t] if result.demand[t] > 0 else math.inf

    lowest = min(span, key=fraction)
    return {
        "startSeconds": rollout.start,
        "endSeconds": rollout.end,
        "minReadyFraction": None if math.isinf(fraction(lowest)) else fraction(lowest),
        "unmetRequests": unmet,
        "lowestAt": lowest,
        "fromVersion": rollout.old_version,
        "toVersion": rollout.new_version,
        "maxSurge": rollout.max_surge,
        "maxUnavailable": rollout.max_unavailable,
        "strategySource": rollout.strategy_source,
    }


def reachable(result: Result) -> bool:
    """Whether the units' total maximum times ``--replica-qps`` can meet the trace's peak."""
    return result.model.capacity * result.replica_qps >= result.trace.peak - 1e-9


def summary(result: Result, source: dict[str, Any]) -> dict[str, Any]:
    model = result.model
    n = result.duration
    steps = [s for s in result.trace.steps(until=n) if s[0] <= n]
    ttc = time_to_capacity(steps, range(n + 1), result.demand, result.ready, result.replica_qps, float(n))
    demand_total = sum(result.demand[:n])
    unmet_total = sum(result.unmet[:n])
    served_total = demand_total - unmet_total
    cost = result.cost[-1] if result.cost else 0.0
    peak_units = {u.name: max(col) if col else 0 for u, col in zip(model.units, result.unit_replicas, strict=True)}
    first_up = next((v for s, v in zip(steps, ttc, strict=True) if s[2] > s[1]), None)
    shown_steps, step_stats = listed_steps(steps, ttc)
    return {
        "tool": "tools.simulate",
        "format": SUMMARY_FORMAT,
        "source": source,
        "model": model.name,
        "mode": model.mode,
        "hpa": f"HorizontalPodAutoscaler/{model.hpa.name}",
        "target": model.target_ref,
        "seldon": None
        if model.seldon is None or model.seldon.kind != "SeldonDeployment"
        else {
            "object": f"SeldonDeployment/{model.seldon.name}",
            "deployment": model.seldon.deployment,
            "replicas": model.seldon.replicas,
            "replicasField": model.seldon.replicas_field,
        },
        "kserve": None
        if model.seldon is None or model.seldon.kind != "InferenceService"
        else {
            "object": f"InferenceService/{model.seldon.name}",
            "deployment": model.seldon.deployment,
            "autoscalerClass": model.seldon.autoscaler_class,
            "replicas": model.seldon.replicas,
            "replicasField": model.seldon.replicas_field,
            "notes": list(model.seldon.notes),
        },
        "trace": {"name": result.trace.name, "peakQps": result.trace.peak, "lastChange": result.trace.end},
        "durationSeconds": n,
        "exactMode": result.world.exact,
        "start": result.world.start.isoformat(),
        "controllerTimeZone": result.world.controller_tz,
        "replicaQps": result.replica_qps,
        "startReplicas": result.start_replicas,
        "units": [
            {
                "name": u.name,
                "kind": u.kind,
                "spot": u.spot,
                "min": u.min,
                "max": None if math.isinf(u.max) else int(u.max),
                "startupSeconds": result.world.startup(u.kind),
                "deployment": result.unit_deployments[i],
            }
            for i, u in enumerate(model.units)
        ],
        "steps": shown_steps,
        "stepStats": step_stats,
        "timeToCapacitySeconds": first_up,
        "requests": {"demand": demand_total, "served": served_total, "unmet": unmet_total},
        "unmetFraction": unmet_total / demand_total if demand_total > 0 else 0.0,
        "peakPods": peak_units,
        "peakReplicas": max(result.replicas) if result.replicas else 0,
        "podSeconds": result.pod_seconds,
        "spotShare": result.spot_pod_seconds / result.pod_seconds if result.pod_seconds else 0.0,
        "cost": {
            "currency": result.currency,
            "total": cost,
            "perMillionServed": cost / served_total * 1e6 if served_total > 0 else None,
            "allOnDemand": result.on_demand_cost,
            "placeholderPrices": result.placeholder_prices,
        },
        "capacity": {
            "unitsMaxReplicas": None if math.isinf(model.capacity) else int(model.capacity),
            "hpaMaxReplicas": model.hpa.max_replicas,
            "peakQps": result.trace.peak,
            "reachable": reachable(result),
        },
        "fights": [
            {
                "object": f.obj,
                "writers": list(f.writers),
                "firstT": f.first_t,
                "reversals": f.reversals,
                "values": f.values,
            }
            for f in result.fights
        ],
        "cron": result.cron_events,
        "spotReclaims": [{"t": r.t, "unit": r.unit, "removedAt": r.evicted_at} for r in result.reclaims],
        "hpaSyncs": len(result.syncs),
        **({"rollout": rollout_stats(result)} if result.rollout is not None else {}),
        "exitStatus": exit_status(result),
    }


def write_summary(data: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def text(data: dict[str, Any]) -> str:
    """The short summary printed on stdout."""
    lines = [
        f"{data['model']}: {data['mode']} ({data['target']}), trace {data['trace']['name']}, "
        f"{data['durationSeconds']} s{' (exact mode)' if data['exactMode'] else ''}"
    ]
    for step in data["steps"] if data["stepStats"]["count"] <= 8 else []:
        ttc = step["secondsToCapacity"]
        if ttc is None:
            until = "the next change of demand" if step is not data["steps"][-1] else "the end of the run"
            when = f"ready capacity never reached {fmt(step['toQps'])} qps before {until}"
        else:
            when = f"ready capacity reached it {fmt(ttc)} s later"
        lines.append(f"  demand at t={fmt(step['t'])} s: {fmt(step['fromQps'])} -> {fmt(step['toQps'])} qps; {when}")
    stats = data["stepStats"]
    if stats["count"] > 8:
        mean, worst = stats["meanSecondsToCapacity"], stats["maxSecondsToCapacity"]
        up, never = stats["upSteps"], stats["upStepsNeverMet"]
        lines.append(
            f"  demand changed {stats['count']} times, {up} of them increases; ready capacity caught up with "
            f"{up - never} of the {up} increases ({fmt(mean)} s later on average, {fmt(worst)} s at worst) and "
            f"never with {never} before demand changed again"
            if mean is not None and worst is not None
            else f"  demand changed {stats['count']} times, {up} of them increases; ready capacity caught up with none "
            "of the increases before demand changed again"
        )
    peak = ", ".join(f"{k} {v}" for k, v in data["peakPods"].items())
    lines.append(f"  unmet {data['unmetFraction'] * 100:.1f} % of {data['requests']['demand']:,.0f} requests; peak pods: {peak}")
    cost = data["cost"]
    per_million = cost["perMillionServed"]
    note = " (placeholder prices)" if cost["placeholderPrices"] else ""
    lines.append(
        f"  spot share {data['spotShare'] * 100:.1f} % of pod-seconds; cost {cost['total']:.2f} {cost['currency']}{note}"
        + (f", {per_million:.2f} per million served" if per_million is not None else "")
        + f"; all on-demand {cost['allOnDemand']:.2f}"
    )
    capacity = data["capacity"]
    if not capacity["reachable"]:
        lines.append(
            f"  UNREACHABLE: the units hold at most {capacity['unitsMaxReplicas']} pods x {fmt(data['replicaQps'])} qps "
            f"< peak {fmt(capacity['peakQps'])} qps"
        )
    elif capacity["hpaMaxReplicas"] * data["replicaQps"] < capacity["peakQps"] - 1e-9:
        lines.append(
            f"  note: the HPA's maxReplicas {capacity['hpaMaxReplicas']} x {fmt(data['replicaQps'])} qps "
            f"< peak {fmt(capacity['peakQps'])} qps (a CronHPA targetSize above it would raise it)"
        )
    rollout = data.get("rollout")
    if rollout is not None:
        end = rollout["endSeconds"]
        fraction = rollout["minReadyFraction"]
        lines.append(
            f"  rollout {rollout['fromVersion']} -> {rollout['toVersion']} at t={rollout['startSeconds']} s "
            f"(maxSurge {rollout['maxSurge']}, maxUnavailable {rollout['maxUnavailable']}): "
            + (f"complete at t={end} s" if end is not None else "not complete by the end of the run")
            + (f"; ready capacity at least {fraction * 100:.0f} % of demand" if fraction is not None else "")
            + f"; {rollout['unmetRequests']:,.0f} requests unmet during it"
        )
        if rollout["unmetRequests"] > 0:
            lines.append(
                f"  ROLLOUT DROPS CAPACITY: ready capacity fell to {fraction * 100:.0f} % of demand at "
                f"t={rollout['lowestAt']} s because maxUnavailable {rollout['maxUnavailable']} lets old pods go before "
                "new ones are Ready; use maxUnavailable 0 with a maxSurge"
            )
    for fight in data["fights"]:
        values = ", ".join(str(v) for v in fight["values"])
        lines.append(
            f"  FIGHT on {fight['object']}: {fight['writers'][0]} and {fight['writers'][1]} set replicas back and forth "
            f"({fight['reversals']} reversal(s) from t={fight['firstT']} s: {values} ...)"
        )
    return "\n".join(lines)
