"""Every bound and comparison of the config layer at its edge: the edge value accepted, one past it refused.

Each case starts from the dev stack, applies a setup (so that only the bound under test decides), sets one key to the
edge value and then to the value one past it. Accepted means no problem is reported on that key (other keys may still
complain where a bound is dominated by a rule on another key); refused means a problem on that key. Where a rule on the
same key dominates a bound (``le=INT32_MAX`` on a count that a capacity rule caps first), ``only`` narrows the check to
the lines of the bound's own wording. The numbers are written out from the Kubernetes API and the stack's own
documented limits, not read back from ``stackconfig``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from stackconfig import PROJECT, ConfigError
from tests.conftest import stack_config, validated

P = PROJECT
INT32 = 2147483647
INT64 = 9223372036854775807
Setup = Callable[[dict[str, Any]], None]


def _none(_: dict[str, Any]) -> None:
    return None


@dataclass(frozen=True)
class Bound:
    label: str
    path: str
    """The key set, below ``eci-inference:`` (``models[0].gpu``)."""
    edge: Any
    past: Any
    setup: Setup = _none
    reported: str | None = None
    """The key the problem is reported on, when it is not ``path``."""
    only: str | None = None
    """Look only at lines holding this text (the bound's own wording)."""
    extra: dict[str, Any] = field(default_factory=dict)


def _set(config: dict[str, Any], path: str, value: Any) -> None:
    """Set ``models[0].units[1].max``-style paths in a config dict (top-level keys get the project prefix)."""
    parts: list[str | int] = []
    for piece in path.split("."):
        name, _, rest = piece.partition("[")
        parts.append(name)
        for index in rest.rstrip("]").split("][") if rest else []:
            parts.append(int(index))
    target: Any = config
    first = f"{P}:{parts[0]}"
    keys: list[str | int] = [first, *parts[1:]]
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value


def _lines(config: dict[str, Any], secret_keys: list[str], key: str, only: str | None) -> list[str]:
    try:
        validated(config, secret_keys)
    except ConfigError as error:
        found = error.problems
    else:
        return []
    about = [p for p in found if p.startswith(f"{P}:{key} ")]
    return [p for p in about if only is None or only in p]


def _model(c: dict[str, Any]) -> dict[str, Any]:
    model: dict[str, Any] = c[f"{P}:models"][0]
    return model


def _units(c: dict[str, Any]) -> list[dict[str, Any]]:
    units: list[dict[str, Any]] = _model(c)["units"]
    return units


def _price_limited(c: dict[str, Any]) -> None:
    _units(c)[1].update({"spotStrategy": "SpotWithPriceLimit", "priceLimit": 2.0})


def _schedule(c: dict[str, Any]) -> None:
    _model(c)["schedules"] = [{"name": "peak", "cron": "0 8 * * *", "targetSize": 2}]
    c[f"{P}:cronControllerTimeZone"] = "UTC"


def _cache(c: dict[str, Any]) -> None:
    _model(c)["imageCache"] = {}


def _canary(c: dict[str, Any]) -> None:
    _model(c)["canary"] = {"version": 2, "weight": 10}


def _canary_min_one(c: dict[str, Any]) -> None:
    _model(c)["canary"] = {"version": 2, "weight": 10, "minReplicas": 1}


def _kserve(c: dict[str, Any]) -> None:
    model = _model(c)
    for key in ("seldonDeploymentName", "predictorName", "proxyImage", "proxyCpu", "proxyMemory"):
        model.pop(key, None)
    model["server"] = "kserve"


def _rrsa(c: dict[str, Any]) -> None:
    c[f"{P}:volumeAuth"] = "rrsa"
    c.pop(f"{P}:ossAccessKeyId")
    c.pop(f"{P}:ossAccessKeySecret")


def _big_units(c: dict[str, Any]) -> None:
    _units(c)[1]["max"] = 1000


def _all(*steps: Setup) -> Setup:
    def run(c: dict[str, Any]) -> None:
        for step in steps:
            step(c)

    return run


def _label(n: int) -> str:
    return "a" * n


def _host(total: int) -> str:
    """A host of ``total`` characters: 63-character labels, then the rest, then ``.com``."""
    labels, left = [], total - 4
    while left > 0:
        size = min(63, left)
        labels.append("h" * size)
        left -= size + 1
    text = ".".join(labels)
    return text[: total - 4] + ".com"


def _subdomain(total: int) -> str:
    text = ".".join(["s" * 63] * 4)
    return text[:total].rstrip(".") if not text[:total].endswith(".") else text[: total - 1] + "s"


W = "must be a whole number"
N = "must be a number"

BOUNDS: list[Bound] = [
    # UnitConfig
    Bound("unit min >= 0", "models[0].units[0].min", 0, -1),
    Bound("unit min <= int32", "models[0].units[0].min", INT32, INT32 + 1, lambda c: _units(c)[0].update(max=INT32), only=W),
    Bound("unit max >= 1", "models[0].units[0].max", 1, 0, lambda c: _units(c)[0].update(min=0)),
    Bound("unit max <= int32", "models[0].units[0].max", INT32, INT32 + 1),
    Bound("unit min <= max", "models[0].units[0].min", 3, 4),
    Bound("price limit >= 0.001", "models[0].units[1].priceLimit", 0.001, 0.0009, _price_limited),
    Bound("price limit <= 1000", "models[0].units[1].priceLimit", 1000.0, 1000.001, _price_limited),
    Bound("price limit to 0.001", "models[0].units[1].priceLimit", 2.125, 2.1255, _price_limited),
    # ScheduleConfig
    Bound("targetSize >= 1", "models[0].schedules[0].targetSize", 1, 0, _schedule),
    Bound("targetSize <= maxReplicas", "models[0].schedules[0].targetSize", 10, 11, _schedule),
    Bound("targetSize <= int32", "models[0].schedules[0].targetSize", INT32, INT32 + 1, _schedule, only=W),
    # ImageCacheConfig
    Bound("sizeGiB >= 20", "models[0].imageCache.sizeGiB", 20, 19, _cache),
    Bound("sizeGiB <= int32", "models[0].imageCache.sizeGiB", INT32, INT32 + 1, _cache),
    Bound("retentionDays >= 1", "models[0].imageCache.retentionDays", 1, 0, _cache),
    Bound("retentionDays <= int32", "models[0].imageCache.retentionDays", INT32, INT32 + 1, _cache),
    # ModelConfig fields
    Bound("seldonDeploymentName <= 57", "models[0].seldonDeploymentName", _label(57), _label(58), only="at most 57"),
    Bound("version >= 1", "models[0].version", 1, 0),
    Bound("version <= int64", "models[0].version", INT64, INT64 + 1),
    Bound("gpu >= 1", "models[0].gpu", 1, 0),
    Bound("gpu <= 16", "models[0].gpu", 16, 17),
    Bound("sourceMin >= 0", "models[0].sourceMin", 0, -1),
    Bound("sourceMin <= int32", "models[0].sourceMin", INT32, INT32 + 1, lambda c: _model(c).update(sourceMax=INT32), only=W),
    Bound("sourceMax >= 0", "models[0].sourceMax", 0, -1, lambda c: _model(c).update(sourceMin=0)),
    Bound("sourceMax <= int32", "models[0].sourceMax", INT32, INT32 + 1),
    Bound("sourceMin <= sourceMax", "models[0].sourceMin", 1, 2),
    Bound("minReplicas >= 1", "models[0].minReplicas", 1, 0),
    Bound("minReplicas <= maxReplicas", "models[0].minReplicas", 10, 11),
    Bound("maxReplicas >= 1", "models[0].maxReplicas", 1, 0, lambda c: _model(c).update(minReplicas=1)),
    Bound("maxReplicas <= 1000", "models[0].maxReplicas", 1000, 1001, _big_units),
    Bound("maxReplicas <= what the units hold", "models[0].maxReplicas", 14, 15),
    Bound("unit mins <= maxReplicas", "models[0].sourceMin", 0, 1, lambda c: _model(c).update(maxReplicas=2, sourceMax=1),
          reported="models[0].units"),
    Bound("targetQps >= 1", "models[0].targetQps", 1, 0),
    Bound("targetQps <= int32", "models[0].targetQps", INT32, INT32 + 1),
    Bound("scale-up window >= 0", "models[0].scaleUpStabilizationSeconds", 0, -1),
    Bound("scale-up window <= 3600", "models[0].scaleUpStabilizationSeconds", 3600, 3601),
    Bound("scale-down window >= 0", "models[0].scaleDownStabilizationSeconds", 0, -1),
    Bound("scale-down window <= 3600", "models[0].scaleDownStabilizationSeconds", 3600, 3601),
    Bound("scale-up pods >= 1", "models[0].scaleUpPods", 1, 0),
    Bound("scale-up pods <= 1000", "models[0].scaleUpPods", 1000, 1001),
    Bound("scale-up percent >= 1", "models[0].scaleUpPercent", 1, 0),
    Bound("scale-up percent <= 1000", "models[0].scaleUpPercent", 1000, 1001),
    Bound("scale-down percent >= 1", "models[0].scaleDownPercent", 1, 0),
    Bound("scale-down percent <= 100", "models[0].scaleDownPercent", 100, 101),
    Bound("grace >= 1", "models[0].terminationGracePeriodSeconds", 1, 0, lambda c: _model(c).update(preStopSeconds=0)),
    Bound("grace <= spot notice", "models[0].terminationGracePeriodSeconds", 180, 181),
    Bound("grace <= int64", "models[0].terminationGracePeriodSeconds", INT64, INT64 + 1, only=W),
    Bound("preStop >= 0", "models[0].preStopSeconds", 0, -1),
    Bound("preStop < grace", "models[0].preStopSeconds", 29, 30),
    Bound("pdbMaxUnavailable >= 1", "models[0].pdbMaxUnavailable", 1, 0),
    Bound("pdbMaxUnavailable <= int32", "models[0].pdbMaxUnavailable", INT32, INT32 + 1),
    Bound("pdbMinAvailable >= 0", "models[0].pdbMinAvailable", 0, -1),
    Bound("pdbMinAvailable < maxReplicas", "models[0].pdbMinAvailable", 9, 10),
    Bound("pdbMinAvailable <= int32", "models[0].pdbMinAvailable", INT32, INT32 + 1, only=W),
    Bound("spotProtectionHours >= 0", "models[0].spotProtectionHours", 0, -1),
    Bound("spotProtectionHours <= 1", "models[0].spotProtectionHours", 1, 2),
    Bound("modelLoadTimeoutSeconds >= 60", "models[0].modelLoadTimeoutSeconds", 60, 59),
    Bound("modelLoadTimeoutSeconds <= 3600", "models[0].modelLoadTimeoutSeconds", 3600, 3601),
    # The pod fits the unit's instance type (gn6i-c4g1.xlarge: 4 vCPU, 15 GiB; proxy 0.5 + executor 0.5 vCPU,
    # 512Mi + 512Mi).
    Bound("cpu fits the instance", "models[0].cpu", "3", "3001m", reported="models[0].units[0].specs[0]"),
    Bound("memory fits the instance", "models[0].memory", "14Gi", "14337Mi", reported="models[0].units[0].specs[0]"),
    # The HPA's label sls.ingress.route = <namespace>-<sdep>-<predictor>-8000 holds at most 63 characters:
    # 30 + 1 + len("fashion-mnist-eci") + 1 + len("predictor") + 5 = 63.
    Bound("route label <= 63", "namespace", _label(30), _label(31), reported="models[0].seldonDeploymentName"),
    # CanaryConfig (dev: version 1 served; a canary of version 2)
    Bound("canary version >= 1", "models[0].canary.version", 1, 0, _canary, only=W),
    Bound("canary version <= int64", "models[0].canary.version", INT64, INT64 + 1, _canary, only=W),
    Bound("canary weight >= 0", "models[0].canary.weight", 0, -1, _canary),
    Bound("canary weight <= 100", "models[0].canary.weight", 100, 101, _canary),
    Bound("canary minReplicas >= 1", "models[0].canary.minReplicas", 1, 0, _canary),
    Bound("canary minReplicas <= maxReplicas", "models[0].canary.minReplicas", 2, 3, _canary),
    Bound("canary minReplicas <= int32", "models[0].canary.minReplicas", INT32, INT32 + 1, _canary, only=W),
    Bound("canary maxReplicas >= 1", "models[0].canary.maxReplicas", 1, 0, _canary_min_one),
    Bound("canary maxReplicas <= what the units hold", "models[0].canary.maxReplicas", 14, 15, _canary),
    Bound("canary maxReplicas <= int32", "models[0].canary.maxReplicas", INT32, INT32 + 1, _canary, only=W),
    Bound("canary name <= 63", "models[0].seldonDeploymentName", _label(56), _label(57), _canary, only="canary's name"),
    # <namespace>-fashion-mnist-eci-canary-predictor-8000: 23 + 40 = 63
    Bound("canary route label <= 63", "namespace", _label(23), _label(24), _canary, reported="models[0].canary"),
    # KServe (prod): <namespace>-<inferenceServiceName>-predictor-80; fashion-mnist: 36 + 27 = 63
    Bound("kserve route label <= 63", "namespace", _label(36), _label(37), _kserve, reported="models[0].inferenceServiceName"),
    Bound("inferenceServiceName <= 48", "models[0].inferenceServiceName", _label(48), _label(49), _kserve, only="at most 48"),
    # types.py: names, hosts, quantities, images, prefixes
    Bound("namespace <= 63", "namespace", _label(63), _label(64)),
    Bound("unit name <= 63", "models[0].units[0].name", _label(63), _label(64)),
    Bound("tlsSecret <= 253", "models[0].tlsSecret", _subdomain(253), _subdomain(254)),
    Bound("host label <= 63", "models[0].host", f"{'h' * 63}.example.com", f"{'h' * 64}.example.com"),
    Bound("host <= 253", "models[0].host", _host(253), _host(254)),
    Bound("bucket >= 3", "bucket", "abc", "ab"),
    Bound("bucket <= 63", "bucket", _label(63), _label(64)),
    Bound("clusterId >= c + 16", "clusterId", "c" + "0" * 16, "c" + "0" * 15),
    Bound("clusterId <= c + 48", "clusterId", "c" + "0" * 48, "c" + "0" * 49),
    Bound("rrsaRoleName <= 64", "rrsaRoleName", "r" * 64, "r" * 65, _rrsa),
    Bound("slsProject >= 3", "slsProject", "abc", "ab"),
    Bound("slsProject <= 63", "slsProject", _label(63), _label(64)),
    Bound("slsLogstore >= 3", "slsLogstore", "abc", "ab"),
    Bound("slsLogstore <= 63", "slsLogstore", _label(63), _label(64)),
    Bound("quantity > 0", "models[0].volumeSize", "1m", "0"),
    Bound("quantity <= int64", "models[0].volumeSize", str(INT64), str(INT64 + 1)),
    Bound("image tag <= 128", "models[0].proxyImage", "a/b:" + "t" * 128, "a/b:" + "t" * 129),
    Bound("image name <= 255", "models[0].proxyImage", "a" * 255 + ":1", "a" * 256 + ":1"),
    Bound("modelPrefix <= 1023 bytes", "modelPrefix", "p" * 1023, "p" * 1024),
]  # fmt: skip


@pytest.mark.parametrize("bound", BOUNDS, ids=[b.label for b in BOUNDS])
def test_the_edge_is_accepted_and_one_past_it_refused(bound: Bound) -> None:
    base, secret_keys = stack_config("dev")
    bound.setup(base)
    key = bound.reported or bound.path
    at_edge = copy.deepcopy(base)
    _set(at_edge, bound.path, bound.edge)
    assert _lines(at_edge, list(secret_keys), key, bound.only) == [], f"{bound.label}: the edge {bound.edge!r} was refused"
    past = copy.deepcopy(base)
    _set(past, bound.path, bound.past)
    assert _lines(past, list(secret_keys), key, bound.only), f"{bound.label}: {bound.past!r} was accepted"


def test_the_float_bounds_say_what_is_allowed() -> None:
    config, secret_keys = stack_config("dev")
    _price_limited(config)
    _units(config)[1]["priceLimit"] = 1e308
    with pytest.raises(ConfigError) as caught:
        validated(config, secret_keys)
    assert f"{P}:models[0].units[1].priceLimit = 1e+308: must be a number >= 0.001 and <= 1000" in caught.value.problems


def test_one_past_int32_names_the_limit() -> None:
    config, secret_keys = stack_config("dev")
    _model(config)["targetQps"] = 1e30  # a float with no fraction: pydantic would make it a 31-digit int
    with pytest.raises(ConfigError) as caught:
        validated(config, secret_keys)
    assert caught.value.problems == [f"{P}:models[0].targetQps = 1e+30: must be a whole number >= 1 and <= {INT32}"]


def test_the_helpers_build_what_the_bounds_say() -> None:
    assert [len(_host(253)), len(_host(254)), len(_subdomain(253)), len(_subdomain(254))] == [253, 254, 253, 254]
    assert max(len(label) for label in _host(254).split(".")) == 63
