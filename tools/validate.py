"""Offline validation of Kubernetes objects: no API server, only schemas.

Built-in kinds are checked with ``kubernetes-validate``'s schemas (strict: unknown fields are errors) at the
Kubernetes version ACK ships; the custom resources against the CRD schemas vendored in ``schemas/`` (provenance in
``schemas/README.md``), plus a walk that reports fields those schemas do not list (a server would prune them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from kubernetes_validate import utils
from referencing import Registry, Resource

KUBERNETES_VERSION = "1.34.0"
"""The newest Kubernetes minor ACK offers for new clusters (1.35 is still in grayscale)."""

DEFAULT_SCHEMAS_DIR = Path(__file__).resolve().parent.parent / "schemas"
LOCAL_SCHEMAS_DIR = Path(__file__).resolve().parent.parent / "schemas"

CRD_SCHEMA_FILES = {
    ("machinelearning.seldon.io/v1", "SeldonDeployment"): "seldondeployment_v1.json",
    ("autoscaling.alibabacloud.com/v1beta1", "ElasticWorkload"): "elasticworkload_v1beta1.json",
}
"""Custom resources whose schema comes from the CRD their operator installs (``schemas/README.md``)."""

LOCAL_SCHEMA_FILES = {
    ("scheduling.alibabacloud.com/v1alpha1", "ResourcePolicy"): "resourcepolicy_v1alpha1.json",
    ("autoscaling.alibabacloud.com/v1beta1", "CronHorizontalPodAutoscaler"): "cronhorizontalpodautoscaler_v1beta1.json",
    ("eci.alibabacloud.com/v1", "ImageCache"): "imagecache_v1.json",
    ("log.alibabacloud.com/v1alpha1", "AliyunLogConfig"): "aliyunlogconfig_v1alpha1.json",
    ("serving.kserve.io/v1beta1", "InferenceService"): "inferenceservice_v1beta1.json",
}
"""Custom resources whose schema this repository writes from ACK's documentation (``schemas/README.md``)."""


EMBEDDED_KUBERNETES_TYPES: dict[tuple[str, str], tuple[tuple[tuple[str, ...], str], ...]] = {
    # kserve v0.20.0 pkg/apis/serving/v1beta1/predictor.go: PredictorSpec inlines corev1.PodSpec next to KServe's own
    # fields, and component.go's ComponentExtensionSpec.DeploymentStrategy is an appsv1.DeploymentStrategy; both are
    # checked against Kubernetes' own schemas rather than a copy.
    ("serving.kserve.io/v1beta1", "InferenceService"): (
        (("spec", "predictor"), "io.k8s.api.core.v1.PodSpec"),
        (("spec", "predictor", "deploymentStrategy"), "io.k8s.api.apps.v1.DeploymentStrategy"),
    ),
}
"""Custom resources that embed Kubernetes types: where, and which definition of the built-in schemas checks them."""


class SchemasMissing(Exception):
    """The CRD schema folder is not where it should be."""


