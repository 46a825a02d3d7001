"""The manual recipe's manifests, read from the fixture the tests own (``tests/fixtures/seed/recipe-manifests.yaml``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def seed_manifests(path: Path) -> list[dict[str, Any]]:
    """Every Kubernetes object of the recipe, in its order."""
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if isinstance(doc, dict)]


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": [1]}}`` -> ``{"a.b[0]": 1}``; scalars compared as strings (YAML and the wire differ in type)."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.update(flatten(v, f"{prefix}[{i}]"))
    else:
        out[prefix] = str(value)
    return out
