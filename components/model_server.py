"""The SeldonDeployment: the tfserving-proxy in front of TF Serving on a GPU, reading the model from the volume."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.naming import (
    PREDICTOR_LABEL,
    PROXY_CONTAINER,
    SERVING_CONTAINER,
    TFSERVING_GRPC_PORT,
    TFSERVING_REST_PORT,
    seldon_names,
)

MODEL_MOUNT = "/mnt"
MODEL_VOLUME = "model-storage"
SERVING_USER = 1000


class ModelServerArgs(TypedDict):
    """Inputs of :class:`ModelServer`."""

    namespace: str
    """Namespace of the SeldonDeployment."""
    deployment_name: str
    """Name of the SeldonDeployment (the operator derives its Deployment and Service names from it)."""
    predictor_name: str
    """Name of the single predictor."""
    model_name: str
    """Model name TF Serving serves and the proxy asks for."""
    model_base_path: pulumi.Input[str]
    """Object path of the model's base directory inside the mounted bucket."""
    claim_name: pulumi.Input[str]
    """PVC holding the model bucket."""
    proxy_image: str
    """Image of the Seldon tfserving-proxy."""
    serving_image: str
    """Image of TF Serving (a GPU build)."""
    gpu: int
    """GPUs per serving pod (requests equal limits)."""
    cpu: str
    """CPU of the TF Serving container (requests equal limits)."""
    memory: str
    """Memory of the TF Serving container (requests equal limits)."""
    proxy_cpu: str
    """CPU request of the proxy container."""
    proxy_memory: str
    """Memory of the proxy container (requests equal limits)."""
    replicas: int
    """Replicas the predictor starts with; the autoscaler owns the count afterwards."""
    termination_grace_seconds: int
    """Time a stopping pod gets to finish in-flight requests."""
    pre_stop_seconds: int
    """Delay before the containers are signalled, so the Service stops routing to the pod first."""
    depends_on: Sequence[pulumi.Resource]
    """What must exist first: the operator (seldon-core add-on)."""


def container_names() -> list[str]:
    """Names of the predictor's containers, in order; the Deployment name is built from them."""
    return [PROXY_CONTAINER, SERVING_CONTAINER]


def _security_context() -> dict[str, Any]:
    return {
        "runAsUser": SERVING_USER,
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
    }


def _lifecycle(seconds: int) -> dict[str, Any]:
    return {"lifecycle": {"preStop": {"exec": {"command": ["sleep", str(seconds)]}}}} if seconds else {}


def pod_labels(args: ModelServerArgs) -> dict[str, str]:
    """Labels the operator puts on every predictor pod (it copies the componentSpec's labels)."""
    names = seldon_names(args["deployment_name"], args["predictor_name"], container_names())
    return {PREDICTOR_LABEL: names.service}


