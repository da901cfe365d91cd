"""Hypervisor swapping (docs/model.md §5).

Victims are chosen at random among a VM's private pages: the hypervisor does not know which
pages the guest needs, so swapping hits the working set in proportion to its size (the reason it
costs more than ballooning, docs/model.md §8). Shared pages are left alone ("share before swap").
Swapped pages come back only when the guest touches them (demand swap-in); nothing is prefetched
when pressure ends. A host swap cache on SSD (vSphere 5+) takes swapped pages first while it has
room; swap-ins from it cost tenths of a millisecond.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from memsim.model import backing_kernels
from memsim.model.arrays import Index
from memsim.model.pages import GuestMemory, PageState
from memsim.model.segments import random_ranks


@dataclass(frozen=True)
class SwapDevice:
    """Where swapped pages go.

    Attributes:
        latency: seconds per demand swap-in from the device.
        bandwidth: pages per second the device can write.
        cache_pages: capacity of the host SSD swap cache, pages (0 = none).
        cache_latency: seconds per swap-in from the SSD cache.
    """

    latency: float
    bandwidth: float
    cache_pages: int = 0
    cache_latency: float = 200e-6


class Swapper:
    """Random-victim swap-out and demand swap-in, with per-VM counters.

    Args:
        gm: guest pages.
        device: the swap device and host cache.
        rng: the run's generator (victim choice).
    """

    def __init__(self, gm: GuestMemory, device: SwapDevice, rng: np.random.Generator) -> None:
        self.gm = gm
        self.device = device
        self.rng = rng
        self.swapped_out = np.zeros(gm.n_vms, dtype=np.int64)  #: cumulative pages written
        self.swapped_in = np.zeros(gm.n_vms, dtype=np.int64)  #: cumulative pages read back
        self.cache_out = np.zeros(gm.n_vms, dtype=np.int64)  #: of swapped_out, to the SSD cache
        self.cache_in = np.zeros(gm.n_vms, dtype=np.int64)  #: of swapped_in, from the SSD cache
        self.budget = 0  #: pages the device can still write in this step

    def refill(self, dt: float) -> None:
        """Start a step: the device writes at most ``bandwidth × dt`` pages in it, victims
        and compression-cache evictions together (:func:`memsim.model.reclaim.pipeline.reclaim`)."""
        self.budget = int(self.device.bandwidth * dt)

    def victims(
        self, want: Index, state: PageState = PageState.PRIVATE
    ) -> tuple[Index, Index, Index]:
        """Up to ``want[v]`` distinct random pages of each VM ``v`` in ``state`` (private
        pages unless told otherwise).

        Ranks are drawn uniformly with replacement, oversampled by the VM's share of pages in
        ``state`` so that one draw usually suffices; walking the draws in order, each VM takes
        the pages in ``state`` it has not taken yet until it has its ``want``
        (:func:`~memsim.model.backing_kernels.first_drawn_in_state`). The draws are
        independent and uniform, so the distinct pages in the order of their first draw are a
        uniformly random ordered sample without replacement: the pages taken are a uniform
        subset of the VM's pages in ``state``, of size ``want`` or of all the draws found.

        Returns:
            Pages, their VMs and their hotness ranks (uniform ranks are uniform pages), in draw
            order.
        """
        gm = self.gm
        private = gm.count(state)
        want = np.minimum(np.maximum(want, 0), private)
        vms = np.flatnonzero(want)
        if len(vms) == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        tries = np.ceil(want[vms] * gm.sizes[vms] / private[vms] * 1.3 + 8).astype(np.int64)
        tries = np.minimum(tries, gm.sizes[vms] * 4)
        owner, rank = random_ranks(vms, tries, gm.sizes[vms], self.rng)
        return backing_kernels.first_drawn_in_state(
            gm.by_rank(owner, rank), owner, rank, gm.state, int(state), want
        )

    def swap_out(self, pages: Index, owner: Index) -> None:
        """Write ``pages`` to the SSD swap cache while it has room, the rest to the device."""
        gm = self.gm
        room = self.device.cache_pages - int(gm.count(PageState.SWAPPED_CACHE).sum())
        to_cache = np.arange(len(pages)) < max(room, 0)
        gm.set_state(pages[to_cache], PageState.SWAPPED_CACHE, owner[to_cache])
        gm.set_state(pages[~to_cache], PageState.SWAPPED, owner[~to_cache])
        self.swapped_out += np.bincount(owner, minlength=gm.n_vms)
        self.cache_out += np.bincount(owner[to_cache], minlength=gm.n_vms)

    def swap_in(self, pages: Index, owner: Index) -> NDArray[np.float64]:
        """Demand swap-in of ``pages``; returns the seconds each VM waited."""
        gm = self.gm
        from_cache = gm.state[pages] == PageState.SWAPPED_CACHE
        gm.set_state(pages, PageState.PRIVATE, owner)
        n = gm.n_vms
        cached = np.bincount(owner[from_cache], minlength=n)
        disk = np.bincount(owner[~from_cache], minlength=n)
        self.swapped_in += cached + disk
        self.cache_in += cached
        return cached * self.device.cache_latency + disk * self.device.latency
