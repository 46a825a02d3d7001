"""ACK add-ons the recipe needs, installed on an existing cluster."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

import pulumi
import pulumi_alicloud as alicloud
import pulumi_kubernetes as k8s


@dataclass(frozen=True)
class AddonSpec:
    """One add-on as the stack installs it."""

    name: str
    """The add-on's name (ACK's managed add-on name, or the Helm release name)."""
    enabled: bool
    """False for an add-on the cluster already runs, or that this stack does not use."""
    kind: str
    """``managed``: ``alicloud.cs.KubernetesAddon``; ``helm``: a chart release."""
    version: str | None
    """The pinned version; ``None`` installs what ACK or the chart repository offers that day."""
    namespace: str = "kube-system"
    """Namespace of a Helm release."""
    chart: str = ""
    """Chart of a Helm release: a name in ``repo``, or the URL of the chart's archive (then ``repo`` is empty; Helm
    takes an absolute chart URL as is, so the version is the one the URL names, and ``version`` only records it)."""
    repo: str = ""
    """Chart repository of a Helm release; empty when ``chart`` is an archive URL."""
    values: Mapping[str, Any] = field(default_factory=dict)
    """Helm values, or the managed add-on's ``config``."""
    cleanup_cloud_resources: bool | None = None
    """Managed add-ons: release the cloud resources the add-on created when it is uninstalled."""
    reinstall_on_upgrade: bool = False
    """A new version replaces the release (uninstall, then install) instead of a Helm upgrade the add-on does not
    support (ACK documents no in-place upgrade of ack-alibaba-cloud-metrics-adapter)."""
    after: Sequence[str] = ()
    """Add-ons installed before this one (earlier in the list): a chart whose objects need another chart's CRDs."""


def _release_options(child: pulumi.ResourceOptions, addon: AddonSpec, after: list[pulumi.Resource]) -> pulumi.ResourceOptions:
    """A release waits for the add-ons it needs first, and replaces itself when it has no in-place upgrade."""
    opts = child
    if after:
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=after))
    if addon.reinstall_on_upgrade:
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(replace_on_changes=["chart", "version"], delete_before_replace=True)
        )
    return opts


class AckAddonsArgs(TypedDict):
    """Inputs of :class:`AckAddons`."""

    cluster_id: str
    """Id of the ACK cluster the add-ons are installed on."""
    addons: Sequence[AddonSpec]
    """Every add-on, enabled or not, from the stack config."""


class AckAddons(pulumi.ComponentResource):
    """The ACK add-ons a stack needs, each a managed add-on (``alicloud.cs.KubernetesAddon``) or a Helm release.

    Which add-ons, how and at which version is the config layer's catalog; this component only installs them.
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
                    cleanup_cloud_resources=addon.cleanup_cloud_resources,
                    opts=child,
                )
            else:
                archive = not addon.repo
                self.resources[addon.name] = k8s.helm.v3.Release(
                    f"{name}-{addon.name}",
                    name=addon.name,
                    chart=addon.chart,
                    version=addon.version,
                    namespace=addon.namespace,
                    create_namespace=True,
                    atomic=True,
                    repository_opts=None if archive else k8s.helm.v3.RepositoryOptsArgs(repo=addon.repo),
                    values=dict(addon.values),
                    opts=_release_options(child, addon, self.needed_by(*addon.after)),
                )
        self.installed = pulumi.Output.from_input(sorted(self.resources))
        self.register_outputs({"installed": self.installed})

    def needed_by(self, *names: str) -> list[pulumi.Resource]:
        """The add-on resources an object depends on (none for an add-on the stack does not manage)."""
        return [self.resources[n] for n in names if n in self.resources]
