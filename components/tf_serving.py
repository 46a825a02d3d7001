"""The TF Serving container, as plain functions any server component (Seldon today, KServe later) can reuse.

Nothing here registers a resource or knows about Seldon: each function returns a piece of a Kubernetes pod spec
from plain values, so a server component only decides where the container goes.

Probes: the startup and readiness probes ask TF Serving's REST metadata URL for the model version; it answers 200
only while that version is loaded and serving (tensorflow/serving 2.3.0,
``servables/tensorflow/get_model_metadata_impl.cc`` needs a servable handle, which ``core/basic_manager.cc`` gives
only for a ready servable), 404 while it loads; the status URL would answer 200 even while LOADING.
"""

from __future__ import annotations

from typing import Any, TypedDict

from components.naming import SERVING_CONTAINER, TFSERVING_GRPC_PORT, TFSERVING_REST_PORT

MODEL_MOUNT = "/mnt"
MODEL_VOLUME = "model-storage"
SERVING_USER = 1000
PROBE_PERIOD_SECONDS = 10
PROBE_TIMEOUT_SECONDS = 5


class ServingContainerSettings(TypedDict):
    """What the stack's config decides about the TF Serving container."""

    image: str
    """Image of TF Serving (a GPU build)."""
    gpu: int
    """GPUs per serving pod (requests equal limits)."""
    cpu: str
    """CPU of the container (requests equal limits)."""
    memory: str
    """Memory of the container (requests equal limits)."""
    pre_stop_seconds: int
    """Delay before the container is signalled, so the Service stops routing to the pod first."""
    model_load_timeout_seconds: int
    """How long the startup probe waits for the model version (a cold ECI start reads the model from OSS)."""


def security_context() -> dict[str, Any]:
    """A container that runs as :data:`SERVING_USER`, never root, with no capabilities."""
    return {
        "runAsUser": SERVING_USER,
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
    }


def lifecycle(seconds: int) -> dict[str, Any]:
    """A preStop sleep of ``seconds`` (nothing when 0)."""
    return {"lifecycle": {"preStop": {"exec": {"command": ["sleep", str(seconds)]}}}} if seconds else {}


def serving_probes(model_name: str, version: int, load_timeout_seconds: int) -> dict[str, Any]:
    """Startup and readiness probes that pass only while TF Serving serves ``version`` of the model."""
    ready = {
        "httpGet": {"path": f"/v1/models/{model_name}/versions/{version}/metadata", "port": TFSERVING_REST_PORT},
        "periodSeconds": PROBE_PERIOD_SECONDS,
        "timeoutSeconds": PROBE_TIMEOUT_SECONDS,
    }
    return {
        "startupProbe": {**ready, "failureThreshold": -(-load_timeout_seconds // PROBE_PERIOD_SECONDS)},
        "readinessProbe": {**ready, "failureThreshold": 3},
    }


def serving_invocation(model_name: str, model_base_path: str) -> dict[str, Any]:
    """The container's ``command``/``args``."""
    return {
        "args": [
            "/usr/bin/tensorflow_model_server",
            f"--port={TFSERVING_GRPC_PORT}",
            f"--model_name={model_name}",
            f"--model_base_path={MODEL_MOUNT}/{model_base_path}",
            f"--rest_api_port={TFSERVING_REST_PORT}",
        ]
    }


def serving_ports() -> list[dict[str, Any]]:
    """TF Serving's gRPC and REST ports."""
    return [
        {"containerPort": TFSERVING_GRPC_PORT, "protocol": "TCP"},
        {"containerPort": TFSERVING_REST_PORT, "protocol": "TCP"},
    ]


def serving_resources(settings: ServingContainerSettings) -> dict[str, Any]:
    """Requests equal limits, GPUs included."""
    amounts = {"cpu": settings["cpu"], "memory": settings["memory"], "nvidia.com/gpu": str(settings["gpu"])}
    return {"requests": dict(amounts), "limits": dict(amounts)}


def model_volume_mount() -> dict[str, Any]:
    """The model volume, read-only at :data:`MODEL_MOUNT`."""
    return {"name": MODEL_VOLUME, "mountPath": MODEL_MOUNT, "readOnly": True}


def model_volume(claim_name: str) -> dict[str, Any]:
    """The pod volume of the model's PVC, read-only."""
    return {"name": MODEL_VOLUME, "persistentVolumeClaim": {"claimName": claim_name, "readOnly": True}}


def serving_container(settings: ServingContainerSettings, model_name: str, version: int, model_base_path: str) -> dict[str, Any]:
    """The whole TF Serving container serving ``version`` of ``model_name`` from ``model_base_path`` in the volume."""
    return {
        "name": SERVING_CONTAINER,
        "image": settings["image"],
        **serving_invocation(model_name, model_base_path),
        "ports": serving_ports(),
        "volumeMounts": [model_volume_mount()],
        "resources": serving_resources(settings),
        "securityContext": security_context(),
        **serving_probes(model_name, version, settings["model_load_timeout_seconds"]),
        **lifecycle(settings["pre_stop_seconds"]),
    }
