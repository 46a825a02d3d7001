"""``calibration.png``: the observed run against the simulated one with the default world and with the fitted world."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from tools.calibrate.observed import Timeline
from tools.simulate.engine import Result


def calibration_png(
    path: Path, timeline: Timeline, before: Result, after: Result, params: Mapping[str, Mapping[str, Any]], title: str
) -> None:
    minutes = [t / 60 for t in range(timeline.duration + 1)]
    n = len(minutes)
    fig = plt.figure(figsize=(12, 10))
    grid = fig.add_gridspec(3, 1, height_ratios=[3, 3, 2])
    ax1 = fig.add_subplot(grid[0])
    ax2 = fig.add_subplot(grid[1], sharex=ax1)
    ax3 = fig.add_subplot(grid[2])
    ax1.plot(minutes, timeline.ready, color="black", lw=1.8, label="observed")
    ax1.step(minutes, before.ready[:n], where="post", color="#c00000", lw=1.2, ls="--", label="simulated, default world")
    ax1.step(minutes, after.ready[:n], where="post", color="#2e75b6", lw=1.2, label="simulated, fitted world")
    ax1.set_ylabel("Ready pods")
    ax1.legend(fontsize=8, loc="upper left")
    ax1.grid(alpha=0.3)

    metric = [m if m is not None else float("nan") for m in timeline.metric]
    ax2.plot(minutes, timeline.demand, color="#7f7f7f", lw=0.8, label="observed demand (qps)")
    ax2.plot(minutes, metric, color="black", lw=1.5, label="observed metric the HPA read (qps)")
    for result, color, style, label in ((before, "#c00000", "--", "default"), (after, "#2e75b6", "-", "fitted")):
        values = [m if m is not None else float("nan") for m in result.metric[:n]]
        ax2.step(minutes, values, where="post", color=color, lw=1.1, ls=style, label=f"simulated metric, {label} world (qps)")
    ax2.set_ylabel("requests / s")
    ax2.legend(fontsize=8, loc="upper left")
    ax2.grid(alpha=0.3)

    ax3.axis("off")
    lines = []
    for key, entry in params.items():
        spread = f" +/- {entry['uncertainty']:g}" if "uncertainty" in entry else ""
        mark = "" if entry["provenance"] == "calibrated" else "  <- " + entry["provenance"].upper() + " (not fitted)"
        lines.append(f"{key:<20} {entry['value']:g}{spread}{mark}")
    ax3.text(
        0,
        1,
        "world parameters (seconds; replica-qps in requests/s per pod):\n" + "\n".join(lines),
        va="top",
        family="monospace",
        fontsize=8,
    )
    ax2.set_xlabel("time since the start of the run (minutes)")
    fig.suptitle(f"tools.calibrate: {title}, observed vs simulated before and after the fit", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
