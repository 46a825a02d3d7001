"""An ECI ImageCache of the serving images, so a scale-out does not pull a multi-gigabyte GPU image."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.naming import MANAGED_BY

IMAGE_CACHE_API_VERSION = "eci.alibabacloud.com/v1"
IMAGE_CACHE_KIND = "ImageCache"


class ModelImageCacheArgs(TypedDict):
    """Inputs of :class:`ModelImageCache`."""

    cache_name: str
    """Name of the ImageCache (cluster-scoped)."""
    images: Sequence[str]
    """Images to cache; each is used by a container of the model."""
    size_gib: int
    """Size of the cache disk in GiB."""
    retention_days: int | None
    """Days ECI keeps the cache unused; None keeps it until deleted."""
    depends_on: Sequence[pulumi.Resource]
    """What must exist first: the virtual node (it installs the ImageCache CRD)."""


class ModelImageCache(pulumi.ComponentResource):
    """``eci.alibabacloud.com/v1`` ImageCache; ECI pods of the model match it (``k8s.aliyun.com/eci-auto-imc``)."""

    cache_name: pulumi.Output[str]
    """Name of the ImageCache."""

    def __init__(self, name: str, args: ModelImageCacheArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eci-inference:index:ModelImageCache", name, None, opts)
        spec: dict[str, Any] = {"images": list(args["images"]), "imageCacheSize": args["size_gib"]}
        if args["retention_days"] is not None:
            spec["retentionDays"] = args["retention_days"]
        cache = k8s.apiextensions.CustomResource(
            f"{name}-imagecache",
            api_version=IMAGE_CACHE_API_VERSION,
            kind=IMAGE_CACHE_KIND,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args["cache_name"], labels=MANAGED_BY),
            spec=spec,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args["depends_on"])),
        )
        self.cache_name = cache.urn.apply(lambda _: args["cache_name"])
        self.register_outputs({"cache_name": self.cache_name})
