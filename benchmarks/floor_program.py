"""The floor of :mod:`benchmarks.bench_render`: the same custom resources registered by a bare-SDK program.

It imports the SDKs the program imports and registers each custom resource of a render (type, name, inputs, as
``floor_resources`` wrote them) under the same mocks (:func:`tools.mockrun.run_program`): no components, no config,
no validation, no files.

    venv/bin/python -m benchmarks.floor_program FLOOR.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pulumi
import pulumi_alicloud.cs
import pulumi_alicloud.oss
import pulumi_kubernetes.apiextensions
import pulumi_kubernetes.autoscaling.v2
import pulumi_kubernetes.core.v1
import pulumi_kubernetes.helm.v3
import pulumi_kubernetes.networking.v1
import pulumi_kubernetes.policy.v1

from tools.mockrun import run_program

SDK_MODULES = (
    pulumi_alicloud.cs,
    pulumi_alicloud.oss,
    pulumi_kubernetes.apiextensions,
    pulumi_kubernetes.autoscaling.v2,
    pulumi_kubernetes.core.v1,
    pulumi_kubernetes.helm.v3,
    pulumi_kubernetes.networking.v1,
    pulumi_kubernetes.policy.v1,
)
"""The SDK modules the program's resources come from: loading them is part of any program's cost, so of the floor's."""


def main(argv: list[str]) -> int:
    resources = json.loads(Path(argv[0]).read_text())

    def program() -> None:
        for resource in resources:
            pulumi.CustomResource(resource["type"], resource["name"], dict(resource["inputs"]))

    run = run_program(program, {}, stack="bench")
    return 0 if len(run.resources) == len(resources) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
