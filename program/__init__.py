"""The Pulumi program: read the stack's config once, validate it, build the stack, export its outputs.

This is the only place where the config layer meets the components: :func:`build` maps the validated
:class:`~stackconfig.models.StackConfig` onto the components' typed arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pulumi_alicloud as alicloud
import pulumi_kubernetes as k8s

from components.addons import AckAddons, AddonSpec
from components.elastic_scaling import PodPolicy, UnitSpec
from components.inference_service import CanarySettings, Dependencies, InferenceService
from components.ingress_logs import IngressAccessLogs
from components.model_bucket import ModelBucket
from components.model_volume import AccessKeyCredentials
from components.namespace import ServingNamespace
from components.naming import ModelNames, ack_test_domain, canary_sdep, kserve_model_names, model_names
from stackconfig import ConfigError, StackConfig, from_pulumi, load
from stackconfig.addons import CRONHPA, ELASTIC_WORKLOAD, KSERVE, KSERVE_CRD, METRICS_ADAPTER, SELDON, VIRTUAL_NODE
from stackconfig.models import ModelConfig, secret_value

PROJECT_DIR = Path(__file__).resolve().parent.parent


def main(project_dir: Path = PROJECT_DIR) -> None:
    """Entry point of ``__main__.py``: a config mistake ends the run with its message and no resources."""
    raw, secret_keys = from_pulumi()
    try:
        config = load(raw, secret_keys, project_dir)
    except ConfigError as error:
        raise pulumi.RunError(str(error)) from None
    for name, outputs in build(config, project_dir).items():
        pulumi.export(name, outputs)


def _secret(text: str | None) -> pulumi.Output[str] | None:
    return None if text is None else pulumi.Output.secret(text)


def kubeconfig_for(config: StackConfig, provider: alicloud.Provider) -> pulumi.Output[str]:
    """The kubeconfig from config, or else the cluster's credential from ACK; a secret either way."""
    given = _secret(secret_value(config.kubeconfig))
    if given is not None:
        return given
    credential = alicloud.cs.get_cluster_credential_output(
        cluster_id=config.cluster_id, opts=pulumi.InvokeOutputOptions(provider=provider)
    )
    return pulumi.Output.secret(credential.kube_config)


