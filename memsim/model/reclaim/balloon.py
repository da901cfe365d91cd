"""Ballooning (docs/model.md §3, [OSDI02] §3, [vmw_balloon]).

The balloon driver in the guest (VMware Tools) polls its target once a second. To inflate it
allocates guest pages and hands them to the host, which frees their machine pages; the *guest*
chooses what to give up: free pages first, then page cache, then pages it must page out to its
own swap. memsim keeps guest data ordered by hotness rank, so the guest's choice is simply the
highest ranks: the balloon of ``b`` pages holds ranks [size − b, size). A page taken from the
free or page-cache range is dropped (``BALLOONED``); one taken from in-use data is paged out by
the guest (``GUEST_SWAPPED``): touching it later costs a guest swap-in. A ballooned page frees
host memory only if it was backed; a shared page frees only its share.

Rates (pages per poll of one second) follow ``vmw_balloon`` [vmw_balloon 1.2.x; DOMAIN.md §3]:
while the guest has free pages the driver allocates without sleeping, up to 16384
(``VMW_BALLOON_NOSLEEP_ALLOC_MAX``). Once a non-sleeping allocation fails (no free page left:
the guest must drop page cache or page out) it switches to sleeping allocations at its adaptive
rate for this poll and the next three (``VMW_BALLOON_SLOW_CYCLES`` = 4, counted down at each
poll). That rate starts at 512 (``VMW_BALLOON_RATE_ALLOC_MIN``), grows by 16
(``VMW_BALLOON_RATE_ALLOC_INC``) for each full rate's worth a poll allocated without a sleeping
failure, up to 2048 (``VMW_BALLOON_RATE_ALLOC_MAX``), and halves (not below 512) when a
sleeping allocation fails — in memsim, when the host refuses pages (the
touched reservation). The rate is kept between inflations, as the driver keeps it. Deflation
16384. Maximum: ``Mem.CtlMaxPercent`` of the
configured size, ``sched.mem.maxmemctl`` and never into the reservation; no Tools, no balloon.
Imperfect drivers (slow, stuck, intermittently stuck) scale or stop these rates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from memsim.model.arrays import Index, Vec
from memsim.model.pages import GuestMemory, PageState
from memsim.model.reclaim.compression import Compressor
from memsim.model.reclaim.sharing import PageSharing
from memsim.model.segments import cumsum_within, repeat_ranges

FAST, SLOW_MIN, SLOW_MAX, SLOW_INC, DEFLATE = 16384.0, 512.0, 2048.0, 16.0, 16384.0
#: ``VMW_BALLOON_SLOW_CYCLES``: set when a non-sleeping allocation fails and counted down at
#: each poll, so the failing poll and the next three allocate sleeping
SLOW_CYCLES = 4


@dataclass(frozen=True)
class DriverSpec:
    """How well a VM's balloon driver works.

    Attributes:
        rate_factor: multiplies every rate (``slow`` drivers: 0.25).
        stuck_from: start of the window in which the driver does nothing (``None``: never).
        stuck_until: end of that window (``None``: to the end of the run).
        period: for intermittent drivers, the driver alternates stuck and working every
            ``period`` seconds inside the window.
    """

    rate_factor: float = 1.0
    stuck_from: float | None = None
    stuck_until: float | None = None
    period: float | None = None


def driver_arrays(drivers: list[DriverSpec]) -> tuple[Vec, Vec, Vec]:
    """Stuck-window start, end and period per VM (inf where absent)."""
    inf = float("inf")
    start = np.array([inf if d.stuck_from is None else d.stuck_from for d in drivers])
    end = np.array([inf if d.stuck_until is None else d.stuck_until for d in drivers])
    period = np.array([inf if d.period is None else d.period for d in drivers])
    return start, end, period


class Balloons:
    """The balloon drivers of all VMs.

    Args:
        gm: guest pages.
        sharing: TPS state (ballooned shared pages drop their share).
        compressor: compression caches (ballooned compressed pages free their slot).
        drivers: one :class:`DriverSpec` per VM.
        tools: per VM, whether VMware Tools (the driver) runs.
    """

    def __init__(
        self,
        gm: GuestMemory,
        sharing: PageSharing,
        compressor: Compressor,
        drivers: list[DriverSpec],
        tools: NDArray[np.bool_],
    ) -> None:
        n = gm.n_vms
        self.gm, self.sharing, self.compressor = gm, sharing, compressor
        self._start, self._end, self._period = driver_arrays(drivers)
        self.factor = np.array([d.rate_factor for d in drivers])
        self.tools = tools
        self.size = np.zeros(n, dtype=np.int64)
        self.target = np.zeros(n, dtype=np.int64)
        self.maximum = np.zeros(n, dtype=np.int64)
        self.slow_rate = np.full(n, SLOW_MIN)  #: the driver's sleeping-allocation rate
        self.slow_cycles = np.zeros(n, dtype=np.int64)  #: polls left at the sleeping rate
        self.guest_swapped_out = np.zeros(n, dtype=np.int64)  #: cumulative guest page-outs
        self.stuck = np.zeros(n, dtype=bool)

    def power_off(self, vm: int) -> None:
        """VM ``vm`` stops: its balloon is gone with its memory, and so is its target."""
        self.size[vm] = self.target[vm] = 0

    def step(
        self,
        now: float,
        dt: float,
        on: NDArray[np.bool_],
        footprint: Index,
        cache: Vec,
        room: Index,
    ) -> None:
        """Move every working driver toward its target for ``dt`` seconds.

        Args:
            now: simulated time.
            dt: seconds since the last poll.
            on: powered-on VMs.
            footprint: guest pages in use (rank threshold) per VM.
            cache: share of the footprint that is page cache, per VM.
            room: mapped pages the balloon may take from each VM: never memory within its
                touched reservation (:meth:`memsim.model.host.Host.reclaimable`).
        """
        inside = (now >= self._start) & (now < self._end)
        phase = np.floor(np.where(inside, now - self._start, 0.0) / self._period)
        self.stuck = inside & (np.isinf(self._period) | (phase % 2 == 0))
        if self._idle():
            return
        works = on & self.tools & ~self.stuck
        factor = self.factor
        target = np.clip(self.target, 0, self.maximum)
        frontier = self.gm.sizes - self.size
        cache_floor = footprint - np.floor(footprint * cache).astype(np.int64)
        grow = works & (target > self.size)
        want = np.maximum(target - self.size, 0)
        step, sleeping = self._pace(want, np.maximum(frontier - footprint, 0), factor * dt)
        step = np.where(grow, step, 0)
        done = self._inflate(step, cache_floor, room)
        # the driver's rate: +16 per full rate's worth a poll took without a sleeping failure
        # (a fast poll counts too, as in the driver), halved when a sleeping allocation fails
        per_poll = np.maximum(self.slow_rate * factor * dt, 1.0)
        refused = grow & sleeping & (done < step)
        full = grow & ~refused & (done >= per_poll)
        more = np.minimum(self.slow_rate + np.floor(done / per_poll) * SLOW_INC, SLOW_MAX)
        rate = np.where(full, more, self.slow_rate)
        self.slow_rate = np.where(refused, np.maximum(rate / 2, SLOW_MIN), rate)
        self.slow_cycles = np.where(works, np.maximum(self.slow_cycles - 1, 0), self.slow_cycles)
        # a driver deflates even once Tools stop or the maximum falls below its size
        shrink = on & ~self.stuck & (target < self.size)
        back = np.minimum(self.size - target, np.floor(DEFLATE * factor * dt).astype(np.int64))
        self._deflate(np.where(shrink, back, 0))

    def _idle(self) -> bool:
        """Whether a poll can change nothing: every balloon is at its target (none where
        there is no target) and no driver is still allocating at its sleeping rate, so none
        inflates, deflates or changes its rate."""
        if self.slow_cycles.any():
            return False
        return bool((np.clip(self.target, 0, self.maximum) == self.size).all())

    def _pace(self, want: Index, free: Index, seconds: Vec) -> tuple[Index, NDArray[np.bool_]]:
        """Pages each driver allocates in this poll, and whether it allocated sleeping.

        Without sleeping it takes free pages up to the fast rate; when they run out first (the
        non-sleeping allocation fails) it goes on sleeping up to its slow rate, in this poll and
        the next three (:data:`SLOW_CYCLES`).
        """
        fast = np.floor(FAST * seconds).astype(np.int64)
        slow = np.floor(self.slow_rate * seconds).astype(np.int64)
        sleeping = self.slow_cycles > 0
        fails = ~sleeping & (want > np.minimum(free, fast)) & (free < fast)
        self.slow_cycles = np.where(fails, SLOW_CYCLES, self.slow_cycles)
        cap = np.where(sleeping, slow, np.where(fails, np.maximum(free, slow), fast))
        return np.minimum(want, cap), sleeping | fails

    def _inflate(self, step: Index, cache_floor: Index, room: Index) -> Index:
        """Inflate by ``step`` pages per VM (fewer where the room runs out); returns the pages
        taken per VM."""
        vms = np.flatnonzero(step)
        if len(vms) == 0:
            return np.zeros_like(step)
        gm = self.gm
        top = gm.sizes[vms] - self.size[vms]
        owner, rank = repeat_ranges(vms, top - step[vms], top)
        pages = gm.by_rank(owner, rank)
        state = gm.state[pages]
        # from the top rank down, stop before the mapped pages taken would exceed the room
        mapped = (state == PageState.PRIVATE) | (state == PageState.SHARED)
        above = cumsum_within(owner[::-1], mapped[::-1])[::-1]
        keep = above <= room[owner]
        if not keep.all():
            owner, rank, pages, state = owner[keep], rank[keep], pages[keep], state[keep]
            step = np.bincount(owner, minlength=gm.n_vms)
        if self.sharing.lpages.count.any():  # a large page cannot be ballooned in part
            self.sharing.break_pages(pages, owner)
            state = gm.state[pages]
        reclaimed = state >= PageState.COMPRESSED
        gm.expose(owner[reclaimed], rank[reclaimed], -1)
        paged = state == PageState.GUEST_SWAPPED  # below the region until now
        gm.expose_paged(owner[paged], rank[paged], -1)
        shared = state == PageState.SHARED
        self.sharing.unshare(pages[shared], owner[shared])
        compressed = state == PageState.COMPRESSED
        self.compressor.drop(pages[compressed], owner[compressed])
        has_data = (rank < cache_floor[owner]) & (state != PageState.UNTOUCHED)
        has_data &= state != PageState.BALLOONED
        new = np.where(has_data, PageState.GUEST_SWAPPED, PageState.BALLOONED).astype(np.uint8)
        fresh_out = has_data & (state != PageState.GUEST_SWAPPED)
        self.guest_swapped_out += np.bincount(owner[fresh_out], minlength=gm.n_vms)
        gm.set_state(pages, new, owner)
        self.size[vms] += step[vms]
        return step

    def _deflate(self, step: Index) -> None:
        vms = np.flatnonzero(step)
        if len(vms) == 0:
            return
        gm = self.gm
        top = gm.sizes[vms] - self.size[vms]
        owner, rank = repeat_ranges(vms, top, top + step[vms])
        pages = gm.by_rank(owner, rank)
        empty = gm.state[pages] == PageState.BALLOONED
        gm.set_state(pages[empty], PageState.UNTOUCHED, owner[empty])
        gm.expose_paged(owner[~empty], rank[~empty], +1)  # paged out, now below the region
        self.size[vms] -= step[vms]

    def region_start(self) -> Index:
        """First rank held by each VM's balloon."""
        return self.gm.sizes - self.size
