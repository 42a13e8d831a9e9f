"""Pool requirements and pool choice (§4.3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any


class CpuType:
    INTEL_CASCADE_LAKE = "Intel Cascade Lake"
    INTEL_ICE_LAKE = "Intel Ice Lake"
    INTEL_BROADWELL = "Intel Broadwell"


class GpuType:
    NO_GPU = "NO_GPU"
    V100 = "V100"
    A100 = "A100"
    T4 = "T4"


@dataclass(frozen=True)
class Provisioning:
    cpu_type: str | None = None
    cpu_count: int | None = None
    gpu_type: str | None = None
    gpu_count: int | None = None
    ram_size_gb: int | None = None

    @staticmethod
    def default() -> Provisioning:
        return Provisioning(CpuType.INTEL_CASCADE_LAKE, 2, GpuType.NO_GPU, 0, 2)

    def override(self, other: Provisioning) -> Provisioning:
        changes = {k: v for k, v in vars(other).items() if v is not None}
        return replace(self, **changes)

    def validate(self) -> None:
        for name in ("cpu_count", "gpu_count", "ram_size_gb"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must be non-negative, got {value}")

    def matches(self, pool: Any) -> bool:
        full = Provisioning.default().override(self)
        return bool(
            pool.cpuType == full.cpu_type
            and pool.cpuCount >= (full.cpu_count or 0)
            and pool.gpuType == full.gpu_type
            and pool.gpuCount >= (full.gpu_count or 0)
            and pool.ramGb >= (full.ram_size_gb or 0)
        )


def choose_pool(provisioning: Provisioning, pools: Sequence[Any], op_name: str) -> str:
    for pool in pools:
        if provisioning.matches(pool):
            name: str = pool.poolSpecName
            return name
    raise RuntimeError(f"Cannot resolve pool for operation {op_name}: requirements {provisioning}, pools {pools}")
