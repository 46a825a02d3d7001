"""Watch the predictor's pods and its HPA while the load runs; write ``timeline.csv`` in the simulator's columns.

What is observed, and where each fact comes from:

- **Pods of the predictor**: label ``eci-inference.io/predictor=<sdep>-<predictor>`` (set by this program on the
  componentSpec; the Seldon operator copies it to every pod); for a KServe InferenceService ``X`` in raw/standard
  mode, ``serving.kserve.io/inferenceservice=X,component=predictor`` (see :func:`tools.loadtest.target.pod_selector`).
  Listed, then watched with the kubernetes Python
  client's watch API (``kubernetes.watch.Watch().stream(CoreV1Api.list_namespaced_pod, ...)``) from the list's
  ``resourceVersion``; the watch is restarted from the last seen version when it ends or the connection drops, and
  the pods are listed again when the API answers 410 Gone (the list/watch pattern of the Kubernetes API concepts,
  "Efficient detection of changes"; ``kubernetes/watch/watch.py`` raises ``ApiException(410)`` in that case).
- **Unit of a pod**: in resourcePolicy mode the label ``eci-inference.io/unit`` that the ResourcePolicy's
  ``podLabels`` put on every pod it places (ACK, "Custom elastic resource priority scheduling": ``podLabels`` of the
  unit are added to the pods scheduled to it). In elasticWorkload mode the controller clones the source Deployment
  once per unit as ``<source>-unit-<unit name>`` (ACK, "Elastic Workload": ``kubectl describe ew`` lists
  ``nginx-deployment-basic-unit-virtual-kubelet`` for the unit ``virtual-kubelet``), so a pod's owner ReplicaSet
  ``<deployment>-<pod-template-hash>`` names its unit; pods of the source Deployment itself are unit ``source``.
  Failing both, a pod is matched on the unit's ECI annotations (spot strategy, instance types); a pod that matches
  no single unit (e.g. still unscheduled in resourcePolicy mode) is ``unassigned``.
- **Spot or on-demand**: the ECI annotation ``k8s.aliyun.com/eci-spot-strategy`` (``SpotAsPriceGo`` or
  ``SpotWithPriceLimit``: spot; absent or ``NoSpot``: on-demand) — ECI docs, "Create a preemptible elastic container
  instance". A pod is on ECI when it has ECI annotations (``k8s.aliyun.com/eci-use-specs``, the
  ``k8s.aliyun.com/eci-instance-id`` ECI adds once created) or runs on a ``virtual-kubelet-*`` node; otherwise it is
  on an ECS node (a node-pool unit). A ``SpotDegraded`` event means the spot request fell back to pay-as-you-go.
- **Reclaim notice**: ECI sends the Warning event ``SpotToBeReleased`` ("Spot ECI will be released in 3 minutes")
  and sets the pod condition ``ContainerInstanceExpired`` to True about 3 minutes before it releases a spot
  instance; a released pod turns ``Failed`` with reason ``BidFailed``; with ``k8s.aliyun.com/eci-spot-release-strategy:
  api-evict`` the virtual node evicts it through the Eviction API first (ECI docs, "Create a preemptible elastic
  container instance", sections "Release of preemptible instances" and "Graceful termination"). An eviction shows
  as the pod condition ``DisruptionTarget`` (reason ``EvictionByEvictionAPI``; Kubernetes docs, "Pod disruption
  conditions") and a ``deletionTimestamp``.
- **Times**: creation (``metadata.creationTimestamp``), scheduling (condition ``PodScheduled``) and Ready
  (condition ``Ready``, first time True) come from the API server's timestamps (1 s resolution); the timeline uses
  the time each change *arrived* here, on the same clock as the load generator.
- **HPA**: ``status.desiredReplicas`` and the current value of its metric, read every ``hpa_every`` seconds.
  ``metric_qps`` is the metric's total: ``current.value``, or ``current.averageValue x status.currentReplicas`` for an
  AverageValue target (how the HPA computes the average for External metrics; Kubernetes HPA docs).

``timeline.csv`` has exactly the simulator's columns (:func:`timeline_columns`), one row per second from ``t = 0``:
``demand_qps`` is the number of requests the load generator scheduled in that second (sent or not sent),
``served_qps`` those of them that got a valid answer, ``unmet_qps`` the difference; ``replicas`` counts the pods that
exist and are neither terminating nor finished, ``ready`` those of them that are Ready; ``cost`` is left empty (no
price source is read).

Sources (read for this module):

- ACK, "Elastic Workload" (ack-kubernetes-elastic-workload):
  https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/user-guide/install-ack-kubernetes-elastic-workload
- ACK, "Custom elastic resource priority scheduling" (ResourcePolicy):
  https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/user-guide/configure-priority-based-resource-scheduling
- ECI, "Create a preemptible elastic container instance":
  https://www.alibabacloud.com/help/en/eci/user-guide/create-a-preemptible-elastic-container-instance-1
- ECI, pod annotations ("annotations added after the system schedules resources and creates pods":
  ``k8s.aliyun.com/eci-instance-id``, ``k8s.aliyun.com/eci-instance-spec``)
- Kubernetes, "Pod disruption conditions": https://kubernetes.io/docs/concepts/workloads/pods/disruptions/
- Kubernetes, "API concepts: efficient detection of changes":
  https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
- Kubernetes, "Horizontal Pod Autoscaling": https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/
- kubernetes Python client 37.0.2: ``kubernetes/watch/watch.py`` (``Watch.stream``, 410 handling)
"""

