"""Outputs of a search: ``pareto.csv``, ``summary.json``, the text on stdout, and what a failed search would need."""

from __future__ import annotations

import argparse
import csv
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tools.simulate.objects import KIND_ECI, KIND_ECI_CACHED, KIND_ECS
from tools.simulate.prices import PriceBook
from tools.simulate.world import World
from tools.traces import Trace
from tools.tune import EXIT_NO_SETTING, EXIT_OK
from tools.tune.search import Found, Slo, Verdict, pareto
from tools.tune.space import MAX_REPLICAS_LIMIT, Base, Settings

ASSUMPTIONS = (
    "the image cache's own price (ECI bills the cache's snapshot) is not in the cost: turning it on only shortens start-up",
    "the HPA's scaling policies (Percent 100 / Pods 4 per 15 s up, Percent 10 per 60 s down) are fixed by "
    "components/qps_autoscaler.py and not searched: only the stabilization windows are config keys",
    "sourceMin/sourceMax, unit minima and the pod spec are kept as committed",
)

STRATEGY = (
    "every candidate simulated under seed 0 (in parallel); those meeting the SLO re-run under the other seeds cheapest "
    "first, until the next seed-0 cost exceeds the best worst-seed cost: the exhaustive optimum of the space"
)


def _num(x: float | None) -> float | None:
    return None if x is None or math.isinf(x) else x


def point(v: Verdict, settings: Settings, base: Base) -> dict[str, Any]:
    return {
        "cost": _num(v.cost),
        "costPerMillionServed": v.per_million,
        "unmetFraction": v.unmet,
        "worstSecondsToCapacity": _num(v.worst_ttc),
        "peakPods": v.peak_pods,
        "seeds": v.seeds,
        "meetsSlo": v.meets,
        "settings": settings.row(base.units),
    }


def closest(verdicts: Mapping[int, Verdict], slo: Slo) -> Verdict:
    """The candidate nearest to the SLO: least unmet demand (then time to capacity, then cost)."""
    pool = [v for v in verdicts.values() if v.refused is None]
    return min(pool, key=lambda v: (max(0.0, v.unmet - slo.unmet), v.worst_ttc, v.cost, v.index))


def needed(v: Verdict, settings: Settings, slo: Slo, world: World, base: Base, replica_qps: float, trace: Trace) -> list[str]:
    """What the space lacks for the SLO, in words."""
    out: list[str] = []
    pods = math.ceil(trace.peak / replica_qps - 1e-9)
    if pods > MAX_REPLICAS_LIMIT:
        out.append(
            f"the peak of {trace.peak:g} qps needs {pods} pods of {replica_qps:g} qps: maxReplicas above the config "
            f"layer's limit of {MAX_REPLICAS_LIMIT} (a faster pod, a bigger spec, or several models)"
        )
    kinds = {u.kind for u in base.units}
    fastest = min(world.startup(KIND_ECI_CACHED if k == KIND_ECI else k) for k in kinds | {KIND_ECS} if k in kinds)
    if slo.capacity is not None and v.worst_ttc > slo.capacity:
        out.append(
            f"capacity within {slo.capacity:g} s of every rise: the closest setting takes {v.worst_ttc:g} s, and the "
            f"fastest pod start-up in this world is {fastest:g} s; more standing headroom (a lower targetQps or a "
            "higher minReplicas than the space tried) or faster start-up would be needed"
        )
    if v.unmet > slo.unmet:
        out.append(
            f"unmet demand {v.unmet * 100:.2f} % > {slo.unmet * 100:g} % at best: a lower targetQps than "
            f"{settings.target_qps} or faster start-up than {fastest:g} s would be needed"
        )
    return out


def summary(
    args: argparse.Namespace,
    base: Base,
    settings: Sequence[Settings],
    found: Found,
    current: Verdict,
    chosen: Verdict | None,
    shown: Verdict,
    world: World,
    provenance: Mapping[str, str],
    book: PriceBook,
    slo: Slo,
    replica_qps: float,
    trace: Trace,
    seconds: int,
    elapsed: float,
    workers: int,
) -> dict[str, Any]:
    refused = [v for v in found.verdicts.values() if v.refused is not None]
    values = {
        "startup-ecs": world.startup_ecs,
        "startup-eci": world.startup_eci,
        "startup-eci-cached": world.startup_eci_cached,
        "model-load": world.model_load,
        "metric-delay": world.metric_delay,
        "metric-window": world.metric_window,
        "replica-qps": replica_qps,
        "spot-reclaims": world.spot_reclaims,
    }
    return {
        "tool": "tools.tune",
        "format": 1,
        "stack": base.stack,
        "model": base.raw_model.get("name"),
        "trace": {"name": trace.name, "peakQps": trace.peak, "durationSeconds": seconds},
        "slo": {"unmetFraction": slo.unmet, "capacitySeconds": slo.capacity, "seeds": args.seeds},
        "current": point(current, settings[0], base),
        "recommended": None if chosen is None else point(chosen, settings[chosen.index], base),
        "closest": None if chosen is not None else point(shown, settings[shown.index], base),
        "saving": None if chosen is None or not current.meets or current.cost <= 0 else 1 - chosen.cost / current.cost,
        "world": {k: {"value": v, "provenance": provenance.get(k, "source")} for k, v in values.items()},
        "prices": {
            "file": book.path,
            "currency": book.currency,
            "provenance": "placeholder" if book.placeholder else "user file",
        },
        "assumptions": list(ASSUMPTIONS),
        "search": {
            "strategy": STRATEGY,
            "candidates": len(settings),
            "refusedByConfigLayer": len(refused),
            "refusals": sorted({v.refused for v in refused if v.refused})[:5],
            "simulations": found.evaluations,
            "verified": found.stats.get("verified", 0),
            "seconds": round(elapsed, 2),
            "workers": workers,
        },
        "exitStatus": EXIT_OK if chosen is not None else EXIT_NO_SETTING,
    }


