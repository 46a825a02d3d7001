"""No AccessKey or secret in plain text in any Kubernetes object other than a Secret."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from .framework import MANDATORY, PackResourcePolicy, Res
from .kubernetes import is_kind, is_object
from .values import Unknown, could_not_check, join

EXACT_NAMES = frozenset(
    {"akid", "aksecret", "accesskey", "accesssecret", "secretkey", "securitytoken", "ststoken", "password", "passwd"}
)
NAME_SUFFIXES = ("accesskeyid", "accesskeysecret", "secretaccesskey", "akid", "aksecret", "securitytoken", "password")
"""Key names (lower-cased, without ``-_.``) that hold a credential: ``akId``, ``akSecret``, ``accessKeyId``,
``accessKeySecret``, ``ALIBABA_CLOUD_ACCESS_KEY_ID``, ``ossAccessKeySecret``, ``password``, ..."""

ACCESS_KEY_ID = re.compile(r"\bLTAI[0-9A-Za-z]{12,30}\b")
"""An Alibaba Cloud AccessKey id."""
INLINE_CREDENTIAL = re.compile(
    r"(?i)\b(ak[-_]?id|ak[-_]?secret|access[-_]?key[-_]?(id|secret)|secret[-_]?access[-_]?key|password)\s*[=:]\s*[^\s,;\"']+"
)
"""``akId=...`` / ``accessKeySecret: ...`` inside a string (mount options, config files, command lines)."""


def is_credential_name(name: str) -> bool:
    normal = re.sub(r"[^a-z0-9]", "", name.lower())
    return normal in EXACT_NAMES or normal.endswith(NAME_SUFFIXES)


def _filled(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    return isinstance(value, (int, float)) or (isinstance(value, str) and bool(value.strip()))


def scan(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """``("found", where)`` for each plaintext credential, ``("unknown", where)`` for each unknown value."""
    if isinstance(value, Unknown):
        yield "unknown", path
    elif isinstance(value, dict):
        name, item_value = value.get("name"), value.get("value")
        if isinstance(name, str) and is_credential_name(name) and _filled(item_value):
            yield "found", f"{join(path, 'value')} (named {name})"
        for key, item in value.items():
            where = join(path, key)
            if is_credential_name(key) and _filled(item):
                yield "found", where
            else:
                yield from scan(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from scan(item, join(path, index))
    elif isinstance(value, str) and (ACCESS_KEY_ID.search(value) or INLINE_CREDENTIAL.search(value)):
        yield "found", f"{path} (its text holds a credential)"


def _applies(resource_type: str) -> bool:
    return is_object(resource_type) and not is_kind(resource_type, "Secret")


def _check(res: Res, _config: Mapping[str, Any]) -> Iterator[str]:
    unknown_paths: list[str] = []
    for verdict, where in scan(res.props):
        if verdict == "unknown":
            unknown_paths.append(where)
            continue
        hint = (
            "mount OSS with RRSA (volumeAttributes authType: rrsa, roleName) or put the pair in a Secret and reference "
            "it with spec.csi.nodePublishSecretRef"
            if "volumeAttributes" in where
            else "move it to a Kubernetes Secret and reference it (env valueFrom.secretKeyRef, a Secret volume)"
        )
        yield f"{res.label}: `{where}` holds an access key or secret in plain text; {hint}."
    if unknown_paths:
        yield could_not_check(f"{res.label} for plaintext credentials", ", ".join(unknown_paths))


no_plaintext_credentials = PackResourcePolicy(
    name="no-plaintext-credentials",
    description=(
        "No AccessKey id/secret, token or password in plain text in a Kubernetes object other than a Secret "
        "(PersistentVolume volumeAttributes, env values, annotations, custom resources). Fix: for the OSS volume use "
        "RRSA (volumeAuth: rrsa) or a Secret referenced by csi.nodePublishSecretRef; elsewhere reference a Secret."
    ),
    level=MANDATORY,
    applies=_applies,
    check=_check,
    remediation=(
        "Remove the key from the object. OSS CSI volumes: set volumeAttributes authType: rrsa and roleName, or keep "
        "akId/akSecret in a Secret named by spec.csi.nodePublishSecretRef. Containers: env[].valueFrom.secretKeyRef."
    ),
)