from __future__ import annotations

import contextlib
import csv
import math
import statistics
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from kubernetes.utils import parse_quantity
from kubernetes.watch import Watch

PREDICTOR_LABEL = "eci-inference.io/predictor"
"""Pod label of the predictor (``components.naming.PREDICTOR_LABEL``)."""
KSERVE_ISVC_LABEL = "serving.kserve.io/inferenceservice"
"""Pod label KServe puts on an InferenceService's pods (kserve v0.15.2 ``pkg/constants/constants.go`` line 50)."""
KSERVE_COMPONENT_LABEL = "component"
"""Pod label naming the KServe component (``KServiceComponentLabel``, ``pkg/constants/constants.go`` line 329)."""
KSERVE_PREDICTOR = "predictor"
"""``component`` of predictor pods (``v1beta1.PredictorComponent``, ``inference_service_status.go`` line 96)."""
UNIT_LABEL = "eci-inference.io/unit"
"""Pod label the ResourcePolicy's ``podLabels`` set (``components/resource_policy.py``)."""
ECI_SPOT_STRATEGY = "k8s.aliyun.com/eci-spot-strategy"
ECI_USE_SPECS = "k8s.aliyun.com/eci-use-specs"
ECI_INSTANCE_ID = "k8s.aliyun.com/eci-instance-id"
SPOT_STRATEGIES = ("SpotAsPriceGo", "SpotWithPriceLimit")
SPOT_NOTICE_REASON = "SpotToBeReleased"
SPOT_DEGRADED_REASON = "SpotDegraded"
EXPIRED_CONDITION = "ContainerInstanceExpired"
DISRUPTION_CONDITION = "DisruptionTarget"

ELASTIC_WORKLOAD = "elasticWorkload"
RESOURCE_POLICY = "resourcePolicy"
SOURCE = "source"
UNASSIGNED = "unassigned"
SPOT = "spot"
ON_DEMAND = "on-demand"
SPOT_FELL_BACK = "on-demand (spot fell back)"
ECS_NODE = "ECS node"


@dataclass(frozen=True)
class UnitSpec:
    """One elastic unit as its pods show it."""

    name: str
    eci: bool = True
    spot_strategy: str | None = None
    specs: tuple[str, ...] = ()

    @property
    def spot(self) -> bool:
        return self.spot_strategy in SPOT_STRATEGIES


