"""Config mistakes that used to pass: underscore keys, add-on overrides, quantities, capacity, names, prices."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from stackconfig import PROJECT, ConfigError
from tests.conftest import validated

P = PROJECT
ConfigFactory = Callable[[], tuple[dict[str, Any], list[str]]]
Change = Callable[[dict[str, Any]], None]


def model(config: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = config[f"{P}:models"][0]
    return found


def problems_after(dev_config: ConfigFactory, change: Change) -> list[str]:
    config, secret_keys = dev_config()
    config = copy.deepcopy(config)
    change(config)
    with pytest.raises(ConfigError) as caught:
        validated(config, secret_keys)
    return caught.value.problems


CASES: list[tuple[str, Change, str]] = [
    ("an underscore top-level key", lambda c: c.update({f"{P}:scaling_mode": "resourcePolicy"}),
     f"{P}:scaling_mode is not a known key (did you mean 'scalingMode'?)"),
    ("an underscore model key", lambda c: model(c).update({"target_qps": 5}),
     f"{P}:models[0].target_qps is not a known key (did you mean 'targetQps'?)"),
    ("an add-on kind that is not one", lambda c: c.update({f"{P}:addons": {"seldon-core": {"kind": "Helm"}}}),
     f"{P}:addons.seldon-core.kind = 'Helm': must be one of managed, helm (did you mean 'helm'?)"),
    ("an add-on installed another way", lambda c: c.update({f"{P}:addons": {"seldon-core": {"kind": "managed"}}}),
     f"{P}:addons.seldon-core.kind = 'managed': seldon-core is installed as helm"),
    ("an upper-case kilo", lambda c: model(c).update({"memory": "12000000K"}),
     f"{P}:models[0].memory = '12000000K': must be a Kubernetes quantity"),
    ("maxReplicas above the units", lambda c: model(c).update({"maxReplicas": 100}),
     f"{P}:models[0].maxReplicas = 100: is above what the units can hold (14"),
    ("a role without rrsa", lambda c: c.update({f"{P}:rrsaRoleName": "reader"}),
     f"{P}:rrsaRoleName = 'reader': is only used with volumeAuth: rrsa"),
    ("a former name that is another model's", lambda c: c[f"{P}:models"].append(
        {**copy.deepcopy(model(c)), "name": "other", "seldonDeploymentName": "other", "formerNames": ["fashion-mnist"]}),
     f"{P}:models[1].formerNames[0] = 'fashion-mnist': is the name of models[0]"),
    ("a price that is a boolean", lambda c: model(c)["units"][1].update({"spotStrategy": "SpotWithPriceLimit", "priceLimit": True}),
     f"{P}:models[0].units[1].priceLimit = True: must be a number, not true or false"),
    ("a system namespace created", lambda c: c.update({f"{P}:namespace": "kube-public", f"{P}:createNamespace": True}),
     f"{P}:createNamespace = True: namespace 'kube-public' always exists"),
]  # fmt: skip


@pytest.mark.parametrize(("label", "change", "expected"), CASES, ids=[c[0] for c in CASES])
def test_the_mistake_is_refused_with_its_key(dev_config: ConfigFactory, label: str, change: Change, expected: str) -> None:
    found = problems_after(dev_config, change)
    assert any(p.startswith(expected) for p in found), f"{label}: {expected!r} not in {found}"


def test_an_invalid_controller_zone_is_reported_once_on_its_own_key(dev_config: ConfigFactory) -> None:
    def change(c: dict[str, Any]) -> None:
        c[f"{P}:cronControllerTimeZone"] = "Mars/Base"
        model(c)["schedules"] = [
            {"name": "a", "cron": "0 8 * * *", "targetSize": 2},
            {"name": "b", "cron": "0 9 * * *", "targetSize": 2},
        ]

    found = problems_after(dev_config, change)
    assert [p for p in found if "Mars/Base" in p] == [
        f"{P}:cronControllerTimeZone = 'Mars/Base': time zone 'Mars/Base' is not an IANA time zone such as Asia/Shanghai or UTC"
    ]


def test_unreadable_models_are_reported_once(dev_config: ConfigFactory) -> None:
    found = problems_after(dev_config, lambda c: c.update({f"{P}:models": "[{not json"}))
    about_models = [p for p in found if p.startswith(f"{P}:models")]
    assert len(about_models) == 1, about_models
    assert "must be a YAML object or list in the stack file" in about_models[0]


def test_an_unknown_key_set_as_a_secret_is_only_unknown(dev_config: ConfigFactory) -> None:
    config, secret_keys = dev_config()
    config = copy.deepcopy(config)
    config[f"{P}:slsProjekt"] = "TOPSECRET-value"
    secret_keys.append(f"{P}:slsProjekt")
    with pytest.raises(ConfigError) as caught:
        validated(config, secret_keys)
    found = caught.value.problems
    assert any(p.startswith(f"{P}:slsProjekt is not a known key (did you mean 'slsProject'?)") for p in found), found
    assert not any("plain text" in p for p in found)
    assert all("TOPSECRET" not in p for p in found)


def test_add_on_values_are_laid_over_the_catalogs(dev_config: ConfigFactory) -> None:
    config, secret_keys = dev_config()
    config = copy.deepcopy(config)
    config[f"{P}:addons"] = {"seldon-core": {"values": {"executor": {"port": 8000}}}}
    seldon = next(a for a in validated(config, secret_keys).installed_addons if a.name == "seldon-core")
    executor_image = {"registry": "docker.io", "repository": "seldonio/seldon-core-executor", "tag": "1.17.1"}
    assert seldon.values == {"usageMetrics": {"enabled": False}, "executor": {"port": 8000, "image": executor_image}}


@pytest.mark.parametrize(
    ("written", "accepted"), [("12884901888", True), ("500m", True), ("64k", True), ("12Gi", True), ("1e3", False)]
)
def test_quantities_are_read_as_kubernetes_reads_them(dev_config: ConfigFactory, written: str, accepted: bool) -> None:
    config, secret_keys = dev_config()
    config = copy.deepcopy(config)
    model(config)["volumeSize"] = int(written) if written.isdigit() else written
    if accepted:
        assert validated(config, secret_keys).models[0].volume_size
    else:
        with pytest.raises(ConfigError):
            validated(config, secret_keys)


def test_elastic_workload_mode_needs_the_virtual_node_it_documents(dev_config: ConfigFactory) -> None:
    def old_node(c: dict[str, Any]) -> None:
        c[f"{P}:addons"] = {"ack-virtual-node": {"version": "v2.0.0.90-aliyun"}}
        for unit in model(c)["units"]:
            unit.pop("spotStrategy", None)

    found = problems_after(dev_config, old_node)
    assert any(
        p.startswith(f"{P}:addons.ack-virtual-node.version = 'v2.0.0.90-aliyun': is below v2.0.0.102-045a06eb4-aliyun")
        for p in found
    ), found
    config, secret_keys = dev_config()
    config = copy.deepcopy(config)
    old_node(config)
    config[f"{P}:scalingMode"] = "resourcePolicy"
    assert validated(config, secret_keys).scaling_mode == "resourcePolicy"
