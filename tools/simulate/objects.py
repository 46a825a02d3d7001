"""The objects a simulation needs, found in a stack's rendered manifests or in a directory of YAML files.

For each model: the ``autoscaling/v2`` HorizontalPodAutoscaler with one External metric whose target is an
``AverageValue``; its ``scaleTargetRef``, either an ``autoscaling.alibabacloud.com/v1beta1`` ElasticWorkload (units:
``source`` first, then ``elasticUnit[]`` in order) or an ``apps/v1`` Deployment with a
``scheduling.alibabacloud.com/v1alpha1`` ResourcePolicy whose selector matches the pods (units: ``units[]``, named by
their ``podLabels["eci-inference.io/unit"]``); the ``machinelearning.seldon.io/v1`` SeldonDeployment whose Deployment
is the target (or the ElasticWorkload's source); optionally an ``autoscaling.alibabacloud.com/v1beta1``
CronHorizontalPodAutoscaler whose ``scaleTargetRef`` is the HPA.

Units: ``k8s.aliyun.com/eci-spot-strategy`` ``SpotAsPriceGo``/``SpotWithPriceLimit`` marks spot,
``k8s.aliyun.com/eci-use-specs`` the instance types (comma-separated), ``resource: ecs`` a node pool,
``k8s.aliyun.com/eci-auto-imc: "true"`` an image cache (ECI picks a matching ImageCache), ``eci-spot-duration`` the
protection hours and ``eci-spot-release-strategy: api-evict`` the graceful eviction.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tools.simulate import SimulateError
from tools.simulate.hpa import DEFAULT_DOWN, DEFAULT_UP, Behavior, Policy, Rules, approximate_float, generate_rules, milli_value

SPOT_STRATEGY = "k8s.aliyun.com/eci-spot-strategy"
SPOT_PRICE_LIMIT = "k8s.aliyun.com/eci-spot-price-limit"
SPOT_DURATION = "k8s.aliyun.com/eci-spot-duration"
SPOT_RELEASE = "k8s.aliyun.com/eci-spot-release-strategy"
USE_SPECS = "k8s.aliyun.com/eci-use-specs"
AUTO_IMAGE_CACHE = "k8s.aliyun.com/eci-auto-imc"
UNIT_LABEL = "eci-inference.io/unit"
SPOT_STRATEGIES = ("SpotAsPriceGo", "SpotWithPriceLimit")

EW_API = "autoscaling.alibabacloud.com/v1beta1"
RP_API = "scheduling.alibabacloud.com/v1alpha1"
SDEP_API = "machinelearning.seldon.io/v1"
ISVC_API = "serving.kserve.io/v1beta1"
KSERVE_AUTOSCALER_CLASS = "serving.kserve.io/autoscalerClass"

KIND_ECS = "ecs"
KIND_ECI = "eci"
KIND_ECI_CACHED = "eci-cached"
KIND_SOURCE = "source"


@dataclass(frozen=True)
class Unit:
    """One place pods go, in fill order."""

    name: str
    min: int
    max: float  # math.inf when unbounded
    kind: str  # ecs, eci, eci-cached or source (the ElasticWorkload's source Deployment)
    spot: bool = False
    spot_strategy: str | None = None
    price_limit: float | None = None
    specs: tuple[str, ...] = ()
    protection_hours: float = 1.0
    api_evict: bool = False


@dataclass(frozen=True)
class RolloutStrategy:
    """A Deployment's ``spec.strategy.rollingUpdate`` after the API server's defaults: ints or ``"N%"`` strings."""

    max_surge: int | str
    max_unavailable: int | str
    source: str


DEFAULT_STRATEGY = RolloutStrategy("25%", "25%", "Kubernetes defaults (pkg/apis/apps/v1/defaults.go SetDefaults_Deployment)")
SELDON_STRATEGY = RolloutStrategy(
    "25%",
    0,
    "seldon-core v1.17.1 operator/controllers/seldondeployment_controller.go createDeploymentWithoutEngine: "
    'RollingUpdate{MaxUnavailable: &intstr.IntOrString{StrVal: "10%"}} has Type Int (the zero value), so it is '
    "written as maxUnavailable 0; maxSurge is unset and the API server defaults it to 25%",
)
"""The SeldonDeployment of seldon-core 1.17.1 has no strategy field (``SeldonPodSpec``, ``PredictorSpec`` in
``operator/apis/machinelearning.seldon.io/v1/seldondeployment_types.go``): the operator writes this one."""
KSERVE_DEFAULT_ROLLOUT = (
    "kserve v0.20.0 reconcilers/deployment/deployment_reconciler.go setDefaultDeploymentSpec: RollingUpdate 25% / 25% "
    "(the inferenceservice-config ConfigMap's deploy.defaultRollout may replace it; not in the manifests)"
)


@dataclass(frozen=True)
class SeldonInfo:
    """What the server's operator will do to the Deployment it creates: Seldon's for predictor 0, component 0, or
    KServe's for the InferenceService's predictor (``kind``)."""

    name: str
    deployment: str
    replicas: int | None
    replicas_field: str | None
    owns_scaling: bool  # hpaSpec or kedaSpec on the component: then the operator ignores replica differences
    pod_labels: Mapping[str, str]
    model_label: str | None = None  # the server object's app.kubernetes.io/name (the stack's model name)
    kind: str = "SeldonDeployment"
    autoscaler_class: str | None = None  # KServe: serving.kserve.io/autoscalerClass
    notes: tuple[str, ...] = ()  # what the manifests set that the operator ignores, said in the summary
    version: int | None = None  # the model version its readiness probe asks for (/v1/models/<m>/versions/<N>/...)


@dataclass(frozen=True)
class CronJob:
    name: str
    schedule: str
    target_size: int
    run_once: bool


@dataclass(frozen=True)
class CronHpa:
    name: str
    jobs: tuple[CronJob, ...]
    exclude_dates: tuple[str, ...]


@dataclass(frozen=True)
class HpaSpec:
    name: str
    namespace: str
    min_replicas: int
    max_replicas: int
    target_milli: int
    metric: str
    behavior: Behavior | None
    target_kind: str
    target_name: str


@dataclass(frozen=True)
class ModelObjects:
    """Everything one model's simulation reads."""

    name: str
    hpa: HpaSpec
    mode: str  # elasticWorkload, resourcePolicy or deployment
    target_ref: str  # Kind/name of the HPA's target
    units: tuple[Unit, ...]
    seldon: SeldonInfo | None
    seldon_target: str | None  # Kind/name of the Deployment the Seldon operator writes, when it is in the loop
    cron: CronHpa | None
    ew_replicas: int | None = None
    strategy: RolloutStrategy = DEFAULT_STRATEGY
    units_per_template: bool = False  # ResourcePolicy matchLabelKeys holds pod-template-hash: each ReplicaSet's pods
    # are counted apart against the units' max (ACK "Custom elastic resource priority scheduling")

    @property
    def capacity(self) -> float:
        """Total of the units' maxima (inf when one is unbounded)."""
        return sum(u.max for u in self.units)


