"""The checks: each asks the cluster (GET only) for one thing the stack needs and returns its rows.

Where the Kubernetes API cannot show a fact (the managed control plane of an ACK Pro cluster runs kube-scheduler and
may run the virtual node's controller and csi-provisioner out of sight), the row is a ``warn`` that says so and how to
check it, never a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components.ingress_logs import LOG_CONFIG_NAME
from components.naming import MANAGED_BY, VIRTUAL_KUBELET_SELECTOR
from stackconfig.addons import CRONHPA, ELASTIC_WORKLOAD, KSERVE, KSERVE_CRD, METRICS_ADAPTER, SELDON, VIRTUAL_NODE
from stackconfig.models import AddonSettings
from stackconfig.prerequisites import CSI_PLUGIN, CSI_PROVISIONER, KUBERNETES, SCHEDULER, Need, at_least
from tools.preflight.client import ReadOnlyApi, Reply
from tools.preflight.plan import CustomUse, StackPlan
from tools.preflight.report import Row, Status
from tools.preflight.schema import object_unknown_fields, version_schema

KUBE_SYSTEM = "kube-system"
CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
EXTERNAL_METRICS_APISERVICE = "v1beta1.external.metrics.k8s.io"
EXTERNAL_METRICS_PATH = "/apis/external.metrics.k8s.io/v1beta1"
OIDC_DISCOVERY = "/.well-known/openid-configuration"
"""Kubernetes ServiceAccount issuer discovery (GA in 1.21): ``issuer`` is the API server's first
``--service-account-issuer``."""
ACK_RRSA_ISSUER = "https://oidc-ack-"
"""With RRSA enabled, ACK sets the first service-account issuer to its OIDC provider's URL (ACK OpenAPI
DescribeClusterDetail ``rrsa_config.issuer``: "The first value will be set as the iss field of the OIDC token and the
issuer URL of the OIDC identity provider", example ``https://oidc-ack-***,https://kubernetes.default.svc``; ACK, "Use
RRSA to authorize different pods to access different cloud services": ACK "creates a dedicated OIDC issuer for the
cluster")."""
SCHEDULER_POD_SELECTOR = "component=kube-scheduler"
"""The label kubeadm-style static scheduler pods carry (ACK dedicated clusters run them on the masters; an ACK Pro
cluster's scheduler runs in the managed control plane and has no pod in the cluster)."""


# ----------------------------------------------------------------------------------------------------- helpers


