"""One model version in OSS: uploaded file by file from a local SavedModel, or an existing oss:// prefix."""

from __future__ import annotations

import base64
import hashlib
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
    version: int
    """Model version, the directory TF Serving loads."""
    local_dir: Path | None
    """Local SavedModel directory to upload; ``None`` when ``oss_location`` holds the model."""
    oss_location: tuple[str, str] | None
    """``(bucket, path)`` of an existing ``oss://`` location holding the model."""


def _content_md5(path: Path) -> str:
    return base64.b64encode(hashlib.md5(path.read_bytes()).digest()).decode()


def saved_model_files(directory: Path) -> list[Path]:
    """Files of a SavedModel directory, in a stable order."""
    return sorted(p for p in directory.rglob("*") if p.is_file())


class ModelStore(pulumi.ComponentResource):
    """Puts the SavedModel at ``<prefix>/<model>/<version>/`` and says where TF Serving finds it.

    Each file is one ``BucketObject`` whose inputs are its key, path and MD5, so a re-run with unchanged
    files changes nothing and a changed file updates only that object.
    """

    bucket: pulumi.Output[str]
    """Bucket holding the model."""
    base_path: pulumi.Output[str]
    """Object path of the model's base directory (the versions live under it)."""
    model_uri: pulumi.Output[str]
    """``oss://<bucket>/<base path>``."""

    def __init__(self, name: str, args: ModelStoreArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eci-inference:index:ModelStore", name, None, opts)
        local_dir = args["local_dir"]
        if local_dir is not None:
            version_prefix = model_key_prefix(args["prefix"], args["model"], args["version"])
            for path in saved_model_files(local_dir):
                relative = path.relative_to(local_dir).as_posix()
                alicloud.oss.BucketObject(
                    f"{name}-{relative}",
                    bucket=args["bucket"],
                    key=f"{version_prefix}/{relative}",
                    source=str(path),
                    content_md5=_content_md5(path),
                    opts=pulumi.ResourceOptions(parent=self),
                )
            self.bucket = pulumi.Output.from_input(args["bucket"])
            base = f"{args['prefix']}/{args['model']}"
        else:
            assert args["oss_location"] is not None, "ModelStore needs local_dir or oss_location"
            bucket, base = args["oss_location"]
            self.bucket = pulumi.Output.from_input(bucket)
        self.base_path = pulumi.Output.from_input(base)
        self.model_uri = pulumi.Output.concat("oss://", self.bucket, "/", base)
        self.register_outputs({"bucket": self.bucket, "base_path": self.base_path, "model_uri": self.model_uri})