# ------------------------------------------------------------------------------------------------ loading


def load_manifest_dir(directory: Path) -> list[dict[str, Any]]:
    """Every object in the ``*.yaml``/``*.yml``/``*.json`` files under ``directory`` (multi-document files allowed)."""
    if not directory.is_dir():
        raise SimulateError(f"--manifests {directory}: not a directory")
    files = sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix.lower() in (".yaml", ".yml", ".json"))
    if not files:
        raise SimulateError(f"--manifests {directory}: no .yaml, .yml or .json files")
    objects: list[dict[str, Any]] = []
    for path in files:
        try:
            documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
            raise SimulateError(f"{path}: cannot read YAML: {err}") from None
        for document in documents:
            if isinstance(document, dict) and document.get("kind") == "List" and isinstance(document.get("items"), list):
                objects.extend(item for item in document["items"] if isinstance(item, dict))
            elif isinstance(document, dict) and "kind" in document:
                objects.append(document)
    return objects


def load_stack(stack: str) -> list[dict[str, Any]]:
    """The Kubernetes objects ``tools.render`` renders for a stack, in-process (no cloud, no CLI)."""
    try:  # imported by name: the renderer is another part of the project, typed and tested on its own
        pipeline = importlib.import_module("tools.render.pipeline")
        render_stack = pipeline.render_stack
    except Exception as err:  # the renderer or the program cannot be imported: report, do not trace back
        raise SimulateError(f"--stack {stack}: cannot load the renderer (tools.render.pipeline): {err}") from None
    try:
        rendered = render_stack(stack)
    except Exception as err:  # UnknownStack, StackConfigInvalid, or a program error: all are bad input here
        raise SimulateError(f"--stack {stack}: {err}") from None
    return [dict(m.body) for m in rendered.manifests]


