"""Elastic units and ECI annotations: bounds, on-demand before spot, allowed GPU specs, spot price limits."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from .framework import ADVISORY, MANDATORY, PackResourcePolicy, Res
from .kubernetes import annotation_maps, is_kind, is_object
from .values import NotKnown, could_not_check, dig, entries, guarded, known, mapping, whole

ELASTIC_WORKLOAD = "ElasticWorkload"
RESOURCE_POLICY = "ResourcePolicy"
ECI_USE_SPECS = "k8s.aliyun.com/eci-use-specs"
ECI_SPOT_STRATEGY = "k8s.aliyun.com/eci-spot-strategy"
ECI_SPOT_PRICE_LIMIT = "k8s.aliyun.com/eci-spot-price-limit"
ON_DEMAND_STRATEGIES = ("", "NoSpot")
PRICE_LIMITED = "SpotWithPriceLimit"

DEFAULT_ECI_SPECS = (
    "ecs.gn5-*",
    "ecs.gn5i-*",
    "ecs.gn6i-*",
    "ecs.gn6v-*",
    "ecs.gn6e-*",
    "ecs.gn7-*",
    "ecs.gn7i-*",
    "ecs.gn7e-*",
    "ecs.gn8is-*",
)
"""ECI GPU instance families (shell patterns) allowed when ``allowedEciSpecs`` is not configured."""


def is_elastic_workload(resource_type: str) -> bool:
    return is_kind(resource_type, ELASTIC_WORKLOAD)


@dataclass(frozen=True)
class UnitList:
    """Where a kind keeps its ordered units, and how a unit names its pod annotations."""

    field: str
    annotations: str
    bounds_required: bool


UNIT_LISTS = {
    ELASTIC_WORKLOAD: UnitList("elasticUnit", "annotations", True),
    RESOURCE_POLICY: UnitList("units", "podAnnotations", False),
}
"""ElasticWorkload (``autoscaling.alibabacloud.com``) and its successor ACK ResourcePolicy (``scheduling.alibabacloud.com``):
both place pods in the first unit with room, in order."""


def has_units(resource_type: str) -> bool:
    return any(is_kind(resource_type, kind) for kind in UNIT_LISTS)


@dataclass(frozen=True)
class Unit:
    index: int
    kind: UnitList
    body: dict[str, Any]

    @property
    def label(self) -> str:
        name = self.body.get("name")
        where = f"spec.{self.kind.field}[{self.index}]"
        return f"{where} {name!r}" if isinstance(name, str) else where

    def strategy(self) -> str:
        """The unit's ECI spot strategy ("" for on-demand); :class:`NotKnown` if its annotations are unknown."""
        value = known(mapping(self.body.get(self.kind.annotations)).get(ECI_SPOT_STRATEGY))
        return value.strip() if isinstance(value, str) else ""

    def is_spot(self) -> bool:
        return self.strategy() not in ON_DEMAND_STRATEGIES


def units(res: Res) -> list[Unit]:
    """The ordered units of an ElasticWorkload or ResourcePolicy; :class:`NotKnown` if the list or a unit is unknown."""
    kind = next(UNIT_LISTS[k] for k in UNIT_LISTS if is_kind(res.type, k))
    listed = entries(dig(res.props, "spec", kind.field))
    return [Unit(i, kind, mapping(item)) for i, item in enumerate(listed)]


def _bounds_of(label: str, body: dict[str, Any], required: bool) -> Iterator[str]:
    raw = {key: known(body.get(key)) for key in ("min", "max")}
    values = {key: whole(value) for key, value in raw.items()}
    for key in ("min", "max"):
        if raw[key] is None:
            if required:
                yield f"{label} sets no {key}."
        elif (number := values[key]) is None or number < 0:
            yield f"{label} {key} is {raw[key]!r}; it must be a whole number >= 0."
    low, high = values["min"], values["max"]
    if low is not None and high is not None and low >= 0 and 0 <= high < low:
        yield f"{label} has min {low} > max {high}."


def _bounds(res: Res, _config: Mapping[str, Any]) -> Iterator[str]:
    for unit in units(res):
        label = f"{res.label}: {unit.label}"
        yield from guarded(f"the bounds of {label}", partial(_bounds_of, label, unit.body, unit.kind.bounds_required))
    source = dig(res.props, "spec", "sourceTarget")
    if isinstance(source, dict):
        label = f"{res.label}: sourceTarget"
        yield from guarded(f"the bounds of {label}", partial(_bounds_of, label, source, False))


elastic_unit_bounds = PackResourcePolicy(
    name="elastic-unit-bounds",
    description=(
        "Each ElasticWorkload unit sets whole-number min and max with min <= max (and sourceTarget min <= max); "
        "ResourcePolicy units' min/max, where set, obey the same. Fix: correct min/max in the model's `units` config."
    ),
    level=MANDATORY,
    applies=has_units,
    check=_bounds,
    remediation="Set min and max (whole numbers >= 0, min <= max) on every elastic unit and on sourceTarget.",
)


