"""Where to send the load and what to watch: ``--url``, or a stack's outputs; then the objects in the cluster.

``--stack NAME`` reads the stack through the Pulumi Automation API (``pulumi.automation.select_stack`` on this
project's directory, then ``Stack.outputs()`` and ``Stack.get_all_config()``, which runs
``pulumi config --show-secrets --json``). Each model is one stack output object named after the model, with
``predictionUrl`` (``<endpoint>/api/v1.0/predictions``), ``predictorDeploymentName`` (``deploymentName`` in older
stacks), ``hpaName`` and
``elasticWorkloadName`` or ``resourcePolicyName`` (README, "Outputs"). The namespace is the stack's
``eci-inference:namespace`` (default ``default``) and the kubeconfig its secret ``eci-inference:kubeconfig`` when set
(``--kubeconfig`` or the usual ``~/.kube/config`` / ``KUBECONFIG`` otherwise).

What to watch is then read from the cluster rather than recomputed from the config, so it is what is deployed:
the source Deployment (its pod template carries ``eci-inference.io/predictor``: the pod selector; a KServe predictor
Deployment ``<isvc>-predictor`` carries ``serving.kserve.io/inferenceservice: <isvc>`` and ``component: predictor``
instead, see :func:`pod_selector`; a ``podSelector`` stack output wins over both), the ElasticWorkload
(``spec.elasticUnit[]``: unit names, ECI annotations, node selectors; ``autoscaling.alibabacloud.com/v1beta1``) or the
ResourcePolicy (``spec.units[]``: ``podLabels`` with ``eci-inference.io/unit``, ``podAnnotations``;
``scheduling.alibabacloud.com/v1alpha1``), and the HPA. Without ``--stack``, ``--deployment`` names the source
Deployment and the ElasticWorkload / ResourcePolicy / HPA pointing at it are found by listing.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

from tools.loadtest.watch import (
    ECI_SPOT_STRATEGY,
    ECI_USE_SPECS,
    ELASTIC_WORKLOAD,
    KSERVE_COMPONENT_LABEL,
    KSERVE_ISVC_LABEL,
    KSERVE_PREDICTOR,
    PREDICTOR_LABEL,
    RESOURCE_POLICY,
    UNIT_LABEL,
    UnitSpec,
    WatchSpec,
)

PROJECT = "eci-inference"
PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
EW = ("autoscaling.alibabacloud.com", "v1beta1", "elasticworkloads")
RP = ("scheduling.alibabacloud.com", "v1alpha1", "resourcepolicies")
INSTALL_CLI = "https://www.pulumi.com/docs/iac/download-install/"


class TargetError(Exception):
    """The target cannot be determined; the message says what to do."""


@dataclass(frozen=True)
class StackInfo:
    """What the load tester needs from a stack."""

    name: str
    outputs: Mapping[str, Any]
    config: Mapping[str, Any]
    """``namespace:key`` -> value (secrets decrypted)."""

    def model(self, model: str | None) -> tuple[str, Mapping[str, Any]]:
        """The model's output object; ``model`` may be omitted when the stack serves one model."""
        models = {k: v for k, v in self.outputs.items() if isinstance(v, Mapping) and "predictionUrl" in v}
        if not models:
            raise TargetError(
                f"stack {self.name!r} has no model outputs with a predictionUrl: deploy it first (pulumi up -s {self.name})"
            )
        if model is None:
            if len(models) > 1:
                raise TargetError(
                    f"stack {self.name!r} serves several models ({', '.join(sorted(models))}): choose one with --model"
                )
            model = next(iter(models))
        if model not in models:
            raise TargetError(f"stack {self.name!r} has no model {model!r}; its models: {', '.join(sorted(models))}")
        return model, models[model]

    @property
    def namespace(self) -> str:
        return str(self.config.get(f"{PROJECT}:namespace") or "default")

    @property
    def kubeconfig(self) -> str | None:
        value = self.config.get(f"{PROJECT}:kubeconfig")
        return str(value) if value else None