@dataclass(frozen=True)
class WatchSpec:
    """What to watch: the predictor's pods, its HPA, and the units to attribute pods to."""

    namespace: str
    selector: str
    """Label selector of the predictor's pods."""
    mode: str = RESOURCE_POLICY
    hpa: str | None = None
    source_deployment: str | None = None
    """The Deployment the Seldon operator creates (the ElasticWorkload's source)."""
    units: tuple[UnitSpec, ...] = ()

    @property
    def unit_names(self) -> list[str]:
        """Units in timeline order: ``source`` first in elasticWorkload mode."""
        names = [u.name for u in self.units]
        return [SOURCE, *names] if self.mode == ELASTIC_WORKLOAD else names


def timeline_columns(units: Sequence[str]) -> list[str]:
    """The simulator's ``timeline.csv`` columns, in its order."""
    per_unit = [column for unit in units for column in (f"replicas:{unit}", f"ready:{unit}")]
    return ["t", "demand_qps", "metric_qps", "hpa_desired", "replicas", "ready", *per_unit, "served_qps", "unmet_qps", "cost"]


# --- reading pods -------------------------------------------------------------------------------------------------


def _annotations(pod: client.V1Pod) -> dict[str, str]:
    return dict(pod.metadata.annotations or {}) if pod.metadata else {}


def _labels(pod: client.V1Pod) -> dict[str, str]:
    return dict(pod.metadata.labels or {}) if pod.metadata else {}


def condition(pod: client.V1Pod, kind: str) -> client.V1PodCondition | None:
    """The pod's condition of this type, if any."""
    for c in (pod.status.conditions or []) if pod.status else []:
        if c.type == kind:
            return c
    return None


def condition_true_at(pod: client.V1Pod, kind: str) -> datetime | None:
    """When the condition last became True (``None`` unless it is True now)."""
    c = condition(pod, kind)
    if c is None or c.status != "True":
        return None
    return c.last_transition_time or (pod.metadata.creation_timestamp if pod.metadata else None)


def owner_deployment(pod: client.V1Pod) -> str | None:
    """The Deployment a pod belongs to, from its owner ReplicaSet ``<deployment>-<pod-template-hash>``."""
    for ref in (pod.metadata.owner_references or []) if pod.metadata else []:
        if ref.kind == "ReplicaSet" and ref.name:
            template_hash = _labels(pod).get("pod-template-hash")
            if template_hash and ref.name.endswith("-" + template_hash):
                return ref.name[: -len(template_hash) - 1]
            return ref.name.rsplit("-", 1)[0]
    return None


def capacity_of(pod: client.V1Pod) -> str:
    """``spot``, ``on-demand`` (ECI) or ``ECS node``, from the ECI annotations and the node."""
    annotations = _annotations(pod)
    if annotations.get(ECI_SPOT_STRATEGY) in SPOT_STRATEGIES:
        return SPOT
    node = (pod.spec.node_name if pod.spec else None) or ""
    selector = (pod.spec.node_selector if pod.spec else None) or {}
    eci = (
        ECI_USE_SPECS in annotations
        or ECI_INSTANCE_ID in annotations
        or annotations.get("virtual-kubelet") == "true"
        or node.startswith("virtual-kubelet")
        or selector.get("type") == "virtual-kubelet"
        or _labels(pod).get("alibabacloud.com/eci") == "true"
    )
    return ON_DEMAND if eci else ECS_NODE


def _matches(pod: client.V1Pod, unit: UnitSpec) -> bool:
    annotations = _annotations(pod)
    if not unit.eci or capacity_of(pod) == ECS_NODE:
        return False
    strategy = annotations.get(ECI_SPOT_STRATEGY)
    if (strategy if strategy in SPOT_STRATEGIES else None) != (unit.spot_strategy if unit.spot else None):
        return False
    return not unit.specs or annotations.get(ECI_USE_SPECS) == ",".join(unit.specs)


