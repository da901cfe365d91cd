"""Host machine memory: who holds which machine pages, and the accounting identity.

managed = VMkernel-managed memory = host memory − VMkernel (DESIGN.md §3). It is used by

* private guest pages (one machine page each),
* shared frames (one machine page per distinct shared contents per salt domain),
* the compression caches (whole pages, charged to their VMs),
* per-VM overhead memory (while the VM is powered on),

and the rest is free. :meth:`Host.free` derives free memory from exact counters, so
``managed = used + free`` holds at every step; :meth:`Host.check_identity` recomputes every term
from the page arrays to prove it.

A VM's allocation requests go through :meth:`Host.grant`: nothing is handed out beyond free
memory or above a VM's limit (:mod:`memsim.model.limits`), and in the ``low`` state a VM above
its entitlement gets nothing beyond its reservation (it is *blocked*, docs/model.md §1).

Admission control (:meth:`Host.admission`) works on *unreserved* memory, as vCenter does:
managed memory less the reservations and overheads of the powered-on VMs (docs/model.md §6).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from memsim.model import backing_kernels
from memsim.model.arrays import Index, Vec
from memsim.model.limits import Ceilings
from memsim.model.pages import GuestMemory, PageState
from memsim.model.reclaim.compression import Compressor
from memsim.model.reclaim.sharing import PageSharing
from memsim.model.states import MemState, Thresholds
from memsim.model.vms import VMParams
from memsim.units import MIB, PAGE_SIZE


class Host:
    """Machine memory of one ESX host and the guest pages of its VMs.

    Args:
        vms: per-VM parameters.
        managed: pages managed by the VMkernel.
        thresholds: free-memory thresholds of the profile.
        sharing: the TPS state over ``gm``.
        compressor: the compression caches.
        swap_capacity: pages the swap device holds (swap files must fit); None = unlimited.
    """

    def __init__(
        self,
        vms: VMParams,
        managed: int,
        thresholds: Thresholds,
        gm: GuestMemory,
        sharing: PageSharing,
        compressor: Compressor,
        swap_capacity: int | None = None,
    ) -> None:
        n = vms.n
        self.vms = vms
        self.managed = managed
        self.thresholds = thresholds
        self.gm = gm
        self.sharing = sharing
        self.compressor = compressor
        self.on = np.zeros(n, dtype=bool)
        self.overhead_on = 0  #: overhead pages of the powered-on VMs (:meth:`overhead`'s sum)
        self.state = MemState.HIGH
        self.entitlement = vms.size.astype(np.float64).copy()
        self.blocked = np.zeros(n, dtype=bool)  #: may not allocate (low state, above target)
        self.ceilings = Ceilings(vms.limit, vms.size)
        self.swap_capacity = swap_capacity
        self.pending = np.zeros(n, dtype=np.int64)  #: overhead of admitted VMs not yet started
        self.starting = np.zeros(n, dtype=bool)  #: admitted, waiting for free memory

    # -- accounting -----------------------------------------------------------------------
    def cache_pages(self) -> Index:
        """Machine pages of each VM's compression cache (whole pages of 1 or 2 KiB slots)."""
        return self.compressor.cache_pages()

    def overhead(self) -> Index:
        """Overhead pages charged now (powered-on VMs only)."""
        return np.where(self.on, self.vms.overhead, 0)

    def used(self) -> int:
        """Machine pages in use: private pages, shared frames, caches and overhead (from
        running totals: it is asked several times a step; :meth:`check_identity` recounts)."""
        return (
            int(self.gm.count(PageState.PRIVATE).sum())
            + self.sharing.table.frames
            + self.compressor.cache_pages_total
            + self.overhead_on
        )

    def free(self) -> int:
        """Free machine pages: managed − used."""
        return self.managed - self.used()

    def consumed(self) -> Vec:
        """Host memory backing each VM's guest memory (vCenter ``consumed``), pages.

        Private pages, the VM's charge for shared frames, and its compression cache.
        """
        return (
            self.gm.count(PageState.PRIVATE) + self.sharing.charge() + self.cache_pages()
        ).astype(np.float64)

    def granted(self) -> Index:
        """Guest pages mapped to host memory (private or shared)."""
        return self.gm.count(PageState.PRIVATE) + self.gm.count(PageState.SHARED)

    def limited_use(self) -> Vec:
        """What a limit bounds: host memory backing each VM's guest pages, the compression
        cache excluded (consumed − cache: private pages and the charge for shared frames)."""
        return (self.gm.count(PageState.PRIVATE) + self.sharing.charge()).astype(np.float64)

    def touched(self) -> Index:
        """Guest pages each VM has touched and still holds data in (any backing)."""
        gm = self.gm
        return gm.sizes - gm.count(PageState.UNTOUCHED) - gm.count(PageState.BALLOONED)

    def protected(self) -> Index:
        """The touched reservation of each VM: memory that is never ballooned, compressed or
        swapped, and below which its entitlement never falls (docs/model.md §6)."""
        return np.minimum(self.vms.reservation, self.touched())

    def reclaimable(self) -> Index:
        """Mapped pages each VM may lose: all but its :meth:`protected` memory. Counted from
        ``granted``, not ``consumed``: compressing a page does not free the VM's memory of it."""
        return np.maximum(self.granted() - self.protected(), 0)

    def check_identity(self) -> None:
        """Recompute every term from the page arrays and the table; raise if any differs."""
        counts = self.gm.recount()
        if not np.array_equal(counts, self.gm.counts):
            raise AssertionError("per-VM page counts drifted from the page arrays")
        table = self.sharing.table
        live = table.status == 1
        frames = int((live & (table.refs > 0)).sum())
        if frames != table.frames:
            raise AssertionError(f"frame count {table.frames} != {frames} live frames")
        shared = np.flatnonzero(self.gm.state == PageState.SHARED)
        refs = np.bincount(self.gm.link[shared], minlength=table.capacity)
        if not np.array_equal(refs[live], table.refs[live]):
            raise AssertionError("frame reference counts differ from the shared pages")
        cache, overhead = int(self.cache_pages().sum()), int(self.overhead().sum())
        if (self.compressor.cache_pages_total, self.overhead_on) != (cache, overhead):
            raise AssertionError(
                f"running totals (cache {self.compressor.cache_pages_total}, overhead "
                f"{self.overhead_on}) differ from their recount ({cache}, {overhead})"
            )
        used = int(counts[:, PageState.PRIVATE].sum()) + frames + cache + overhead
        if used + self.free() != self.managed or self.free() < 0:
            raise AssertionError(f"managed {self.managed} != used {used} + free {self.free()}")

    def reserved(self, vms: NDArray[np.bool_] | None = None) -> int:
        """Managed pages reserved by ``vms`` (default: those powered on or admitted and
        starting): their reservation plus overhead, as admission control counts them."""
        chosen = self.on | self.starting if vms is None else vms
        return int(np.where(chosen, self.vms.reservation + self.vms.overhead, 0).sum())

    # -- admission ------------------------------------------------------------------------
    def admission(self, vm: int, reservation: int) -> str | None:
        """Whether VM ``vm`` may run with ``reservation`` pages reserved (docs/model.md §6).

        Unreserved memory (managed − Σ reservation + overhead of the other powered-on VMs,
        and of those admitted that wait for free memory to start)
        must cover its reservation and overhead, and its swap file (configured −
        reservation) must fit beside the other VMs' on the swap device when its capacity is
        given. Returns None if so, else why not, with the numbers.
        """
        vms, others = self.vms, self.on | self.starting
        others[vm] = False
        reserved = self.reserved(others)
        need = reservation + int(vms.overhead[vm])
        if reserved + need > self.managed:
            return (
                f"needs {_mib(need)} MiB reserved (reservation + overhead), "
                f"{_mib(self.managed - reserved)} MiB unreserved; insufficient resources"
            )
        if self.swap_capacity is not None:
            files = int(np.where(others, vms.size - vms.reservation, 0).sum())
            swap_file = int(vms.size[vm]) - reservation
            if files + swap_file > self.swap_capacity:
                return (
                    f"swap file of {_mib(swap_file)} MiB does not fit: "
                    f"{_mib(self.swap_capacity - files)} MiB left on the swap device"
                )
        return None

    def admit(self, vm: int) -> str | None:
        """Power-on of VM ``vm``: admission control with its reservation (:meth:`admission`).

        Returns why it is refused, or None: then it is admitted and ``starting``, its overhead
        ``pending`` until free memory holds it (the scheduler reclaims for it meanwhile).
        """
        refused = self.admission(vm, int(self.vms.reservation[vm]))
        if refused is None:
            self.pending[vm], self.starting[vm] = self.vms.overhead[vm], True
        return refused

    def start(self, vm: int, rng: np.random.Generator) -> None:
        """An admitted VM starts: its pages laid out untouched, its ceiling at its limit."""
        self.pending[vm], self.starting[vm] = 0, False
        self.gm.power_on(vm, rng)
        self.on[vm] = True
        self.overhead_on += int(self.vms.overhead[vm])
        self.ceilings.power_on(vm)

    def cancel_start(self, vm: int) -> None:
        """An admitted VM still waiting for its overhead is powered off before it starts."""
        self.starting[vm], self.pending[vm] = False, 0

    def protect_entitlements(self) -> None:
        """Keep each entitlement at least the touched reservation: the scheduler's bound
        dates from its last run, and a VM may have touched more of its reservation since."""
        self.entitlement = np.maximum(self.entitlement, np.where(self.on, self.protected(), 0))

    def release(self, vm: int) -> None:
        """Power-off: every page of VM ``vm`` goes back to the host, untouched."""
        gm = self.gm
        sl = gm.slice_of(vm)
        pages = np.arange(sl.start, sl.stop, dtype=np.int64)
        owner = np.full(len(pages), vm, dtype=np.int64)
        state = gm.state[pages]
        shared = state == PageState.SHARED
        self.sharing.unshare(pages[shared], owner[shared])
        comp = state == PageState.COMPRESSED
        self.compressor.drop(pages[comp], owner[comp])
        gm.set_state(pages, PageState.UNTOUCHED, owner)
        gm.content[pages] = 0
        self.sharing.release(vm)
        if self.on[vm]:
            self.overhead_on -= int(self.vms.overhead[vm])
        self.on[vm] = False

    # -- allocation -----------------------------------------------------------------------
    def grant(self, want: Index) -> Index:
        """Machine pages each VM may newly back now.

        Never above a VM's ceiling (its limit, :mod:`memsim.model.limits`); in ``low``, a
        blocked VM gets only what is still missing of its reservation; and nothing beyond free
        memory (shared in proportion when short).
        """
        want = np.maximum(want, 0)
        within = np.maximum(self.vms.reservation - self.granted(), 0)
        want = np.where(self.blocked, np.minimum(want, within), want)
        if self.ceilings.limited.any():
            room = self.ceilings.headroom(self.limited_use())
            want = np.minimum(want, room).astype(np.int64)
        total = int(want.sum())
        free = max(self.free(), 0)
        if total <= free:
            return want
        scaled = np.floor(want * (free / total)).astype(np.int64)
        return scaled

    def breaks_large_pages(self, margin_pct: float) -> bool:
        """Whether large pages are broken now, and no new ones handed out (docs/model.md §2):
        with the ``clear`` state (``esxi6``) whenever free memory is below 400 % of minFree,
        even in high, and in clear or below; in older releases once reclamation starts
        (:meth:`balloon_pressure` with ``margin_pct``: soft or below, or ballooning early)."""
        if self.thresholds.has_clear:
            low = self.free() < self.thresholds.levels[MemState.HIGH]
            return low or self.state >= MemState.CLEAR
        return self.balloon_pressure(margin_pct)

    def shares_actively(self) -> bool:
        """Whether TPS is called actively now: an ``esxi6`` host in clear or below scans
        faster (``Memsim.ShareScanClear``, docs/model.md §1)."""
        return self.thresholds.has_clear and self.state >= MemState.CLEAR

    def balloon_pressure(self, margin_pct: float) -> bool:
        """Whether ballooning should run: in soft or below, or already when free memory is
        within ``margin_pct`` % above the soft threshold (ballooning takes time; model choice,
        ``Memsim.BalloonMargin``, docs/model.md §1)."""
        early = self.free() < self.thresholds.levels[MemState.SOFT] * (1.0 + margin_pct / 100.0)
        return early or self.state >= MemState.SOFT

    def free_target(self) -> float:
        """Free pages the memory scheduler keeps free (docs/model.md §1): the one definition
        both entitlements and reclamation targets follow, in every state.

        It is the threshold at which reclamation ends: the host climbs out of soft once free
        memory exceeds the next higher threshold (with the hysteresis margin) — ``clear``, 100 %
        of minFree, in ``esxi6``; ``high`` (which is minFree there) in older profiles. Keeping
        ``esxi6``'s high threshold (400 % of minFree) free instead would show every VM
        entitled below its consumption while nothing is reclaimed.
        """
        return self.thresholds.levels[MemState.CLEAR] * (1.0 + self.thresholds.margin)

    def update_blocking(self) -> None:
        """In ``low``, VMs above their entitlement may not allocate (docs/model.md §1)."""
        if self.state == MemState.LOW:
            self.blocked = self.on & (self.consumed() > self.entitlement)
        else:
            self.blocked[:] = False

    # -- guest touches --------------------------------------------------------------------
    def back(
        self, pages: Index, owner: Index, content: NDArray[np.uint64], solo: NDArray[np.bool_]
    ) -> Index:
        """The guest writes ``content`` into ``pages`` (distinct; ``solo``: contents no other
        page of the salt domain can hold, :meth:`GuestMemory.rewrite
        <memsim.model.pages.GuestMemory.rewrite>`); returns the pages actually written.

        Every page that is not private needs a machine page: an untouched one (a whole 2 MiB
        region when it is backed by a large page, :mod:`memsim.model.largepages`), a shared
        one (copy-on-write break), and one whose old data was compressed, swapped or paged
        out by the guest (the write replaces it). Allocation is limited by :meth:`grant`, per
        VM, in array order. Callers never pass ballooned pages.
        """
        gm = self.gm
        state = gm.state[pages]
        if (state != PageState.PRIVATE).any():  # else nothing to allocate or to convert
            cost = self._cost(state, owner, pages)
            want = backing_kernels.demand(state, owner, cost, gm.n_vms)
            ok = self.grant(want)
            if np.any(ok < want):
                # each VM writes its first pages that need memory while the grant covers them
                keep = backing_kernels.within_grant(state, owner, cost, ok)
                pages, owner, content, solo = pages[keep], owner[keep], content[keep], solo[keep]
                state = state[keep]
            shared = state == PageState.SHARED
            self.sharing.break_cow(pages[shared], owner[shared])
            compressed = state == PageState.COMPRESSED
            self.compressor.drop(pages[compressed], owner[compressed])
            fresh = state == PageState.UNTOUCHED
            if fresh.any():
                self.sharing.lpages.back_fresh(pages[fresh], owner[fresh])
            stale = ~(shared | fresh) & (state != PageState.PRIVATE)
            gm.set_state(pages[stale], PageState.PRIVATE, owner[stale])
        gm.rewrite(pages, content, solo)
        return pages

    def demand(self, pages: Index, owner: Index) -> Index:
        """Machine pages each VM needs to write ``pages`` (see :meth:`back`)."""
        state = self.gm.state[pages]
        return backing_kernels.demand(state, owner, self._cost(state, owner, pages), self.gm.n_vms)

    def _cost(self, state: NDArray[np.uint8], owner: Index, pages: Index) -> Index:
        """Machine pages each written page needs if it is not private (a whole 2 MiB region for
        the first touch of a region backed by a large page, :meth:`LargePages.cost`)."""
        return self.sharing.lpages.cost(pages, owner, state == PageState.UNTOUCHED)


def _mib(pages: int) -> str:
    return f"{pages * PAGE_SIZE / MIB:,.0f}"
