"""``python -m tools.render``: the command line of the offline renderer."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tools.render.diff import diff_data
from tools.render.model import CI_SECRETS, DEFAULT_OUT, PROJECT_DIR, TOOL, RenderError, StackConfigInvalid
from tools.render.pipeline import check, missing_secrets, render_stack
from tools.render.report import load, write


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m {TOOL}",
        description="Render a stack offline (Pulumi's mocks; no cloud, cluster or Pulumi CLI): one YAML file per "
        "Kubernetes object in apply order, resources.md, and meta/ for --diff.",
    )
    parser.add_argument("--stack", required=True, help="stack to render: the <name> of a Pulumi.<name>.yaml")
    parser.add_argument("--out", type=Path, help="output directory (default: render/<stack>)")
    parser.add_argument("--force", action="store_true", help="write into --out even if it holds files no render wrote")
    parser.add_argument("--check", action="store_true", help="validate every Kubernetes object offline; exit 1 on problems")
    parser.add_argument("--diff", type=Path, metavar="OTHER_DIR", help="print what changed from the render in OTHER_DIR")
    parser.add_argument(
        "--missing-secrets",
        action="store_true",
        help="print '<config key> <CI secret>' for each secret the stack needs and its file lacks, then exit",
    )
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help=argparse.SUPPRESS)
    return parser


def out_problem(out: Path, project_dir: Path) -> str | None:
    """Why ``out`` cannot hold a render (checked before rendering), or ``None``."""
    try:
        where = out.resolve()
        if out.exists() and not out.is_dir():
            return "it is a file, not a directory; choose a directory"
    except (OSError, RuntimeError) as error:
        return f"cannot be used ({error})"
    if where == Path(where.anchor) or where == project_dir or where in project_dir.parents:
        return "is the file system root, the project directory or one above it; choose a directory of its own"
    return None


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit status (0 fine, 1 ``--check`` found problems, 2 usage or config error)."""
    args = build_parser().parse_args(argv)
    project_dir: Path = args.project_dir.resolve()
    out: Path = args.out if args.out is not None else DEFAULT_OUT / args.stack
    if not args.missing_secrets:
        problem = out_problem(out, project_dir)
        if problem is not None:
            _err(f"--out {out}: {problem}")
            return 2
    try:
        if args.missing_secrets:
            for key in missing_secrets(args.stack, project_dir):
                print(f"{key} {CI_SECRETS[key]}")
            return 0
        other = load(args.diff) if args.diff is not None else None
        rendered = render_stack(args.stack, project_dir=project_dir)
        foreign = write(rendered, out, force=args.force)
    except StackConfigInvalid as error:
        _err(f"stack {args.stack!r} (Pulumi.{args.stack}.yaml): nothing rendered.\n{error}")
        return 2
    except RenderError as error:
        _err(str(error))
        return 2
    except OSError as error:
        _err(f"--out {out}: cannot write the render there ({error.strerror or error})")
        return 2
    counts = f"{len(rendered.manifests)} Kubernetes objects, {len(rendered.resources)} resources"
    _err(f"rendered stack {args.stack!r}: {counts} -> {out}")
    if foreign:
        _err(f"left alone in {out} (--force): {', '.join(foreign)}")
    if other is not None:
        sys.stdout.write(diff_data(other, rendered.data()).text())
    status = 0
    if args.check:
        from tools.validate import SchemasMissing

        try:
            problems = check(rendered)
        except SchemasMissing as error:
            _err(f"check: {error}")
            return 2
        for problem in problems:
            _err(f"  {problem}")
        _err(f"check: {len(problems)} problem(s) in {len(rendered.manifests)} objects" if problems else
             f"check: all {len(rendered.manifests)} objects valid")  # fmt: skip
        status = 1 if problems else 0
    return status
