"""What a stack will ask of the cluster: its validated config, its prerequisites and the objects it renders.

The objects come from the offline render (:func:`tools.render.render_stack`, Pulumi's mocks), so the fields compared
with the live CRDs and the metric selectors asked of the adapter are exactly the ones ``pulumi up`` would send.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.ingress_logs import LOG_CONFIG_API_VERSION, LOG_CONFIG_KIND
from components.qps_autoscaler import QPS_METRIC
from stackconfig import ConfigError, StackConfig, load
from stackconfig.addons import CRONHPA, ELASTIC_WORKLOAD, KSERVE_CRD, SELDON, VIRTUAL_NODE
from stackconfig.prerequisites import Prerequisites, stack_needs
from tools.preflight.client import PreflightError
from tools.render import RenderError, StackConfigInvalid, render_config, render_stack


@dataclass(frozen=True)
class CustomKind:
    """A custom resource kind the stack renders, and who installs its CRD."""

    plural: str
    provider: str
    """The add-on (catalog name) or cluster feature whose install brings the CRD."""
    missing: str = ""
    """The fix when the CRD is absent (default: install the provider)."""


CUSTOM_KINDS: dict[tuple[str, str], CustomKind] = {
    ("machinelearning.seldon.io", "SeldonDeployment"): CustomKind("seldondeployments", SELDON),
    ("serving.kserve.io", "InferenceService"): CustomKind("inferenceservices", KSERVE_CRD),
    ("autoscaling.alibabacloud.com", "ElasticWorkload"): CustomKind("elasticworkloads", ELASTIC_WORKLOAD),
    ("scheduling.alibabacloud.com", "ResourcePolicy"): CustomKind(
        "resourcepolicies",
        "kube-scheduler (ACK Pro)",
        "ResourcePolicy comes with ACK managed Pro clusters 1.20.11 or later: use one, or scalingMode: elasticWorkload",
    ),
    ("autoscaling.alibabacloud.com", "CronHorizontalPodAutoscaler"): CustomKind("cronhorizontalpodautoscalers", CRONHPA),
    ("eci.alibabacloud.com", "ImageCache"): CustomKind("imagecaches", VIRTUAL_NODE),
    ("log.alibabacloud.com", LOG_CONFIG_KIND): CustomKind("aliyunlogconfigs", "logtail-ds (ACK log collection)"),
}
"""CRD name = ``<plural>.<group>``; a CRD not found under that name is looked for by group and kind as well."""


@dataclass(frozen=True)
class CustomUse:
    """One custom kind as the stack renders it."""

    group: str
    version: str
    kind: str
    objects: tuple[Mapping[str, Any], ...]

    @property
    def crd_name(self) -> str:
        known = CUSTOM_KINDS.get((self.group, self.kind))
        plural = known.plural if known else f"{self.kind.lower()}s"
        return f"{plural}.{self.group}"

    @property
    def missing_fix(self) -> str:
        known = CUSTOM_KINDS.get((self.group, self.kind))
        if known is not None and known.missing:
            return known.missing
        return f"install {known.provider if known else 'the operator that defines ' + self.kind}"

    @property
    def provider(self) -> str | None:
        known = CUSTOM_KINDS.get((self.group, self.kind))
        return known.provider if known else None


@dataclass(frozen=True)
class MetricQuery:
    """The External metric one HPA reads: its namespace and label selector."""

    hpa: str
    namespace: str
    metric: str
    selector: dict[str, str]


@dataclass(frozen=True)
class StackPlan:
    stack: str
    config: StackConfig
    prerequisites: Prerequisites
    objects: tuple[Mapping[str, Any], ...] = field(repr=False)

    def custom_kinds(self) -> list[CustomUse]:
        """Every custom kind among the rendered objects, in render order."""
        grouped: dict[tuple[str, str, str], list[Mapping[str, Any]]] = {}
        for body in self.objects:
            group, _, version = str(body.get("apiVersion", "")).rpartition("/")
            if group and "." in group and not group.endswith(".k8s.io"):
                grouped.setdefault((group, version, str(body.get("kind"))), []).append(body)
        return [CustomUse(g, v, k, tuple(objs)) for (g, v, k), objs in grouped.items()]

    def metric_queries(self) -> list[MetricQuery]:
        """The ``sls_ingress_qps`` selectors of the rendered HPAs."""
        queries = []
        for body in self.objects:
            if body.get("kind") != "HorizontalPodAutoscaler":
                continue
            for metric in body.get("spec", {}).get("metrics", []):
                ident = metric.get("external", {}).get("metric", {})
                if ident.get("name") == QPS_METRIC:
                    queries.append(
                        MetricQuery(
                            hpa=body["metadata"]["name"],
                            namespace=body["metadata"].get("namespace", self.config.namespace),
                            metric=QPS_METRIC,
                            selector=dict(ident.get("selector", {}).get("matchLabels", {})),
                        )
                    )
        return queries

    def renders_log_config(self) -> bool:
        return any(b.get("apiVersion") == LOG_CONFIG_API_VERSION and b.get("kind") == LOG_CONFIG_KIND for b in self.objects)


def load_config(stack: str, project_dir: Path, config_override: Mapping[str, Any] | None = None) -> StackConfig:
    """The stack's validated config (secrets as placeholders: preflight never needs their values); ``config_override``
    as :func:`tools.render.render_config` takes it."""
    try:
        raw, secret_keys = render_config(stack, config_override, project_dir=project_dir)
        return load(raw, secret_keys, project_dir)
    except ConfigError as error:
        raise PreflightError(f"stack {stack!r} (Pulumi.{stack}.yaml) is not valid: {_one_line(str(error))}") from None
    except RenderError as error:
        raise PreflightError(_one_line(str(error))) from None


def build_plan(stack: str, config: StackConfig, project_dir: Path, config_override: Mapping[str, Any] | None = None) -> StackPlan:
    """Render the stack offline (with the same ``config_override`` the config was loaded with) and keep its objects."""
    try:
        rendered = render_stack(stack, config_override, project_dir=project_dir)
    except (StackConfigInvalid, RenderError) as error:
        raise PreflightError(f"stack {stack!r} does not render: {_one_line(str(error))}") from None
    return StackPlan(stack, config, stack_needs(config), tuple(m.body for m in rendered.manifests))


def _one_line(text: str) -> str:
    return "; ".join(line.strip() for line in text.strip().splitlines() if line.strip())