def unit_of(pod: client.V1Pod, spec: WatchSpec) -> str:
    """The unit a pod belongs to (see the module docstring); ``unassigned`` when no rule decides."""
    names = [u.name for u in spec.units]
    label = _labels(pod).get(UNIT_LABEL)
    if label in names:
        return str(label)
    deployment = owner_deployment(pod)
    if spec.source_deployment and deployment:
        for unit in names:
            if deployment == f"{spec.source_deployment}-unit-{unit}":
                return unit
        if deployment == spec.source_deployment and spec.mode == ELASTIC_WORKLOAD:
            return SOURCE
    matching = [u.name for u in spec.units if _matches(pod, u)]
    return matching[0] if len(matching) == 1 else UNASSIGNED


# --- the observer: pure state, fed by the watch threads or by tests ----------------------------------------------


@dataclass
class PodRecord:
    """What was seen of one pod."""

    name: str
    uid: str
    unit: str
    capacity: str
    first_seen_t: float
    node: str | None = None
    created: datetime | None = None
    scheduled: datetime | None = None
    ready: datetime | None = None
    notice: datetime | None = None
    notice_source: str | None = None
    end_reason: str | None = None
    alive: bool = True
    is_ready: bool = False

    def _since_created(self, when: datetime | None) -> float | None:
        if when is None or self.created is None:
            return None
        return (when - self.created).total_seconds()

    @property
    def to_ready_s(self) -> float | None:
        """Seconds from creation to the first Ready (server timestamps)."""
        return self._since_created(self.ready)

    @property
    def to_scheduled_s(self) -> float | None:
        return self._since_created(self.scheduled)


@dataclass(frozen=True)
class Change:
    """A pod's countable state from time ``t`` (run seconds) on."""

    t: float
    uid: str
    unit: str
    alive: bool
    ready: bool


@dataclass(frozen=True)
class HpaSample:
    t: float
    metric_qps: float | None
    desired: int | None
    current: int | None


@dataclass(frozen=True)
class LoadSecond:
    """The load generator's view of one second (from :func:`tools.loadtest.report.per_second`)."""

    scheduled: int
    ok: int


def _event_time(event: client.CoreV1Event) -> datetime | None:
    return (
        event.last_timestamp
        or event.event_time
        or event.first_timestamp
        or (event.metadata.creation_timestamp if event.metadata else None)
    )


def hpa_metric_total(hpa: client.V2HorizontalPodAutoscaler) -> float | None:
    """The HPA's first metric as a total (``value``, or ``averageValue`` x current replicas)."""
    status = hpa.status
    if status is None:
        return None
    for metric in status.current_metrics or []:
        for source in (metric.external, metric.object, metric.pods, metric.resource, metric.container_resource):
            current = getattr(source, "current", None) if source is not None else None
            if current is None:
                continue
            if current.value is not None:
                return float(parse_quantity(current.value))  # type: ignore[no-untyped-call]
            if current.average_value is not None:
                return float(parse_quantity(current.average_value)) * (status.current_replicas or 0)  # type: ignore[no-untyped-call]
    return None


