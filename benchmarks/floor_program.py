"""The floor of :mod:`benchmarks.bench_render`: the same custom resources registered by a bare-SDK program.

It imports the SDK modules the program's resources come from and registers each custom resource of a render (type,
name, inputs, as ``floor_resources`` wrote them) through its SDK class, flat, under the same mocks
(:func:`tools.mockrun.run_program`): no components, no config, no validation, no Outputs between resources, no files.

    venv/bin/python -m benchmarks.floor_program FLOOR.json
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pulumi

from tools.mockrun import one_shot, run_program

_CLASSES: dict[str, tuple[str, str]] = {
    "alicloud:cs/kubernetesAddon:KubernetesAddon": ("pulumi_alicloud.cs", "KubernetesAddon"),
    "alicloud:oss/bucket:Bucket": ("pulumi_alicloud.oss", "Bucket"),
    "alicloud:oss/bucketAcl:BucketAcl": ("pulumi_alicloud.oss", "BucketAcl"),
    "alicloud:oss/bucketObject:BucketObject": ("pulumi_alicloud.oss", "BucketObject"),
    "alicloud:oss/bucketPublicAccessBlock:BucketPublicAccessBlock": ("pulumi_alicloud.oss", "BucketPublicAccessBlock"),
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": ("pulumi_kubernetes.autoscaling.v2", "HorizontalPodAutoscaler"),
    "kubernetes:core/v1:Namespace": ("pulumi_kubernetes.core.v1", "Namespace"),
    "kubernetes:core/v1:PersistentVolume": ("pulumi_kubernetes.core.v1", "PersistentVolume"),
    "kubernetes:core/v1:PersistentVolumeClaim": ("pulumi_kubernetes.core.v1", "PersistentVolumeClaim"),
    "kubernetes:core/v1:Secret": ("pulumi_kubernetes.core.v1", "Secret"),
    "kubernetes:helm.sh/v3:Release": ("pulumi_kubernetes.helm.v3", "Release"),
    "kubernetes:networking.k8s.io/v1:Ingress": ("pulumi_kubernetes.networking.v1", "Ingress"),
    "kubernetes:policy/v1:PodDisruptionBudget": ("pulumi_kubernetes.policy.v1", "PodDisruptionBudget"),
    "pulumi:providers:alicloud": ("pulumi_alicloud", "Provider"),
    "pulumi:providers:kubernetes": ("pulumi_kubernetes", "Provider"),
}
"""The SDK class (module, name) of each resource type the program registers; other Kubernetes types are custom
resources (``pulumi_kubernetes.apiextensions.CustomResource``)."""

_CUSTOM_RESOURCE = ("pulumi_kubernetes.apiextensions", "CustomResource")


def _class(module: str, name: str) -> Any:
    return getattr(importlib.import_module(module), name)


@cache
def _accepted(cls: Any) -> frozenset[str]:
    """The keyword arguments of an SDK class (read once per class, as a program spells them out once)."""
    return frozenset(inspect.signature(cls._internal_init).parameters)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def register(resource: dict[str, Any]) -> None:
    """One resource, through the SDK class a program would use, with its recorded inputs as keyword arguments."""
    type_, name, inputs = resource["type"], resource["name"], dict(resource["inputs"])
    where = _CLASSES.get(type_) or (_CUSTOM_RESOURCE if type_.startswith("kubernetes:") else None)
    if where is None:
        pulumi.CustomResource(type_, name, inputs)
        return
    cls = _class(*where)
    accepted = _accepted(cls)
    kwargs = {_snake(key): value for key, value in inputs.items() if _snake(key) in accepted}
    cls(name, **kwargs)


def main(argv: list[str]) -> int:
    for module in sorted({module for module, _ in [*_CLASSES.values(), _CUSTOM_RESOURCE]}):
        importlib.import_module(module)  # loading the SDKs is part of any program's cost, so of the floor's
    resources = json.loads(Path(argv[0]).read_text())

    def program() -> None:
        for resource in resources:
            register(resource)

    run = run_program(program, {}, stack="bench")
    return 0 if len(run.resources) == len(resources) else 1


if __name__ == "__main__":
    one_shot(lambda: main(sys.argv[1:]))  # as the renderer's CLI runs, before the SDKs load
