"""The KServe InferenceService: TF Serving on a GPU as an explicit predictor container, reading the model from the volume.

What the KServe controller v0.20.0 does with it (kserve/kserve tag v0.20.0), and so what this component must and must
not write:

- Mode: ``serving.kserve.io/deploymentMode: Standard`` (``pkg/constants/constants.go``: ``Standard``, which
  ``ParseDeploymentMode`` also maps the deprecated ``RawDeployment`` to) makes a plain Deployment, Service and
  (unless told not to) Ingress; no Knative, no Istio.
- Replicas: ``serving.kserve.io/autoscalerClass: external`` makes the HPA reconciler create no HPA and delete one it
  owns (``reconcilers/hpa/hpa_reconciler.go``, ``shouldDeleteHPA``); ``reconcilers/deployment/deployment_reconciler.go``
  sets ``spec.replicas`` from ``minReplicas`` only for the class ``none`` (``createRawDefaultDeployment``), ignores
  ``Replicas`` when it compares the live Deployment for any other class (``checkDeploymentExist``) and drops it from
  its patch (``Reconcile``). So our HPA, ElasticWorkload or ResourcePolicy owns the count, as with Seldon, and this
  component sets neither ``minReplicas`` nor ``maxReplicas``.
- Names: the Deployment and the Service are ``<isvc>-predictor`` (``constants.PredictorServiceName``, used by
  ``components/predictor.go``); the Service's first port is 80 and targets the container's first port
  (``reconcilers/service/service_reconciler.go``, ``CommonDefaultHttpPort``), so TF Serving's REST port comes first.
- The container: a custom predictor's container must be named ``kserve-container``
  (``pkg/apis/serving/v1beta1/predictor_custom.go``: ``GetContainer`` returns only that container, and
  ``predictor.go`` dereferences it).
- Labels: ``spec.predictor.labels`` are merged into the pod labels (``predictor.go``, ``buildObjectMeta``), so the
  pods carry the same predictor label the PDB and the ResourcePolicy select as with Seldon.
- Ingress: the label ``networking.kserve.io/visibility: cluster-local`` stops KServe creating its own Ingress
  (``reconcilers/ingress/kube_ingress_reconciler.go``); the stack's ``ModelIngress`` is the only route, so the HPA's
  SLS route label is the one ACK's adapter sees.
- Rollouts: ``spec.predictor.deploymentStrategy`` takes precedence over the controller's default and its config map
  (``createRawDefaultDeployment``). Without it ``setDefaultDeploymentSpec`` writes ``maxUnavailable: 25%`` and
  ``maxSurge: 25%``, so a version change would take a quarter of the ready pods away before their replacements are
  Ready. The InferenceService therefore asks for what the Seldon operator's Deployments get
  (``components/model_server.py``): ``maxUnavailable: 0`` and ``maxSurge: 25%``, a surge rollout in which an old pod
  leaves only once a new one is Ready on the new version (docs/releasing.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components import pod_security, tf_serving
from components.naming import (
    KSERVE_AUTOSCALER_CLASS,
    KSERVE_CONTAINER,
    KSERVE_DEPLOYMENT_MODE,
    KSERVE_HTTP_PORT,
    KSERVE_VISIBILITY,
    MANAGED_BY,
    PREDICTOR_LABEL,
    TFSERVING_GRPC_PORT,
    TFSERVING_REST_PORT,
    ModelNames,
)

API_VERSION = "serving.kserve.io/v1beta1"
KIND = "InferenceService"


class KServeServerArgs(TypedDict):
    """Inputs of :class:`KServeServer`."""

    namespace: pulumi.Input[str]
    """Namespace of the InferenceService."""
    names: ModelNames
    """The model's names: the InferenceService, and the Deployment and Service KServe derives from it."""
    model_name: str
    """Model name TF Serving serves."""
    model_version: int
    """The version TF Serving must have loaded before the pod is ready."""
    model_base_path: pulumi.Input[str]
    """Object path of the model's base directory inside the mounted bucket."""
    claim_name: pulumi.Input[str]
    """PVC holding the model bucket."""
    container: tf_serving.ServingContainerSettings
    """Image, resources and probe timing of TF Serving."""
    termination_grace_seconds: int
    """Time a stopping pod gets to finish in-flight requests."""
    depends_on: Sequence[pulumi.Resource]
    """What must exist first: the KServe controller and its CRDs."""
    restricted: bool
    """Prod-like stack: a restricted pod (``components/pod_security.py``)."""


