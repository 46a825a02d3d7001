"""No AccessKey or secret in plain text in any Kubernetes object other than a Secret."""

from __future__ import annotations

import itertools
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


ENV_SECRET_WORDS = frozenset({"SECRET", "SECRETS", "PASSWORD", "PASSWD", "PASSPHRASE", "CREDENTIAL", "CREDENTIALS"})
"""A container env name with one of these words (``OSS_SECRET``, ``ALICLOUD_SECRET_KEY``, ``DB_PASSWORD``) names a
credential, wherever the word sits."""
ENV_KEY_PAIRS = (("ACCESS", "KEY"), ("API", "KEY"), ("PRIVATE", "KEY"))
"""Two adjacent words that name a key: ``*_ACCESS_KEY*``, ``*_API_KEY``, ``*_PRIVATE_KEY``."""
ENV_KEY_WORDS = ("ACCESSKEY", "APIKEY", "PRIVATEKEY", "SECRETKEY")
"""The same written as one word (``OSS_ACCESSKEY_ID``, ``APIKEY``)."""
ENV_LAST_WORDS = frozenset({"TOKEN", "PWD"})
"""Words that name a credential only as the last word: ``API_TOKEN``, ``HF_TOKEN``, ``DB_PWD`` (not ``TOKEN_URL``,
and not ``PWD`` alone, the shell's working directory)."""
ENV_COUNT_WORDS = frozenset({"MAX", "MIN", "NUM", "COUNT", "LIMIT", "SIZE", "LEN", "LENGTH"})
"""Words that make ``*_TOKEN`` a number of (model) tokens rather than a credential."""
ENV_REFERENCE_SUFFIXES = frozenset({"FILE", "PATH", "DIR", "NAME", "REF", "URL", "ENDPOINT", "HOST", "TTL", "TYPE"})
"""A last word that makes the value a pointer to a credential, not the credential: ``DB_PASSWORD_FILE``,
``TLS_SECRET_NAME``, ``TOKEN_URL``."""
NAMED_VALUE_LISTS = ("env", "parameters")
"""Lists of ``{name, value}`` entries judged by the env-name rule: a container's ``env`` and a SeldonDeployment graph
node's ``parameters`` (the operator passes them to the container in its environment)."""
ENV_REFERENCE = re.compile(r"^\$\([A-Za-z_][A-Za-z0-9_]*\)$")
"""``$(OTHER_VAR)``: Kubernetes expands it from another env entry, so the value is not a literal credential."""


def env_words(name: str) -> list[str]:
    """``ossAccessKeySecret`` / ``OSS_ACCESS_KEY_SECRET`` / ``oss-access-key.secret`` -> ``[OSS, ACCESS, KEY, SECRET]``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return [word for word in re.split(r"[^A-Za-z0-9]+", spaced.upper()) if word]


def is_env_credential_name(name: str) -> bool:
    """A container env var name that holds a credential (broader than :func:`is_credential_name`, which also
    applies to keys of any object, where names like ``secretName`` are common and harmless)."""
    if is_credential_name(name):
        return True
    words = env_words(name)
    if not words or (len(words) > 1 and words[-1] in ENV_REFERENCE_SUFFIXES):
        return False
    if ENV_SECRET_WORDS.intersection(words) or any(key in word for word in words for key in ENV_KEY_WORDS):
        return True
    if any(pair in ENV_KEY_PAIRS for pair in itertools.pairwise(words)):
        return True
    if ENV_COUNT_WORDS.intersection(words):
        return False  # MAX_TOKEN, NUM_TOKEN: a count of tokens, not a token
    return (len(words) > 1 and words[-1] in ENV_LAST_WORDS) or words == ["TOKEN"]


def _filled(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    return isinstance(value, (int, float)) or (isinstance(value, str) and bool(value.strip()))


def _literal(value: Any) -> bool:
    """A literal env value: filled in, and not only a ``$(OTHER_VAR)`` reference."""
    return _filled(value) and not (isinstance(value, str) and ENV_REFERENCE.match(value.strip()))


def scan(value: Any, path: str = "", in_env: bool = False) -> Iterator[tuple[str, str]]:
    """``("found", where)`` for each plaintext credential, ``("unknown", where)`` for each unknown value.
    ``in_env``: ``value`` is an item of an ``env`` (or Seldon ``parameters``) list, judged by the env-name rule."""
    if isinstance(value, Unknown):
        yield "unknown", path
    elif isinstance(value, dict):
        name, item_value = value.get("name"), value.get("value")
        named = isinstance(name, str) and (is_env_credential_name(name) if in_env else is_credential_name(name))
        if named and (_literal(item_value) if in_env else _filled(item_value)):
            yield "found", f"{join(path, 'value')} (named {name})"
        for key, item in value.items():
            where = join(path, key)
            if is_credential_name(key) and _filled(item):
                yield "found", where
            elif key in NAMED_VALUE_LISTS and isinstance(item, list):
                for index, entry in enumerate(item):
                    yield from scan(entry, join(where, index), in_env=True)
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
            "mount OSS with RRSA on ECS nodes (volumeAttributes authType: rrsa, roleName), the ECI instance's RAM role "
            "on ECI (volumeAttributes ramRole), or put the pair in a Secret and reference it with "
            "spec.csi.nodePublishSecretRef"
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
        "(PersistentVolume volumeAttributes, annotations, custom resources, and container env entries with a literal "
        "value whose name looks like a credential: *_SECRET*, *_PASSWORD, *_TOKEN, *_ACCESS_KEY*, *_API_KEY). A report "
        "names the field, never the value. Fix: for the OSS volume use RRSA (volumeAuth: rrsa) on ECS nodes, the ECI "
        "instance's RAM role (volumeAuth: ramRole) on ECI, or a Secret referenced by "
        "csi.nodePublishSecretRef; in env use valueFrom.secretKeyRef; elsewhere reference a Secret."
    ),
    level=MANDATORY,
    applies=_applies,
    check=_check,
    remediation=(
        "Remove the key from the object. OSS CSI volumes: set volumeAttributes authType: rrsa and roleName (ECS nodes) or "
        "ramRole (ECI), or keep "
        "akId/akSecret in a Secret named by spec.csi.nodePublishSecretRef. Containers: env[].valueFrom.secretKeyRef."
    ),
)