def image_tag(image: str) -> str | None:
    """``registry/acs/csi-plugin:v1.30.4-3ab1edc-aliyun`` -> ``v1.30.4-3ab1edc-aliyun`` (``None``: no tag)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def image_name(image: str) -> str:
    """``registry/acs/csi-plugin:v1.30.4`` -> ``csi-plugin``."""
    return image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]


def _containers(workload: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    spec = workload.get("spec", {}).get("template", {}).get("spec", {})
    return list(spec.get("containers", []))


def _denied(check: str, reply: Reply, what: str) -> Row | None:
    if reply.status == 403:
        return Row(
            check,
            "fail",
            f"cannot tell: reading {what} is forbidden ({reply.message()})",
            f"give the kubeconfig's user get and list on {what} (preflight only reads)",
        )
    return None


def _unexpected(check: str, reply: Reply, what: str) -> Row:
    return Row(check, "fail", f"cannot tell: GET {reply.path} answered {reply.message()}", f"check {what} on the cluster")


def _ours(body: Any) -> bool:
    """Labelled as created by Pulumi (an earlier ``pulumi up`` of a stack of this project)."""
    labels = body.get("metadata", {}).get("labels") or {} if isinstance(body, Mapping) else {}
    return all(labels.get(k) == v for k, v in MANAGED_BY.items())


def _needs_text(needs: Sequence[Need]) -> str:
    return "; ".join(f">= {n.minimum} for {n.why}" for n in needs if n.minimum is not None)


def _addon(plan: StackPlan, name: str) -> AddonSettings | None:
    return next((a for a in plan.config.installed_addons if a.name == name), None)


def _installs(plan: StackPlan, name: str) -> bool:
    addon = _addon(plan, name)
    return addon is not None and addon.enabled


# ----------------------------------------------------------------------------------------------------- cluster


def cluster_version(api: ReadOnlyApi, plan: StackPlan) -> list[Row]:
    check = "cluster version"
    reply = api.get("/version")
    denied = _denied(check, reply, "/version")
    if denied:
        return [denied]
    if not reply.ok or not isinstance(reply.body, Mapping):
        return [_unexpected(check, reply, "the API server")]
    found = str(reply.body.get("gitVersion", ""))
    needs = [n for n in plan.prerequisites.for_component(KUBERNETES) if n.minimum is not None]
    short = [n for n in needs if n.minimum is not None and at_least(KUBERNETES, found, n.minimum) is False]
    minimum = plan.prerequisites.minimums()[KUBERNETES].minimum
    if any(n.minimum is not None and at_least(KUBERNETES, found, n.minimum) is None for n in needs):
        return [Row(check, "warn", f"{found}: not a version preflight can compare (needs >= {minimum})", "")]
    if short:
        return [Row(check, "fail", f"{found}, below {_needs_text(short)}", f"upgrade the cluster to {minimum} or later")]
    return [Row(check, "pass", f"{found} (needs >= {minimum})")]


def namespace(api: ReadOnlyApi, plan: StackPlan) -> list[Row]:
    name = plan.config.namespace
    check = f"namespace {name}"
    reply = api.get(f"/api/v1/namespaces/{name}")
    denied = _denied(check, reply, f"namespace {name}")
    if denied:
        return [denied]
    if reply.ok:
        phase = reply.body.get("status", {}).get("phase") if isinstance(reply.body, Mapping) else None
        if phase == "Terminating":
            return [Row(check, "fail", "exists but is Terminating", "wait until it is gone, then run pulumi up")]
        if plan.config.ns_created and _ours(reply.body):
            return [Row(check, "pass", "exists, created by Pulumi (an earlier pulumi up)")]
        if plan.config.ns_created:
            return [
                Row(
                    check,
                    "warn",
                    "exists, and this stack creates it (createNamespace): pulumi up would fail on the existing one",
                    f"set createNamespace: false, or import it: pulumi import kubernetes:core/v1:Namespace ... {name}",
                )
            ]
        return [Row(check, "pass", "exists")]
    if reply.status == 404:
        if plan.config.ns_created:
            return [Row(check, "pass", "absent; this stack creates it")]
        return [Row(check, "fail", "absent, and this stack does not create it", "create it, or set createNamespace: true")]
    return [_unexpected(check, reply, f"namespace {name}")]


# ----------------------------------------------------------------------------------------------------- add-ons


@dataclass(frozen=True)
class Probe:
    """How an add-on shows in the cluster: its workload (by Deployment name or image name) and a presence signal."""

    deployments: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    crd: str | None = None
    """A CRD the add-on installs: its presence shows the add-on even where its workload is not visible."""


ADDON_PROBES: dict[str, Probe] = {
    VIRTUAL_NODE: Probe(deployments=("ack-virtual-node-controller",)),
    SELDON: Probe(
        deployments=("seldon-controller-manager",),
        images=("seldon-core-operator",),
        crd="seldondeployments.machinelearning.seldon.io",
    ),
    ELASTIC_WORKLOAD: Probe(images=("elastic-workload",), crd="elasticworkloads.autoscaling.alibabacloud.com"),
    METRICS_ADAPTER: Probe(images=("alibaba-cloud-metrics-adapter",)),
    CRONHPA: Probe(images=("kubernetes-cronhpa-controller",), crd="cronhorizontalpodautoscalers.autoscaling.alibabacloud.com"),
    # Both KServe charts are installed at one version; the CRDs carry none, so both rows read the controller's tag.
    KSERVE_CRD: Probe(
        deployments=("kserve-controller-manager",), images=("kserve-controller",), crd="inferenceservices.serving.kserve.io"
    ),
    KSERVE: Probe(deployments=("kserve-controller-manager",), images=("kserve-controller",)),
}
"""``ack-virtual-node-controller``: ACK, "Use ECI in ACK" (the Deployment an ACK dedicated cluster gets);
``seldon-controller-manager``: the Deployment seldon-core's operator kustomize config names (read at an unidentified
version, not at 1.17.1; the image ``seldon-core-operator`` matches too). The image names are matched
as fragments; where a managed control plane runs the workload, only the presence signal is seen."""


def _workload(api: ReadOnlyApi, namespace_: str, probe: Probe) -> tuple[Reply, tuple[str, str] | None]:
    """The deployments of a namespace, and the (deployment, image) that matches ``probe``."""
    reply = api.get(f"/apis/apps/v1/namespaces/{namespace_}/deployments")
    if not reply.ok or not isinstance(reply.body, Mapping):
        return reply, None
    for item in reply.body.get("items", []):
        name = item.get("metadata", {}).get("name", "")
        for container in _containers(item):
            image = str(container.get("image", ""))
            if name in probe.deployments or any(f in image_name(image) for f in probe.images):
                return reply, (name, image)
    return reply, None


def _virtual_nodes(api: ReadOnlyApi) -> Reply:
    selector = ",".join(f"{k}={v}" for k, v in VIRTUAL_KUBELET_SELECTOR.items())
    return api.get("/api/v1/nodes", labelSelector=selector)


def _present_by_signal(api: ReadOnlyApi, name: str, probe: Probe) -> tuple[Reply | None, str | None]:
    """Evidence of the add-on without its workload: virtual nodes, its CRD or the external metrics APIService."""
    if name == VIRTUAL_NODE:
        reply = _virtual_nodes(api)
        items = reply.body.get("items", []) if reply.ok and isinstance(reply.body, Mapping) else []
        names = [i.get("metadata", {}).get("name", "") for i in items]
        return reply, (f"virtual node(s) {', '.join(names)}" if names else None)
    if name == METRICS_ADAPTER:
        reply = api.get(f"/apis/apiregistration.k8s.io/v1/apiservices/{EXTERNAL_METRICS_APISERVICE}")
        return reply, (f"APIService {EXTERNAL_METRICS_APISERVICE}" if reply.ok else None)
    if probe.crd is not None:
        reply = api.get(f"{CRD_PATH}/{probe.crd}")
        return reply, (f"CRD {probe.crd}" if reply.ok else None)
    return None, None


def addons(api: ReadOnlyApi, plan: StackPlan) -> list[Row]:
    """Each add-on the stack uses: present (or installed by this stack) at or above the minimum its features need."""
    rows = []
    minimums = plan.prerequisites.minimums()
    for addon in plan.config.installed_addons:
        if addon.name not in minimums:
            continue
        rows.append(_addon_row(api, plan, addon, minimums[addon.name]))
    return rows


def _addon_row(api: ReadOnlyApi, plan: StackPlan, addon: AddonSettings, need: Need) -> Row:
    check = f"add-on {addon.name}" if addon.name != VIRTUAL_NODE else f"virtual node ({addon.name})"
    probe = ADDON_PROBES.get(addon.name, Probe(images=(addon.name,)))
    deployments, workload = _workload(api, addon.namespace, probe)
    signal_reply, signal = _present_by_signal(api, addon.name, probe)
    for reply, what in ((deployments, f"deployments in {addon.namespace}"), (signal_reply, "the add-on's objects")):
        if reply is not None and workload is None and signal is None:
            denied = _denied(check, reply, what)
            if denied:
                return denied
    installs = addon.enabled
    pinned = addon.version
    minimum = need.minimum
    why = f" ({need.why}: {need.source})" if minimum else ""
    if workload is None and signal is None:
        if installs:
            return Row(check, "pass", f"not installed; pulumi up installs it ({pinned or 'the version ACK offers'})")
        return Row(
            check,
            "fail",
            "not found, and this stack does not install it (addons." + addon.name + ".enabled: false)",
            f"install {addon.name}" + (f" {minimum} or later" if minimum else "") + ", or let the stack install it",
        )
    where = f"{workload[0]} {workload[1]}" if workload else str(signal)
    version = image_tag(workload[1]) if workload else None
    if minimum is None:
        return Row(check, "pass", f"{where}" + ("" if version else " (version not visible)"))
    if version is None:
        return Row(
            check,
            "warn",
            f"{where}; its version is not visible through the Kubernetes API (needs >= {minimum}{why})",
            f"check the {addon.name} version on the cluster's Add-ons page; it must be {minimum} or later",
        )
    ok = at_least(addon.name, version, minimum)
    if ok is None:
        return Row(check, "warn", f"{where}: version {version} cannot be compared with {minimum}", "")
    if ok:
        return Row(check, "pass", f"{where} (needs >= {minimum})")
    if installs and pinned is not None and at_least(addon.name, pinned, minimum):
        return Row(check, "warn", f"{where}, below {minimum}{why}", f"pulumi up upgrades it to {pinned}")
    return Row(
        check,
        "fail",
        f"{where}, below {minimum}{why}",
        f"upgrade {addon.name} to {minimum} or later (or pin addons.{addon.name}.version)",
    )


# ----------------------------------------------------------------------------------------------------- CRDs


def _crd(api: ReadOnlyApi, use: CustomUse) -> tuple[Reply, Mapping[str, Any] | None]:
    reply = api.get(f"{CRD_PATH}/{use.crd_name}")
    if reply.ok and isinstance(reply.body, Mapping):
        return reply, reply.body
    if reply.status != 404:
        return reply, None
    listing = api.get(CRD_PATH)
    if listing.ok and isinstance(listing.body, Mapping):
        for item in listing.body.get("items", []):
            spec = item.get("spec", {})
            if spec.get("group") == use.group and spec.get("names", {}).get("kind") == use.kind:
                return listing, item
    return reply, None


def crds(api: ReadOnlyApi, plan: StackPlan) -> list[Row]:
    """Each custom kind the stack renders: its CRD present, the version served, every rendered field in its schema."""
    rows = []
    for use in plan.custom_kinds():
        rows.append(_crd_row(api, plan, use))
    return rows


def _crd_row(api: ReadOnlyApi, plan: StackPlan, use: CustomUse) -> Row:
    check = f"CRD {use.kind}"
    reply, crd = _crd(api, use)
    denied = _denied(check, reply, "customresourcedefinitions")
    if denied:
        return denied
    provider = use.provider
    if crd is None:
        if reply.status != 404:
            return _unexpected(check, reply, f"CRD {use.crd_name}")
        if provider is not None and _installs(plan, provider):
            return Row(check, "pass", f"{use.crd_name} absent; the {provider} add-on this stack installs brings it")
        return Row(check, "fail", f"{use.crd_name} absent", use.missing_fix)
    name = str(crd.get("metadata", {}).get("name", use.crd_name))
    served, schema = version_schema(crd, use.version)
    if not served:
        versions = [v.get("name") for v in crd.get("spec", {}).get("versions", []) if v.get("served")]
        return Row(
            check,
            "fail",
            f"{name} does not serve {use.version} (serves {', '.join(map(str, versions)) or 'nothing'})",
            f"upgrade {provider or 'its operator'} to a release that serves {use.group}/{use.version}",
        )
    if schema is None:
        return Row(check, "warn", f"{name} {use.version} has no schema: fields not compared", "")
    unknown: list[str] = []
    for body in use.objects:
        unknown += [p for p in object_unknown_fields(body, schema) if p not in unknown]
    if unknown:
        fix = f"upgrade {provider or 'its operator'}"
        if use.kind == "ResourcePolicy":
            fix += f" (kube-scheduler {_needs_text(plan.prerequisites.for_component(SCHEDULER)) or 'a newer release'})"
        return Row(
            check,
            "fail",
            f"{name} {use.version} lacks {', '.join(unknown)}: the API server would drop them",
            fix,
        )
    return Row(check, "pass", f"{name} {use.version} knows every field of the {len(use.objects)} rendered object(s)")


# ----------------------------------------------------------------------------------------------------- scheduler, CSI, RRSA


def scheduler(api: ReadOnlyApi, plan: StackPlan) -> list[Row]:
    need = plan.prerequisites.minimums().get(SCHEDULER)
    if need is None or need.minimum is None:
        return []
    check = "kube-scheduler"
    needs = _needs_text(plan.prerequisites.for_component(SCHEDULER))
    reply = api.get(f"/api/v1/namespaces/{KUBE_SYSTEM}/pods", labelSelector=SCHEDULER_POD_SELECTOR)
    denied = _denied(check, reply, f"pods in {KUBE_SYSTEM}")
    if denied:
        return [denied]
    images = []
    if reply.ok and isinstance(reply.body, Mapping):
        for pod in reply.body.get("items", []):
            images += [str(c.get("image", "")) for c in pod.get("spec", {}).get("containers", [])]
    tags = [t for t in (image_tag(i) for i in images) if t]
    if not tags:
        return [
            Row(
                check,
                "warn",
                f"no scheduler pod visible (an ACK Pro cluster runs it in the managed control plane); needs {needs}",
                f"check kube-scheduler on the cluster's Add-ons page (Core Components); it must be {need.minimum} or later",
            )
        ]
    results = [at_least(SCHEDULER, t, need.minimum) for t in tags]
    if any(r is None for r in results):
        return [Row(check, "warn", f"{', '.join(tags)}: no -aliyun-<series> to compare with {need.minimum}", "")]
    if not all(results):
        return [Row(check, "fail", f"{', '.join(tags)}; needs {needs}", f"upgrade kube-scheduler to {need.minimum} or later")]
    return [Row(check, "pass", f"{', '.join(tags)} (needs {needs})")]


def _csi_workload(api: ReadOnlyApi, component: str) -> tuple[Reply, str | None]:
    if component == CSI_PLUGIN:
        reply = api.get(f"/apis/apps/v1/namespaces/{KUBE_SYSTEM}/daemonsets/{CSI_PLUGIN}")
        workloads = [reply.body] if reply.ok and isinstance(reply.body, Mapping) else []
    else:
        reply = api.get(f"/apis/apps/v1/namespaces/{KUBE_SYSTEM}/deployments")
        items = reply.body.get("items", []) if reply.ok and isinstance(reply.body, Mapping) else []
        workloads = [i for i in items if i.get("metadata", {}).get("name") == CSI_PROVISIONER]
    for workload in workloads:
        images = [str(c.get("image", "")) for c in _containers(workload)]
        chosen = next((i for i in images if image_name(i) == CSI_PLUGIN), images[0] if images else None)
        if chosen is not None:
            return reply, chosen
    return reply, None


def csi(api: ReadOnlyApi, plan: StackPlan) -> list[Row]:
    """csi-plugin (DaemonSet) and csi-provisioner (Deployment) in kube-system: both run the csi-plugin image
    (ACK, 'csi-provisioner': "the same image address is provided for installing csi-provisioner and csi-plugin")."""
    rows = []
    minimums = plan.prerequisites.minimums()
    for component in (CSI_PLUGIN, CSI_PROVISIONER):
        need = minimums.get(component)
        if need is None:
            continue
        check = component
        reply, image = _csi_workload(api, component)
        denied = _denied(check, reply, f"daemonsets and deployments in {KUBE_SYSTEM}")
        if denied:
            rows.append(denied)
            continue
        needs = _needs_text(plan.prerequisites.for_component(component))
        if image is None:
            status: Status = "fail" if component == CSI_PLUGIN else "warn"
            seen = "not found in kube-system" + (
                " (an ACK Pro cluster may run it in the managed control plane)" if component == CSI_PROVISIONER else ""
            )
            rows.append(
                Row(
                    check,
                    status,
                    f"{seen}; needs {needs or 'it installed'}",
                    f"install or upgrade {component} (Add-ons, Storage)",
                )
            )
            continue
        tag = image_tag(image) or ""
        if need.minimum is None:
            rows.append(Row(check, "pass", image))
            continue
        ok = at_least(component, tag, need.minimum)
        if ok is None:
            rows.append(Row(check, "warn", f"{image}: cannot compare with {need.minimum}", ""))
        elif ok:
            rows.append(Row(check, "pass", f"{image} (needs {needs})"))
        else:
            rows.append(Row(check, "fail", f"{image}; needs {needs}", f"upgrade {component} to {need.minimum} or later"))
    return rows


def rrsa(api: ReadOnlyApi, plan: StackPlan) -> list[Row]:
    if plan.config.volume_auth != "rrsa":
        return []
    check = "RRSA"
    reply = api.get(OIDC_DISCOVERY)
    if reply.status in (403, 404):
        return [
            Row(
                check,
                "warn",
                f"cannot tell: GET {OIDC_DISCOVERY} answered {reply.message()}",
                "check 'RRSA OIDC' on the cluster's Basic Information page",
            )
        ]
    if not reply.ok or not isinstance(reply.body, Mapping):
        return [_unexpected(check, reply, "RRSA")]
    issuer = str(reply.body.get("issuer", ""))
    if issuer.startswith(ACK_RRSA_ISSUER):
        return [Row(check, "pass", f"enabled: the service-account issuer is {issuer}")]
    return [
        Row(
            check,
            "fail",
            f"not enabled: the service-account issuer is {issuer or 'not set'}, not ACK's RRSA OIDC provider",
            "enable RRSA (cluster > Basic Information > Security and Auditing > RRSA OIDC), or use volumeAuth: accessKey",
        )
    ]


# ----------------------------------------------------------------------------------------------------- metrics, logs


def external_metrics(api: ReadOnlyApi, plan: StackPlan) -> list[Row]:
    """The external metrics APIService is available, and answers ``sls_ingress_qps`` for each HPA's selector."""
    check = f"APIService {EXTERNAL_METRICS_APISERVICE}"
    reply = api.get(f"/apis/apiregistration.k8s.io/v1/apiservices/{EXTERNAL_METRICS_APISERVICE}")
    denied = _denied(check, reply, "apiservices")
    if denied:
        return [denied]
    queries = plan.metric_queries()
    skipped = [Row(f"metric {q.metric} ({q.hpa})", "warn", "not asked: the APIService is not available", "") for q in queries]
    if reply.status == 404:
        adapter = _addon(plan, METRICS_ADAPTER)
        _, workload = _workload(api, adapter.namespace if adapter else KUBE_SYSTEM, ADDON_PROBES[METRICS_ADAPTER])
        if workload is None and _installs(plan, METRICS_ADAPTER):
            return [
                Row(
                    check,
                    "warn",
                    "not registered; pulumi up installs ack-alibaba-cloud-metrics-adapter, which registers it",
                    "run preflight again after pulumi up to check the metric",
                ),
                *skipped,
            ]
        found = "not registered" + (f", although {workload[0]} runs" if workload else "")
        return [Row(check, "fail", found, "install or repair ack-alibaba-cloud-metrics-adapter"), *skipped]
    if not reply.ok or not isinstance(reply.body, Mapping):
        return [_unexpected(check, reply, "the APIService"), *skipped]
    conditions = reply.body.get("status", {}).get("conditions", [])
    available = next((c for c in conditions if c.get("type") == "Available"), None)
    if available is None or available.get("status") != "True":
        reason = (available or {}).get("message") or (available or {}).get("reason") or "no Available condition"
        return [
            Row(check, "fail", f"registered but not available: {reason}", "repair ack-alibaba-cloud-metrics-adapter"),
            *skipped,
        ]
    service = reply.body.get("spec", {}).get("service") or {}
    rows = [Row(check, "pass", f"available (service {service.get('namespace')}/{service.get('name')})")]
    rows += [_metric_row(api, q) for q in queries]
    return rows