def pod_labels(names: ModelNames) -> dict[str, str]:
    """Labels every predictor pod carries (``spec.predictor.labels``, merged into the pod's by the controller)."""
    return {PREDICTOR_LABEL: names.predictor_service}


def kserve_container(args: KServeServerArgs, model_base_path: str) -> dict[str, Any]:
    """The TF Serving container as KServe's custom predictor: named ``kserve-container``, REST port first and named."""
    container = tf_serving.serving_container(args["container"], args["model_name"], args["model_version"], model_base_path)
    container["name"] = KSERVE_CONTAINER
    container["ports"] = [
        {"name": "http", "containerPort": TFSERVING_REST_PORT, "protocol": "TCP"},
        {"name": "grpc", "containerPort": TFSERVING_GRPC_PORT, "protocol": "TCP"},
    ]
    return container


SURGE_ROLLOUT = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}}
"""New pods first; an old one leaves only when a new one is Ready (module doc)."""


def inference_service_spec(args: KServeServerArgs, model_base_path: str, claim_name: str) -> dict[str, Any]:
    """The ``spec`` of the InferenceService: one predictor, no ``minReplicas``/``maxReplicas`` (module doc)."""
    predictor = {
        "labels": pod_labels(args["names"]),
        "deploymentStrategy": SURGE_ROLLOUT,
        "containers": [kserve_container(args, model_base_path)],
        "volumes": tf_serving.volumes(claim_name),
        "terminationGracePeriodSeconds": args["termination_grace_seconds"],
    }
    # The predictor embeds the pod spec (KServe ``PredictorSpec``), so the pod-level fields sit beside its containers.
    return {
        "predictor": pod_security.restrict_pod(predictor, tf_serving.SERVING_USER, tf_serving.SERVING_GROUP, args["restricted"])
    }


def inference_service_metadata(args: KServeServerArgs) -> tuple[dict[str, str], dict[str, str]]:
    """The InferenceService's labels and annotations: Standard mode, an external autoscaler, no Ingress of its own."""
    labels = {**MANAGED_BY, "app.kubernetes.io/name": args["model_name"], KSERVE_VISIBILITY: "cluster-local"}
    annotations = {KSERVE_DEPLOYMENT_MODE: "Standard", KSERVE_AUTOSCALER_CLASS: "external"}
    return labels, annotations


def _after(resource: pulumi.Resource, value: str) -> pulumi.Output[str]:
    """``value``, carrying a dependency on ``resource``."""
    return resource.urn.apply(lambda _: value)


class KServeServer(pulumi.ComponentResource):
    """One InferenceService with one predictor, and the names KServe will give what it creates.

    Its outputs are the :class:`~components.model_server.ModelServer`'s, so nothing downstream knows which server
    it has.
    """

    server_name: pulumi.Output[str]
    """Name of the InferenceService."""
    predictor_deployment: pulumi.Output[str]
    """Name of the Deployment KServe creates (the ElasticWorkload's source, or the HPA's target)."""
    service_name: pulumi.Output[str]
    """Name of the predictor Service KServe creates (the Ingress backend)."""
    http_port: pulumi.Output[int]
    """REST port of that Service."""
    pod_selector: dict[str, pulumi.Output[str]]
    """Labels that select exactly this predictor's pods."""

    def __init__(self, name: str, args: KServeServerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eci-inference:index:KServeServer", name, None, opts)
        names = args["names"]
        spec = pulumi.Output.all(args["model_base_path"], args["claim_name"]).apply(
            lambda v: inference_service_spec(args, v[0], v[1])
        )
        labels, annotations = inference_service_metadata(args)
        isvc = k8s.apiextensions.CustomResource(
            f"{name}-isvc",
            api_version=API_VERSION,
            kind=KIND,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=names.sdep, namespace=args["namespace"], labels=labels, annotations=annotations
            ),
            spec=spec,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args["depends_on"])),
        )
        self.server_name = _after(isvc, names.sdep)
        self.predictor_deployment = _after(isvc, names.predictor_deployment)
        self.service_name = _after(isvc, names.predictor_service)
        self.http_port = isvc.urn.apply(lambda _: KSERVE_HTTP_PORT)
        self.pod_selector = {k: _after(isvc, v) for k, v in pod_labels(names).items()}
        self.register_outputs(
            {
                "server_name": self.server_name,
                "predictor_deployment": self.predictor_deployment,
                "service_name": self.service_name,
                "http_port": self.http_port,
            }
        )