class Observer:
    """The observed state; every method takes the run time ``t`` (seconds) of the observation."""

    def __init__(self, spec: WatchSpec) -> None:
        self.spec = spec
        self.pods: dict[str, PodRecord] = {}
        self.changes: list[Change] = []
        self.hpa_samples: list[HpaSample] = []
        self.messages: list[str] = []
        self._notices: dict[str, tuple[datetime | None, str]] = {}
        self._degraded: set[str] = set()
        self.lock = threading.RLock()

    def note(self, message: str) -> None:
        with self.lock:
            self.messages.append(message)

    def pod_event(self, kind: str, pod: client.V1Pod, t: float) -> None:
        """A watch event (``ADDED``, ``MODIFIED``, ``DELETED``) or a listed pod (``ADDED``)."""
        meta = pod.metadata
        if meta is None or not meta.name:
            return
        uid = meta.uid or meta.name
        with self.lock:
            record = self.pods.get(uid)
            if record is None:
                record = PodRecord(meta.name, uid, unit_of(pod, self.spec), capacity_of(pod), max(0.0, t))
                self.pods[uid] = record
                before = None
            else:
                before = (record.unit, record.alive, record.is_ready)
            self._update(record, kind, pod)
            after = (record.unit, record.alive, record.is_ready)
            if after != before:
                self.changes.append(Change(max(0.0, t), uid, record.unit, record.alive, record.is_ready))

    def _update(self, record: PodRecord, kind: str, pod: client.V1Pod) -> None:
        meta, status = pod.metadata, pod.status
        unit = unit_of(pod, self.spec)
        if unit != UNASSIGNED or record.unit == UNASSIGNED:
            record.unit = unit
        capacity = capacity_of(pod)
        record.capacity = SPOT_FELL_BACK if record.name in self._degraded else capacity
        record.node = (pod.spec.node_name if pod.spec else None) or record.node
        record.created = (meta.creation_timestamp if meta else None) or record.created
        record.scheduled = record.scheduled or condition_true_at(pod, "PodScheduled")
        ready_at = condition_true_at(pod, "Ready")
        if record.ready is None and ready_at is not None:
            record.ready = ready_at
        expired = condition_true_at(pod, EXPIRED_CONDITION)
        if expired is not None and record.notice is None:
            record.notice, record.notice_source = expired, f"condition {EXPIRED_CONDITION}"
        if record.notice is None and record.name in self._notices:
            record.notice, record.notice_source = self._notices[record.name]
        phase = status.phase if status else None
        disruption = condition(pod, DISRUPTION_CONDITION)
        if phase in ("Failed", "Succeeded"):
            record.end_reason = (status.reason if status else None) or phase
        elif disruption is not None and disruption.status == "True" and disruption.reason:
            record.end_reason = disruption.reason
        elif (meta and meta.deletion_timestamp is not None) or kind == "DELETED":
            record.end_reason = record.end_reason or "deleted"
        terminating = meta is not None and meta.deletion_timestamp is not None
        record.alive = kind != "DELETED" and not terminating and phase not in ("Failed", "Succeeded")
        record.is_ready = record.alive and ready_at is not None

    def resync(self, pods: Sequence[client.V1Pod], t: float) -> None:
        """A fresh list after a reconnect: pods that vanished meanwhile are gone."""
        with self.lock:
            listed = {(p.metadata.uid or p.metadata.name) for p in pods if p.metadata is not None}
            for uid, record in self.pods.items():
                if uid not in listed and record.alive:
                    record.alive = record.is_ready = False
                    record.end_reason = record.end_reason or "deleted (while the watch was down)"
                    self.changes.append(Change(max(0.0, t), uid, record.unit, False, False))
        for pod in pods:
            self.pod_event("ADDED", pod, t)

    def k8s_event(self, event: client.CoreV1Event, t: float) -> None:
        """A Kubernetes Event: ``SpotToBeReleased`` (reclaim notice) and ``SpotDegraded`` on pods are kept."""
        ref = event.involved_object
        if event.reason not in (SPOT_NOTICE_REASON, SPOT_DEGRADED_REASON) or ref is None or ref.kind != "Pod" or not ref.name:
            return
        with self.lock:
            record = next((r for r in self.pods.values() if r.uid == ref.uid or r.name == ref.name), None)
            if event.reason == SPOT_DEGRADED_REASON:
                self._degraded.add(ref.name)
                if record is not None:
                    record.capacity = SPOT_FELL_BACK
                return
            notice = (_event_time(event), f"event {SPOT_NOTICE_REASON}")
            self._notices.setdefault(ref.name, notice)
            if record is not None and record.notice is None:
                record.notice, record.notice_source = notice

    def hpa_status(self, hpa: client.V2HorizontalPodAutoscaler, t: float) -> None:
        status = hpa.status
        sample = HpaSample(
            max(0.0, t),
            hpa_metric_total(hpa),
            status.desired_replicas if status else None,
            status.current_replicas if status else None,
        )
        with self.lock:
            self.hpa_samples.append(sample)

    def records(self) -> list[PodRecord]:
        with self.lock:
            return sorted(self.pods.values(), key=lambda r: (r.first_seen_t, r.name))

    def status_line(self) -> str:
        """Short live state for the progress line."""
        with self.lock:
            alive = [r for r in self.pods.values() if r.alive]
            ready = sum(1 for r in alive if r.is_ready)
            spot = sum(1 for r in alive if r.is_ready and r.capacity == SPOT)
            desired = self.hpa_samples[-1].desired if self.hpa_samples else None
        hpa = f", HPA wants {desired}" if desired is not None else ""
        return f"pods {ready} Ready / {len(alive)} ({spot} spot Ready){hpa}"

    def _replay(self, seconds: int) -> list[dict[str, tuple[int, int]]]:
        """Per second ``s``: unit -> (alive, ready) after every change at or before ``s``."""
        with self.lock:
            changes = sorted(self.changes, key=lambda c: c.t)
        state: dict[str, Change] = {}
        out: list[dict[str, tuple[int, int]]] = []
        i = 0
        for s in range(seconds):
            while i < len(changes) and changes[i].t <= s:
                state[changes[i].uid] = changes[i]
                i += 1
            counts: dict[str, tuple[int, int]] = {}
            for c in state.values():
                alive, ready = counts.get(c.unit, (0, 0))
                counts[c.unit] = (alive + int(c.alive), ready + int(c.ready))
            out.append(counts)
        return out

    def ready_by_unit(self, seconds: int) -> dict[str, list[float]]:
        """Ready pods per unit per second (for the plot)."""
        replay = self._replay(seconds)
        units = self.spec.unit_names + ([UNASSIGNED] if any(UNASSIGNED in r for r in replay) else [])
        return {u: [float(r.get(u, (0, 0))[1]) for r in replay] for u in units}

    def timeline(self, seconds: int, load: Sequence[LoadSecond] | None = None) -> list[dict[str, str]]:
        """``timeline.csv`` rows, one per second from 0 (see the module docstring)."""
        units = self.spec.unit_names
        columns = timeline_columns(units)
        replay = self._replay(seconds)
        with self.lock:
            hpa = sorted(self.hpa_samples, key=lambda h: h.t)
        rows: list[dict[str, str]] = []
        j = 0
        last: HpaSample | None = None
        for s, counts in enumerate(replay):
            while j < len(hpa) and hpa[j].t <= s:
                last = hpa[j]
                j += 1
            row = dict.fromkeys(columns, "")
            row["t"] = str(s)
            if load is not None and s < len(load):
                demand, served = load[s].scheduled, load[s].ok
                row.update(demand_qps=str(demand), served_qps=str(served), unmet_qps=str(max(0, demand - served)))
            row["metric_qps"] = "" if last is None or last.metric_qps is None else f"{last.metric_qps:g}"
            row["hpa_desired"] = "" if last is None or last.desired is None else str(last.desired)
            row["replicas"] = str(sum(a for a, _ in counts.values()))
            row["ready"] = str(sum(r for _, r in counts.values()))
            for unit in units:
                alive, ready = counts.get(unit, (0, 0))
                row[f"replicas:{unit}"], row[f"ready:{unit}"] = str(alive), str(ready)
            rows.append(row)
        return rows


