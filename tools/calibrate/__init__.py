"""Calibrate the simulator's world from an observed run: ``python -m tools.calibrate OBSERVED.csv --stack NAME --out DIR``.

It reads the ``timeline.csv`` that ``tools.loadtest --watch`` writes (:mod:`tools.calibrate.observed`), fits the world
parameters the data can identify (:mod:`tools.calibrate.fit`): creation-to-Ready time per unit kind, the metric's
delay and window, one pod's capacity where saturation shows; and writes ``world.yaml`` (each value with its fitted
uncertainty and ``calibrated``/``assumed``/``source`` provenance; ``tools.simulate --world`` and ``tools.tune --world``
read it) and ``calibration.png`` (the observed run against the simulated one before and after the fit).

Exit status: 0 success; 2 bad input (no pods observed, a timeline too short, columns missing, ...).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_BAD_INPUT = 2


class CalibrateError(Exception):
    """Bad input: printed as ``error: <message>`` with exit status 2, never a traceback."""
