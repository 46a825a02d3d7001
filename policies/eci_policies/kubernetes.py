"""Reading Kubernetes objects out of resource types and plain properties."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .values import Unknown, join, known, mapping, text

COMPOSITE_GROUPS = ("helm.sh/", "yaml", "kustomize")
"""Type tokens of pulumi-kubernetes components and Helm releases: not Kubernetes objects themselves."""

POD_CONTAINER_KEYS = ("initContainers", "containers")


def api_kind(resource_type: str) -> tuple[str, str] | None:
    """``kubernetes:apps/v1:Deployment`` -> ``("apps/v1", "Deployment")``; core is ``v1``; None for other types."""
    parts = resource_type.split(":")
    if len(parts) != 3 or parts[0] != "kubernetes" or parts[1].startswith(COMPOSITE_GROUPS):
        return None
    group_version, kind = parts[1], parts[2]
    return group_version.removeprefix("core/"), kind


def kind_of(resource_type: str) -> str | None:
    """The Kubernetes kind of a resource type (``...Patch`` kinds count as their object), or None."""
    found = api_kind(resource_type)
    return None if found is None else found[1].removesuffix("Patch")


def is_kind(resource_type: str, kind: str) -> bool:
    return kind_of(resource_type) == kind


def is_object(resource_type: str) -> bool:
    """Any Kubernetes object (built-in or custom), not a Helm release or a YAML/Kustomize component."""
    return api_kind(resource_type) is not None


def namespace_of(props: dict[str, Any]) -> str:
    """``metadata.namespace``, ``default`` when unset (as the API server does for namespaced objects)."""
    value = text(mapping(props.get("metadata")).get("namespace"))
    return value or "default"


def name_of(props: dict[str, Any]) -> str | None:
    return text(mapping(props.get("metadata")).get("name"))


@dataclass(frozen=True)
class PodSpec:
    """A pod spec found inside an object, with where it is."""

    path: str
    spec: dict[str, Any]


@dataclass(frozen=True)
class Container:
    """One container of a pod spec."""

    path: str
    name: str
    body: dict[str, Any]
    pod: PodSpec

    @property
    def label(self) -> str:
        return f"container {self.name!r} ({self.path})"


POD_PATH_KEYS = frozenset({"spec", "template", "jobTemplate", "predictors", "componentSpecs", "predictor", *POD_CONTAINER_KEYS})
"""Keys on the way from an object to its pod specs: an unknown value there may hide containers."""

ANNOTATION_KEYS = ("annotations", "podAnnotations")
"""Annotation maps: an object's or pod template's ``annotations``, an ACK ResourcePolicy unit's ``podAnnotations``."""

ANNOTATION_PATH_KEYS = frozenset(
    {"metadata", "spec", "template", "jobTemplate", "predictors", "componentSpecs", "elasticUnit", "units"}
)
"""Keys on the way from an object to its annotation maps: an unknown value there may hide annotations."""


def pod_specs(value: Any, path: str = "", via: str = "") -> Iterator[PodSpec | Unknown]:
    """Every pod spec in an object: any mapping with ``containers`` (Pod ``spec``, workload ``spec.template.spec``,
    CronJob ``spec.jobTemplate.spec.template.spec``, SeldonDeployment ``spec.predictors[].componentSpecs[].spec``,
    InferenceService ``spec.predictor``),
    and an :class:`Unknown` wherever an unknown value sits on such a path (it may hide containers)."""
    if isinstance(value, Unknown):
        if via in POD_PATH_KEYS:
            yield value
    elif isinstance(value, dict):
        if "containers" in value:
            yield PodSpec(path, value)
        for key, item in value.items():
            if key not in POD_CONTAINER_KEYS:
                yield from pod_specs(item, join(path, key), key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from pod_specs(item, join(path, index), via)


def containers(pod: PodSpec) -> Iterator[Container]:
    """The pod's init containers and containers; :class:`NotKnown` if a list or a container is unknown."""
    for key in POD_CONTAINER_KEYS:
        listed = known(pod.spec.get(key))
        if not isinstance(listed, list):
            continue
        for index, item in enumerate(listed):
            where = join(join(pod.path, key), index)
            body = mapping(item)
            name = body.get("name")
            label = name if isinstance(name, str) else "?" if not isinstance(name, Unknown) else "(unknown name)"
            yield Container(where, label, body, pod)


@dataclass(frozen=True)
class Annotations:
    """One ``annotations`` map of an object: an ElasticWorkload unit's, a pod template's, the object's own."""

    path: str
    values: Any
    """The map itself, or an ``Unknown`` (read it with ``mapping``)."""
    owner: dict[str, Any]
    """The mapping that holds ``annotations`` (an elastic unit, a ``metadata``)."""


def annotation_maps(value: Any, path: str = "", via: str = "") -> Iterator[Annotations]:
    """Every ``annotations`` mapping anywhere in an object; where an unknown value sits on the way to one (an
    unknown ``metadata``, ``spec`` or unit list), an entry whose ``values`` is that :class:`Unknown`."""
    if isinstance(value, Unknown):
        if via in ANNOTATION_PATH_KEYS:
            yield Annotations(path, value, {})
    elif isinstance(value, dict):
        for key, item in value.items():
            where = join(path, key)
            if key in ANNOTATION_KEYS and isinstance(item, (dict, Unknown)):
                yield Annotations(where, item, value)
            else:
                yield from annotation_maps(item, where, key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from annotation_maps(item, join(path, index), via)
