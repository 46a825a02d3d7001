"""``tune.png``: the frontier (cost against unmet demand, every candidate, the current and recommended points) and the
two timelines (demand against the ready capacity of the current and of the recommended setting), with what it rests on."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from tools.simulate.engine import Result
from tools.tune.search import Verdict, pareto

MAX_POINTS = 4000


def _assumptions(data: Mapping[str, Any]) -> list[str]:
    lines = [f"  {k:<19} {v['value']:g} ({v['provenance']})" for k, v in data["world"].items()]
    prices = data["prices"]
    return [*lines, f"  prices: {prices['provenance']} ({Path(prices['file']).name}, {prices['currency']})"]


def _timeline(ax: Any, result: Result, label: str, color: str) -> None:
    n = result.duration + 1
    step = max(1, n // MAX_POINTS)
    scale = 3600.0 if result.duration > 3 * 3600 else 60.0
    xs = [t / scale for t in range(0, n, step)]
    ax.plot(xs, [r * result.replica_qps for r in result.ready[::step]], color=color, lw=1.3, label=label)


def tune_png(
    path: Path,
    data: Mapping[str, Any],
    verdicts: Sequence[Verdict],
    current: Verdict,
    best: Verdict,
    current_run: Result,
    best_run: Result,
    *,
    recommended: bool,
) -> None:
    fig = plt.figure(figsize=(13, 9))
    grid = fig.add_gridspec(2, 2, height_ratios=[3, 2], width_ratios=[1, 1])
    ax = fig.add_subplot(grid[0, 0])
    notes = fig.add_subplot(grid[0, 1])
    timeline = fig.add_subplot(grid[1, :])
    currency = data["prices"]["currency"]
    pool = [v for v in verdicts if v.refused is None]
    ax.scatter([v.unmet * 100 for v in pool], [v.cost for v in pool], s=14, color="#bfbfbf", label="candidates (seed 0)")
    front = sorted(pareto(pool), key=lambda v: v.unmet)
    ax.plot([v.unmet * 100 for v in front], [v.cost for v in front], color="#2e75b6", lw=1.2, marker="o", ms=4,
            label="non-dominated (cost, unmet, time to capacity)")  # fmt: skip
    slo = data["slo"]["unmetFraction"] * 100
    ax.axvline(slo, color="#c00000", ls="--", lw=1, label=f"SLO: unmet <= {slo:g} %")
    ax.scatter([current.unmet * 100], [current.cost], s=90, marker="s", color="black", zorder=5, label="current (committed)")
    ax.scatter([best.unmet * 100], [best.cost], s=140, marker="*", color="#70ad47" if recommended else "#ed7d31", zorder=6,
               label="recommended" if recommended else "closest (misses the SLO)")  # fmt: skip
    ax.set_xscale("symlog", linthresh=0.1)
    ax.set_xlabel("unmet demand (% of requests, worst seed; symmetric log scale)")
    ax.set_ylabel(f"cost of the run ({currency}, worst seed)")
    ax.set_title("frontier")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")

    notes.axis("off")
    cur, rec = data["current"]["settings"], (data["recommended"] or data["closest"])["settings"]
    lines = ["current -> " + ("recommended" if recommended else "closest") + " (* changed):"]
    for key in cur:
        mark = "*" if cur[key] != rec[key] else " "
        change = f"{cur[key]} -> {rec[key]}" if cur[key] != rec[key] else cur[key]
        lines += textwrap.wrap(f"{mark} {key}: {change}", 70, subsequent_indent="      ")
    lines += ["", "what this rests on (world: assumed, calibrated, given or source):", *_assumptions(data)]
    if data["prices"]["provenance"] == "placeholder":
        lines.append("costs use PLACEHOLDER prices")
    assumed = [k for k, v in data["world"].items() if v["provenance"] == "assumed"]
    if assumed:
        lines += textwrap.wrap("ASSUMED (not measured): " + ", ".join(assumed), 70)
    notes.text(0, 1, "\n".join(lines), va="top", family="monospace", fontsize=7.5)

    scale_unit = "hours" if current_run.duration > 3 * 3600 else "minutes"
    step = max(1, (current_run.duration + 1) // MAX_POINTS)
    scale = 3600.0 if current_run.duration > 3 * 3600 else 60.0
    xs = [t / scale for t in range(0, current_run.duration + 1, step)]
    timeline.plot(xs, current_run.demand[::step], color="black", lw=1.5, label="demand (qps)")
    _timeline(timeline, current_run, "ready capacity, current (qps)", "#7f7f7f")
    _timeline(timeline, best_run, "ready capacity, " + ("recommended" if recommended else "closest") + " (qps)", "#2e75b6")
    timeline.set_xlabel(f"time since start ({scale_unit})")
    timeline.set_ylabel("requests / s")
    timeline.set_title(f"seed 0; ready capacity = ready pods x {current_run.replica_qps:g} qps per pod")
    timeline.grid(alpha=0.3)
    timeline.legend(fontsize=8, loc="upper left")
    fig.suptitle(
        f"tools.tune: {data['stack']} / {data['model']}, trace {data['trace']['name']}, {data['slo']['seeds']} seed(s)",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
