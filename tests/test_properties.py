"""Property-based tests (hypothesis): generated stacks render and pass ``--check``; a generated mutation that breaks
one rule is refused with exit 2 and one message naming its key; the stack-file and trace readers give a clean error or
a valid result for any input, never a traceback. Few examples each, so the suite stays fast."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackconfig import PROJECT, ConfigError, StackConfig, load
from tests.conftest import ROOT
from tests.test_config_bounds import _set
from tools import render
from tools.stackfile import StackFileError, read_stack_file, stack_file_config
from tools.traces import Trace, TraceError, pattern, read_trace

P = PROJECT
UP = ".."
"""A parent segment, spelled so that no literal path in this file points beside the repository."""
FEW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RENDERS = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
"""A render and its check take about half a second: six generated stacks keep this file within a few seconds."""


@pytest.fixture(scope="module")
def project() -> Iterator[Path]:
    """A project directory with the repository's Pulumi.yaml and models; each example writes Pulumi.gen.yaml."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory)
        (path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
        (path / "models").symlink_to(ROOT / "models", target_is_directory=True)
        yield path


LABEL = st.from_regex(r"[a-z][a-z0-9-]{0,9}[a-z0-9]", fullmatch=True)
SEGMENT = st.from_regex(r"[a-z0-9_-]{1,8}", fullmatch=True)


@st.composite
def stacks(draw: st.DrawFn) -> dict[str, Any]:
    """A valid stack's ``config:`` (a RAM role for the volume, so that it needs no secrets)."""
    on_demand: list[dict[str, Any]] = [
        {"name": f"od-{i}", "specs": ["ecs.gn6i-c4g1.xlarge"], "min": draw(st.integers(0, 2)), "max": 0}
        for i in range(draw(st.integers(1, 2)))
    ]
    for unit in on_demand:
        unit["max"] = draw(st.integers(max(1, unit["min"]), 4))
    spot: list[dict[str, Any]] = []
    for i in range(draw(st.integers(0, 2))):
        unit = {"name": f"spot-{i}", "specs": ["ecs.gn6i-c8g1.2xlarge"], "min": 0, "max": draw(st.integers(1, 5))}
        if draw(st.booleans()):
            unit |= {"spotStrategy": "SpotWithPriceLimit", "priceLimit": draw(st.integers(1, 999_999)) / 1000}
        else:
            unit["spotStrategy"] = "SpotAsPriceGo"
        spot.append(unit)
    units = on_demand + spot
    source_max = 0  # the source Deployment runs on ECS nodes, where the RAM role is not documented for the mount
    floor = sum(u["min"] for u in units)
    capacity = sum(u["max"] for u in units) + source_max
    max_replicas = draw(st.integers(max(floor, 1), capacity))
    grace = draw(st.integers(1, 180 if spot else 600))
    name = draw(LABEL)
    model: dict[str, Any] = {
        "name": name,
        "source": "models/fashion-mnist/1",
        "sourceMax": source_max,
        "units": units,
        "maxReplicas": max_replicas,
        "minReplicas": draw(st.integers(1, max_replicas)),
        "targetQps": draw(st.integers(1, 2**31 - 1)),
        "scaleUpStabilizationSeconds": draw(st.integers(0, 3600)),
        "scaleDownStabilizationSeconds": draw(st.integers(0, 3600)),
        "terminationGracePeriodSeconds": grace,
        "preStopSeconds": draw(st.integers(0, grace - 1)),
        "version": draw(st.integers(1, 2**63 - 1)),
    }
    if draw(st.booleans()):
        model["host"] = f"{draw(LABEL)}.{draw(LABEL)}.com"
        model["tlsSecret"] = draw(LABEL)
    return {
        f"{P}:clusterId": "c" + draw(st.from_regex(r"[0-9a-z]{16,32}", fullmatch=True)),
        f"{P}:region": draw(st.sampled_from(["cn-beijing", "cn-hangzhou", "ap-southeast-1"])),
        f"{P}:namespace": draw(LABEL),
        f"{P}:bucket": draw(st.from_regex(r"[a-z0-9][a-z0-9-]{1,20}[a-z0-9]", fullmatch=True)),
        f"{P}:modelPrefix": "/".join(draw(st.lists(SEGMENT, min_size=1, max_size=3))),
        f"{P}:volumeAuth": "ramRole",
        f"{P}:ramRoleName": draw(LABEL),
        f"{P}:models": [model],
    }


def write_stack(project: Path, config: dict[str, Any]) -> None:
    """The stack file, every string double-quoted so that the YAML writer's rules do not decide what it means."""
    text = yaml.safe_dump({"config": config}, sort_keys=False, default_style='"', width=4096)
    (project / "Pulumi.gen.yaml").write_text(text)


def run_render(project: Path, *extra: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), tempfile.TemporaryDirectory() as out:
        status = render.main(["--stack", "gen", "--project-dir", str(project), "--out", f"{out}/r", *extra])
    return status, err.getvalue()


@RENDERS
@given(config=stacks())
def test_a_generated_valid_stack_renders_and_passes_check(project: Path, schemas_dir: Path, config: dict[str, Any]) -> None:
    write_stack(project, config)
    assert stack_file_config(project / "Pulumi.gen.yaml") == (config, [])  # read back as written
    rendered = render.render_stack("gen", project_dir=project)
    assert render.check(rendered, schemas_dir) == []


MUTATIONS: list[tuple[str, Any]] = [
    ("models[0].gpu", 0),
    ("models[0].targetQps", 2**31),
    ("models[0].version", 2**63),
    ("models[0].scaleDownStabilizationSeconds", 3601),
    ("models[0].servingImage", "tensorflow/serving:latest"),
    ("models[0].proxyImage", "tensorflow/serving"),
    ("models[0].host", "h" * 64 + ".example.com"),
    ("models[0].tlsSecret", "Bad_Secret"),
    ("models[0].source", f"{UP}/models/fashion-mnist/1"),
    ("models[0].source", f"oss://bucket-x/{UP}/y"),
    ("modelPrefix", f"{UP}/{UP}/etc"),
    ("namespace", "serving\n"),
    ("region", "cn-beijing\n"),
    ("bucket", "Bad_Bucket"),
    ("createBucket", "yes"),
    ("models[0].units[0].priceLimit", 1e308),
]


@FEW
@given(config=stacks(), mutation=st.sampled_from(MUTATIONS))
def test_a_generated_mutation_is_refused_with_one_message_naming_its_key(
    project: Path, config: dict[str, Any], mutation: tuple[str, Any]
) -> None:
    key, value = mutation
    broken = copy.deepcopy(config)
    _set(broken, key, value)
    if key == "models[0].units[0].priceLimit":  # a price on an on-demand unit, where it means nothing
        broken[f"{P}:models"][0]["units"][0]["spotStrategy"] = "SpotWithPriceLimit"
    write_stack(project, broken)
    status, err = run_render(project)
    assert status == 2, err
    assert "Traceback" not in err
    assert "invalid stack configuration (1 problem(s))" in err, err
    assert f"  - {P}:{key} " in err, err


@FEW
@given(config=stacks(), bump=st.integers(1, 3))
def test_min_replicas_above_max_is_refused_alone(project: Path, config: dict[str, Any], bump: int) -> None:
    model = config[f"{P}:models"][0]
    model["minReplicas"] = model["maxReplicas"] + bump
    write_stack(project, config)
    status, err = run_render(project)
    assert status == 2 and "invalid stack configuration (1 problem(s))" in err, err
    assert f"  - {P}:models[0].minReplicas = {model['minReplicas']}: is greater than maxReplicas" in err


# ------------------------------------------------------------------------------------------ reader fuzzing

TOKENS = st.sampled_from(
    [
        "config:\n", "  eci-inference:models:\n", "  eci-inference:namespace: ", "    - ", "name: ", "&a ", "*a ", "&b [*b]",
        "!!binary aGk=", "!!set ", "!x ", "<<: ", "{", "}", "[", "]", ", ", ": ", "? ", "yes", "no", "1e3", ".inf",
        "0x1F", "2024-01-01", "~", "'q'", '"d\\n"', "\t", "\n", "  ", "#c", "secure: x", "- a", "\x00", "\u2028",
        "%YAML 1.1\n---\n", "...\n", "---\n", "|\n  t\n", ">-\n  f\n", "12: x\n", "models", "config",
    ]
)  # fmt: skip
STACK_TEXT = st.one_of(st.lists(TOKENS, max_size=30).map("".join), st.text(max_size=300))


@settings(max_examples=100, deadline=None)
@given(data=st.one_of(STACK_TEXT, st.binary(max_size=300)))
def test_any_stack_file_is_read_or_refused_cleanly(data: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "Pulumi.x.yaml"
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
        try:
            config = read_stack_file(path)
        except StackFileError as error:
            assert str(error).startswith(str(path)) and "Traceback" not in str(error)
            return
    json.dumps(config, allow_nan=False)  # what Pulumi would pass is JSON
    for value in config.values():
        assert isinstance(value, (str, list, dict))
    try:
        assert isinstance(load(config, [], ROOT), StackConfig)
    except ConfigError as error:
        assert error.problems


CSV_TOKENS = st.sampled_from(
    ["t,qps\n", "qps,t\n", "T, QPS\n", "0,1\n", "1,2\n", "1e308,1\n", "-1,1\n", "2,-1\n", "nan,1\n", "1,inf\n", "3,1,2\n",
     "#c\n", "\n", ",\n", '"', "\x00", "\r", "1_0,1\n", "a,b\n", "5,1e400\n"]
)  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(data=st.one_of(st.lists(CSV_TOKENS, max_size=20).map("".join), st.text(max_size=200), st.binary(max_size=200)))
def test_any_trace_file_is_read_or_refused_cleanly(data: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "t.csv"
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
        try:
            trace = read_trace(path)
        except TraceError as error:
            assert str(error).startswith(str(path))
            return
    valid_trace(trace)


def valid_trace(trace: Trace) -> None:
    assert trace.times[0] == 0.0 and list(trace.times) == sorted(set(trace.times))
    assert all(math.isfinite(q) and q >= 0 for q in trace.qps) and len(trace.qps) == len(trace.times)


NUMBER = st.sampled_from(["0", "1", "60", "1e308", "1e-300", "-1", "nan", "inf", "x", "", "86400", "0.5"])


@settings(max_examples=100, deadline=None)
@given(name=st.sampled_from(["step", "ramp", "spike", "diurnal", "wave"]), numbers=st.lists(NUMBER, max_size=6))
def test_any_pattern_is_built_or_refused_cleanly(name: str, numbers: list[str]) -> None:
    try:
        trace = pattern(":".join([name, *numbers]))
    except TraceError:
        return
    valid_trace(trace)


def test_a_field_over_the_csv_limit_is_a_trace_error(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('t,qps\n"' + "x" * 200_000 + '",1\n')
    with pytest.raises(TraceError, match="not a t,qps CSV file"):
        read_trace(path)


@pytest.mark.parametrize("spec", ["ramp:1:2:0:1e308:1e-300", "diurnal:1:2:1e308:1e-300"])
def test_a_pattern_with_an_infinite_number_of_points_is_a_trace_error(spec: str) -> None:
    with pytest.raises(TraceError, match="more than"):
        pattern(spec)
