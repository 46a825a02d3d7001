"""Pod security: no privileged containers, no host namespaces, no hostPath volumes (Kubernetes Pod Security
Standards, "baseline" profile: https://kubernetes.io/docs/concepts/security/pod-security-standards/)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from typing import Any

from .framework import MANDATORY, PackResourcePolicy, Res
from .kubernetes import Container, PodSpec, is_kind, is_object, pod_specs
from .values import Unknown, could_not_check, dig, entries, guarded, known, mapping, text
from .workloads import container_policy

BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
"""Capabilities the Pod Security Standards' baseline profile lets a container add; anything else (SYS_ADMIN,
NET_ADMIN, ALL, ...) is as good as privileged."""

HOST_NAMESPACES = ("hostNetwork", "hostPID", "hostIPC")


def _privileged(container: Container, _config: Mapping[str, Any], res: Res) -> Iterator[str]:
    context = mapping(dig(container.body, "securityContext"))
    if known(context.get("privileged")) is True:
        yield (
            f"{res.label}: {container.label} is privileged (securityContext.privileged: true): it has every "
            "capability and the host's devices, so a compromise of the model server is a compromise of the node."
        )
    if known(context.get("allowPrivilegeEscalation")) is True:
        yield (
            f"{res.label}: {container.label} sets allowPrivilegeEscalation: true, so a setuid binary in the image can "
            "gain more privileges than the container started with."
        )
    added = entries(dig(context, "capabilities", "add"))
    extra = sorted({str(known(cap)).strip().upper().removeprefix("CAP_") for cap in added} - BASELINE_CAPABILITIES)
    if extra:
        yield (
            f"{res.label}: {container.label} adds capabilities {', '.join(extra)} (securityContext.capabilities.add), "
            "beyond the Pod Security Standards' baseline set."
        )


no_privileged_containers = container_policy(
    name="no-privileged-containers",
    description=(
        "No container is privileged: securityContext.privileged is not true, allowPrivilegeEscalation is not set to "
        "true, and capabilities.add holds nothing beyond the Pod Security Standards' baseline set (no SYS_ADMIN, "
        "NET_ADMIN, ALL, ...). Fix: drop privileged and the extra capabilities; set allowPrivilegeEscalation: false."
    ),
    level=MANDATORY,
    check=_privileged,
    remediation="securityContext: {privileged: false, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}.",
)


PodCheck = Callable[[PodSpec, Res], Iterable[str]]


def each_pod(res: Res, check: PodCheck) -> Iterator[str]:
    """Run ``check`` on every pod spec of the object; an unknown pod spec or field is a "could not check"."""
    for found in pod_specs(res.props):
        if isinstance(found, Unknown):
            yield could_not_check(f"the pod spec of {res.label}", found.path)
            continue
        yield from guarded(f"the pod spec {found.path or '(top level)'} of {res.label}", partial(check, found, res))


def pod_label(pod: PodSpec) -> str:
    return f"pod spec {pod.path}" if pod.path else "the pod spec"


def _host_namespaces(pod: PodSpec, res: Res) -> Iterator[str]:
    shared = [key for key in HOST_NAMESPACES if known(pod.spec.get(key)) is True]
    if shared:
        yield (
            f"{res.label}: {pod_label(pod)} sets {', '.join(f'{key}: true' for key in shared)}, so its containers share "
            "the node's network, processes or IPC and can see or reach what other pods and the node run."
        )


no_host_namespaces = PackResourcePolicy(
    name="no-host-namespaces",
    description=(
        "No pod shares the node's namespaces: hostNetwork, hostPID and hostIPC are not true (in any pod spec: Pods, "
        "workload templates, CronJobs, SeldonDeployment componentSpecs). Fix: remove them; the model is reached "
        "through its Service and the Ingress."
    ),
    level=MANDATORY,
    applies=is_object,
    check=lambda res, _cfg: each_pod(res, _host_namespaces),
    remediation="Delete hostNetwork/hostPID/hostIPC from the pod spec (or set them to false).",
)


def _pod_host_paths(pod: PodSpec, res: Res) -> Iterator[str]:
    for index, volume in enumerate(entries(pod.spec.get("volumes"))):
        body = mapping(volume)
        host_path = known(body.get("hostPath"))
        if host_path is not None:
            path = text(mapping(host_path).get("path"))
            name = text(body.get("name"))
            yield (
                f"{res.label}: {pod_label(pod)} volumes[{index}] {name!r} mounts the node's {path or 'filesystem'!r} "
                "(hostPath): the pod can read or change the node's files."
            )


def _host_paths(res: Res, _config: Mapping[str, Any]) -> Iterator[str]:
    if is_kind(res.type, "PersistentVolume"):
        host_path = known(dig(res.props, "spec", "hostPath"))
        if host_path is not None:
            path = text(mapping(host_path).get("path"))
            yield f"{res.label}: spec.hostPath {path or ''!r} is a directory on a node, not shared storage."
    yield from each_pod(res, _pod_host_paths)


no_host_path_volumes = PackResourcePolicy(
    name="no-host-path-volumes",
    description=(
        "No hostPath volume: no pod spec volume and no PersistentVolume uses hostPath (the node's filesystem). "
        "Fix: mount the model from OSS (the program's PersistentVolume with the OSS CSI driver), an emptyDir for "
        "scratch space, or a ConfigMap/Secret volume."
    ),
    level=MANDATORY,
    applies=is_object,
    check=_host_paths,
    remediation="Replace hostPath with the OSS CSI volume, emptyDir, configMap or secret.",
)


def _load_balancer(res: Res, _config: Mapping[str, Any]) -> Iterator[str]:
    service_type = text(dig(res.props, "spec", "type"))
    if service_type == "LoadBalancer":
        yield (
            f"{res.label} is of type LoadBalancer: ACK creates a Server Load Balancer for it, which exposes the pods "
            "next to the Ingress, without its TLS, routing and the access logs the QPS autoscaling reads."
        )


no_load_balancer_services = PackResourcePolicy(
    name="no-load-balancer-services",
    description=(
        "No Service of type LoadBalancer: the stack exposes models only through the Ingress (TLS, one host per "
        "model, access logs behind the QPS metric). Fix: use a ClusterIP Service behind the Ingress; if a load "
        "balancer is really wanted, set this policy to advisory for that stack."
    ),
    level=MANDATORY,
    applies=lambda t: is_kind(t, "Service"),
    check=_load_balancer,
    remediation="Set spec.type: ClusterIP and route to the Service from the model's Ingress.",
)
