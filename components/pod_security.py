"""Restricted predictor pods (prod-like stacks), as plain functions any server component applies to the pod it builds.

What a restricted pod gets, and why (docs/security.md):

- Pod ``securityContext``: ``seccompProfile: RuntimeDefault``, ``runAsUser``/``runAsGroup`` and ``runAsNonRoot``.
  Pod-level fields also cover a container the server's operator adds: the Seldon operator 1.17.1 appends the executor
  ``seldon-container-engine`` and writes its container securityContext itself (``runAsUser`` from
  ``EXECUTOR_CONTAINER_USER`` and ``allowPrivilegeEscalation: false`` only,
  ``operator/controllers/seldondeployment_engine.go`` line 342; ``SvcOrchSpec`` has no securityContext), and it keeps
  the componentSpec's pod securityContext, adding its own (``runAsUser`` from ``DEFAULT_USER_ID``,
  ``controllers/security.go``) only when ours is absent (``seldondeployment_controller.go`` lines 1036-1039).
- ``automountServiceAccountToken: false``: no container of the pod calls the Kubernetes API (TF Serving and the
  tfserving-proxy do not; the Seldon executor 1.17.1 has no in-cluster client: nothing under ``executor/`` calls
  ``InClusterConfig``).
- Every container we define: ``readOnlyRootFilesystem: true``, and an ``emptyDir`` of its own at ``/tmp``. The proxy
  needs one: seldon-core v1.3.0 runs its REST server under gunicorn (``python/seldon_core/microservice.py``), which
  creates each worker's heartbeat file with ``tempfile.mkstemp(prefix="wgunicorn-", dir=cfg.worker_tmp_dir)``
  (gunicorn 20.0.4 ``gunicorn/workers/workertmp.py`` line 23) with no ``worker_tmp_dir`` set, so in Python's default
  temporary directory ``/tmp``. TF Serving writes its model config to its own ``emptyDir``
  (``components/tf_serving.py``); the sources read name nothing else it writes, but TensorFlow and CUDA fall back to
  ``/tmp`` for scratch files, so it gets one too (not verified on a running pod).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

SCRATCH_MOUNT = "/tmp"
SCRATCH_SIZE_LIMIT = "1Gi"
RUNTIME_DEFAULT_SECCOMP = {"type": "RuntimeDefault"}


def scratch_volume(container: str) -> str:
    """The emptyDir a restricted container writes its temporary files to."""
    return f"{container}-tmp"


def restricted_container(container: dict[str, Any], restricted: bool) -> dict[str, Any]:
    """``container`` with a read-only root filesystem and its own writable /tmp (unchanged when not restricted)."""
    if not restricted:
        return container
    mounts = [*container.get("volumeMounts", []), {"name": scratch_volume(container["name"]), "mountPath": SCRATCH_MOUNT}]
    context = {**container.get("securityContext", {}), "readOnlyRootFilesystem": True}
    return {**container, "securityContext": context, "volumeMounts": mounts}


def scratch_volumes(containers: Sequence[str], restricted: bool) -> list[dict[str, Any]]:
    """One emptyDir per container we define, so no container writes into another's /tmp."""
    if not restricted:
        return []
    return [{"name": scratch_volume(name), "emptyDir": {"sizeLimit": SCRATCH_SIZE_LIMIT}} for name in containers]


def restricted_pod_fields(user: int, group: int, restricted: bool) -> dict[str, Any]:
    """Pod-level fields of a restricted pod; they reach a container the server's operator adds too (module doc)."""
    if not restricted:
        return {}
    return {
        "securityContext": {
            "runAsUser": user,
            "runAsGroup": group,
            "runAsNonRoot": True,
            "seccompProfile": RUNTIME_DEFAULT_SECCOMP,
        },
        "automountServiceAccountToken": False,
    }


def restrict_pod(pod: dict[str, Any], user: int, group: int, restricted: bool) -> dict[str, Any]:
    """A pod spec (``containers``, ``volumes``, ...) made restricted: every container, its scratch volumes and the
    pod-level fields (unchanged when not restricted)."""
    if not restricted:
        return pod
    containers = [restricted_container(c, restricted) for c in pod["containers"]]
    volumes = [*pod.get("volumes", []), *scratch_volumes([c["name"] for c in pod["containers"]], restricted)]
    return {**pod, "containers": containers, "volumes": volumes, **restricted_pod_fields(user, group, restricted)}
