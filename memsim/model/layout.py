"""Where each hotness rank of a VM lives: its 2 MiB regions in a random order.

A VM's hotness ranks (DESIGN.md §3) fill its guest memory one 2 MiB region (:data:`LARGE_PAGE`
pages) at a time: the regions in a random permutation drawn at power-on, the pages of each in
address order, so the memory a guest uses covers as few regions as it can, as a guest's
allocator keeps its memory together (docs/model.md §2). The last region of a VM whose size is not
a whole number of regions holds fewer pages; the ranks after it are shifted by what it lacks.

The page of a rank is thus arithmetic on one entry per region (1/128 byte per guest page, small
enough to stay in the processor's cache on a terabyte host) instead of a 4-byte entry per page:
:meth:`RankLayout.pages`. The other way, the VM of a global page is read from one entry per
2 MiB block of the concatenated pages (:meth:`RankLayout.vm_of`) instead of a binary search of
the VMs' offsets per page. Only a working set that *moves* (``churn``,
:meth:`RankLayout.exchange`) breaks the pattern; then the layout is written out once as an
explicit page per rank (:attr:`RankLayout.order`), 4 bytes per guest page from then on.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from memsim.model.arrays import Index
from memsim.model.intrinsics import AHEAD, prefetch

__all__ = ["LARGE_PAGE", "RankLayout", "region_layout"]

LARGE_PAGE = 512  #: 4 KiB pages per 2 MiB region (one large page, docs/model.md §2)


def region_layout(size: int, rng: np.random.Generator) -> NDArray[np.uint32]:
    """Page index (within the VM) of each hotness rank of a VM of ``size`` pages, written out:
    the layout :class:`RankLayout` keeps as one entry per region, drawn the same way."""
    layout = RankLayout(np.array([0, size], dtype=np.int64))
    layout.lay_out(0, rng)
    return layout.pages(np.zeros(size, dtype=np.int64), np.arange(size)).astype(np.uint32)


class RankLayout:
    """The page of every hotness rank of every VM.

    Args:
        offsets: first global page of each VM, and the total (``GuestMemory.offsets``).
    """

    def __init__(self, offsets: Index) -> None:
        self.offsets = offsets
        sizes = np.diff(offsets)
        count = -(-sizes // LARGE_PAGE)
        #: where each VM's regions start in :attr:`regions`, and the total
        self.first = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(count, out=self.first[1:])
        #: region (within its VM) that holds each run of :data:`LARGE_PAGE` ranks
        self.regions = np.zeros(int(self.first[-1]), dtype=np.uint32)
        #: first rank of each VM's short last region, and the pages that region lacks
        self.short_at = np.zeros(len(sizes), dtype=np.int64)
        self.short = (count * LARGE_PAGE - sizes).astype(np.int64)
        #: the page (within its VM) of each rank, written out once a working set moved
        self.order: NDArray[np.uint32] | None = None
        #: VM holding the first page of each block of :data:`LARGE_PAGE` global pages
        starts = np.arange(0, int(offsets[-1]), LARGE_PAGE, dtype=np.int64)
        self.block_vm = (np.searchsorted(offsets, starts, side="right") - 1).astype(np.int32)

    def lay_out(self, vm: int, rng: np.random.Generator) -> None:
        """Draw VM ``vm``'s layout at power-on: one permutation of its regions from ``rng``."""
        lo, hi = int(self.first[vm]), int(self.first[vm + 1])
        perm = rng.permutation(hi - lo)
        self.regions[lo:hi] = perm
        self.short_at[vm] = int(np.flatnonzero(perm == hi - lo - 1)[0]) * LARGE_PAGE
        if self.order is not None:
            _write_out(self.order, np.array([vm]), *self._arrays())

    def pages(self, vms: Index, ranks: NDArray[np.integer]) -> Index:
        """Global page of rank ``ranks[i]`` in VM ``vms[i]`` (compiled, one step per rank)."""
        if len(vms) != len(ranks):  # the kernels do not check their bounds
            raise ValueError(f"{len(vms)} VMs for {len(ranks)} ranks")
        if self.order is not None:
            return _gather(self.offsets, self.order, vms, ranks)
        return _by_region(vms, ranks, *self._arrays())

    def vm_of(self, pages: Index) -> Index:
        """VM of each global page (compiled, one step per page and per VM boundary passed)."""
        return _vm_of(pages, self.offsets, self.block_vm)

    def exchange(self, here: Index, there: Index) -> None:
        """The pages at ranks ``here`` and ``there``, both given as ``offsets[vm] + rank``,
        trade ranks; the first exchange writes the layout out (:attr:`order`)."""
        if self.order is None:
            self.order = np.zeros(int(self.offsets[-1]), dtype=np.uint32)
            _write_out(self.order, np.arange(len(self.short)), *self._arrays())
        self.order[here], self.order[there] = self.order[there], self.order[here]

    def _arrays(self) -> tuple[Index, Index, NDArray[np.uint32], Index, Index]:
        return self.offsets, self.first, self.regions, self.short_at, self.short


