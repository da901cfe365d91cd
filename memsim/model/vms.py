"""Static per-VM parameters as vectors over all VMs of a scenario (pages, shares, flags)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass
class VMParams:
    """Per-VM settings the model reads, one entry per VM in scenario order.

    Sizes are in pages; ``limit`` equals ``size`` when unlimited. Settings that events may change
    at run time (limit, reservation, shares, …) are plain arrays the engine writes into.
    """

    names: list[str]
    size: NDArray[np.int64]
    reservation: NDArray[np.int64]
    limit: NDArray[np.int64]
    shares: NDArray[np.float64]
    overhead: NDArray[np.int64]
    tools: NDArray[np.bool_]
    maxmemctl: NDArray[np.int64]
    compressible: NDArray[np.float64]
    #: ``large_pages``: 1 on, 0 off, -1 ``auto`` (as the host's ``Mem.AllocGuestLargePage``)
    large_pages: NDArray[np.int8]
    pshare: NDArray[np.bool_]

    @property
    def n(self) -> int:
        """Number of VMs."""
        return len(self.names)

    def large_pages_on(self, vm: int, alloc_guest_large_page: float) -> bool:
        """Whether VM ``vm`` backs its memory with 2 MiB pages (docs/model.md §2): ``auto``
        follows the host's ``Mem.AllocGuestLargePage`` (on by default wherever the profile has
        hardware-MMU large pages), ``true`` and ``false`` decide for the VM."""
        choice = int(self.large_pages[vm])
        return bool(alloc_guest_large_page) if choice < 0 else bool(choice)

    def balloon_max(self, ctl_max_percent: float) -> NDArray[np.int64]:
        """Balloon maximum (docs/model.md §3), 0 without VMware Tools.

        min(CtlMaxPercent × size, maxmemctl, size − reservation)."""
        cap = np.minimum(
            np.floor(self.size * ctl_max_percent / 100.0).astype(np.int64), self.maxmemctl
        )
        cap = np.minimum(cap, self.size - self.reservation)
        return np.where(self.tools, np.maximum(cap, 0), 0)
