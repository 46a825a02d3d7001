"""The floors of :mod:`benchmarks.bench_render`: what the render registers, registered by a bare-SDK program.

It imports the SDK modules the program's resources come from and registers what ``floor_resources`` recorded of a
render (type, name, inputs, and where each sits) through the SDK classes, under the same mocks
(:func:`tools.mockrun.run_program`), with no config, no validation and no files. Two floors:

- ``flat`` (the default): only the custom resources, each at the top of the stack, no options: no components, no
  parents, providers or dependencies, no Outputs between resources. The layout issue's floor.
- ``structure``: every resource the render registers, components included, each under its parent, with the render's
  options (providers, dependencies as ``depends_on``, ``ignoreChanges``, ``replaceOnChanges``,
  ``deleteBeforeReplace``, ``retainOnDelete``, named aliases) and its secrets, each component a class with its own
  constructor calling ``register_outputs({})``. Inputs are plain values otherwise: no Outputs between resources, no
  stack outputs. This is the cost of the resource tree itself, which a program that registers this tree pays.

    venv/bin/python -m benchmarks.floor_program FLOOR.json [flat|structure]
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any, cast

import pulumi

from tools.mockrun import SECRET_MASK, one_shot, run_program

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


def _sdk_call(resource: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The SDK class a program would use for a custom resource, and its recorded inputs as keyword arguments."""
    type_ = resource["type"]
    where = _CLASSES.get(type_) or (_CUSTOM_RESOURCE if type_.startswith("kubernetes:") else None)
    if where is None:
        raise KeyError(f"{type_}: add its SDK class to benchmarks.floor_program._CLASSES")
    cls = _class(*where)
    accepted = _accepted(cls)
    return cls, {_snake(key): value for key, value in resource["inputs"].items() if _snake(key) in accepted}


def register(resource: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> pulumi.Resource:
    """One custom resource, through the SDK class a program would use, with its recorded inputs."""
    cls, kwargs = _sdk_call(resource)
    return cls(resource["name"], **kwargs, opts=opts)  # type: ignore[no-any-return]


class _Component(pulumi.ComponentResource):
    """A component as a program declares one: a class with its own constructor, which registers no outputs.

    The constructor matters: Pulumi records where each resource was made by walking the stack out from the third
    ``__init__`` frame, so a bare ``pulumi.ComponentResource(...)`` would skip work every real component pays for.
    """

    def __init__(self, type_: str, name: str, opts: pulumi.ResourceOptions) -> None:
        super().__init__(type_, name, None, opts)
        self.register_outputs({})


def flat(resources: list[dict[str, Any]]) -> None:
    """The custom resources, flat and without options."""
    for resource in resources:
        if resource["custom"]:
            register(resource)


def _secrets(masked: Any, plain: Any) -> Any:
    """``plain`` with each value the render marked secret (``[secret]`` in ``masked``) made a secret again."""
    if masked == SECRET_MASK and plain != SECRET_MASK:
        return pulumi.Output.secret(plain)
    if isinstance(masked, dict) and isinstance(plain, dict):
        return {key: _secrets(masked.get(key), value) for key, value in plain.items()}
    if isinstance(masked, list) and isinstance(plain, list):
        return [_secrets(m, p) for m, p in zip(masked, plain, strict=True)]
    return plain


def structure(resources: list[dict[str, Any]]) -> None:
    """Every resource, components included, under its parent, with the render's options and secrets."""
    by_urn = {resource["urn"]: resource for resource in resources}
    made: dict[str, pulumi.Resource] = {}

    def provider(reference: str) -> pulumi.ProviderResource:
        return cast(pulumi.ProviderResource, make(by_urn[reference.rsplit("::", 1)[0]]))  # "<urn>::<id>"

    def make(resource: dict[str, Any]) -> pulumi.Resource:
        urn = resource["urn"]
        if urn not in made:
            parent = by_urn.get(resource["parent"])  # the stack itself is not recorded: a top-level resource
            under = make(parent) if parent is not None else None
            if resource["custom"]:
                opts = pulumi.ResourceOptions(
                    parent=under,
                    provider=provider(resource["provider"]) if resource["provider"] else None,
                    depends_on=[make(by_urn[dependency]) for dependency in resource["dependencies"]],
                    ignore_changes=resource["ignore_changes"] or None,
                    replace_on_changes=resource["replace_on_changes"] or None,
                    delete_before_replace=resource["delete_before_replace"] or None,
                    retain_on_delete=resource["retain_on_delete"] or None,
                    aliases=[pulumi.Alias(name=alias) for alias in resource["aliases"] if alias] or None,
                )
                made[urn] = register({**resource, "inputs": _secrets(resource["masked"], resource["inputs"])}, opts)
            else:
                providers = [provider(reference) for reference in resource["providers"].values()]
                opts = pulumi.ResourceOptions(parent=under, providers=providers or None)
                made[urn] = _Component(resource["type"], resource["name"], opts)
        return made[urn]

    for resource in resources:
        make(resource)


FLOORS = {"flat": flat, "structure": structure}


def main(argv: list[str]) -> int:
    for module in sorted({module for module, _ in [*_CLASSES.values(), _CUSTOM_RESOURCE]}):
        importlib.import_module(module)  # loading the SDKs is part of any program's cost, so of the floor's
    resources = json.loads(Path(argv[0]).read_text())
    floor = FLOORS[argv[1] if len(argv) > 1 else "flat"]
    run = run_program(lambda: floor(resources), {}, stack="bench")
    expected = len(resources) if floor is structure else sum(1 for r in resources if r["custom"])
    return 0 if len(run.resources) == expected else 1


if __name__ == "__main__":
    one_shot(lambda: main(sys.argv[1:]))  # as the renderer's CLI runs, before the SDKs load
