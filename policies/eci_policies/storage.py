"""The OSS model bucket: encrypted, private, public access blocked, no anonymous bucket policy, protected from
deletion. Type tokens and input names are pulumi-alicloud 4.0.0's (``pulumi_alicloud/oss/``)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from .framework import ADVISORY, MANDATORY, PackResourcePolicy, Res
from .values import dig, known, text

BUCKET = "alicloud:oss/bucket:Bucket"
BUCKET_ACL = "alicloud:oss/bucketAcl:BucketAcl"
BUCKET_POLICY = "alicloud:oss/bucketPolicy:BucketPolicy"
BUCKET_PUBLIC_ACCESS_BLOCK = "alicloud:oss/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCOUNT_PUBLIC_ACCESS_BLOCK = "alicloud:oss/accountPublicAccessBlock:AccountPublicAccessBlock"
SSE_ALGORITHMS = ("AES256", "KMS", "SM4")
PRIVATE = "private"


def _encrypted(res: Res, _config: Mapping[str, Any]) -> Iterator[str]:
    rule = dig(res.props, "serverSideEncryptionRule")
    if rule is None:
        yield f"{res.label}: no serverSideEncryptionRule, so objects (the model files) are stored unencrypted."
        return
    algorithm = text(dig(rule, "sseAlgorithm"))
    if algorithm not in SSE_ALGORITHMS:
        yield (
            f"{res.label}: serverSideEncryptionRule.sseAlgorithm is {algorithm!r}; it must be one of {', '.join(SSE_ALGORITHMS)}."
        )


oss_bucket_encrypted = PackResourcePolicy(
    name="oss-bucket-encrypted",
    description=(
        "OSS buckets encrypt objects at rest. Fix: give the Bucket server_side_encryption_rule="
        "BucketServerSideEncryptionRuleArgs(sse_algorithm='AES256') (or 'KMS' with a key)."
    ),
    level=MANDATORY,
    applies=lambda t: t == BUCKET,
    check=_encrypted,
    remediation="Set serverSideEncryptionRule.sseAlgorithm to AES256 or KMS on the alicloud.oss.Bucket.",
)


def _private(res: Res, _config: Mapping[str, Any]) -> Iterator[str]:
    acl = known(res.props.get("acl"))
    if res.type == BUCKET:
        if acl is not None and acl != PRIVATE:
            yield f"{res.label}: acl is {acl!r}, which makes the bucket (the models) readable by anyone."
    elif acl != PRIVATE:
        shown = "unset" if acl is None else repr(acl)
        bucket = res.props.get("bucket")
        target = f"bucket {bucket!r}" if isinstance(bucket, str) else "its bucket"
        yield f"{res.label}: acl is {shown} for {target}; only 'private' is allowed."


oss_bucket_private = PackResourcePolicy(
    name="oss-bucket-private",
    description=(
        "OSS buckets are private: every BucketAcl says acl='private', and a Bucket's own (deprecated) acl, if set, is "
        "'private' (unset is private: OSS creates buckets private). Fix: alicloud.oss.BucketAcl(bucket=..., "
        "acl='private'), drop public-read/public-read-write, and add a BucketPublicAccessBlock."
    ),
    level=MANDATORY,
    applies=lambda t: t in (BUCKET, BUCKET_ACL),
    check=_private,
    remediation="Set acl='private' on the BucketAcl (and on the Bucket if its deprecated acl is set).",
)
"""Checked on each resource's inputs, not as a stack policy on outputs: a new Bucket's ``acl`` output is computed
and so unknown during preview, which would make a stack policy report "could not check" for every new bucket."""


def _protected(res: Res, _config: Mapping[str, Any]) -> Iterator[str]:
    if not res.protect:
        yield f"{res.label} is not protected: `pulumi destroy` or removing it from the program deletes the models."
    if known(res.props.get("forceDestroy")) is True:
        yield f"{res.label} has forceDestroy: true, so deleting it also deletes every object in it."


model_bucket_protected = PackResourcePolicy(
    name="model-bucket-protected",
    description=(
        "The model bucket is protected from deletion. Fix: set protectBucket: true in the stack config (the bucket is "
        "created with ResourceOptions(protect=True)) and keep forceDestroy false."
    ),
    level=ADVISORY,
    applies=lambda t: t == BUCKET,
    check=_protected,
    remediation="pulumi config set protectBucket true (ResourceOptions(protect=True)); forceDestroy=False.",
)


def _blocked(res: Res, _config: Mapping[str, Any]) -> Iterator[str]:
    value = known(res.props.get("blockPublicAccess"))
    if value is not True:
        scope = "every bucket of the account" if res.type == ACCOUNT_PUBLIC_ACCESS_BLOCK else "the bucket"
        yield (
            f"{res.label}: blockPublicAccess is {'unset' if value is None else repr(value)}, so a public ACL or bucket "
            f"policy on {scope} takes effect and the models can be read (or written) by anyone."
        )


oss_public_access_blocked = PackResourcePolicy(
    name="oss-public-access-blocked",
    description=(
        "Where the stack declares OSS Block Public Access (alicloud.oss.BucketPublicAccessBlock or "
        "AccountPublicAccessBlock), blockPublicAccess is true. Fix: BucketPublicAccessBlock(bucket=..., "
        "block_public_access=True), as the program's ModelBucket does."
    ),
    level=MANDATORY,
    applies=lambda t: t in (BUCKET_PUBLIC_ACCESS_BLOCK, ACCOUNT_PUBLIC_ACCESS_BLOCK),
    check=_blocked,
    remediation="Set blockPublicAccess (block_public_access) to true.",
)


def _strings(value: Any) -> list[str]:
    """Every string in a Principal: ``"*"``, ``["*", "123"]``, or a mapping of such (``{"RAM": [...]}``)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    return []