def write_world(path: Path, data: Mapping[str, Any]) -> None:
    """The world the search ran in, in ``--world`` format: ``tools.simulate --world`` re-runs a candidate in it."""
    parameters = {
        k: {"value": v["value"], "provenance": "given" if v["provenance"] not in WORLD_PROVENANCES else v["provenance"]}
        for k, v in data["world"].items()
    }
    header = "# The world tools.tune searched in (re-run a setting in it with tools.simulate --world this-file).\n"
    body = json.dumps({"format": 1, "tool": "tools.tune", "parameters": parameters}, indent=2)
    path.write_text(header + body + "\n", encoding="utf-8")


WORLD_PROVENANCES = ("calibrated", "assumed", "given", "source")


def write_summary(path: Path, data: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


PARETO_COLUMNS = (
    "role",
    "cost",
    "cost_per_million_served",
    "unmet_fraction",
    "worst_seconds_to_capacity",
    "seeds",
    "meets_slo",
    "targetQps",
    "minReplicas",
    "maxReplicas",
    "units",
    "scaleUpStabilizationSeconds",
    "scaleDownStabilizationSeconds",
    "scaleUpPods",
    "scaleDownPercent",
    "imageCache",
    "schedules",
)


def write_pareto(
    path: Path, found: Found, settings: Sequence[Settings], base: Base, current: Verdict, chosen: Verdict | None
) -> None:
    """One row per non-dominated candidate (cost, unmet fraction, worst time to capacity), cheapest first."""
    rows = pareto(list(found.verdicts.values()))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(PARETO_COLUMNS)
        for v in rows:
            role = "recommended" if chosen is not None and v.index == chosen.index else ("current" if v.index == 0 else "")
            cells = settings[v.index].row(base.units)
            writer.writerow(
                [
                    role,
                    f"{v.cost:.2f}",
                    "" if v.per_million is None else f"{v.per_million:.2f}",
                    f"{v.unmet:.6f}",
                    "never" if math.isinf(v.worst_ttc) else f"{v.worst_ttc:g}",
                    v.seeds,
                    "yes" if v.meets else "no",
                    *(cells[c] for c in PARETO_COLUMNS[7:]),
                ]
            )


def _line(label: str, p: Mapping[str, Any], currency: str) -> str:
    ttc = p["worstSecondsToCapacity"]
    return (
        f"  {label:<12} cost {p['cost']:.2f} {currency}, unmet {p['unmetFraction'] * 100:.2f} %, worst time to capacity "
        f"{'never' if ttc is None else f'{ttc:g} s'}" + ("" if p["meetsSlo"] else " (misses the SLO)")
    )


def text(data: Mapping[str, Any]) -> str:
    currency = data["prices"]["currency"]
    slo = data["slo"]
    lines = [
        f"{data['stack']}: {data['model']}, trace {data['trace']['name']}; SLO unmet <= {slo['unmetFraction'] * 100:g} %"
        + (f", capacity within {slo['capacitySeconds']:g} s" if slo["capacitySeconds"] is not None else "")
        + f", under {slo['seeds']} seed(s)",
        _line("current", data["current"], currency),
    ]
    best = data["recommended"] or data["closest"]
    lines.append(_line("recommended" if data["recommended"] else "closest", best, currency))
    changed = {k: v for k, v in best["settings"].items() if data["current"]["settings"].get(k) != v}
    if changed:
        lines.append("  changes: " + "; ".join(f"{k} {data['current']['settings'][k]} -> {v}" for k, v in changed.items()))
    for need in data.get("needed", []):
        lines.append(f"  NO SETTING in the space meets the SLO: {need}")
    world = ", ".join(f"{k} {v['value']:g} ({v['provenance']})" for k, v in data["world"].items())
    lines.append(f"  world: {world}")
    prices = data["prices"]
    lines.append(f"  prices: {prices['file']} ({prices['provenance']})")
    s = data["search"]
    lines.append(
        f"  searched {s['candidates']} candidates ({s['refusedByConfigLayer']} refused by the config layer), "
        f"{s['simulations']} simulations in {s['seconds']:.1f} s on {s['workers']} process(es)"
    )
    return "\n".join(lines)
