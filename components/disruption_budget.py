"""A PodDisruptionBudget for the predictor, so evictions (spot reclaims included) never take all pods at once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.naming import MANAGED_BY


class PredictorDisruptionBudgetArgs(TypedDict):
    """Inputs of :class:`PredictorDisruptionBudget`."""

    namespace: pulumi.Input[str]
    """Namespace of the predictor."""
    budget_name: str
    """Name of the PodDisruptionBudget."""
    selector: Mapping[str, pulumi.Input[str]]
    """Pod labels of exactly the predictor's pods."""
    max_unavailable: int | None
    """Pods that may be evicted at once; None when ``min_available`` is set."""
    min_available: int | None
    """Pods that must stay; None when ``max_unavailable`` is set."""


class PredictorDisruptionBudget(pulumi.ComponentResource):
    """``policy/v1`` PodDisruptionBudget over the predictor's pods in every unit."""

    budget_name: pulumi.Output[str]
    """Name of the PodDisruptionBudget."""

    def __init__(self, name: str, args: PredictorDisruptionBudgetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eci-inference:index:PredictorDisruptionBudget", name, None, opts)
        pdb = k8s.policy.v1.PodDisruptionBudget(
            f"{name}-pdb",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args["budget_name"], namespace=args["namespace"], labels=MANAGED_BY),
            spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(args["selector"])),
                max_unavailable=args["max_unavailable"],
                min_available=args["min_available"],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.budget_name = pdb.metadata.name
        self.register_outputs({"budget_name": self.budget_name})
