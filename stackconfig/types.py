"""Constrained value types of the stack configuration; each refuses a value with what is allowed."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

from stackconfig.errors import allowed

# Every pattern validates a whole value with ``fullmatch`` (``$`` would also match before a final newline).
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")
_REGION = re.compile(r"[a-z]{2,}(-[a-z0-9]+)+")
_CLUSTER_ID = re.compile(r"c[0-9a-z]{16,48}")
_QUANTITY = re.compile(r"(?P<number>[0-9]+(\.[0-9]+)?|\.[0-9]+)(?P<suffix>m|k|[MGTPE]|[KMGTPE]i)?")
"""A Kubernetes quantity: decimal SI suffixes ``m k M G T P E``, binary ``Ki Mi Gi Ti Pi Ei``."""
_ECI_SPEC = re.compile(r"ecs\.[a-z0-9-]+\.[a-z0-9-]+")
_HOST = re.compile(r"([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}")
_SEGMENT = re.compile(r"[A-Za-z0-9._-]+")
"""One segment of an OSS object prefix or a local path: no '/', no '\\', no spaces."""
_ROLE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_SLS_PROJECT = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")
_SLS_LOGSTORE = re.compile(r"[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]")
_NODE_POOL = re.compile(r"np[0-9a-z]+")
_VERSION = re.compile(r"v?[0-9]+(\.[0-9]+){0,3}([-+][0-9A-Za-z.-]+)?")
_REPO = re.compile(r"(https|oci)://[^\s]+")

MAX_DNS_LABEL = 63
MAX_DNS_SUBDOMAIN = 253
"""RFC 1123 as Kubernetes applies it (kubernetes v1.34 ``staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go``:
``DNS1123LabelMaxLength = 63``, ``DNS1123SubdomainMaxLength = 253``); a DNS host name has the same limits (RFC 1035
section 2.3.4)."""
MAX_OSS_KEY = 1023
"""OSS object names are 1-1023 bytes (Alibaba Cloud OSS, 'Object naming conventions')."""
INT32_MAX = 2**31 - 1
"""Counts that reach an ``int32`` API field (replicas, unit min/max, PDB values, CronHPA targetSize, ImageCache size
and retention: ``format: int32`` in ``schemas/*.json`` and the Kubernetes API)."""
INT64_MAX = 2**63 - 1
"""Fields Kubernetes or TF Serving keep as ``int64`` (terminationGracePeriodSeconds; a servable's version)."""

# The image reference grammar of github.com/distribution/reference (reference.go, package comment; the
# grammar containerd and Docker parse image names with):
#   reference := name [ ":" tag ] [ "@" digest ]
#   name := [domain '/'] path-component ['/' path-component]*
#   domain := domain-component ['.' domain-component]* [':' port-number]
#   domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
#   path-component := alpha-numeric [separator alpha-numeric]*;  alpha-numeric := /[a-z0-9]+/
#   separator := /[_.]|__|[-]*/;  tag := /[\w][\w.-]{0,127}/
#   digest := algorithm ":" hex; for sha256 (the only algorithm registries use) exactly 64 lowercase hex digits
# and NameTotalLengthMax = 255 for the name.
_DOMAIN_COMPONENT = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[_.]|__|-+)[a-z0-9]+)*"
"""The grammar's ``separator`` is ``[-]*``; zero dashes between two alpha-numeric runs is one longer run, so ``-+``
matches the same names without the nested repetition that makes a backtracking regex engine (Python's ``re``, unlike
Go's RE2) take exponential time on a near miss."""
_DOMAIN = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*(?::[0-9]+)?"
_IMAGE = re.compile(
    rf"(?P<name>(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?"
)
MAX_IMAGE_NAME = 255

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


def _pattern(regex: re.Pattern[str], message: str, max_length: int | None = None) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not value:
            raise allowed("must be a non-empty string")
        if not regex.fullmatch(value):
            raise allowed(message)
        if max_length is not None and len(value) > max_length:
            raise allowed(f"{message}; at most {max_length} characters, not {len(value)}")
        return value

    return check


def quantity_value(text: str) -> Decimal:
    """The number a Kubernetes quantity stands for (``500m`` -> 0.5, ``12Gi`` -> 12884901888)."""
    match = _QUANTITY.fullmatch(text)
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
    if not isinstance(value, str) or not _QUANTITY.fullmatch(value):
        raise allowed("must be a Kubernetes quantity such as 500m, 2 or 8Gi")
    try:
        amount = quantity_value(value)
    except (InvalidOperation, ValueError):
        raise allowed("must be a Kubernetes quantity such as 500m, 2 or 8Gi") from None
    if amount <= 0:
        raise allowed("must be more than zero")
    if amount > INT64_MAX:
        raise allowed(f"must be at most {INT64_MAX} in base units (a Kubernetes quantity's value is an int64)")
    return value


BOOLEAN_TEXT = {"true": True, "True": True, "false": False, "False": False}
"""The strings Pulumi's Python SDK reads as a boolean (pulumi 3.272.0, ``sdk/python/lib/pulumi/config.py``
``Config._get_bool``: ``"true"``/``"True"`` and ``"false"``/``"False"``, anything else raises ConfigTypeError)."""


