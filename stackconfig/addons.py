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
        values={"usageMetrics": {"enabled": False}},
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
            "chart 1.3.3 of ACK's charts-incubator catalog, as Alibaba Cloud's own ROS templates install it; ACK "
            "publishes no release notes for the chart and documents no in-place upgrade (uninstall, then install)"
        ),
        needed_for=("always",),
        chart="ack-alibaba-cloud-metrics-adapter",
        repo=ACK_CATALOG_REPO,
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