@cache
def _crd_schema(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def _unlisted_fields(value: Any, schema: Mapping[str, Any], where: str) -> Iterator[str]:
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return
    for branch in schema.get("anyOf", []) + schema.get("allOf", []) + schema.get("oneOf", []):
        yield from _unlisted_fields(value, branch, where)
    if isinstance(value, Mapping):
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if properties is not None and key in properties:
                yield from _unlisted_fields(item, properties[key], f"{where}.{key}")
            elif isinstance(extra, Mapping):
                yield from _unlisted_fields(item, extra, f"{where}.{key}")
            elif properties is not None and extra is not True:
                yield f"{where}.{key}: field not in the schema"
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for i, item in enumerate(value):
            yield from _unlisted_fields(item, schema["items"], f"{where}[{i}]")


_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_LABEL_MAPS = ("labels", "matchLabels", "podLabels")


def _bad_label_values(value: Any, where: str) -> Iterator[str]:
    """Label values over 63 characters or with characters Kubernetes rejects (the JSON schemas do not check them)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            here = f"{where}.{key}" if where else str(key)
            if key in _LABEL_MAPS and isinstance(item, Mapping):
                for label, text in item.items():
                    if not isinstance(text, str) or len(text) > 63 or not _LABEL_VALUE.fullmatch(text):
                        yield f"{here}.{label}: {text!r} is not a label value (<= 63 of letters, digits, '-', '_', '.')"
            else:
                yield from _bad_label_values(item, here)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _bad_label_values(item, f"{where}[{i}]")


def _name(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{obj.get('kind')}/{meta.get('name')}"


def validate_object(obj: Mapping[str, Any], schemas_dir: Path = DEFAULT_SCHEMAS_DIR) -> list[str]:
    """Every problem with one object, as ``Kind/name: where: what``; empty when it is valid."""
    labels = [f"{_name(obj)}: {problem}" for problem in _bad_label_values(obj, "")]
    return labels + _schema_problems(obj, schemas_dir)


def _schema_problems(obj: Mapping[str, Any], schemas_dir: Path) -> list[str]:
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    key = (str(api_version), str(kind))
    path = None
    if key in CRD_SCHEMA_FILES:
        path = schemas_dir / CRD_SCHEMA_FILES[key]
        if not path.is_file():
            raise SchemasMissing(f"CRD schema {path} is missing from the repository's schemas/ folder")
    elif key in LOCAL_SCHEMA_FILES:
        path = LOCAL_SCHEMAS_DIR / LOCAL_SCHEMA_FILES[key]
    if path is not None:
        schema = _crd_schema(path)
        errors = [
            f"{_name(obj)}: {'.'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
            for e in jsonschema.Draft7Validator(schema).iter_errors(obj)
        ]
        errors += [f"{_name(obj)}: {problem}" for problem in _unlisted_fields(obj, schema, "")]
        for at, definition in EMBEDDED_KUBERNETES_TYPES.get(key, ()):
            errors += [f"{_name(obj)}: {problem}" for problem in _embedded_problems(obj, at, definition)]
        return errors
    group = str(api_version).rpartition("/")[0]
    if "." in group and not group.endswith(".k8s.io"):
        return [f"{_name(obj)}: no schema for custom resource {api_version} {kind}"]
    validator = _builtin_validator(str(kind), str(api_version))
    if validator is None:
        return [f"{_name(obj)}: {api_version} {kind} does not exist in Kubernetes {KUBERNETES_VERSION}"]
    error = jsonschema.exceptions.best_match(validator.iter_errors(dict(obj)))
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "<root>"
        return [f"{_name(obj)}: {where}: {error.message}"]
    return []


def _embedded_problems(obj: Mapping[str, Any], where: tuple[str, ...], definition: str) -> list[str]:
    """Problems of the Kubernetes type at ``where`` (a PodSpec keeps only its own keys: the rest are the resource's)."""
    value: Any = obj
    for step in where:
        if not isinstance(value, Mapping) or step not in value:
            return []
        value = value[step]
    schema = _definitions()["$defs"][definition]
    if definition.endswith(".PodSpec") and isinstance(value, Mapping):
        value = {k: v for k, v in value.items() if k in schema["properties"]}
    validator = _embedded_validator(definition)
    return [
        f"{'.'.join([*where, *(str(p) for p in e.absolute_path)])}: {e.message}"
        for e in sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    ]


@cache
def _embedded_validator(definition: str) -> jsonschema.protocols.Validator:
    registry: Registry[Any] = Resource.from_contents(_definitions()) @ Registry()
    schema = {"$ref": f"{_definitions()['$id']}#/$defs/{definition}"}
    validator: jsonschema.protocols.Validator = jsonschema.validators.Draft202012Validator(schema, registry=registry)
    return validator


def _schema_dir() -> str:
    """kubernetes-validate's strict schema folder for :data:`KUBERNETES_VERSION` (its ``validate`` picks the newest
    version not newer than the one asked for)."""
    wanted = utils.major_minor(KUBERNETES_VERSION)
    version = [v for v in utils.all_versions() if utils.major_minor(v) <= wanted][-1]
    return f"v{version}-local-strict"


@cache
def _definitions() -> Any:
    """The shared ``_definitions.json`` (1.5 MB), read once; ``kubernetes_validate.validate`` reads it per object."""
    return utils.schema_contents(f"kubernetes-json-schema/{_schema_dir()}/_definitions.json", KUBERNETES_VERSION)


@cache
def _builtin_validator(kind: str, api_version: str) -> jsonschema.protocols.Validator | None:
    """The validator ``kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)`` builds for each object
    (kubernetes-validate 1.37.0, ``utils.validate``: the kind's schema with the definitions in a registry, Draft
    2020-12, the best-matching error), built once per kind; ``None`` when the kind does not exist at that version."""
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = utils.schema_contents(f"kubernetes-json-schema/{_schema_dir()}/{kind.lower()}-{group}.json", KUBERNETES_VERSION)
    except FileNotFoundError:
        return None
    registry: Registry[Any] = Resource.from_contents(schema) @ Registry()
    registry = Resource.from_contents(_definitions()) @ registry
    validator: jsonschema.protocols.Validator = jsonschema.validators.Draft202012Validator(schema, registry=registry)
    return validator
