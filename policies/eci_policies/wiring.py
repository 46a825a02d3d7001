"""The names across resources agree: SeldonDeployment or InferenceService -> ElasticWorkload -> HPA, and the HPA's
route -> Ingress."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .autoscaling import is_hpa
from .elastic import is_elastic_workload
from .framework import MANDATORY, PackStackPolicy, Res
from .kserve import HTTP_PORT as KSERVE_HTTP_PORT
from .kserve import is_inference_service, predictor_of
from .kubernetes import is_kind, name_of, namespace_of
from .seldon import HTTP_PORT, deployment_name, name_as_prefix, route, service_name
from .values import NotKnown, could_not_check, dig, entries, known, mapping, text

EW_API = "autoscaling.alibabacloud.com/v1beta1"
CANARY_ANNOTATION = "nginx.ingress.kubernetes.io/canary"
ROUTE_LABEL = "sls.ingress.route"
WORKLOAD_KINDS = ("Deployment", "StatefulSet")

Finding = tuple[str, str | None]


@dataclass(frozen=True)
class Predictor:
    """One componentSpec of a SeldonDeployment predictor, or an InferenceService's predictor: the Deployment and
    Service the operator creates for it."""

    namespace: str
    sdep: str
    predictor: str
    deployment: str
    service: str
    port: int = HTTP_PORT
    owner: str = "SeldonDeployment"


SELDON_CHART = "seldon-core-operator"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


def seldon_name_as_prefix(resources: list[Res]) -> bool:
    """Whether the stack's seldon-core-operator release (if any) sets ``manager.deploymentNameAsPrefix``."""
    for res in resources:
        if res.type == HELM_RELEASE and text(res.props.get("chart")) == SELDON_CHART:
            return name_as_prefix(mapping(res.props.get("values")))
    return False


def predictors(sdep: Res, prefix: bool = False) -> Iterator[Predictor]:
    """What the operator creates for each componentSpec (none are derived for a predictor without componentSpecs);
    ``prefix``: the operator runs with ``DEPLOYMENT_NAME_AS_PREFIX=true``."""
    namespace, name = namespace_of(sdep.props), name_of(sdep.props)
    if name is None:
        return
    for p in entries(dig(sdep.props, "spec", "predictors")):
        body = mapping(p)
        predictor = text(body.get("name")) or ""
        service = service_name(name, predictor, mapping(body.get("annotations")))
        for index, component in enumerate(entries(body.get("componentSpecs"))):
            spec = mapping(component)
            names = [text(mapping(c).get("name")) or "" for c in entries(dig(spec, "spec", "containers"))]
            own = text(dig(spec, "metadata", "name"))
            deployment = deployment_name(name, predictor, index, names, own, name_as_prefix=prefix)
            yield Predictor(namespace, name, predictor, deployment, service)


def kserve_predictors(isvc: Res) -> Iterator[Predictor]:
    """The Deployment and Service KServe creates for an InferenceService's predictor (``kserve.py``)."""
    found = predictor_of(isvc)
    if found is not None:
        namespace, name = found
        isvc_name = name_of(isvc.props) or ""
        yield Predictor(namespace, isvc_name, "predictor", name, name, KSERVE_HTTP_PORT, "InferenceService")


@dataclass(frozen=True)
class Backend:
    namespace: str
    service: str
    port: str
    host: str | None = None
    path: str | None = None
    canary: bool = False
    """The backend of an ingress-nginx canary Ingress (annotation ``nginx.ingress.kubernetes.io/canary: "true"``)."""

    @property
    def route(self) -> str:
        return route(self.namespace, self.service, self.port)


def backends(ingress: Res) -> Iterator[Backend]:
    """Every Service backend of an Ingress (networking.k8s.io/v1 and the old serviceName/servicePort form)."""
    namespace = namespace_of(ingress.props)
    canary = text(mapping(dig(ingress.props, "metadata", "annotations")).get(CANARY_ANNOTATION)) == "true"
    candidates: list[tuple[Any, str | None, str | None]] = [
        (dig(ingress.props, "spec", "defaultBackend"), None, None),
        (dig(ingress.props, "spec", "backend"), None, None),
    ]
    for rule in entries(dig(ingress.props, "spec", "rules")):
        host = text(mapping(rule).get("host"))
        candidates += [
            (mapping(p).get("backend"), host, text(mapping(p).get("path"))) for p in entries(dig(rule, "http", "paths"))
        ]
    for candidate, host, path in candidates:
        backend = mapping(candidate)
        service = mapping(backend.get("service"))
        name = text(service.get("name")) or text(backend.get("serviceName"))
        port_ref = mapping(service.get("port"))
        port = known(port_ref.get("number")) or known(port_ref.get("name")) or known(backend.get("servicePort"))
        if name and port is not None:
            yield Backend(namespace, name, str(port), host, path, canary)


