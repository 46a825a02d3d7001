"""The TF Serving container, as plain functions any server component (Seldon today, KServe later) can reuse.

Nothing here registers a resource or knows about Seldon: each function returns a piece of a Kubernetes pod spec
from plain values, so a server component only decides where the container goes.

Probes: the startup and readiness probes ask TF Serving's REST metadata URL for the model version; it answers 200
only while that version is loaded and serving (tensorflow/serving 2.3.0,
``servables/tensorflow/get_model_metadata_impl.cc`` needs a servable handle, which ``core/basic_manager.cc`` gives
only for a ready servable), 404 while it loads; the status URL would answer 200 even while LOADING.

Invocation (tensorflow/serving tag 2.3.0): the image's ENTRYPOINT is ``/usr/bin/tf_serving_entrypoint.sh``, a
``#!/bin/bash`` script written by ``tensorflow_serving/tools/docker/Dockerfile.gpu`` (lines 74-80) that runs
``tensorflow_model_server --port=8500 --rest_api_port=8501 --model_name=${MODEL_NAME}
--model_base_path=${MODEL_BASE_PATH}/${MODEL_NAME} "$@"``: our flags would only win by coming later. So the
container overrides ``command`` (the entrypoint never runs) and starts the binary the Dockerfile copies to
``/usr/bin/tensorflow_model_server`` (line 56) itself; the image's ``MODEL_NAME``/``MODEL_BASE_PATH`` env vars are
then unused.

Version pinning: with ``--model_base_path`` TF Serving builds a config with the default version policy
(``model_servers/server.cc`` ``BuildSingleModelConfig``, lines 84-97), which is ``latest`` with one version
(``sources/storage_path/file_system_storage_path_source.proto`` lines 9-16), re-read every
``--file_system_poll_wait_seconds`` (default 1, ``model_servers/main.cc``): every running pod would load a new
version directory the moment it appears in the bucket, even half uploaded, and unload the one its probe asks for.
Instead each pod is given ``--model_config_file`` (``main.cc`` lines 87-93: "If used, --model_name,
--model_base_path are ignored"; parsed once as text by ``server.cc`` ``ParseProtoTextFile``, lines 60-74, 199-205;
``--model_config_file_poll_wait_seconds`` unset means it is read exactly once) whose ``model_version_policy`` is
``specific { versions: N }`` (``file_system_storage_path_source.proto`` lines 22-30;
``file_system_storage_path_source.cc`` ``AspireSpecificVersions``, lines 178-200 and 256-258, aspires exactly
those versions whatever else appears). The config text travels in the container's own env
(:data:`MODEL_CONFIG_ENV`), so each pod serves exactly the version in its own spec and needs no other object;
``bash`` (the shell the image's own entrypoint uses) writes it to an ``emptyDir`` before ``exec``-ing the server,
because ``ParseProtoTextFile`` maps a regular file (``NewReadOnlyMemoryRegionFromFile``), so a pipe will not do.

Model access: the container runs as :data:`SERVING_USER`, not root, and reads the model through ossfs. OSS's
"Configure mount point permissions" page: ``allow_other`` opens only the mount point, not the files in it;
``umask`` sets the permission mask of the files and directories (``-oumask=007`` gives 770). ACK's OSS FAQ
(as reported in issue 16; the page was not found in the stored sources, so not verified here) says ossfs 1.91
and later defaults files to 0640 and directories to 0750, owned by root, and ACK's RRSA example passes
``-o umask=022``. :func:`model_mount_options` and :func:`security_context` are derived from the same constants,
and ``tests/test_model_access.py`` computes the resulting access of the container's user from the rendered PV.
"""

from __future__ import annotations

import json
from typing import Any, TypedDict

from components.naming import SERVING_CONTAINER, TFSERVING_GRPC_PORT, TFSERVING_REST_PORT

