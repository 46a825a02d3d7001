"""One served model, end to end: model files, volume, server, route, elastic units and autoscaler."""

from __future__ import annotations

from typing import TypedDict

import pulumi

from components.addons import AckAddons
from components.config import ModelConfig
from components.disruption_budget import PredictorDisruptionBudget
from components.elastic_scaling import ElasticScaling
from components.image_cache import ModelImageCache
from components.ingress import ModelIngress
from components.model_server import ModelServer
from components.model_store import ModelStore
from components.model_volume import AccessKeyCredentials, ModelVolume
from components.naming import ack_test_domain
from components.qps_autoscaler import QpsAutoscaler, ScaleTarget
from components.resource_policy import ResourcePolicyScaling
from components.scheduled_scaling import ScheduledScaling
from components.units import PodPolicy

SELDON = "seldon-core"
VIRTUAL_NODE = "ack-virtual-node"
ELASTIC_WORKLOAD = "ack-kubernetes-elastic-workload"
METRICS_ADAPTER = "ack-alibaba-cloud-metrics-adapter"
CRONHPA = "ack-kubernetes-cronhpa-controller"


class InferenceServiceArgs(TypedDict):
    """Inputs of :class:`InferenceService`."""

    model: ModelConfig
    """The model's validated configuration."""
    namespace: str
    """Namespace of every namespaced object."""
    cluster_id: str
    """ACK cluster id (test-domain host, default SLS project)."""
    region: str
    """Region (test-domain host)."""
    bucket: pulumi.Input[str]
    """The stack's model bucket."""
    model_prefix: str
    """Object prefix of uploaded models."""
    oss_endpoint: str
    """Endpoint the CSI driver mounts from."""
    rrsa_role_name: str | None
    """RAM role for the volume (RRSA), or None to use ``access_key``."""
    access_key: AccessKeyCredentials | None
    """AccessKey pair for the volume's Secret when RRSA is not used."""
    sls_project: str
    """Log project of the ingress logs."""
    sls_logstore: str
    """Logstore of the ingress logs."""
    ingress_class: str | None
    """IngressClass of the Ingress."""
    scaling_mode: str
    """``elasticWorkload`` or ``resourcePolicy``."""
    addons: AckAddons
    """The stack's add-ons, for dependencies."""


