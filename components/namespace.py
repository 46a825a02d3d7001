"""The namespace the serving objects live in, when the stack owns it."""

from __future__ import annotations

from typing import TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.naming import MANAGED_BY


class ServingNamespaceArgs(TypedDict):
    """Inputs of :class:`ServingNamespace`."""

    name: str
    """Name of the namespace."""
    create: bool
    """Create it; false uses a namespace that already exists (``default``, or one another stack owns)."""


class ServingNamespace(pulumi.ComponentResource):
    """A ``core/v1`` Namespace, or an existing namespace by name.

    Every namespaced object takes :attr:`name` from here, so when the namespace is created they wait for it, and
    Kubernetes does not refuse them with "namespace not found" on the first ``pulumi up``.
    """

    name: pulumi.Output[str]
    """Name of the namespace, known once it exists."""

    def __init__(self, name: str, args: ServingNamespaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eci-inference:index:ServingNamespace", name, None, opts)
        if args["create"]:
            namespace = k8s.core.v1.Namespace(
                f"{name}-namespace",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=args["name"], labels=MANAGED_BY),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.name = namespace.metadata.name
        else:
            self.name = pulumi.Output.from_input(args["name"])
        self.register_outputs({"name": self.name})