def _metric_row(api: ReadOnlyApi, query: Any) -> Row:
    check = f"metric {query.metric} ({query.hpa})"
    selector = ",".join(f"{k}={v}" for k, v in sorted(query.selector.items()))
    reply = api.get(f"{EXTERNAL_METRICS_PATH}/namespaces/{query.namespace}/{query.metric}", labelSelector=selector)
    denied = _denied(check, reply, "external.metrics.k8s.io")
    if denied:
        return denied
    if not reply.ok or not isinstance(reply.body, Mapping):
        return Row(
            check,
            "fail",
            f"the adapter does not answer for {selector}: {reply.message()}",
            "check the SLS project and logstore exist and the adapter may read them",
        )
    items = reply.body.get("items", [])
    if not items:
        return Row(check, "warn", f"answers, with no value yet for {selector} (no Ingress traffic logged)", "")
    values = ", ".join(str(i.get("value")) for i in items)
    return Row(check, "pass", f"answers {values} for {selector}")


def ingress_logs(api: ReadOnlyApi, plan: StackPlan) -> list[Row]:
    """The AliyunLogConfig that collects the Ingress access logs into the logstore the HPA's metric reads."""
    check = f"ingress log collection ({LOG_CONFIG_NAME})"
    path = f"/apis/log.alibabacloud.com/v1alpha1/namespaces/{KUBE_SYSTEM}/aliyunlogconfigs/{LOG_CONFIG_NAME}"
    reply = api.get(path)
    denied = _denied(check, reply, "aliyunlogconfigs")
    if denied:
        return [denied]
    creates = plan.config.create_ingress_log_config
    if reply.status == 404:
        if creates:
            return [Row(check, "pass", "absent; this stack creates it (createIngressLogConfig)")]
        return [
            Row(
                check,
                "fail",
                f"no AliyunLogConfig {KUBE_SYSTEM}/{LOG_CONFIG_NAME}: the HPA would have no QPS metric",
                "enable Ingress log collection on the cluster, or set createIngressLogConfig: true",
            )
        ]
    if not reply.ok or not isinstance(reply.body, Mapping):
        return [_unexpected(check, reply, "the AliyunLogConfig")]
    if creates and _ours(reply.body):
        return [Row(check, "pass", "exists, created by Pulumi (an earlier pulumi up)")]
    if creates:
        return [
            Row(
                check,
                "fail",
                "already exists, and this stack creates it too (createIngressLogConfig: true)",
                "set createIngressLogConfig: false",
            )
        ]
    spec = reply.body.get("spec", {})
    logstore, project = spec.get("logstore"), spec.get("project")
    wrong = []
    if logstore != plan.config.sls_logstore:
        wrong.append(f"logstore {logstore!r}, the stack reads {plan.config.sls_logstore!r}")
    if project is not None and project != plan.config.log_project:
        wrong.append(f"project {project!r}, the stack reads {plan.config.log_project!r}")
    if wrong:
        return [Row(check, "fail", "; ".join(wrong), "set slsLogstore / slsProject to what the cluster collects into")]
    return [Row(check, "pass", f"collects into {project or plan.config.log_project}/{logstore}")]


