"""The ECI GPU instance types the stack supports, and whether a pod fits one.

The table is ``eci_gpu_specs.yaml`` beside this file; its header names the source and the date it was read.
ECI creates a pod on the first listed instance type that has the pod's resources (``k8s.aliyun.com/eci-use-specs``),
so a pod whose summed requests exceed a listed type can never run on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import yaml

SPECS_FILE = Path(__file__).resolve().parent / "eci_gpu_specs.yaml"
GIB = Decimal(2**30)


@dataclass(frozen=True)
class GpuSpec:
    """One ECI GPU instance type."""

    name: str
    vcpu: int
    memory_gib: Decimal
    gpus: int
    gpu_model: str
    gpu_memory_gib: int


@cache
def table() -> dict[str, GpuSpec]:
    """Every supported GPU instance type by name."""
    rows = yaml.safe_load(SPECS_FILE.read_text())["specs"]
    return {
        row["spec"]: GpuSpec(
            name=row["spec"],
            vcpu=int(row["vcpu"]),
            memory_gib=Decimal(str(row["memoryGiB"])),
            gpus=int(row["gpus"]),
            gpu_model=str(row["gpuModel"] or "GPU"),
            gpu_memory_gib=int(row["gpuMemoryGiB"]),
        )
        for row in rows
    }


def misfits(spec: GpuSpec, cpu: Decimal, memory_bytes: Decimal, gpus: int) -> list[str]:
    """Why a pod with these summed requests does not fit ``spec`` (empty when it fits)."""
    problems = []
    if cpu > spec.vcpu:
        problems.append(f"the pod requests {cpu:g} vCPU, {spec.name} has {spec.vcpu}")
    if memory_bytes > spec.memory_gib * GIB:
        problems.append(f"the pod requests {memory_bytes / GIB:.3g} GiB, {spec.name} has {spec.memory_gib:g} GiB")
    if gpus != spec.gpus:
        problems.append(f"the pod requests {gpus} GPU(s), {spec.name} has {spec.gpus} x {spec.gpu_model}")
    return problems
