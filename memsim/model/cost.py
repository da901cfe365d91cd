"""The cost of reclamation to a VM: stalled time → ``latency`` and relative ``throughput``.

DESIGN.md §3, docs/model.md §8: faults on non-resident working-set pages cost time — decompression
≈ 20 µs (``Memsim.DecompressLatency``), a swap-in from the host SSD cache ≈ 0.2 ms, from the
swap device its latency (disk ≈ 8 ms, SSD ≈ 0.2 ms), a guest swap-in ≈ 8 ms
(``Memsim.GuestSwapLatency``) — and so does time blocked in the ``low`` state. Over an interval
of ``dt`` seconds, a VM that stalled ``s`` seconds waited a share ``min(s/dt, 1)`` of it:
``latency`` is that share in %, and ``throughput`` the share of work it still got done.
"""

from __future__ import annotations

import numpy as np

from memsim.counters import LATENCY_CAUSES
from memsim.model.arrays import Vec

#: What a VM waits on, each with its own stall counter: host swap-in, decompression, guest
#: paging (its own swap, inside a balloon), page-cache misses (re-reads from the guest's
#: disk) and being blocked in ``low``. Recorded as ``latency_<cause>`` (%), which sum to
#: ``latency``; the causes and their labels are defined in :mod:`memsim.counters`.
STALL_CAUSES = tuple(LATENCY_CAUSES)
#: How reports name each cause.
CAUSE_LABELS = LATENCY_CAUSES


def stall_share(stall_seconds: Vec, dt: float) -> Vec:
    """Share of ``dt`` spent waiting, capped at 1."""
    return np.clip(stall_seconds / dt, 0.0, 1.0) if dt > 0 else np.zeros_like(stall_seconds)


def latency_percent(stall_seconds: Vec, dt: float) -> Vec:
    """VSphere ``latency``: % of time waiting on swap-in, decompression or blocking."""
    return 100.0 * stall_share(stall_seconds, dt)


def latency_by_cause(stall_seconds: dict[str, Vec], total: Vec, dt: float) -> dict[str, Vec]:
    """``latency`` split by cause: each cause's share of the stalled time, in %.

    Args:
        stall_seconds: seconds stalled in the interval for each of :data:`STALL_CAUSES`.
        total: seconds stalled in the interval, all causes (the sum of ``stall_seconds``).
        dt: the interval, s.

    Returns:
        ``latency_<cause>`` per cause. Their sum is :func:`latency_percent` of the total (to
        rounding): when the total exceeds ``dt`` and ``latency`` is capped at 100 %, the cap is
        shared in proportion to each cause's seconds.
    """
    capped = latency_percent(total, dt)
    share = np.divide(capped, total, out=np.zeros_like(capped), where=total > 0)
    return {f"latency_{cause}": stall_seconds[cause] * share for cause in STALL_CAUSES}


def throughput(stall_seconds: Vec, dt: float) -> Vec:
    """Relative throughput: 1 when nothing of the working set was reclaimed."""
    return 1.0 - stall_share(stall_seconds, dt)


def fault_latencies(settings: dict[str, float]) -> dict[str, float]:
    """Seconds per fault of each kind the guest model charges."""
    return {
        "decompress": settings["Memsim.DecompressLatency"] * 1e-6,
        "guest_swap": settings["Memsim.GuestSwapLatency"] * 1e-6,
    }