class InferenceService(pulumi.ComponentResource):
    """Composes the model's store, volume, server, route, budget, scaling and autoscaler components.

    Every cross-reference flows from its owner: the ElasticWorkload's source (or the HPA's target, in
    resourcePolicy mode) is the Deployment name the ModelServer derives, the HPA targets the
    ElasticWorkload, the HPA's route label comes from the Ingress backend, and the PDB and ResourcePolicy
    select the pod labels the ModelServer sets.
    """

    endpoint_url: pulumi.Output[str]
    """``http(s)://<host>``."""
    prediction_url: pulumi.Output[str]
    """REST prediction URL."""
    host: pulumi.Output[str]
    """Ingress host."""
    bucket: pulumi.Output[str]
    """Bucket holding the model."""
    model_uri: pulumi.Output[str]
    """``oss://`` URI of the model base directory."""
    hpa_name: pulumi.Output[str]
    """Name of the HPA."""
    elastic_workload_name: pulumi.Output[str] | None
    """Name of the ElasticWorkload (elasticWorkload mode)."""
    resource_policy_name: pulumi.Output[str] | None
    """Name of the ResourcePolicy (resourcePolicy mode)."""
    cron_hpa_name: pulumi.Output[str] | None
    """Name of the CronHPA, when the model has schedules."""
    deployment_name: pulumi.Output[str]
    """Deployment the Seldon operator creates."""

    def __init__(self, name: str, args: InferenceServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        model = args["model"]
        aliases: list[pulumi.Input[pulumi.Alias]] = [pulumi.Alias(name=former) for former in model.former_names]
        super().__init__(
            "eci-inference:index:InferenceService",
            name,
            None,
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=aliases)),
        )
        child = pulumi.ResourceOptions(parent=self)
        ns = args["namespace"]
        base = model.deployment_name
        addons = args["addons"]

        store = ModelStore(
            f"{name}-store",
            {
                "bucket": args["bucket"],
                "prefix": args["model_prefix"],
                "model": model.name,
                "version": model.version,
                "source": model.source,
            },
            child,
        )
        volume = ModelVolume(
            f"{name}-volume",
            {
                "namespace": ns,
                "volume_name": f"{ns}-{base}-model",
                "claim_name": f"{base}-model",
                "bucket": store.bucket,
                "endpoint": args["oss_endpoint"],
                "size": model.volume_size,
                "rrsa_role_name": args["rrsa_role_name"],
                "access_key": args["access_key"],
            },
            child,
        )
        server = ModelServer(
            f"{name}-server",
            {
                "namespace": ns,
                "deployment_name": base,
                "predictor_name": model.predictor_name,
                "model_name": model.name,
                "model_base_path": store.base_path,
                "claim_name": volume.claim_name,
                "proxy_image": model.proxy_image,
                "serving_image": model.serving_image,
                "gpu": model.gpu,
                "cpu": model.cpu,
                "memory": model.memory,
                "proxy_cpu": model.proxy_cpu,
                "proxy_memory": model.proxy_memory,
                "replicas": model.replicas,
                "termination_grace_seconds": model.termination_grace_seconds,
                "pre_stop_seconds": model.pre_stop_seconds,
                "depends_on": addons.needed_by(SELDON),
            },
            child,
        )
        ingress = ModelIngress(
            f"{name}-ingress",
            {
                "namespace": ns,
                "ingress_name": base,
                "host": model.host or ack_test_domain(base, args["cluster_id"], args["region"]),
                "service_name": server.service_name,
                "service_port": server.http_port,
                "ingress_class": args["ingress_class"],
                "tls_secret": model.tls_secret,
            },
            child,
        )
        PredictorDisruptionBudget(
            f"{name}-budget",
            {
                "namespace": ns,
                "budget_name": f"{base}-pdb",
                "selector": server.pod_selector,
                "max_unavailable": model.pdb_max_unavailable,
                "min_available": model.pdb_min_available,
            },
            child,
        )
        if model.image_cache is not None:
            ModelImageCache(
                f"{name}-image-cache",
                {
                    "cache_name": f"{ns}-{base}",
                    "images": model.image_cache.images,
                    "size_gib": model.image_cache.size_gib,
                    "retention_days": model.image_cache.retention_days,
                    "depends_on": addons.needed_by(VIRTUAL_NODE),
                },
                child,
            )
        pod_policy = PodPolicy(
            spot_protection_hours=model.spot_protection_hours,
            spot_graceful_eviction=model.spot_graceful_eviction,
            image_cache=model.image_cache is not None,
        )
        self.elastic_workload_name = None
        self.resource_policy_name = None
        target: ScaleTarget
        if args["scaling_mode"] == "resourcePolicy":
            policy = ResourcePolicyScaling(
                f"{name}-resource-policy",
                {
                    "namespace": ns,
                    "policy_name": f"{base}-rp",
                    "selector": server.pod_selector,
                    "units": model.units,
                    "pod_policy": pod_policy,
                    "depends_on": addons.needed_by(VIRTUAL_NODE),
                },
                child,
            )
            self.resource_policy_name = policy.policy_name
            target = {"api_version": "apps/v1", "kind": "Deployment", "name": server.deployment_name}
        else:
            elastic = ElasticScaling(
                f"{name}-elastic",
                {
                    "namespace": ns,
                    "workload_name": f"{base}-ew",
                    "source_deployment": server.deployment_name,
                    "source_min": model.source_min,
                    "source_max": model.source_max,
                    "replicas": model.replicas,
                    "units": model.units,
                    "pod_policy": pod_policy,
                    "depends_on": addons.needed_by(ELASTIC_WORKLOAD, VIRTUAL_NODE),
                },
                child,
            )
            self.elastic_workload_name = elastic.workload_name
            target = {"api_version": elastic.api_version, "kind": elastic.kind, "name": elastic.workload_name}
        autoscaler = QpsAutoscaler(
            f"{name}-autoscaler",
            {
                "namespace": ns,
                "hpa_name": f"{base}-hpa",
                "target": target,
                "sls_project": args["sls_project"],
                "sls_logstore": args["sls_logstore"],
                "route": ingress.route,
                "min_replicas": model.min_replicas,
                "max_replicas": model.max_replicas,
                "target_qps": model.target_qps,
                "scale_up_stabilization_seconds": model.scale_up_stabilization_seconds,
                "scale_down_stabilization_seconds": model.scale_down_stabilization_seconds,
                "scheduled": bool(model.schedules),
                "depends_on": addons.needed_by(METRICS_ADAPTER),
            },
            child,
        )
        self.cron_hpa_name = None
        if model.schedules:
            cron = ScheduledScaling(
                f"{name}-schedule",
                {
                    "namespace": ns,
                    "cron_name": f"{base}-cronhpa",
                    "hpa_name": autoscaler.hpa_name,
                    "schedules": model.schedules,
                    "depends_on": addons.needed_by(CRONHPA),
                },
                child,
            )
            self.cron_hpa_name = cron.cron_name
        self.endpoint_url = ingress.endpoint_url
        self.prediction_url = ingress.prediction_url
        self.host = ingress.host
        self.bucket = store.bucket
        self.model_uri = store.model_uri
        self.hpa_name = autoscaler.hpa_name
        self.deployment_name = server.deployment_name
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, pulumi.Output[str]]:
        """The stack outputs of this model."""
        common = {
            "endpointUrl": self.endpoint_url,
            "predictionUrl": self.prediction_url,
            "ingressHost": self.host,
            "bucket": self.bucket,
            "modelUri": self.model_uri,
            "hpaName": self.hpa_name,
            "deploymentName": self.deployment_name,
        }
        optional = {
            "elasticWorkloadName": self.elastic_workload_name,
            "resourcePolicyName": self.resource_policy_name,
            "cronHpaName": self.cron_hpa_name,
        }
        return {**common, **{k: v for k, v in optional.items() if v is not None}}
