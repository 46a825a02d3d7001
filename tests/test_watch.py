"""The pod watcher on recorded pod, HPA and Event objects (tests/fixtures/watch/*.json, written from the documented
shapes: each file names its sources), its reconnecting list/watch, the target discovery, and one run of the CLI with
``--watch`` against a local fake of the Kubernetes API on 127.0.0.1."""

from __future__ import annotations

import csv
import json
import threading
import time
import urllib.parse
from collections.abc import Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.seldon_stub import SeldonStub
from tools.loadtest import cli, dashboard
from tools.loadtest.target import StackInfo, TargetError, stack_watch_names, watch_spec
from tools.loadtest.watch import (
    ECS_NODE,
    ELASTIC_WORKLOAD,
    ON_DEMAND,
    RESOURCE_POLICY,
    SOURCE,
    SPOT,
    UNASSIGNED,
    Backoff,
    LoadSecond,
    Observer,
    UnitSpec,
    WatchSpec,
    hpa_metric_total,
    list_and_watch,
    timeline_columns,
    write_timeline,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "watch"
DEV_SOURCE = "fashion-mnist-eci-predictor-0-tfserving-proxy-tfserving-gpu"
MODELS = {"pod": "V1Pod", "hpa": "V2HorizontalPodAutoscaler", "event": "CoreV1Event"}

EW_SPEC = WatchSpec(
    "default",
    "eci-inference.io/predictor=fashion-mnist-eci-predictor",
    ELASTIC_WORKLOAD,
    "fashion-mnist-eci-hpa",
    DEV_SOURCE,
    (
        UnitSpec("virtual-kubelet-1", True, None, ("ecs.gn6i-c4g1.xlarge",)),
        UnitSpec("virtual-kubelet-2", True, "SpotAsPriceGo", ("ecs.gn6i-c4g1.xlarge",)),
    ),
)
RP_SPEC = WatchSpec(
    "inference",
    "eci-inference.io/predictor=fashion-mnist-predictor",
    RESOURCE_POLICY,
    "fashion-mnist-hpa",
    "fashion-mnist-predictor-0-tfserving-proxy-tfserving-gpu",
    (
        UnitSpec("gpu-pool", False),
        UnitSpec("eci-on-demand", True, None, ("ecs.gn6i-c4g1.xlarge",)),
        UnitSpec("eci-spot", True, "SpotWithPriceLimit", ("ecs.gn6i-c4g1.xlarge", "ecs.gn6i-c8g1.2xlarge")),
    ),
)


def model(kind: str, obj: dict[str, Any]) -> Any:
    """The kubernetes client's model of a JSON object, built as the client builds it from an API answer."""
    return client.ApiClient().deserialize(json.dumps(obj), MODELS[kind], "application/json")


def scenario(name: str) -> list[tuple[float, str, str, Any]]:
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    assert data["about"] and data["sources"]
    return [(e["t"], e["kind"], e["type"], model(e["kind"], e["object"])) for e in data["events"]]


def play(spec: WatchSpec, *names: str) -> Observer:
    observer = Observer(spec)
    events = sorted((e for name in names for e in scenario(name)), key=lambda e: e[0])
    for t, kind, kind_of_change, obj in events:
        if kind == "pod":
            observer.pod_event(kind_of_change, obj, t)
        elif kind == "hpa":
            observer.hpa_status(obj, t)
        else:
            observer.k8s_event(obj, t)
    return observer


def by_uid(observer: Observer) -> dict[str, Any]:
    return {r.uid: r for r in observer.records()}


# --- attribution ------------------------------------------------------------------------------------------------------


def test_elastic_workload_pods_are_attributed_to_their_unit_and_capacity() -> None:
    pods = by_uid(play(EW_SPEC, "ew-units"))
    assert {uid: (r.unit, r.capacity) for uid, r in pods.items()} == {
        "uid-source-1": (SOURCE, ECS_NODE),
        "uid-od-1": ("virtual-kubelet-1", ON_DEMAND),
        "uid-spot-1": ("virtual-kubelet-2", SPOT),
        "uid-spot-2": ("virtual-kubelet-2", SPOT),
    }
    assert pods["uid-od-1"].node == "virtual-kubelet-cn-beijing-h"
    assert (pods["uid-od-1"].to_scheduled_s, pods["uid-od-1"].to_ready_s) == (1.0, 32.0)


def test_resource_policy_pods_take_their_unit_from_the_pod_label_once_placed() -> None:
    observer = play(RP_SPEC, "rp-units")
    pods = by_uid(observer)
    assert {uid: (r.unit, r.capacity) for uid, r in pods.items()} == {
        "uid-rp-pool": ("gpu-pool", ECS_NODE),
        "uid-rp-od": ("eci-on-demand", ON_DEMAND),
        "uid-rp-spot": ("eci-spot", SPOT),
    }
    rows = observer.timeline(50)
    assert list(rows[0]) == timeline_columns(["gpu-pool", "eci-on-demand", "eci-spot"])
    # t=2: the new pod is pending without its unit's label (unassigned): counted in replicas, in no unit
    assert (rows[2]["replicas"], rows[2]["replicas:eci-on-demand"], rows[2]["replicas:gpu-pool"]) == ("2", "0", "1")
    assert (rows[3]["replicas:eci-on-demand"], rows[3]["ready:eci-on-demand"]) == ("1", "0")
    assert (rows[45]["ready"], rows[45]["ready:eci-spot"], rows[45]["ready:eci-on-demand"]) == ("3", "1", "1")


def test_fallback_matches_a_pod_to_a_unit_by_its_eci_annotations() -> None:
    spec = WatchSpec("default", "x=y", ELASTIC_WORKLOAD, None, None, EW_SPEC.units)  # no source Deployment known
    pods = {t_uid[3].metadata.uid: t_uid[3] for t_uid in scenario("ew-units") if t_uid[1] == "pod"}
    from tools.loadtest.watch import unit_of

    assert unit_of(pods["uid-spot-1"], spec) == "virtual-kubelet-2"
    assert unit_of(pods["uid-od-1"], spec) == "virtual-kubelet-1"
    assert unit_of(pods["uid-source-1"], spec) == UNASSIGNED


# --- timeline -------------------------------------------------------------------------------------------------------------


def test_timeline_has_the_simulators_columns_and_the_observed_counts(tmp_path: Path) -> None:
    observer = play(EW_SPEC, "ew-units")
    load = [LoadSecond(scheduled=10 + s, ok=10) for s in range(60)]
    rows = observer.timeline(60, load)
    units = ["source", "virtual-kubelet-1", "virtual-kubelet-2"]
    assert EW_SPEC.unit_names == units
    assert list(rows[0]) == [
        "t", "demand_qps", "metric_qps", "hpa_desired", "replicas", "ready",
        "replicas:source", "ready:source", "replicas:virtual-kubelet-1", "ready:virtual-kubelet-1",
        "replicas:virtual-kubelet-2", "ready:virtual-kubelet-2", "served_qps", "unmet_qps", "cost",
    ]  # fmt: skip

    def at(t: int, *columns: str) -> tuple[str, ...]:
        return tuple(rows[t][c] for c in columns)

    assert [r["t"] for r in rows] == [str(s) for s in range(60)]
    assert at(0, "replicas", "ready", "metric_qps", "hpa_desired") == ("1", "1", "4.5", "1")  # 4.5 avg x 1 replica
    assert at(3, "replicas", "ready", "replicas:virtual-kubelet-1", "ready:virtual-kubelet-1") == ("2", "1", "1", "0")
    assert at(10, "metric_qps", "hpa_desired") == ("50", "3")  # averageValue 25 x 2 current replicas
    assert at(12, "replicas", "replicas:virtual-kubelet-2", "ready:virtual-kubelet-2") == ("4", "2", "0")
    assert at(35, "ready", "ready:virtual-kubelet-1") == ("2", "1")
    assert at(47, "ready", "ready:virtual-kubelet-2") == ("3", "1")
    assert at(59, "replicas", "ready", "ready:source", "ready:virtual-kubelet-2", "hpa_desired") == ("4", "4", "1", "2", "4")
    assert at(5, "demand_qps", "served_qps", "unmet_qps", "cost") == ("15", "10", "5", "")
    write_timeline(tmp_path / "timeline.csv", rows, units)
    with (tmp_path / "timeline.csv").open(newline="") as handle:
        read = list(csv.DictReader(handle))
    assert read == rows
    assert observer.ready_by_unit(60)["virtual-kubelet-2"][52] == 2.0


def test_a_spot_pod_evicted_with_notice() -> None:
    observer = play(EW_SPEC, "spot-evicted-with-notice")
    pods = by_uid(observer)
    evicted, replacement = pods["uid-spot-3"], pods["uid-spot-4"]
    assert evicted.notice is not None and evicted.notice.isoformat() == "2024-05-20T08:00:20+00:00"
    assert evicted.notice_source == "event SpotToBeReleased"  # the event arrived before the condition
    assert evicted.end_reason == "EvictionByEvictionAPI" and not evicted.alive
    assert (evicted.unit, evicted.capacity) == ("virtual-kubelet-2", SPOT)
    assert replacement.notice is None and replacement.to_ready_s == 39.0
    rows = observer.timeline(61)
    # t=20: notice only, the pod still serves; t=21: evicted (terminating pods do not count), replacement pending
    assert (rows[20]["replicas:virtual-kubelet-2"], rows[20]["ready:virtual-kubelet-2"]) == ("1", "1")
    assert (rows[21]["replicas:virtual-kubelet-2"], rows[21]["ready:virtual-kubelet-2"]) == ("1", "0")
    assert (rows[60]["replicas"], rows[60]["ready"]) == ("1", "1")
    text = dashboard.render(observer.records(), EW_SPEC)
    assert (
        "Spot reclaim notice: fashion-mnist-eci-predictor-0-tfserving-proxy-tfserving-gpu-unit-virtual-kubelet-2-6b7c9d4f5e-r5t7y"
        in text
    )
    assert "by event SpotToBeReleased; ended: EvictionByEvictionAPI" in text


def test_the_notice_condition_alone_is_enough() -> None:
    observer = Observer(EW_SPEC)
    for t, kind, change, obj in scenario("spot-evicted-with-notice"):
        if kind == "pod":
            observer.pod_event(change, obj, t)
    evicted = by_uid(observer)["uid-spot-3"]
    assert evicted.notice_source == "condition ContainerInstanceExpired"
    assert evicted.notice is not None and evicted.notice.isoformat() == "2024-05-20T08:00:20+00:00"


def test_a_pod_that_never_becomes_ready() -> None:
    observer = play(EW_SPEC, "never-ready")
    stuck = by_uid(observer)["uid-od-stuck"]
    assert stuck.ready is None and stuck.to_ready_s is None and stuck.scheduled is not None and stuck.alive
    rows = observer.timeline(40)
    assert all((r["replicas"], r["ready"]) == ("1", "0") for r in rows[6:])
    rows_by_unit = {row.unit: row for row in dashboard.unit_rows(observer.records(), EW_SPEC)}
    assert (rows_by_unit["virtual-kubelet-1"].pods, rows_by_unit["virtual-kubelet-1"].never_ready) == (1, 1)
    assert rows_by_unit["virtual-kubelet-1"].to_ready is None
    assert "Never Ready: fashion-mnist-eci-predictor-0-tfserving-proxy-tfserving-gpu-unit-virtual-kubelet-1-5d9f7c8b6d-z9x8c" in (
        dashboard.render(observer.records(), EW_SPEC)
    )


def test_dashboard_table_per_unit() -> None:
    observer = play(EW_SPEC, "ew-units", "never-ready")
    rows = {row.unit: row for row in dashboard.unit_rows(observer.records(), EW_SPEC, {"virtual-kubelet-2": 2})}
    assert list(rows) == ["source", "virtual-kubelet-1", "virtual-kubelet-2", "total"]
    spot = rows["virtual-kubelet-2"]
    assert (spot.capacity, spot.pods, spot.reached_ready, spot.never_ready, spot.peak_ready) == (SPOT, 2, 2, 0, 2)
    assert spot.to_ready == (35.0, 37.5, 40.0) and spot.to_scheduled_median == 1.5
    on_demand = rows["virtual-kubelet-1"]
    assert (on_demand.pods, on_demand.reached_ready, on_demand.never_ready, on_demand.to_ready) == (2, 1, 1, (32.0, 32.0, 32.0))
    assert (rows["total"].pods, rows["total"].reached_ready) == (5, 4)
    text = dashboard.render(observer.records(), EW_SPEC)
    header = text.splitlines()[0].split()
    assert header[:5] == ["unit", "capacity", "pods", "Ready", "never"]
    assert "virtual-kubelet-2  spot" in text and "35/38/40" in text
    assert "1 on-demand ECI, 2 spot ECI" in text and "both on-demand and spot" in text


def test_hpa_metric_total() -> None:
    data = json.loads((FIXTURES / "cluster.json").read_text())
    hpa = data["default"]["hpas"][0]
    assert hpa_metric_total(model("hpa", hpa)) == 4.5
    hpa["status"]["currentMetrics"][0]["external"]["current"] = {"value": "37"}
    assert hpa_metric_total(model("hpa", hpa)) == 37.0
    del hpa["status"]["currentMetrics"]
    assert hpa_metric_total(model("hpa", hpa)) is None


# --- list and watch -------------------------------------------------------------------------------------------------------


class FakeSource:
    """Lists and watches scripted answers: each watch call takes the next script (a list of events or an exception)."""

    def __init__(
        self, lists: list[tuple[list[Any], str]], watches: list[list[tuple[str, Any]] | Exception], stop: threading.Event
    ) -> None:
        self.lists, self.watches, self.stop = lists, watches, stop
        self.calls: list[tuple[str, str | None]] = []

    def list(self) -> tuple[list[Any], str | None]:
        self.calls.append(("list", None))
        return self.lists.pop(0)

    def watch(self, resource_version: str | None) -> Iterable[tuple[str, Any]]:
        self.calls.append(("watch", resource_version))
        if not self.watches:
            self.stop.set()
            return []
        script = self.watches.pop(0)
        if isinstance(script, Exception):
            raise script
        return script


def pod_at(uid: str, version: str) -> dict[str, Any]:
    return {"metadata": {"uid": uid, "resourceVersion": version}}


def test_list_and_watch_rewatches_from_the_last_version_and_relists_after_410() -> None:
    stop = threading.Event()
    source = FakeSource(
        lists=[([pod_at("a", "5")], "10"), ([pod_at("a", "30")], "31")],
        watches=[
            [("ADDED", pod_at("b", "11")), ("MODIFIED", pod_at("b", "12"))],  # the watch times out: re-watch from 12
            ConnectionResetError("peer reset"),  # dropped: back off, re-watch from 12
            [("BOOKMARK", {"metadata": {"resourceVersion": "20"}})],
            ApiException(status=410, reason="Gone"),  # too old: list again
            [("DELETED", pod_at("b", "32"))],
        ],
        stop=stop,
    )
    listed: list[list[Any]] = []
    events: list[tuple[str, Any]] = []
    notes: list[str] = []
    list_and_watch(
        source, listed.append, lambda kind, obj: events.append((kind, obj)), stop, notes.append, "pods", Backoff(cap=0.01)
    )
    assert source.calls == [
        ("list", None),
        ("watch", "10"),
        ("watch", "12"),
        ("watch", "12"),
        ("watch", "20"),
        ("list", None),
        ("watch", "31"),
        ("watch", "32"),
    ]
    assert [kind for kind, _ in events] == ["ADDED", "MODIFIED", "DELETED"]  # the bookmark is not an object event
    assert len(listed) == 2
    assert any("ConnectionResetError" in n for n in notes) and any("410 Gone" in n for n in notes)


def test_a_relist_ends_pods_that_vanished_while_disconnected() -> None:
    events = [e for e in scenario("ew-units") if e[1] == "pod"]
    observer = Observer(EW_SPEC)
    for t, _, change, pod in events:
        observer.pod_event(change, pod, t)
    still_there = [pod for _, _, _, pod in events if pod.metadata.uid != "uid-spot-1"]
    observer.resync(still_there, 58)
    gone = by_uid(observer)["uid-spot-1"]
    assert not gone.alive and gone.end_reason == "deleted (while the watch was down)"
    assert observer.timeline(60)[58]["replicas:virtual-kubelet-2"] == "1"


# --- what to watch, from the cluster ------------------------------------------------------------------------------------


class FakeReader:
    def __init__(self) -> None:
        self.data = json.loads((FIXTURES / "cluster.json").read_text())

    def deployment(self, namespace: str, name: str) -> dict[str, Any]:
        found = [d for d in self.data[namespace]["deployments"] if d["metadata"]["name"] == name]
        if not found:
            raise ApiException(status=404, reason="Not Found")
        return dict(found[0])

    def custom_objects(self, namespace: str, group: str, version: str, plural: str) -> list[dict[str, Any]]:
        return list(self.data[namespace][plural])

    def hpas(self, namespace: str) -> list[dict[str, Any]]:
        return list(self.data[namespace]["hpas"])


def test_watch_target_of_an_elastic_workload_is_read_from_the_cluster() -> None:
    assert watch_spec(FakeReader(), "default", DEV_SOURCE) == EW_SPEC


def test_watch_target_of_a_resource_policy_is_read_from_the_cluster() -> None:
    spec = watch_spec(FakeReader(), "inference", "fashion-mnist-predictor-0-tfserving-proxy-tfserving-gpu")
    assert spec == RP_SPEC
    assert spec.unit_names == ["gpu-pool", "eci-on-demand", "eci-spot"]


def kserve_predictor(isvc: str) -> dict[str, Any]:
    """The Deployment KServe's raw/standard mode creates for an InferenceService's predictor, written from kserve
    v0.15.2: name ``<isvc>-predictor`` (``constants.PredictorServiceName``), pod labels from ``buildObjectMeta``
    (``components/predictor.go`` lines 450-457: the isvc's labels, then ``serving.kserve.io/inferenceservice`` and
    ``component: predictor``) plus ``app: isvc.<isvc>-predictor``, the selector's only label
    (``reconcilers/deployment/deployment_reconciler.go`` lines 137-157)."""
    name = f"{isvc}-predictor"
    labels = {
        "app.kubernetes.io/name": isvc,
        "serving.kserve.io/inferenceservice": isvc,
        "component": "predictor",
        "app": f"isvc.{name}",
    }
    return {
        "metadata": {"name": name, "namespace": "serving", "labels": dict(labels)},
        "spec": {"selector": {"matchLabels": {"app": f"isvc.{name}"}}, "template": {"metadata": {"labels": labels}}},
    }


def test_watch_target_of_a_kserve_predictor_follows_its_pods() -> None:
    reader = FakeReader()
    ew = json.loads(json.dumps(reader.data["default"]["elasticworkloads"][0]))
    ew["spec"]["sourceTarget"]["name"] = "fashion-mnist-predictor"
    reader.data["serving"] = {"deployments": [kserve_predictor("fashion-mnist")], "elasticworkloads": [ew], "hpas": []}
    spec = watch_spec(reader, "serving", "fashion-mnist-predictor")
    assert spec.selector == "serving.kserve.io/inferenceservice=fashion-mnist,component=predictor"
    assert (spec.mode, spec.source_deployment, spec.unit_names) == (
        ELASTIC_WORKLOAD,
        "fashion-mnist-predictor",
        [SOURCE, "virtual-kubelet-1", "virtual-kubelet-2"],
    )
    given = watch_spec(reader, "serving", "fashion-mnist-predictor", selector="eci-inference.io/predictor=fm")
    assert given.selector == "eci-inference.io/predictor=fm"  # the stack's podSelector output wins
    ours = kserve_predictor("fashion-mnist")
    ours["spec"]["template"]["metadata"]["labels"]["eci-inference.io/predictor"] = "fashion-mnist"
    reader.data["serving"]["deployments"] = [ours]
    assert watch_spec(reader, "serving", "fashion-mnist-predictor").selector == "eci-inference.io/predictor=fashion-mnist"


def test_watch_target_errors_name_what_is_missing() -> None:
    with pytest.raises(TargetError, match="no ElasticWorkload 'other-ew'"):
        watch_spec(FakeReader(), "default", DEV_SOURCE, elastic_workload="other-ew")
    reader = FakeReader()
    reader.data["default"]["elasticworkloads"] = []
    with pytest.raises(TargetError, match="neither an ElasticWorkload with sourceTarget"):
        watch_spec(reader, "default", DEV_SOURCE)


# --- the CLI with --watch, against a fake Kubernetes API ----------------------------------------------------------------


class FakeKubeApi(ThreadingHTTPServer):
    """Answers the calls the watcher makes: GET deployment, custom objects, HPAs, and pod/event list + watch.

    Pods: the list holds the pods of the scenario at t <= 0; one watch streams the rest, ``scale`` seconds per
    scenario second; later watches end after a short wait (as a watch with ``timeoutSeconds`` does)."""

    daemon_threads = True

    def __init__(self, name: str, scale: float) -> None:
        super().__init__(("127.0.0.1", 0), _KubeHandler)
        data = json.loads((FIXTURES / f"{name}.json").read_text())
        self.events = data["events"]
        self.cluster = json.loads((FIXTURES / "cluster.json").read_text())["default"]
        self.scale = scale
        self.began = time.monotonic()
        self.streamed = threading.Event()
        self.paths: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def hpa_now(self) -> dict[str, Any]:
        elapsed = (time.monotonic() - self.began) / self.scale
        samples = [e["object"] for e in self.events if e["kind"] == "hpa" and e["t"] <= elapsed]
        return dict(samples[-1])


class _KubeHandler(BaseHTTPRequestHandler):
    server: FakeKubeApi

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _json(self, body: Any, status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, lines: Iterator[tuple[float, dict[str, Any]]]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        for delay, event in lines:
            time.sleep(delay)
            self.wfile.write(json.dumps(event).encode() + b"\n")
            self.wfile.flush()

    def do_GET(self) -> None:
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        path, s = url.path, self.server
        s.paths.append(self.path)
        ns = "/namespaces/default/"
        if path == f"/apis/apps/v1{ns}deployments/{DEV_SOURCE}":
            self._json(s.cluster["deployments"][0])
        elif path.endswith(f"{ns}elasticworkloads") or path.endswith(f"{ns}resourcepolicies"):
            self._json({"items": s.cluster[path.rsplit("/", 1)[1]]})
        elif path == f"/apis/autoscaling/v2{ns}horizontalpodautoscalers":
            self._json({"kind": "HorizontalPodAutoscalerList", "metadata": {"resourceVersion": "1"}, "items": s.cluster["hpas"]})
        elif path == f"/apis/autoscaling/v2{ns}horizontalpodautoscalers/fashion-mnist-eci-hpa":
            self._json(s.hpa_now())
        elif path in (f"/api/v1{ns}pods", f"/api/v1{ns}events") and query.get("watch") == ["true"]:
            if path.endswith("pods") and not s.streamed.is_set():
                s.streamed.set()
                pods = [e for e in s.events if e["kind"] == "pod" and e["t"] > 0]
                times = [0.0] + [e["t"] for e in pods]
                self._stream(
                    (s.scale * (times[i + 1] - times[i]), {"type": e["type"], "object": e["object"]}) for i, e in enumerate(pods)
                )
            else:
                self._stream(
                    iter([(0.5, {"type": "BOOKMARK", "object": {"kind": "Pod", "metadata": {"resourceVersion": "9999"}}})])
                )
        elif path == f"/api/v1{ns}pods":
            assert query["labelSelector"] == ["eci-inference.io/predictor=fashion-mnist-eci-predictor"]
            items = [e["object"] for e in s.events if e["kind"] == "pod" and e["t"] <= 0]
            self._json({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "999"}, "items": items})
        elif path == f"/api/v1{ns}events":
            self._json({"kind": "EventList", "apiVersion": "v1", "metadata": {"resourceVersion": "999"}, "items": []})
        else:
            self._json({"kind": "Status", "status": "Failure", "reason": "NotFound", "code": 404}, 404)


@pytest.mark.parametrize("how", ["url", "stack"])
def test_the_cli_watches_pods_and_writes_the_timeline(
    how: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the scenario's 52 s in 0.8 s, so that a loaded CI machine still sees it end within the 2.5 s of load
    api = FakeKubeApi("ew-units", scale=0.015)
    thread = threading.Thread(target=api.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    kubeconfig = (
        "apiVersion: v1\nkind: Config\ncurrent-context: fake\n"
        f"clusters: [{{name: fake, cluster: {{server: '{api.url}'}}}}]\n"
        "users: [{name: tester, user: {token: not-a-secret}}]\n"
        "contexts: [{name: fake, context: {cluster: fake, user: tester, namespace: default}}]\n"
    )
    out = tmp_path / "observed"
    try:
        with SeldonStub("ok") as stub:
            argv = ["--pattern", "step:10:10:0", "--duration", "2.5", "--watch", "--out", str(out), "--quiet"]
            if how == "url":
                (tmp_path / "kubeconfig").write_text(kubeconfig)
                argv += ["--url", stub.url, "--kubeconfig", str(tmp_path / "kubeconfig"), "--deployment", DEV_SOURCE]
            else:  # the stack's outputs and config, as the Automation API returns them (pulumi itself is not run)
                outputs = {
                    "fashion-mnist": {
                        "predictionUrl": stub.url,
                        "predictorDeploymentName": DEV_SOURCE,
                        "hpaName": "fashion-mnist-eci-hpa",
                        "elasticWorkloadName": "fashion-mnist-eci-ew",
                    },
                }
                config = {"eci-inference:namespace": "default", "eci-inference:kubeconfig": kubeconfig}
                monkeypatch.setattr(cli, "read_stack", lambda name: StackInfo(name, outputs, config))
                argv += ["--stack", "dev"]
            code = cli.main(argv)
    finally:
        api.shutdown()
        api.server_close()
    printed = capsys.readouterr()
    assert code == 0, printed.err
    with (out / "timeline.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == timeline_columns(["source", "virtual-kubelet-1", "virtual-kubelet-2"])
    assert len(rows) == 3 and rows[0]["replicas:source"] == "1" and rows[0]["demand_qps"] == "10"
    last = rows[-1]
    assert (last["replicas"], last["ready"], last["ready:virtual-kubelet-2"], last["ready:virtual-kubelet-1"]) == (
        "4",
        "4",
        "2",
        "1",
    )
    assert last["hpa_desired"] in ("3", "4") and float(last["metric_qps"]) == 50.0
    with (out / "pods.csv").open(newline="") as handle:
        pods = list(csv.DictReader(handle))
    assert sorted((p["unit"], p["capacity"], p["ready_after_s"]) for p in pods) == [
        ("source", ECS_NODE, "40"),
        ("virtual-kubelet-1", ON_DEMAND, "32"),
        ("virtual-kubelet-2", SPOT, "35"),
        ("virtual-kubelet-2", SPOT, "40"),
    ]
    assert "virtual-kubelet-2  spot" in printed.out and "both on-demand and spot" in printed.out
    assert "watching pods eci-inference.io/predictor=fashion-mnist-eci-predictor in default (elasticWorkload" in printed.err
    assert "HPA fashion-mnist-eci-hpa" in printed.err
    assert any("watch=true" in p and "resourceVersion=999" in p for p in api.paths)
    assert (out / "loadtest.png").exists()


def test_stack_output_names_what_to_watch() -> None:
    names = stack_watch_names({"predictorDeploymentName": "d", "hpaName": "h", "resourcePolicyName": "r"})
    assert names == {"deployment": "d", "hpa": "h", "elastic_workload": None, "resource_policy": "r", "selector": None}
    given = {"predictorDeploymentName": "d", "podSelector": {"component": "predictor", "serving.kserve.io/inferenceservice": "m"}}
    assert stack_watch_names(given)["selector"] == "component=predictor,serving.kserve.io/inferenceservice=m"
    assert stack_watch_names({"predictorDeploymentName": "d", "podSelector": "a=b,c=d"})["selector"] == "a=b,c=d"
    with pytest.raises(TargetError, match=r"stack output podSelector \[1\]: expected 'key=value,...' or an object"):
        stack_watch_names({"predictorDeploymentName": "d", "podSelector": [1]})
    assert stack_watch_names({"deploymentName": "old"})["deployment"] == "old"
    with pytest.raises(TargetError, match="no predictorDeploymentName"):
        stack_watch_names({"predictionUrl": "u"})


def test_an_unreachable_cluster_fails_before_the_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: gone\n"
        "clusters: [{name: gone, cluster: {server: 'http://127.0.0.1:9'}}]\n"  # discard port: nothing listens
        "users: [{name: u, user: {token: t}}]\ncontexts: [{name: gone, context: {cluster: gone, user: u}}]\n"
    )
    argv = [
        "--url",
        "http://127.0.0.1:9/api/v1.0/predictions",
        "--pattern",
        "step:1:1:0",
        "--watch",
        "--kubeconfig",
        str(kubeconfig),
    ]
    assert cli.main([*argv, "--deployment", DEV_SOURCE, "--out", str(tmp_path / "out")]) == 2
    assert "error: cannot reach the cluster" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
