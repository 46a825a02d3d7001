"""The Ingress in front of the Seldon predictor Service, and the canary Ingress that splits its host's traffic.

A canary is a second Ingress for the same host and path with ingress-nginx's canary annotations: ACK, "Use the
NGINX Ingress controller to implement canary releases and blue-green releases" (canary-* annotations; every canary
Ingress needs ``nginx.ingress.kubernetes.io/canary: "true"``, and ``canary-weight`` sends that percentage, 0-100, of
the requests to its backend). The canary backend is its own upstream, so its requests are logged, and counted by the
metrics adapter, under its own ``sls.ingress.route`` (``<namespace>-<service>-<port>``), which its HPA selects.
"""

from __future__ import annotations

from typing import TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.naming import MANAGED_BY, sls_route


class ModelIngressArgs(TypedDict):
    """Inputs of :class:`ModelIngress`."""

    namespace: pulumi.Input[str]
    """Namespace of the Ingress (the Service's)."""
    ingress_name: str
    """Name of the Ingress."""
    host: str
    """Host the rule matches."""
    service_name: pulumi.Input[str]
    """Backend Service (the Seldon predictor Service)."""
    service_port: pulumi.Input[int]
    """Backend port (Seldon's REST port)."""
    ingress_class: str | None
    """IngressClass; None leaves the cluster default."""
    tls_secret: str | None
    """Secret with the certificate for ``host``; None serves plain HTTP."""
    prediction_path: str
    """The server's REST prediction path (Seldon's, or TF Serving's through KServe)."""
    canary_weight: int | None
    """None for the host's Ingress; a percentage (0-100) for a canary Ingress taking that share of its requests."""


CANARY_ANNOTATION = "nginx.ingress.kubernetes.io/canary"
CANARY_WEIGHT_ANNOTATION = "nginx.ingress.kubernetes.io/canary-weight"


def canary_annotations(weight: int | None) -> dict[str, str] | None:
    """ingress-nginx's weight-based canary annotations (module doc); None for the host's Ingress."""
    if weight is None:
        return None
    return {CANARY_ANNOTATION: "true", CANARY_WEIGHT_ANNOTATION: str(weight)}


class ModelIngress(pulumi.ComponentResource):
    """``networking.k8s.io/v1`` Ingress; its backend also yields the SLS route label the HPA selects on."""

    host: pulumi.Output[str]
    """Host of the rule."""
    endpoint_url: pulumi.Output[str]
    """``http(s)://<host>``."""
    prediction_url: pulumi.Output[str]
    """The server's REST prediction URL."""
    route: pulumi.Output[str]
    """``sls.ingress.route`` of the backend: ``<namespace>-<service>-<port>``."""
    ingress_name: pulumi.Output[str]
    """Name of the Ingress."""

    def __init__(self, name: str, args: ModelIngressArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eci-inference:index:ModelIngress", name, None, opts)
        backend = k8s.networking.v1.IngressServiceBackendArgs(
            name=args["service_name"], port=k8s.networking.v1.ServiceBackendPortArgs(number=args["service_port"])
        )
        tls = None
        if args["tls_secret"] is not None:
            tls = [k8s.networking.v1.IngressTLSArgs(hosts=[args["host"]], secret_name=args["tls_secret"])]
        ingress = k8s.networking.v1.Ingress(
            f"{name}-ingress",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args["ingress_name"],
                namespace=args["namespace"],
                labels=MANAGED_BY,
                annotations=canary_annotations(args["canary_weight"]),
            ),
            spec=k8s.networking.v1.IngressSpecArgs(
                ingress_class_name=args["ingress_class"],
                tls=tls,
                rules=[
                    k8s.networking.v1.IngressRuleArgs(
                        host=args["host"],
                        http=k8s.networking.v1.HTTPIngressRuleValueArgs(
                            paths=[
                                k8s.networking.v1.HTTPIngressPathArgs(
                                    path="/", path_type="Prefix", backend=k8s.networking.v1.IngressBackendArgs(service=backend)
                                )
                            ]
                        ),
                    )
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        scheme = "https" if args["tls_secret"] is not None else "http"
        self.host = ingress.urn.apply(lambda _: args["host"])
        self.endpoint_url = pulumi.Output.concat(scheme, "://", self.host)
        self.prediction_url = pulumi.Output.concat(self.endpoint_url, args["prediction_path"])
        self.route = pulumi.Output.all(ingress.urn, args["namespace"], args["service_name"], args["service_port"]).apply(
            lambda v: sls_route(v[1], v[2], v[3])
        )
        self.ingress_name = ingress.metadata.name
        self.register_outputs(
            {"host": self.host, "endpoint_url": self.endpoint_url, "prediction_url": self.prediction_url, "route": self.route}
        )
