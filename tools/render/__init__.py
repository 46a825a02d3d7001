"""The offline renderer: what ``pulumi up`` would register, without a cloud, a cluster or the Pulumi CLI.

Split by concern: :mod:`~tools.render.model` (constants, errors, data), :mod:`~tools.render.pipeline` (config,
mock run, ordering, ``check``), :mod:`~tools.render.report` (``resources.md`` and the files on disk),
:mod:`~tools.render.diff` (``--diff``) and :mod:`~tools.render.cli` (``python -m tools.render``). The names below are
the API the tests and the other tools use.
"""

from tools.render.cli import build_parser, main
from tools.render.diff import RenderDiff, diff, diff_data
from tools.render.model import (
    MARKER,
    NotARender,
    OverwriteRefused,
    RenderData,
    Rendered,
    RenderError,
    StackConfigInvalid,
    UnknownStack,
    stacks,
)
from tools.render.pipeline import check, check_dir, missing_secrets, placeholder, render_config, render_run, render_stack
from tools.render.report import load, write

__all__ = [
    "MARKER",
    "NotARender",
    "OverwriteRefused",
    "RenderData",
    "RenderDiff",
    "RenderError",
    "Rendered",
    "StackConfigInvalid",
    "UnknownStack",
    "build_parser",
    "check",
    "check_dir",
    "diff",
    "diff_data",
    "load",
    "main",
    "missing_secrets",
    "placeholder",
    "render_config",
    "render_run",
    "render_stack",
    "stacks",
    "write",
]
