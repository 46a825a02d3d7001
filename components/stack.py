"""Builds a whole stack from its validated configuration."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_alicloud as alicloud
import pulumi_kubernetes as k8s

from components.addons import AckAddons
from components.config import StackConfig
from components.inference_service import InferenceService
from components.model_bucket import ModelBucket
from components.model_volume import AccessKeyCredentials


class StackSecrets:
    """Secret config values, each already wrapped as a Pulumi secret."""

    def __init__(
        self,
        kubeconfig: pulumi.Output[str] | None = None,
        access_key_id: pulumi.Output[str] | None = None,
        access_key_secret: pulumi.Output[str] | None = None,
    ) -> None:
        self.kubeconfig = kubeconfig
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret


def kubeconfig_for(cfg: StackConfig, secrets: StackSecrets, provider: alicloud.Provider) -> pulumi.Output[str]:
    """The kubeconfig from config, or else the cluster's credential from ACK; a secret either way."""
    if secrets.kubeconfig is not None:
        return pulumi.Output.secret(secrets.kubeconfig)
    credential = alicloud.cs.get_cluster_credential_output(
        cluster_id=cfg.cluster_id, opts=pulumi.InvokeOutputOptions(provider=provider)
    )
    return pulumi.Output.secret(credential.kube_config)


def build(cfg: StackConfig, secrets: StackSecrets) -> dict[str, dict[str, Any]]:
    """Register every resource of the stack; return the stack outputs per model."""
    cloud = alicloud.Provider("alicloud", region=cfg.region)
    cluster = k8s.Provider("ack", kubeconfig=kubeconfig_for(cfg, secrets, cloud))
    providers = pulumi.ResourceOptions(providers=[cloud, cluster])

    bucket = ModelBucket("models", {"bucket": cfg.bucket, "create": cfg.create_bucket, "protect": cfg.protect_bucket}, providers)
    addons = AckAddons("addons", {"cluster_id": cfg.cluster_id, "addons": cfg.addons}, providers)

    access_key: AccessKeyCredentials | None = None
    if cfg.volume_auth == "accessKey":
        assert secrets.access_key_id is not None and secrets.access_key_secret is not None
        access_key = {"access_key_id": secrets.access_key_id, "access_key_secret": secrets.access_key_secret}

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
                "addons": addons,
            },
            providers,
        )
        outputs[model.name] = service.outputs()
    return outputs
