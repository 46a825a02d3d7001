"""ACK add-ons the recipe needs, installed on an existing cluster."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TypedDict

import pulumi
import pulumi_alicloud as alicloud
import pulumi_kubernetes as k8s

from components.config import AddonConfig


class AckAddonsArgs(TypedDict):
    """Inputs of :class:`AckAddons`."""

    cluster_id: str
    """Id of the ACK cluster the add-ons are installed on."""
    addons: Sequence[AddonConfig]
    """Every add-on, enabled or not, from the stack config."""


class AckAddons(pulumi.ComponentResource):
    """seldon-core, ack-virtual-node, ack-kubernetes-elastic-workload and ack-alibaba-cloud-metrics-adapter.

    A managed add-on is an ``alicloud.cs.KubernetesAddon``; a catalog add-on is a Helm release of the chart
    from ACK's catalog. Both are pinned to the version in config.
    """

    installed: pulumi.Output[list[str]]
    """Names of the add-ons this stack manages."""

    def __init__(self, name: str, args: AckAddonsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eci-inference:index:AckAddons", name, None, opts)
        self.resources: dict[str, pulumi.Resource] = {}
        for addon in args["addons"]:
            if not addon.enabled:
                continue
            child = pulumi.ResourceOptions(parent=self)
            if addon.kind == "managed":
                self.resources[addon.name] = alicloud.cs.KubernetesAddon(
                    f"{name}-{addon.name}",
                    cluster_id=args["cluster_id"],
                    name=addon.name,
                    version=addon.version,
                    config=json.dumps(addon.values, sort_keys=True) if addon.values else None,
                    opts=child,
                )
            else:
                self.resources[addon.name] = k8s.helm.v3.Release(
                    f"{name}-{addon.name}",
                    name=addon.name,
                    chart=addon.chart,
                    version=addon.version,
                    namespace=addon.namespace,
                    create_namespace=True,
                    atomic=True,
                    repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=addon.repo),
                    values=dict(addon.values),
                    opts=child,
                )
        self.installed = pulumi.Output.from_input(sorted(self.resources))
        self.register_outputs({"installed": self.installed})

    def needed_by(self, *names: str) -> list[pulumi.Resource]:
        """The add-on resources an object depends on (none for an add-on the stack does not manage)."""
        return [self.resources[n] for n in names if n in self.resources]
