"""Print the repository's stacks (one per ``Pulumi.<stack>.yaml``) as a JSON list, each name checked first.

Usage: ``python3 .ci/stacks.py [--dir DIR] [--except NAME]... [--lines]``; standard library only, so a workflow can
run it before any install. A file name that is not a valid Pulumi stack name ends the run with exit 1 and one
``::error::`` line per bad file (the name JSON-escaped, so it cannot start a workflow command of its own), and no
list: a name made of shell syntax never reaches a job's matrix, a ``run:`` script or ``pulumi``.

Pulumi's rule, ``ParseStackName`` in ``sdk/go/common/tokens/stack_name.go`` (pulumi/pulumi tag v3.259.0, the newest
tag we could read; the file is unchanged there since dd5fef7091, "Fix stack name validation check (#15245)"): not
empty, at most 100 characters, and only ``[A-Za-z0-9_.-]`` (its regex ``^[A-Za-z0-9_.-]*`` must reach the end).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
PREFIX, SUFFIX = "Pulumi.", ".yaml"


def stack_names(directory: Path) -> tuple[list[str], list[str]]:
    """The valid stack names, and an error line for every stack file whose name breaks Pulumi's rule."""
    names: list[str] = []
    errors: list[str] = []
    for path in sorted(directory.glob(f"{PREFIX}*{SUFFIX}")):
        name = path.name[len(PREFIX) : -len(SUFFIX)]
        if STACK_NAME.fullmatch(name):
            names.append(name)
        else:
            errors.append(
                f"::error::stack file {json.dumps(path.name)}: {json.dumps(name)} is not a Pulumi stack name "
                "(1 to 100 characters, only letters, digits, '-', '_' and '.')"
            )
    return names, errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="List the stacks as JSON, refusing invalid stack names.")
    parser.add_argument("--dir", type=Path, default=Path("."), help="directory holding the Pulumi.<stack>.yaml files")
    parser.add_argument("--except", dest="excluded", action="append", default=[], help="a stack to leave out")
    parser.add_argument("--lines", action="store_true", help="one name per line instead of a JSON list")
    args = parser.parse_args(argv)
    names, errors = stack_names(args.dir)
    if errors:
        print("\n".join(errors))
        return 1
    chosen = [name for name in names if name not in args.excluded]
    print("\n".join(chosen) if args.lines else json.dumps(chosen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
