"""Names that objects must agree on, derived in one place and passed on, never retyped.

The Seldon Core v1 operator names what it creates from the SeldonDeployment (1.17.1,
``operator/apis/machinelearning.seldon.io/v1/seldondeployment_types.go``: ``GetDeploymentName`` lines 127-146,
``GetPredictorKey`` lines 157-172, ``hash`` = md5 hex); the ElasticWorkload, the Ingress and the HPA's SLS route label
all refer to those names. Two names are easy to confuse, so they are never called "deployment name" alone:
``sdep`` is the SeldonDeployment this program creates, ``predictor_deployment`` the Deployment the operator creates
from it. The labels and annotations that ECI, the ElasticWorkload and the ResourcePolicy read live here too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

SELDON_HTTP_PORT = 8000
SELDON_GRPC_PORT = 5001
PREDICTION_PATH = "/api/v1.0/predictions"
KSERVE_PREDICTION_PATH = "/v1/models/{model}:predict"
"""TF Serving's REST predict path, KServe's v1 protocol (tensorflow/serving 2.3.0
``model_servers/http_rest_api_handler.cc``: ``/v1/models/<name>[/versions/<n>]:predict``)."""
TFSERVING_REST_PORT = 8501
TFSERVING_GRPC_PORT = 7001
MAX_NAME = 63

PREDICTOR_LABEL = "eci-inference.io/predictor"
"""Pod label (value: the predictor Service name) that the PDB and the ResourcePolicy select on."""

UNIT_LABEL = "eci-inference.io/unit"
"""Pod label (value: the unit name) the ResourcePolicy puts on the pods of each unit."""
MANAGED_BY = {"app.kubernetes.io/managed-by": "pulumi"}

PROXY_CONTAINER = "tfserving-proxy"
SERVING_CONTAINER = "tfserving-gpu"
CONTAINERS = (PROXY_CONTAINER, SERVING_CONTAINER)
"""The predictor's containers, in order; the operator builds the Deployment's name from them."""
PROXY_HTTP_PORT = 9000
"""The port the operator gives the first graph container (``FirstHttpPortNumber``, constants.go; defaults.go)."""

KSERVE_CONTAINER = "kserve-container"
"""The one container name KServe takes as a custom predictor (v0.20.0 ``constants.InferenceServiceContainerName``)."""
KSERVE_HTTP_PORT = 80
"""The port of the predictor Service KServe creates (v0.20.0 ``constants.CommonDefaultHttpPort``)."""
KSERVE_PREDICTOR_SUFFIX = "-predictor"
"""KServe names the predictor Deployment and Service ``<isvc>-predictor`` (v0.20.0 ``constants.PredictorServiceName``)."""
KSERVE_DEPLOYMENT_MODE = "serving.kserve.io/deploymentMode"
KSERVE_AUTOSCALER_CLASS = "serving.kserve.io/autoscalerClass"
KSERVE_VISIBILITY = "networking.kserve.io/visibility"
KSERVE_ISVC_LABEL = "serving.kserve.io/inferenceservice"
"""Pod label KServe sets to the InferenceService's name (v0.20.0 ``constants.InferenceServicePodLabelKey``)."""

VIRTUAL_KUBELET_ANNOTATION = "virtual-kubelet"
VIRTUAL_KUBELET_SELECTOR = {"type": "virtual-kubelet"}
VIRTUAL_KUBELET_TOLERATION = {"key": "virtual-kubelet.io/provider", "operator": "Exists"}
NODE_POOL_LABEL = "alibabacloud.com/nodepool-id"
ECI_USE_SPECS = "k8s.aliyun.com/eci-use-specs"
ECI_SPOT_STRATEGY = "k8s.aliyun.com/eci-spot-strategy"
ECI_SPOT_PRICE_LIMIT = "k8s.aliyun.com/eci-spot-price-limit"
ECI_SPOT_DURATION = "k8s.aliyun.com/eci-spot-duration"
ECI_SPOT_RELEASE_STRATEGY = "k8s.aliyun.com/eci-spot-release-strategy"
ECI_AUTO_IMAGE_CACHE = "k8s.aliyun.com/eci-auto-imc"
ECI_RAM_ROLE = "k8s.aliyun.com/eci-ram-role-name"
"""The RAM role of the pod's ECI instance: "the RAM role that ECI assumes to access other Alibaba Cloud services"
(ECI, "ECI Pod Annotation", instance annotations; "Attach a RAM role to an ECI pod")."""


SELDON_SVC_NAME_ANNOTATION = "seldon.io/svc-name"
"""A predictor annotation that replaces the predictor Service's name (seldon-core v1.17.1,
``seldondeployment_types.go`` ``GetPredictorKey`` lines 157-163). This program never writes predictor annotations and
the config has no key for them, so the Service always has the generated name; a test holds the rendered
SeldonDeployment to that."""


def _seldon_limit(name: str) -> str:
    """Seldon hashes a name longer than a DNS label: ``seldon-<md5 hex>``."""
    if len(name) > MAX_NAME:
        return "seldon-" + hashlib.md5(name.encode()).hexdigest()
    return name


