"""What the host sees of a guest's memory use each step: new touches, writes and faults.

A guest's in-use memory is the ranks below its footprint ``u``, its working set the ranks below
its effective active size ``a`` (DESIGN.md §3). Each step:

* **Boot.** A ``boot: zero`` guest first touches every page with zeros, as Windows does.
* **Growth.** When the footprint grows, the guest writes its contents into ranks [u, u′); the
  pages get machine memory (subject to free memory, the VM's limit and blocking in ``low``); a
  shared page breaks copy-on-write. A VM at its limit first gives up as many of its own pages
  (:func:`memsim.model.limits.make_room`) — so every page that needs machine memory, a write or a
  fault too, is paid for within the limit in the same step. The guest cannot grow into its
  balloon; when the balloon deflates, the guest fills the returned memory again up to its target
  (page cache re-read, data paged back in).
* **Writes.** ``writes`` of the working set per minute get fresh contents (COW breaks on shared
  pages, which is what erodes sharing over time).
* **Churn.** ``churn`` of the working set per minute trades ranks with cold in-use pages
  (:mod:`memsim.model.churn`): the working set moves.
* **Accesses.** Working-set pages are touched about once per ``Memsim.TouchPeriod``; a touch of
  a page that is compressed, swapped or paged out by the guest faults and costs time
  (:mod:`memsim.model.cost`). Only VMs with reclaimed pages are sampled, so the cost scales with
  the pages that change.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from memsim.model import kernels
from memsim.model.arrays import Index
from memsim.model.churn import move_working_sets
from memsim.model.content import PageContents
from memsim.model.cost import STALL_CAUSES
from memsim.model.host import Host
from memsim.model.limits import make_room, make_room_for
from memsim.model.pages import PageState
from memsim.model.reclaim.balloon import Balloons
from memsim.model.reclaim.swap import Swapper
from memsim.model.segments import distinct, random_ranks, rank_within, repeat_ranges


class Guests:
    """Per-VM guest memory use and the stall time it suffers.

    Args:
        host: the host.
        content: page contents (:class:`~memsim.model.content.PageContents`).
        balloons: balloon drivers (their region is where growth must page out).
        swapper: swap device (demand swap-in).
    """

    def __init__(
        self, host: Host, content: PageContents, balloons: Balloons, swapper: Swapper
    ) -> None:
        n = host.vms.n
        self.host, self.content, self.balloons, self.swapper = host, content, balloons, swapper
        self.footprint = np.zeros(n, dtype=np.int64)  #: current in-use ranks
        self.target = np.zeros(n, dtype=np.int64)  #: footprint the workload wants
        self.active = np.zeros(n, dtype=np.int64)  #: working-set ranks (incl. heap)
        self.writes = np.zeros(n)  #: share of the working set rewritten per minute
        self.churn = np.zeros(n)  #: share of the working set replaced per minute
        self.cache = np.zeros(n)  #: page-cache share of the footprint
        self.dataset = np.zeros(n, dtype=np.int64)  #: data re-read through the page cache
        self.reread = np.zeros(n)  #: seconds to read the dataset once (0: the touch period)
        #: share of configured memory the guest kernel's per-page structures take
        self.mem_map = 0.0
        self.cache_misses = np.zeros(n, dtype=np.int64)  #: cumulative reads from guest disk
        self.boot_left = np.zeros(n, dtype=np.int64)  #: pages still to zero at boot
        #: ranks boot zeroing had reached at the last active-memory sample
        self.zero_mark = np.zeros(n, dtype=np.int64)
        self.stall = np.zeros(n)  #: cumulative seconds waiting on faults (sum of the causes)
        #: cumulative seconds of ``stall`` by cause (:data:`memsim.model.cost.STALL_CAUSES`)
        self.stall_by = {cause: np.zeros(n) for cause in STALL_CAUSES if cause != "blocked"}
        self.blocked_time = np.zeros(n)  #: cumulative seconds blocked in low
        self.guest_swapped_in = np.zeros(n, dtype=np.int64)
        self.progress = np.ones(n)  #: share of the last step the guest was not stalled
        family, domain = content.family, host.sharing.domain
        #: another VM of the same guest family shares the VM's salt domain (so its family
        #: pages may find a partner)
        self.family_peer = np.array(
            [((family == family[v]) & (domain == domain[v])).sum() > 1 for v in range(n)],
            dtype=bool,
        )

    def power_on(self, vm: int, zero_boot: bool) -> None:
        """Start VM ``vm``: nothing in use yet; a zeroing guest will touch every page."""
        self.footprint[vm] = 0
        self.progress[vm] = 1.0
        self.boot_left[vm] = self.host.gm.sizes[vm] if zero_boot else 0
        self.zero_mark[vm] = self.host.gm.sizes[vm] - self.boot_left[vm]

    def power_off(self, vm: int) -> None:
        """Stop VM ``vm`` (its pages are released by the caller)."""
        self.footprint[vm] = self.target[vm] = self.active[vm] = self.boot_left[vm] = 0
        self.dataset[vm] = 0
        self.host.gm.ws[vm] = self.host.gm.exposed[vm] = 0
        self.host.gm.away.clear(vm)

    def touched_since_sample(self) -> Index:
        """Pages each VM touched since the last active-memory sample, and start a new period.

        The working set, plus the pages boot zeroing wrote in the period (zeroing runs up the
        ranks, so those are ranks [mark, reached); the part inside the working set counts once).
        The sampler's touched share is this over the configured size (docs/model.md §6).
        """
        reached = self.host.gm.sizes - self.boot_left
        start = np.minimum(self.zero_mark, reached)
        overlap = np.maximum(np.minimum(reached, self.active) - start, 0)
        self.zero_mark = reached
        return self.active + (reached - start) - overlap

    def set_active(self, vm: int, ranks: int) -> None:
        """The working set of VM ``vm`` becomes its ``ranks`` hottest pages."""
        self.active[vm] = ranks
        self.host.gm.set_working_set(vm, ranks, int(self.balloons.region_start()[vm]))

    # -- growth ---------------------------------------------------------------------------
    def step(
        self,
        dt: float,
        rates: tuple[float, float],
        touch_period: float,
        latency: dict[str, float],
        rng: np.random.Generator,
    ) -> None:
        """One step of every guest: boot zeroing and growth, writes, churn, accesses.

        A guest that stalled for a share s of the last step did only 1 − s of its work, so it
        writes and touches its working set that much less this step: a thrashing guest slows
        down instead of faulting at full speed (a closed loop, as real guests behave).

        Args:
            dt: step length, s.
            rates: pages/s per VM for zeroing at boot and for footprint growth.
            touch_period: seconds in which each working-set page is touched about once.
            latency: seconds per fault (:func:`memsim.model.cost.fault_latencies`).
            rng: the run's generator.
        """
        before = self.stall + self.blocked_time
        self.grow(rates[0], rates[1], dt)
        self.write(dt, rng)
        region = self.balloons.region_start()
        move_working_sets(self.host.gm, self.churn, self.footprint, region, self.progress, dt, rng)
        self.access(dt, touch_period, rng, latency)
        stalled = self.stall + self.blocked_time - before
        self.progress = 1.0 - np.clip(stalled / dt, 0.0, 1.0)

    def grow(self, zero_rate: float, rate: float, dt: float) -> None:
        """Boot zeroing at ``zero_rate``, then footprint growth at ``rate`` pages/s per VM.

        The guest cannot use what its balloon holds: its footprint stops at the balloon's
        first rank, and when the balloon deflates the guest fills the returned memory again
        (page cache re-read, data paged back in) up to its target footprint.
        """
        host = self.host
        self._zero(np.minimum(np.where(host.on, int(zero_rate * dt), 0), self.boot_left))
        budget = np.where(host.on & (self.boot_left == 0), int(rate * dt), 0)
        frontier = self.balloons.region_start()
        self.footprint = np.minimum(np.minimum(self.footprint, self.target), frontier)
        grow = np.minimum(np.minimum(self.target, frontier) - self.footprint, budget)
        vms = np.flatnonzero(grow > 0)
        if len(vms) == 0:
            return
        owner, rank = repeat_ranges(vms, self.footprint[vms], self.footprint[vms] + grow[vms])
        pages = host.gm.by_rank(owner, rank)
        content, solo = self.layout(owner, host.gm.origin(owner, rank))
        written = self._back(pages, owner, rank, content, solo)
        done = np.bincount(host.gm.vm_of(written), minlength=len(grow))
        # growth is in rank order: a VM advances by what it could write (in order, mostly)
        self.footprint += np.minimum(done, grow)
        self._count_blocked(grow - done, grow, dt)

    def _zero(self, count: Index) -> None:
        vms = np.flatnonzero(count > 0)
        if len(vms) == 0:
            return
        host = self.host
        start = host.gm.sizes[vms] - self.boot_left[vms]
        owner, rank = repeat_ranges(vms, start, start + count[vms])
        pages = host.gm.by_rank(owner, rank)
        # the balloon's pages are the driver's, whatever the guest did with them (a touch of
        # one may have paged it): zeroing passes over them
        held = rank >= self.balloons.region_start()[owner]
        keep = ~held
        zeros = np.zeros(int(keep.sum()), dtype=np.uint64)
        written = self._back(pages[keep], owner[keep], rank[keep], zeros, zeros != 0)
        done = np.bincount(host.gm.vm_of(written), minlength=host.vms.n)
        done += np.bincount(owner[held], minlength=host.vms.n)
        self.boot_left -= np.minimum(done, count)
        self._count_blocked(count - done, count, 1.0)

    def _back(
        self,
        pages: Index,
        owner: Index,
        rank: Index,
        content: NDArray[np.uint64],
        solo: NDArray[np.bool_],
    ) -> Index:
        """:meth:`Host.back` after VMs at their limit made room, keeping the count of
        reclaimed working-set pages exact."""
        gm = self.host.gm
        make_room_for(self.host, self.swapper, pages, owner)
        state = gm.state[pages]
        was = state >= PageState.COMPRESSED
        paged = (state == PageState.GUEST_SWAPPED) & (rank < self.balloons.region_start()[owner])
        written = self.host.back(pages, owner, content, solo)
        if was.any() or paged.any():
            back = gm.state[pages] == PageState.PRIVATE
            gm.expose(owner[was & back], rank[was & back], -1)
            gm.expose_paged(owner[paged & back], rank[paged & back], -1)
        return written

    def layout(self, owner: Index, origin: Index) -> tuple[NDArray[np.uint64], NDArray[np.bool_]]:
        """Contents the guest writes at layout rank ``origin`` (:meth:`GuestMemory.origin
        <memsim.model.pages.GuestMemory.origin>`) of VMs ``owner``, and which of them no other
        page of the salt domain can hold: unique to the VM, or a family page with no peer."""
        content, family, unique = self.content.contents(owner, origin)
        return content, unique | (family & ~self.family_peer[owner])

    def _count_blocked(self, missing: Index, wanted: Index, dt: float) -> None:
        """Time VMs wait because they could not get memory (share of the step not served)."""
        frac = np.where(wanted > 0, missing / np.maximum(wanted, 1), 0.0)
        self.blocked_time += np.clip(frac, 0.0, 1.0) * dt

    # -- writes and accesses ----------------------------------------------------------------
    def write(self, dt: float, rng: np.random.Generator) -> None:
        """Rewrite ``writes`` of each working set per minute with fresh contents."""
        host = self.host
        expected = self.writes * self.active * self.progress * dt / 60.0
        count = np.where(host.on & (self.active > 0), rng.poisson(expected), 0)
        vms = np.flatnonzero(count)
        if len(vms) == 0:
            return
        owner, rank = random_ranks(vms, count[vms], self.active[vms], rng)
        pages = distinct(host.gm.by_rank(owner, rank))
        owner = host.gm.vm_of(pages)
        # a write to a page that is not resident waits for its fault (see access); copy-on-write
        # breaks need memory, for which a VM at its limit makes room first
        shared = host.gm.state[pages] == PageState.SHARED
        make_room(host, self.swapper, np.bincount(owner[shared], minlength=host.vms.n))
        state = host.gm.state[pages]
        resident = (state == PageState.PRIVATE) | (state == PageState.SHARED)
        pages, owner = pages[resident], owner[resident]
        # fresh contents are new to the whole host: no page can hold them yet
        host.back(pages, owner, self.content.fresh(len(pages)), np.ones(len(pages), dtype=bool))

    def _read_dataset(
        self, dt: float, touch_period: float, rng: np.random.Generator, disk_latency: float
    ) -> None:
        """Reads of each VM's dataset: what the page cache cannot hold comes from guest disk.

        The page cache has the memory the guest can use (its size less the balloon) less the
        non-cache part of its footprint and less the kernel's per-page structures, which are
        sized by the *configured* memory (``Memsim.GuestMemMapPct``): a guest ballooned down to
        a size keeps the structures of its full size, so it has a little less page cache than
        one configured with that size — the balloon's own cost ([OSDI02] §3.2). A dataset
        larger than the cache misses in proportion; the workload reads it once every
        ``reread`` seconds (its own rate; default the touch period).
        """
        if not self.dataset.any():  # nothing to read (a Poisson draw of mean 0 takes none)
            return
        kernel = self.mem_map * self.host.gm.sizes
        room = self.balloons.region_start() - self.footprint * (1.0 - self.cache) - kernel
        hit = np.clip(room / np.maximum(self.dataset, 1), 0.0, 1.0)
        period = np.where(self.reread > 0, self.reread, touch_period)
        expected = self.dataset * (1.0 - hit) * self.progress * dt / period
        misses = np.where(self.host.on & (self.dataset > 0), rng.poisson(expected), 0)
        self.cache_misses += misses
        missed = misses * disk_latency
        self.stall_by["cacheMiss"] += missed
        self.stall += missed

    def access(
        self, dt: float, touch_period: float, rng: np.random.Generator, latency: dict[str, float]
    ) -> None:
        """Touch working-set pages of VMs with reclaimed memory; fault in what is not resident.

        Args:
            dt: step length, s.
            touch_period: seconds in which each working-set page is touched about once.
            rng: the run's generator.
            latency: seconds per fault: ``decompress`` and ``guest_swap``.
        """
        host = self.host
        gm = host.gm
        paged_out = gm.count(PageState.GUEST_SWAPPED)
        region = self.balloons.region_start()
        into_balloon = region < self.active
        self._read_dataset(dt, touch_period, rng, latency["guest_swap"])
        # a touch can fault only where host-reclaimed pages sit in the working set, where the
        # balloon reaches into it, or where the guest is still filling it after a deflation
        refilling = (self.footprint < np.minimum(self.active, self.target)) & (paged_out > 0)
        hit = host.on & (self.active > 0) & ((gm.exposed > 0) | into_balloon | refilling)
        if not hit.any():  # no VM can fault (and drawing for none takes no random numbers)
            return
        pages, owner, rank = self._draw_faults(hit, dt / touch_period, region, rng)
        if len(pages) == 0:
            return
        state = gm.state[pages]
        n = host.vms.n
        # guest paging: data on the guest's disk (thrashing inside the balloon)
        guest = (state == PageState.GUEST_SWAPPED) | (
            (state == PageState.BALLOONED) & (rank >= region[owner])
        )
        guest_n = np.bincount(owner[guest], minlength=n)
        self.guest_swapped_in += guest_n
        paging = guest_n * latency["guest_swap"]
        paged = guest & (state == PageState.BALLOONED)
        gm.set_state(pages[paged], PageState.GUEST_SWAPPED, owner[paged])
        leaving = guest & (rank < region[owner]) & (state == PageState.GUEST_SWAPPED)
        unzip, swapin = self._fault_in(pages, owner, rank, state, leaving, dt, latency)
        for cause, seconds in (("guestPaging", paging), ("decompress", unzip), ("swapin", swapin)):
            self.stall_by[cause] += seconds
        self.stall += paging + unzip + swapin

    def _fault_in(
        self,
        pages: Index,
        owner: Index,
        rank: Index,
        state: NDArray[np.uint8],
        leaving: NDArray[np.bool_],
        dt: float,
        latency: dict[str, float],
    ) -> tuple[NDArray[np.floating], NDArray[np.floating]]:
        """Host faults of touched ``pages``: each compressed or swapped page, and each page
        ``leaving`` the guest's swap, needs a machine page, granted per VM in page order.
        Returns the seconds each VM waits for decompression and for swap-in."""
        host, gm, n = self.host, self.host.gm, self.host.vms.n
        host_fault = state >= PageState.COMPRESSED  # compressed or swapped (either kind)
        needs = host_fault | leaving
        want = np.bincount(owner[needs], minlength=n)
        make_room(host, self.swapper, want)
        # making room may have evicted some of these compressed pages to swap
        state = gm.state[pages]
        ok = host.grant(want)
        served = needs & (rank_within(owner, needs) < ok[owner])
        gm.expose(owner[served & host_fault], rank[served & host_fault], -1)
        comp = served & (state == PageState.COMPRESSED)
        host.compressor.decompress(pages[comp], owner[comp])
        unzip = np.bincount(owner[comp], minlength=n) * latency["decompress"]
        swp = served & (state >= PageState.SWAPPED)
        swapin = self.swapper.swap_in(pages[swp], owner[swp])
        back = served & leaving
        gm.set_state(pages[back], PageState.PRIVATE, owner[back])
        gm.expose_paged(owner[back], rank[back], -1)
        self._count_blocked(want - ok, want, dt)
        return unzip, swapin

    def _draw_faults(
        self, hit: NDArray[np.bool_], touches: float, region: Index, rng: np.random.Generator
    ) -> tuple[Index, Index, Index]:
        """The working-set pages of ``hit`` VMs that are touched this step and not resident.

        A guest touches each working-set page a Poisson number of times with mean ``touches``
        (per page, times its progress), independently; a page faults once however often it is
        touched. So the pages that fault are, per VM, a uniform random subset of its
        non-resident working-set pages — the balloon's ranks in the working set and the index
        :attr:`GuestMemory.away <memsim.model.pages.GuestMemory.away>` — of binomial size
        with the chance 1 − exp(−touches) of at least one touch. Drawing them directly costs
        the faults, not the touches.

        Returns:
            (pages, owner, rank) of the faulting pages, in page order.
        """
        gm = self.host.gm
        vms = np.flatnonzero(hit)
        start, indexed = gm.away.runs(vms)
        ballooned = np.maximum(self.active[vms] - region[vms], 0)
        total = indexed + ballooned
        count = rng.binomial(total, -np.expm1(-touches * self.progress[vms]))
        pick = kernels.distinct_draws(total, count, rng.random(int(count.sum())))
        owner = np.repeat(vms, count)
        where = pick - np.repeat(indexed, count)  # ≥ 0: the k-th ballooned rank
        rank = region[owner] + where
        listed = np.flatnonzero(where < 0)
        keys = gm.away.select(np.repeat(start, count)[listed] + pick[listed])
        rank[listed] = keys - gm.offsets[owner[listed]]
        pages = gm.by_rank(owner, rank)
        order = np.argsort(pages)
        return pages[order], owner[order], rank[order]
