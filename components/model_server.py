"""The SeldonDeployment: the tfserving-proxy in front of TF Serving on a GPU, reading the model from the volume.

What the Seldon Core operator 1.17.1 does with it (SeldonIO/seldon-core tag v1.17.1,
``operator/controllers/seldondeployment_controller.go``), and so what this component must and must not write:

- Replicas: ``createComponents`` (lines 515-527) sets the Deployment's ``spec.replicas`` from the componentSpec,
  predictor or SeldonDeployment ``replicas`` unless Seldon itself owns an HPA (``hpaSpec``) or KEDA object; and
  ``createDeployments`` (lines 1714-1757) ignores replica differences only in that case, otherwise it copies the
  desired spec back over the live Deployment (``found.Spec = deploy.Spec``) on every reconcile. It watches the
  Deployments it owns (``SetupWithManager``, ``Owns(&appsv1.Deployment{})``, line 2252), so any scale-out by our HPA
  or ElasticWorkload would be undone at once. When ``replicas`` is absent at every level the live count is kept
  (``if deploy.Spec.Replicas == nil { found.Spec.Replicas = desiredDeployment.Spec.Replicas }``, lines 1749-1751).
  So this SeldonDeployment never sets ``replicas``: the autoscaler owns the count, starting at its minimum.
- Probes: the operator adds TCP probes to the graph container (the proxy) only when it has none (lines 818-839), and
  none to TF Serving, which is not a graph node (lines 757-762). A TCP probe proves a port listens, not that the model
  is loaded, so TF Serving gets a startup and a readiness probe on its REST metadata URL for the model version
  (``components/tf_serving.py``, which builds the whole TF Serving container). A new pod joins
  the predictor Service only once every container is ready.
- Labels: componentSpec ``metadata.labels`` are copied onto the pod template (lines 1046-1050).
- Rollouts: ``createDeploymentWithoutEngine`` (line 998) gives every predictor Deployment
  ``RollingUpdate{MaxUnavailable: &intstr.IntOrString{StrVal: "10%"}}``. ``Type`` is left at its zero value, ``Int``
  (k8s.io/apimachinery ``pkg/util/intstr``: ``Int Type = iota``; ``MarshalJSON`` writes ``IntVal`` for ``Int``), so
  the API server receives ``maxUnavailable: 0`` and defaults the absent ``maxSurge`` to 25 % (rounded up). A template
  change is therefore a surge rollout: new pods first, an old pod removed only once a new one is Ready (as
  SeldonIO/seldon-operator#74 reports from a cluster). Nothing in a SeldonDeployment can change this: the
  componentSpec (``SeldonPodSpec``: metadata, spec, hpaSpec, replicas, kedaSpec, pdbSpec) has no strategy
  (SeldonIO/seldon-core#1821), and ``createDeployments`` writes the whole desired spec back (``found.Spec =
  deploy.Spec``, line 1744). Readiness is TF Serving's probe on the pod's own version, so "Ready" means serving it.
- Pod-level fields: ``createDeploymentWithoutEngine`` copies the componentSpec's pod spec whole (line 1028), so a
  restricted pod's ``securityContext``, ``automountServiceAccountToken`` and scratch volumes
  (``components/pod_security.py``) reach the Deployment; the operator then appends its ``seldon-podinfo`` volume
  (lines 1072-1086) and the executor container, whose own securityContext we cannot set (``pod_security`` module doc).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components import pod_security, tf_serving
from components.naming import (
    MANAGED_BY,
    PREDICTOR_LABEL,
    PROXY_CONTAINER,
    PROXY_HTTP_PORT,
    SELDON_HTTP_PORT,
    TFSERVING_REST_PORT,
    ModelNames,
)

PROBE_PERIOD_SECONDS = tf_serving.PROBE_PERIOD_SECONDS
PROBE_TIMEOUT_SECONDS = tf_serving.PROBE_TIMEOUT_SECONDS


class ServerSettings(TypedDict):
    """What the stack's config decides about the server."""

    proxy_image: str
    """Image of the Seldon tfserving-proxy."""
    serving_image: str
    """Image of TF Serving (a GPU build)."""
    gpu: int
    """GPUs per serving pod (requests equal limits)."""
    cpu: str
    """CPU of the TF Serving container (requests equal limits)."""
    memory: str
    """Memory of the TF Serving container (requests equal limits)."""
    proxy_cpu: str
    """CPU request of the proxy container."""
    proxy_memory: str
    """Memory of the proxy container (requests equal limits)."""
    termination_grace_seconds: int
    """Time a stopping pod gets to finish in-flight requests."""
    pre_stop_seconds: int
    """Delay before the containers are signalled, so the Service stops routing to the pod first."""
    model_load_timeout_seconds: int
    """How long the startup probe waits for the model version (a cold ECI start reads the model from OSS)."""


class ModelServerArgs(TypedDict):
    """Inputs of :class:`ModelServer`."""

    namespace: pulumi.Input[str]
    """Namespace of the SeldonDeployment."""
    names: ModelNames
    """The model's names: the SeldonDeployment, and the Deployment and Service the operator derives from it."""
    predictor_name: str
    """Name of the single predictor."""
    model_name: str
    """Model name TF Serving serves and the proxy asks for."""
    model_version: int
    """The version TF Serving must have loaded before the pod is ready."""
    model_base_path: pulumi.Input[str]
    """Object path of the model's base directory inside the mounted bucket."""
    claim_name: pulumi.Input[str]
    """PVC holding the model bucket."""
    settings: ServerSettings
    """Images, resources, grace period and probe timing."""
    depends_on: Sequence[pulumi.Resource]
    """What must exist first: the operator (seldon-core add-on)."""
    restricted: bool
    """Prod-like stack: a restricted pod (``components/pod_security.py``)."""