def write_timeline(path: Path, rows: Sequence[Mapping[str, str]], units: Sequence[str]) -> None:
    columns = timeline_columns(units)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="raise")
        writer.writeheader()
        writer.writerows(rows)


POD_COLUMNS = (
    "name",
    "unit",
    "capacity",
    "node",
    "created",
    "scheduled_after_s",
    "ready_after_s",
    "first_seen_t",
    "spot_notice",
    "end_reason",
)


def write_pods(path: Path, records: Iterable[PodRecord]) -> None:
    """``pods.csv``: one row per pod seen (the dashboard's detail)."""

    def num(v: float | None) -> str:
        return "" if v is None else f"{v:g}"

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(POD_COLUMNS)
        for r in records:
            writer.writerow(
                [
                    r.name,
                    r.unit,
                    r.capacity,
                    r.node or "",
                    r.created.isoformat() if r.created else "",
                    num(r.to_scheduled_s),
                    num(r.to_ready_s),
                    f"{r.first_seen_t:.1f}",
                    f"{r.notice.isoformat() if r.notice else ''} ({r.notice_source})" if r.notice_source else "",
                    r.end_reason or "",
                ]
            )


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


# --- list and watch, reconnecting ---------------------------------------------------------------------------------


class ListWatch(Protocol):
    """One kind of object: list it, then watch it from a resourceVersion."""

    def list(self) -> tuple[list[Any], str | None]: ...

    def watch(self, resource_version: str | None) -> Iterable[tuple[str, Any]]: ...