def build(config: StackConfig, project_dir: Path = PROJECT_DIR) -> dict[str, dict[str, Any]]:
    """Register every resource of the stack; return the stack outputs per model."""
    cloud = alicloud.Provider("alicloud", region=config.region)
    cluster = k8s.Provider("ack", kubeconfig=kubeconfig_for(config, cloud))
    providers = pulumi.ResourceOptions(providers=[cloud, cluster])

    namespace = ServingNamespace("namespace", {"name": config.namespace, "create": config.ns_created}, providers)
    bucket = ModelBucket(
        "models", {"bucket": config.bucket, "create": config.create_bucket, "protect": config.protect_bucket}, providers
    )
    addons = AckAddons(
        "addons",
        {
            "cluster_id": config.cluster_id,
            "addons": [AddonSpec(**addon.model_dump()) for addon in config.installed_addons],
        },
        providers,
    )
    if config.create_ingress_log_config:
        IngressAccessLogs("ingress-logs", {"project": config.log_project, "logstore": config.sls_logstore}, providers)
    access_key: AccessKeyCredentials | None = None
    if config.volume_auth == "accessKey":
        key_id = _secret(secret_value(config.oss_access_key_id))
        key_secret = _secret(secret_value(config.oss_access_key_secret))
        assert key_id is not None and key_secret is not None
        access_key = {"access_key_id": key_id, "access_key_secret": key_secret}
    depends: dict[str, Dependencies] = {
        server: {
            "server": addons.needed_by(*SERVER_ADDONS[server]),
            "elastic": addons.needed_by(ELASTIC_WORKLOAD, VIRTUAL_NODE),
            "autoscaler": addons.needed_by(METRICS_ADAPTER),
            "schedule": addons.needed_by(CRONHPA),
            "image_cache": addons.needed_by(VIRTUAL_NODE),
        }
        for server in SERVER_ADDONS
    }
    outputs: dict[str, dict[str, Any]] = {}
    for model in config.models:
        service = InferenceService(
            model.name,
            {
                "namespace": namespace.name,
                "names": _names(config, model),
                "model_name": model.name,
                "model_version": model.version,
                "predictor_name": model.predictor_name,
                "local_dir": model.local_dir(project_dir),
                "oss_location": model.oss_source,
                "bucket": bucket.bucket,
                "model_prefix": config.model_prefix,
                "oss_endpoint": config.endpoint,
                "volume_size": model.volume_size,
                "rrsa_role_name": config.rrsa_role_name if config.volume_auth == "rrsa" else None,
                "ram_role_name": config.ram_role_name if config.volume_auth == "ramRole" else None,
                "access_key": access_key,
                "server_kind": model.server,
                "server": {
                    "proxy_image": model.proxy_image,
                    "serving_image": model.serving_image,
                    "gpu": model.gpu,
                    "cpu": model.cpu,
                    "memory": model.memory,
                    "proxy_cpu": model.proxy_cpu,
                    "proxy_memory": model.proxy_memory,
                    "termination_grace_seconds": model.termination_grace_period_seconds,
                    "pre_stop_seconds": model.pre_stop_seconds,
                    "model_load_timeout_seconds": model.model_load_timeout_seconds,
                },
                "executor_image": config.executor_image,
                "restricted": config.prod_like,
                "host": model.host or ack_test_domain(model.server_name, config.cluster_id, config.region),
                "tls_secret": model.tls_secret,
                "ingress_class": config.ingress_class,
                "pdb_max_unavailable": model.pdb[0],
                "pdb_min_available": model.pdb[1],
                "scaling_mode": config.scaling_mode,
                "units": _units(model),
                "pod_policy": PodPolicy(
                    spot_protection_hours=model.spot_protection_hours,
                    spot_graceful_eviction=model.spot_graceful_eviction,
                    image_cache=model.image_cache is not None,
                    ram_role_name=config.ram_role_name if config.volume_auth == "ramRole" else None,
                ),
                "source_min": model.source_min,
                "source_max": model.source_max,
                "autoscaler": {
                    "min_replicas": model.min_replicas,
                    "max_replicas": model.max_replicas,
                    "target_qps": model.target_qps,
                    "scale_up_stabilization_seconds": model.scale_up_stabilization_seconds,
                    "scale_down_stabilization_seconds": model.scale_down_stabilization_seconds,
                    "scale_up_pods": model.scale_up_pods,
                    "scale_up_percent": model.scale_up_percent,
                    "scale_down_percent": model.scale_down_percent,
                    "sls_project": config.log_project,
                    "sls_logstore": config.sls_logstore,
                },
                "cron_jobs": [
                    {"name": s.name, "schedule": s.controller_cron, "target_size": s.target_size} for s in model.schedules
                ],
                "image_cache": None
                if model.image_cache is None
                else {
                    "extra_images": model.image_cache.extra_images,
                    "size_gib": model.image_cache.size_gib,
                    "retention_days": model.image_cache.retention_days,
                },
                "depends": depends[model.server],
                "former_names": model.former_names,
                "canary": _canary(config, model, project_dir),
                "keep_dropped_versions": config.protect_bucket or not config.create_bucket,
            },
            providers,
        )
        outputs[model.name] = service.outputs()
    return outputs


SERVER_ADDONS = {"seldon": (SELDON,), "kserve": (KSERVE_CRD, KSERVE)}
"""The add-ons a model's server objects wait for."""


def _names(config: StackConfig, model: ModelConfig, server_name: str | None = None) -> ModelNames:
    """The names of the model's objects, or of its canary's (``server_name``: the canary's server object)."""
    if model.server == "kserve":
        return kserve_model_names(config.namespace, server_name or model.server_name)
    prefix = config.deployment_name_as_prefix
    return model_names(config.namespace, server_name or model.sdep_name, model.predictor_name, prefix)


def _canary(config: StackConfig, model: ModelConfig, project_dir: Path) -> CanarySettings | None:
    canary = model.canary
    if canary is None:
        return None
    return {
        "version": canary.version,
        "weight": canary.weight,
        "local_dir": model.canary_local_dir(project_dir),
        "names": _names(config, model, canary_sdep(model.server_name)),
        "min_replicas": canary.min_replicas,
        "max_replicas": canary.max_replicas,
    }


def _units(model: ModelConfig) -> list[UnitSpec]:
    return [
        UnitSpec(
            name=u.name,
            max=u.max,
            min=u.min,
            resource=u.resource,
            specs=tuple(u.specs or ()),
            node_pool_id=u.node_pool_id,
            spot_strategy=u.spot_strategy,
            price_limit=u.price_limit,
        )
        for u in model.units
    ]