def route_labels(hpa: Res) -> Iterator[tuple[str, str]]:
    """``(where, value)`` of every ``sls.ingress.route`` label the HPA's external metrics select on."""
    for i, metric in enumerate(entries(dig(hpa.props, "spec", "metrics"))):
        external = mapping(mapping(metric).get("external"))
        selectors = {
            "metric.selector": dig(external, "metric", "selector", "matchLabels"),  # autoscaling/v2
            "metricSelector": dig(external, "metricSelector", "matchLabels"),  # v2beta1
        }
        for where, labels in selectors.items():
            value = text(mapping(labels).get(ROUTE_LABEL))
            if value is not None:
                yield f"spec.metrics[{i}].external.{where}.matchLabels[{ROUTE_LABEL}]", value


@dataclass
class Stack:
    predictors: list[Predictor]
    workloads: set[tuple[str, str, str]]
    """(namespace, kind, name) of Deployments and StatefulSets in the stack."""
    elastic: dict[tuple[str, str], Res]
    backends: list[Backend]
    sources: dict[tuple[str, str], str]
    """ElasticWorkload (namespace, name) -> its sourceTarget name, where known."""
    unknown: list[str]
    """Paths of unknown names: while any exist, "not found" is not a confirmed violation."""

    def logged_routes(self, backend: Backend) -> list[str]:
        """The ``sls.ingress.route`` values under which the requests to ``backend`` are counted.

        ACK's metrics adapter counts the log lines whose ``proxy_upstream_name`` is the route
        (alibaba-cloud-metrics-adapter ``pkg/metrics/sls/ingress.go``, ``getSLSIngressQuery``), and ingress-nginx logs a
        request it sends to a canary backend under the primary backend's ``proxy_upstream_name``, naming the canary only
        in ``proxy_alternative_upstream_name`` (``rootfs/etc/nginx/lua/balancer.lua``, ``get_balancer``). So a canary
        backend's requests are counted under the route of the primary Ingress for the same host and path.
        """
        if not backend.canary:
            return [backend.route]
        return [
            b.route
            for b in self.backends
            if not b.canary and b.namespace == backend.namespace and b.host == backend.host and b.path == backend.path
        ]

    def missing(self, subject: str, violation: str) -> str:
        """``violation``, or "could not check" if the name looked for may be one of the unknown ones."""
        return could_not_check(subject, ", ".join(self.unknown)) if self.unknown else violation


def _collect(resources: list[Res]) -> tuple[Stack, list[Finding]]:
    """What the wiring is checked against; a resource whose names are unknown is reported, not skipped silently."""
    problems: list[Finding] = []
    stack = Stack([], set(), {}, [], {}, [])
    prefix = seldon_name_as_prefix(resources)
    for res in resources:
        try:
            if is_kind(res.type, "SeldonDeployment"):
                stack.predictors += list(predictors(res, prefix))
            elif is_inference_service(res.type):
                stack.predictors += list(kserve_predictors(res))
            elif is_kind(res.type, "Ingress"):
                stack.backends += list(backends(res))
            elif is_elastic_workload(res.type) and (name := name_of(res.props)):
                stack.elastic[(namespace_of(res.props), name)] = res
                try:
                    source = text(dig(res.props, "spec", "sourceTarget", "name"))
                except NotKnown as unknown:
                    stack.unknown.append(unknown.path)  # the ElasticWorkload's own check reports it
                    continue
                if source:
                    stack.sources[(namespace_of(res.props), name)] = source
            elif any(is_kind(res.type, kind) for kind in WORKLOAD_KINDS) and (name := name_of(res.props)):
                stack.workloads.add((namespace_of(res.props), res.type.rsplit(":", 1)[-1].removesuffix("Patch"), name))
        except NotKnown as unknown:
            stack.unknown.append(unknown.path)
            problems.append((could_not_check(f"the names in {res.label}", unknown.path), res.urn))
    return stack, problems


def _source(ew: Res, stack: Stack) -> Iterator[str]:
    namespace = namespace_of(ew.props)
    target = mapping(dig(ew.props, "spec", "sourceTarget"))
    kind, name = text(target.get("kind")) or "Deployment", text(target.get("name"))
    if not name:
        yield f"{ew.label}: spec.sourceTarget has no name."
        return
    expected = [p.deployment for p in stack.predictors if p.namespace == namespace]
    if kind == "Deployment" and name in expected:
        return
    if (namespace, kind, name) in stack.workloads:
        return
    listed = (
        ", ".join(repr(e) for e in expected)
        or "none: no SeldonDeployment with componentSpecs or InferenceService in this namespace"
    )
    yield stack.missing(
        f"the sourceTarget of {ew.label}",
        f"{ew.label}: sourceTarget {kind} {name!r} is neither a Deployment the Seldon operator or KServe will create in "
        f"namespace {namespace!r} (expected one of: {listed}) nor a {kind} of this stack, so the ElasticWorkload "
        "would scale nothing. Derive it as <sdep>-<predictor>-<index>-<containers joined by -> (Seldon) or "
        "<isvc>-predictor (KServe).",
    )