def read_stack(stack: str, work_dir: Path = PROJECT_DIR) -> StackInfo:
    """Outputs and config of a stack, through the Automation API; :class:`TargetError` with the fix when it fails."""
    if shutil.which("pulumi") is None:
        raise TargetError(f"--stack needs the Pulumi CLI on PATH ({INSTALL_CLI}); or give the endpoint with --url URL")
    from pulumi import automation as auto

    try:
        selected = auto.select_stack(stack_name=stack, work_dir=str(work_dir))
        outputs = {key: value.value for key, value in selected.outputs().items()}
        config = {key: value.value for key, value in selected.get_all_config().items()}
    except FileNotFoundError:
        raise TargetError(f"--stack needs the Pulumi CLI on PATH ({INSTALL_CLI}); or give --url URL") from None
    except auto.StackNotFoundError:
        raise TargetError(f"no stack {stack!r} in {work_dir}: see 'pulumi stack ls', or give --url URL") from None
    except auto.CommandError as err:
        lines = [line for line in str(err).splitlines() if "error" in line.lower()] or str(err).splitlines()[-1:]
        raise TargetError(f"pulumi could not read stack {stack!r}: {' '.join(lines)[:500]}") from None
    return StackInfo(stack, outputs, config)


# --- the cluster ----------------------------------------------------------------------------------------------------


class ClusterReader(Protocol):
    """Reads the objects the watch target is derived from (as plain dicts, camelCase keys)."""

    def deployment(self, namespace: str, name: str) -> dict[str, Any]: ...

    def custom_objects(self, namespace: str, group: str, version: str, plural: str) -> list[dict[str, Any]]: ...

    def hpas(self, namespace: str) -> list[dict[str, Any]]: ...


class KubeReader:
    """:class:`ClusterReader` over the kubernetes client."""

    def __init__(self, api: Any) -> None:
        from kubernetes import client

        self.api = api
        self.apps = client.AppsV1Api(api)
        self.custom = client.CustomObjectsApi(api)
        self.autoscaling = client.AutoscalingV2Api(api)

    def _plain(self, obj: Any) -> Any:
        return self.api.sanitize_for_serialization(obj)

    def deployment(self, namespace: str, name: str) -> dict[str, Any]:
        return dict(self._plain(self.apps.read_namespaced_deployment(name, namespace, _request_timeout=30)))

    def custom_objects(self, namespace: str, group: str, version: str, plural: str) -> list[dict[str, Any]]:
        from kubernetes.client.exceptions import ApiException

        try:
            result = self.custom.list_namespaced_custom_object(group, version, namespace, plural, _request_timeout=30)
        except ApiException as err:
            if err.status == 404:  # the CRD is not installed
                return []
            raise
        return list(result.get("items") or []) if isinstance(result, dict) else []

    def hpas(self, namespace: str) -> list[dict[str, Any]]:
        result = self._plain(self.autoscaling.list_namespaced_horizontal_pod_autoscaler(namespace, _request_timeout=30))
        return list(result.get("items") or [])


def kube_api(kubeconfig_text: str | None = None, kubeconfig_path: Path | None = None, context: str | None = None) -> Any:
    """An ``ApiClient`` from ``--kubeconfig``, else the stack's kubeconfig, else ``KUBECONFIG`` / ``~/.kube/config``."""
    from kubernetes import config

    try:
        if kubeconfig_path is not None:
            return config.new_client_from_config(config_file=str(kubeconfig_path), context=context)  # type: ignore[no-untyped-call]
        if kubeconfig_text is not None:
            return config.new_client_from_config_dict(yaml.safe_load(kubeconfig_text), context=context)  # type: ignore[no-untyped-call]
        return config.new_client_from_config(context=context)  # type: ignore[no-untyped-call]
    except (config.ConfigException, OSError, yaml.YAMLError) as err:
        where = kubeconfig_path or ("the stack's kubeconfig" if kubeconfig_text else "KUBECONFIG / ~/.kube/config")
        raise TargetError(f"cannot load the kubeconfig ({where}): {err}; give one with --kubeconfig FILE") from None