def _order(res: Res, config: Mapping[str, Any]) -> Iterator[str]:
    if config.get("allowSpotFirst"):
        return
    first_spot: Unit | None = None
    for unit in units(res):
        try:
            spot = unit.is_spot()
        except NotKnown as unknown:
            yield could_not_check(f"whether {res.label} {unit.label} is spot or on-demand", unknown.path)
            continue
        if spot:
            first_spot = first_spot or unit
        elif first_spot is not None:
            yield (
                f"{res.label}: on-demand {unit.label} comes after spot {first_spot.label}; pods fill units in order, "
                "so on-demand capacity would only be used once spot capacity is taken (and spot pods are reclaimed)."
            )


elastic_unit_order = PackResourcePolicy(
    name="elastic-unit-order",
    description=(
        f"Where an ElasticWorkload (or ResourcePolicy) mixes spot units ({ECI_SPOT_STRATEGY}) and on-demand units, every "
        "on-demand unit comes before every spot unit, so the baseline runs on instances that are not reclaimed. "
        "Fix: reorder the model's `units` (on-demand first), or set allowSpotFirst: true for this policy."
    ),
    level=MANDATORY,
    applies=has_units,
    check=_order,
    remediation="List on-demand units before spot units, or configure elastic-unit-order with allowSpotFirst: true.",
    config={
        "allowSpotFirst": {
            "type": "boolean",
            "default": False,
            "description": "Allow spot units before on-demand units (cost over availability).",
        }
    },
)


def _specs_of(where: str, annotations: Any, allowed: tuple[str, ...]) -> Iterator[str]:
    value = known(mapping(annotations).get(ECI_USE_SPECS))
    if value is None:
        return
    specs = [s.strip() for s in str(value).split(",") if s.strip()]
    if not specs:
        yield f"{where} {ECI_USE_SPECS} is empty."
    for spec in specs:
        if not any(fnmatch.fnmatchcase(spec, pattern) for pattern in allowed):
            yield f"{where} {ECI_USE_SPECS} names {spec!r}, which is not in the allowed specs ({', '.join(allowed)})."


def _specs(res: Res, config: Mapping[str, Any]) -> Iterator[str]:
    allowed = tuple(config.get("allowedEciSpecs") or DEFAULT_ECI_SPECS)
    for found in annotation_maps(res.props):
        where = f"{res.label}: {found.path}"
        yield from guarded(f"the ECI specs of {where}", partial(_specs_of, where, found.values, allowed))


eci_specs_allowed = PackResourcePolicy(
    name="eci-specs-allowed",
    description=(
        f"ECI instance types named by {ECI_USE_SPECS} (comma-separated) come from the allowed list (default: GPU "
        f"families {', '.join(DEFAULT_ECI_SPECS)}). Fix: use an allowed spec in the unit's `specs`, or extend "
        "allowedEciSpecs for this policy."
    ),
    level=MANDATORY,
    applies=is_object,
    check=_specs,
    remediation="Use allowed ECI specs (e.g. ecs.gn6i-c4g1.xlarge) or set allowedEciSpecs in --policy-pack-config.",
    config={
        "allowedEciSpecs": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "minItems": 1,
            "default": list(DEFAULT_ECI_SPECS),
            "description": "Allowed ECI instance types or shell patterns (ecs.gn6i-*); replaces the default GPU list.",
        }
    },
)


def _price_of(where: str, annotations: Any, cap: float | None) -> Iterator[str]:
    values = mapping(annotations)
    strategy = known(values.get(ECI_SPOT_STRATEGY))
    if not isinstance(strategy, str) or strategy.strip() in ON_DEMAND_STRATEGIES:
        return
    limit = known(values.get(ECI_SPOT_PRICE_LIMIT))
    if strategy != PRICE_LIMITED or limit is None:
        yield (
            f"{where} is spot ({strategy}) with no price limit: it pays up to the on-demand price. Use "
            f"{ECI_SPOT_STRATEGY}: {PRICE_LIMITED} with {ECI_SPOT_PRICE_LIMIT} (spotStrategy/priceLimit in the unit)."
        )
        return
    try:
        price = float(str(limit))
    except ValueError:
        yield f"{where} {ECI_SPOT_PRICE_LIMIT} is {limit!r}, not a number."
        return
    if price <= 0:
        yield f"{where} {ECI_SPOT_PRICE_LIMIT} is {limit!r}; it must be > 0."
    elif cap is not None and price > cap:
        yield f"{where} {ECI_SPOT_PRICE_LIMIT} is {price:g}, above the configured maxPriceLimit {cap:g}."


def _price(res: Res, config: Mapping[str, Any]) -> Iterator[str]:
    cap = config.get("maxPriceLimit")
    for found in annotation_maps(res.props):
        where = f"{res.label}: {found.path}"
        yield from guarded(f"the spot price limit of {where}", partial(_price_of, where, found.values, cap))


spot_price_limit = PackResourcePolicy(
    name="spot-price-limit",
    description=(
        f"Spot ECI units set a price limit ({ECI_SPOT_STRATEGY}: {PRICE_LIMITED} and {ECI_SPOT_PRICE_LIMIT}), at most "
        "maxPriceLimit when configured. Fix: give the unit spotStrategy: SpotWithPriceLimit and priceLimit."
    ),
    level=ADVISORY,
    applies=is_object,
    check=_price,
    remediation="In the unit config: spotStrategy: SpotWithPriceLimit, priceLimit: <hourly price>.",
    config={
        "maxPriceLimit": {
            "type": "number",
            "exclusiveMinimum": 0,
            "description": "Highest hourly spot price limit a unit may set.",
        }
    },
)