def _deployment_limit(name: str, sdep: str, name_as_prefix: bool) -> str:
    """``GetDeploymentName`` past 63 characters (v1.17.1 lines 135-142): with the operator's
    ``DEPLOYMENT_NAME_AS_PREFIX=true`` (chart value ``manager.deploymentNameAsPrefix``) ``<sdep>-<md5>`` when that fits,
    else ``seldon-<md5>``."""
    if len(name) > MAX_NAME and name_as_prefix:
        prefixed = f"{sdep}-{hashlib.md5(name.encode()).hexdigest()}"
        if len(prefixed) <= MAX_NAME:
            return prefixed
    return _seldon_limit(name)


@dataclass(frozen=True)
class SeldonNames:
    """What the Seldon operator will create for one predictor's first componentSpec."""

    deployment: str
    service: str
    http_port: int = SELDON_HTTP_PORT
    grpc_port: int = SELDON_GRPC_PORT


def seldon_names(
    sdep: str, predictor: str, containers: Sequence[str], component_index: int = 0, name_as_prefix: bool = False
) -> SeldonNames:
    """Deployment ``<sdep>-<predictor>-<index>-<containers joined by ->`` and Service ``<sdep>-<predictor>``;
    ``name_as_prefix``: the operator runs with ``DEPLOYMENT_NAME_AS_PREFIX=true``."""
    deployment = "-".join([sdep, predictor, str(component_index), *containers])
    return SeldonNames(
        deployment=_deployment_limit(deployment, sdep, name_as_prefix), service=_seldon_limit(f"{sdep}-{predictor}")
    )


def pod_images(proxy_image: str, serving_image: str, executor_image: str) -> tuple[str, ...]:
    """Every image a predictor pod runs: the two containers this program writes (the images the ModelServer is given)
    and the executor the operator adds to the pod (``seldon-container-engine``; stackconfig.addons.executor_image)."""
    return (proxy_image, serving_image, executor_image)


def sls_route(namespace: str, service: str, port: int) -> str:
    """The ``sls.ingress.route`` label ACK's metrics adapter gives an Ingress backend."""
    return f"{namespace}-{service}-{port}"


def ack_test_domain(name: str, cluster_id: str, region: str) -> str:
    """ACK's test domain for an Ingress: ``<name>.<cluster id>.<region>.alicontainer.com``."""
    return f"{name}.{cluster_id}.{region}.alicontainer.com"


CANARY_SUFFIX = "-canary"


def canary_sdep(sdep: str) -> str:
    """The canary's SeldonDeployment: ``<sdep>-canary`` (its Deployment, Service, Ingress, HPA follow from it)."""
    return f"{sdep}{CANARY_SUFFIX}"


def model_key_prefix(prefix: str, model: str, version: int) -> str:
    """Object prefix of one model version in the bucket: ``<prefix>/<model>/<version>``."""
    return f"{prefix}/{model}/{version}"


@dataclass(frozen=True)
class ModelNames:
    """Every Kubernetes name one model's objects carry."""

    sdep: str
    """The server object this program creates: the SeldonDeployment, or the KServe InferenceService."""
    predictor_deployment: str
    """The Deployment the operator (Seldon's or KServe's) creates for the predictor (the ElasticWorkload's source, or
    the HPA's target)."""
    predictor_service: str
    """The predictor Service the operator creates (the Ingress backend); also the pods' predictor label value."""
    ingress: str
    claim: str
    volume: str
    """The PersistentVolume (cluster-scoped, so the namespace is part of it); also its ``volumeHandle``."""
    credentials: str
    budget: str
    elastic_workload: str
    resource_policy: str
    hpa: str
    cron_hpa: str
    image_cache: str
    """The ImageCache (cluster-scoped)."""
    network_policy: str
    """The NetworkPolicy over the predictor's pods (restricted stacks)."""


def model_names(namespace: str, sdep: str, predictor: str, name_as_prefix: bool = False) -> ModelNames:
    """The names of one model's objects, from its namespace, SeldonDeployment and predictor, and whether the operator
    runs with ``DEPLOYMENT_NAME_AS_PREFIX=true``."""
    seldon = seldon_names(sdep, predictor, CONTAINERS, name_as_prefix=name_as_prefix)
    return _names(namespace, sdep, seldon.deployment, seldon.service)


def kserve_predictor(isvc: str) -> str:
    """The Deployment and Service KServe creates for an InferenceService's predictor: ``<isvc>-predictor``."""
    return isvc + KSERVE_PREDICTOR_SUFFIX


def kserve_model_names(namespace: str, isvc: str) -> ModelNames:
    """The names of one model's objects when KServe serves it, from its namespace and InferenceService."""
    predictor = kserve_predictor(isvc)
    return _names(namespace, isvc, predictor, predictor)


def _names(namespace: str, sdep: str, deployment: str, service: str) -> ModelNames:
    return ModelNames(
        sdep=sdep,
        predictor_deployment=deployment,
        predictor_service=service,
        ingress=sdep,
        claim=f"{sdep}-model",
        volume=f"{namespace}-{sdep}-model",
        credentials=f"{sdep}-model-oss",
        budget=f"{sdep}-pdb",
        elastic_workload=f"{sdep}-ew",
        resource_policy=f"{sdep}-rp",
        hpa=f"{sdep}-hpa",
        cron_hpa=f"{sdep}-cronhpa",
        image_cache=f"{namespace}-{sdep}",
        network_policy=f"{sdep}-ingress-only",
    )
