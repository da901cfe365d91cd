"""Per-VM overhead memory (docs/model.md §6): a function of vCPUs and configured size.

Values are the vSphere 6.7 overhead table (MiB); between rows memsim interpolates linearly in
configured size, and beyond the last row it extrapolates from the last two.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

_SIZES_MIB = np.array([256.0, 1024.0, 4096.0, 16384.0])
_VCPUS = np.array([1, 2, 4, 8])
_TABLE_MIB = np.array(
    [
        [20.29, 24.28, 32.23, 48.16],
        [25.90, 29.91, 37.86, 53.82],
        [48.64, 52.72, 60.67, 76.78],
        [139.62, 143.98, 151.93, 168.60],
    ]
)


def overhead_mib(memory_mib: NDArray[np.float64], vcpus: NDArray[np.int64]) -> NDArray[np.float64]:
    """Overhead memory in MiB for VMs of ``memory_mib`` configured MiB and ``vcpus`` vCPUs.

    vCPU counts between table columns interpolate linearly too.
    """
    memory_mib = np.asarray(memory_mib, dtype=float)
    vcpus = np.asarray(vcpus, dtype=float)
    per_col = np.empty((len(_VCPUS), memory_mib.size))
    for j in range(len(_VCPUS)):
        col = _TABLE_MIB[:, j]
        slope = (col[-1] - col[-2]) / (_SIZES_MIB[-1] - _SIZES_MIB[-2])
        inside = np.interp(memory_mib.ravel(), _SIZES_MIB, col)
        beyond = col[-1] + slope * (memory_mib.ravel() - _SIZES_MIB[-1])
        per_col[j] = np.where(memory_mib.ravel() > _SIZES_MIB[-1], beyond, inside)
    out = np.empty(memory_mib.size)
    for i, v in enumerate(vcpus.ravel()):
        out[i] = np.interp(v, _VCPUS, per_col[:, i])
    return out.reshape(memory_mib.shape)
