"""Hostile values the config layer refuses with its usual message: a trailing newline in any name, paths that leave
their root, images that are not pinned, spot capacity listed first, weak SavedModels; and what it must still accept
(digests, names at their longest, on-demand node pools before spot)."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stackconfig import PROJECT, ConfigError
from tests.conftest import ROOT, plain_id, stack_config, validated
from tests.test_config_bounds import _set
from tools import render

P = PROJECT
UP = ".."
"""A parent segment, spelled so that no literal path in this file points beside the repository."""
DIGEST = "sha256:" + "0123456789abcdef" * 4
"""A well-formed digest for the grammar tests only (no stack file uses it)."""


def problems(config: dict[str, Any], secret_keys: list[str]) -> list[str]:
    try:
        validated(config, secret_keys)
    except ConfigError as error:
        return error.problems
    return []


def on_key(key: str, value: Any, stack: str = "dev", setup: Callable[[dict[str, Any]], None] | None = None) -> list[str]:
    config, secret_keys = stack_config(stack)
    if setup is not None:
        setup(config)
    _set(config, key, value)
    return [p for p in problems(config, secret_keys) if p.startswith(f"{P}:{key} ")]


# --------------------------------------------------------------------------------------- a trailing newline

NAMED = [
    ("region", "cn-beijing"),
    ("clusterId", "c9522b942edaf4ec98c2cbc351ec8ade6"),
    ("namespace", "serving"),
    ("bucket", "eci-inference-dev-models"),
    ("modelPrefix", "arena/models"),
    ("ossEndpoint", "oss-cn-beijing-internal.aliyuncs.com"),
    ("slsProject", "k8s-log-x"),
    ("slsLogstore", "nginx-ingress"),
    ("ingressClass", "nginx"),
    ("models[0].name", "fashion-mnist"),
    ("models[0].seldonDeploymentName", "fashion-mnist-eci"),
    ("models[0].predictorName", "predictor"),
    ("models[0].source", "models/fashion-mnist/1"),
    ("models[0].proxyImage", "registry.cn-beijing.aliyuncs.com/deepai/seldonio-tfserving-proxy_rest:1.3.0"),
    ("models[0].servingImage", "tensorflow/serving:2.3.0-gpu"),
    ("models[0].host", "fashion-mnist.example.com"),
    ("models[0].tlsSecret", "fashion-mnist-tls"),
    ("models[0].cpu", "3"),
    ("models[0].memory", "12Gi"),
    ("models[0].units[0].name", "virtual-kubelet-1"),
    ("models[0].units[0].specs[0]", "ecs.gn6i-c4g1.xlarge"),
]


@pytest.mark.parametrize(("key", "value"), NAMED, ids=[n[0] for n in NAMED])
def test_a_trailing_newline_is_refused_on_every_validated_name(key: str, value: str) -> None:
    assert on_key(key, value) == [], f"{key} = {value!r} should be accepted"
    assert on_key(key, value + "\n"), f"{key} = {value + chr(10)!r} was accepted"


def test_a_trailing_newline_is_refused_in_the_rrsa_role_and_node_pool() -> None:
    def rrsa(c: dict[str, Any]) -> None:
        c[f"{P}:volumeAuth"] = "rrsa"
        c.pop(f"{P}:ossAccessKeyId")
        c.pop(f"{P}:ossAccessKeySecret")

    def former(c: dict[str, Any]) -> None:
        c[f"{P}:models"][0]["formerNames"] = ["x"]

    assert on_key("models[0].formerNames[0]", "old-name\n", setup=former)
    assert on_key("rrsaRoleName", "reader", setup=rrsa) == []
    assert on_key("rrsaRoleName", "reader\n", setup=rrsa)
    assert on_key("models[0].units[0].nodePoolId", "np1234\n", stack="staging")
    assert on_key("models[0].units[0].nodePoolId", "np1234", stack="staging") == []


# --------------------------------------------------------------------------------------------- paths

TRAVERSALS = [
    ("modelPrefix", f"{UP}/{UP}/etc"),
    ("modelPrefix", f"models/{UP}/{UP}/etc"),
    ("modelPrefix", "./models"),
    ("modelPrefix", "."),
    ("modelPrefix", "/models"),
    ("modelPrefix", "models//x"),
    ("modelPrefix", "models\\x"),
    ("modelPrefix", "models/"),
    ("models[0].source", f"{UP}/eci-inference/models/fashion-mnist/1"),
    ("models[0].source", f"models/{UP}/models/fashion-mnist/1"),
    ("models[0].source", "./models/fashion-mnist/1"),
    ("models[0].source", str(ROOT / "models" / "fashion-mnist" / "1")),
    ("models[0].source", "models\\fashion-mnist\\1"),
    ("models[0].source", "models//fashion-mnist/1"),
    ("models[0].source", "file:///etc"),
    ("models[0].source", f"oss://shared-models/{UP}/x"),
    ("models[0].source", "oss://shared-models/a/./b"),
    ("models[0].source", "oss://shared-models//x"),
    ("models[0].source", "oss://shared-models/a\\b"),
    ("models[0].source", "oss://shared-models/.."),
]


@pytest.mark.parametrize(("key", "value"), TRAVERSALS, ids=[plain_id(f"{k}={v}") for k, v in TRAVERSALS])
def test_a_path_that_leaves_its_root_is_refused(key: str, value: str) -> None:
    found = on_key(key, value)
    assert len(found) == 1 and found[0].startswith(f"{P}:{key} = {value!r}: must be"), found


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("models[0].source", "models/fashion-mnist/1/"),
        ("models[0].source", "oss://shared-models/fm/"),
        ("modelPrefix", "a.b/c_d-e"),
    ],
)
def test_paths_inside_their_root_are_accepted(key: str, value: str) -> None:
    assert on_key(key, value) == []


def test_no_absolute_path_of_this_machine_reaches_the_render() -> None:
    rendered = render.render_stack("dev")
    for name, text in rendered.files.items():
        assert str(ROOT) not in text, name


# --------------------------------------------------------------------------------------------- images

GOOD_IMAGES = [
    "tensorflow/serving:2.3.0-gpu",
    f"tensorflow/serving@{DIGEST}",
    f"tensorflow/serving:2.3.0-gpu@{DIGEST}",
    f"registry.cn-beijing.aliyuncs.com/deepai/seldonio-tfserving-proxy_rest@{DIGEST}",
    "localhost:5000/a__b/c-d.e:v1",
    "Registry.Example.COM:443/team/model--server:1_0",
]
BAD_IMAGES = [
    ("tensorflow/serving", "has no tag"),
    ("tensorflow/serving:latest", "uses the :latest tag"),
    ("tensorflow/Serving:1", "must be an image reference"),
    ("tensorflow/serving:", "must be an image reference"),
    ("tensorflow/serving@sha256:abc", "must be an image reference"),
    (f"tensorflow/serving@{DIGEST.upper()}", "must be an image reference"),
    ("tensorflow/serving@md5:" + "0" * 32, "must be an image reference"),
    ("tensorflow/serving:-x", "must be an image reference"),
    ("tensor flow/serving:1", "must be an image reference"),
    ("tensorflow//serving:1", "must be an image reference"),
    ("tensorflow/serving:1\n", "must be an image reference"),
]


@pytest.mark.parametrize("image", GOOD_IMAGES)
def test_image_references_by_tag_or_digest_are_accepted_everywhere(image: str) -> None:
    def cached(c: dict[str, Any]) -> None:
        c[f"{P}:models"][0]["imageCache"] = {"extraImages": [image]}

    assert on_key("models[0].servingImage", image, setup=cached) == []
    assert on_key("models[0].proxyImage", image) == []


@pytest.mark.parametrize(("image", "why"), BAD_IMAGES, ids=[plain_id(b[0]) for b in BAD_IMAGES])
def test_unpinned_or_malformed_images_are_refused_everywhere(image: str, why: str) -> None:
    for key in ("models[0].servingImage", "models[0].proxyImage", "models[0].imageCache.extraImages[0]"):
        config, secret_keys = stack_config("dev")
        config[f"{P}:models"][0]["imageCache"] = {"extraImages": ["tensorflow/serving:2.3.0-gpu"]}
        _set(config, key, image)
        found = [p for p in problems(config, secret_keys) if p.startswith(f"{P}:{key} = ")]
        assert len(found) == 1 and why in found[0], (key, found)


def test_a_digest_pinned_image_renders_and_passes_check(schemas_dir: Path) -> None:
    config, _ = render.render_config("dev")
    models = copy.deepcopy(config[f"{P}:models"])
    models[0]["servingImage"] = f"tensorflow/serving:2.3.0-gpu@{DIGEST}"
    rendered = render.render_stack("dev", {"models": models})
    assert f"tensorflow/serving:2.3.0-gpu@{DIGEST}" in "".join(rendered.files.values())
    assert render.check(rendered, schemas_dir) == []


# --------------------------------------------------------------------------------------------- unit order


def test_a_spot_unit_before_on_demand_ones_is_refused() -> None:
    config, secret_keys = stack_config("dev")
    units = config[f"{P}:models"][0]["units"]
    units.reverse()
    assert problems(config, secret_keys) == [
        f"{P}:models[0].units[1] = 'virtual-kubelet-1': is on-demand but comes after spot units[0] (virtual-kubelet-2); "
        "pods fill units in order, so list every on-demand unit before the spot ones"
    ]


def test_a_node_pool_after_spot_is_refused_and_before_it_accepted() -> None:
    config, secret_keys = stack_config("staging")
    units = config[f"{P}:models"][0]["units"]
    assert problems(copy.deepcopy(config), secret_keys) == [], "staging lists its node pool first"
    units.append(units.pop(0))
    assert any(
        p.startswith(f"{P}:models[0].units[") and "is on-demand but comes after spot" in p for p in problems(config, secret_keys)
    )


def test_every_on_demand_unit_after_spot_is_named() -> None:
    config, secret_keys = stack_config("prod")
    units = config[f"{P}:models"][0]["units"]
    units.insert(1, units.pop(0))  # spot, on-demand, spot
    units.append(copy.deepcopy(units[1]) | {"name": "late"})  # spot, on-demand, spot, on-demand
    found = [p for p in problems(config, secret_keys) if "is on-demand but comes after spot" in p]
    assert [p.split(" = ")[0] for p in found] == [f"{P}:models[0].units[1]", f"{P}:models[0].units[3]"]


# ------------------------------------------------------------------------------------------ SavedModels

MODEL = ROOT / "models" / "fashion-mnist" / "1"


def _varint(value: int) -> bytes:
    out = b""
    while True:
        byte, value = value & 0x7F, value >> 7
        out += bytes([byte | (0x80 if value else 0)])
        if not value:
            return out


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def saved_model(tags: list[bytes], ops: list[bytes]) -> bytes:
    """A SavedModel written by hand from saved_model.proto / meta_graph.proto / graph.proto / node_def.proto:
    SavedModel{1: schema version, 2: MetaGraphDef{1: MetaInfoDef{4: tags}, 2: GraphDef{1: NodeDef{1: name, 2: op}}}}."""
    info = b"".join(_field(4, tag) for tag in tags)
    graph = b"".join(_field(1, _field(1, b"n%d" % i) + _field(2, op)) for i, op in enumerate(ops))
    return _varint(1 << 3 | 0) + _varint(1) + _field(2, _field(1, info) + _field(2, graph))


def _source(tmp_path: Path, name: str, pb: bytes | None, variables: bool = False) -> str:
    folder = tmp_path / name
    folder.mkdir()
    if pb is not None:
        (folder / "saved_model.pb").write_bytes(pb)
    if variables:
        shutil.copytree(MODEL / "variables", folder / "variables")
    return name


def _model_problems(tmp_path: Path, source: str) -> list[str]:
    from stackconfig import load

    config, secret_keys = stack_config("dev")
    config[f"{P}:models"][0]["source"] = source
    try:
        load(config, secret_keys, tmp_path)
    except ConfigError as error:
        return [p for p in error.problems if p.startswith(f"{P}:models[0].source")]
    return []


SAVED_MODELS: list[tuple[str, bytes | None, bool, str | None]] = [
    ("empty pb, no variables", b"", False, "saved_model.pb is empty"),
    ("no pb at all", None, True, "no saved_model.pb or saved_model.pbtxt there"),
    ("pb that is not a protobuf", b"\xff\xff\xff\xff", False, "saved_model.pb is not a SavedModel protobuf"),
    ("pb with no meta graph", _varint(8) + _varint(1), False, "saved_model.pb holds no meta graph"),
    ("meta graph not tagged serve", saved_model([b"train"], [b"Const"]), False, "no meta graph tagged 'serve'"),
    ("variables in the graph, none on disk", saved_model([b"serve"], [b"VarHandleOp"]), False, "its graph has variables"),
    ("VariableV2 in the graph, none on disk", saved_model([b"serve"], [b"VariableV2"]), False, "its graph has variables"),
    ("variables in the graph and on disk", saved_model([b"serve"], [b"VarHandleOp"]), True, None),
    ("a graph without variables needs none", saved_model([b"serve"], [b"Const", b"Identity"]), False, None),
]  # fmt: skip


@pytest.mark.parametrize(("label", "pb", "variables", "why"), SAVED_MODELS, ids=[s[0] for s in SAVED_MODELS])
def test_a_saved_model_must_be_one_tf_serving_can_load(
    tmp_path: Path, label: str, pb: bytes | None, variables: bool, why: str | None
) -> None:
    found = _model_problems(tmp_path, _source(tmp_path, "m", pb, variables))
    if why is None:
        assert found == [], label
    else:
        assert len(found) == 1 and why in found[0], (label, found)


def test_the_real_model_without_its_variables_is_refused(tmp_path: Path) -> None:
    source = _source(tmp_path, "m", (MODEL / "saved_model.pb").read_bytes())
    assert any("its graph has variables" in p for p in _model_problems(tmp_path, source))
    shutil.copytree(MODEL / "variables", tmp_path / "m" / "variables")
    assert _model_problems(tmp_path, source) == []


@pytest.mark.parametrize(
    ("stack", "route_rest"), [("dev", "-fashion-mnist-eci-predictor-8000"), ("prod", "-fashion-mnist-predictor-80")]
)
def test_names_at_their_longest_render_and_pass_check(schemas_dir: Path, stack: str, route_rest: str) -> None:
    """What the config layer accepts at its limits is what Kubernetes accepts: ``--check`` finds nothing. dev is served
    by Seldon, prod by KServe; each HPA route label (``<namespace><route_rest>``) is exactly 63 characters."""
    from tests.test_config_bounds import _host, _subdomain

    config, _ = render.render_config(stack)
    models = copy.deepcopy(config[f"{P}:models"])
    namespace = "n" * (63 - len(route_rest))
    models[0].update(host=_host(253), tlsSecret=_subdomain(253))
    models[0]["units"][0]["name"] = "u" * 63
    rendered = render.render_stack(stack, {"models": models, "namespace": namespace})
    assert render.check(rendered, schemas_dir) == []
    with pytest.raises(render.StackConfigInvalid, match=r"sls\.ingress\.route"):
        render.render_stack(stack, {"models": models, "namespace": namespace + "n"})


@pytest.mark.parametrize(("limit", "annotation"), [(0.001, "0.001"), (2.125, "2.125"), (999.999, "999.999"), (1000.0, "1000")])
def test_every_accepted_price_limit_reaches_the_annotation_exactly(limit: float, annotation: str) -> None:
    config, _ = render.render_config("prod")
    models = copy.deepcopy(config[f"{P}:models"])
    models[0]["units"][1]["priceLimit"] = limit
    rendered = render.render_stack("prod", {"models": models})
    assert f"k8s.aliyun.com/eci-spot-price-limit: '{annotation}'" in "".join(rendered.files.values())


@pytest.mark.parametrize("source", [f"{UP}/models/fashion-mnist/1", "/etc", f"models/{UP}/x", "models\\fashion-mnist\\2"])
def test_a_canary_source_that_leaves_the_project_is_refused(source: str) -> None:
    config, secret_keys = stack_config("dev")
    config[f"{P}:models"][0]["canary"] = {"version": 2, "weight": 10, "source": source}
    found = [p for p in problems(config, secret_keys) if p.startswith(f"{P}:models[0].canary.source = {source!r}: must be")]
    assert len(found) == 1, problems(config, secret_keys)
