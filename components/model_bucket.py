"""The OSS bucket that holds the models of a stack."""

from __future__ import annotations

from typing import TypedDict

import pulumi
import pulumi_alicloud as alicloud


class ModelBucketArgs(TypedDict):
    """Inputs of :class:`ModelBucket`."""

    bucket: str
    """Bucket name."""
    create: bool
    """Create the bucket; false uses an existing bucket of that name."""
    protect: bool
    """Protect the created bucket (and its ACL) from deletion by Pulumi."""


class ModelBucket(pulumi.ComponentResource):
    """A private, server-side encrypted, versioned OSS bucket, or an existing one named in config."""

    bucket: pulumi.Output[str]
    """Name of the bucket, known once it exists."""

    def __init__(self, name: str, args: ModelBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eci-inference:index:ModelBucket", name, None, opts)
        if args["create"]:
            kept = pulumi.ResourceOptions(parent=self, protect=args["protect"])
            bucket = alicloud.oss.Bucket(
                f"{name}-bucket",
                bucket=args["bucket"],
                server_side_encryption_rule=alicloud.oss.BucketServerSideEncryptionRuleArgs(sse_algorithm="AES256"),
                versioning=alicloud.oss.BucketVersioningArgs(status="Enabled"),
                force_destroy=False,
                opts=kept,
            )
            alicloud.oss.BucketAcl(f"{name}-acl", bucket=bucket.bucket, acl="private", opts=kept)
            alicloud.oss.BucketPublicAccessBlock(
                f"{name}-public-access-block", bucket=bucket.bucket, block_public_access=True, opts=kept
            )
            self.bucket = bucket.bucket
        else:
            self.bucket = pulumi.Output.from_input(args["bucket"])
        self.register_outputs({"bucket": self.bucket})
