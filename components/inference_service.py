"""One served model, end to end: model files, volume, server, route, elastic units and autoscaler."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal, TypedDict

import pulumi

from components.disruption_budget import PredictorDisruptionBudget
from components.elastic_scaling import ElasticScaling, PodPolicy, UnitSpec
from components.image_cache import ModelImageCache
from components.ingress import ModelIngress
from components.kserve_server import KServeServer
from components.model_server import ModelServer, ServerSettings
from components.model_store import ModelStore
from components.model_volume import AccessKeyCredentials, ModelVolume
from components.naming import (
    KSERVE_PREDICTION_PATH,
    PREDICTION_PATH,
    SELDON_HTTP_PORT,
    TFSERVING_REST_PORT,
    ModelNames,
    pod_images,
)
from components.network_policy import ACK_INGRESS_CONTROLLER, PredictorNetworkPolicy
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
    scale_up_pods: int
    """Pods the HPA may add per 15 s."""
    scale_up_percent: int
    """Percent of the pods the HPA may add per 15 s."""
    scale_down_percent: int
    """Percent of the pods the HPA may remove per minute."""
    sls_project: str
    """Log project with the ingress logs."""
    sls_logstore: str
    """Logstore of the ingress logs."""


class Dependencies(TypedDict):
    """What each part waits for (the add-ons its objects need), chosen by the program from the add-on catalog."""

    server: Sequence[pulumi.Resource]
    """The Seldon operator."""
    elastic: Sequence[pulumi.Resource]
    """The ElasticWorkload controller and the virtual node (elasticWorkload mode), or the virtual node."""
    autoscaler: Sequence[pulumi.Resource]
    """The metrics adapter."""
    schedule: Sequence[pulumi.Resource]
    """The CronHPA controller."""
    image_cache: Sequence[pulumi.Resource]
    """The virtual node (it installs the ImageCache CRD)."""


class CanarySettings(TypedDict):
    """A second server for another version of the model, taking a share of the model host's requests."""

    version: int
    """Version the canary serves (never the model's ``version``)."""
    weight: int
    """Percentage (0-100) of the host's requests ingress-nginx sends to the canary."""
    local_dir: Path | None
    """Local SavedModel directory of that version to upload, or None when ``oss_location`` holds it."""
    names: ModelNames
    """The canary's own names (SeldonDeployment, Deployment, Service, Ingress, HPA, ...); the volume is shared."""
    min_replicas: int
    """Fewest canary replicas."""
    max_replicas: int
    """Most canary replicas (its own small capacity on the model's units)."""


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
    """Images, resources, grace period and probe timing of the server."""
    executor_image: str
    """The executor image the Seldon operator injects into every predictor pod (from its chart values)."""
    restricted: bool
    """Prod-like stack: restricted predictor pods, and a NetworkPolicy that admits only ACK's Ingress controller."""
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
    canary: CanarySettings | None
    """A canary of another version, or None."""
    keep_dropped_versions: bool
    """Leave a version's uploaded objects in the bucket when the stack stops serving it."""


class _Side(TypedDict):
    """What one server (the model's, or its canary) registered."""

    server: ModelServer | KServeServer
    ingress: ModelIngress
    hpa_name: pulumi.Output[str]
    elastic_workload_name: pulumi.Output[str] | None
    resource_policy_name: pulumi.Output[str] | None


SERVER_NAME_OUTPUT = {"seldon": "seldonDeploymentName", "kserve": "inferenceServiceName"}
"""The stack output that names the server object."""
PROTOCOL = {"seldon": "seldon", "kserve": "kserve-v1"}
"""The request protocol of the model's endpoint (``tools.loadtest --protocol``): Seldon's REST, or TF Serving's own
REST API, which is KServe's v1 protocol."""


