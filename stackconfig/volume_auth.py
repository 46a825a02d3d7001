"""Which OSS volume authentication Alibaba Cloud documents where the volume is mounted.

Who mounts the model's OSS volume depends on where the pod runs, and each mounter documents its own mechanisms:

- On an ECS node (a node pool unit, and in elasticWorkload mode the source Deployment's pods, which carry no
  virtual-node selector) the OSS CSI node plugin mounts it. ACK, "Mount statically provisioned volumes with ossfs 1.0"
  (Container Service for Kubernetes user guide), Step 1 offers RRSA (``authType: rrsa`` and ``roleName``; cluster 1.26
  or later, csi-plugin v1.30.4 or later) and an AccessKey pair in a Secret. The driver parses both
  (alibaba-cloud-csi-driver v1.34.1, ``pkg/oss/utils.go`` ``parseOptions``: ``authtype`` line 105, ``rolename`` /
  ``ramrole`` line 107, ``nodePublishSecretRef`` keys ``akId`` / ``akSecret``; the same cases at v1.37.1, lines
  186-188).
- On an ECI virtual node ECI itself mounts it; the CSI node plugin does not run there. ECI, "挂载OSS" (Mount an OSS
  bucket, https://help.aliyun.com/zh/eci/user-guide/mount-an-oss-bucket), step 2 "选择授权方式" offers exactly two
  mechanisms: a RAM role (trusted entity: Alibaba Cloud service, trusted service: ECS) or, "不推荐" (not recommended),
  an AccessKey. It says nothing about RRSA. The role is attached to the ECI instance with the pod annotation
  ``k8s.aliyun.com/eci-ram-role-name`` (ECI, "Attach a RAM role to an ECI pod", whose role is also ECS-trusted), and
  the PV names it in ``ramRole``, the key the CSI driver also accepts as the role name (``pkg/oss/utils.go`` line 107).
  Which of the two ECI reads for the mount, and whether it reads the AccessKey from ``nodePublishSecretRef`` (the
  recipe puts ``akId`` / ``akSecret`` in the PV's attributes), are in docs/not-verified.md.
"""

from __future__ import annotations

from typing import Literal

VolumeAuth = Literal["rrsa", "ramRole", "accessKey"]
Placement = Literal["ecs", "eci"]

DOCUMENTED: dict[Placement, tuple[VolumeAuth, ...]] = {
    "ecs": ("rrsa", "accessKey"),
    "eci": ("ramRole", "accessKey"),
}
"""Per placement, the volume authentications its mounter's documentation offers (module docstring)."""

MOUNTER: dict[Placement, str] = {
    "ecs": "the OSS CSI node plugin mounts the volume (ACK, 'Mount statically provisioned volumes with ossfs 1.0')",
    "eci": "ECI mounts the volume, not the CSI node plugin (ECI, 'Mount an OSS bucket')",
}


def refusal(auth: str, placement: Placement, what: str) -> str | None:
    """Why ``auth`` cannot mount the volume for ``what`` (placed on ``placement``), or None when it is documented."""
    allowed = DOCUMENTED[placement]
    if auth in allowed:
        return None
    return (
        f"{what} runs on {placement}, where {MOUNTER[placement]}; volumeAuth {auth} is not documented there. "
        f"Documented for {placement}: {', '.join(allowed)}"
    )