_SHIFT = 9  #: log2 of LARGE_PAGE: ranks and pages split into region and offset by shifts
assert LARGE_PAGE == 1 << _SHIFT


@njit(cache=True)
def _unshort(rank: np.int64, short_at: np.int64, short: np.int64) -> np.int64:
    """``rank`` as if the VM's short region were whole: shifted by what that region lacks when
    the rank comes after it (scalars only: an array argument costs reference counting)."""
    return rank + short if rank >= short_at + LARGE_PAGE - short else rank


@njit(cache=True)
def _by_region(
    vms: Index,
    ranks: NDArray[np.integer],
    offsets: Index,
    first: Index,
    regions: NDArray[np.uint32],
    short_at: Index,
    short: Index,
) -> Index:
    """Global page of each ``(vms[i], ranks[i])`` from the region of its run of ranks."""
    out = np.empty(len(vms), dtype=np.int64)
    for i in range(len(vms)):
        v = vms[i]
        r = _unshort(np.int64(ranks[i]), short_at[v], short[v])
        region = np.int64(regions[first[v] + (r >> _SHIFT)])
        out[i] = offsets[v] + (region << _SHIFT) + (r & (LARGE_PAGE - 1))
    return out


@njit(cache=True)
def _write_out(
    order: NDArray[np.uint32],
    vms: Index,
    offsets: Index,
    first: Index,
    regions: NDArray[np.uint32],
    short_at: Index,
    short: Index,
) -> None:
    """``order[offsets[v] + rank]`` = the page within VM ``v`` of each of its ranks, for each
    of ``vms``."""
    for v in vms:
        for rank in range(offsets[v + 1] - offsets[v]):
            r = _unshort(np.int64(rank), short_at[v], short[v])
            region = np.int64(regions[first[v] + (r >> _SHIFT)])
            order[offsets[v] + rank] = (region << _SHIFT) + (r & (LARGE_PAGE - 1))


@njit(cache=True)
def _gather(
    offsets: Index, order: NDArray[np.uint32], vms: Index, ranks: NDArray[np.integer]
) -> Index:
    """Global page of each ``(vms[i], ranks[i])`` from the written-out layout."""
    out = np.empty(len(vms), dtype=np.int64)
    for i in range(len(vms)):
        if i + AHEAD < len(vms):
            prefetch(order, offsets[vms[i + AHEAD]] + np.int64(ranks[i + AHEAD]))
        base = np.int64(offsets[vms[i]])
        out[i] = base + np.int64(order[base + np.int64(ranks[i])])
    return out


@njit(cache=True)
def _vm_of(pages: Index, offsets: Index, block_vm: NDArray[np.int32]) -> Index:
    """VM of each global page: its block's first VM, or a later one if VMs end in the block."""
    out = np.empty(len(pages), dtype=np.int64)
    for i in range(len(pages)):
        p = pages[i]
        v = np.int64(block_vm[p >> _SHIFT])
        while offsets[v + 1] <= p:
            v += 1
        out[i] = v
    return out