def pod_http_port(server_kind: str) -> int:
    """The pod port behind the predictor Service's HTTP port, which the Ingress controller connects to: the Seldon
    executor's (seldon-core 1.17.1 ``DEFAULT_EXECUTOR_CONTAINER_PORT``), or TF Serving's REST port, which KServe's
    Service targets as the container's first port (``components/kserve_server.py``)."""
    return SELDON_HTTP_PORT if server_kind == "seldon" else TFSERVING_REST_PORT


def prediction_path(server_kind: str, model_name: str) -> str:
    """The REST prediction path: Seldon's, or TF Serving's ``/v1/models/<m>:predict`` (KServe's v1 protocol)."""
    return PREDICTION_PATH if server_kind == "seldon" else KSERVE_PREDICTION_PATH.format(model=model_name)


class InferenceService(pulumi.ComponentResource):
    """Composes the model's store, volume, server, route, budget, scaling and autoscaler components.

    Every cross-reference flows from its owner: the ElasticWorkload's source (or the HPA's target, in
    resourcePolicy mode) is the Deployment name the ModelServer derives, the HPA targets the
    ElasticWorkload, the HPA's route label comes from the Ingress backend, and the PDB and ResourcePolicy
    select the pod labels the ModelServer sets.

    A canary is a second such side (server, canary Ingress, budget, scaling, HPA) for another version, sharing the
    store and the volume; its server waits for its own version's objects like the model's server does for its
    version. Its HPA scales on its weight's share of the host's route, the only series that counts its requests
    (components/qps_autoscaler.py); the model's HPA keeps counting the whole host, so the model's side stays sized for
    all of it and a roll back needs no scale-out.
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
    traffic: list[dict[str, Any]]
    """Which version serves which share of the host's requests, and on which server object."""
    canary_outputs: dict[str, pulumi.Output[str]]
    """Names of the canary's objects (empty without a canary)."""

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
        canary = args["canary"]
        versions: dict[int, Path] = {}
        if args["local_dir"] is not None:
            versions[args["model_version"]] = args["local_dir"]
        if canary is not None and canary["local_dir"] is not None:
            versions[canary["version"]] = canary["local_dir"]
        store = ModelStore(
            f"{name}-store",
            {
                "bucket": args["bucket"],
                "prefix": args["model_prefix"],
                "model": args["model_name"],
                "versions": versions,
                "former_version": args["model_version"],
                "keep_dropped_versions": args["keep_dropped_versions"],
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
        main = self._side(
            name,
            args,
            store,
            volume,
            names=names,
            version=args["model_version"],
            canary_weight=None,
            units=args["units"],
            source_min=args["source_min"],
            replicas=(args["autoscaler"]["min_replicas"], args["autoscaler"]["max_replicas"]),
            scheduled=bool(args["cron_jobs"]),
            metric_route=None,
            traffic_share=100,
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
        self.cron_hpa_name = None
        if args["cron_jobs"]:
            cron = ScheduledScaling(
                f"{name}-schedule",
                {
                    "namespace": ns,
                    "cron_name": names.cron_hpa,
                    "hpa_name": main["hpa_name"],
                    "jobs": args["cron_jobs"],
                    "depends_on": depends["schedule"],
                },
                child,
            )
            self.cron_hpa_name = cron.cron_name
        self.traffic = [
            {
                "version": args["model_version"],
                "weight": 100 - (canary["weight"] if canary else 0),
                SERVER_NAME_OUTPUT[args["server_kind"]]: names.sdep,
            }
        ]
        self.canary_outputs = {}
        if canary is not None:
            side = self._side(
                f"{name}-canary",
                args,
                store,
                volume,
                names=canary["names"],
                version=canary["version"],
                canary_weight=canary["weight"],
                # The canary's capacity is its HPA's alone: no unit keeps pods for it.
                units=[replace(u, min=0) for u in args["units"]],
                source_min=0,
                # With weight 0 the canary gets no request: its HPA has nothing to scale on.
                replicas=(canary["min_replicas"], canary["max_replicas"] if canary["weight"] else canary["min_replicas"]),
                scheduled=False,
                # ingress-nginx logs the canary's requests under the host's route (components/qps_autoscaler.py).
                metric_route=main["ingress"].route,
                traffic_share=canary["weight"] or 100,
            )
            self.traffic.append(
                {
                    "version": canary["version"],
                    "weight": canary["weight"],
                    SERVER_NAME_OUTPUT[args["server_kind"]]: canary["names"].sdep,
                }
            )
            optional = {"ElasticWorkloadName": side["elastic_workload_name"], "ResourcePolicyName": side["resource_policy_name"]}
            self.canary_outputs = {
                "canary" + _capital(SERVER_NAME_OUTPUT[args["server_kind"]]): side["server"].server_name,
                "canaryPredictorDeploymentName": side["server"].predictor_deployment,
                "canaryIngressName": side["ingress"].ingress_name,
                "canaryHpaName": side["hpa_name"],
                **{f"canary{k}": v for k, v in optional.items() if v is not None},
            }
        self.endpoint_url = main["ingress"].endpoint_url
        self.prediction_url = main["ingress"].prediction_url
        self.host = main["ingress"].host
        self.bucket = store.bucket
        self.model_uri = store.model_uri
        self.hpa_name = main["hpa_name"]
        self.elastic_workload_name = main["elastic_workload_name"]
        self.resource_policy_name = main["resource_policy_name"]
        self.server_kind = args["server_kind"]
        self.server_name = main["server"].server_name
        self.predictor_deployment = main["server"].predictor_deployment
        self.register_outputs(self.outputs())

    def _side(
        self,
        name: str,
        args: InferenceServiceArgs,
        store: ModelStore,
        volume: ModelVolume,
        *,
        names: ModelNames,
        version: int,
        canary_weight: int | None,
        units: Sequence[UnitSpec],
        source_min: int,
        replicas: tuple[int, int],
        scheduled: bool,
        metric_route: pulumi.Output[str] | None,
        traffic_share: int,
    ) -> _Side:
        """One server of ``version`` and what routes to it and scales it; logical names start with ``name``.

        Its HPA counts the requests logged under ``metric_route`` (its own Ingress's route when None) and scales on
        ``traffic_share`` % of them.
        """
        child = pulumi.ResourceOptions(parent=self)
        ns, depends, scaling = args["namespace"], args["depends"], args["autoscaler"]
        # Every object of the version is uploaded before a pod template refers to it.
        server = self._server(name, args, names, version, store.base_path, volume.claim_name, store.uploads.get(version, []))
        if args["restricted"]:
            PredictorNetworkPolicy(
                f"{name}-network-policy",
                {
                    "namespace": ns,
                    "policy_name": names.network_policy,
                    "selector": server.pod_selector,
                    "ports": [pod_http_port(args["server_kind"])],
                    "ingress_controller": ACK_INGRESS_CONTROLLER,
                },
                child,
            )
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
                "canary_weight": canary_weight,
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
                # The model's budget is checked against the model's maxReplicas; the canary's few pods get the
                # default budget, one unavailable at a time, which never blocks every eviction.
                "max_unavailable": args["pdb_max_unavailable"] if canary_weight is None else 1,
                "min_available": args["pdb_min_available"] if canary_weight is None else None,
            },
            child,
        )
        elastic_workload_name: pulumi.Output[str] | None = None
        resource_policy_name: pulumi.Output[str] | None = None
        target: ScaleTarget
        if args["scaling_mode"] == "resourcePolicy":
            policy = ResourcePolicyScaling(
                f"{name}-resource-policy",
                {
                    "namespace": ns,
                    "policy_name": names.resource_policy,
                    "selector": server.pod_selector,
                    "units": units,
                    "pod_policy": args["pod_policy"],
                    "depends_on": depends["elastic"],
                },
                child,
            )
            resource_policy_name = policy.policy_name
            target = {"api_version": "apps/v1", "kind": "Deployment", "name": server.predictor_deployment}
        else:
            elastic = ElasticScaling(
                f"{name}-elastic",
                {
                    "namespace": ns,
                    "workload_name": names.elastic_workload,
                    "source_deployment": server.predictor_deployment,
                    "source_min": source_min,
                    "source_max": args["source_max"],
                    "initial_replicas": replicas[0],
                    "units": units,
                    "pod_policy": args["pod_policy"],
                    "depends_on": depends["elastic"],
                },
                child,
            )
            elastic_workload_name = elastic.workload_name
            target = {"api_version": elastic.api_version, "kind": elastic.kind, "name": elastic.workload_name}
        autoscaler = QpsAutoscaler(
            f"{name}-autoscaler",
            {
                "namespace": ns,
                "hpa_name": names.hpa,
                "target": target,
                "sls_project": scaling["sls_project"],
                "sls_logstore": scaling["sls_logstore"],
                "route": ingress.route if metric_route is None else metric_route,
                "min_replicas": replicas[0],
                "max_replicas": replicas[1],
                "target_qps": scaling["target_qps"],
                "traffic_share": traffic_share,
                "scale_up_stabilization_seconds": scaling["scale_up_stabilization_seconds"],
                "scale_down_stabilization_seconds": scaling["scale_down_stabilization_seconds"],
                "scale_up_pods": scaling["scale_up_pods"],
                "scale_up_percent": scaling["scale_up_percent"],
                "scale_down_percent": scaling["scale_down_percent"],
                "scheduled": scheduled,
                "depends_on": depends["autoscaler"],
            },
            child,
        )
        return {
            "server": server,
            "ingress": ingress,
            "hpa_name": autoscaler.hpa_name,
            "elastic_workload_name": elastic_workload_name,
            "resource_policy_name": resource_policy_name,
        }

    def _server(
        self,
        name: str,
        args: InferenceServiceArgs,
        names: ModelNames,
        version: int,
        base_path: pulumi.Input[str],
        claim_name: pulumi.Input[str],
        uploads: Sequence[pulumi.Resource],
    ) -> ModelServer | KServeServer:
        """The server of ``version``: both kinds give the same outputs, so nothing after this knows which it has."""
        child = pulumi.ResourceOptions(parent=self)
        settings = args["server"]
        depends_on = [*args["depends"]["server"], *uploads]
        if args["server_kind"] == "kserve":
            return KServeServer(
                f"{name}-kserve",
                {
                    "namespace": args["namespace"],
                    "names": names,
                    "model_name": args["model_name"],
                    "model_version": version,
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
                    "depends_on": depends_on,
                    "restricted": args["restricted"],
                },
                child,
            )
        return ModelServer(
            f"{name}-server",
            {
                "namespace": args["namespace"],
                "names": names,
                "predictor_name": args["predictor_name"],
                "model_name": args["model_name"],
                "model_version": version,
                "model_base_path": base_path,
                "claim_name": claim_name,
                "settings": settings,
                "depends_on": depends_on,
                "restricted": args["restricted"],
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

    def outputs(self) -> dict[str, Any]:
        """The stack outputs of this model."""
        common: dict[str, Any] = {
            "endpointUrl": self.endpoint_url,
            "predictionUrl": self.prediction_url,
            "ingressHost": self.host,
            "bucket": self.bucket,
            "modelUri": self.model_uri,
            "hpaName": self.hpa_name,
            SERVER_NAME_OUTPUT[self.server_kind]: self.server_name,
            "predictorDeploymentName": self.predictor_deployment,
            "protocol": PROTOCOL[self.server_kind],
            "traffic": self.traffic,
        }
        optional = {
            "elasticWorkloadName": self.elastic_workload_name,
            "resourcePolicyName": self.resource_policy_name,
            "cronHpaName": self.cron_hpa_name,
        }
        return {**common, **{k: v for k, v in optional.items() if v is not None}, **self.canary_outputs}


def _capital(key: str) -> str:
    return key[0].upper() + key[1:]
