"""``tools.tune``: the search finds the brute-force optimum, the recommendation meets the SLO when simulated again from
the file it wrote, it beats the committed setting where that one meets the SLO, the stack file keeps its comments,
and every bad input is one line and exit 2.

Searches here use small spaces and short traces (the whole space of ``default_space`` is for ``benchmarks/bench_tune.py``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.render.pipeline import render_stack
from tools.simulate import prices, worldfile
from tools.simulate.engine import simulate
from tools.simulate.objects import find_models
from tools.simulate.world import World
from tools.traces import pattern, read_trace
from tools.tune import EXIT_BAD_INPUT, EXIT_NO_SETTING, EXIT_OK, TuneError, cli
from tools.tune.evaluate import Context, Evaluator, render_model, run_one
from tools.tune.search import Slo, brute_force, search
from tools.tune.space import COMMITTED, Space, ahead_schedules, candidates, default_space, lead_seconds
from tools.tune.stackedit import rewrite, unified_diff

ROOT = Path(__file__).resolve().parent.parent
TINY = Space(
    target_qps=(10, 8),
    min_replicas=(1,),
    up_windows=(0,),
    down_windows=(300, 60),
    image_cache=(False, True),
    schedules=(COMMITTED,),
)


def _base(stack: str) -> Any:
    base, _ = cli.load_base(stack, None)
    return base


def _context(stack: str, trace: Any, duration: int, world: World) -> Context:
    base, sdep = cli.load_base(stack, None)
    return Context(base, trace, duration, world, prices.load(None), sdep)


# ------------------------------------------------------------------------------------------- the search


def test_the_search_finds_the_brute_force_optimum_of_a_small_space() -> None:
    trace = pattern("step:10:60:120")
    world = World(replica_qps=10.0, spot_reclaims=40.0, spot_notice=60.0)  # the seeds draw different reclaims
    ctx = _context("dev", trace, 900, world)
    settings = candidates(ctx.base, dataclasses.replace(TINY, image_cache=(True,)), trace, 900, world, 10.0)
    assert len(settings) >= 8
    slo = Slo(unmet=0.12)
    with Evaluator(ctx, settings, workers=1) as every:
        oracle = brute_force(every, len(settings), 3, slo)
        meeting = sum(all(slo.met(every.outcomes[(i, s)]) for s in range(3)) for i in range(len(settings)))
    with Evaluator(ctx, settings, workers=1) as ev:
        found = search(ev, len(settings), 3, slo, lambda _i: True)
    assert oracle is not None and found.best is not None
    assert 0 < meeting < len(settings)  # the SLO separates the space: the answer is not trivial
    assert (found.best.index, found.best.cost, found.best.unmet) == (oracle.index, oracle.cost, oracle.unmet)
    assert found.evaluations < len(settings) * 3  # and it ran fewer simulations than the brute force


def test_capacity_is_a_fact_of_the_world_never_the_candidates_target() -> None:
    trace = pattern("step:10:60:60")
    ctx = _context("dev", trace, 600, World(replica_qps=7.0))
    space = default_space(ctx.base, 7.0)
    assert max(space.target_qps) <= 7  # never above one pod's capacity
    eight = dataclasses.replace(ctx.base.current, target_qps=5)
    for settings in (ctx.base.current, eight):
        result = run_one(render_model(ctx, settings), ctx, 0)
        assert result.replica_qps == 7.0


def test_the_behavior_profiles_cover_both_windows_and_both_policies() -> None:
    # dev: scale-up window 0, scale-down window 300 (defaults), scaleUpPods 4, scaleDownPercent 10 (defaults).
    space = default_space(_base("dev"), 10.0)
    assert space.behaviors == (
        (0, 300, 4, 10),  # committed
        (30, 300, 4, 10),  # the other scale-up window
        (0, 120, 4, 50),  # a quicker scale-in: shorter window, larger percent
        (30, 120, 4, 50),
        (0, 300, 8, 10),  # twice the scale-up pods
    )


def test_a_behavior_reaches_the_rendered_hpa_and_the_simulation() -> None:
    trace = pattern("step:60:10:120")  # a fall from 60 to 10 qps at t = 120
    ctx = _context("dev", trace, 900, World(replica_qps=10.0))
    committed = run_one(render_model(ctx, ctx.base.current), ctx, 0)
    quick = dataclasses.replace(ctx.base.current, down_window=120, down_percent=50)
    model = render_model(ctx, quick)
    assert model.hpa.behavior is not None
    down = model.hpa.behavior.down
    assert (down.window, [(p.type, p.value, p.period) for p in down.policies]) == (120, [("Percent", 50, 60)])
    faster = run_one(model, ctx, 0)
    # 10 % a minute after a 300 s window keeps more pods than 50 % a minute after 120 s: it costs more.
    assert faster.cost[-1] < committed.cost[-1]


def test_a_candidate_the_config_layer_refuses_is_never_simulated() -> None:
    trace = pattern("step:10:60:60")
    ctx = _context("dev", trace, 600, World())
    bad = dataclasses.replace(ctx.base.current, min_replicas=12)  # above maxReplicas 10
    with Evaluator(ctx, [ctx.base.current, bad], workers=1) as ev:
        outcome = ev.run([(1, 0)])[0]
    assert outcome.refused is not None and "minReplicas" in outcome.refused and "maxReplicas" in outcome.refused


def test_schedules_are_placed_one_lead_ahead_of_a_rise() -> None:
    # A rise of 90 qps at t = 3600 (01:00 UTC on the default start). Lead: ECI start-up 150 + model load 20 + metric
    # delay 10 + window 15 + sync 15 = 210 s, so up at 3600 - 210 = 3390 -> 00:56 (floored to the minute), with the
    # pods the new level needs at target 10 (10), and down 420 s (two leads, in whole minutes) later, 01:03.
    world = World()
    trace = pattern("step:10:100:3600")
    assert lead_seconds(world, False) == 210
    planned = ahead_schedules(trace, 4500, world, 10, 1, 12, 10.0, False)
    assert planned == (("tune-up-1", "56 0 * * *", 10), ("tune-down-1", "3 1 * * *", 1))
    base = _base("dev")
    ctx = _context("dev", trace, 4500, world)
    ahead = dataclasses.replace(base.current, max_replicas=12, unit_max=(3, 12), schedules=planned)
    plain = dataclasses.replace(base.current, max_replicas=12, unit_max=(3, 12))
    first = [run_one(render_model(ctx, s), ctx, 0) for s in (ahead, plain)]
    ready_at_rise = [r.ready[3600] for r in first]
    assert ready_at_rise[0] >= 10 > ready_at_rise[1]  # the pods are Ready when the demand arrives


# ------------------------------------------------------------------------------------------- the command


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project's stack files (the model directory linked), so ``--write`` edits a copy."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.staging.yaml"):
        shutil.copy(ROOT / name, root / name)
    (root / "models").symlink_to(ROOT / "models")
    monkeypatch.setattr(cli, "PROJECT_DIR", root)
    return root


def _tiny(space: Space) -> Any:
    return lambda base, replica_qps: space


def test_the_written_recommendation_meets_the_slo_under_every_seed(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "default_space", _tiny(dataclasses.replace(TINY, down_windows=(300,), image_cache=(True,))))
    before = (project / "Pulumi.dev.yaml").read_text()
    out = tmp_path / "out"
    args = ["--stack", "dev", "--pattern", "step:10:60:120", "--duration", "900", "--replica-qps", "10"]
    args += ["--spot-reclaims", "40", "--slo-unmet", "0.12", "--seeds", "3", "--workers", "2", "--out", str(out), "--write"]
    assert cli.main(args) == EXIT_OK
    written = (project / "Pulumi.dev.yaml").read_text()
    assert written == (out / "stack.yaml").read_text() != before
    for line in before.splitlines():  # every comment survives, where it was
        if line.lstrip().startswith("#"):
            assert line in written
    assert written.splitlines()[:5] == before.splitlines()[:5]
    # the simulator, reading the written file through the program, confirms the SLO under each seed
    rendered = render_stack("dev", project_dir=project)
    model = find_models([dict(m.body) for m in rendered.manifests])[0]
    for seed in range(3):
        world = World(replica_qps=10.0, spot_reclaims=40.0, seed=seed)
        result = simulate(model, pattern("step:10:60:120"), 900, world, prices.load(None))
        unmet = sum(result.unmet[:900]) / sum(result.demand[:900])
        assert unmet <= 0.12
    summary = json.loads((out / "summary.json").read_text())
    assert summary["recommended"]["meetsSlo"] and summary["world"]["replica-qps"]["provenance"] == "given"
    assert summary["prices"]["provenance"] == "placeholder"
    assert (out / "tune.png").stat().st_size > 10_000
    used = worldfile.read(out / "world.yaml")  # the world it searched in, as tools.simulate --world reads it
    assert (used.values["replica-qps"], used.provenance["replica-qps"]) == (10.0, "given")
    assert (used.values["spot-reclaims"], used.values["startup-eci"], used.provenance["startup-eci"]) == (40.0, 150.0, "assumed")
    rows = (out / "pareto.csv").read_text().splitlines()
    assert rows[0].startswith("role,cost,") and any(r.startswith("recommended,") for r in rows)
    diff = (out / "stack.diff").read_text()
    assert diff.startswith("--- a/Pulumi.dev.yaml\n+++ b/Pulumi.dev.yaml\n")
    assert "recommended" in capsys.readouterr().out


def test_it_is_cheaper_than_the_committed_setting_where_that_meets_the_slo(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # staging under the reference step trace leaves 4.4 % unmet: within an SLO of 5 %.
    space = Space(
        target_qps=(10,),
        min_replicas=(2, 1),
        up_windows=(0,),
        down_windows=(120,),
        image_cache=(True,),
        schedules=(COMMITTED, "none"),
    )
    monkeypatch.setattr(cli, "default_space", _tiny(space))
    out = tmp_path / "out"
    args = ["--stack", "staging", "--trace", str(ROOT / "traces" / "step-10-100.csv"), "--slo-unmet", "0.05"]
    assert cli.main([*args, "--workers", "1", "--out", str(out)]) == EXIT_OK
    summary = json.loads((out / "summary.json").read_text())
    assert summary["current"]["meetsSlo"]
    assert summary["recommended"]["cost"] < summary["current"]["cost"]
    assert summary["recommended"]["unmetFraction"] <= 0.05


def test_no_setting_in_the_space_exits_6_with_the_closest(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "default_space", _tiny(dataclasses.replace(TINY, down_windows=(300,), image_cache=(True,))))
    out = tmp_path / "out"
    args = ["--stack", "dev", "--pattern", "step:10:100:60", "--slo-capacity", "5", "--workers", "1", "--no-plot"]
    assert cli.main([*args, "--out", str(out)]) == EXIT_NO_SETTING
    text = capsys.readouterr().out
    assert "closest" in text and "NO SETTING" in text and "start-up" in text
    assert not (out / "stack.yaml").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["recommended"] is None and summary["closest"] and summary["needed"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--stack", "nope", "--pattern", "step:1:2:3"], "--stack nope: no Pulumi.nope.yaml"),
        (["--stack", "dev", "--pattern", "step:1:2:3", "--slo-unmet", "1"], "--slo-unmet 1.0"),
        (["--stack", "dev", "--pattern", "step:1:2:3", "--slo-unmet", "-0.01"], "--slo-unmet -0.01"),
        (["--stack", "dev", "--pattern", "step:1:2:3", "--slo-capacity", "-1"], "--slo-capacity -1.0"),
        (["--stack", "dev", "--pattern", "step:1:2:3", "--seeds", "0"], "--seeds 0"),
        (["--stack", "dev", "--pattern", "step:1:2:3", "--seeds", "101"], "--seeds 101"),
        (["--stack", "dev", "--pattern", "step:1:2:3", "--replica-qps", "0"], "--replica-qps 0.0"),
        (["--stack", "dev", "--pattern", "step:1:2:3", "--spot-reclaims", "-1"], "--spot-reclaims -1.0"),
        (["--stack", "dev", "--pattern", "step:1:2:3", "--workers", "0"], "--workers 0"),
        (["--stack", "dev", "--pattern", "bogus:1"], "bogus"),
        (["--stack", "dev", "--trace", "/nonexistent/t.csv"], "/nonexistent/t.csv"),
        (["--stack", "dev", "--pattern", "step:1:2:3", "--duration", "99999999"], "--duration"),
        (["--stack", "dev", "--pattern", "step:1:2:3", "--model", "nope"], "--model nope"),
        (["--stack", "dev", "--pattern", "step:1:2:3", "--world", "/nonexistent/w.yaml"], "--world /nonexistent/w.yaml"),
        (["--stack", "dev", "--pattern", "step:1:2:3", "--prices", "/nonexistent/p.yaml"], "--prices /nonexistent/p.yaml"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], words: str
) -> None:
    assert cli.main([*args, "--out", str(tmp_path / "out")]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and words in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("option", "accepted", "refused"),
    [("slo_unmet", (0.0, 0.999), (1.0, -1e-9)), ("seeds", (1, 100), (0, 101)), ("slo_capacity", (0.0,), (-0.5,))],
)
def test_each_bound_at_its_edge(option: str, accepted: tuple[float, ...], refused: tuple[float, ...]) -> None:
    defaults = {"slo_unmet": 0.01, "slo_capacity": None, "seeds": 3, "replica_qps": None, "spot_reclaims": None, "workers": None}
    for value in accepted:
        cli._check(argparse.Namespace(**{**defaults, option: value}))
    for value in refused:
        with pytest.raises(TuneError):
            cli._check(argparse.Namespace(**{**defaults, option: value}))


def test_a_bad_world_file_is_refused_with_its_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    world = tmp_path / "world.yaml"
    world.write_text("format: 1\nparameters:\n  startup-eci: {value: -3, provenance: calibrated}\n  warp: {value: 1}\n")
    args = ["--stack", "dev", "--pattern", "step:1:2:3", "--world", str(world), "--out", str(tmp_path / "o")]
    assert cli.main(args) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "parameters.startup-eci.value = -3" in err and "parameters.warp: not a world parameter" in err


# ------------------------------------------------------------------------------------------- the stack file edit


def test_the_edit_keeps_comments_and_changes_only_what_it_must() -> None:
    text = (ROOT / "Pulumi.staging.yaml").read_text()
    config = yaml.safe_load(text)["config"]
    models = config["eci-inference:models"]
    models[0]["targetQps"] = 9
    models[0]["units"][2]["max"] = 12
    models[0]["scaleUpStabilizationSeconds"] = 30
    del models[0]["schedules"]
    edited = rewrite(text, {"models": models, "cronControllerTimeZone": "UTC"})
    assert yaml.safe_load(edited)["config"] == {
        **config,
        "eci-inference:models": models,
        "eci-inference:cronControllerTimeZone": "UTC",
    }
    # the comment on the time zone's line stays, the header comments stay
    assert "eci-inference:cronControllerTimeZone: UTC   # must equal the TZ the cronhpa controller runs with" in edited
    assert edited.splitlines()[:3] == text.splitlines()[:3]
    diff = unified_diff(text, edited, "Pulumi.staging.yaml")
    removed = [line for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert len(removed) == 4 + 8  # three scalars, the zone, the eight lines of schedules
    assert "+      scaleUpStabilizationSeconds: 30" in added and "+      targetQps: 9" in added
    assert "+          max: 12" in added


def test_an_unchanged_config_is_byte_identical_and_an_unsafe_edit_is_refused() -> None:
    text = (ROOT / "Pulumi.dev.yaml").read_text()
    models = yaml.safe_load(text)["config"]["eci-inference:models"]
    assert rewrite(text, {"models": models}) == text
    models[0].pop("name")  # the first key of a list item shares its line with the dash
    with pytest.raises(TuneError, match="shares its line"):
        rewrite(text, {"models": models})


def test_the_reference_diurnal_trace_is_what_the_benchmark_tunes() -> None:
    trace = read_trace(ROOT / "traces" / "diurnal-24h.csv")
    assert trace.peak >= 119 and trace.end >= 86_000


def test_the_pull_request_workflow_runs_the_tuner_with_options_it_takes() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "simulate.yml").read_text())
    scripts = [s.get("run", "") for s in workflow["jobs"]["simulate"]["steps"]]
    commands = [
        line.split("-m tools.tune", 1)[1].split(")", 1)[0]
        for script in scripts
        for line in script.replace("\\\n", " ").splitlines()
        if '"$python" -m tools.tune' in line
    ]
    assert len(commands) == 1
    words = [w.strip('"') for w in commands[0].split()]
    args = cli.parser().parse_args([w if not w.startswith("$") else "X" for w in words])
    assert (args.slo_unmet, args.seeds, args.no_plot) == (0.01, 3, True)
    table = next(s for s in scripts if "tuned cost" in s)
    assert 'Path("sim", "tune", stack, model, trace, "summary.json")' in table