def _spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def _name(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def _specs(annotations: Mapping[str, Any]) -> tuple[str, ...]:
    text = str(annotations.get(ECI_USE_SPECS) or "")
    return tuple(s.strip() for s in text.split(",") if s.strip())


def units_of_elastic_workload(ew: Mapping[str, Any]) -> tuple[UnitSpec, ...]:
    """``spec.elasticUnit[]`` in order."""
    units: list[UnitSpec] = []
    for unit in _spec(ew).get("elasticUnit") or []:
        annotations = unit.get("annotations") or {}
        selector = unit.get("nodeSelector") or {}
        eci = selector.get("type") == "virtual-kubelet" or ECI_USE_SPECS in annotations or "virtual-kubelet" in annotations
        units.append(UnitSpec(str(unit.get("name")), eci, annotations.get(ECI_SPOT_STRATEGY), _specs(annotations)))
    return tuple(units)


def units_of_resource_policy(rp: Mapping[str, Any]) -> tuple[UnitSpec, ...]:
    """``spec.units[]`` in order, named by their ``podLabels`` ``eci-inference.io/unit``."""
    units: list[UnitSpec] = []
    for i, unit in enumerate(_spec(rp).get("units") or []):
        annotations = unit.get("podAnnotations") or {}
        name = (unit.get("podLabels") or {}).get(UNIT_LABEL) or f"unit-{i}"
        units.append(
            UnitSpec(str(name), unit.get("resource", "eci") == "eci", annotations.get(ECI_SPOT_STRATEGY), _specs(annotations))
        )
    return tuple(units)


def pod_selector(deployment: Mapping[str, Any]) -> str:
    """The predictor's pods, from the source Deployment's pod template.

    ``eci-inference.io/predictor=<value>`` when the template has it (this program's label); else, for a KServe
    predictor, ``serving.kserve.io/inferenceservice=<isvc>,component=predictor``: kserve v0.20.0, the version the
    stack installs (v0.15.2 reads the same), ``pkg/controller/v1beta1/inferenceservice/components/predictor.go`` lines
    498-519 (``buildObjectMeta`` sets ``constants.InferenceServicePodLabelKey`` and ``constants.KServiceComponentLabel``
    = ``predictor``, over any label of the runtime, the isvc or the predictor spec), ``pkg/constants/constants.go``
    lines 61 and 403 (the keys ``serving.kserve.io/inferenceservice`` and ``component``), and
    ``pkg/controller/v1beta1/inferenceservice/reconcilers/deployment/deployment_reconciler.go`` lines 140-161
    (Standard mode: the pod template takes these labels, plus ``app``); else the Deployment's ``matchLabels``. This
    program's KServe predictor also carries ``eci-inference.io/predictor`` (``spec.predictor.labels``).
    """
    template_labels = ((_spec(deployment).get("template") or {}).get("metadata") or {}).get("labels") or {}
    if PREDICTOR_LABEL in template_labels:
        return f"{PREDICTOR_LABEL}={template_labels[PREDICTOR_LABEL]}"
    if KSERVE_ISVC_LABEL in template_labels and template_labels.get(KSERVE_COMPONENT_LABEL) == KSERVE_PREDICTOR:
        return f"{KSERVE_ISVC_LABEL}={template_labels[KSERVE_ISVC_LABEL]},{KSERVE_COMPONENT_LABEL}={KSERVE_PREDICTOR}"
    match = (_spec(deployment).get("selector") or {}).get("matchLabels") or {}
    if not match:
        raise TargetError(f"Deployment {_name(deployment)!r} has no {PREDICTOR_LABEL} pod label and no matchLabels to watch")
    return ",".join(f"{k}={v}" for k, v in sorted(match.items()))


def _pick(
    objects: Sequence[Mapping[str, Any]], name: str | None, matches: Callable[[Mapping[str, Any]], bool]
) -> Mapping[str, Any] | None:
    if name is not None:
        return next((o for o in objects if _name(o) == name), None)
    found = [o for o in objects if matches(o)]
    return found[0] if len(found) == 1 else None


def watch_spec(
    reader: ClusterReader,
    namespace: str,
    deployment: str,
    *,
    hpa: str | None = None,
    elastic_workload: str | None = None,
    resource_policy: str | None = None,
    selector: str | None = None,
) -> WatchSpec:
    """The watch target of one model, read from the cluster (see the module docstring); ``selector``, when given
    (the stack's ``podSelector`` output), names the pods instead of :func:`pod_selector`."""
    source = reader.deployment(namespace, deployment)
    template_labels = ((_spec(source).get("template") or {}).get("metadata") or {}).get("labels") or {}
    ews = reader.custom_objects(namespace, *EW) if resource_policy is None else []
    ew = _pick(ews, elastic_workload, lambda o: (_spec(o).get("sourceTarget") or {}).get("name") == deployment)
    if elastic_workload is not None and ew is None:
        raise TargetError(f"no ElasticWorkload {elastic_workload!r} in namespace {namespace!r}")
    rp: Mapping[str, Any] | None = None
    if ew is None:
        rps = reader.custom_objects(namespace, *RP)

        def selects(o: Mapping[str, Any]) -> bool:
            selector = _spec(o).get("selector") or {}
            return bool(selector) and all(template_labels.get(k) == v for k, v in selector.items())

        rp = _pick(rps, resource_policy, selects)
        if resource_policy is not None and rp is None:
            raise TargetError(f"no ResourcePolicy {resource_policy!r} in namespace {namespace!r}")
    if ew is not None:
        mode, units, target = ELASTIC_WORKLOAD, units_of_elastic_workload(ew), _name(ew)
    elif rp is not None:
        mode, units, target = RESOURCE_POLICY, units_of_resource_policy(rp), deployment
    else:
        raise TargetError(
            f"neither an ElasticWorkload with sourceTarget {deployment!r} nor a ResourcePolicy selecting its pods "
            f"in namespace {namespace!r}: is the stack deployed there?"
        )
    if hpa is None:
        found = _pick(reader.hpas(namespace), None, lambda o: (_spec(o).get("scaleTargetRef") or {}).get("name") == target)
        hpa = _name(found) if found is not None else None
    return WatchSpec(namespace, selector or pod_selector(source), mode, hpa, deployment, units)


def output_selector(value: Any) -> str | None:
    """A ``podSelector`` output as a label selector: ``k=v,...`` text as it is, a mapping as sorted ``k=v`` pairs."""
    if value is None or value == "" or value == {}:
        return None
    if isinstance(value, Mapping):
        return ",".join(f"{k}={v}" for k, v in sorted(value.items()))
    if isinstance(value, str):
        return value
    raise TargetError(f"stack output podSelector {value!r}: expected 'key=value,...' or an object of labels")


def stack_watch_names(outputs: Mapping[str, Any]) -> dict[str, str | None]:
    """``deployment``, ``hpa``, ``elastic_workload``, ``resource_policy`` and ``selector`` (the ``podSelector``
    output, if the stack has one) from a model's output object."""
    deployment = outputs.get("predictorDeploymentName") or outputs.get("deploymentName")  # the latter: older stacks
    if not deployment:
        raise TargetError(
            "the model's stack output has no predictorDeploymentName: update the stack (pulumi up) or use --deployment"
        )
    return {
        "deployment": str(deployment),
        "hpa": outputs.get("hpaName"),
        "elastic_workload": outputs.get("elasticWorkloadName"),
        "resource_policy": outputs.get("resourcePolicyName"),
        "selector": output_selector(outputs.get("podSelector")),
    }
