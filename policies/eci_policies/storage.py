"""The OSS model bucket: encrypted, private, protected from deletion."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .framework import ADVISORY, MANDATORY, PackResourcePolicy, Res
from .values import dig, known, text

BUCKET = "alicloud:oss/bucket:Bucket"
BUCKET_ACL = "alicloud:oss/bucketAcl:BucketAcl"
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