def seldon_deployment_spec(args: ModelServerArgs, model_base_path: str, claim_name: str) -> dict[str, Any]:
    """The ``spec`` of the SeldonDeployment, from plain values."""
    proxy, serving = container_names()
    gpu = str(args["gpu"])
    lifecycle = _lifecycle(args["pre_stop_seconds"])
    return {
        "name": args["deployment_name"],
        "replicas": args["replicas"],
        "predictors": [
            {
                "name": args["predictor_name"],
                "replicas": args["replicas"],
                "componentSpecs": [
                    {
                        "metadata": {"labels": pod_labels(args)},
                        "spec": {
                            "containers": [
                                {
                                    "name": proxy,
                                    "image": args["proxy_image"],
                                    "resources": {
                                        "requests": {"cpu": args["proxy_cpu"], "memory": args["proxy_memory"]},
                                        "limits": {"memory": args["proxy_memory"]},
                                    },
                                    "securityContext": _security_context(),
                                    **lifecycle,
                                },
                                {
                                    "name": serving,
                                    "image": args["serving_image"],
                                    "args": [
                                        "/usr/bin/tensorflow_model_server",
                                        f"--port={TFSERVING_GRPC_PORT}",
                                        f"--model_name={args['model_name']}",
                                        f"--model_base_path={MODEL_MOUNT}/{model_base_path}",
                                        f"--rest_api_port={TFSERVING_REST_PORT}",
                                    ],
                                    "ports": [
                                        {"containerPort": TFSERVING_GRPC_PORT, "protocol": "TCP"},
                                        {"containerPort": TFSERVING_REST_PORT, "protocol": "TCP"},
                                    ],
                                    "volumeMounts": [{"name": MODEL_VOLUME, "mountPath": MODEL_MOUNT, "readOnly": True}],
                                    "resources": {
                                        "requests": {"cpu": args["cpu"], "memory": args["memory"], "nvidia.com/gpu": gpu},
                                        "limits": {"cpu": args["cpu"], "memory": args["memory"], "nvidia.com/gpu": gpu},
                                    },
                                    "securityContext": _security_context(),
                                    **lifecycle,
                                },
                            ],
                            "volumes": [
                                {
                                    "name": MODEL_VOLUME,
                                    "persistentVolumeClaim": {"claimName": claim_name, "readOnly": True},
                                }
                            ],
                            "terminationGracePeriodSeconds": args["termination_grace_seconds"],
                        },
                    }
                ],
                "graph": {
                    "name": proxy,
                    "type": "MODEL",
                    "endpoint": {"type": "REST"},
                    "children": [],
                    "parameters": [
                        {"name": "rest_endpoint", "type": "STRING", "value": f"http://127.0.0.1:{TFSERVING_REST_PORT}"},
                        {"name": "model_name", "type": "STRING", "value": args["model_name"]},
                        {"name": "signature_name", "type": "STRING", "value": "serving_default"},
                    ],
                },
            }
        ],
    }


def _after(resource: pulumi.Resource, value: str) -> pulumi.Output[str]:
    """``value``, carrying a dependency on ``resource``."""
    return resource.urn.apply(lambda _: value)


class ModelServer(pulumi.ComponentResource):
    """One SeldonDeployment with one predictor, and the names the operator will give what it creates."""

    sdep_name: pulumi.Output[str]
    """Name of the SeldonDeployment."""
    deployment_name: pulumi.Output[str]
    """Name of the Deployment the operator creates (the ElasticWorkload's source)."""
    service_name: pulumi.Output[str]
    """Name of the predictor Service the operator creates (the Ingress backend)."""
    http_port: pulumi.Output[int]
    """REST port of that Service."""
    pod_selector: dict[str, pulumi.Output[str]]
    """Labels that select exactly this predictor's pods."""

    def __init__(self, name: str, args: ModelServerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eci-inference:index:ModelServer", name, None, opts)
        names = seldon_names(args["deployment_name"], args["predictor_name"], container_names())
        spec = pulumi.Output.all(args["model_base_path"], args["claim_name"]).apply(
            lambda v: seldon_deployment_spec(args, v[0], v[1])
        )
        sdep = k8s.apiextensions.CustomResource(
            f"{name}-sdep",
            api_version="machinelearning.seldon.io/v1",
            kind="SeldonDeployment",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args["deployment_name"],
                namespace=args["namespace"],
                labels={"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/name": args["model_name"]},
            ),
            spec=spec,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args["depends_on"])),
        )
        # Derived from the SeldonDeployment's output so that whatever uses a name also waits for it.
        self.sdep_name = sdep.urn.apply(lambda _: args["deployment_name"])
        self.deployment_name = sdep.urn.apply(lambda _: names.deployment)
        self.service_name = sdep.urn.apply(lambda _: names.service)
        self.http_port = sdep.urn.apply(lambda _: names.http_port)
        self.pod_selector = {k: _after(sdep, v) for k, v in pod_labels(args).items()}
        self.register_outputs(
            {
                "sdep_name": self.sdep_name,
                "deployment_name": self.deployment_name,
                "service_name": self.service_name,
                "http_port": self.http_port,
            }
        )
