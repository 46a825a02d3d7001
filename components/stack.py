"""Builds a whole stack from its validated configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_alicloud as alicloud
import pulumi_kubernetes as k8s

from components.addons import AckAddons
from components.config import StackConfig
from components.inference_service import InferenceService
from components.model_bucket import ModelBucket
from components.model_volume import AccessKeyCredentials


@dataclass(frozen=True)
class StackSecrets:
    """Secret config values; :func:`build` wraps each in ``pulumi.Output.secret`` before any use."""

    kubeconfig: str | None = field(default=None, repr=False)
    access_key_id: str | None = field(default=None, repr=False)
    access_key_secret: str | None = field(default=None, repr=False)


def _secret(text: str | None) -> pulumi.Output[str] | None:
    return None if text is None else pulumi.Output.secret(text)


def kubeconfig_for(cfg: StackConfig, kubeconfig: pulumi.Output[str] | None, provider: alicloud.Provider) -> pulumi.Output[str]:
    """The kubeconfig from config, or else the cluster's credential from ACK; a secret either way."""
    if kubeconfig is not None:
        return kubeconfig
    credential = alicloud.cs.get_cluster_credential_output(
        cluster_id=cfg.cluster_id, opts=pulumi.InvokeOutputOptions(provider=provider)
    )
    return pulumi.Output.secret(credential.kube_config)


def build(cfg: StackConfig, secrets: StackSecrets) -> dict[str, dict[str, Any]]:
    """Register every resource of the stack; return the stack outputs per model."""
    cloud = alicloud.Provider("alicloud", region=cfg.region)
    cluster = k8s.Provider("ack", kubeconfig=kubeconfig_for(cfg, _secret(secrets.kubeconfig), cloud))
    providers = pulumi.ResourceOptions(providers=[cloud, cluster])

    bucket = ModelBucket("models", {"bucket": cfg.bucket, "create": cfg.create_bucket, "protect": cfg.protect_bucket}, providers)
    addons = AckAddons("addons", {"cluster_id": cfg.cluster_id, "addons": cfg.addons}, providers)

    access_key: AccessKeyCredentials | None = None
    if cfg.volume_auth == "accessKey":
        key_id, key_secret = _secret(secrets.access_key_id), _secret(secrets.access_key_secret)
        assert key_id is not None and key_secret is not None
        access_key = {"access_key_id": key_id, "access_key_secret": key_secret}

    outputs: dict[str, dict[str, Any]] = {}
    for model in cfg.models:
        service = InferenceService(
            model.name,
            {
                "model": model,
                "namespace": cfg.namespace,
                "cluster_id": cfg.cluster_id,
                "region": cfg.region,
                "bucket": bucket.bucket,
                "model_prefix": cfg.model_prefix,
                "oss_endpoint": cfg.oss_endpoint,
                "rrsa_role_name": cfg.rrsa_role_name if cfg.volume_auth == "rrsa" else None,
                "access_key": access_key,
                "sls_project": cfg.sls_project,
                "sls_logstore": cfg.sls_logstore,
                "ingress_class": cfg.ingress_class,
                "scaling_mode": cfg.scaling_mode,
                "addons": addons,
            },
            providers,
        )
        outputs[model.name] = service.outputs()
    return outputs