def public_statements(document: Any) -> Iterator[str]:
    """A description of every statement that allows anyone: Effect Allow and a Principal with the ``*`` wildcard.
    OSS counts a statement as non-public only when its Principal holds no ``*`` (or a Condition pins a VPC, IP or
    similar); this check does not look at Conditions: the stack never needs anonymous access."""
    statements = document.get("Statement") if isinstance(document, dict) else None
    listed = statements if isinstance(statements, list) else [statements] if isinstance(statements, dict) else []
    for index, statement in enumerate(listed):
        if not isinstance(statement, dict) or str(statement.get("Effect", "")).strip().lower() != "allow":
            continue
        principals = _strings(statement.get("Principal"))
        if any("*" in p for p in principals):
            actions = ", ".join(_strings(statement.get("Action"))) or "its actions"
            shown = ", ".join(repr(p) for p in principals)
            yield f"Statement[{index}] allows {actions} to anyone (Principal {shown})"


def _policy_text(res: Res, _config: Mapping[str, Any]) -> Iterator[str]:
    raw = known(res.props.get("policy"))
    if raw is None or raw == "":
        return
    if isinstance(raw, str):
        try:
            document = json.loads(raw)
        except ValueError:
            yield f"{res.label}: policy is not valid JSON, so it cannot be confirmed to grant no anonymous access."
            return
    else:
        document = raw
    for found in public_statements(document):
        yield (
            f"{res.label}: policy {found}: anonymous users can read (or change) the models without credentials, "
            "whatever the bucket's ACL."
        )


oss_bucket_policy_not_public = PackResourcePolicy(
    name="oss-bucket-policy-not-public",
    description=(
        "No OSS bucket policy grants anonymous access: no statement of an alicloud.oss.BucketPolicy's policy (or a "
        "Bucket's deprecated policy) has Effect Allow with a Principal holding * (a bare * or a list with *), whatever its "
        "actions or conditions. Fix: name the RAM users, roles or accounts in Principal; the program's pods read the "
        "bucket through RRSA or an AccessKey, never anonymously."
    ),
    level=MANDATORY,
    applies=lambda t: t in (BUCKET, BUCKET_POLICY),
    check=_policy_text,
    remediation="Replace Principal '*' with the RAM identities that need access (or Effect Deny).",
)
