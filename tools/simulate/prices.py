"""Prices per pod-hour, on-demand and spot, from a YAML file (``--prices``; ``prices.example.yaml`` by default).

Format::

    currency: CNY
    specs:                          # by ECI/ECS instance type (the unit's first k8s.aliyun.com/eci-use-specs entry)
      ecs.gn6i-c4g1.xlarge: {onDemand: 12.0, spot: 3.6, source: "...", date: "YYYY-MM-DD"}
    units:                          # optional, by unit name (wins over specs): node-pool units, the source Deployment
      gpu-pool: {onDemand: 9.0}
    default: {onDemand: 12.0, spot: 3.6}   # anything else

ECI bills per second (ECI documentation, "ECI instance billing": pay-as-you-go, billed by the second). The simulator
charges a pod from its creation until it is removed, at the spot price for a spot unit (``SpotWithPriceLimit`` pays
at most its limit) and the on-demand price otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tools.simulate import SimulateError
from tools.simulate.objects import Unit

EXAMPLE = Path(__file__).resolve().parent.parent.parent / "prices.example.yaml"


@dataclass(frozen=True)
class Price:
    on_demand: float
    spot: float | None


@dataclass(frozen=True)
class PriceBook:
    currency: str
    specs: dict[str, Price]
    units: dict[str, Price]
    default: Price | None
    path: str
    placeholder: bool

    def for_unit(self, unit: Unit) -> tuple[float, float]:
        """(price per second as charged, on-demand price per second) for one pod of ``unit``."""
        price = self.units.get(unit.name)
        if price is None:
            price = next((self.specs[s] for s in unit.specs if s in self.specs), None)
        if price is None:
            price = self.default
        if price is None:
            wanted = f"spec {unit.specs[0]}" if unit.specs else f"unit {unit.name}"
            raise SimulateError(f"{self.path}: no price for {wanted} (add it under specs or units, or set default)")
        hourly = price.on_demand
        if unit.spot:
            spot = price.spot if price.spot is not None else price.on_demand
            if unit.price_limit is not None:
                spot = min(spot, unit.price_limit)
            hourly = spot
        return hourly / 3600.0, price.on_demand / 3600.0


def _price(raw: Any, where: str) -> Price:
    if not isinstance(raw, dict):
        raise SimulateError(f"{where}: expected a mapping with onDemand (and spot)")
    values: dict[str, float | None] = {}
    for key in ("onDemand", "spot"):
        value = raw.get(key)
        if value is None:
            values[key] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise SimulateError(f"{where}.{key}: {value!r} is not a price >= 0")
        values[key] = float(value)
    on_demand = values["onDemand"]
    if on_demand is None:
        raise SimulateError(f"{where}: onDemand is required")
    return Price(on_demand, values["spot"])


def load(path: Path | None) -> PriceBook:
    """Read a price file; raises :class:`SimulateError` with the key for any problem."""
    file = path if path is not None else EXAMPLE
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise SimulateError(f"--prices {file}: cannot read: {err}") from None
    if not isinstance(raw, dict):
        raise SimulateError(f"--prices {file}: expected a mapping")
    specs_raw = raw.get("specs") or {}
    units_raw = raw.get("units") or {}
    if not isinstance(specs_raw, dict) or not isinstance(units_raw, dict):
        raise SimulateError(f"--prices {file}: specs and units must be mappings")
    specs = {str(k): _price(v, f"{file}: specs.{k}") for k, v in specs_raw.items()}
    units = {str(k): _price(v, f"{file}: units.{k}") for k, v in units_raw.items()}
    default = _price(raw["default"], f"{file}: default") if raw.get("default") is not None else None
    placeholder = bool(raw.get("placeholder", False))
    return PriceBook(str(raw.get("currency", "CNY")), specs, units, default, str(file), placeholder)
