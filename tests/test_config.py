"""Bad input: every config mistake fails before any resource is registered, with one message listing all."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pulumi
import pytest
import yaml

from components.config import PROJECT, TOP_LEVEL_KEYS, ConfigError
from tools.mockrun import Run, run_program
from program import main
from tests.conftest import validated
from tests.conftest import ROOT

ConfigFactory = Callable[[], tuple[dict[str, Any], list[str]]]
P = PROJECT


def models_of(config: dict[str, Any]) -> list[dict[str, Any]]:
    models: list[dict[str, Any]] = config[f"{P}:models"]
    return models


def problems(config: dict[str, Any], secret_keys: list[str]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        validated(config, secret_keys)
    return caught.value.problems


def edit(dev_config: ConfigFactory, change: Callable[[dict[str, Any]], None]) -> tuple[dict[str, Any], list[str]]:
    config, secret_keys = dev_config()
    config = copy.deepcopy(config)
    change(config)
    return config, secret_keys


def unit(config: dict[str, Any], i: int) -> dict[str, Any]:
    units: list[dict[str, Any]] = models_of(config)[0]["units"]
    return units[i]


CASES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("unknown top-level key", lambda c: c.update({f"{P}:clusterID": "x"}), f"{P}:clusterID is not a known key (did you mean 'clusterId'?)"),
    ("unknown model key", lambda c: models_of(c)[0].update({"targetQPS": 5}), "models[0].targetQPS is not a known key (did you mean 'targetQps'?)"),
    ("unknown unit key", lambda c: unit(c, 1).update({"spotStrategi": "SpotAsPriceGo"}), "units[1].spotStrategi is not a known key (did you mean 'spotStrategy'?)"),
    ("missing clusterId", lambda c: c.pop(f"{P}:clusterId"), f"{P}:clusterId is required"),
    ("missing models", lambda c: c.pop(f"{P}:models"), f"{P}:models is required"),
    ("missing model source", lambda c: models_of(c)[0].pop("source"), "models[0].source is required"),
    ("unit min > max", lambda c: unit(c, 0).update({"min": 5, "max": 3}), "units[0].min = 5 is greater than"),
    ("hpa min > max", lambda c: models_of(c)[0].update({"minReplicas": 11}), "models[0].minReplicas = 11 is greater than"),
    ("source min > max", lambda c: models_of(c)[0].update({"sourceMin": 2, "sourceMax": 1}), "models[0].sourceMin = 2 is greater than"),
    ("zero replicas", lambda c: models_of(c)[0].update({"replicas": 0}), "models[0].replicas = 0: must be a whole number >= 1"),
    ("negative max replicas", lambda c: models_of(c)[0].update({"maxReplicas": -3}), "models[0].maxReplicas = -3: must be a whole number >= 1"),
    ("zero gpu", lambda c: models_of(c)[0].update({"gpu": 0}), "models[0].gpu = 0: must be a whole number >= 1"),
    ("zero qps", lambda c: models_of(c)[0].update({"targetQps": 0}), "models[0].targetQps = 0: must be a whole number >= 1"),
    ("fractional gpu", lambda c: models_of(c)[0].update({"gpu": 1.5}), "models[0].gpu = 1.5: must be a whole number >= 1"),
    ("invalid bucket name", lambda c: c.update({f"{P}:bucket": "My_Bucket"}), f"{P}:bucket = 'My_Bucket': must be an OSS bucket name"),
    ("no units", lambda c: models_of(c)[0].update({"units": []}), "models[0].units = []: must hold at least one entry"),
    ("duplicate unit names", lambda c: unit(c, 1).update({"name": "virtual-kubelet-1"}), "units[1].name = 'virtual-kubelet-1': unit names must be unique"),
    ("bad spot strategy", lambda c: unit(c, 1).update({"spotStrategy": "SpotAsPriceGoo"}), "must be one of SpotAsPriceGo, SpotWithPriceLimit (did you mean 'SpotAsPriceGo'?)"),
    ("price limit without strategy", lambda c: unit(c, 0).update({"priceLimit": 2.5}), "units[0].priceLimit = 2.5: a price limit needs spotStrategy: SpotWithPriceLimit"),
    ("price strategy without limit", lambda c: unit(c, 1).update({"spotStrategy": "SpotWithPriceLimit"}), "units[1].priceLimit is required"),
    ("model dir missing", lambda c: models_of(c)[0].update({"source": "models/nope/1"}), "models[0].source = 'models/nope/1': must be a local directory or an oss:// URI"),
    ("model dir without SavedModel", lambda c: models_of(c)[0].update({"source": "components"}), "models[0].source = 'components': must hold a TensorFlow SavedModel"),
    ("bad oss uri", lambda c: models_of(c)[0].update({"source": "oss://Bad_Bucket/x"}), "must be oss://<bucket>/<path> with a valid bucket name"),
    ("bad eci spec", lambda c: unit(c, 0).update({"specs": ["gn6i-c4g1.xlarge"]}), "units[0].specs[0] = 'gn6i-c4g1.xlarge': must be an instance type"),
    ("bad volumeAuth", lambda c: c.update({f"{P}:volumeAuth": "password"}), f"{P}:volumeAuth = 'password': must be one of rrsa, accessKey"),
    ("rrsa without role", lambda c: c.update({f"{P}:volumeAuth": "rrsa"}), f"{P}:rrsaRoleName is required"),
    ("unknown add-on", lambda c: c.update({f"{P}:addons": {"seldon": {"version": "1"}}}), "addons.seldon is not an add-on this stack installs (did you mean 'seldon-core'?)"),
    ("duplicate model names", lambda c: models_of(c).append(copy.deepcopy(models_of(c)[0])), "models[1].name = 'fashion-mnist': must be unique across models"),
    ("bad quantity", lambda c: models_of(c)[0].update({"memory": "12 GB"}), "models[0].memory = '12 GB': must be a Kubernetes quantity"),
]  # fmt: skip


@pytest.mark.parametrize(("label", "change", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_mistake_gets_its_clear_message(
    dev_config: ConfigFactory, label: str, change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    config, secret_keys = edit(dev_config, change)
    found = problems(config, secret_keys)
    assert any(expected in p for p in found), f"{label}: {expected!r} not in {found}"


@pytest.mark.parametrize(("label", "change", "expected"), CASES[:6] + CASES[14:17], ids=[c[0] for c in CASES[:6] + CASES[14:17]])
def test_a_mistake_registers_nothing(
    dev_config: ConfigFactory, label: str, change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    config, secret_keys = edit(dev_config, change)
    run = Run()
    with pytest.raises(pulumi.RunError) as caught:
        run_program(main, config, secret_keys, into=run)
    assert expected in str(caught.value)
    assert "Traceback" not in str(caught.value)
    assert run.resources == [], [r.urn for r in run.resources]


def test_every_problem_is_listed_at_once(dev_config: ConfigFactory) -> None:
    def many(c: dict[str, Any]) -> None:
        c[f"{P}:bucket"] = "-bad-"
        c[f"{P}:regoin"] = "cn-beijing"
        unit(c, 0).update({"min": 9})
        unit(c, 1).update({"spotStrategy": "Cheap"})
        models_of(c)[0].update({"gpu": 0, "targetQps": -1})

    config, secret_keys = edit(dev_config, many)
    found = problems(config, secret_keys)
    assert len(found) == 6, found
    message = str(ConfigError(found))
    assert message.startswith("invalid stack configuration (6 problem(s)):")
    for fragment in ("bucket = '-bad-'", "regoin is not a known key (did you mean 'region'?)", "units[0].min = 9",
                     "'Cheap'", "gpu = 0", "targetQps = -1"):  # fmt: skip
        assert fragment in message


def test_access_key_must_be_a_secret(dev_config: ConfigFactory) -> None:
    config, secret_keys = dev_config()
    secret_keys.remove(f"{P}:ossAccessKeySecret")
    found = problems(config, secret_keys)
    assert any("ossAccessKeySecret must be set as a secret: pulumi config set --secret ossAccessKeySecret" in p for p in found)
    assert all(config[f"{P}:ossAccessKeySecret"] not in p for p in found), "a secret value was printed"


def test_access_key_is_required_for_access_key_auth(dev_config: ConfigFactory) -> None:
    config, secret_keys = dev_config()
    del config[f"{P}:ossAccessKeyId"]
    found = problems(config, secret_keys)
    assert any(f"{P}:ossAccessKeyId is required: volumeAuth is accessKey" in p for p in found)


def test_oss_uri_source_is_accepted(dev_config: ConfigFactory) -> None:
    config, secret_keys = edit(dev_config, lambda c: models_of(c)[0].update({"source": "oss://shared-models/fm/"}))
    cfg, _ = validated(config, secret_keys)
    source = cfg.models[0].source
    assert (source.local_dir, source.bucket, source.path) == (None, "shared-models", "fm")


def test_defaults_are_derived_from_the_cluster_and_region(dev_config: ConfigFactory) -> None:
    cfg, _ = validated(*dev_config())
    assert cfg.sls_project == "k8s-log-c9522b942edaf4ec98c2cbc351ec8ade6"
    assert cfg.oss_endpoint == "oss-cn-beijing-internal.aliyuncs.com"
    assert cfg.ingress_class == "nginx"


def test_pulumi_yaml_declares_every_scalar_key_as_the_program_reads_it() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == PROJECT
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["virtualenv"] == "venv"
    declared: dict[str, Any] = project["config"]
    expected = {k: s for k, s in TOP_LEVEL_KEYS.items() if s.type != "object" and not s.secret}
    assert set(declared) == set(expected)
    for key, spec in expected.items():
        entry = declared[key]
        # Pulumi's project schema: type is one of string, integer, boolean, array; a key without default is required.
        assert entry["type"] == spec.type in ("string", "integer", "boolean", "array"), key
        assert entry["description"] == spec.description, key
        if spec.required:
            assert "default" not in entry, key
        else:
            assert entry["default"] == (spec.default if spec.default is not None else ""), key
    undeclared = {k for k, s in TOP_LEVEL_KEYS.items() if s.type == "object" or s.secret}
    text = (ROOT / "Pulumi.yaml").read_text()
    for key in undeclared:
        assert key in text, f"{key} is neither declared nor explained in Pulumi.yaml"


MORE_CASES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("infinite gpu", lambda c: models_of(c)[0].update({"gpu": float("inf")}), "models[0].gpu = inf: must be a whole number >= 1"),
    ("huge replicas", lambda c: models_of(c)[0].update({"replicas": "1e400"}), "models[0].replicas = '1e400': must be a whole number >= 1"),
    ("infinite price limit", lambda c: unit(c, 1).update({"spotStrategy": "SpotWithPriceLimit", "priceLimit": float("inf")}), "units[1].priceLimit = inf: must be a number > 0"),
    ("NUL in the model path", lambda c: models_of(c)[0].update({"source": "models/\x00x"}), "it cannot be read as a path"),
    ("deploymentName too long", lambda c: models_of(c)[0].update({"deploymentName": "d" * 58}), "must be at most 57 characters"),
    ("route label too long", lambda c: c.update({f"{P}:namespace": "n" * 40}), "sls.ingress.route label"),
    ("add-on override not an object", lambda c: c.update({f"{P}:addons": {"seldon-core": False}}), "addons.seldon-core = False: must be an object"),
    ("add-on version not a string", lambda c: c.update({f"{P}:addons": {"seldon-core": {"version": 1.1}}}), "addons.seldon-core.version = 1.1: must be a non-empty string"),
]  # fmt: skip


@pytest.mark.parametrize(("label", "change", "expected"), MORE_CASES, ids=[c[0] for c in MORE_CASES])
def test_odd_values_get_a_clear_message_not_a_traceback(
    dev_config: ConfigFactory, label: str, change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    config, secret_keys = edit(dev_config, change)
    found = problems(config, secret_keys)
    assert any(expected in p for p in found), f"{label}: {expected!r} not in {found}"


def test_indices_and_keys_in_messages_point_at_the_config_entry(dev_config: ConfigFactory) -> None:
    def change(c: dict[str, Any]) -> None:
        units = models_of(c)[0]["units"]
        units.insert(1, {"name": "Bad Unit", "max": 1, "specs": ["ecs.gn6i-c4g1.xlarge"]})
        units.append(copy.deepcopy(units[0]))
        twin = copy.deepcopy(models_of(c)[0])
        twin["name"] = "other"
        models_of(c).insert(1, {"name": "broken"})
        models_of(c).append(twin)

    config, secret_keys = edit(dev_config, change)
    found = problems(config, secret_keys)
    assert any(p.startswith(f"{P}:models[0].units[3].name = 'virtual-kubelet-1'") for p in found), found
    assert any(p.startswith(f"{P}:models[2].deploymentName = 'fashion-mnist-eci': must be unique") for p in found), found


def test_a_secret_on_a_plain_key_is_refused_without_printing_it(dev_config: ConfigFactory) -> None:
    config, secret_keys = dev_config()
    config[f"{P}:bucket"] = "Not_A-Valid/Bucket-TOPSECRET"
    secret_keys.append(f"{P}:bucket")
    found = problems(config, secret_keys)
    assert any("bucket is set as a secret, but the program passes it into resources in plain text" in p for p in found)
    assert any(p.startswith(f"{P}:bucket = [secret]: must be an OSS bucket name") for p in found)
    assert all("TOPSECRET" not in p for p in found)