MODEL_MOUNT = "/mnt"
MODEL_VOLUME = "model-storage"
SERVING_USER = 1000
"""uid of both containers (``runAsUser``)."""
SERVING_GROUP = 1000
"""gid of both containers (``runAsGroup``), so the primary group never defaults to root's."""
MODEL_UMASK = 0o022
"""ossfs ``umask`` of the model mount: files and directories 0755, so any user reads files and enters directories."""
BASE_MOUNT_OPTIONS = ("max_stat_cache_size=0", "allow_other")
SERVING_BINARY = "/usr/bin/tensorflow_model_server"
SHELL = "/bin/bash"
CONFIG_VOLUME = "tfserving-config"
CONFIG_DIR = "/run/tfserving"
MODEL_CONFIG_FILE = f"{CONFIG_DIR}/models.config"
MODEL_CONFIG_ENV = "TF_MODEL_SERVER_CONFIG"
TENSORFLOW_PLATFORM = "tensorflow"
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


def model_mount_options() -> str:
    """ossfs options of the model volume (the PV's ``otherOpts``): read by :data:`SERVING_USER` (module doc)."""
    return " ".join(f"-o {option}" for option in (*BASE_MOUNT_OPTIONS, f"umask={MODEL_UMASK:03o}"))


def security_context() -> dict[str, Any]:
    """A container that runs as :data:`SERVING_USER`/:data:`SERVING_GROUP`, never root, with no capabilities."""
    return {
        "runAsUser": SERVING_USER,
        "runAsGroup": SERVING_GROUP,
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


def _text_string(value: str) -> str:
    """A protobuf text-format string literal: quotes, backslashes and control characters escaped, UTF-8 kept."""
    return json.dumps(value, ensure_ascii=False)


def model_config(model_name: str, base_path: str, version: int) -> str:
    """A ``ModelServerConfig`` in text format serving exactly ``version`` of one model (module doc)."""
    return (
        "model_config_list {\n"
        "  config {\n"
        f"    name: {_text_string(model_name)}\n"
        f"    base_path: {_text_string(base_path)}\n"
        f"    model_platform: {_text_string(TENSORFLOW_PLATFORM)}\n"
        f"    model_version_policy {{ specific {{ versions: {version} }} }}\n"
        "  }\n"
        "}\n"
    )


def serving_invocation(model_name: str, model_base_path: str, version: int) -> dict[str, Any]:
    """``command``, ``args`` and ``env``: the image's entrypoint is replaced, and the server reads a model config
    pinned to ``version`` that the pod's own env carries (module doc)."""
    script = f'printf "%s" "${MODEL_CONFIG_ENV}" > {MODEL_CONFIG_FILE} && exec {SERVING_BINARY} "$@"'
    return {
        "command": [SHELL, "-c", script, SERVING_BINARY],
        "args": [
            f"--port={TFSERVING_GRPC_PORT}",
            f"--rest_api_port={TFSERVING_REST_PORT}",
            f"--model_config_file={MODEL_CONFIG_FILE}",
        ],
        "env": [{"name": MODEL_CONFIG_ENV, "value": model_config(model_name, f"{MODEL_MOUNT}/{model_base_path}", version)}],
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


def volume_mounts() -> list[dict[str, Any]]:
    """The model volume, read-only at :data:`MODEL_MOUNT`, and the directory the model config is written to."""
    return [
        {"name": MODEL_VOLUME, "mountPath": MODEL_MOUNT, "readOnly": True},
        {"name": CONFIG_VOLUME, "mountPath": CONFIG_DIR},
    ]


def volumes(claim_name: str) -> list[dict[str, Any]]:
    """The pod volumes :func:`volume_mounts` needs: the model's PVC (read-only) and a small ``emptyDir``."""
    return [
        {"name": MODEL_VOLUME, "persistentVolumeClaim": {"claimName": claim_name, "readOnly": True}},
        {"name": CONFIG_VOLUME, "emptyDir": {"sizeLimit": "1Mi"}},
    ]


def serving_container(settings: ServingContainerSettings, model_name: str, version: int, model_base_path: str) -> dict[str, Any]:
    """The whole TF Serving container serving ``version`` of ``model_name`` from ``model_base_path`` in the volume."""
    return {
        "name": SERVING_CONTAINER,
        "image": settings["image"],
        **serving_invocation(model_name, model_base_path, version),
        "ports": serving_ports(),
        "volumeMounts": volume_mounts(),
        "resources": serving_resources(settings),
        "securityContext": security_context(),
        **serving_probes(model_name, version, settings["model_load_timeout_seconds"]),
        **lifecycle(settings["pre_stop_seconds"]),
    }
