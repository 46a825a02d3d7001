"""The cluster's kubeconfig from ACK, as ``pulumi up`` gets it when the stack sets no ``kubeconfig``.

The program asks ACK for the cluster's credential (``alicloud.cs.get_cluster_credential``, ACK OpenAPI
DescribeClusterUserKubeconfig, ``GET /k8s/{ClusterId}/user_config``) with the ``ALICLOUD_ACCESS_KEY`` /
``ALICLOUD_SECRET_KEY`` the alicloud provider reads. ``--from-ack`` asks the same API with the same credentials,
through Alibaba Cloud's SDK (``alibabacloud-cs20151215``), for a temporary kubeconfig
(``TemporaryDurationMinutes``, the shortest ACK grants) that is never written as a kubeconfig file (the Kubernetes
client still keeps its certificate and key in temporary files it removes at exit, see ``tools/preflight/__main__.py``).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

import yaml

from tools.preflight.client import PreflightError

KEY_ID_ENV = "ALICLOUD_ACCESS_KEY"
KEY_SECRET_ENV = "ALICLOUD_SECRET_KEY"
TEMPORARY_MINUTES = 15
"""DescribeClusterUserKubeconfig ``TemporaryDurationMinutes``: 15 to 4320 minutes."""


def cluster_kubeconfig(cluster_id: str, region: str, endpoint: str | None = None) -> dict[str, Any]:
    """The kubeconfig ACK issues for ``cluster_id`` (endpoint default ``https://cs.<region>.aliyuncs.com``)."""
    key_id, key_secret = os.environ.get(KEY_ID_ENV), os.environ.get(KEY_SECRET_ENV)
    if not key_id or not key_secret:
        raise PreflightError(
            f"--from-ack needs {KEY_ID_ENV} and {KEY_SECRET_ENV} in the environment (the credentials pulumi up uses)"
        )
    from alibabacloud_cs20151215 import models  # type: ignore[import-untyped]
    from alibabacloud_cs20151215.client import Client  # type: ignore[import-untyped]
    from alibabacloud_tea_openapi.utils_models import Config  # type: ignore[import-untyped]
    from darabonba.runtime import RuntimeOptions  # type: ignore[import-untyped]

    parts = urlsplit(endpoint if endpoint and "://" in endpoint else f"https://{endpoint or f'cs.{region}.aliyuncs.com'}")
    config = Config(
        access_key_id=key_id,
        access_key_secret=key_secret,
        region_id=region,
        endpoint=parts.netloc,
        protocol=parts.scheme,
    )
    request = models.DescribeClusterUserKubeconfigRequest(temporary_duration_minutes=TEMPORARY_MINUTES)
    runtime = RuntimeOptions(autoretry=False, connect_timeout=5000, read_timeout=30000)
    try:
        response = Client(config).describe_cluster_user_kubeconfig_with_options(cluster_id, request, {}, runtime)
    except Exception as error:  # the SDK raises its own classes and its HTTP stack's; all end the run the same way
        code = getattr(error, "code", None) or type(error).__name__
        message = " ".join(str(getattr(error, "message", None) or error).split())[:300]
        raise PreflightError(f"ACK refused the kubeconfig of cluster {cluster_id} ({region}): {code}: {message}") from None
    text = getattr(response.body, "config", None)
    try:
        loaded = yaml.safe_load(text) if isinstance(text, str) else None
    except yaml.YAMLError:
        loaded = None
    if not isinstance(loaded, dict):
        raise PreflightError(f"ACK returned no usable kubeconfig for cluster {cluster_id} ({region})")
    return loaded