# ------------------------------------------------------------------------------------------------ helpers


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _name(obj: Mapping[str, Any]) -> str:
    return str(_meta(obj).get("name", ""))


def _ns(obj: Mapping[str, Any]) -> str:
    return str(_meta(obj).get("namespace") or "default")


def _spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def ref(obj: Mapping[str, Any]) -> str:
    return f"{obj.get('kind')}/{_name(obj)}"


def _int(value: Any, where: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise SimulateError(f"{where}: {value!r} is not a whole number")
    try:
        number = float(value)
    except ValueError:
        raise SimulateError(f"{where}: {value!r} is not a whole number") from None
    if not math.isfinite(number) or number != int(number) or number < minimum:
        raise SimulateError(f"{where}: {value!r} is not a whole number >= {minimum}")
    return int(number)


def _of_kind(objects: Iterable[Mapping[str, Any]], api: str | None, kind: str) -> list[Mapping[str, Any]]:
    return [o for o in objects if o.get("kind") == kind and (api is None or str(o.get("apiVersion", "")).startswith(api))]


def seldon_deployment_name(sdep: str, predictor: str, component: Mapping[str, Any], index: int) -> str:
    """``GetDeploymentName`` (seldon-core v1.17.1, operator/apis/machinelearning.seldon.io/v1/seldondeployment_types.go):
    ``<sdep>-<predictor>-<index>-<componentSpec metadata.name or the container names joined by ->``, and
    ``seldon-<md5 hex>`` past 63 characters."""
    meta = component.get("metadata") if isinstance(component.get("metadata"), Mapping) else {}
    spec = component.get("spec") if isinstance(component.get("spec"), Mapping) else {}
    assert isinstance(meta, Mapping) and isinstance(spec, Mapping)
    raw_containers = spec.get("containers")
    containers: list[Any] = raw_containers if isinstance(raw_containers, list) else []
    suffix = str(meta.get("name") or "-".join(str(c.get("name", "")) for c in containers if isinstance(c, Mapping)))
    name = f"{sdep}-{predictor}-{index}-{suffix}"
    if len(name) > 63:
        return "seldon-" + hashlib.md5(name.encode()).hexdigest()
    return name


def _kserve_infos(objects: Sequence[Mapping[str, Any]]) -> list[SeldonInfo]:
    """What KServe v0.20.0 (kserve/kserve tag v0.20.0) does to each InferenceService's predictor Deployment,
    ``<isvc>-predictor`` (``constants.PredictorServiceName``):

    - ``reconcilers/deployment/deployment_reconciler.go``: with the autoscaler class ``none``,
      ``createRawDefaultDeployment`` writes ``minReplicas`` into ``spec.replicas`` and ``checkDeploymentExist`` compares
      it, so the controller puts it back over any other writer's count on every reconcile (it owns the Deployment);
      ``minReplicas`` defaults to 1 (``component.go`` ``validateReplicas``, ``constants.DefaultMinReplicas``);
    - for ``external`` (and ``hpa``, the default) ``Replicas`` is ignored and dropped from the patch: the live count is
      kept, and ``minReplicas``/``maxReplicas`` mean nothing with ``external`` (a note says so);
    - the pods carry ``spec.predictor.labels`` and ``app: isvc.<isvc>-predictor`` (``components/predictor.go``
      ``buildObjectMeta``; ``deployment_reconciler.go`` ``GetRawServiceLabel``).
    """
    infos: list[SeldonInfo] = []
    for isvc in _of_kind(objects, ISVC_API, "InferenceService"):
        where = f"InferenceService/{_name(isvc)}"
        predictor = _spec(isvc).get("predictor")
        if not isinstance(predictor, Mapping):
            continue
        named = predictor.get("name")
        deployment = f"{_name(isvc)}-{named}-predictor" if named else f"{_name(isvc)}-predictor"
        annotations = _meta(isvc).get("annotations")
        klass = str(annotations.get(KSERVE_AUTOSCALER_CLASS, "hpa")) if isinstance(annotations, Mapping) else "hpa"
        low = predictor.get("minReplicas")
        high = predictor.get("maxReplicas")
        replicas: int | None = None
        field: str | None = None
        notes: list[str] = []
        if klass == "none":
            replicas = _int(low, f"{where}: spec.predictor.minReplicas") if low is not None else 1
            field = "spec.predictor.minReplicas" if low is not None else "spec.predictor.minReplicas (default 1)"
        else:
            if klass == "hpa":
                notes.append(
                    f"{where} has the autoscaler class 'hpa' (the default): KServe creates a HorizontalPodAutoscaler of "
                    "its own (reconcilers/hpa/hpa_reconciler.go) that would fight this one; not simulated, and the "
                    "policy pack refuses it (kserve-external-autoscaler)"
                )
            for key, value in (("minReplicas", low), ("maxReplicas", high)):
                if value is not None:
                    notes.append(
                        f"{where} sets spec.predictor.{key} = {value} with the autoscaler class {klass!r}: KServe ignores "
                        "it there; the HorizontalPodAutoscaler's bounds apply"
                    )
        raw_labels = predictor.get("labels")
        pod_labels = {str(k): str(v) for k, v in raw_labels.items()} if isinstance(raw_labels, Mapping) else {}
        pod_labels.setdefault("app", f"isvc.{deployment}")
        labels = _meta(isvc).get("labels")
        model_label = (
            str(labels["app.kubernetes.io/name"])
            if isinstance(labels, Mapping) and labels.get("app.kubernetes.io/name")
            else None
        )
        infos.append(
            SeldonInfo(
                _name(isvc), deployment, replicas, field, False, pod_labels, model_label, "InferenceService", klass, tuple(notes)
            )
        )
    return infos


def _seldon_infos(objects: Sequence[Mapping[str, Any]]) -> list[SeldonInfo]:
    infos: list[SeldonInfo] = []
    for sdep in _of_kind(objects, SDEP_API, "SeldonDeployment"):
        spec = _spec(sdep)
        predictors = spec.get("predictors") if isinstance(spec.get("predictors"), list) else []
        assert isinstance(predictors, list)
        if not predictors or not isinstance(predictors[0], Mapping):
            continue
        predictor = predictors[0]
        components = predictor.get("componentSpecs") if isinstance(predictor.get("componentSpecs"), list) else []
        assert isinstance(components, list)
        if not components or not isinstance(components[0], Mapping):
            continue
        component = components[0]
        where = f"SeldonDeployment/{_name(sdep)}"
        # seldondeployment_controller.go createComponents (v1.17.1): componentSpec, then predictor, then spec replicas
        replicas: int | None = None
        field: str | None = None
        for value, path in (
            (component.get("replicas"), "spec.predictors[0].componentSpecs[0].replicas"),
            (predictor.get("replicas"), "spec.predictors[0].replicas"),
            (spec.get("replicas"), "spec.replicas"),
        ):
            if value is not None:
                replicas, field = _int(value, f"{where}: {path}"), path
                break
        owns = component.get("hpaSpec") is not None or component.get("kedaSpec") is not None
        meta = component.get("metadata") if isinstance(component.get("metadata"), Mapping) else {}
        assert isinstance(meta, Mapping)
        labels = meta.get("labels") if isinstance(meta.get("labels"), Mapping) else {}
        assert isinstance(labels, Mapping)
        deployment = seldon_deployment_name(_name(sdep), str(predictor.get("name", "")), component, 0)
        pod_labels = {str(k): str(v) for k, v in labels.items()}
        pod_labels.setdefault("app", deployment)
        sdep_labels = _meta(sdep).get("labels")
        model_label = (
            str(sdep_labels.get("app.kubernetes.io/name"))
            if isinstance(sdep_labels, Mapping) and sdep_labels.get("app.kubernetes.io/name")
            else None
        )
        probed = re.search(r"/versions/([0-9]+)/", json.dumps(component, default=str))
        version = int(probed.group(1)) if probed else None
        infos.append(SeldonInfo(_name(sdep), deployment, replicas, field, owns, pod_labels, model_label, version=version))
    return infos


def _behavior(raw: Any, where: str) -> Behavior | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise SimulateError(f"{where}.behavior: not a mapping")

    def rules(key: str, default: Rules) -> Rules:
        given = raw.get(key)
        if given is None:
            return default
        if not isinstance(given, Mapping):
            raise SimulateError(f"{where}.behavior.{key}: not a mapping")
        policies: list[Policy] = []
        raw_policies = given.get("policies")
        policy_list: list[Any] = raw_policies if isinstance(raw_policies, list) else []
        for i, p in enumerate(policy_list):
            if not isinstance(p, Mapping) or p.get("type") not in ("Pods", "Percent"):
                raise SimulateError(f"{where}.behavior.{key}.policies[{i}]: type must be Pods or Percent")
            policies.append(
                Policy(
                    str(p["type"]),
                    _int(p.get("value"), f"{where}.behavior.{key}.policies[{i}].value", 1),
                    _int(p.get("periodSeconds"), f"{where}.behavior.{key}.policies[{i}].periodSeconds", 1),
                )
            )
        select = given.get("selectPolicy")
        if select is not None and select not in ("Max", "Min", "Disabled"):
            raise SimulateError(f"{where}.behavior.{key}.selectPolicy: {select!r} is not Max, Min or Disabled")
        window = given.get("stabilizationWindowSeconds")
        tolerance = given.get("tolerance")
        try:
            tolerance_value = None if tolerance is None else approximate_float(tolerance)
        except ValueError as err:
            raise SimulateError(f"{where}.behavior.{key}.tolerance: {err}") from None
        if tolerance_value is not None and tolerance_value < 0:
            raise SimulateError(f"{where}.behavior.{key}.tolerance: {tolerance!r} is negative (the API refuses it)")
        parsed = Rules(
            window=None if window is None else _int(window, f"{where}.behavior.{key}.stabilizationWindowSeconds"),
            select=str(select) if select is not None else default.select,
            policies=tuple(policies),
            tolerance=tolerance_value,
        )
        return generate_rules(
            parsed, default, window=window is not None, select=select is not None, policies=raw_policies is not None
        )

    return Behavior(rules("scaleUp", DEFAULT_UP), rules("scaleDown", DEFAULT_DOWN))


def _hpa_spec(hpa: Mapping[str, Any]) -> HpaSpec:
    where = f"HorizontalPodAutoscaler/{_name(hpa)}"
    spec = _spec(hpa)
    metrics = spec.get("metrics") if isinstance(spec.get("metrics"), list) else []
    assert isinstance(metrics, list)
    externals = [m for m in metrics if isinstance(m, Mapping) and m.get("type") == "External"]
    if len(externals) != 1 or len(metrics) != 1:
        raise SimulateError(f"{where}: expected exactly one metric, of type External (found {len(metrics)} metric(s))")
    external = externals[0].get("external")
    target = external.get("target") if isinstance(external, Mapping) else None
    if not isinstance(target, Mapping) or target.get("type") != "AverageValue" or target.get("averageValue") is None:
        raise SimulateError(f"{where}: the External metric's target must be of type AverageValue with an averageValue")
    try:
        target_milli = milli_value(target["averageValue"])
    except ValueError as err:
        raise SimulateError(f"{where}: averageValue: {err}") from None
    if target_milli <= 0:
        raise SimulateError(f"{where}: averageValue must be positive")
    assert isinstance(external, Mapping)
    metric = external.get("metric")
    metric_name = str(metric.get("name", "")) if isinstance(metric, Mapping) else ""
    ref_ = spec.get("scaleTargetRef")
    if not isinstance(ref_, Mapping) or not ref_.get("kind") or not ref_.get("name"):
        raise SimulateError(f"{where}: spec.scaleTargetRef needs kind and name")
    min_replicas = _int(spec.get("minReplicas", 1), f"{where}: spec.minReplicas")
    max_replicas = _int(spec.get("maxReplicas"), f"{where}: spec.maxReplicas", 1)
    if min_replicas > max_replicas:
        raise SimulateError(f"{where}: minReplicas {min_replicas} > maxReplicas {max_replicas}")
    return HpaSpec(
        name=_name(hpa),
        namespace=_ns(hpa),
        min_replicas=min_replicas,
        max_replicas=max_replicas,
        target_milli=target_milli,
        metric=metric_name,
        behavior=_behavior(spec.get("behavior"), f"{where}: spec"),
        target_kind=str(ref_["kind"]),
        target_name=str(ref_["name"]),
    )


def _unit(
    name: str, annotations: Mapping[str, Any], resource: str, minimum: int, maximum: float, cached: bool, where: str
) -> Unit:
    strategy = annotations.get(SPOT_STRATEGY)
    spot = strategy in SPOT_STRATEGIES
    specs = tuple(s.strip() for s in str(annotations.get(USE_SPECS, "")).split(",") if s.strip())
    limit = annotations.get(SPOT_PRICE_LIMIT)
    try:
        price_limit = float(limit) if limit is not None else None
    except ValueError:
        raise SimulateError(f"{where}: {SPOT_PRICE_LIMIT} = {limit!r} is not a number") from None
    duration = annotations.get(SPOT_DURATION)
    try:
        protection = float(duration) if duration is not None else 1.0
    except ValueError:
        raise SimulateError(f"{where}: {SPOT_DURATION} = {duration!r} is not a number") from None
    if resource == KIND_ECS:
        kind = KIND_ECS
    elif cached or str(annotations.get(AUTO_IMAGE_CACHE, "")).lower() == "true":
        kind = KIND_ECI_CACHED
    else:
        kind = KIND_ECI
    return Unit(
        name=name,
        min=minimum,
        max=maximum,
        kind=kind,
        spot=spot,
        spot_strategy=str(strategy) if spot else None,
        price_limit=price_limit,
        specs=specs,
        protection_hours=protection,
        api_evict=str(annotations.get(SPOT_RELEASE, "")) == "api-evict",
    )


def _is_virtual(unit: Mapping[str, Any], annotations: Mapping[str, Any]) -> bool:
    selector = unit.get("nodeSelector") if isinstance(unit.get("nodeSelector"), Mapping) else {}
    assert isinstance(selector, Mapping)
    return annotations.get("virtual-kubelet") == "true" or USE_SPECS in annotations or selector.get("type") == "virtual-kubelet"


def _selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    match = selector.get("matchLabels") if isinstance(selector.get("matchLabels"), Mapping) else None
    pairs = match if match is not None else {k: v for k, v in selector.items() if k != "matchExpressions"}
    assert isinstance(pairs, Mapping)
    return bool(pairs) and all(labels.get(str(k)) == str(v) for k, v in pairs.items())


# ------------------------------------------------------------------------------------------------ models


def find_models(objects: Sequence[Mapping[str, Any]]) -> list[ModelObjects]:
    """One :class:`ModelObjects` per External-metric HPA of the manifests; raises :class:`SimulateError`."""
    hpas = [
        h for h in _of_kind(objects, "autoscaling/", "HorizontalPodAutoscaler") if str(h.get("apiVersion")) == "autoscaling/v2"
    ]
    if not hpas:
        raise SimulateError("no autoscaling/v2 HorizontalPodAutoscaler in the manifests")
    seldons = _seldon_infos(objects) + _kserve_infos(objects)
    models: list[ModelObjects] = []
    for hpa_obj in hpas:
        hpa = _hpa_spec(hpa_obj)
        where = f"HorizontalPodAutoscaler/{hpa.name}"
        target_ref = f"{hpa.target_kind}/{hpa.target_name}"
        seldon: SeldonInfo | None = None
        seldon_target: str | None = None
        ew_replicas: int | None = None
        per_template = False
        units: list[Unit] = []
        if hpa.target_kind == "ElasticWorkload":
            ews = [
                e for e in _of_kind(objects, EW_API, "ElasticWorkload") if _name(e) == hpa.target_name and _ns(e) == hpa.namespace
            ]
            if not ews:
                raise SimulateError(f"{where}: its target ElasticWorkload/{hpa.target_name} is not in the manifests")
            ew = ews[0]
            ew_where = f"ElasticWorkload/{_name(ew)}"
            spec = _spec(ew)
            source = spec.get("sourceTarget")
            if not isinstance(source, Mapping) or not source.get("name"):
                raise SimulateError(f"{ew_where}: spec.sourceTarget.name is missing")
            source_name = str(source["name"])
            source_max = _int(source["max"], f"{ew_where}: sourceTarget.max") if source.get("max") is not None else math.inf
            units.append(
                Unit(
                    name="source",
                    min=_int(source.get("min", 0), f"{ew_where}: sourceTarget.min"),
                    max=source_max,
                    kind=KIND_SOURCE,
                )
            )
            raw_units = spec.get("elasticUnit") if isinstance(spec.get("elasticUnit"), list) else []
            assert isinstance(raw_units, list)
            if not raw_units:
                raise SimulateError(f"{ew_where}: spec.elasticUnit is empty")
            for i, raw in enumerate(raw_units):
                if not isinstance(raw, Mapping) or not raw.get("name"):
                    raise SimulateError(f"{ew_where}: elasticUnit[{i}] needs a name")
                annotations = raw.get("annotations") if isinstance(raw.get("annotations"), Mapping) else {}
                assert isinstance(annotations, Mapping)
                unit_max = _int(raw["max"], f"{ew_where}: elasticUnit[{i}].max") if raw.get("max") is not None else math.inf
                units.append(
                    _unit(
                        str(raw["name"]),
                        annotations,
                        KIND_ECI if _is_virtual(raw, annotations) else KIND_ECS,
                        _int(raw.get("min", 0), f"{ew_where}: elasticUnit[{i}].min"),
                        unit_max,
                        False,
                        f"{ew_where}: elasticUnit[{i}]",
                    )
                )
            if spec.get("replicas") is not None:
                ew_replicas = _int(spec["replicas"], f"{ew_where}: spec.replicas")
            mode = "elasticWorkload"
            for info in seldons:
                if info.deployment == source_name:
                    seldon, seldon_target = info, f"Deployment/{source_name}"
        elif hpa.target_kind == "Deployment":
            for info in seldons:
                if info.deployment == hpa.target_name:
                    seldon, seldon_target = info, target_ref
            labels: Mapping[str, str] = seldon.pod_labels if seldon is not None else {}
            if seldon is None:
                deployments = [d for d in _of_kind(objects, "apps/", "Deployment") if _name(d) == hpa.target_name]
                if deployments:
                    template = _spec(deployments[0]).get("template")
                    meta = template.get("metadata") if isinstance(template, Mapping) else None
                    raw_labels = meta.get("labels") if isinstance(meta, Mapping) else None
                    labels = {str(k): str(v) for k, v in raw_labels.items()} if isinstance(raw_labels, Mapping) else {}
                else:
                    raise SimulateError(
                        f"{where}: its target Deployment/{hpa.target_name} is neither in the manifests nor the Deployment "
                        "a SeldonDeployment or InferenceService of the manifests creates"
                    )
            policies = [
                p
                for p in _of_kind(objects, RP_API, "ResourcePolicy")
                if _ns(p) == hpa.namespace
                and isinstance(_spec(p).get("selector"), Mapping)
                and _selector_matches(_spec(p)["selector"], labels)
            ]
            if policies:
                policy = policies[0]
                rp_where = f"ResourcePolicy/{_name(policy)}"
                raw_units = _spec(policy).get("units") if isinstance(_spec(policy).get("units"), list) else []
                assert isinstance(raw_units, list)
                if not raw_units:
                    raise SimulateError(f"{rp_where}: spec.units is empty")
                for i, raw in enumerate(raw_units):
                    if not isinstance(raw, Mapping):
                        raise SimulateError(f"{rp_where}: units[{i}] is not a mapping")
                    pod_labels = raw.get("podLabels") if isinstance(raw.get("podLabels"), Mapping) else {}
                    annotations = raw.get("podAnnotations") if isinstance(raw.get("podAnnotations"), Mapping) else {}
                    assert isinstance(pod_labels, Mapping) and isinstance(annotations, Mapping)
                    name = str(pod_labels.get(UNIT_LABEL) or f"unit-{i}")
                    unit_max = _int(raw["max"], f"{rp_where}: units[{i}].max") if raw.get("max") is not None else math.inf
                    units.append(
                        _unit(
                            name, annotations, str(raw.get("resource", KIND_ECS)), 0, unit_max, False, f"{rp_where}: units[{i}]"
                        )
                    )
                mode = "resourcePolicy"
                keys = _spec(policy).get("matchLabelKeys")
                per_template = isinstance(keys, list) and "pod-template-hash" in keys
            else:
                units.append(Unit(name=hpa.target_name, min=0, max=math.inf, kind=KIND_ECS))
                mode = "deployment"
        else:
            raise SimulateError(f"{where}: scaleTargetRef kind {hpa.target_kind!r} is not ElasticWorkload or Deployment")
        if len({u.name for u in units}) != len(units):
            raise SimulateError(f"{target_ref}: unit names are not unique: {', '.join(u.name for u in units)}")
        cron: CronHpa | None = None
        for c in _of_kind(objects, EW_API, "CronHorizontalPodAutoscaler"):
            cref = _spec(c).get("scaleTargetRef")
            if isinstance(cref, Mapping) and cref.get("kind") == "HorizontalPodAutoscaler" and cref.get("name") == hpa.name:
                cron = _cron(c)
        name = seldon.name if seldon is not None else hpa.name
        strategy = _strategy(objects, seldon_target or target_ref, seldon, hpa.namespace)
        models.append(
            ModelObjects(
                name, hpa, mode, target_ref, tuple(units), seldon, seldon_target, cron, ew_replicas, strategy, per_template
            )
        )
    return models


def _int_or_percent(value: Any, where: str) -> int | str:
    """An ``IntOrString`` as the API accepts it for maxSurge/maxUnavailable: an int >= 0 or ``"N%"``."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]+%", value):
        return value
    raise SimulateError(f"{where}: {value!r} is not a whole number >= 0 or a percentage such as '25%'")


def _read_strategy(raw: Any, where: str) -> RolloutStrategy:
    """A ``DeploymentStrategy`` as written; missing fields get the API server's 25 %."""
    strategy = raw if isinstance(raw, Mapping) else {}
    if strategy.get("type") == "Recreate":
        return RolloutStrategy(0, "100%", f"{where}.type Recreate")
    rolling = strategy.get("rollingUpdate") if isinstance(strategy.get("rollingUpdate"), Mapping) else {}
    assert isinstance(rolling, Mapping)
    surge = _int_or_percent(rolling.get("maxSurge", "25%"), f"{where}.rollingUpdate.maxSurge")
    unavailable = _int_or_percent(rolling.get("maxUnavailable", "25%"), f"{where}.rollingUpdate.maxUnavailable")
    if surge in (0, "0%") and unavailable in (0, "0%"):
        raise SimulateError(f"{where}: maxSurge and maxUnavailable may not both be 0 (the API refuses it)")
    return RolloutStrategy(surge, unavailable, f"{where} (missing fields: the API's 25%)")


def _strategy(objects: Sequence[Mapping[str, Any]], ref_: str, server: SeldonInfo | None, namespace: str) -> RolloutStrategy:
    """How the Deployment that runs the pods rolls a template change: its own ``spec.strategy`` when the manifests
    hold it; the Seldon operator's when that operator creates it; for KServe v0.20.0's predictor Deployment
    (``reconcilers/deployment/deployment_reconciler.go`` ``createRawDefaultDeployment``) the InferenceService's
    ``spec.predictor.deploymentStrategy``, else ``setDefaultDeploymentSpec``'s 25 % / 25 % (the
    ``inferenceservice-config`` ConfigMap's ``deploy.defaultRollout`` may replace it: not in the manifests); else
    the API server's defaults."""
    kind, _, name = ref_.partition("/")
    if kind == "ElasticWorkload":
        name += "-source"
    for deployment in _of_kind(objects, "apps/", "Deployment"):
        if _name(deployment) == name and _ns(deployment) == namespace:
            return _read_strategy(_spec(deployment).get("strategy"), f"Deployment/{name} spec.strategy")
    if server is not None and server.kind == "InferenceService":
        for isvc in _of_kind(objects, ISVC_API, "InferenceService"):
            predictor = _spec(isvc).get("predictor")
            if _name(isvc) == server.name and isinstance(predictor, Mapping) and predictor.get("deploymentStrategy"):
                where = f"InferenceService/{server.name} spec.predictor.deploymentStrategy"
                return _read_strategy(predictor["deploymentStrategy"], where)
        return RolloutStrategy("25%", "25%", KSERVE_DEFAULT_ROLLOUT)
    return SELDON_STRATEGY if server is not None else DEFAULT_STRATEGY


def _cron(obj: Mapping[str, Any]) -> CronHpa:
    where = f"CronHorizontalPodAutoscaler/{_name(obj)}"
    spec = _spec(obj)
    jobs: list[CronJob] = []
    raw_jobs = spec.get("jobs") if isinstance(spec.get("jobs"), list) else []
    assert isinstance(raw_jobs, list)
    for i, job in enumerate(raw_jobs):
        if not isinstance(job, Mapping) or not job.get("schedule"):
            raise SimulateError(f"{where}: jobs[{i}] needs a schedule")
        jobs.append(
            CronJob(
                name=str(job.get("name", f"job-{i}")),
                schedule=str(job["schedule"]),
                target_size=_int(job.get("targetSize"), f"{where}: jobs[{i}].targetSize"),
                run_once=bool(job.get("runOnce", False)),
            )
        )
    excludes = spec.get("excludeDates") if isinstance(spec.get("excludeDates"), list) else []
    assert isinstance(excludes, list)
    return CronHpa(_name(obj), tuple(jobs), tuple(str(e) for e in excludes))


def select_model(models: Sequence[ModelObjects], wanted: str | None) -> ModelObjects:
    """The model ``--model`` names (SeldonDeployment or HPA name), or the only one."""
    if wanted is None:
        if len(models) == 1:
            return models[0]
        raise SimulateError(
            f"the manifests hold {len(models)} models; choose one with --model: {', '.join(m.name for m in models)}"
        )
    for m in models:
        if wanted in (m.name, m.hpa.name) or (m.seldon is not None and wanted == m.seldon.model_label):
            return m
    raise SimulateError(f"--model {wanted}: no such model; the manifests hold: {', '.join(m.name for m in models)}")
