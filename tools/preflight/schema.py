"""Which fields of a rendered object a live CRD's ``openAPIV3Schema`` does not know.

The API server prunes every field a structural schema does not specify, silently, unless the schema (or the object
node) preserves unknown fields (Kubernetes, "Extend the Kubernetes API with CustomResourceDefinitions", sections
"Field pruning" and "Controlling pruning"). A field the cluster's CRD lacks is therefore dropped on ``pulumi up``
and the operator never sees it, which is what these functions find before anything is created.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PRESERVE = "x-kubernetes-preserve-unknown-fields"
ENVELOPE = ("apiVersion", "kind", "metadata")


def unknown_fields(value: Any, schema: Mapping[str, Any], path: str = "") -> list[str]:
    """The paths (``spec.units[].max``) in ``value`` that ``schema`` would prune, in order of first appearance."""
    found: list[str] = []
    _walk(value, schema, path, found)
    return list(dict.fromkeys(found))


def _walk(value: Any, schema: Mapping[str, Any], path: str, found: list[str]) -> None:
    if isinstance(value, Mapping):
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        if properties is None:
            if isinstance(extra, Mapping):  # a map: the keys are data, the values follow the schema
                for key, item in value.items():
                    _walk(item, extra, f"{path}.{key}" if path else str(key), found)
            return  # free-form object (no properties, or preserved): nothing is pruned
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if key in properties:
                _walk(item, properties[key], child, found)
            elif isinstance(extra, Mapping):
                _walk(item, extra, child, found)
            elif not schema.get(PRESERVE) and extra is not True:
                found.append(child)
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, Mapping):
            for item in value:
                _walk(item, items, f"{path}[]", found)


def object_unknown_fields(body: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """:func:`unknown_fields` of a whole object; the envelope (apiVersion, kind, metadata) is the server's own."""
    rest = {k: v for k, v in body.items() if k not in ENVELOPE}
    inner = {k: v for k, v in schema.get("properties", {}).items() if k not in ENVELOPE}
    return unknown_fields(rest, {**schema, "properties": inner})


def version_schema(crd: Mapping[str, Any], version: str) -> tuple[bool, Mapping[str, Any] | None]:
    """Whether the CRD serves ``version``, and that version's ``openAPIV3Schema`` (``None``: no schema given)."""
    for entry in crd.get("spec", {}).get("versions", []):
        if entry.get("name") == version:
            schema = entry.get("schema", {}).get("openAPIV3Schema")
            return bool(entry.get("served")), schema if isinstance(schema, Mapping) else None
    return False, None
