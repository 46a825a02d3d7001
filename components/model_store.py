"""A model's versions in OSS: each uploaded file by file from a local SavedModel, or an existing oss:// prefix."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import TypedDict

import pulumi
import pulumi_alicloud as alicloud

from components.naming import model_key_prefix


class ModelStoreArgs(TypedDict):
    """Inputs of :class:`ModelStore`."""

    bucket: pulumi.Input[str]
    """The stack's model bucket (used when the source is a local directory)."""
    prefix: str
    """Object prefix of uploaded models."""
    model: str
    """Model name, the directory under the prefix."""
    versions: Mapping[int, Path]
    """Local SavedModel directory of each version to upload (the served one and a canary's); empty when
    ``oss_location`` holds the model."""
    former_version: int | None
    """The version whose objects were named without a version before versions were kept apart (an alias keeps them)."""
    keep_dropped_versions: bool
    """Leave a version's objects in the bucket when the stack stops serving it (``retainOnDelete``), so pods of that
    version that start during a rollout, or a roll back, still find them."""
    oss_location: tuple[str, str] | None
    """``(bucket, path)`` of an existing ``oss://`` location holding the model's version directories."""


def _content_md5(path: Path) -> str:
    return base64.b64encode(hashlib.md5(path.read_bytes()).digest()).decode()


def saved_model_files(directory: Path) -> list[Path]:
    """Files of a SavedModel directory, in a stable order."""
    return sorted(p for p in directory.rglob("*") if p.is_file())


class ModelStore(pulumi.ComponentResource):
    """Puts each SavedModel at ``<prefix>/<model>/<version>/`` and says where TF Serving finds them.

    Each file is one ``BucketObject`` named by its version and path, whose inputs are its key, path and MD5, so a
    re-run with unchanged files changes nothing, a changed file updates only that object, and adding a version
    (a canary, or a new ``version``) creates objects without touching the ones pods already serve.
    """

    bucket: pulumi.Output[str]
    """Bucket holding the model."""
    base_path: pulumi.Output[str]
    """Object path of the model's base directory (the versions live under it)."""
    model_uri: pulumi.Output[str]
    """``oss://<bucket>/<base path>``."""
    uploads: dict[int, list[pulumi.Resource]]
    """The objects of each uploaded version: a server of that version depends on all of them, so no pod template
    refers to a version before its files are complete."""

    def __init__(self, name: str, args: ModelStoreArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eci-inference:index:ModelStore", name, None, opts)
        self.uploads = {}
        for version, local_dir in sorted(args["versions"].items()):
            version_prefix = model_key_prefix(args["prefix"], args["model"], version)
            objects: list[pulumi.Resource] = []
            for path in saved_model_files(local_dir):
                relative = path.relative_to(local_dir).as_posix()
                aliases: list[pulumi.Input[pulumi.Alias]] = (
                    [pulumi.Alias(name=f"{name}-{relative}")] if version == args["former_version"] else []
                )
                objects.append(
                    alicloud.oss.BucketObject(
                        f"{name}-v{version}-{relative}",
                        bucket=args["bucket"],
                        key=f"{version_prefix}/{relative}",
                        source=str(path),
                        content_md5=_content_md5(path),
                        opts=pulumi.ResourceOptions(parent=self, aliases=aliases, retain_on_delete=args["keep_dropped_versions"]),
                    )
                )
            self.uploads[version] = objects
        if args["oss_location"] is None:
            self.bucket = pulumi.Output.from_input(args["bucket"])
            base = f"{args['prefix']}/{args['model']}"
        else:
            bucket, base = args["oss_location"]
            self.bucket = pulumi.Output.from_input(bucket)
        self.base_path = pulumi.Output.from_input(base)
        self.model_uri = pulumi.Output.concat("oss://", self.bucket, "/", base)
        self.register_outputs({"bucket": self.bucket, "base_path": self.base_path, "model_uri": self.model_uri})