def _hpa(hpa: Res, stack: Stack) -> Iterator[str]:
    namespace = namespace_of(hpa.props)
    ref = mapping(dig(hpa.props, "spec", "scaleTargetRef"))
    kind, name, api = text(ref.get("kind")), text(ref.get("name")) or "", text(ref.get("apiVersion"))
    sources = {(ns, source): stack.elastic[(ns, ew)] for (ns, ew), source in stack.sources.items()}
    scaled: Predictor | None = None
    if kind == "ElasticWorkload":
        ew = stack.elastic.get((namespace, name))
        if ew is None:
            yield stack.missing(
                f"the target of {hpa.label}",
                f"{hpa.label}: scaleTargetRef ElasticWorkload {name!r} is not an ElasticWorkload of this stack ({namespace!r}).",
            )
        else:
            if api != EW_API:
                yield f"{hpa.label}: scaleTargetRef.apiVersion is {api!r}; an ElasticWorkload is {EW_API}."
            source = stack.sources.get((namespace, name))
            scaled = next((p for p in stack.predictors if p.namespace == namespace and p.deployment == source), None)
    elif kind in WORKLOAD_KINDS:
        if (namespace, name) in sources:
            ew = sources[(namespace, name)]
            yield (
                f"{hpa.label} scales {kind} {name!r}, the source of {ew.label}; scale the ElasticWorkload instead, or the "
                "HPA and the ElasticWorkload controller fight over the replica count."
            )
        scaled = next((p for p in stack.predictors if p.namespace == namespace and p.deployment == name), None)
        if scaled is None and (namespace, kind, name) not in stack.workloads:
            yield stack.missing(
                f"the target of {hpa.label}",
                f"{hpa.label}: scaleTargetRef {kind} {name!r} is neither created by a SeldonDeployment or an "
                "InferenceService nor part of this stack.",
            )
    else:
        yield f"{hpa.label}: scaleTargetRef kind {kind!r} is not an ElasticWorkload, Deployment or StatefulSet."
    for where, label in route_labels(hpa):
        yield from _route(hpa, where, label, scaled, stack)


def _route(hpa: Res, where: str, label: str, scaled: Predictor | None, stack: Stack) -> Iterator[str]:
    if scaled is not None:
        own = [b for b in stack.backends if b.namespace == scaled.namespace and b.service == scaled.service]
        expected = [r for b in own for r in stack.logged_routes(b)]
        if not expected:
            yield stack.missing(
                f"the route label of {hpa.label}",
                f"{hpa.label}: {where} is {label!r}, but no Ingress of this stack routes to {scaled.service!r} (the "
                f"Service of predictor {scaled.predictor!r} of {scaled.owner} {scaled.sdep!r}), so the QPS metric "
                f"has no data. Add an Ingress with backend {scaled.service}:{scaled.port} and use its route "
                f"{route(scaled.namespace, scaled.service, scaled.port)!r}.",
            )
        elif label not in expected:
            yield stack.missing(
                f"the route label of {hpa.label}",
                f"{hpa.label}: {where} is {label!r}, but the Ingress backend of the predictor it scales "
                f"({scaled.service!r}) has route {' or '.join(repr(e) for e in expected)}; the HPA would count another "
                "backend's traffic.",
            )
    elif label not in {b.route for b in stack.backends}:
        routes = ", ".join(sorted(repr(b.route) for b in stack.backends)) or "none"
        violation = f"{hpa.label}: {where} {label!r} matches no Ingress backend of this stack (routes: {routes})."
        yield stack.missing(f"the route label of {hpa.label}", violation)


def _check(resources: list[Res], _config: Mapping[str, Any]) -> Iterator[Finding]:
    stack, problems = _collect(resources)
    yield from problems
    for ew in stack.elastic.values():
        try:
            yield from ((m, ew.urn) for m in _source(ew, stack))
        except NotKnown as unknown:
            yield could_not_check(f"the sourceTarget of {ew.label}", unknown.path), ew.urn
    for hpa in (r for r in resources if is_hpa(r.type)):
        try:
            yield from ((m, hpa.urn) for m in _hpa(hpa, stack))
        except NotKnown as unknown:
            yield could_not_check(f"the target and route of {hpa.label}", unknown.path), hpa.urn


inference_wiring = PackStackPolicy(
    name="inference-wiring",
    description=(
        "The serving objects refer to each other by the names the Seldon operator will create: the ElasticWorkload's "
        "sourceTarget is the SeldonDeployment's Deployment (<sdep>-<predictor>-<index>-<containers>, seldon-<md5> past "
        "63 characters), the HPA targets that ElasticWorkload, and the HPA's sls.ingress.route label is "
        "<namespace>-<service>-<port> of the Ingress backend for that predictor's Service (<sdep>-<predictor>), or, for "
        "the backend of an ingress-nginx canary Ingress, of the primary Ingress for the same host and path (whose "
        "upstream name ingress-nginx logs for the canary's requests too). Fix: "
        "derive every name from its owner (components/naming.py) instead of typing it."
    ),
    level=MANDATORY,
    check=_check,
    remediation="Pass names from the owning component's outputs (ModelServer.deployment_name, ModelIngress.route, ...).",
)
