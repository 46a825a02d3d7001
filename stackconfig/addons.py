"""The ACK add-on catalog: every add-on the stack may install, how, at which version, and who needs it.

This is the one place that names the add-ons. The program installs the add-ons a stack needs (its scaling mode and
its schedules decide), the components depend on the ones their objects need (``needed_by``), and the config layer
refuses a pinned version below the minimum a feature of the stack needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

AddonName = Literal[
    "ack-virtual-node",
    "seldon-core",
    "ack-kubernetes-elastic-workload",
    "ack-alibaba-cloud-metrics-adapter",
    "ack-kubernetes-cronhpa-controller",
    "kserve-crd",
    "kserve",
]
VIRTUAL_NODE: AddonName = "ack-virtual-node"
SELDON: AddonName = "seldon-core"
ELASTIC_WORKLOAD: AddonName = "ack-kubernetes-elastic-workload"
METRICS_ADAPTER: AddonName = "ack-alibaba-cloud-metrics-adapter"
CRONHPA: AddonName = "ack-kubernetes-cronhpa-controller"
KSERVE_CRD: AddonName = "kserve-crd"
KSERVE: AddonName = "kserve"

ACK_CATALOG_REPO = "https://aliacs-app-catalog.oss-cn-hangzhou.aliyuncs.com/charts-incubator/"
SELDON_CHART_REPO = "https://storage.googleapis.com/seldon-charts"
KSERVE_CHARTS = "oci://ghcr.io/kserve/charts/"
"""KServe publishes its charts as OCI artifacts (kserve v0.20.0, ``charts/kserve-resources/README.md``:
``helm install kserve-resources oci://ghcr.io/kserve/charts/kserve-resources --version v0.20.0``)."""
KSERVE_VERSION = "v0.20.0"
KSERVE_STANDARD_MODE = (
    "v0.16.0",
    "kserve v0.16.0 pkg/constants/constants.go is the first release with the Standard deployment mode "
    "(serving.kserve.io/deploymentMode: Standard) this stack writes; v0.15.x knows only RawDeployment",
)

SELDON_EXECUTOR_IMAGE: Mapping[str, str] = {
    "registry": "docker.io",
    "repository": "seldonio/seldon-core-executor",
    "tag": "1.17.1",
}
"""The executor image the operator injects into every predictor pod: seldon-core v1.17.1,
``helm-charts/seldon-core-operator/values.yaml`` ``executor.image`` (lines 51-55). The catalog installs the chart with
these values, so the image the operator injects and the one the image cache holds come from this one mapping."""


def deployment_name_as_prefix(seldon_values: Mapping[str, Any]) -> bool:
    """Whether the operator names long Deployments ``<sdep>-<md5>``: the chart passes
    ``'{{ .Values.manager.deploymentNameAsPrefix }}'`` as ``DEPLOYMENT_NAME_AS_PREFIX`` (v1.17.1,
    ``templates/deployment_seldon-controller-manager.yaml`` lines 158-159; default false, ``values.yaml`` line 95) and
    the operator compares it with ``"true"`` (``seldondeployment_types.go`` line 136): a YAML true renders as ``true``,
    a string only when it is exactly ``true``."""
    value = seldon_values.get("manager", {}).get("deploymentNameAsPrefix", False)
    return value is True or value == "true"


def executor_image(seldon_values: Mapping[str, Any]) -> str:
    """The image the operator injects, from the chart's values: the chart passes
    ``{{ .Values.executor.image.registry }}/{{ .Values.executor.image.repository }}:{{ .Values.executor.image.tag }}``
    as ``EXECUTOR_CONTAINER_IMAGE_AND_VERSION`` (v1.17.1, ``templates/deployment_seldon-controller-manager.yaml``
    lines 128-129), which ``operator/controllers/seldondeployment_engine.go`` (``ENV_EXECUTOR_IMAGE``) uses as is."""
    given = seldon_values.get("executor", {}).get("image", {})
    image = {**SELDON_EXECUTOR_IMAGE, **given}
    return f"{image['registry']}/{image['repository']}:{image['tag']}"


Feature = Literal["always", "seldon", "kserve", "elasticWorkload", "schedules", "spotGracefulEviction"]


@dataclass(frozen=True)
class CatalogEntry:
    """How an add-on is installed by default, and why a stack needs it."""

    kind: Literal["managed", "helm"]
    """``managed``: an ACK managed add-on (``alicloud.cs.KubernetesAddon``); ``helm``: a chart release."""
    namespace: str
    version: str | None
    """The version the committed stacks install; ``None`` where no release list could be found (see README)."""
    version_source: str
    """Where that version (or its absence) comes from."""
    needed_for: tuple[Feature, ...]
    """The stack features that need it (``always``: every stack)."""
    chart: str | None = None
    repo: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    minimum: Mapping[Feature, tuple[str, str]] = field(default_factory=dict)
    """Per feature that needs it: the lowest version that supports it, and where that is documented."""
    cleanup_cloud_resources: bool | None = None
    """Managed add-ons only: what ``pulumi destroy`` does with the cloud resources the add-on created."""
    reinstall_on_upgrade: bool = False
    """A new version is installed by uninstalling the old one first (the add-on has no in-place upgrade)."""
    after: tuple[AddonName, ...] = ()
    """Add-ons that must be installed first (a chart whose objects are instances of another chart's CRDs)."""
    chart_url: bool = False
    """Install from the chart's archive, ``<repo><chart>-<version>.tgz``, instead of through the repository's index."""


REGION = "{region}"
"""Stands for the stack's region in catalog values (:func:`in_region`)."""

METRICS_ADAPTER_VALUES: Mapping[str, Any] = {
    "AlibabaCloudMetricsAdapter": {
        "commonLabels": "",
        "replicas": 1,
        "resources": {
            "metricsAdapterDeployment": {
                "resources": {"limits": {"cpu": 0.5, "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "200Mi"}}
            },
            "configReloader": {
                "resources": {"limits": {"cpu": "20m", "memory": "30Mi"}, "requests": {"cpu": "20m", "memory": "30Mi"}}
            },
        },
        "listenPort": 443,
        "costWeights": {"cpu": "1.0", "memory": "0.0"},
        "image": {
            "repository": f"registry-{REGION}-vpc.ack.aliyuncs.com/acs/alibaba-cloud-metrics-adapter-amd64",
            "tag": "v0.2.7-f1ee5c3-aliyun",
            "pullPolicy": "Always",
        },
        "nameOverride": "",
        "fullnameOverride": "",
        "service": {"type": "ClusterIP"},
        "serviceAccountName": "ack-alibaba-cloud-metrics-adapter",
        "annotations": {},
        "nodeSelector": {},
        "tolerations": [],
        "env": [{"AccessKeyId": ""}, {"AccessKeySecret": ""}, {"Region": ""}],
        "affinity": {},
        "prometheus": {
            "enabled": True,
            "url": {},
            "metricsRelistInterval": "1m",
            "logLevel": 5,
            "adapter": {
                "rules": {
                    "default": False,
                    "custom": [
                        {
                            "seriesQuery": 'container_memory_working_set_bytes{namespace!="",pod!=""}',
                            "resources": {"overrides": {"namespace": {"resource": "namespace"}, "pod": {"resource": "pod"}}},
                            "name": {"matches": "^(.*)_bytes", "as": "${1}_bytes_per_second"},
                            "metricsQuery": "sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)",
                        },
                        {
                            "seriesQuery": 'container_cpu_usage_seconds_total{namespace!="",pod!=""}',
                            "resources": {"overrides": {"namespace": {"resource": "namespace"}, "pod": {"resource": "pod"}}},
                            "name": {"matches": "^(.*)_seconds_total", "as": "${1}_core_per_second"},
                            "metricsQuery": "sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>)",
                        },
                    ],
                }
            },
        },
    },
    "ConfigReloader": {"image": {"repository": f"registry-vpc.{REGION}.aliyuncs.com/acs/configmap-reload", "tag": "v0.0.1"}},
}
"""The values Alibaba Cloud's ROS template sets for chart 1.3.3 (ROS documentation, ``ALIYUN::CS::ClusterApplication``,
scenario 2, template ``ros-templates/resources/cs/cluster-application-case2.yml``: resource ``AckMetricsAdapter``, an
``ALIYUN::CS::ClusterHelmApplication`` with ``ChartUrl`` ``ACK_CATALOG_REPO`` + ``ack-alibaba-cloud-metrics-adapter-1.3.3.tgz``
and these ``ChartValues``), word for word except the region: that template runs in cn-hangzhou and names
``registry-cn-hangzhou-vpc.ack.aliyuncs.com`` and ``registry-vpc.cn-hangzhou.aliyuncs.com``; the stack's region takes
its place (docs/not-verified.md). ACK's own page ("Scale pods based on Nginx Ingress metrics", step 1) installs the
chart from Applications > Helm, not as a managed add-on, so a chart release is how ACK documents it."""


def in_region(values: Any, region: str) -> Any:
    """``values`` with :data:`REGION` replaced by ``region`` in every string."""
    if isinstance(values, str):
        return values.replace(REGION, region)
    if isinstance(values, Mapping):
        return {k: in_region(v, region) for k, v in values.items()}
    if isinstance(values, list):
        return [in_region(v, region) for v in values]
    return values


CATALOG: dict[AddonName, CatalogEntry] = {
    VIRTUAL_NODE: CatalogEntry(
        kind="managed",
        namespace="kube-system",
        version=None,
        version_source=(
            "ACK publishes release notes for ack-virtual-node, but no copy of them could be read offline; the ECI "
            "documentation names 2.11.0 as the minimum for api-evict. Pin it in config (README, 'Add-ons')"
        ),
        needed_for=("always",),
        minimum={
            "spotGracefulEviction": (
                "2.11.0",
                "ECI, 'Create a preemptible elastic container instance', Graceful termination: 'you must update "
                "ack-virtual-node to 2.11.0 or later' for eci-spot-release-strategy: api-evict",
            ),
            "elasticWorkload": (
                "v2.0.0.102-045a06eb4-aliyun",
                "ACK, 'Schedule pods that are the elastic workloads to ECI by using ack-kubernetes-elastic-workload': "
                "ack-virtual-node v2.0.0.102-045a06eb4-aliyun or later",
            ),
        },
        # terraform-provider-alicloud, website/docs/r/cs_kubernetes_addon.html.markdown: cleanup_cloud_resources
        # "Currently only works for addon ack-virtual-node and you must specify it when uninstall addon ack-virtual-node".
        # Its resource reads it with GetOk, so only true is ever sent: releasing the ECI resources the virtual node
        # created (its pods' instances) is the only explicit choice, and the one a destroy means.
        cleanup_cloud_resources=True,
    ),
    SELDON: CatalogEntry(
        kind="helm",
        namespace="seldon-system",
        version="1.17.1",
        version_source="seldon-core-operator chart 1.17.1 (the CRD in schemas/seldondeployment_v1.json)",
        needed_for=("seldon",),
        chart="seldon-core-operator",
        repo=SELDON_CHART_REPO,
        values={"usageMetrics": {"enabled": False}, "executor": {"image": dict(SELDON_EXECUTOR_IMAGE)}},
    ),
    ELASTIC_WORKLOAD: CatalogEntry(
        kind="helm",
        namespace="kube-system",
        version=None,
        version_source=(
            "no release list of the ack-kubernetes-elastic-workload chart could be found (ACK: not actively developed "
            "since June 2024); pin the version your cluster runs in config"
        ),
        needed_for=("elasticWorkload",),
        chart="ack-kubernetes-elastic-workload",
        repo=ACK_CATALOG_REPO,
    ),
    METRICS_ADAPTER: CatalogEntry(
        kind="helm",
        namespace="kube-system",
        version="1.3.3",
        version_source=(
            "chart 1.3.3 of ACK's charts-incubator catalog, as Alibaba Cloud's own ROS template installs it; ACK "
            "publishes no release notes for the chart and documents no in-place upgrade (uninstall, then install)"
        ),
        needed_for=("always",),
        chart="ack-alibaba-cloud-metrics-adapter",
        repo=ACK_CATALOG_REPO,
        chart_url=True,
        values=METRICS_ADAPTER_VALUES,
        reinstall_on_upgrade=True,
    ),
    CRONHPA: CatalogEntry(
        kind="managed",
        namespace="kube-system",
        version="v1.4.4-d9f7d25-aliyun",
        version_source="ACK release notes of ack-kubernetes-cronhpa-controller: v1.4.4-d9f7d25-aliyun, 2023-12-15",
        needed_for=("schedules",),
    ),
    KSERVE_CRD: CatalogEntry(
        kind="helm",
        namespace="kserve",
        version=KSERVE_VERSION,
        version_source=(
            "KServe v0.20.0, the newest release whose source could be read (kserve/kserve tag v0.20.0, "
            "charts/kserve-crd/Chart.yaml); ACK's ack-kserve chart names no KServe version"
        ),
        needed_for=("kserve",),
        chart=KSERVE_CHARTS + "kserve-crd",
        minimum={"kserve": KSERVE_STANDARD_MODE},
    ),
    KSERVE: CatalogEntry(
        kind="helm",
        namespace="kserve",
        version=KSERVE_VERSION,
        version_source="KServe v0.20.0 (kserve/kserve tag v0.20.0, charts/kserve-resources/Chart.yaml)",
        needed_for=("kserve",),
        chart=KSERVE_CHARTS + "kserve-resources",
        # kserve v0.20.0 charts/kserve-resources/values.yaml: the controller defaults to Knative mode and to an
        # Ingress of its own per InferenceService; files/common/configmap-patch.yaml writes these two values into
        # inferenceservice-config (defaultDeploymentMode, ingress.disableIngressCreation).
        values={"kserve": {"controller": {"deploymentMode": "Standard", "gateway": {"disableIngressCreation": True}}}},
        minimum={"kserve": KSERVE_STANDARD_MODE},
        after=(KSERVE_CRD,),
    ),
}
"""Every add-on the stack may install; the order is the install order shown in renders."""


def features(
    scaling_mode: str, has_schedules: bool, spot_graceful_eviction: bool, servers: frozenset[str] = frozenset({"seldon"})
) -> set[Feature]:
    """The features a stack uses, which decide the add-ons it needs (``servers``: the model servers its models use)."""
    used: set[Feature] = {"always"}
    if "seldon" in servers:
        used.add("seldon")
    if "kserve" in servers:
        used.add("kserve")
    if scaling_mode == "elasticWorkload":
        used.add("elasticWorkload")
    if has_schedules:
        used.add("schedules")
    if spot_graceful_eviction:
        used.add("spotGracefulEviction")
    return used


def needed(used: set[Feature]) -> list[AddonName]:
    """The add-ons a stack with these features needs, in catalog order."""
    return [name for name, entry in CATALOG.items() if used & set(entry.needed_for)]