@dataclass
class Backoff:
    """Seconds to wait after the ``n``-th consecutive failure: 1, 2, 4, ... up to ``cap``."""

    cap: float = 30.0
    failures: int = 0

    def next(self) -> float:
        self.failures += 1
        return float(min(self.cap, 2 ** (self.failures - 1)))

    def reset(self) -> None:
        self.failures = 0


def list_and_watch(
    source: ListWatch,
    on_list: Callable[[list[Any]], None],
    on_event: Callable[[str, Any], None],
    stop: threading.Event,
    note: Callable[[str], None],
    what: str,
    backoff: Backoff | None = None,
) -> None:
    """List, then watch from the list's version; re-watch when a watch ends, re-list on 410 Gone, back off on errors."""
    backoff = backoff or Backoff()
    version: str | None = None
    listed = False
    while not stop.is_set():
        try:
            if not listed:
                items, version = source.list()
                on_list(items)
                listed = True
            for kind, obj in source.watch(version):
                if stop.is_set():
                    return
                backoff.reset()
                new_version = _resource_version(obj)
                version = new_version or version
                if kind in ("ADDED", "MODIFIED", "DELETED"):
                    on_event(kind, obj)
        except ApiException as err:
            if err.status == 410:
                note(f"{what}: watch expired (410 Gone); listing again")
                listed = False
                continue
            note(f"{what}: API error {err.status} {err.reason}; retrying")
            stop.wait(backoff.next())
        except Exception as err:  # connection drops: urllib3 errors, OSError, protocol errors
            note(f"{what}: watch interrupted ({type(err).__name__}: {err}); reconnecting")
            stop.wait(backoff.next())


def _resource_version(obj: Any) -> str | None:
    meta = getattr(obj, "metadata", None)
    if meta is not None:
        return getattr(meta, "resource_version", None)
    if isinstance(obj, dict):
        version = (obj.get("metadata") or {}).get("resourceVersion")
        return str(version) if version is not None else None
    return None


