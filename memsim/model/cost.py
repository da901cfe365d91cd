"""The cost of reclamation to a VM: stalled time → ``latency`` and relative ``throughput``.

DESIGN.md §3, DOMAIN.md §8: faults on non-resident working-set pages cost time — decompression
≈ 20 µs (``Memsim.DecompressLatency``), a swap-in from the host SSD cache ≈ 0.2 ms, from the
swap device its latency (disk ≈ 8 ms, SSD ≈ 0.2 ms), a guest swap-in ≈ 8 ms
(``Memsim.GuestSwapLatency``) — and so does time blocked in the ``low`` state. Over an interval
of ``dt`` seconds, a VM that stalled ``s`` seconds waited a share ``min(s/dt, 1)`` of it:
``latency`` is that share in %, and ``throughput`` the share of work it still got done.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Vec = NDArray[np.float64]


def stall_share(stall_seconds: Vec, dt: float) -> Vec:
    """Share of ``dt`` spent waiting, capped at 1."""
    return np.clip(stall_seconds / dt, 0.0, 1.0) if dt > 0 else np.zeros_like(stall_seconds)


def latency_percent(stall_seconds: Vec, dt: float) -> Vec:
    """vSphere ``latency``: % of time waiting on swap-in, decompression or blocking."""
    return 100.0 * stall_share(stall_seconds, dt)


def throughput(stall_seconds: Vec, dt: float) -> Vec:
    """Relative throughput: 1 when nothing of the working set was reclaimed."""
    return 1.0 - stall_share(stall_seconds, dt)


def fault_latencies(settings: dict[str, float]) -> dict[str, float]:
    """Seconds per fault of each kind the guest model charges."""
    return {
        "decompress": settings["Memsim.DecompressLatency"] * 1e-6,
        "guest_swap": settings["Memsim.GuestSwapLatency"] * 1e-6,
    }
