"""Constrained value types of the stack configuration; each refuses a value with what is allowed."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

from stackconfig.errors import allowed

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_REGION = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)+$")
_CLUSTER_ID = re.compile(r"^c[0-9a-z]{16,48}$")
_QUANTITY = re.compile(r"^(?P<number>[0-9]+(\.[0-9]+)?|\.[0-9]+)(?P<suffix>m|k|[MGTPE]|[KMGTPE]i)?$")
"""A Kubernetes quantity: decimal SI suffixes ``m k M G T P E``, binary ``Ki Mi Gi Ti Pi Ei``."""
_ECI_SPEC = re.compile(r"^ecs\.[a-z0-9-]+\.[a-z0-9-]+$")
_HOST = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$")
_IMAGE = re.compile(r"^[^\s:@]+(:[0-9]+/[^\s:@]+)?(:[A-Za-z0-9_.-]+)?(@sha256:[0-9a-f]{64})?$")
_PREFIX = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")
_ROLE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_SLS_PROJECT = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_SLS_LOGSTORE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$")
_NODE_POOL = re.compile(r"^np[0-9a-z]+$")
_VERSION = re.compile(r"^v?[0-9]+(\.[0-9]+){0,3}([-+][0-9A-Za-z.-]+)?$")
_REPO = re.compile(r"^(https|oci)://")

_SUFFIXES: dict[str, Decimal | int] = {
    "": 1,
    "m": Decimal("0.001"),
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
}
_SUFFIXES.update({"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60})


def _pattern(regex: re.Pattern[str], message: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not value:
            raise allowed("must be a non-empty string")
        if not regex.match(value):
            raise allowed(message)
        return value

    return check


def quantity_value(text: str) -> Decimal:
    """The number a Kubernetes quantity stands for (``500m`` -> 0.5, ``12Gi`` -> 12884901888)."""
    match = _QUANTITY.match(text)
    if match is None:
        raise ValueError(f"not a quantity: {text!r}")
    return Decimal(match["number"]) * Decimal(str(_SUFFIXES[match["suffix"] or ""]))


def _quantity(value: Any) -> Any:
    if isinstance(value, bool):
        raise allowed("must be a Kubernetes quantity such as 500m, 2 or 8Gi")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise allowed("must be a Kubernetes quantity such as 500m, 2 or 8Gi")
        value = str(value) if isinstance(value, int) else format(Decimal(repr(value)), "f")
    if not isinstance(value, str) or not _QUANTITY.match(value):
        raise allowed("must be a Kubernetes quantity such as 500m, 2 or 8Gi")
    try:
        amount = quantity_value(value)
    except (InvalidOperation, ValueError):
        raise allowed("must be a Kubernetes quantity such as 500m, 2 or 8Gi") from None
    if amount <= 0:
        raise allowed("must be more than zero")
    return value


def _boolean(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise allowed("must be true or false")


def _no_bool_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise allowed("must be a number, not true or false")
    return value


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise allowed("must be a whole number")
    return value


DnsLabel = Annotated[str, AfterValidator(_pattern(_DNS_LABEL, "must be a DNS label (lowercase letters, digits, '-')"))]
BucketName = Annotated[
    str,
    AfterValidator(
        _pattern(_BUCKET, "must be an OSS bucket name: 3-63 lowercase letters, digits or '-', not starting or ending with '-'")
    ),
]
Region = Annotated[str, AfterValidator(_pattern(_REGION, "must be a region id such as cn-beijing"))]
ClusterId = Annotated[
    str, AfterValidator(_pattern(_CLUSTER_ID, "must be an ACK cluster id: 'c' and 16-48 lowercase letters or digits"))
]
Quantity = Annotated[str, BeforeValidator(_quantity)]
EciSpec = Annotated[str, AfterValidator(_pattern(_ECI_SPEC, "must be an instance type such as ecs.gn6i-c4g1.xlarge"))]
Host = Annotated[str, AfterValidator(_pattern(_HOST, "must be a DNS host name"))]
Image = Annotated[str, AfterValidator(_pattern(_IMAGE, "must be an image reference such as repo/name:tag"))]
ObjectPrefix = Annotated[str, AfterValidator(_pattern(_PREFIX, "must be an object prefix without leading or trailing '/'"))]
RoleName = Annotated[str, AfterValidator(_pattern(_ROLE, "must be a RAM role name"))]
SlsProject = Annotated[str, AfterValidator(_pattern(_SLS_PROJECT, "must be an SLS project name"))]
SlsLogstore = Annotated[str, AfterValidator(_pattern(_SLS_LOGSTORE, "must be an SLS logstore name"))]
NodePoolId = Annotated[str, AfterValidator(_pattern(_NODE_POOL, "must be a node pool id (np...)"))]
Version = Annotated[str, AfterValidator(_pattern(_VERSION, "must be a version such as 2.11.0 or v1.1.5"))]
ChartRepo = Annotated[str, AfterValidator(_pattern(_REPO, "must be an https:// or oci:// chart repository"))]
OssEndpoint = Annotated[str, AfterValidator(_pattern(_HOST, "must be a host name such as oss-cn-beijing-internal.aliyuncs.com"))]
Bool = Annotated[bool, BeforeValidator(_boolean)]
Whole = Annotated[int, BeforeValidator(_no_bool)]
NoBoolFloat = Annotated[float, BeforeValidator(_no_bool_number)]
"""A whole number (bounds go on the field: ``Field(1, ge=1)``); a boolean is refused, not read as 0 or 1."""


def version_tuple(version: str) -> tuple[int, ...]:
    """``v2.11.0`` -> (2, 11, 0), for comparing versions (pre-release suffixes ignored)."""
    core = re.split(r"[-+]", version.lstrip("v"), maxsplit=1)[0]
    return tuple(int(part) for part in core.split("."))
