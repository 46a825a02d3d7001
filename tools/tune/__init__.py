"""Tune a stack's scaling settings to an SLO: ``python -m tools.tune --stack dev --trace traces/diurnal-24h.csv --out DIR``.

The search space (:mod:`tools.tune.space`) is built from the committed stack file, the trace and the world: targetQps
(never above one pod's capacity), minReplicas, maxReplicas, each unit's max and the on-demand/spot split, the HPA's
stabilization windows, the image cache and CronHPA schedules placed ahead of the trace's rises. Every candidate is a
stack config that the program renders (:func:`tools.render.pipeline.render_stack`, so it passes the config layer) and
that :func:`tools.simulate.engine.simulate` runs, under ``--seeds`` spot-reclaim draws (:mod:`tools.tune.evaluate`).

Search strategy (:mod:`tools.tune.search`): every candidate is simulated once (seed 0), in parallel on every core;
then the candidates that met the SLO under seed 0 are taken cheapest first and run under the other seeds, until the
next one's seed-0 cost is above the worst-seed cost of the best candidate verified so far. A candidate's cost is its
worst over the seeds, which is at least its seed-0 cost, so the answer is the exhaustive optimum of the space.

Exit status: 0 a setting meets the SLO; 6 none in the space does (the closest is printed); 2 bad input.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_NO_SETTING = 6


class TuneError(Exception):
    """Bad input: printed as ``error: <message>`` with exit status 2, never a traceback."""
