"""The OSS model volume authenticates with a mechanism documented where its pods run.

On an ECS node the OSS CSI node plugin mounts the volume: ACK ("Mount statically provisioned volumes with ossfs 1.0")
documents RRSA (``authType: rrsa``) and an AccessKey in a Secret (``nodePublishSecretRef``). On an ECI virtual node ECI
mounts it: ECI ("Mount an OSS bucket") documents a RAM role of the instance (``ramRole``) and an AccessKey, not RRSA.
A copy of the program's ``stackconfig/volume_auth.py`` table (the pack imports nothing from the program).

Where the pods run: an ElasticWorkload unit whose nodeSelector is the virtual node, or a ResourcePolicy unit with
``resource: eci``, is ECI; any other unit, and an ElasticWorkload's source Deployment that may hold pods
(``sourceTarget.max`` above 0: the SeldonDeployment's pod template has no virtual-node selector), is ECS.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .elastic import is_elastic_workload, units
from .framework import MANDATORY, PackStackPolicy, Res
from .kserve import is_inference_service, predictor_of
from .kubernetes import is_kind, name_of, namespace_of
from .values import NotKnown, could_not_check, dig, entries, mapping, text, whole
from .wiring import predictors, seldon_name_as_prefix

OSS_DRIVER = "ossplugin.csi.alibabacloud.com"
VIRTUAL_NODE_SELECTOR = ("type", "virtual-kubelet")
DOCUMENTED = {"ecs": ("rrsa", "accessKey"), "eci": ("ramRole", "accessKey")}

Finding = tuple[str, str | None]


def volume_auth(csi: Mapping[str, Any]) -> str | None:
    """``rrsa``, ``ramRole`` or ``accessKey`` as the PV's CSI source asks for it; None when it names none of them."""
    attributes = {str(k).lower(): v for k, v in mapping(csi.get("volumeAttributes")).items()}
    auth_type = text(attributes.get("authtype"))
    if auth_type is not None and auth_type.lower() == "rrsa":
        return "rrsa"
    if auth_type is None and text(attributes.get("ramrole")):
        return "ramRole"
    if csi.get("nodePublishSecretRef") or (text(attributes.get("akid")) and text(attributes.get("aksecret"))):
        return "accessKey"
    return None


@dataclass
class Pods:
    """One componentSpec's pods: their Deployment, labels and the PVs they mount."""

    namespace: str
    deployment: str
    labels: dict[str, str]
    volumes: list[str] = field(default_factory=list)
    """Names of the PersistentVolumes behind the pod's claims."""


def _placements(res: Res) -> Iterator[tuple[str, str]]:
    """``(placement, what)`` for every place an ElasticWorkload or ResourcePolicy puts pods."""
    if is_elastic_workload(res.type):
        source_max = whole(dig(res.props, "spec", "sourceTarget", "max"))
        if source_max:
            yield "ecs", f"spec.sourceTarget (max {source_max}: pods on the cluster's nodes)"
        for unit in units(res):
            selector = mapping(unit.body.get("nodeSelector"))
            eci = text(selector.get(VIRTUAL_NODE_SELECTOR[0])) == VIRTUAL_NODE_SELECTOR[1]
            yield ("eci" if eci else "ecs"), unit.label
    else:
        for unit in units(res):
            yield ("eci" if text(unit.body.get("resource")) == "eci" else "ecs"), unit.label


def _targets(res: Res, pods: list[Pods]) -> list[Pods]:
    namespace = namespace_of(res.props)
    if is_elastic_workload(res.type):
        source = text(dig(res.props, "spec", "sourceTarget", "name"))
        return [p for p in pods if p.namespace == namespace and p.deployment == source]
    selector = {str(k): text(v) for k, v in mapping(dig(res.props, "spec", "selector", "matchLabels")).items()}
    if not selector:
        selector = {str(k): text(v) for k, v in mapping(dig(res.props, "spec", "selector")).items()}
    return [p for p in pods if p.namespace == namespace and selector and selector.items() <= p.labels.items()]


