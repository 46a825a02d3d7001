"""Names that other objects must agree on, derived in one place.

The Seldon Core v1 operator names what it creates from the SeldonDeployment (operator source,
``GetDeploymentName`` / ``GetPredictorKey``); the ElasticWorkload, the Ingress and the HPA's SLS route
label all refer to those names, so they are computed here and passed on, never retyped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

SELDON_HTTP_PORT = 8000
SELDON_GRPC_PORT = 5001
PREDICTION_PATH = "/api/v1.0/predictions"
TFSERVING_REST_PORT = 8501
TFSERVING_GRPC_PORT = 7001
MAX_NAME = 63

PREDICTOR_LABEL = "eci-inference.io/predictor"
"""Pod label (value: the predictor Service name) that the PDB and the ResourcePolicy select on."""

PROXY_CONTAINER = "tfserving-proxy"
SERVING_CONTAINER = "tfserving-gpu"


def _seldon_limit(name: str) -> str:
    """Seldon hashes a name longer than a DNS label: ``seldon-<md5 hex>``."""
    if len(name) > MAX_NAME:
        return "seldon-" + hashlib.md5(name.encode()).hexdigest()
    return name


@dataclass(frozen=True)
class SeldonNames:
    """What the Seldon operator will create for one predictor's first componentSpec."""

    deployment: str
    service: str
    http_port: int = SELDON_HTTP_PORT
    grpc_port: int = SELDON_GRPC_PORT


def seldon_names(sdep: str, predictor: str, containers: Sequence[str], component_index: int = 0) -> SeldonNames:
    """Deployment ``<sdep>-<predictor>-<index>-<containers joined by ->`` and Service ``<sdep>-<predictor>``."""
    deployment = "-".join([sdep, predictor, str(component_index), *containers])
    return SeldonNames(deployment=_seldon_limit(deployment), service=_seldon_limit(f"{sdep}-{predictor}"))


def sls_route(namespace: str, service: str, port: int) -> str:
    """The ``sls.ingress.route`` label ACK's metrics adapter gives an Ingress backend."""
    return f"{namespace}-{service}-{port}"


def ack_test_domain(name: str, cluster_id: str, region: str) -> str:
    """ACK's test domain for an Ingress: ``<name>.<cluster id>.<region>.alicontainer.com``."""
    return f"{name}.{cluster_id}.{region}.alicontainer.com"


def model_key_prefix(prefix: str, model: str, version: int) -> str:
    """Object prefix of one model version in the bucket: ``<prefix>/<model>/<version>``."""
    return f"{prefix}/{model}/{version}"
