"""``--world FILE``: world parameters read from a YAML file (written by ``tools.calibrate``), each with its provenance.

Format (``format: 1``)::

    parameters:
      startup-eci: {value: 131.0, uncertainty: 2.4, provenance: calibrated, basis: "9 pods of units ..."}
      model-load: {value: 20, provenance: assumed, basis: "not identifiable: ..."}

Keys are the simulator's option names without ``--``. ``provenance`` is ``calibrated``, ``assumed``, ``given`` or
``source`` (a default read from upstream source).
A value given on the command line wins over the file's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tools.simulate import SimulateError

FORMAT = 1
PROVENANCES = ("calibrated", "assumed", "given", "source")
FIELDS: dict[str, tuple[str, type]] = {
    "sync-period": ("sync_period", int),
    "tolerance": ("tolerance", float),
    "downscale-window": ("downscale_window", float),
    "metric-window": ("metric_window", float),
    "metric-delay": ("metric_delay", float),
    "startup-ecs": ("startup_ecs", float),
    "startup-eci": ("startup_eci", float),
    "startup-eci-cached": ("startup_eci_cached", float),
    "model-load": ("model_load", float),
    "replica-qps": ("replica_qps", float),
    "spot-reclaims": ("spot_reclaims", float),
    "spot-notice": ("spot_notice", float),
    "seldon-delay": ("seldon_delay", int),
}
"""Option name -> (``World`` field / argparse dest, type)."""


@dataclass(frozen=True)
class WorldFile:
    path: str
    values: dict[str, float]
    """Option name -> value."""
    provenance: dict[str, str]
    uncertainty: dict[str, float | None]


def read(path: Path) -> WorldFile:
    """Read and check a world file; every problem raises :class:`SimulateError` naming the file and key."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise SimulateError(f"--world {path}: cannot read: {err}".replace("\n", " ")) from None
    if not isinstance(raw, Mapping) or not isinstance(raw.get("parameters"), Mapping):
        raise SimulateError(f"--world {path}: expected a mapping with 'parameters:' (written by tools.calibrate)")
    if raw.get("format", FORMAT) != FORMAT:
        raise SimulateError(f"--world {path}: format {raw.get('format')!r}: this simulator reads format {FORMAT}")
    problems: list[str] = []
    values: dict[str, float] = {}
    provenance: dict[str, str] = {}
    uncertainty: dict[str, float | None] = {}
    for key, entry in raw["parameters"].items():
        where = f"parameters.{key}"
        if key not in FIELDS:
            problems.append(f"{where}: not a world parameter; allowed: {', '.join(FIELDS)}")
            continue
        if not isinstance(entry, Mapping):
            problems.append(f"{where}: expected a mapping with value and provenance")
            continue
        value = entry.get("value")
        _, kind = FIELDS[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            problems.append(f"{where}.value = {value!r}: must be a number >= 0")
            continue
        if kind is int and value != int(value):
            problems.append(f"{where}.value = {value!r}: must be a whole number")
            continue
        if key in ("replica-qps", "sync-period") and value <= 0:
            problems.append(f"{where}.value = {value!r}: must be > 0")
            continue
        origin = entry.get("provenance", "given")
        if origin not in PROVENANCES:
            problems.append(f"{where}.provenance = {origin!r}: must be one of {', '.join(PROVENANCES)}")
            continue
        spread = entry.get("uncertainty")
        if spread is not None and (isinstance(spread, bool) or not isinstance(spread, int | float)):
            problems.append(f"{where}.uncertainty = {spread!r}: must be a number or absent")
            continue
        values[key] = float(value)
        provenance[key] = str(origin)
        uncertainty[key] = None if spread is None else float(spread)
    if problems:
        raise SimulateError(f"--world {path}: " + "; ".join(problems))
    return WorldFile(str(path), values, provenance, uncertainty)


def given_options(argv: Sequence[str]) -> set[str]:
    """Option names (without ``--``) written on a command line, ``--opt VALUE`` or ``--opt=VALUE``."""
    return {token[2:].split("=", 1)[0] for token in argv if token.startswith("--")}


def apply(args: Any, world: WorldFile, argv: Sequence[str]) -> None:
    """Set the file's values on parsed ``args`` where the command line did not give the option."""
    given = given_options(argv)
    for key, value in world.values.items():
        if key in given:
            continue
        dest, kind = FIELDS[key]
        if hasattr(args, dest):
            setattr(args, dest, kind(value))
