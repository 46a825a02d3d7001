"""The search: the cheapest candidate that meets the SLO under every seed, and the frontier.

Strategy (exact over the space): (1) every candidate runs under seed 0; (2) those that met the SLO are taken in order
of their seed-0 cost and run under the other seeds; a candidate's cost is its worst over the seeds, so its seed-0 cost
is a lower bound of it, and the search stops at the first candidate whose seed-0 cost exceeds the best worst-seed cost
found. When the world draws no spot reclaims (rate 0, or no spot unit) every seed is the same run, and step (2) is
skipped. :func:`brute_force` runs every candidate under every seed; the tests show both give the same answer.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tools.tune.evaluate import Evaluator, Outcome


@dataclass(frozen=True)
class Slo:
    unmet: float = 0.01
    capacity: float | None = None  # seconds after every rise, or None

    def met(self, o: Outcome) -> bool:
        if o.refused is not None or o.unmet > self.unmet + 1e-12:
            return False
        return self.capacity is None or o.worst_ttc <= self.capacity + 1e-9


@dataclass(frozen=True)
class Verdict:
    """A candidate over the seeds it ran under: the worst of each measure."""

    index: int
    seeds: int
    cost: float
    per_million: float | None
    unmet: float
    worst_ttc: float
    peak_pods: int
    meets: bool
    refused: str | None = None

    def key(self) -> tuple[float, float, float, int]:
        return (self.cost, self.unmet, self.worst_ttc, self.index)


def verdict(outcomes: Sequence[Outcome], slo: Slo) -> Verdict:
    first = outcomes[0]
    if first.refused is not None:
        return Verdict(first.index, len(outcomes), math.inf, None, 1.0, math.inf, 0, False, first.refused)
    per = [o.per_million for o in outcomes if o.per_million is not None]
    return Verdict(
        index=first.index,
        seeds=len(outcomes),
        cost=max(o.cost for o in outcomes),
        per_million=max(per) if per else None,
        unmet=max(o.unmet for o in outcomes),
        worst_ttc=max(o.worst_ttc for o in outcomes),
        peak_pods=max(o.peak_pods for o in outcomes),
        meets=all(slo.met(o) for o in outcomes),
    )


@dataclass
class Found:
    best: Verdict | None
    verdicts: dict[int, Verdict]
    evaluations: int
    stats: dict[str, int] = field(default_factory=dict)


def search(
    ev: Evaluator,
    count: int,
    seeds: int,
    slo: Slo,
    seeds_differ: Callable[[int], bool],
    progress: Callable[[int, int, str], None] | None = None,
    eligible: Callable[[int], bool] = lambda _i: True,
) -> Found:
    """The cheapest of ``count`` candidates meeting ``slo`` under ``seeds`` seeds (see the module docstring)."""
    done = 0

    def tick(stage: str, total: int) -> Callable[[int], None]:
        def advance(k: int) -> None:
            nonlocal done
            done += k
            if progress is not None:
                progress(done, total, stage)

        return advance

    ev.run(((i, 0) for i in range(count)), tick("seed 0", count))
    screened = {i: verdict([ev.outcomes[(i, 0)]], slo) for i in range(count)}
    order = sorted((v for v in screened.values() if v.meets and eligible(v.index)), key=Verdict.key)
    best: Verdict | None = None
    verdicts = dict(screened)
    checked = 0
    for v in order:
        if best is not None and v.cost > best.cost:
            break
        if seeds > 1 and seeds_differ(v.index):
            ev.run((v.index, s) for s in range(1, seeds))
            full = verdict([ev.outcomes[(v.index, s)] for s in range(seeds)], slo)
        else:
            full = dataclasses.replace(v, seeds=seeds)
        checked += 1
        verdicts[v.index] = full
        if full.meets and (best is None or full.key() < best.key()):
            best = full
    return Found(best, verdicts, len(ev.outcomes), {"screened": count, "verified": checked})


def brute_force(
    ev: Evaluator, count: int, seeds: int, slo: Slo, eligible: Callable[[int], bool] = lambda _i: True
) -> Verdict | None:
    """Every candidate under every seed; the cheapest meeting the SLO (the oracle of the search's tests)."""
    ev.run((i, s) for i in range(count) for s in range(seeds))
    fits = [verdict([ev.outcomes[(i, s)] for s in range(seeds)], slo) for i in range(count)]
    meeting = [v for v in fits if v.meets and eligible(v.index)]
    return min(meeting, key=Verdict.key) if meeting else None


def pareto(verdicts: Sequence[Verdict]) -> list[Verdict]:
    """The candidates no other beats on cost, unmet fraction and worst time to capacity at once (refused ones excluded)."""
    pool = [v for v in verdicts if v.refused is None]
    front: list[Verdict] = []
    for v in pool:
        dominated = any(
            (o.cost <= v.cost and o.unmet <= v.unmet and o.worst_ttc <= v.worst_ttc)
            and (o.cost < v.cost or o.unmet < v.unmet or o.worst_ttc < v.worst_ttc)
            for o in pool
        )
        if not dominated:
            front.append(v)
    return sorted(front, key=Verdict.key)