def pod_labels(names: ModelNames) -> dict[str, str]:
    """Labels the operator puts on every predictor pod (it copies the componentSpec's labels)."""
    return {PREDICTOR_LABEL: names.predictor_service}


def proxy_probes() -> dict[str, Any]:
    """Readiness of Seldon's Python wrapper: ``GET /health/ping`` answers once its server runs (seldon-core v1.3.0,
    ``python/seldon_core/wrapper.py``); the operator gives the proxy port 9000 (``FirstHttpPortNumber``)."""
    return {
        "readinessProbe": {
            "httpGet": {"path": "/health/ping", "port": PROXY_HTTP_PORT},
            "periodSeconds": PROBE_PERIOD_SECONDS,
            "timeoutSeconds": PROBE_TIMEOUT_SECONDS,
            "failureThreshold": 3,
        }
    }


def seldon_deployment_spec(args: ModelServerArgs, model_base_path: str, claim_name: str) -> dict[str, Any]:
    """The ``spec`` of the SeldonDeployment, from plain values. It sets no ``replicas`` at any level (module doc)."""
    proxy = PROXY_CONTAINER
    settings = args["settings"]
    return {
        "name": args["names"].sdep,
        "predictors": [
            {
                "name": args["predictor_name"],
                "componentSpecs": [
                    {
                        "metadata": {"labels": pod_labels(args["names"])},
                        "spec": _restricted(
                            args,
                            {
                                "containers": [
                                    {
                                        "name": proxy,
                                        "image": settings["proxy_image"],
                                        "resources": {
                                            "requests": {"cpu": settings["proxy_cpu"], "memory": settings["proxy_memory"]},
                                            "limits": {"memory": settings["proxy_memory"]},
                                        },
                                        "securityContext": tf_serving.security_context(),
                                        **proxy_probes(),
                                        **tf_serving.lifecycle(settings["pre_stop_seconds"]),
                                    },
                                    tf_serving.serving_container(
                                        {
                                            "image": settings["serving_image"],
                                            "gpu": settings["gpu"],
                                            "cpu": settings["cpu"],
                                            "memory": settings["memory"],
                                            "pre_stop_seconds": settings["pre_stop_seconds"],
                                            "model_load_timeout_seconds": settings["model_load_timeout_seconds"],
                                        },
                                        args["model_name"],
                                        args["model_version"],
                                        model_base_path,
                                    ),
                                ],
                                "volumes": tf_serving.volumes(claim_name),
                                "terminationGracePeriodSeconds": settings["termination_grace_seconds"],
                            },
                        ),
                    }
                ],
                "graph": {
                    "name": proxy,
                    "type": "MODEL",
                    "endpoint": {"type": "REST"},
                    "children": [],
                    "parameters": [
                        {"name": "rest_endpoint", "type": "STRING", "value": f"http://127.0.0.1:{TFSERVING_REST_PORT}"},
                        {"name": "model_name", "type": "STRING", "value": args["model_name"]},
                        {"name": "signature_name", "type": "STRING", "value": "serving_default"},
                    ],
                },
            }
        ],
    }


def _restricted(args: ModelServerArgs, pod: dict[str, Any]) -> dict[str, Any]:
    return pod_security.restrict_pod(pod, tf_serving.SERVING_USER, tf_serving.SERVING_GROUP, args["restricted"])


def _after(resource: pulumi.Resource, value: str) -> pulumi.Output[str]:
    """``value``, carrying a dependency on ``resource``."""
    return resource.urn.apply(lambda _: value)


class ModelServer(pulumi.ComponentResource):
    """One SeldonDeployment with one predictor, and the names the operator will give what it creates."""

    server_name: pulumi.Output[str]
    """Name of the SeldonDeployment."""
    predictor_deployment: pulumi.Output[str]
    """Name of the Deployment the operator creates (the ElasticWorkload's source, or the HPA's target)."""
    service_name: pulumi.Output[str]
    """Name of the predictor Service the operator creates (the Ingress backend)."""
    http_port: pulumi.Output[int]
    """REST port of that Service."""
    pod_selector: dict[str, pulumi.Output[str]]
    """Labels that select exactly this predictor's pods."""

    def __init__(self, name: str, args: ModelServerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eci-inference:index:ModelServer", name, None, opts)
        names = args["names"]
        spec = pulumi.Output.all(args["model_base_path"], args["claim_name"]).apply(
            lambda v: seldon_deployment_spec(args, v[0], v[1])
        )
        sdep = k8s.apiextensions.CustomResource(
            f"{name}-sdep",
            api_version="machinelearning.seldon.io/v1",
            kind="SeldonDeployment",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=names.sdep,
                namespace=args["namespace"],
                labels={**MANAGED_BY, "app.kubernetes.io/name": args["model_name"]},
            ),
            spec=spec,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args["depends_on"])),
        )
        # Derived from the SeldonDeployment's output so that whatever uses a name also waits for it.
        self.server_name = _after(sdep, names.sdep)
        self.predictor_deployment = _after(sdep, names.predictor_deployment)
        self.service_name = _after(sdep, names.predictor_service)
        self.http_port = sdep.urn.apply(lambda _: SELDON_HTTP_PORT)
        self.pod_selector = {k: _after(sdep, v) for k, v in pod_labels(names).items()}
        self.register_outputs(
            {
                "server_name": self.server_name,
                "predictor_deployment": self.predictor_deployment,
                "service_name": self.service_name,
                "http_port": self.http_port,
            }
        )
