"""``python -m tools.preflight``: check the live cluster against what a stack needs, before ``pulumi up``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tools.preflight.ack import cluster_kubeconfig
from tools.preflight.checks import run_checks
from tools.preflight.client import PreflightError, ReadOnlyApi, load_client, server
from tools.preflight.plan import build_plan, load_config
from tools.preflight.report import as_json, exit_status, summary, table
from tools.render.model import PROJECT_DIR

TOOL = "tools.preflight"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m {TOOL}",
        description="Read-only check of a live cluster against what a stack needs (GET requests only). "
        "Exit 0: nothing failed; 1: a check failed; 2: bad input or the cluster could not be reached.",
    )
    parser.add_argument("--stack", required=True, help="the stack to check: the <name> of a Pulumi.<name>.yaml")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)")
    source.add_argument(
        "--from-ack",
        action="store_true",
        help="ask ACK for the stack's cluster's kubeconfig, as pulumi up does (needs ALICLOUD_ACCESS_KEY and "
        "ALICLOUD_SECRET_KEY; never written as a kubeconfig file)",
    )
    parser.add_argument("--context", help="kubeconfig context (default: its current-context)")
    parser.add_argument("--json", action="store_true", help="write the rows as JSON to stdout instead of a table")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--ack-endpoint", help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    project_dir: Path = args.project_dir.resolve()
    try:
        config = load_config(args.stack, project_dir)
        issued = cluster_kubeconfig(config.cluster_id, config.region, args.ack_endpoint) if args.from_ack else None
        client = load_client(args.kubeconfig, args.context, issued)
        api = ReadOnlyApi(client)
        api.get("/version")  # an unreachable cluster or refused credentials end the run here, before the render
        plan = build_plan(args.stack, config, project_dir)
        rows = run_checks(api, plan)
    except PreflightError as error:
        print(f"preflight: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(as_json(args.stack, server(client), rows))
    else:
        print(f"preflight of stack {args.stack!r} against {server(client)}")
        print(table(rows))
        print(summary(rows))
    return exit_status(rows)
