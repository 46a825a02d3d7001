"""The control-loop simulator (tools/simulate): controllers, engine, CLI exit codes, outputs and --compare.

Fixtures (``tests/fixtures/simulate``) are the objects ``python -m tools.render`` wrote for the dev stack
(ElasticWorkload mode) and the staging stack (ResourcePolicy mode with a CronHPA), as rendered while the
SeldonDeployment still set ``replicas`` (``dev``, ``staging``), and the same with ``replicas`` removed as issue 8 does
(``dev-fixed``, ``staging-fixed``).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tools.simulate import SimulateError
from tools.simulate.cli import main
from tools.simulate.compare import read_observed
from tools.simulate.cronhpa import HpaBounds, firings, next_fire, parse, scale_hpa
from tools.simulate.elastic import place, remove_order, split
from tools.simulate.metrics import MetricPipeline
from tools.simulate.objects import find_models, load_manifest_dir, seldon_deployment_name
from tools.simulate.report import columns
from tools.simulate.seldon import FightDetector

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "simulate"
ROOT = Path(__file__).resolve().parent.parent
FAST = ["--no-plot"]


def run(tmp_path: Path, *args: str) -> tuple[int, Path]:
    out = tmp_path / "out"
    return main([*args, "--out", str(out)]), out


def timeline(out: Path) -> list[dict[str, str]]:
    with (out / "timeline.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def summary(out: Path) -> dict[str, object]:
    data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


# ------------------------------------------------------------------------------------------ objects


def test_objects_from_rendered_fixtures() -> None:
    dev = find_models(load_manifest_dir(FIXTURES / "dev"))
    assert len(dev) == 1
    model = dev[0]
    assert (model.mode, model.target_ref) == ("elasticWorkload", "ElasticWorkload/fashion-mnist-eci-ew")
    assert [(u.name, u.min, u.max, u.kind, u.spot) for u in model.units] == [
        ("source", 0, 1, "source", False),
        ("virtual-kubelet-1", 1, 3, "eci", False),
        ("virtual-kubelet-2", 1, 10, "eci", True),
    ]
    assert model.seldon is not None and model.seldon.replicas == 1
    assert model.seldon.replicas_field == "spec.predictors[0].replicas"
    assert model.seldon_target == "Deployment/fashion-mnist-eci-predictor-0-tfserving-proxy-tfserving-gpu"
    staging = find_models(load_manifest_dir(FIXTURES / "staging-fixed"))[0]
    assert staging.mode == "resourcePolicy"
    assert [u.name for u in staging.units] == ["gpu-pool", "eci-on-demand", "eci-spot"]
    assert [u.kind for u in staging.units] == ["ecs", "eci-cached", "eci-cached"]
    assert staging.units[2].spot and staging.units[2].price_limit == 4.5 and staging.units[2].api_evict
    assert staging.seldon is not None and staging.seldon.replicas is None
    assert staging.cron is not None and [j.target_size for j in staging.cron.jobs] == [6, 2]
    assert staging.hpa.behavior is not None and staging.hpa.behavior.down.window == 600


def test_seldon_deployment_name_hashes_long_names() -> None:
    component = {"spec": {"containers": [{"name": "a" * 50}, {"name": "b"}]}}
    name = seldon_deployment_name("model", "predictor", component, 0)
    assert name.startswith("seldon-") and len(name) == len("seldon-") + 32
    assert seldon_deployment_name("m", "p", {"metadata": {"name": "x"}, "spec": {}}, 1) == "m-p-1-x"


def test_missing_objects_are_bad_input(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    shutil.copy(next((FIXTURES / "dev").glob("008-*")), tmp_path / "m")
    with pytest.raises(SimulateError, match="ElasticWorkload/fashion-mnist-eci-ew is not in the manifests"):
        find_models(load_manifest_dir(tmp_path / "m"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(SimulateError, match=r"no \.yaml"):
        load_manifest_dir(tmp_path / "empty")


# ------------------------------------------------------------------------------------------ controllers


def test_elastic_workload_split_fills_in_order_and_empties_in_reverse() -> None:
    bounds = [(0, 1), (1, 3), (1, 10)]  # the dev stack: source 0..1, on-demand 1..3, spot 1..10
    assert split(0, bounds) == [0, 0, 0]
    assert split(1, bounds) == [0, 1, 0]
    assert split(2, bounds) == [0, 1, 1]
    assert split(3, bounds) == [1, 1, 1]
    assert split(5, bounds) == [1, 3, 1]
    assert split(14, bounds) == [1, 3, 10]
    assert split(20, bounds) == [1, 3, 10]  # beyond the maxima: nowhere
    previous = split(14, bounds)
    removed_from = []
    for r in range(13, -1, -1):
        now = split(r, bounds)
        removed_from.append(next(i for i in range(3) if now[i] < previous[i]))
        previous = now
    assert removed_from == [2] * 9 + [1] * 2 + [0] + [2, 1]
    assert split(4, [(2, 4), (0, float("inf"))]) == [4, 0]  # ACK's example: up to 4 on the source
    assert split(6, [(2, 4), (0, float("inf"))]) == [4, 2]


def test_resource_policy_placement() -> None:
    assert place([0, 0, 0], [2, 4, 10]) == 0
    assert place([2, 3, 0], [2, 4, 10]) == 1
    assert place([2, 4, 10], [2, 4, 10]) is None
    assert remove_order([2, 4, 1]) == 2 and remove_order([2, 0, 0]) == 0 and remove_order([0, 0, 0]) is None


def test_fight_detector() -> None:
    d = FightDetector()
    d.write("Deployment/x", "HPA", 4, 15)
    d.write("Deployment/x", "Seldon", 2, 16)
    assert d.report() == []
    d.write("Deployment/x", "HPA", 4, 30)
    d.write("Deployment/x", "Seldon", 2, 31)
    fights = d.report()
    assert len(fights) == 1 and fights[0].reversals == 2 and fights[0].first_t == 30
    assert set(fights[0].writers) == {"HPA", "Seldon"}
    quiet = FightDetector()
    for t, value in enumerate([1, 2, 3]):
        quiet.write("Deployment/y", "HPA", value, t)
    quiet.write("Deployment/y", "Other", 3, 9)  # same value: no reversal
    quiet.write("Deployment/y", "HPA", 4, 10)
    assert quiet.report() == []
    daily = FightDetector(window=60)  # a CronHPA raising the floor each morning, the HPA scaling down later
    for day in range(3):
        daily.write("Deployment/z", "CronHPA", 6, day * 86400)
        daily.write("Deployment/z", "HPA", 2, day * 86400 + 3600)
    assert daily.report() == []


def test_metric_pipeline_window_delay_and_truncation() -> None:
    demand = [10.0] * 60 + [100.0] * 60
    p = MetricPipeline(demand, window=15, delay=10)
    assert p.qps(15) == 10  # window [-10, 5): the steady state before t=0 counts as the first value
    assert p.qps(75) == 40  # [50, 65): 10 s at 10 + 5 s at 100 = 600 requests / 15
    assert p.qps(85) == 100
    assert MetricPipeline([10.9] * 100, 15, 10).qps(50) == 10  # int64(value): whole requests per second
    assert MetricPipeline([10.9] * 100, 15, 10).milli(50) == 10_000
    exact = MetricPipeline([10.5] * 10 + [33.3] * 10, window=0, delay=0)
    assert (exact.qps(9), exact.qps(10), exact.milli(10)) == (10.5, 33.3, 33_300)


def test_cron_parse_and_next() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    s = parse("0 0 8 * * 1-5")
    monday = dt.datetime(2024, 1, 1, 9, 0, tzinfo=zone)
    assert next_fire(s, monday) == dt.datetime(2024, 1, 2, 8, 0, tzinfo=zone)
    friday = dt.datetime(2024, 1, 5, 9, 0, tzinfo=zone)
    assert next_fire(s, friday) == dt.datetime(2024, 1, 8, 8, 0, tzinfo=zone)
    assert next_fire(parse("*/20 * * * * *"), monday) == monday + dt.timedelta(seconds=20)
    assert next_fire(parse("0 30 9 31 * *"), dt.datetime(2024, 1, 31, 10, tzinfo=zone)) == dt.datetime(
        2024, 3, 31, 9, 30, tzinfo=zone
    )
    # day of month and day of week both restricted: either matches (dayMatches)
    assert next_fire(parse("0 0 0 15 * MON"), dt.datetime(2024, 1, 2, tzinfo=zone)) == dt.datetime(2024, 1, 8, tzinfo=zone)
    # five fields: seconds first, the weekday defaults to * (not a standard five-field cron)
    five = next_fire(parse("0 8 * * 1-5"), monday)
    assert five is not None and five.minute == 8
    for bad in ("", "0 0 0 * *  * *", "61 * * * * *", "@every 1h", "0 0 x * * *"):
        with pytest.raises(SimulateError):
            parse(bad)


def test_cron_firings_in_controller_zone() -> None:
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)  # Monday 08:00 in Asia/Shanghai
    jobs = [("peak", "0 0 0 * * 1-5", 6, False), ("once", "0 0 9 * * *", 3, True)]
    got = firings(jobs, start, ZoneInfo("Asia/Shanghai"), 2 * 86400)
    assert [(f.t, f.job) for f in got] == [(3600, "once"), (57600, "peak"), (144000, "peak")]
    utc = firings(jobs, start, ZoneInfo("UTC"), 86400)
    assert [(f.t, f.job) for f in utc] == [(0, "peak"), (32400, "once"), (86400, "peak")]


def test_scale_hpa_rules() -> None:
    """cronjob.go ScaleHPA, rule by rule."""
    b = HpaBounds(2, 16)
    assert scale_hpa(b, 2, 6) == 6 and (b.min_replicas, b.max_replicas) == (6, 16)  # current < size: min = size, scale
    b = HpaBounds(6, 16)
    assert scale_hpa(b, 8, 2) is None and (b.min_replicas, b.max_replicas) == (2, 16)  # size < min: min = size
    b = HpaBounds(2, 16)
    assert scale_hpa(b, 5, 3) is None and (b.min_replicas, b.max_replicas) == (2, 16)  # current >= size: nothing
    b = HpaBounds(4, 16)
    assert scale_hpa(b, 4, 3) is None and b.min_replicas == 3  # current == min and size < current
    b = HpaBounds(2, 10)
    assert scale_hpa(b, 3, 12) == 12 and (b.min_replicas, b.max_replicas) == (12, 12)  # size > max: max = size


# ------------------------------------------------------------------------------------------ whole runs


def test_dev_step_outputs(tmp_path: Path) -> None:
    status, out = run(tmp_path, "--manifests", str(FIXTURES / "dev-fixed"), "--pattern", "step:10:100:60", *FAST)
    assert status == 0
    rows = timeline(out)
    assert list(rows[0]) == columns(["source", "virtual-kubelet-1", "virtual-kubelet-2"])
    assert list(rows[0])[:6] == ["t", "demand_qps", "metric_qps", "hpa_desired", "replicas", "ready"]
    assert list(rows[0])[-3:] == ["served_qps", "unmet_qps", "cost"]
    assert len(rows) == 961 and rows[-1]["t"] == "960"  # t = 0 .. last change + 900 s
    for r in rows:
        units = sum(int(r[f"replicas:{u}"]) for u in ("source", "virtual-kubelet-1", "virtual-kubelet-2"))
        assert int(r["replicas"]) == units and int(r["ready"]) <= units
        assert float(r["served_qps"]) + float(r["unmet_qps"]) == pytest.approx(float(r["demand_qps"]))
    assert float(rows[-1]["cost"]) > float(rows[100]["cost"]) > 0
    data = summary(out)
    assert data["exitStatus"] == 0 and data["fights"] == []
    steps = data["steps"]
    assert isinstance(steps, list) and steps[0]["t"] == 60 and steps[0]["secondsToCapacity"] == data["timeToCapacitySeconds"]
    assert isinstance(data["timeToCapacitySeconds"], int | float) and 0 < data["timeToCapacitySeconds"] < 900
    assert 0 < float(data["unmetFraction"]) < 0.5  # type: ignore[arg-type]
    assert data["peakPods"] == {"source": 1, "virtual-kubelet-1": 3, "virtual-kubelet-2": 6}
    cost = data["cost"]
    assert isinstance(cost, dict) and cost["total"] < cost["allOnDemand"] and cost["placeholderPrices"] is True
    assert 0 < float(data["spotShare"]) < 1  # type: ignore[arg-type]


def test_plot_is_written(tmp_path: Path) -> None:
    status, out = run(tmp_path, "--manifests", str(FIXTURES / "staging-fixed"), "--pattern", "step:10:60:30", "--duration", "300")
    assert status == 0
    assert (out / "scaling.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_seldon_replicas_fight_in_elastic_workload_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(tmp_path, "--manifests", str(FIXTURES / "dev"), "--pattern", "step:10:100:60", *FAST)
    assert status == 3
    fights = summary(out)["fights"]
    assert isinstance(fights, list) and len(fights) == 1
    assert fights[0]["object"] == "Deployment/fashion-mnist-eci-predictor-0-tfserving-proxy-tfserving-gpu"
    assert set(fights[0]["writers"]) == {"ElasticWorkload/fashion-mnist-eci-ew", "SeldonDeployment/fashion-mnist-eci"}
    text = capsys.readouterr().out
    assert "FIGHT on Deployment/fashion-mnist-eci-predictor-0-tfserving-proxy-tfserving-gpu" in text


def test_seldon_replicas_fight_in_resource_policy_mode(tmp_path: Path) -> None:
    status, out = run(tmp_path, "--manifests", str(FIXTURES / "staging"), "--pattern", "step:10:100:60", *FAST)
    assert status == 3
    data = summary(out)
    fights = data["fights"]
    assert isinstance(fights, list)
    assert set(fights[0]["writers"]) == {"HorizontalPodAutoscaler/fashion-mnist-hpa", "SeldonDeployment/fashion-mnist"}
    assert fights[0]["values"][:3] == [2, 6, 2]  # the SeldonDeployment's replicas: 2, the HPA's scale-up, 2 again
    rows = timeline(out)
    assert max(int(r["ready"]) for r in rows) == 2  # the operator undoes every scale-out
    fixed_status, fixed_out = run(
        tmp_path / "fixed", "--manifests", str(FIXTURES / "staging-fixed"), "--pattern", "step:10:100:60", *FAST
    )
    assert fixed_status == 0 and summary(fixed_out)["fights"] == []
    assert max(int(r["ready"]) for r in timeline(fixed_out)) == 10


def test_unreachable_peak_exit_4_and_fight_wins(tmp_path: Path) -> None:
    status, out = run(
        tmp_path, "--manifests", str(FIXTURES / "dev-fixed"), "--pattern", "step:10:100:60", "--replica-qps", "5", *FAST
    )
    assert status == 4  # (1 + 3 + 10) pods x 5 qps = 70 < 100
    capacity = summary(out)["capacity"]
    assert isinstance(capacity, dict) and capacity["reachable"] is False and capacity["unitsMaxReplicas"] == 14
    both, _ = run(
        tmp_path / "b", "--manifests", str(FIXTURES / "dev"), "--pattern", "step:10:100:60", "--replica-qps", "5", *FAST
    )
    assert both == 3


def test_cronhpa_raises_the_floor(tmp_path: Path) -> None:
    """Staging's weekday peak job (targetSize 6 at 00:00 in the controller's zone): minReplicas becomes 6, the target is
    scaled to 6 at once, and the HPA keeps it there at low demand."""
    status, out = run(
        tmp_path, "--manifests", str(FIXTURES / "staging-fixed"), "--pattern", "step:5:5:1", "--duration", "900",
        "--start", "2024-01-01T23:55:00+08:00", *FAST,
    )  # fmt: skip
    assert status == 0
    data = summary(out)
    cron = data["cron"]
    assert isinstance(cron, list) and len(cron) == 1
    assert cron[0]["t"] == 300 and cron[0]["minReplicas"] == [2, 6] and cron[0]["scaledTargetTo"] == 6
    rows = timeline(out)
    assert int(rows[299]["replicas"]) == 2 and int(rows[300]["replicas"]) == 6 and int(rows[900]["replicas"]) == 6


def test_spot_reclaims_with_api_evict(tmp_path: Path) -> None:
    manifests = tmp_path / "m"
    shutil.copytree(FIXTURES / "dev-fixed", manifests)
    ew = next(manifests.glob("007-*"))
    ew.write_text(ew.read_text(encoding="utf-8").replace("eci-spot-duration: '1'", "eci-spot-duration: '0'"), encoding="utf-8")
    args = ["--manifests", str(manifests), "--pattern", "step:100:100:1", "--duration", "3600", "--spot-reclaims", "20", *FAST]
    status, out = run(tmp_path, *args)
    assert status == 0
    reclaims = summary(out)["spotReclaims"]
    assert isinstance(reclaims, list) and len(reclaims) >= 5
    assert all(r["unit"] == "virtual-kubelet-2" and r["removedAt"] == r["t"] for r in reclaims)
    rows = timeline(out)
    first = reclaims[0]["t"]
    assert int(rows[first]["ready:virtual-kubelet-2"]) == int(rows[first - 1]["ready:virtual-kubelet-2"]) - 1
    _, out2 = run(tmp_path / "again", *args)
    assert summary(out2)["spotReclaims"] == reclaims  # seeded


def test_list_models(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--manifests", str(FIXTURES / "staging"), "--list-models"]) == 0
    assert capsys.readouterr().out.split() == ["fashion-mnist"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--pattern", "nope:1"], "unknown pattern"),
        (["--pattern", "step:1:2:3", "--start", "2024-01-01T00:00:00"], "UTC offset"),
        (["--pattern", "step:1:2:3", "--controller-tz", "Mars/Olympus"], "unknown IANA time zone"),
        (["--pattern", "step:1:2:3", "--model", "other"], "no such model"),
        (["--pattern", "step:1:2:3", "--sync-period", "0"], "--sync-period"),
        (["--pattern", "step:1:2:3", "--metric-delay", "-1"], "--metric-delay"),
        (["--pattern", "step:1:2:3", "--compare", "missing.csv"], "cannot read"),
    ],
)
def test_bad_input_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], words: str) -> None:
    status, _ = run(tmp_path, "--manifests", str(FIXTURES / "dev-fixed"), *args, *FAST)
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and words in err and "Traceback" not in err


def test_bad_sources_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("t,qps\n0,1\n0,2\n", encoding="utf-8")
    assert run(tmp_path, "--manifests", str(FIXTURES / "dev-fixed"), "--trace", str(bad), *FAST)[0] == 2
    assert f"{bad}:3:" in capsys.readouterr().err
    assert run(tmp_path, "--manifests", str(tmp_path / "nowhere"), "--pattern", "step:1:2:3")[0] == 2
    assert run(tmp_path, "--stack", "no-such-stack-anywhere", "--pattern", "step:1:2:3")[0] == 2
    assert "--stack no-such-stack-anywhere" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["--pattern", "step:1:2:3"])  # neither --stack nor --manifests
    assert info.value.code == 2


# ------------------------------------------------------------------------------------------ --compare


def test_compare_with_itself_and_with_a_slower_cluster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(tmp_path, "--manifests", str(FIXTURES / "dev-fixed"), "--pattern", "step:10:100:60", *FAST)
    assert status == 0
    capsys.readouterr()
    observed = tmp_path / "observed.csv"
    lines = (out / "timeline.csv").read_text(encoding="utf-8").splitlines()
    header, body = lines[0], lines[1:]
    # a cluster 30 s slower: every row's pod columns are those of 30 s earlier
    delayed = [body[max(0, i - 30)].split(",") for i in range(len(body))]
    for i, cells in enumerate(delayed):
        cells[0] = str(i)
        cells[1] = body[i].split(",")[1]
    observed.write_text("\n".join([header, *(",".join(c) for c in delayed)]) + "\n", encoding="utf-8")
    status, out2 = run(
        tmp_path / "c", "--manifests", str(FIXTURES / "dev-fixed"), "--pattern", "step:10:100:60", "--compare", str(observed)
    )
    assert status == 0
    diff = summary(out2)["compare"]
    assert isinstance(diff, dict)
    assert diff["steps"][0]["difference"] == 30
    assert diff["peakPods"]["virtual-kubelet-2"] == {"simulated": 6, "observed": 6, "difference": 0}
    assert (out2 / "compare.png").read_bytes()[:4] == b"\x89PNG"
    text = capsys.readouterr().out
    assert "compare with" in text and "difference 30 s" in text


def test_compare_reads_observed_units_and_errors(tmp_path: Path) -> None:
    good = tmp_path / "observed.csv"
    good.write_text(
        "t,demand_qps,metric_qps,hpa_desired,replicas,ready,replicas:eci-spot,ready:eci-spot,served_qps,unmet_qps,cost\n"
        "0,10,,,1,1,1,1,10,0,0\n1,10,10,1,2,1,2,1,10,0,0\n",
        encoding="utf-8",
    )
    observed = read_observed(good)
    assert observed.times == [0.0, 1.0] and observed.units == {"eci-spot": [1.0, 2.0]} and observed.ready == [1.0, 1.0]
    for text, words in [
        ("t,qps\n0,1\n", ":1: expected the columns"),
        (good.read_text(encoding="utf-8").replace("1,10,10,1,2,1,2,1,10,0,0", "1,10,10,1,x,1,2,1,10,0,0"), ":3: replicas"),
        (good.read_text(encoding="utf-8").replace("\n1,10,", "\n0,10,"), ":3: t = 0 is not after"),
    ]:
        bad = tmp_path / "bad.csv"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(SimulateError, match=words):
            read_observed(bad)


def test_reference_prices_file_parses() -> None:
    from tools.simulate.prices import load

    book = load(ROOT / "prices.example.yaml")
    assert book.placeholder and book.currency == "CNY" and "ecs.gn6i-c4g1.xlarge" in book.specs
