"""What a render is: its constants, its errors and its data, shared by the pipeline, the report, the diff and the CLI."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
DEFAULT_OUT = Path("render")
"""``--out`` defaults to ``render/<stack>`` (ignored by git)."""

KNOWN_AFTER_DEPLOY = "(known after deploy)"
"""Shown for a value that only exists once the resources do (ids the cloud assigns, computed attributes)."""

META_DIR = "meta"
MARKER = f"{META_DIR}/render.json"
RESOURCES_JSON = f"{META_DIR}/resources.json"
OUTPUTS_JSON = f"{META_DIR}/outputs.json"
RESOURCES_MD = "resources.md"
RENDER_FORMAT = 1
TOOL = "tools.render"

CI_SECRETS: dict[str, str] = {
    "ossAccessKeyId": "OSS_ACCESS_KEY_ID",
    "ossAccessKeySecret": "OSS_ACCESS_KEY_SECRET",
}
"""Secret config keys a stack may need that its stack file does not hold -> the CI secret that provides each."""


PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def display_key(key: str) -> str:
    """``<type> <name>`` of a resource key (``parent$...$type::name``)."""
    chain, _, name = key.rpartition("::")
    return f"{chain.rsplit('$', 1)[-1]} {name}"


_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump_yaml(value: Any) -> str:
    text: str = yaml.dump(value, Dumper=_DUMPER, sort_keys=False, default_flow_style=False, allow_unicode=True, width=4096)
    return text


class RenderError(Exception):
    """A problem the user can fix; the CLI prints the message and exits with status 2."""


class UnknownStack(RenderError):
    """No ``Pulumi.<stack>.yaml``; the message lists the stacks that exist."""

    def __init__(self, stack: str, project_dir: Path) -> None:
        self.available = stacks(project_dir)
        listed = ", ".join(self.available) if self.available else "none"
        super().__init__(
            f"unknown stack {stack!r}: there is no {project_dir / f'Pulumi.{stack}.yaml'}\nstacks of this project: {listed}"
        )


class StackConfigInvalid(RenderError):
    """The stack's config does not validate; the message is the program's own (one line per problem)."""


class OverwriteRefused(RenderError):
    """The output directory holds files that no render wrote."""


class NotARender(RenderError):
    """A directory given to ``--diff`` holds no render."""


def stacks(project_dir: Path = PROJECT_DIR) -> list[str]:
    """The stacks of the project: one per ``Pulumi.<stack>.yaml``."""
    return sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in project_dir.glob("Pulumi.*.yaml"))


@dataclass(frozen=True)
class Manifest:
    """One Kubernetes object and the file it is written to."""

    file: str
    key: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Rendered:
    """A stack rendered offline: its files, by relative path, and what they were made from."""

    stack: str
    manifests: tuple[Manifest, ...]
    resources: tuple[dict[str, Any], ...]
    outputs: dict[str, Any]
    files: dict[str, str] = field(repr=False)

    def data(self) -> RenderData:
        """What :func:`load` would read back from the written render."""
        return RenderData(json.loads(self.files[RESOURCES_JSON]), json.loads(self.files[OUTPUTS_JSON]))


@dataclass(frozen=True)
class RenderData:
    """The machine-readable part of a render: what ``--diff`` compares."""

    resources: list[dict[str, Any]]
    outputs: dict[str, Any]
