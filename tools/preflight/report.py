"""The rows preflight prints: one per check, with what was found and the fix."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

Status = Literal["pass", "warn", "fail"]
STATUSES: tuple[Status, ...] = ("pass", "warn", "fail")


@dataclass(frozen=True)
class Row:
    check: str
    status: Status
    found: str
    fix: str = ""


def exit_status(rows: Sequence[Row]) -> int:
    """0 when nothing failed, 1 otherwise."""
    return 1 if any(r.status == "fail" for r in rows) else 0


def summary(rows: Sequence[Row]) -> str:
    counts = {s: sum(r.status == s for r in rows) for s in STATUSES}
    return f"{counts['pass']} pass, {counts['warn']} warn, {counts['fail']} fail"


def table(rows: Sequence[Row]) -> str:
    """A plain-text table: status, check, found, and the fix on its own line when there is one."""
    width = max((len(r.check) for r in rows), default=0)
    lines = []
    for row in rows:
        lines.append(f"{row.status.upper():4}  {row.check:{width}}  {row.found}")
        if row.fix:
            lines.append(f"{'':4}  {'':{width}}  fix: {row.fix}")
    return "\n".join(lines)


def as_json(stack: str, server: str, rows: Sequence[Row]) -> str:
    return json.dumps(
        {"stack": stack, "server": server, "status": exit_status(rows), "rows": [asdict(r) for r in rows]}, indent=2
    )
