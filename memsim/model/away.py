"""Which working-set pages would fault if touched: a per-VM index, kept where it changes.

A touch faults on a working-set page (rank below the VM's working-set threshold ``ws``) that is
not resident (docs/model.md §2–§5). Those pages are of two kinds:

* ranks ``[region, ws)`` when the balloon reaches into the working set: every page the balloon
  holds is ballooned or paged out by the guest, so they are a range and need no index;
* below the balloon's region: pages the host reclaimed (compressed or swapped) and pages the
  guest paged out while they were ballooned, which stay paged out after the balloon deflates
  until they are touched or rewritten. These are the index.

The index is one sorted array of keys ``offsets[vm] + rank``, so a VM's entries are a
contiguous run and its count is two binary searches. It changes only where such a page enters
or leaves (the same places that keep :attr:`GuestMemory.exposed
<memsim.model.pages.GuestMemory.exposed>` exact), by the number of pages that change: the
guest then draws its faults directly from it (:meth:`memsim.model.guest.Guests.access`)
instead of drawing every touch to find the few that fault.
"""

from __future__ import annotations

import numpy as np

from memsim.model.arrays import Index


class AwayIndex:
    """Sorted keys ``offsets[vm] + rank`` of the non-resident working-set pages below each VM's
    balloon region.

    Args:
        offsets: first global page of each VM, and the total (``GuestMemory.offsets``).
    """

    def __init__(self, offsets: Index) -> None:
        self.offsets = offsets
        self.keys = np.zeros(0, dtype=np.int64)

    def add(self, owner: Index, rank: Index) -> None:
        """Pages ``(owner, rank)``, not in the index, enter it."""
        if len(owner) == 0:
            return
        new = np.sort(self.offsets[owner] + rank)
        self.keys = np.insert(self.keys, np.searchsorted(self.keys, new), new)

    def remove(self, owner: Index, rank: Index) -> None:
        """Pages ``(owner, rank)``, all in the index, leave it."""
        if len(owner) == 0:
            return
        self.keys = np.delete(self.keys, np.searchsorted(self.keys, self.offsets[owner] + rank))

    def move(self, owner: Index, rank: Index, sign: int) -> None:
        """:meth:`add` (``sign`` +1) or :meth:`remove` (−1)."""
        if sign > 0:
            self.add(owner, rank)
        else:
            self.remove(owner, rank)

    def clear(self, vm: int) -> None:
        """Every entry of VM ``vm`` leaves (power-off)."""
        lo, hi = np.searchsorted(self.keys, self.offsets[vm : vm + 2])
        self.keys = np.delete(self.keys, np.arange(lo, hi))

    def runs(self, vms: Index) -> tuple[Index, Index]:
        """Where each VM's entries start in :attr:`keys`, and how many there are."""
        lo = np.searchsorted(self.keys, self.offsets[vms])
        hi = np.searchsorted(self.keys, self.offsets[vms + 1])
        return lo, hi - lo