def _collect(resources: list[Res]) -> tuple[dict[str, str | None], list[Pods]]:
    auths: dict[str, str | None] = {}
    claims: dict[tuple[str, str], str] = {}
    pods: list[Pods] = []
    for res in resources:
        if is_kind(res.type, "PersistentVolume") and (name := name_of(res.props)):
            csi = mapping(dig(res.props, "spec", "csi"))
            if text(csi.get("driver")) == OSS_DRIVER:
                auths[name] = volume_auth(csi)
        elif is_kind(res.type, "PersistentVolumeClaim") and (name := name_of(res.props)):
            volume = text(dig(res.props, "spec", "volumeName"))
            if volume:
                claims[(namespace_of(res.props), name)] = volume
    prefix = seldon_name_as_prefix(resources)
    for res in resources:
        served: list[tuple[str, str, Mapping[str, Any], Any]] = []
        if is_kind(res.type, "SeldonDeployment"):
            specs = [
                mapping(c)
                for p in entries(dig(res.props, "spec", "predictors"))
                for c in entries(mapping(p).get("componentSpecs"))
            ]
            served = [
                (p.namespace, p.deployment, mapping(dig(spec, "metadata", "labels")), dig(spec, "spec", "volumes"))
                for p, spec in zip(predictors(res, prefix), specs, strict=False)
            ]
        elif is_inference_service(res.type) and (found_predictor := predictor_of(res)):
            # KServe merges spec.predictor.labels into the pods' labels; the volumes are the predictor's own (kserve.py).
            predictor = mapping(dig(res.props, "spec", "predictor"))
            served = [(*found_predictor, mapping(predictor.get("labels")), predictor.get("volumes"))]
        for namespace, deployment, raw_labels, volumes in served:
            found = Pods(namespace, deployment, {str(k): text(v) or "" for k, v in raw_labels.items()})
            for volume in entries(volumes):
                claim = text(dig(volume, "persistentVolumeClaim", "claimName"))
                if claim and (namespace, claim) in claims:
                    found.volumes.append(claims[(namespace, claim)])
            pods.append(found)
    return auths, pods


def _check(resources: list[Res], _config: Mapping[str, Any]) -> Iterator[Finding]:
    try:
        auths, pods = _collect(resources)
    except NotKnown as unknown:
        yield could_not_check("the OSS volumes and the pods that mount them", unknown.path), None
        return
    for res in resources:
        if not (is_elastic_workload(res.type) or is_kind(res.type, "ResourcePolicy")):
            continue
        try:
            targets = _targets(res, pods)
            places = list(_placements(res))
        except NotKnown as unknown:
            yield could_not_check(f"where {res.label} places pods", unknown.path), res.urn
            continue
        for target in targets:
            for volume in target.volumes:
                auth = auths.get(volume)
                if volume not in auths:
                    continue
                for placement, what in places:
                    allowed = DOCUMENTED[placement]
                    if auth not in allowed:
                        shown = auth or "no documented mechanism"
                        yield (
                            f"{res.label}: {what} runs pods of Deployment {target.deployment!r} on {placement}, which "
                            f"mount PersistentVolume {volume!r} with {shown}; documented on {placement}: "
                            f"{', '.join(allowed)}.",
                            res.urn,
                        )


oss_volume_auth_where_mounted = PackStackPolicy(
    name="oss-volume-auth-where-mounted",
    description=(
        "An OSS CSI PersistentVolume authenticates with a mechanism documented where its pods run: on ECS nodes (the "
        "CSI node plugin mounts) RRSA or an AccessKey Secret; on ECI (ECI mounts) the instance's RAM role (ramRole) or "
        "an AccessKey. Fix: set volumeAuth to one both placements of the model document (stackconfig/volume_auth.py)."
    ),
    level=MANDATORY,
    check=_check,
    remediation="Use volumeAuth ramRole for ECI-only stacks, rrsa for node-pool-only stacks, accessKey for mixed ones.",
)