def _boolean(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in BOOLEAN_TEXT:
        return BOOLEAN_TEXT[value]
    raise allowed("must be true or false")


def _no_bool_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise allowed("must be a number, not true or false")
    return value


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise allowed("must be a whole number")
    return value


def is_bucket_name(value: str) -> bool:
    """Whether ``value`` is an OSS bucket name (3-63 lowercase letters, digits or '-', not starting or ending with '-')."""
    return _BUCKET.fullmatch(value) is not None


def _image(value: str) -> str:
    if not value:
        raise allowed("must be a non-empty string")
    match = _IMAGE.fullmatch(value)
    if match is None or len(match["name"]) > MAX_IMAGE_NAME:
        raise allowed(
            "must be an image reference: [registry[:port]/]path[:tag][@sha256:<64 hex>] with a lowercase path "
            f"(github.com/distribution/reference grammar; name at most {MAX_IMAGE_NAME} characters)"
        )
    if match["digest"] is None and match["tag"] is None:
        raise allowed("has no tag, so it means :latest; pin a version tag or a digest (@sha256:<64 hex>)")
    if match["digest"] is None and match["tag"] == "latest":
        raise allowed("uses the :latest tag; pin a version tag or a digest (@sha256:<64 hex>)")
    return value


def image_parts(reference: str) -> tuple[str, str | None, str | None]:
    """``(name, tag, digest)`` of a valid image reference."""
    match = _IMAGE.fullmatch(reference)
    if match is None:
        raise ValueError(f"not an image reference: {reference!r}")
    return match["name"], match["tag"], match["digest"]


def path_segments(value: str, what: str, separator: str = "/") -> list[str]:
    """The segments of a relative path; :func:`allowed` error for ``.``/``..``, empty, absolute or odd segments."""
    if not value:
        raise allowed("must be a non-empty string")
    if "\\" in value:
        raise allowed(f"must be {what} with '/' between segments, not '\\'")
    if value.startswith(separator):
        raise allowed(f"must be {what} relative to its root, not starting with '/'")
    segments = value.split(separator)
    for segment in segments:
        if segment in ("", ".", ".."):
            raise allowed(f"must be {what} without empty, '.' or '..' segments (it may not leave its root)")
        if not _SEGMENT.fullmatch(segment):
            raise allowed(f"must be {what} whose segments hold only letters, digits, '.', '_' or '-'")
    return segments


def _prefix(value: str) -> str:
    path_segments(value, "an object prefix")
    if len(value.encode()) > MAX_OSS_KEY:
        raise allowed(f"must be at most {MAX_OSS_KEY} bytes (an OSS object name's limit)")
    return value


def _host(value: str) -> str:
    if not value:
        raise allowed("must be a non-empty string")
    if not _HOST.fullmatch(value):
        raise allowed("must be a DNS host name: lowercase labels of letters, digits and '-', separated by '.'")
    longest = max(value.split("."), key=len)
    if len(longest) > MAX_DNS_LABEL:
        raise allowed(
            f"must be a DNS host name whose labels are at most {MAX_DNS_LABEL} characters ({longest!r} is {len(longest)})"
        )
    if len(value) > MAX_DNS_SUBDOMAIN:
        raise allowed(f"must be a DNS host name of at most {MAX_DNS_SUBDOMAIN} characters, not {len(value)}")
    return value


DnsLabel = Annotated[
    str,
    AfterValidator(
        _pattern(_DNS_LABEL, "must be a DNS label (lowercase letters, digits, '-', at most 63 characters)", MAX_DNS_LABEL)
    ),
]
DnsSubdomain = Annotated[
    str,
    AfterValidator(
        _pattern(
            _DNS_SUBDOMAIN,
            "must be a DNS subdomain name (lowercase DNS labels separated by '.', at most 253 characters)",
            MAX_DNS_SUBDOMAIN,
        )
    ),
]
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
Host = Annotated[str, AfterValidator(_host)]
Image = Annotated[str, AfterValidator(_image)]
ObjectPrefix = Annotated[str, AfterValidator(_prefix)]
RoleName = Annotated[str, AfterValidator(_pattern(_ROLE, "must be a RAM role name"))]
SlsProject = Annotated[str, AfterValidator(_pattern(_SLS_PROJECT, "must be an SLS project name"))]
SlsLogstore = Annotated[str, AfterValidator(_pattern(_SLS_LOGSTORE, "must be an SLS logstore name"))]
NodePoolId = Annotated[str, AfterValidator(_pattern(_NODE_POOL, "must be a node pool id (np...)"))]
Version = Annotated[str, AfterValidator(_pattern(_VERSION, "must be a version such as 2.11.0 or v1.1.5"))]
ChartRepo = Annotated[str, AfterValidator(_pattern(_REPO, "must be an https:// or oci:// chart repository"))]
OssEndpoint = Annotated[str, AfterValidator(_host)]
Bool = Annotated[bool, BeforeValidator(_boolean)]
Whole = Annotated[int, BeforeValidator(_no_bool)]
NoBoolFloat = Annotated[float, BeforeValidator(_no_bool_number)]
"""A whole number (bounds go on the field: ``Field(1, ge=1)``); a boolean is refused, not read as 0 or 1."""


def version_tuple(version: str) -> tuple[int, ...]:
    """``v2.11.0`` -> (2, 11, 0), for comparing versions (pre-release suffixes ignored)."""
    core = re.split(r"[-+]", version.lstrip("v"), maxsplit=1)[0]
    return tuple(int(part) for part in core.split("."))
