"""``scaling.png`` (demand vs capacity, pods per unit, cost) and the ``--compare`` overlay ``compare.png`` (matplotlib, Agg)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from tools.simulate.compare import Observed
    from tools.simulate.engine import Result

MAX_POINTS = 4000
ON_DEMAND_COLORS = ("#1f4e79", "#2e75b6", "#5b9bd5", "#9dc3e6", "#bdd7ee")
SPOT_COLORS = ("#c55a11", "#f4b183", "#ed7d31", "#f8cbad")


def _scale(duration: float) -> tuple[float, str]:
    if duration > 3 * 3600:
        return 3600.0, "hours"
    if duration > 1200:
        return 60.0, "minutes"
    return 1.0, "seconds"


def _every(n: int) -> int:
    return max(1, n // MAX_POINTS)


def _unit_colors(spot: Sequence[bool]) -> list[str]:
    colors: list[str] = []
    od = sp = 0
    for is_spot in spot:
        if is_spot:
            colors.append(SPOT_COLORS[sp % len(SPOT_COLORS)])
            sp += 1
        else:
            colors.append(ON_DEMAND_COLORS[od % len(ON_DEMAND_COLORS)])
            od += 1
    return colors


def _capacity_marks(result: Result) -> list[tuple[float, float, float | None]]:
    """(step time, new demand, seconds until ready capacity met it or None) for the first three increases of demand
    that were not met at once, on traces with few changes."""
    from tools.simulate.report import time_to_capacity

    steps = [s for s in result.trace.steps(until=result.duration) if s[0] <= result.duration]
    values = time_to_capacity(steps, range(result.duration + 1), result.demand, result.ready, result.replica_qps, result.duration)
    marks = [(s[0], s[2], v) for s, v in zip(steps, values, strict=True) if s[2] > s[1] and (v is None or v > 0)]
    return marks[:3] if len(steps) <= 10 else []


CRON_COLORS = ("#7030a0", "#bf9000", "#00b050", "#c00000")


def _cron_marks(ax: Axes, result: Result, scale: float) -> None:
    """A dashed vertical line at each CronHPA firing, one colour and one legend entry per job."""
    colors: dict[str, str] = {}
    for event in result.cron_events:
        job = str(event["job"])
        first = job not in colors
        color = colors.setdefault(job, CRON_COLORS[len(colors) % len(CRON_COLORS)])
        t = float(str(event["t"]))
        label = f"CronHPA job {job} fired (targetSize {event['targetSize']})" if first else None
        ax.axvline(t / scale, color=color, lw=1.2, ls="--", label=label)


def _rollout_shade(axes: Sequence[Axes], result: Result, scale: float) -> None:
    rollout = result.rollout
    if rollout is None:
        return
    end = rollout.end if rollout.end is not None else result.duration
    for i, ax in enumerate(axes):
        ax.axvspan(rollout.start / scale, end / scale, color="#a9d18e", alpha=0.25,
                   label=f"rollout to version {rollout.new_version}" if i < 2 else None)  # fmt: skip


def scaling_png(result: Result, path: Path, title: str) -> None:
    """:func:`scaling_figure` written to ``path``."""
    fig = scaling_figure(result, title)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def scaling_figure(result: Result, title: str) -> Figure:
    """Three panels sharing the time axis: demand vs ready capacity (and what the HPA read), ready pods stacked per
    unit (blues on-demand, oranges hatched spot) with all pods and the HPA's desired count, cumulative cost; dashed
    lines where a CronHPA job fired, the rollout shaded."""
    n = result.duration + 1
    step = _every(n)
    scale, unit = _scale(result.duration)
    xs = [t / scale for t in range(0, n, step)]
    pick = slice(0, n, step)
    fig, (ax1, ax2, ax3) = plt.subplots(3, 1, figsize=(13, 9), sharex=True, gridspec_kw={"height_ratios": [3, 3, 2]})
    _rollout_shade((ax1, ax2, ax3), result, scale)
    capacity = [r * result.replica_qps for r in result.ready[pick]]
    ax1.plot(xs, result.demand[pick], color="black", lw=1.6, label="demand (qps)")
    ax1.plot(xs, capacity, color="#2e75b6", lw=1.6, label=f"ready capacity (ready pods x {result.replica_qps:g} qps)")
    metric = [m if m is not None else float("nan") for m in result.metric[pick]]
    ax1.step(xs, metric, where="post", color="#7f7f7f", lw=1, ls=":", label="metric the HPA read (qps)")
    ax1.fill_between(xs, capacity, result.demand[pick], where=[c < d for c, d in zip(capacity, result.demand[pick], strict=True)],
                     color="#ff0000", alpha=0.15, step=None, label="unmet demand")  # fmt: skip
    ax1.set_ylabel("requests / s")
    ax1.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax1.grid(alpha=0.3)

    spot = [u.spot for u in result.model.units]
    colors = _unit_colors(spot)
    stacks = [col[pick] for col in result.unit_ready]
    labels = [f"{u.name} ready ({'spot' if u.spot else 'on-demand'})" for u in result.model.units]
    polys = ax2.stackplot(xs, *stacks, colors=colors, labels=labels, alpha=0.9)
    for poly, is_spot in zip(polys, spot, strict=True):
        if is_spot:
            poly.set_hatch("//")
    ax2.step(xs, result.replicas[pick], where="post", color="black", lw=1, ls="--", label="all pods (incl. starting)")
    desired = [d if d is not None else float("nan") for d in result.desired[pick]]
    ax2.step(xs, desired, where="post", color="#70ad47", lw=1.2, label="HPA desired")
    _cron_marks(ax2, result, scale)
    ax2.set_ylabel("pods")
    ax2.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax2.grid(alpha=0.3)

    ax3.plot(xs, result.cost[pick], color="#7030a0", lw=1.6, label=f"cost ({result.currency})")
    total = result.cost[-1] if result.cost else 0.0
    ax3.text(
        0.01,
        0.85,
        f"total {total:.2f}, all on-demand {result.on_demand_cost:.2f} {result.currency}",
        transform=ax3.transAxes,
        fontsize=8,
    )
    for ts, qps, seconds in _capacity_marks(result):
        if seconds is None:
            ax1.annotate(
                f"ready capacity never reached {qps:g} qps",
                xy=(ts / scale, qps),
                xytext=(ts / scale, result.trace.peak * 0.55),
                fontsize=8,
                color="#c00000",
                arrowprops={"arrowstyle": "->", "color": "#c00000"},
            )
            continue
        ax1.annotate(
            f"ready capacity met {qps:g} qps after {seconds:g} s",
            xy=((ts + seconds) / scale, result.demand[min(int(ts + seconds), n - 1)]),
            xytext=(ts / scale, result.trace.peak * 0.55),
            fontsize=8,
            arrowprops={"arrowstyle": "->", "color": "#2e75b6"},
        )
    ax3.set_ylabel(f"cumulative cost ({result.currency})")
    ax3.set_xlabel(f"time since start ({unit})")
    ax3.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax3.grid(alpha=0.3)
    if result.placeholder_prices:
        ax3.text(0.99, 0.05, "placeholder prices", transform=ax3.transAxes, ha="right", fontsize=8, color="#7f7f7f")
    for f in result.fights:
        ax2.axvline(f.first_t / scale, color="red", lw=1)
        ax2.text(f.first_t / scale, ax2.get_ylim()[1] * 0.95, " fight", color="red", fontsize=8, va="top")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def compare_png(result: Result, observed: Observed, path: Path, title: str) -> None:
    """Observed (dashed) over simulated (solid): capacity and demand, then pods per unit."""
    n = result.duration + 1
    step = _every(n)
    scale, unit = _scale(max(result.duration, observed.times[-1] if observed.times else 0))
    xs = [t / scale for t in range(0, n, step)]
    pick = slice(0, n, step)
    ostep = _every(len(observed.times))
    oxs = [t / scale for t in observed.times[::ostep]]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(13, 7), sharex=True)
    ax1.plot(xs, result.demand[pick], color="black", lw=1.4, label="demand (trace)")
    ax1.plot(xs, [r * result.replica_qps for r in result.ready[pick]], color="#2e75b6", lw=1.6, label="capacity, simulated")
    ax1.plot(oxs, [r * result.replica_qps for r in observed.ready[::ostep]], color="#2e75b6", lw=1.6, ls="--",
             label="capacity, observed")  # fmt: skip
    if any(d is not None for d in observed.demand):
        ax1.plot(oxs, [d if d is not None else float("nan") for d in observed.demand[::ostep]], color="#7f7f7f", lw=1,
                 ls=":", label="demand, observed")  # fmt: skip
    ax1.set_ylabel("requests / s")
    ax1.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax1.grid(alpha=0.3)
    colors = _unit_colors([u.spot for u in result.model.units])
    for i, u in enumerate(result.model.units):
        ax2.step(xs, result.unit_replicas[i][pick], where="post", color=colors[i], lw=1.6, label=f"{u.name}, simulated")
        seen = observed.units.get(u.name)
        if seen is not None:
            ax2.step(oxs, seen[::ostep], where="post", color=colors[i], lw=1.6, ls="--", label=f"{u.name}, observed")
    for name, seen in observed.units.items():
        if name not in {u.name for u in result.model.units}:
            ax2.step(oxs, seen[::ostep], where="post", color="#7f7f7f", lw=1.2, ls="--", label=f"{name}, observed only")
    ax2.set_ylabel("pods per unit")
    ax2.set_xlabel(f"time since start ({unit})")
    ax2.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax2.grid(alpha=0.3)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
