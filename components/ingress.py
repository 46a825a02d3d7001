"""The Ingress in front of the Seldon predictor Service."""

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
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args["ingress_name"], namespace=args["namespace"], labels=MANAGED_BY),
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
        self.register_outputs(
            {"host": self.host, "endpoint_url": self.endpoint_url, "prediction_url": self.prediction_url, "route": self.route}
        )
