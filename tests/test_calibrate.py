"""``tools.calibrate``: known world parameters are recovered from a noisy timeline the simulator made under them, what the
run cannot show is reported as not identifiable, ``tools.simulate --world`` reads the result, and bad input exits 2.

Tolerances (stated in docs/tune.md): creation-to-Ready within 5 s, metric delay within 5 s, metric window within one
grid step (15 s), one pod's capacity within 5 %.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
import yaml

from tools.calibrate import EXIT_BAD_INPUT, EXIT_OK
from tools.calibrate.cli import main
from tools.calibrate.fit import startup_samples
from tools.simulate import prices, report
from tools.simulate.cli import main as simulate_main
from tools.simulate.engine import simulate
from tools.simulate.objects import find_models, load_stack
from tools.simulate.world import World
from tools.traces import Trace

TRUE = World(startup_eci=100, model_load=20, startup_ecs=25, metric_delay=20, metric_window=30, replica_qps=8)
"""The world the observed run is made under (the dev stack's HPA target is 10 qps: its pods saturate at 8)."""
STEPS = [(0.0, 5.0), (120.0, 40.0), (600.0, 10.0), (900.0, 80.0), (1500.0, 20.0)]


def _observed(path: Path, points: list[tuple[float, float]], seconds: int, noise: bool) -> Path:
    """The dev stack's run under ``TRUE``, written as a timeline, with noise: demand +/- 3 %, served +/- 1 %, and each
    pod's Ready moved by up to 2 s either way (a real watcher sees a spread of start-up times)."""
    model = find_models(load_stack("dev"))[0]
    result = simulate(model, Trace.of(points, "observed"), seconds, TRUE, prices.load(None))
    report.write_timeline(result, path)
    if not noise:
        return path
    rng = random.Random(7)
    rows = list(csv.DictReader(path.read_text().splitlines()))
    units = [u.name for u in model.units]
    for unit in units:
        ready = [int(r[f"ready:{unit}"]) for r in rows]
        shift = [0] * len(rows)
        for t in range(1, len(rows)):
            for _ in range(max(0, ready[t] - ready[t - 1])):
                delta = rng.randint(-2, 2)
                span = range(t, t + delta) if delta > 0 else range(t + delta, t)
                for s in span:
                    if 0 <= s < len(rows):
                        shift[s] += -1 if delta > 0 else 1
        for t, row in enumerate(rows):
            row[f"ready:{unit}"] = str(max(0, min(int(row[f"replicas:{unit}"]), ready[t] + shift[t])))
    for t, row in enumerate(rows):
        row["ready"] = str(sum(int(row[f"ready:{u}"]) for u in units))
        demand = float(row["demand_qps"]) * (1 + rng.gauss(0, 0.03))
        capacity = int(result.ready[t]) * 8.0
        served = min(demand, capacity) * (1 + rng.gauss(0, 0.01))
        row["demand_qps"], row["served_qps"] = f"{demand:.3f}", f"{served:.3f}"
        row["unmet_qps"], row["cost"] = f"{max(0.0, demand - served):.3f}", ""
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _world(out: Path) -> dict[str, dict[str, object]]:
    document = yaml.safe_load((out / "world.yaml").read_text())
    parameters: dict[str, dict[str, object]] = document["parameters"]
    return parameters


def _value(entry: dict[str, object]) -> float:
    value = entry["value"]
    assert isinstance(value, float | int)
    return float(value)


def test_known_parameters_are_recovered_from_a_noisy_simulated_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    observed = _observed(tmp_path / "timeline.csv", STEPS, 1800, noise=True)
    out = tmp_path / "out"
    assert main([str(observed), "--stack", "dev", "--out", str(out)]) == EXIT_OK
    world = _world(out)
    # creation to Ready is start-up plus the (assumed, default 20 s) model load: 120 s for ECI, 45 s for the source
    assert abs(_value(world["startup-eci"]) + 20 - 120) <= 5 and world["startup-eci"]["provenance"] == "calibrated"
    assert abs(_value(world["startup-ecs"]) + 20 - 45) <= 5 and world["startup-ecs"]["provenance"] == "calibrated"
    assert abs(_value(world["metric-delay"]) - 20) <= 5 and world["metric-delay"]["provenance"] == "calibrated"
    assert abs(_value(world["metric-window"]) - 30) <= 15
    assert abs(_value(world["replica-qps"]) - 8) <= 0.4 and world["replica-qps"]["provenance"] == "calibrated"
    for key in ("startup-eci", "metric-delay", "replica-qps"):
        assert isinstance(world[key]["uncertainty"], float)
    # what a timeline cannot show keeps its default and says so
    assert world["model-load"]["provenance"] == "assumed" and _value(world["model-load"]) == 20
    assert world["startup-eci-cached"]["provenance"] == "assumed" and "not identifiable" in str(
        world["startup-eci-cached"]["basis"]
    )
    document = yaml.safe_load((out / "world.yaml").read_text())
    assert document["readyPodsRmse"]["after"] < document["readyPodsRmse"]["before"]
    assert (out / "calibration.png").stat().st_size > 10_000
    assert "ASSUMED" not in capsys.readouterr().out  # stdout names provenance in lower case, per parameter


def test_a_spot_unit_that_started_no_pod_is_not_identifiable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # At 25 qps the run starts with 3 Ready pods (source, one on-demand, one spot: the units' minima); the rise to 40
    # adds one on-demand ECI pod only, so no spot pod is ever created.
    observed = _observed(tmp_path / "timeline.csv", [(0.0, 25.0), (120.0, 40.0)], 600, noise=False)
    out = tmp_path / "out"
    assert main([str(observed), "--stack", "dev", "--out", str(out), "--no-plot"]) == EXIT_OK
    text = capsys.readouterr().out
    assert "virtual-kubelet-2 (spot eci): no pod of it went from created to Ready in the run" in text
    assert "virtual-kubelet-1 (eci): 1 pod(s)" in text
    assert _world(out)["startup-eci"]["provenance"] == "calibrated"


def test_a_flat_run_identifies_nothing_and_says_so(tmp_path: Path) -> None:
    observed = _observed(tmp_path / "timeline.csv", [(0.0, 15.0)], 600, noise=False)
    out = tmp_path / "out"
    assert main([str(observed), "--stack", "dev", "--out", str(out), "--no-plot"]) == EXIT_OK
    world = _world(out)
    for key in ("startup-eci", "startup-ecs", "replica-qps"):
        assert world[key]["provenance"] == "assumed", key
    assert world["metric-delay"]["provenance"] == "source"
    assert "not identifiable" in str(world["metric-delay"]["basis"])


def test_start_up_samples_match_pods_first_in_first_out() -> None:
    # t:        0  1  2  3  4  5  6  7  8  9
    created = [1, 1, 3, 3, 3, 2, 2, 3, 3, 3]  # +2 at t=2, -1 at t=5 (a waiting pod removed), +1 at t=7
    ready = [1, 1, 1, 1, 2, 2, 2, 2, 2, 3]  # the t=2 pods: one Ready at t=4; the t=7 pod Ready at t=9
    assert startup_samples(created, ready) == [2.0, 2.0]


def test_the_simulator_reads_the_world_file_and_its_options_win(tmp_path: Path) -> None:
    world = tmp_path / "world.yaml"
    world.write_text(
        "format: 1\nparameters:\n  startup-eci: {value: 60, uncertainty: 2, provenance: calibrated}\n"
        "  model-load: {value: 5, provenance: assumed}\n  replica-qps: {value: 12, provenance: calibrated}\n"
    )
    out = tmp_path / "sim"
    args = ["--stack", "dev", "--pattern", "step:10:100:60", "--world", str(world), "--no-plot"]
    assert simulate_main([*args, "--out", str(out)]) in (0, 4)
    summary = json.loads((out / "summary.json").read_text())
    assert [u["startupSeconds"] for u in summary["units"]] == [35, 65, 65] and summary["replicaQps"] == 12
    assert simulate_main([*args, "--model-load", "0", "--out", str(out)]) in (0, 4)
    summary = json.loads((out / "summary.json").read_text())
    assert [u["startupSeconds"] for u in summary["units"]] == [30, 60, 60]


HEADER = "t,demand_qps,metric_qps,hpa_desired,replicas,ready,replicas:virtual-kubelet-1,ready:virtual-kubelet-1,served_qps,unmet_qps,cost"


def _rows(seconds: int, replicas: int = 1) -> str:
    return "\n".join(f"{t},5,,,{replicas},{replicas},{replicas},{replicas},5,0," for t in range(seconds + 1))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty file"),
        ("t,demand_qps,replicas,ready\n0,1,1,1\n", "columns missing: metric_qps, hpa_desired, served_qps, unmet_qps, cost"),
        (HEADER + "\n" + _rows(299), "too short: 299 s; at least 300 s"),
        (HEADER + "\n" + _rows(400, replicas=0), "no pods observed"),
        (HEADER + "\n" + _rows(400).replace("\n7,5,", "\n7,five,", 1), ":9: demand_qps"),
        (HEADER + "\n" + _rows(400).replace("\n7,5,", "\n6,5,", 1), ":9: t = 6 is not after"),
        (HEADER + "\n0,5\n", ":2: expected 11 columns, found 2"),
        (HEADER.replace("virtual-kubelet-1", "gpu-pool") + "\n" + _rows(400), "none of its units (gpu-pool)"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, words: str) -> None:
    observed = tmp_path / "timeline.csv"
    observed.write_text(text)
    assert main([str(observed), "--stack", "dev", "--out", str(tmp_path / "out"), "--no-plot"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and words in err, err


def test_the_shortest_accepted_timeline_is_300_seconds(tmp_path: Path) -> None:
    observed = tmp_path / "timeline.csv"
    observed.write_text(HEADER + "\n" + _rows(300))
    assert main([str(observed), "--stack", "dev", "--out", str(tmp_path / "out"), "--no-plot"]) == EXIT_OK


def test_a_missing_file_and_a_missing_stack_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "none.csv"), "--stack", "dev", "--out", str(tmp_path / "o")]) == EXIT_BAD_INPUT
    assert "none.csv: cannot read" in capsys.readouterr().err
    observed = tmp_path / "timeline.csv"
    observed.write_text(HEADER + "\n" + _rows(400))
    assert main([str(observed), "--stack", "nope", "--out", str(tmp_path / "o")]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err.startswith("error: --stack nope")
    with pytest.raises(SystemExit) as exit_:
        main([str(observed), "--out", str(tmp_path / "o")])  # neither --stack nor --manifests
    assert exit_.value.code == EXIT_BAD_INPUT
