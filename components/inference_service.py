"""One served model, end to end: model files, volume, server, route, elastic units and autoscaler."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal, TypedDict

import pulumi

from components.disruption_budget import PredictorDisruptionBudget
from components.elastic_scaling import ElasticScaling, PodPolicy, UnitSpec
from components.image_cache import ModelImageCache
from components.ingress import ModelIngress
from components.kserve_server import KServeServer
from components.model_server import ModelServer, ServerSettings
from components.model_store import ModelStore
from components.model_volume import AccessKeyCredentials, ModelVolume
from components.naming import KSERVE_PREDICTION_PATH, PREDICTION_PATH, ModelNames, pod_images
from components.qps_autoscaler import QpsAutoscaler, ScaleTarget
from components.resource_policy import ResourcePolicyScaling
from components.scheduled_scaling import CronJob, ScheduledScaling


class ImageCacheSettings(TypedDict):
    """The model's ECI ImageCache."""

    extra_images: Sequence[str]
    """Images to cache besides the ones the predictor pod runs (those are always cached)."""
    size_gib: int
    """Size of the cache disk in GiB."""
    retention_days: int | None
    """Days ECI keeps the cache unused; None keeps it until deleted."""


class AutoscalerSettings(TypedDict):
    """The HPA's bounds, target and behavior windows."""

    min_replicas: int
    """Fewest replicas; also the count the ElasticWorkload starts with."""
    max_replicas: int
    """Most replicas."""
    target_qps: int
    """QPS per replica above which it scales out."""
    scale_up_stabilization_seconds: int
    """Scale-up window."""
    scale_down_stabilization_seconds: int
    """Scale-down window."""
    sls_project: str
    """Log project with the ingress logs."""
    sls_logstore: str
    """Logstore of the ingress logs."""


class Dependencies(TypedDict):
    """What each part waits for (the add-ons its objects need), chosen by the program from the add-on catalog."""

    server: Sequence[pulumi.Resource]
    """The model server's operator: Seldon's, or KServe's controller and CRDs."""
    elastic: Sequence[pulumi.Resource]
    """The ElasticWorkload controller and the virtual node (elasticWorkload mode), or the virtual node."""
    autoscaler: Sequence[pulumi.Resource]
    """The metrics adapter."""
    schedule: Sequence[pulumi.Resource]
    """The CronHPA controller."""
    image_cache: Sequence[pulumi.Resource]
    """The virtual node (it installs the ImageCache CRD)."""


class InferenceServiceArgs(TypedDict):
    """Inputs of :class:`InferenceService`: plain values from the validated config, and the stack's shared parts."""

    namespace: pulumi.Input[str]
    """Namespace of every namespaced object (from the namespace component, so objects wait for it)."""
    names: ModelNames
    """Every Kubernetes name of this model's objects."""
    model_name: str
    """Model name (TF Serving's ``--model_name``, the directory under ``model_prefix``)."""
    model_version: int
    """Version directory TF Serving loads."""
    predictor_name: str
    """Seldon predictor name."""
    local_dir: Path | None
    """Local SavedModel directory to upload, or None."""
    oss_location: tuple[str, str] | None
    """``(bucket, path)`` of an existing model location, or None."""
    bucket: pulumi.Input[str]
    """The stack's model bucket."""
    model_prefix: str
    """Object prefix of uploaded models."""
    oss_endpoint: str
    """Endpoint the CSI driver mounts from."""
    volume_size: str
    """Capacity written on the PV and PVC."""
    rrsa_role_name: str | None
    """RAM role for the volume (RRSA), or None."""
    ram_role_name: str | None
    """RAM role of the ECI instances for the volume, or None."""
    access_key: AccessKeyCredentials | None
    """AccessKey pair for the volume's Secret when RRSA is not used."""
    server_kind: Literal["seldon", "kserve"]
    """Which server serves the model: a SeldonDeployment, or a KServe InferenceService."""
    server: ServerSettings
    """Images, resources, grace period and probe timing of the server (the proxy's only with Seldon)."""
    executor_image: str
    """The executor image the Seldon operator injects into every predictor pod (from its chart values)."""
    host: str
    """Ingress host."""
    tls_secret: str | None
    """TLS Secret for ``host``."""
    ingress_class: str | None
    """IngressClass of the Ingress."""
    pdb_max_unavailable: int | None
    """PodDisruptionBudget ``maxUnavailable``."""
    pdb_min_available: int | None
    """PodDisruptionBudget ``minAvailable``."""
    scaling_mode: str
    """``elasticWorkload`` or ``resourcePolicy``."""
    units: Sequence[UnitSpec]
    """Ordered elastic units."""
    pod_policy: PodPolicy
    """Spot protection, graceful eviction and image cache settings of the ECI pods."""
    source_min: int
    """Replicas kept on the source Deployment at least (elasticWorkload mode)."""
    source_max: int
    """Replicas the source Deployment holds before the units fill (elasticWorkload mode)."""
    autoscaler: AutoscalerSettings
    """The HPA."""
    cron_jobs: Sequence[CronJob]
    """CronHPA jobs; none means no CronHPA."""
    image_cache: ImageCacheSettings | None
    """The ECI ImageCache, or None."""
    depends: Dependencies
    """The add-ons each part waits for."""
    former_names: Sequence[str]
    """Names this model had before (aliases, so a rename keeps the resources)."""


