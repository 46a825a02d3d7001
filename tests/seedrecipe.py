"""The manual recipe's manifests, read from the Markdown in ../shared/seed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

_BLOCK = re.compile(r"```\n(.*?)```", re.S)


def seed_manifests(path: Path) -> list[dict[str, Any]]:
    """Every Kubernetes object in the recipe's code blocks (``//`` comments removed)."""
    objects: list[dict[str, Any]] = []
    for block in _BLOCK.findall(path.read_text(encoding="utf-8")):
        text = "\n".join(line.split(" //")[0].rstrip() for line in _dedent(block).splitlines())
        if "apiVersion:" not in text:
            continue
        objects.extend(doc for doc in yaml.safe_load_all(text) if isinstance(doc, dict))
    return objects


def _dedent(block: str) -> str:
    lines = block.splitlines()
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "\n".join(line[indent:] for line in lines)


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