# ----------------------------------------------------------------------------------------------------- rollouts


def _no_unavailable(strategy: Mapping[str, Any]) -> bool:
    """A RollingUpdate that keeps every pod until its replacement is available: ``maxUnavailable`` 0 or 0 %."""
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return False
    value = (strategy.get("rollingUpdate") or {}).get("maxUnavailable")
    return value in (0, "0", "0%")


def elastic_rollout(api: ReadOnlyApi, plan: StackPlan) -> list[Row]:
    """In elasticWorkload mode, how the unit Deployments the ElasticWorkload cloned roll out a new version.

    ACK documents neither whether the clones keep the source Deployment's strategy nor how a template change reaches
    them (docs/releasing.md, "elasticWorkload mode"; docs/not-verified.md), so this reads it from the cluster: the
    Deployments an ElasticWorkload owns (``metadata.ownerReferences``), or that carry its source's name and
    ``-unit-`` as ACK's example names them. Any that would take a pod away before its replacement is Ready fails:
    release through a canary there, or use resourcePolicy mode."""
    rows: list[Row] = []
    for body in plan.objects:
        if body.get("kind") != "ElasticWorkload":
            continue
        name = str(body["metadata"]["name"])
        namespace_ = str(body["metadata"].get("namespace", plan.config.namespace))
        source = str(body.get("spec", {}).get("sourceTarget", {}).get("name", ""))
        check = f"rollout of ElasticWorkload {name}"
        reply = api.get(f"/apis/apps/v1/namespaces/{namespace_}/deployments")
        denied = _denied(check, reply, f"the Deployments of namespace {namespace_}")
        if denied:
            rows.append(denied)
            continue
        if reply.status == 404:
            items: list[Any] = []
        elif not reply.ok or not isinstance(reply.body, Mapping):
            rows.append(_unexpected(check, reply, f"the Deployments of namespace {namespace_}"))
            continue
        else:
            items = list(reply.body.get("items") or [])
        units = [
            d
            for d in items
            if any(
                o.get("kind") == "ElasticWorkload" and o.get("name") == name for o in d["metadata"].get("ownerReferences") or []
            )
            or (source and str(d["metadata"].get("name", "")).startswith(f"{source}-unit-"))
        ]
        if not units:
            rows.append(
                Row(
                    check,
                    "warn",
                    "no unit Deployment yet (the ElasticWorkload creates them after pulumi up)",
                    "run preflight again after the first pulumi up, before the first version change",
                )
            )
            continue
        risky = sorted(str(d["metadata"]["name"]) for d in units if not _no_unavailable(d.get("spec", {}).get("strategy") or {}))
        if risky:
            rows.append(
                Row(
                    check,
                    "fail",
                    f"{', '.join(risky)} may take pods away before their replacements are Ready (maxUnavailable not 0)",
                    "release new versions through a canary (docs/releasing.md), or set scalingMode: resourcePolicy",
                )
            )
        else:
            rows.append(Row(check, "pass", f"{len(units)} unit Deployment(s) roll with maxUnavailable 0"))
    return rows


CHECKS: tuple[Callable[[ReadOnlyApi, StackPlan], list[Row]], ...] = (
    cluster_version,
    namespace,
    addons,
    crds,
    scheduler,
    csi,
    rrsa,
    external_metrics,
    ingress_logs,
    elastic_rollout,
)


def run_checks(api: ReadOnlyApi, plan: StackPlan) -> list[Row]:
    """Every row, in the order of :data:`CHECKS`."""
    return [row for check in CHECKS for row in check(api, plan)]
