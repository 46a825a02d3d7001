"""The OSS bucket as a read-only Kubernetes volume, through the OSS CSI driver."""

from __future__ import annotations

from typing import TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.naming import MANAGED_BY
from components.tf_serving import model_mount_options

OSS_CSI_DRIVER = "ossplugin.csi.alibabacloud.com"
RAM_ROLE_ATTRIBUTE = "ramRole"
"""The PV attribute naming the RAM role of the ECI instance (alibaba-cloud-csi-driver v1.34.1 ``pkg/oss/utils.go``
line 107 reads ``ramrole`` as the role name; stackconfig/volume_auth.py)."""


class AccessKeyCredentials(TypedDict):
    """An AccessKey pair, both Pulumi secrets."""

    access_key_id: pulumi.Output[str]
    """AccessKey id (secret)."""
    access_key_secret: pulumi.Output[str]
    """AccessKey secret (secret)."""


class ModelVolumeArgs(TypedDict):
    """Inputs of :class:`ModelVolume`."""

    namespace: pulumi.Input[str]
    """Namespace of the claim (and of the credentials Secret)."""
    volume_name: str
    """Name of the PersistentVolume; also its ``volumeHandle``."""
    claim_name: str
    """Name of the PersistentVolumeClaim the server mounts."""
    secret_name: str
    """Name of the Secret holding the AccessKey pair (when not on RRSA)."""
    bucket: pulumi.Input[str]
    """Bucket to mount."""
    endpoint: str
    """OSS endpoint, such as ``oss-cn-beijing-internal.aliyuncs.com``."""
    size: str
    """Capacity written on the PV and PVC (OSS does not enforce it; it only binds the two)."""
    rrsa_role_name: str | None
    """RAM role for RRSA (pods on ECS nodes, where the CSI node plugin mounts); no credentials reach the cluster."""
    ram_role_name: str | None
    """RAM role attached to the ECI instances (pods on the virtual node, where ECI mounts), named in ``ramRole``;
    no credentials reach the cluster."""
    access_key: AccessKeyCredentials | None
    """AccessKey pair for a Kubernetes Secret, used when neither role is set."""


class ModelVolume(pulumi.ComponentResource):
    """PV (reclaim policy Retain, ReadOnlyMany) and a PVC bound to exactly that PV.

    Credentials never go into ``volumeAttributes``: with RRSA the CSI driver assumes a RAM role, with ``ramRole`` ECI
    uses the role attached to its instance; otherwise the key pair is a Secret referenced through
    ``nodePublishSecretRef``. Which of these works where is the config layer's rule (``stackconfig/volume_auth.py``).
    """

    volume_name: pulumi.Output[str]
    """Name of the PersistentVolume."""
    claim_name: pulumi.Output[str]
    """Name of the PersistentVolumeClaim."""

    def __init__(self, name: str, args: ModelVolumeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eci-inference:index:ModelVolume", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = {**MANAGED_BY, "app.kubernetes.io/part-of": args["claim_name"]}
        attributes: dict[str, pulumi.Input[str]] = {
            "bucket": args["bucket"],
            "url": args["endpoint"],
            "path": "/",
            "otherOpts": model_mount_options(),
        }
        secret_ref: k8s.core.v1.SecretReferenceArgs | None = None
        if args["rrsa_role_name"] is not None:
            attributes.update({"authType": "rrsa", "roleName": args["rrsa_role_name"]})
        elif args["ram_role_name"] is not None:
            attributes[RAM_ROLE_ATTRIBUTE] = args["ram_role_name"]
        else:
            keys = args["access_key"]
            assert keys is not None, "ModelVolume needs rrsa_role_name, ram_role_name or access_key"
            secret = k8s.core.v1.Secret(
                f"{name}-credentials",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=args["secret_name"], namespace=args["namespace"], labels=labels),
                type="Opaque",
                string_data={
                    "akId": keys["access_key_id"],
                    "akSecret": keys["access_key_secret"],
                },
                opts=child,
            )
            secret_ref = k8s.core.v1.SecretReferenceArgs(name=secret.metadata.name, namespace=args["namespace"])

        pv = k8s.core.v1.PersistentVolume(
            f"{name}-pv",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args["volume_name"], labels=labels),
            spec=k8s.core.v1.PersistentVolumeSpecArgs(
                capacity={"storage": args["size"]},
                access_modes=["ReadOnlyMany"],
                persistent_volume_reclaim_policy="Retain",
                storage_class_name="",
                csi=k8s.core.v1.CSIPersistentVolumeSourceArgs(
                    driver=OSS_CSI_DRIVER,
                    volume_handle=args["volume_name"],
                    read_only=True,
                    volume_attributes=attributes,
                    node_publish_secret_ref=secret_ref,
                ),
            ),
            opts=child,
        )
        pvc = k8s.core.v1.PersistentVolumeClaim(
            f"{name}-pvc",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args["claim_name"], namespace=args["namespace"], labels=labels),
            spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
                access_modes=["ReadOnlyMany"],
                storage_class_name="",
                volume_name=pv.metadata.name,
                resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": args["size"]}),
            ),
            opts=child,
        )
        self.volume_name = pv.metadata.name
        self.claim_name = pvc.metadata.name
        self.register_outputs({"volume_name": self.volume_name, "claim_name": self.claim_name})
