"""Bad input: every config mistake fails before any resource is registered, with one message listing all."""

from __future__ import annotations

import copy
import types
import typing
from collections.abc import Callable
from typing import Any

import pulumi
import pytest
import yaml
from pydantic import SecretStr
from pydantic.fields import FieldInfo

from program import main
from stackconfig import PROJECT, ConfigError, StackConfig, fields
from stackconfig.addons import CATALOG, VIRTUAL_NODE
from stackconfig.models import SECRET_KEYS
from tests.conftest import ROOT, stack_config, validated
from tools.mockrun import Run, run_program

ConfigFactory = Callable[[], tuple[dict[str, Any], list[str]]]
Change = Callable[[dict[str, Any]], None]
P = PROJECT


def models_of(config: dict[str, Any]) -> list[dict[str, Any]]:
    models: list[dict[str, Any]] = config[f"{P}:models"]
    return models


def problems(config: dict[str, Any], secret_keys: list[str]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        validated(config, secret_keys)
    return caught.value.problems


def edit(dev_config: ConfigFactory, change: Change) -> tuple[dict[str, Any], list[str]]:
    config, secret_keys = dev_config()
    config = copy.deepcopy(config)
    change(config)
    return config, secret_keys


def unit(config: dict[str, Any], i: int) -> dict[str, Any]:
    units: list[dict[str, Any]] = models_of(config)[0]["units"]
    return units[i]


def program_error(config: dict[str, Any], secret_keys: list[str]) -> tuple[str, Run]:
    """The message ``pulumi up`` would print, and what the program registered before it stopped."""
    run = Run()
    with pytest.raises(pulumi.RunError) as caught:
        run_program(main, config, secret_keys, into=run)
    return str(caught.value), run


CASES: list[tuple[str, Change, str]] = [
    ("unknown top-level key", lambda c: c.update({f"{P}:clusterID": "x"}), f"{P}:clusterID is not a known key (did you mean 'clusterId'?)"),
    ("unknown model key", lambda c: models_of(c)[0].update({"targetQPS": 5}), "models[0].targetQPS is not a known key (did you mean 'targetQps'?)"),
    ("unknown unit key", lambda c: unit(c, 1).update({"spotStrategi": "SpotAsPriceGo"}), "units[1].spotStrategi is not a known key (did you mean 'spotStrategy'?)"),
    ("missing clusterId", lambda c: c.pop(f"{P}:clusterId"), f"{P}:clusterId is required"),
    ("missing models", lambda c: c.pop(f"{P}:models"), f"{P}:models is required"),
    ("missing model source", lambda c: models_of(c)[0].pop("source"), "models[0].source is required"),
    ("unit min > max", lambda c: unit(c, 0).update({"min": 5, "max": 3}), "units[0].min = 5: is greater than max = 3"),
    ("hpa min > max", lambda c: models_of(c)[0].update({"minReplicas": 11}), "models[0].minReplicas = 11: is greater than maxReplicas = 10"),
    ("source min > max", lambda c: models_of(c)[0].update({"sourceMin": 2, "sourceMax": 1}), "models[0].sourceMin = 2: is greater than sourceMax = 1"),
    ("zero min replicas", lambda c: models_of(c)[0].update({"minReplicas": 0}), "models[0].minReplicas = 0: must be a whole number >= 1"),
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
    ("bad volumeAuth", lambda c: c.update({f"{P}:volumeAuth": "password"}), f"{P}:volumeAuth = 'password': must be one of rrsa, ramRole, accessKey"),
    ("rrsa without role", lambda c: c.update({f"{P}:volumeAuth": "rrsa"}), f"{P}:rrsaRoleName is required"),
    ("unknown add-on", lambda c: c.update({f"{P}:addons": {"seldon": {"version": "1"}}}), "addons.seldon is not an add-on this stack installs (did you mean 'seldon-core'?)"),
    ("duplicate model names", lambda c: models_of(c).append(copy.deepcopy(models_of(c)[0])), "models[1].name = 'fashion-mnist': must be unique across models"),
    ("bad quantity", lambda c: models_of(c)[0].update({"memory": "12 GB"}), "models[0].memory = '12 GB': must be a Kubernetes quantity"),
]  # fmt: skip


@pytest.mark.parametrize(("label", "change", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_mistake_gets_its_clear_message(dev_config: ConfigFactory, label: str, change: Change, expected: str) -> None:
    config, secret_keys = edit(dev_config, change)
    found = problems(config, secret_keys)
    assert any(expected in p for p in found), f"{label}: {expected!r} not in {found}"


REGISTER_NOTHING = CASES[:6] + CASES[14:17]


@pytest.mark.parametrize(("label", "change", "expected"), REGISTER_NOTHING, ids=[c[0] for c in REGISTER_NOTHING])
def test_a_mistake_registers_nothing(dev_config: ConfigFactory, label: str, change: Change, expected: str) -> None:
    config, secret_keys = edit(dev_config, change)
    message, run = program_error(config, secret_keys)
    assert expected in message
    assert "Traceback" not in message
    assert run.resources == [], [r.urn for r in run.resources]


def test_every_problem_is_listed_at_once(dev_config: ConfigFactory) -> None:
    def many(c: dict[str, Any]) -> None:
        c[f"{P}:bucket"] = "-bad-"
        c[f"{P}:regoin"] = "cn-beijing"
        unit(c, 0).update({"min": 9})
        unit(c, 1).update({"spotStrategy": "Cheap"})
        models_of(c)[0].update({"gpu": 0, "targetQps": -1, "replicas": 2})

    config, secret_keys = edit(dev_config, many)
    found = problems(config, secret_keys)
    assert len(found) == 7, found
    message = str(ConfigError(found))
    assert message.startswith("invalid stack configuration (7 problem(s)):")
    for fragment in ("bucket = '-bad-'", "regoin is not a known key (did you mean 'region'?)", "units[0].min = 9",
                     "'Cheap'", "gpu = 0", "targetQps = -1", "models[0].replicas is not a key any more"):  # fmt: skip
        assert fragment in message
    assert len(message.splitlines()) == 1 + 7, "one line per problem"


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
    model = validated(config, secret_keys).models[0]
    assert (model.local_dir(ROOT), model.oss_source) == (None, ("shared-models", "fm"))


def test_defaults_are_derived_from_the_cluster_and_region(dev_config: ConfigFactory) -> None:
    cfg = validated(*dev_config())
    assert cfg.log_project == "k8s-log-c9522b942edaf4ec98c2cbc351ec8ade6"
    assert cfg.endpoint == "oss-cn-beijing-internal.aliyuncs.com"
    assert cfg.ingress_class == "nginx"
    model = cfg.models[0]
    assert (model.cpu, model.memory, model.model_load_timeout_seconds) == ("3", "12Gi", 900)


# --------------------------------------------------------------------------------------------------- Pulumi.yaml


def _pulumi_type(info: FieldInfo) -> str | None:
    """The Pulumi project-schema type of a scalar key; ``None`` for an object, list or secret."""
    annotation = info.annotation
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    (inner,) = [a for a in typing.get_args(annotation) if a is not type(None)] if union else [annotation]
    if typing.get_origin(inner) is typing.Annotated:
        inner = typing.get_args(inner)[0]
    if typing.get_origin(inner) is typing.Literal:
        kinds = {type(v) for v in typing.get_args(inner)}
        inner = kinds.pop() if len(kinds) == 1 else None
    names: dict[Any, str] = {bool: "boolean", int: "integer", str: "string"}
    return None if inner is SecretStr else names.get(inner)


def test_pulumi_yaml_declares_every_scalar_key_as_the_program_reads_it() -> None:
    """Keys, types, descriptions and defaults of ``Pulumi.yaml`` are those of :class:`StackConfig`.

    Pulumi treats a declared key without ``default`` as required, and checks a default against the declared type;
    so an optional string without a natural default is declared with ``default: ""`` (the loader reads it as unset),
    and a key whose default depends on another key (createNamespace: true unless the namespace is ``default``) cannot
    be declared at all: Pulumi.yaml explains it instead, with the objects and the secrets.
    """
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == PROJECT
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["virtualenv"] == "venv"
    declared: dict[str, Any] = project["config"]
    model = fields(StackConfig)
    scalar = {k: f for k, f in model.items() if _pulumi_type(f) is not None and k not in SECRET_KEYS}
    derived = {k for k, f in scalar.items() if not f.is_required() and f.default is None and _pulumi_type(f) != "string"}
    assert derived == {"createNamespace"}
    assert set(declared) == set(scalar) - derived
    for key, info in scalar.items():
        if key in derived:
            continue
        entry = declared[key]
        assert entry["type"] == _pulumi_type(info), key
        assert entry["description"] == info.description, key
        if info.is_required():
            assert "default" not in entry, key
        else:
            assert entry["default"] == ("" if info.default is None else info.default), key
    text = (ROOT / "Pulumi.yaml").read_text()
    undeclared = set(model) - set(declared)
    assert undeclared == {"models", "addons", "kubeconfig", "ossAccessKeyId", "ossAccessKeySecret", "createNamespace"}
    comments = "\n".join(line for line in text.splitlines() if line.lstrip().startswith("#"))
    for key in undeclared:
        assert key in comments, f"{key} is neither declared nor explained in Pulumi.yaml"


# --------------------------------------------------------------------------------------------------- odd values

MORE_CASES: list[tuple[str, Change, str]] = [
    ("infinite gpu", lambda c: models_of(c)[0].update({"gpu": float("inf")}), "models[0].gpu = inf: must be a whole number >= 1"),
    ("huge max replicas", lambda c: models_of(c)[0].update({"maxReplicas": "1e400"}), "models[0].maxReplicas = '1e400': must be a whole number >= 1"),
    ("infinite price limit", lambda c: unit(c, 1).update({"spotStrategy": "SpotWithPriceLimit", "priceLimit": float("inf")}), "units[1].priceLimit = inf: must be a number > 0"),
    ("NUL in the model path", lambda c: models_of(c)[0].update({"source": "models/\x00x"}), "whose segments hold only letters, digits"),
    ("seldonDeploymentName too long", lambda c: models_of(c)[0].update({"seldonDeploymentName": "d" * 58}), "seldonDeploymentName = '" + "d" * 58 + "': must be at most 57 characters"),
    ("route label too long", lambda c: c.update({f"{P}:namespace": "n" * 40}), "sls.ingress.route label"),
    ("add-on override not an object", lambda c: c.update({f"{P}:addons": {"seldon-core": False}}), "addons.seldon-core = False: must be an object"),
    ("add-on version not a string", lambda c: c.update({f"{P}:addons": {"seldon-core": {"version": 1.1}}}), "addons.seldon-core.version = 1.1: must be a non-empty string"),
]  # fmt: skip


@pytest.mark.parametrize(("label", "change", "expected"), MORE_CASES, ids=[c[0] for c in MORE_CASES])
def test_odd_values_get_a_clear_message_not_a_traceback(
    dev_config: ConfigFactory, label: str, change: Change, expected: str
) -> None:
    config, secret_keys = edit(dev_config, change)
    found = problems(config, secret_keys)
    assert any(expected in p for p in found), f"{label}: {expected!r} not in {found}"


def test_indices_and_keys_in_messages_point_at_the_config_entry(dev_config: ConfigFactory) -> None:
    def bad_values(c: dict[str, Any]) -> None:
        twin = copy.deepcopy(models_of(c)[0]) | {"name": "other"}
        models_of(c)[0]["units"].insert(1, {"name": "Bad Unit", "max": 1, "specs": ["ecs.gn6i-c4g1.xlarge"]})
        models_of(c).insert(1, {"name": "broken"})
        twin["units"][1]["spotStrategy"] = "Cheap"
        models_of(c).append(twin)

    found = problems(*edit(dev_config, bad_values))
    assert any(p.startswith(f"{P}:models[0].units[1].name = 'Bad Unit': must be a DNS label") for p in found), found
    assert any(p.startswith(f"{P}:models[1].source is required") for p in found), found
    assert any(p.startswith(f"{P}:models[2].units[1].spotStrategy = 'Cheap'") for p in found), found

    # Rules that relate several keys run on values that passed their own checks (pydantic runs a model's
    # validators once its fields are valid), and name the entry they are about.
    def twin(c: dict[str, Any]) -> None:
        models_of(c).append(copy.deepcopy(models_of(c)[0]) | {"name": "other", "host": "other.example.com"})

    def duplicate_unit(c: dict[str, Any]) -> None:
        twin(c)
        units = models_of(c)[1]["units"]
        units.insert(1, copy.deepcopy(units[0]) | {"min": 0})  # on-demand units come before the spot one

    found = problems(*edit(dev_config, duplicate_unit))
    assert found == [f"{P}:models[1].units[1].name = 'virtual-kubelet-1': unit names must be unique within a model"]
    found = problems(*edit(dev_config, twin))
    assert found == [f"{P}:models[1].seldonDeploymentName = 'fashion-mnist-eci': must be unique across models"]


# --------------------------------------------------------------------------------------------------- issue 8, point 7


def _staging(change: Change) -> tuple[dict[str, Any], list[str]]:
    config, secret_keys = stack_config("staging")
    change(config)
    return config, secret_keys


def _same_host(c: dict[str, Any]) -> None:
    twin = copy.deepcopy(models_of(c)[0]) | {"name": "fashion-mnist-b", "seldonDeploymentName": "fashion-mnist-b"}
    models_of(c).append(twin)
    for model in models_of(c):
        model["host"] = "fashion.example.com"


MISTAKES: list[tuple[str, str, Change, str]] = [
    ("near-miss project namespace", "dev", lambda c: c.update({"eci-inferense:namespace": "prod"}),
     f"eci-inferense:namespace is in namespace 'eci-inferense', not this project's '{P}' (did you mean {P}:namespace?)"),
    ("replicas given", "dev", lambda c: models_of(c)[0].update({"replicas": 50}),
     f"{P}:models[0].replicas is not a key any more: the HPA owns the replica count and starts it at minReplicas"),
    ("unit minima above maxReplicas", "dev", lambda c: models_of(c)[0].update({"maxReplicas": 2, "sourceMin": 1}),
     f"{P}:models[0].units = [1, 1]: the units' min (plus sourceMin) add up to 3, above maxReplicas = 2"),
    ("gpu 1000", "dev", lambda c: models_of(c)[0].update({"gpu": 1000}),
     f"{P}:models[0].gpu = 1000: must be a whole number >= 1 and <= 16"),
    ("memory zero", "dev", lambda c: models_of(c)[0].update({"memory": "0"}),
     f"{P}:models[0].memory = '0': must be more than zero"),
    ("stabilization above the API server's 3600", "dev", lambda c: models_of(c)[0].update({"scaleDownStabilizationSeconds": 999999}),
     f"{P}:models[0].scaleDownStabilizationSeconds = 999999: must be a whole number >= 0 and <= 3600"),
    ("two models on one host", "dev", _same_host,
     f"{P}:models[1].host = 'fashion.example.com': models[0] is served on the same host and path '/'"),
    ("a cron that never fires", "staging", lambda c: models_of(c)[0]["schedules"][0].update({"cron": "0 8 31 2 *"}),
     f"{P}:models[0].schedules[0].cron = '0 8 31 2 *': never fires"),
    ("cpu above the spec's vCPUs", "dev", lambda c: models_of(c)[0].update({"cpu": "4"}),
     f"{P}:models[0].units[0].specs[0] = 'ecs.gn6i-c4g1.xlarge': the pod does not fit it: the pod requests 5.0 vCPU, ecs.gn6i-c4g1.xlarge has 4"),
    ("a spec not in the table", "dev", lambda c: unit(c, 0).update({"specs": ["ecs.gn6i-c4g1.xlarg"]}),
     f"{P}:models[0].units[0].specs[0] = 'ecs.gn6i-c4g1.xlarg': is not an ECI GPU instance type this stack knows (did you mean 'ecs.gn6i-c4g1.xlarge'?)"),
    ("gpu not the spec's GPU count", "dev", lambda c: models_of(c)[0].update({"gpu": 2}),
     f"{P}:models[0].units[1].specs[0] = 'ecs.gn6i-c4g1.xlarge': the pod does not fit it: the pod requests 2 GPU(s), ecs.gn6i-c4g1.xlarge has 1 x NVIDIA T4"),
    ("ack-virtual-node below the api-evict minimum", "dev", lambda c: c.update({f"{P}:addons": {VIRTUAL_NODE: {"version": "2.10.0"}}}),
     f"{P}:addons.ack-virtual-node.version = '2.10.0': is below 2.11.0, the first version that supports spotGracefulEviction"),
    ("schedules without the controller's time zone", "staging", lambda c: c.pop(f"{P}:cronControllerTimeZone"),
     f"{P}:cronControllerTimeZone is required when a model has schedules"),
]  # fmt: skip
"""(label, stack, change, the problem's line starts with): each mistake issue 8 found silently accepted."""


@pytest.mark.parametrize(("label", "stack", "change", "expected"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_silently_accepted_mistake_is_now_a_config_error(label: str, stack: str, change: Change, expected: str) -> None:
    config, secret_keys = stack_config(stack)
    validated(config, secret_keys)  # the stack as committed is valid
    change(config)
    found = problems(config, secret_keys)
    assert any(p.startswith(expected) for p in found), f"{label}: {expected!r} not in {found}"
    message, run = program_error(config, secret_keys)
    assert expected in message and "Traceback" not in message
    assert run.resources == []


def test_provider_namespaces_stay_allowed(dev_config: ConfigFactory) -> None:
    config, secret_keys = dev_config()
    config |= {"alicloud:region": "cn-beijing", "kubernetes:context": "ack", "pulumi:tags": {"team": "ml"}, "aws:region": "x"}
    validated(config, secret_keys)
    config["eci_inference:bucket"] = "other"
    found = problems(config, secret_keys)
    assert found == [
        f"eci_inference:bucket is in namespace 'eci_inference', not this project's '{P}' (did you mean {P}:bucket?); "
        "as written the program never reads it"
    ]


def test_the_add_on_minimum_applies_only_to_the_feature_that_needs_it(dev_config: ConfigFactory) -> None:
    assert {f: v for f, (v, _) in CATALOG[VIRTUAL_NODE].minimum.items()} == {
        "spotGracefulEviction": "2.11.0",
        "elasticWorkload": "v2.0.0.102-045a06eb4-aliyun",
    }
    pinned = {f"{P}:addons": {VIRTUAL_NODE: {"version": "2.10.0"}}}
    config, secret_keys = dev_config()
    config |= pinned
    models_of(config)[0]["spotGracefulEviction"] = False
    validated(config, secret_keys)  # no api-evict annotation: 2.10.0 is enough
    config, secret_keys = dev_config()
    config |= pinned
    for u in models_of(config)[0]["units"]:
        u.pop("spotStrategy", None)
    validated(config, secret_keys)  # no spot unit: nothing to evict gracefully
    config, secret_keys = dev_config()
    config |= {f"{P}:addons": {VIRTUAL_NODE: {"version": "v2.11.0"}}}
    addon = next(a for a in validated(config, secret_keys).installed_addons if a.name == VIRTUAL_NODE)
    assert addon.version == "v2.11.0"


# --------------------------------------------------------------------------------------------------- the formatter


TYPOS: list[tuple[str, Change, str]] = [
    ("top-level key", lambda c: c.update({f"{P}:clusterID": "c1"}),
     f"{P}:clusterID is not a known key (did you mean 'clusterId'?); allowed: clusterId, region, "),
    ("model key", lambda c: models_of(c)[0].update({"targetQPS": 5}),
     f"{P}:models[0].targetQPS is not a known key (did you mean 'targetQps'?); allowed: name, seldonDeploymentName, "),
    ("unit key", lambda c: unit(c, 1).update({"spotStrategi": "SpotAsPriceGo"}),
     f"{P}:models[0].units[1].spotStrategi is not a known key (did you mean 'spotStrategy'?); allowed: name, resource, specs, "),
    ("add-on name", lambda c: c.update({f"{P}:addons": {"ack-virtual-nod": {"version": "2.11.0"}}}),
     f"{P}:addons.ack-virtual-nod is not an add-on this stack installs (did you mean 'ack-virtual-node'?); allowed: ack-virtual-node, "),
    ("add-on key", lambda c: c.update({f"{P}:addons": {VIRTUAL_NODE: {"versoin": "2.11.0"}}}),
     f"{P}:addons.ack-virtual-node.versoin is not a known key (did you mean 'version'?); allowed: enabled, kind, version, "),
    ("schedule key", lambda c: models_of(c)[0].update({"schedules": [{"name": "s", "cron": "0 8 * * *", "targetSise": 2}]}),
     f"{P}:models[0].schedules[0].targetSise is not a known key (did you mean 'targetSize'?); allowed: name, cron, timeZone, targetSize"),
    ("a value of a closed set", lambda c: unit(c, 1).update({"spotStrategy": "SpotAsPriceG"}),
     f"{P}:models[0].units[1].spotStrategy = 'SpotAsPriceG': must be one of SpotAsPriceGo, SpotWithPriceLimit (did you mean 'SpotAsPriceGo'?)"),
]  # fmt: skip


@pytest.mark.parametrize(("label", "change", "expected"), TYPOS, ids=[t[0] for t in TYPOS])
def test_a_typo_at_any_level_names_the_nearest_key_and_the_allowed_ones(
    dev_config: ConfigFactory, label: str, change: Change, expected: str
) -> None:
    config, secret_keys = edit(dev_config, change)
    found = problems(config, secret_keys)
    assert any(p.startswith(expected) for p in found), f"{label}: {expected!r} not in {found}"


def test_index_paths_name_the_entry_at_every_depth(dev_config: ConfigFactory) -> None:
    def change(c: dict[str, Any]) -> None:
        unit(c, 1)["spotStrategy"] = "Cheap"
        models_of(c)[0]["schedules"] = [{"name": "ok", "cron": "0 8 * * *", "targetSize": 2},
                                        {"name": "bad", "cron": "0 8 * * *", "targetSize": 0}]  # fmt: skip
        c[f"{P}:cronControllerTimeZone"] = "UTC"

    config, secret_keys = edit(dev_config, change)
    found = problems(config, secret_keys)
    assert sorted(found) == [
        f"{P}:models[0].schedules[1].targetSize = 0: must be a whole number >= 1 and <= 2147483647",
        f"{P}:models[0].units[1].spotStrategy = 'Cheap': must be one of SpotAsPriceGo, SpotWithPriceLimit",
    ]


RENAMED: list[tuple[str, str, Change, str]] = [
    ("deploymentName", "dev", lambda c: models_of(c)[0].update({"deploymentName": "x"}),
     f"{P}:models[0].deploymentName is not a key any more: it is now seldonDeploymentName"),
    ("replicas", "dev", lambda c: models_of(c)[0].update({"replicas": 1}),
     f"{P}:models[0].replicas is not a key any more: the HPA owns the replica count and starts it at minReplicas"),
    ("schedule minReplicas", "staging", lambda c: models_of(c)[0]["schedules"][0].update({"minReplicas": 6}),
     f"{P}:models[0].schedules[0].minReplicas is not a key any more: it is now targetSize"),
]  # fmt: skip


@pytest.mark.parametrize(("label", "stack", "change", "expected"), RENAMED, ids=[r[0] for r in RENAMED])
def test_a_renamed_or_removed_key_says_what_to_write_instead(label: str, stack: str, change: Change, expected: str) -> None:
    config, secret_keys = stack_config(stack)
    change(config)
    found = problems(config, secret_keys)
    assert any(p.startswith(expected) for p in found), f"{label}: {expected!r} not in {found}"
    assert not any("is not a known key" in p for p in found), found


SECRET = "TOPSECRET-9f3a"


def _assert_secret_absent(config: dict[str, Any], secret_keys: list[str], expected: str) -> None:
    found = problems(config, secret_keys)
    assert any(expected in p for p in found), found
    assert all(SECRET not in p for p in found), found
    message, run = program_error(config, secret_keys)
    assert expected in message
    assert SECRET not in message and "Traceback" not in message
    assert run.resources == []


def test_a_secret_on_a_plain_key_is_refused_without_printing_it(dev_config: ConfigFactory) -> None:
    config, secret_keys = dev_config()
    config[f"{P}:bucket"] = f"Not_A-Valid/Bucket-{SECRET}"
    secret_keys.append(f"{P}:bucket")
    _assert_secret_absent(
        config, secret_keys, "bucket is set as a secret, but the program passes it into resources in plain text"
    )
    assert any(p.startswith(f"{P}:bucket = [secret]: must be an OSS bucket name") for p in problems(config, secret_keys))


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("models", "[{" + SECRET, f"{P}:models = [secret]: must be a YAML object or list in the stack file"),
        ("ossAccessKeyIdd", SECRET, f"{P}:ossAccessKeyIdd is not a known key (did you mean 'ossAccessKeyId'?)"),
        ("eci-inferense:ossAccessKeyId", SECRET, f"(did you mean {P}:ossAccessKeyId?)"),
    ],
    ids=["unreadable JSON", "misspelt secret key", "misspelt namespace"],
)
def test_a_malformed_secret_is_never_printed(dev_config: ConfigFactory, key: str, value: Any, expected: str) -> None:
    config, secret_keys = dev_config()
    full = key if ":" in key else f"{P}:{key}"
    config[full] = value
    secret_keys.append(full)
    _assert_secret_absent(config, secret_keys, expected)


@pytest.mark.parametrize(
    ("key", "value"), [("ossAccessKeySecret", {"nested": SECRET}), ("kubeconfig", ["a", SECRET])], ids=["mapping", "list"]
)
def test_a_secret_of_the_wrong_type_is_never_printed(dev_config: ConfigFactory, key: str, value: Any) -> None:
    # Pulumi hands the program every value as text, so only a caller of load() can pass a structure.
    config, secret_keys = dev_config()
    config[f"{P}:{key}"] = value
    secret_keys.append(f"{P}:{key}")
    found = problems(config, secret_keys)
    assert f"{P}:{key} = [secret]: must be a non-empty string" in found
    assert all(SECRET not in p for p in found), found


def test_a_secret_that_breaks_a_rule_is_never_printed(dev_config: ConfigFactory) -> None:
    config, secret_keys = dev_config()
    config[f"{P}:volumeAuth"] = "rrsa"
    config[f"{P}:rrsaRoleName"] = "reader"
    config[f"{P}:ossAccessKeySecret"] = SECRET
    _assert_secret_absent(config, secret_keys, f"{P}:ossAccessKeySecret is set but volumeAuth is rrsa")
