"""The final table, like the AI Dashboard's job view in the recipe's step 9: pods per unit, spot or on-demand, and
how long each took from creation to Ready (the API server's ``creationTimestamp`` to the ``Ready`` condition's first
``lastTransitionTime``, so 1 s resolution)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tools.loadtest.watch import ECS_NODE, ON_DEMAND, SPOT, SPOT_FELL_BACK, UNASSIGNED, PodRecord, WatchSpec, median


@dataclass(frozen=True)
class UnitRow:
    unit: str
    capacity: str
    pods: int
    reached_ready: int
    never_ready: int
    peak_ready: int | None
    to_ready: tuple[float, float, float] | None
    """min, median, max seconds from creation to Ready."""
    to_scheduled_median: float | None
    notices: int
    ended: dict[str, int]


def _capacity(records: Sequence[PodRecord]) -> str:
    kinds = sorted({r.capacity for r in records})
    return " + ".join(kinds) if kinds else "-"


def unit_rows(records: Sequence[PodRecord], spec: WatchSpec, peak_ready: Mapping[str, int] | None = None) -> list[UnitRow]:
    """One row per unit (in unit order, ``unassigned`` last if any pod is), then ``total``."""
    units = list(spec.unit_names)
    if any(r.unit == UNASSIGNED or r.unit not in units for r in records):
        units += sorted({r.unit for r in records if r.unit not in units})
    groups = [(u, [r for r in records if r.unit == u]) for u in units]
    groups.append(("total", list(records)))
    rows: list[UnitRow] = []
    for unit, group in groups:
        ready = [r.to_ready_s for r in group if r.to_ready_s is not None]
        scheduled = [r.to_scheduled_s for r in group if r.to_scheduled_s is not None]
        median_ready = median(ready)
        peak = None if peak_ready is None else peak_ready.get(unit)
        rows.append(
            UnitRow(
                unit,
                _capacity(group),
                len(group),
                len(ready),
                sum(1 for r in group if r.ready is None),
                peak,
                (min(ready), median_ready, max(ready)) if ready and median_ready is not None else None,
                median(scheduled),
                sum(1 for r in group if r.notice is not None),
                dict(sorted(Counter(r.end_reason for r in group if r.end_reason).items())),
            )
        )
    return rows


def _s(v: float | None) -> str:
    return "-" if v is None else f"{v:.0f}"


def render(records: Sequence[PodRecord], spec: WatchSpec, peak_ready: Mapping[str, int] | None = None) -> str:
    """The table and the notable pods, as text."""
    rows = unit_rows(records, spec, peak_ready)
    header = [
        "unit",
        "capacity",
        "pods",
        "Ready",
        "never Ready",
        "peak Ready",
        "create→Ready s min/med/max",
        "→scheduled s med",
        "spot notices",
        "ended",
    ]
    table = [header]
    for row in rows:
        to_ready = "-" if row.to_ready is None else "/".join(_s(v) for v in row.to_ready)
        ended = ", ".join(f"{k} {v}" for k, v in row.ended.items()) or "-"
        table.append(
            [
                row.unit,
                row.capacity,
                str(row.pods),
                str(row.reached_ready),
                str(row.never_ready),
                "-" if row.peak_ready is None else str(row.peak_ready),
                to_ready,
                _s(row.to_scheduled_median),
                str(row.notices),
                ended,
            ]
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip() for line in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.insert(len(lines) - 1, lines[1])
    kinds = Counter(r.capacity for r in records if r.ready is not None)
    both = kinds[ON_DEMAND] + kinds[SPOT_FELL_BACK] > 0 and kinds[SPOT] > 0
    parts = [f"{kinds[ON_DEMAND]} on-demand ECI", f"{kinds[SPOT]} spot ECI"]
    if kinds[SPOT_FELL_BACK]:
        parts.append(f"{kinds[SPOT_FELL_BACK]} spot fell back to on-demand")
    if kinds[ECS_NODE]:
        parts.append(f"{kinds[ECS_NODE]} on ECS nodes")
    lines.append("")
    lines.append(
        "Pods that became Ready, by capacity: "
        + ", ".join(parts)
        + (" — both on-demand and spot, as in the recipe's step 9." if both else ".")
    )
    never = [r for r in records if r.ready is None]
    if never:
        lines.append(
            "Never Ready: "
            + ", ".join(f"{r.name} ({r.unit}, {r.capacity}, {r.end_reason or 'not Ready at the end'})" for r in never)
        )
    noticed = [r for r in records if r.notice is not None]
    for r in noticed:
        when = r.notice.isoformat() if r.notice else "?"
        lines.append(
            f"Spot reclaim notice: {r.name} ({r.unit}) at {when} by {r.notice_source}; ended: {r.end_reason or 'still running'}"
        )
    return "\n".join(lines)
