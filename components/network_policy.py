"""A NetworkPolicy that lets only the Ingress controller reach the predictor's pods.

Who may connect, and why nothing else needs to:

- The Ingress controller. ACK runs its NGINX Ingress controller as the Deployment ``nginx-ingress-controller`` in
  ``kube-system``, pods labelled ``app: ingress-nginx``, on the pod network (no ``hostNetwork``)
  (AliyunContainerService/ingress-nginx, ``deploy/static/provider/baremetal/ack.yaml`` at commit 218226f5: the
  Deployment, its ``selector.matchLabels`` and the ``nginx-ingress-lb`` Service's selector). The namespace is
  selected by ``kubernetes.io/metadata.name``, the label the API server puts on every namespace (Kubernetes 1.22+,
  "Well-Known Labels": ``kubernetes.io/metadata.name``). NGINX sends to the Service's endpoints, i.e. the pod's
  target port: the executor's HTTP port behind the predictor Service (``SELDON_HTTP_PORT``, 8000: seldon-core
  1.17.1 ``operator/controllers/seldondeployment_engine.go`` ``DEFAULT_EXECUTOR_CONTAINER_PORT``, line 51).
- The kubelet's probes come from the node. Kubernetes' NetworkPolicy semantics always allow traffic between a pod
  and the node it runs on ("Network Policies": "traffic to and from the node where a Pod is running is always
  allowed"), so they need no rule. On ACK, Terway enforces NetworkPolicy only on nodes in shared-ENI mode, and ECI
  pods only with the Poseidon add-on installed (ACK, "Use network policies" and "Use network policies" for
  elastic container instances); how ECI runs probes relative to Poseidon's rules is not documented (not verified).
- The containers of a pod talk to each other over 127.0.0.1 (the executor to the proxy, the proxy to TF Serving),
  which no NetworkPolicy filters.

Egress is not restricted: TF Serving reads the model through the CSI mount (the node's ossfs, not the pod's network).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.naming import MANAGED_BY

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
ACK_INGRESS_NAMESPACE = "kube-system"
ACK_INGRESS_POD_LABELS = {"app": "ingress-nginx"}


class IngressController(TypedDict):
    """Where the Ingress controller's pods run."""

    namespace: str
    """Namespace of the controller's pods."""
    pod_labels: Mapping[str, str]
    """Labels that select the controller's pods."""


ACK_INGRESS_CONTROLLER: IngressController = {"namespace": ACK_INGRESS_NAMESPACE, "pod_labels": ACK_INGRESS_POD_LABELS}


class PredictorNetworkPolicyArgs(TypedDict):
    """Inputs of :class:`PredictorNetworkPolicy`."""

    namespace: pulumi.Input[str]
    """Namespace of the predictor's pods."""
    policy_name: str
    """Name of the NetworkPolicy."""
    selector: Mapping[str, pulumi.Input[str]]
    """Labels that select exactly the predictor's pods."""
    ports: Sequence[int]
    """The pod ports the Ingress controller may reach (TCP)."""
    ingress_controller: IngressController
    """The only pods admitted."""


class PredictorNetworkPolicy(pulumi.ComponentResource):
    """The NetworkPolicy over one predictor's pods."""

    policy_name: pulumi.Output[str]
    """Name of the NetworkPolicy."""

    def __init__(self, name: str, args: PredictorNetworkPolicyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eci-inference:index:PredictorNetworkPolicy", name, None, opts)
        controller = args["ingress_controller"]
        policy = k8s.networking.v1.NetworkPolicy(
            f"{name}-policy",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args["policy_name"], namespace=args["namespace"], labels=MANAGED_BY),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(args["selector"])),
                policy_types=["Ingress"],
                ingress=[
                    k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                        from_=[
                            k8s.networking.v1.NetworkPolicyPeerArgs(
                                namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                                    match_labels={NAMESPACE_NAME_LABEL: controller["namespace"]}
                                ),
                                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(controller["pod_labels"])),
                            )
                        ],
                        ports=[k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=p) for p in args["ports"]],
                    )
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.policy_name = policy.metadata.name
        self.register_outputs({"policy_name": self.policy_name})