SERVER_NAME_OUTPUT = {"seldon": "seldonDeploymentName", "kserve": "inferenceServiceName"}
"""The stack output that names the server object."""
PROTOCOL = {"seldon": "seldon", "kserve": "kserve-v1"}
"""The request protocol of the model's endpoint (``tools.loadtest --protocol``): Seldon's REST, or TF Serving's own
REST API, which is KServe's v1 protocol."""


def prediction_path(server_kind: str, model_name: str) -> str:
    """The REST prediction path: Seldon's, or TF Serving's ``/v1/models/<m>:predict`` (KServe's v1 protocol)."""
    return PREDICTION_PATH if server_kind == "seldon" else KSERVE_PREDICTION_PATH.format(model=model_name)


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
    server_name: pulumi.Output[str]
    """Name of the SeldonDeployment or InferenceService."""
    predictor_deployment: pulumi.Output[str]
    """Deployment the server's operator creates from it."""

    def __init__(self, name: str, args: InferenceServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        aliases: list[pulumi.Input[pulumi.Alias]] = [pulumi.Alias(name=former) for former in args["former_names"]]
        super().__init__(
            "eci-inference:index:InferenceService",
            name,
            None,
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=aliases)),
        )
        child = pulumi.ResourceOptions(parent=self)
        ns, names, depends = args["namespace"], args["names"], args["depends"]

        store = ModelStore(
            f"{name}-store",
            {
                "bucket": args["bucket"],
                "prefix": args["model_prefix"],
                "model": args["model_name"],
                "version": args["model_version"],
                "local_dir": args["local_dir"],
                "oss_location": args["oss_location"],
            },
            child,
        )
        volume = ModelVolume(
            f"{name}-volume",
            {
                "namespace": ns,
                "volume_name": names.volume,
                "claim_name": names.claim,
                "secret_name": names.credentials,
                "bucket": store.bucket,
                "endpoint": args["oss_endpoint"],
                "size": args["volume_size"],
                "rrsa_role_name": args["rrsa_role_name"],
                "ram_role_name": args["ram_role_name"],
                "access_key": args["access_key"],
            },
            child,
        )
        server = self._server(name, args, store.base_path, volume.claim_name, child)
        ingress = ModelIngress(
            f"{name}-ingress",
            {
                "namespace": ns,
                "ingress_name": names.ingress,
                "host": args["host"],
                "service_name": server.service_name,
                "service_port": server.http_port,
                "ingress_class": args["ingress_class"],
                "tls_secret": args["tls_secret"],
                "prediction_path": prediction_path(args["server_kind"], args["model_name"]),
            },
            child,
        )
        PredictorDisruptionBudget(
            f"{name}-budget",
            {
                "namespace": ns,
                "budget_name": names.budget,
                "selector": server.pod_selector,
                "max_unavailable": args["pdb_max_unavailable"],
                "min_available": args["pdb_min_available"],
            },
            child,
        )
        cache = args["image_cache"]
        if cache is not None:
            ModelImageCache(
                f"{name}-image-cache",
                {
                    "cache_name": names.image_cache,
                    "images": list(dict.fromkeys([*self.pod_images(args), *cache["extra_images"]])),
                    "size_gib": cache["size_gib"],
                    "retention_days": cache["retention_days"],
                    "depends_on": depends["image_cache"],
                },
                child,
            )
        scaling = args["autoscaler"]
        self.elastic_workload_name = None
        self.resource_policy_name = None
        target: ScaleTarget
        if args["scaling_mode"] == "resourcePolicy":
            policy = ResourcePolicyScaling(
                f"{name}-resource-policy",
                {
                    "namespace": ns,
                    "policy_name": names.resource_policy,
                    "selector": server.pod_selector,
                    "units": args["units"],
                    "pod_policy": args["pod_policy"],
                    "depends_on": depends["elastic"],
                },
                child,
            )
            self.resource_policy_name = policy.policy_name
            target = {"api_version": "apps/v1", "kind": "Deployment", "name": server.predictor_deployment}
        else:
            elastic = ElasticScaling(
                f"{name}-elastic",
                {
                    "namespace": ns,
                    "workload_name": names.elastic_workload,
                    "source_deployment": server.predictor_deployment,
                    "source_min": args["source_min"],
                    "source_max": args["source_max"],
                    "initial_replicas": scaling["min_replicas"],
                    "units": args["units"],
                    "pod_policy": args["pod_policy"],
                    "depends_on": depends["elastic"],
                },
                child,
            )
            self.elastic_workload_name = elastic.workload_name
            target = {"api_version": elastic.api_version, "kind": elastic.kind, "name": elastic.workload_name}
        autoscaler = QpsAutoscaler(
            f"{name}-autoscaler",
            {
                "namespace": ns,
                "hpa_name": names.hpa,
                "target": target,
                "sls_project": scaling["sls_project"],
                "sls_logstore": scaling["sls_logstore"],
                "route": ingress.route,
                "min_replicas": scaling["min_replicas"],
                "max_replicas": scaling["max_replicas"],
                "target_qps": scaling["target_qps"],
                "scale_up_stabilization_seconds": scaling["scale_up_stabilization_seconds"],
                "scale_down_stabilization_seconds": scaling["scale_down_stabilization_seconds"],
                "scheduled": bool(args["cron_jobs"]),
                "depends_on": depends["autoscaler"],
            },
            child,
        )
        self.cron_hpa_name = None
        if args["cron_jobs"]:
            cron = ScheduledScaling(
                f"{name}-schedule",
                {
                    "namespace": ns,
                    "cron_name": names.cron_hpa,
                    "hpa_name": autoscaler.hpa_name,
                    "jobs": args["cron_jobs"],
                    "depends_on": depends["schedule"],
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
        self.server_kind = args["server_kind"]
        self.server_name = server.server_name
        self.predictor_deployment = server.predictor_deployment
        self.register_outputs(self.outputs())

    @staticmethod
    def _server(
        name: str,
        args: InferenceServiceArgs,
        base_path: pulumi.Input[str],
        claim_name: pulumi.Input[str],
        child: pulumi.ResourceOptions,
    ) -> ModelServer | KServeServer:
        """The model's server: both kinds give the same outputs, so nothing after this knows which it has."""
        settings = args["server"]
        if args["server_kind"] == "kserve":
            return KServeServer(
                f"{name}-kserve",
                {
                    "namespace": args["namespace"],
                    "names": args["names"],
                    "model_name": args["model_name"],
                    "model_version": args["model_version"],
                    "model_base_path": base_path,
                    "claim_name": claim_name,
                    "container": {
                        "image": settings["serving_image"],
                        "gpu": settings["gpu"],
                        "cpu": settings["cpu"],
                        "memory": settings["memory"],
                        "pre_stop_seconds": settings["pre_stop_seconds"],
                        "model_load_timeout_seconds": settings["model_load_timeout_seconds"],
                    },
                    "termination_grace_seconds": settings["termination_grace_seconds"],
                    "depends_on": args["depends"]["server"],
                },
                child,
            )
        return ModelServer(
            f"{name}-server",
            {
                "namespace": args["namespace"],
                "names": args["names"],
                "predictor_name": args["predictor_name"],
                "model_name": args["model_name"],
                "model_version": args["model_version"],
                "model_base_path": base_path,
                "claim_name": claim_name,
                "settings": settings,
                "depends_on": args["depends"]["server"],
            },
            child,
        )

    @staticmethod
    def pod_images(args: InferenceServiceArgs) -> tuple[str, ...]:
        """Every image the predictor pod runs: with Seldon, the server's two images as the ModelServer gets them and
        the executor; with KServe, TF Serving alone (``components/kserve_server.py``: KServe v0.20.0 adds no
        container to a custom predictor without a logger, batcher or storage URI)."""
        server = args["server"]
        if args["server_kind"] == "kserve":
            return (server["serving_image"],)
        return pod_images(server["proxy_image"], server["serving_image"], args["executor_image"])

    def outputs(self) -> dict[str, pulumi.Output[str]]:
        """The stack outputs of this model."""
        common = {
            "endpointUrl": self.endpoint_url,
            "predictionUrl": self.prediction_url,
            "ingressHost": self.host,
            "bucket": self.bucket,
            "modelUri": self.model_uri,
            "hpaName": self.hpa_name,
            SERVER_NAME_OUTPUT[self.server_kind]: self.server_name,
            "predictorDeploymentName": self.predictor_deployment,
            "protocol": pulumi.Output.from_input(PROTOCOL[self.server_kind]),
        }
        optional = {
            "elasticWorkloadName": self.elastic_workload_name,
            "resourcePolicyName": self.resource_policy_name,
            "cronHpaName": self.cron_hpa_name,
        }
        return {**common, **{k: v for k, v in optional.items() if v is not None}}
