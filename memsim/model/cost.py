"""The cost of reclamation to a VM: stalled time → ``latency``, ``stall`` and ``throughput``.

DESIGN.md §3, docs/model.md §8: faults on non-resident working-set pages cost time — decompression
≈ 20 µs (``Memsim.DecompressLatency``), a swap-in from the host SSD cache ≈ 0.2 ms, from the
swap device its latency (disk ≈ 8 ms, SSD ≈ 0.2 ms), a guest swap-in ≈ 8 ms
(``Memsim.GuestSwapLatency``) — and so does time blocked in the ``low`` state and a page-cache
miss of a ``dataset`` workload (a re-read from the guest's disk). Over an interval of ``dt``
seconds, a VM that stalled ``s`` seconds (all causes) waited a share ``min(s/dt, 1)`` of it:

- ``stall`` is that share in %, and ``throughput`` the share of work it still got done;
- each cause's counter (:data:`WAIT_COUNTERS`) is its part of ``stall``; when the causes add up
  to more than ``dt`` the 100 % cap is shared in proportion to their seconds, so the parts
  always sum to ``stall``;
- ``latency`` is vCenter's ``mem.latency``: the parts of host swap-in and decompression only
  (:data:`LATENCY_CAUSES`). Guest paging inside a balloon, page-cache misses and blocking are
  stalls the guest suffers but not memory latency as vCenter reports it (DOMAIN.md §7).
"""

from __future__ import annotations

import numpy as np

from memsim.counters import LATENCY_CAUSES, WAIT_COUNTERS
from memsim.counters import STALL_CAUSES as _STALL
from memsim.model.arrays import Vec

#: What a VM waits on, each with its own stall clock: host swap-in, decompression, guest
#: paging (its own swap, inside a balloon), page-cache misses (re-reads from the guest's
#: disk) and being blocked in ``low``; labels, the latency causes and the counters are defined
#: in :mod:`memsim.counters`.
STALL_CAUSES = tuple(_STALL)
#: How reports name each cause.
CAUSE_LABELS = _STALL

__all__ = [
    "CAUSE_LABELS", "LATENCY_CAUSES", "STALL_CAUSES", "WAIT_COUNTERS", "fault_latencies",
    "stall_percent", "stall_share", "throughput", "waits",
]  # fmt: skip


def stall_share(stall_seconds: Vec, dt: float) -> Vec:
    """Share of ``dt`` spent waiting, capped at 1."""
    return np.clip(stall_seconds / dt, 0.0, 1.0) if dt > 0 else np.zeros_like(stall_seconds)


def stall_percent(stall_seconds: Vec, dt: float) -> Vec:
    """``stall``: % of ``dt`` spent waiting, all causes, capped at 100."""
    return 100.0 * stall_share(stall_seconds, dt)


def waits(stall_seconds: dict[str, Vec], dt: float) -> dict[str, Vec]:
    """The interval's waiting as counters: each cause's part, ``stall`` and ``latency`` (%).

    Args:
        stall_seconds: seconds stalled in the interval for each of :data:`STALL_CAUSES`.
        dt: the interval, s.

    Returns:
        :data:`WAIT_COUNTERS` by counter name, plus ``stall`` (their sum, at most 100) and
        ``latency`` (the parts of :data:`LATENCY_CAUSES`). When the causes add up to more than
        ``dt``, the cap is shared in proportion to each cause's seconds.
    """
    total = np.sum([stall_seconds[c] for c in STALL_CAUSES], axis=0)
    capped = stall_percent(total, dt)
    share = np.divide(capped, total, out=np.zeros_like(capped), where=total > 0)
    out = {WAIT_COUNTERS[c]: stall_seconds[c] * share for c in STALL_CAUSES}
    out["stall"] = capped
    out["latency"] = np.sum([out[WAIT_COUNTERS[c]] for c in LATENCY_CAUSES], axis=0)
    return out


def throughput(stall_seconds: Vec, dt: float) -> Vec:
    """Relative throughput: the share of the interval not stalled, whatever the cause."""
    return 1.0 - stall_share(stall_seconds, dt)


def fault_latencies(settings: dict[str, float]) -> dict[str, float]:
    """Seconds per fault of each kind the guest model charges."""
    return {
        "decompress": settings["Memsim.DecompressLatency"] * 1e-6,
        "guest_swap": settings["Memsim.GuestSwapLatency"] * 1e-6,
    }
