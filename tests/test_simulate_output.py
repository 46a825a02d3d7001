"""What the simulator tells a newcomer: the summary's words, a capacity that is never reached, CronHPA firings and
the rollout on the plot, and a ``diurnal`` trace that repeats (issue 20)."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from tools.simulate import plot
from tools.simulate.cli import main
from tools.simulate.engine import simulate
from tools.simulate.objects import find_models, load_manifest_dir
from tools.simulate.prices import load as load_prices
from tools.simulate.report import text, time_to_capacity
from tools.simulate.world import World
from tools.traces import pattern

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "simulate"


def test_time_to_capacity_stops_before_the_next_step() -> None:
    """Demand 1 -> 5 at t=10 and back to 1 at t=20; ready capacity (1 qps per pod) reaches 5 only at t=20, when the
    demand has already fallen: the increase was never met (it used to read "capacity after 10 s"). Met at t=19: 9 s.
    The last step may be met at the end itself."""
    times = range(31)
    demand = [1.0] * 10 + [5.0] * 10 + [1.0] * 11
    late = [1.0] * 20 + [5.0] * 11
    steps = [(10.0, 1.0, 5.0), (20.0, 5.0, 1.0)]
    assert time_to_capacity(steps, times, demand, late, 1.0, 30.0) == [None, 0]
    in_time = [1.0] * 19 + [5.0] * 12
    assert time_to_capacity(steps, times, demand, in_time, 1.0, 30.0) == [9, 0]
    last = [1.0] * 30 + [5.0]
    assert time_to_capacity([(10.0, 1.0, 5.0)], times, [1.0] * 10 + [5.0] * 21, last, 1.0, 30.0) == [20]


def test_spike_never_reached_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The dev objects under a 120 s spike to 100 qps: ECI pods need 170 s, so ready capacity never reaches 100 qps
    before the demand falls; stdout, summary.json and the plot's note say so."""
    out = tmp_path / "out"
    assert (
        main(["--manifests", str(FIXTURES / "dev-fixed"), "--pattern", "spike:10:100:60:120", "--no-plot", "--out", str(out)])
        == 0
    )
    printed = capsys.readouterr().out
    assert "demand at t=60 s: 10 -> 100 qps; ready capacity never reached 100 qps before the next change of demand" in printed
    assert "capacity after" not in printed
    data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert data["steps"][0]["secondsToCapacity"] is None and data["timeToCapacitySeconds"] is None
    model = find_models(load_manifest_dir(FIXTURES / "dev-fixed"))[0]
    result = simulate(model, pattern("spike:10:100:60:120"), 1080, World(), load_prices(None))
    texts = [t.get_text() for t in plot.scaling_figure(result, "spike").axes[0].texts]
    plt.close("all")
    assert "ready capacity never reached 100 qps" in texts


def test_day_summary_in_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Many changes of demand: one line that says what it counts (changes, increases, caught up or not, seconds)."""
    out = tmp_path / "out"
    args = ["--manifests", str(FIXTURES / "dev-fixed"), "--pattern", "diurnal:5:100:3600:60", "--duration", "3600"]
    assert main([*args, "--no-plot", "--out", str(out)]) == 0
    stats = json.loads((out / "summary.json").read_text(encoding="utf-8"))["stepStats"]
    up, never = stats["upSteps"], stats["upStepsNeverMet"]
    line = next(line for line in capsys.readouterr().out.splitlines() if "demand changed" in line)
    assert line.startswith(f"  demand changed {stats['count']} times, {up} of them increases; ready capacity caught up with ")
    assert f"{up - never} of the {up} increases (" in line and f"never with {never} before demand changed again" in line
    assert " s later on average, " in line and " s at worst)" in line


def test_summary_with_no_increase_caught_up() -> None:
    data = {
        "model": "m", "mode": "deployment", "target": "Deployment/m", "trace": {"name": "x"}, "durationSeconds": 10,
        "exactMode": False, "steps": [], "peakPods": {}, "unmetFraction": 0.0, "requests": {"demand": 0},
        "stepStats": {"count": 9, "upSteps": 5, "upStepsNeverMet": 5, "meanSecondsToCapacity": None,
                      "maxSecondsToCapacity": None},
        "spotShare": 0.0, "cost": {"perMillionServed": None, "placeholderPrices": False, "total": 0.0, "currency": "CNY",
                                   "allOnDemand": 0.0},
        "capacity": {"reachable": True, "hpaMaxReplicas": 1, "peakQps": 0}, "replicaQps": 1.0, "fights": [],
    }  # fmt: skip
    assert "demand changed 9 times, 5 of them increases; ready capacity caught up with none of the increases" in text(data)


def test_plot_marks_cron_firings_and_the_rollout() -> None:
    """Staging's weekday-peak job fires at 00:00 Shanghai (t=300 from 23:55): a dashed line with a legend entry on the
    pods panel, so the 6 pods held afterwards are explained; a rollout is shaded with its own legend entry."""
    import datetime as dt

    model = find_models(load_manifest_dir(FIXTURES / "staging-fixed"))[0]
    world = World(start=dt.datetime.fromisoformat("2024-01-01T23:55:00+08:00"))
    result = simulate(model, pattern("step:5:5:1"), 900, world, load_prices(None), rollout_at=600)
    fig = plot.scaling_figure(result, "cron")
    pods = fig.axes[1]
    pods_legend, demand_legend = pods.get_legend(), fig.axes[0].get_legend()
    assert pods_legend is not None and demand_legend is not None
    labels = [t.get_text() for t in pods_legend.get_texts()]
    assert "CronHPA job weekday-peak fired (targetSize 6)" in labels
    assert "rollout to version 2" in labels
    assert "rollout to version 2" in [t.get_text() for t in demand_legend.get_texts()]
    cron_lines = [line for line in pods.get_lines() if str(line.get_label()).startswith("CronHPA")]
    assert [np.asarray(line.get_xdata(), dtype=float).tolist() for line in cron_lines] == [[300.0, 300.0]]  # seconds
    plt.close(fig)


def test_diurnal_repeats_past_one_period() -> None:
    """``diurnal:0:10:600:60``: the value at t is the value at t mod 600, in ``at``, ``per_second`` and the steps."""
    day = pattern("diurnal:0:10:600:60")
    assert day.period == 600.0
    assert (day.at(300), day.at(900), day.at(1200), day.at(1500)) == (10.0, 10.0, 0.0, 10.0)
    assert day.at(599) == day.at(1199) == day.at(1799) > 0.0
    assert day.at(59) == day.at(659) == 0.0
    second = day.per_second(1801)
    assert second[:600] == second[600:1200] == second[1200:1800] and second[1800] == 0.0
    assert second[900] == 10.0
    steps = day.steps(until=1800)
    assert len(steps) == 3 * len(day.steps())  # each cycle's changes, its drop back to LOW at the end included
    assert (600.0, day.at(599), 0.0) in steps and (660.0, 0.0, day.at(660)) in steps and (1800.0, day.at(1799), 0.0) in steps
    assert all(a <= 1800 for a, _, _ in steps)
    assert day.steps(until=300) == [s for s in day.steps() if s[0] <= 300]