class _KubeListWatch:
    """:class:`ListWatch` over a ``CoreV1Api.list_namespaced_*`` function."""

    def __init__(self, func: Callable[..., Any], namespace: str, timeout_s: int = 60, **selectors: str) -> None:
        self.func = func
        self.namespace = namespace
        self.timeout_s = timeout_s
        self.selectors = selectors
        self.current: Watch | None = None

    def list(self) -> tuple[list[Any], str | None]:
        result = self.func(self.namespace, **self.selectors, _request_timeout=30)
        return list(result.items or []), result.metadata.resource_version if result.metadata else None

    def watch(self, resource_version: str | None) -> Iterable[tuple[str, Any]]:
        self.current = Watch()  # type: ignore[no-untyped-call]
        kwargs: dict[str, Any] = dict(self.selectors, timeout_seconds=self.timeout_s, allow_watch_bookmarks=True)
        if resource_version:
            kwargs["resource_version"] = resource_version
        stream = self.current.stream(self.func, self.namespace, _request_timeout=self.timeout_s + 10, **kwargs)  # type: ignore[no-untyped-call]
        for event in stream:
            yield str(event["type"]), event["object"] if event["type"] != "BOOKMARK" else event["raw_object"]

    def stop(self) -> None:
        if self.current is not None:
            self.current.stop()  # type: ignore[no-untyped-call]


class Watcher:
    """Threads that feed an :class:`Observer` from the cluster until :meth:`stop`."""

    def __init__(
        self, spec: WatchSpec, api: client.ApiClient, observer: Observer, clock: Callable[[], float], hpa_every: float = 2.0
    ) -> None:
        self.spec = spec
        self.observer = observer
        self.clock = clock
        self.hpa_every = hpa_every
        self.stop_event = threading.Event()
        core = client.CoreV1Api(api)
        self.autoscaling = client.AutoscalingV2Api(api)
        self.pods = _KubeListWatch(core.list_namespaced_pod, spec.namespace, label_selector=spec.selector)
        self.events = _KubeListWatch(core.list_namespaced_event, spec.namespace, field_selector="involvedObject.kind=Pod")
        self.threads: list[threading.Thread] = []

    def check(self) -> None:
        """One list of the pods, so that a wrong kubeconfig or namespace fails before the load starts."""
        self.pods.list()

    def start(self) -> None:
        o = self.observer
        targets: list[Callable[[], None]] = [
            lambda: list_and_watch(
                self.pods,
                lambda items: o.resync(items, self.clock()),
                lambda kind, pod: o.pod_event(kind, pod, self.clock()),
                self.stop_event,
                o.note,
                "pods",
            ),
            lambda: list_and_watch(
                self.events,
                self._listed_events,
                lambda kind, event: o.k8s_event(event, self.clock()),
                self.stop_event,
                o.note,
                "events",
            ),
        ]
        if self.spec.hpa:
            targets.append(self._poll_hpa)
        for target in targets:
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self.threads.append(thread)

    def _listed_events(self, items: list[Any]) -> None:
        for event in items:
            self.observer.k8s_event(event, self.clock())

    def _poll_hpa(self) -> None:
        assert self.spec.hpa is not None
        failures = 0
        while not self.stop_event.is_set():
            try:
                hpa = self.autoscaling.read_namespaced_horizontal_pod_autoscaler(
                    self.spec.hpa, self.spec.namespace, _request_timeout=10
                )
                self.observer.hpa_status(hpa, self.clock())
                failures = 0
            except Exception as err:  # keep polling through API errors and connection drops
                failures += 1
                if failures == 1:
                    self.observer.note(f"HPA {self.spec.hpa}: {type(err).__name__}: {err}; retrying")
            self.stop_event.wait(self.hpa_every)

    def stop(self, timeout: float = 5.0) -> None:
        self.stop_event.set()
        for source in (self.pods, self.events):
            with contextlib.suppress(Exception):
                source.stop()
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))


def seconds_of(elapsed: float) -> int:
    """Rows of a timeline covering ``elapsed`` seconds."""
    return max(1, math.ceil(elapsed))


__all__ = [
    "HpaSample",
    "LoadSecond",
    "Observer",
    "PodRecord",
    "UnitSpec",
    "WatchSpec",
    "Watcher",
    "capacity_of",
    "list_and_watch",
    "timeline_columns",
    "unit_of",
    "write_pods",
    "write_timeline",
]
