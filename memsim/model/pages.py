"""Guest pages of every VM as a numpy struct of arrays.

The host keeps one entry per 4 KiB guest-physical page of every VM in the scenario, concatenated
VM after VM (``offset[v]`` is where VM ``v`` starts). Per page:

========== ======= ===========================================================================
array      dtype   meaning
========== ======= ===========================================================================
content    uint64  content id (0 is the zero page); equal ids mean byte-identical pages
state      uint8   backing state, a :class:`PageState`
link       int32   sharing-table slot of a shared page or of a private page's hint; ``SOLO`` (−2)
                   for a private page whose contents no other page of its salt domain can hold;
                   compression sequence number of a compressed page; -1 otherwise
========== ======= ===========================================================================

That is 13 bytes per guest page (3.25 MiB per GiB of guest memory). The page of each hotness rank
takes 1/128 byte more (one entry per 2 MiB region: :mod:`memsim.model.layout`), the fault index an
eighth of a byte (:mod:`memsim.model.away`) and the scanner's bitmap another eighth (one bit per
page: hashable or not, so the TPS scanner's test of a visited page stays in the processor's cache;
:attr:`GuestMemory.scan_bits`). A page's *rank* gives its role in the guest (DESIGN.md §3): with
per-VM thresholds ``active ≤ footprint``, ranks below ``active`` are the working set, ranks below
``footprint`` are in use, the rest are free in the guest. A workload phase moves thresholds; it
never rewrites the arrays. A working set that *moves* (``churn``, a kernel compile working through
its sources) trades ranks between pages (:meth:`GuestMemory.exchange`): the pages keep their data
and state, and a page's contents stay those of the rank it was laid out at
(:meth:`GuestMemory.origin`), so no two pages ever hold one VM's unique contents. From a scenario's
first such move on, every page costs 8 bytes more: that record (4 bytes) and the layout written out
(4 bytes).

Every state change goes through :meth:`GuestMemory.set_state`, which keeps the per-VM count of
pages in each state exact, so per-step work scales with the pages that change and totals never
need a pass over all pages. A private page's hint in the sharing table lives exactly as long as
the page stays private with the same contents: :meth:`~GuestMemory.set_state` and
:meth:`~GuestMemory.rewrite` hand the slots of hints that die to :attr:`GuestMemory.hint_lost`.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from memsim.model import kernels
from memsim.model.away import AwayIndex
from memsim.model.kernels import SOLO
from memsim.model.layout import RankLayout

Pages = NDArray[np.int64]

__all__ = ["N_STATES", "SOLO", "GuestMemory", "PageState"]


class PageState(IntEnum):
    """Backing state of a guest page (docs/model.md §2–§5).

    The order matters: states from ``BALLOONED`` on are not resident (touching them faults),
    and states from ``COMPRESSED`` on were reclaimed by the host.
    """

    UNTOUCHED = 0  #: never touched by the guest: no machine page
    PRIVATE = 1  #: backed by a machine page of its own
    SHARED = 2  #: mapped copy-on-write to a shared machine page (TPS)
    BALLOONED = 3  #: held by the balloon driver; guest data (if any) dropped
    GUEST_SWAPPED = 4  #: held by the balloon; the guest paged the data out to its own disk
    COMPRESSED = 5  #: data kept in the VM's compression cache
    SWAPPED = 6  #: data in the VM's swap file on the swap device
    SWAPPED_CACHE = 7  #: data in the host's SSD swap cache

    # numpy asks each operand's type for ``__array_ufunc__``; an Enum class answers a missing
    # name through a slow ``__getattr__`` on Python 3.11 (2.1 µs instead of 0.8 µs for
    # ``state == PageState.PRIVATE``). ndarray's own method means "no override".
    __array_ufunc__ = np.ndarray.__array_ufunc__


N_STATES = len(PageState)


class GuestMemory:
    """Pages of all VMs of a scenario and exact per-VM counts of pages in each state.

    Args:
        sizes: configured guest pages of each VM, in scenario order.
    """

    def __init__(self, sizes: NDArray[np.int64]) -> None:
        self.sizes = np.asarray(sizes, dtype=np.int64)
        self.offsets = np.zeros(len(self.sizes) + 1, dtype=np.int64)
        np.cumsum(self.sizes, out=self.offsets[1:])
        total = int(self.offsets[-1])
        self.content = np.zeros(total, dtype=np.uint64)
        self.state = np.zeros(total, dtype=np.uint8)
        #: the page of each hotness rank (:class:`~memsim.model.layout.RankLayout`)
        self.layout = RankLayout(self.offsets)
        self.link = np.full(total, -1, dtype=np.int32)
        #: one bit per page (little-endian in each byte): whether the TPS scanner hashes it,
        #: kept by every change of state or link (:func:`~memsim.model.kernels.with_scan_bit`)
        self.scan_bits = np.zeros(-(-total // 8), dtype=np.uint8)
        #: receives the table slots of hints whose page left PRIVATE or got new contents
        #: (the page sharing sets it; their link is already -1)
        self.hint_lost: Callable[[Pages], None] | None = None
        self.counts = np.zeros((len(self.sizes), N_STATES), dtype=np.int64)
        self.counts[:, PageState.UNTOUCHED] = self.sizes
        self.ws = np.zeros(len(self.sizes), dtype=np.int64)  #: working-set ranks per VM
        #: pages reclaimed by the host (compressed or swapped) inside each working set
        self.exposed = np.zeros(len(self.sizes), dtype=np.int64)
        #: non-resident working-set pages below each balloon region (what a touch can fault on)
        self.away = AwayIndex(self.offsets)
        #: the rank each page was laid out at, by its rank now (``None`` until a working set
        #: moves: until then every page is at its own)
        self.origins: NDArray[np.uint32] | None = None

    @property
    def n_vms(self) -> int:
        """Number of VMs (powered on or not)."""
        return len(self.sizes)

    def vm_of(self, pages: Pages) -> Pages:
        """VM index of each global page index (:meth:`RankLayout.vm_of
        <memsim.model.layout.RankLayout.vm_of>`)."""
        return self.layout.vm_of(pages)

    def slice_of(self, vm: int) -> slice:
        """Global page range of VM ``vm``."""
        return slice(int(self.offsets[vm]), int(self.offsets[vm + 1]))

    def by_rank(self, vms: Pages, ranks: NDArray[np.integer]) -> Pages:
        """Global page index of hotness rank ``ranks`` in VM ``vms`` (compiled)."""
        return self.layout.pages(vms, ranks)

    def set_state(
        self, pages: Pages, new: int | NDArray[np.uint8], vms: Pages | None = None
    ) -> None:
        """Move ``pages`` (unique global indices) to state ``new`` and update the counts.

        Args:
            pages: global page indices; must not repeat.
            new: the new state, one for all or one per page.
            vms: VM index of each page when the caller knows it (saves a search).
        """
        if len(pages) == 0:
            return
        if vms is None:
            vms = self.vm_of(pages)
        new_states = np.broadcast_to(np.asarray(new, dtype=np.uint8), pages.shape)
        lost = kernels.set_state(
            self.state, self.link, self.scan_bits, self.counts, pages, vms, new_states
        )
        self._report(lost)

    def rewrite(
        self, pages: Pages, content: NDArray[np.uint64], solo: NDArray[np.bool_] | None = None
    ) -> None:
        """The guest writes ``content`` into ``pages`` (distinct); a private page that changes
        loses its hint (and solo mark). Private unlinked pages written with ``solo`` contents,
        which no other page of the salt domain can hold, are marked ``SOLO``."""
        marks = np.zeros(len(pages), dtype=bool) if solo is None else solo
        arrays = (self.state, self.content, self.link, self.scan_bits)
        self._report(kernels.rewrite(*arrays, pages, content, marks))

    def relink(self, pages: Pages, links: int | NDArray[np.integer]) -> None:
        """Set the ``link`` of ``pages`` (a table slot, a compression tag, ``SOLO`` or -1);
        every write of a link goes through here or the kernels, so the scan bits follow."""
        values = np.broadcast_to(np.asarray(links, dtype=np.int64), pages.shape)
        kernels.relink(self.state, self.link, self.scan_bits, pages, values)

    def recount_scan_bits(self) -> NDArray[np.uint8]:
        """The scan bits recomputed from the page arrays: a full pass, for tests only."""
        hashable = (self.state == PageState.PRIVATE) & (self.link != SOLO)
        return np.packbits(hashable, bitorder="little")

    def _report(self, slots: Pages) -> None:
        if len(slots) and self.hint_lost is not None:
            self.hint_lost(slots)

    def power_on(self, vm: int, rng: np.random.Generator) -> None:
        """Lay out VM ``vm``'s pages: a hotness order with 2 MiB locality
        (:mod:`memsim.model.layout`), every page untouched.

        A whole-slice pass, done once per power-on (a rare event).
        """
        sl = self.slice_of(vm)
        self.layout.lay_out(vm, rng)
        if self.origins is not None:
            self.origins[sl] = np.arange(sl.stop - sl.start, dtype=np.uint32)

    def origin(self, vms: Pages, ranks: Pages) -> Pages:
        """The rank at which the page now at rank ``ranks`` of VM ``vms`` was laid out at
        power-on: what its contents are a function of (``ranks`` itself unless the working set
        moved)."""
        if self.origins is None:
            return ranks
        return self.origins[self.offsets[vms] + ranks].astype(np.int64)

    def exchange(self, owner: Pages, hot: Pages, cold: Pages) -> None:
        """The pages at working-set ranks ``hot`` and at cold ranks ``cold`` of VMs ``owner``
        trade ranks: the working set moves onto pages the guest used less (``churn``).

        Each page keeps its data and state: a cold page the host had swapped or compressed now
        faults when touched, a reclaimed hot page no longer can. ``exposed`` and :attr:`away`
        follow (every ``hot`` rank is below the VM's balloon region and every ``cold`` rank at
        or above its working-set threshold, so only the hot ranks can be in the index). Ranks
        must not repeat within a VM.
        """
        if len(owner) == 0:
            return
        here, there = self.offsets[owner] + hot, self.offsets[owner] + cold
        leaving = self.state[self.by_rank(owner, hot)]
        arriving = self.state[self.by_rank(owner, cold)]
        gone, come = leaving >= PageState.COMPRESSED, arriving >= PageState.COMPRESSED
        self.exposed += np.bincount(owner[come], minlength=self.n_vms)
        self.exposed -= np.bincount(owner[gone], minlength=self.n_vms)
        was = gone | (leaving == PageState.GUEST_SWAPPED)
        now = come | (arriving == PageState.GUEST_SWAPPED)
        self.away.remove(owner[was & ~now], hot[was & ~now])
        self.away.add(owner[now & ~was], hot[now & ~was])
        if self.origins is None:
            local = np.arange(len(self.state), dtype=np.int64) - np.repeat(
                self.offsets[:-1], self.sizes
            )
            self.origins = local.astype(np.uint32)
        self.origins[here], self.origins[there] = self.origins[there], self.origins[here]
        self.layout.exchange(here, there)

    def expose(self, owner: Pages, rank: Pages, sign: int) -> None:
        """Count host-reclaimed pages entering (+1) or leaving (−1) the working sets.

        Every move of a page into or out of the compressed and swapped states passes its
        rank here, so ``exposed`` says, without a pass over pages, which VMs can fault, and
        :attr:`away` holds exactly the pages that can.
        """
        inside = rank < self.ws[owner]
        if inside.any():
            self.exposed += sign * np.bincount(owner[inside], minlength=self.n_vms)
            self.away.move(owner[inside], rank[inside], sign)

    def expose_paged(self, owner: Pages, rank: Pages, sign: int) -> None:
        """Pages the guest paged out entering (+1) or leaving (−1) the working sets below the
        balloon region (:attr:`away`): the balloon deflated above them, or they were read back."""
        inside = rank < self.ws[owner]
        if inside.any():
            self.away.move(owner[inside], rank[inside], sign)

    def set_working_set(self, vm: int, ranks: int, region: int) -> None:
        """Move VM ``vm``'s working-set threshold, recounting the ranks that change side.

        ``region`` is the first rank the VM's balloon holds (pages the guest paged out below
        it can fault).
        """
        lo, hi = sorted((int(self.ws[vm]), int(ranks)))
        if hi > lo:
            rank = np.arange(lo, hi)
            state = self.state[self.by_rank(np.full(hi - lo, vm), rank)]
            reclaimed = state >= PageState.COMPRESSED
            moved = int(reclaimed.sum())
            self.exposed[vm] += moved if ranks > self.ws[vm] else -moved
            away = reclaimed | ((state == PageState.GUEST_SWAPPED) & (rank < region))
            self.away.move(np.full(int(away.sum()), vm), rank[away], 1 if ranks > lo else -1)
        self.ws[vm] = ranks

    def recount_away(self, region: Pages) -> Pages:
        """:attr:`away`'s keys recomputed from the page arrays: a full pass, for tests only."""
        keys = []
        for v in range(self.n_vms):
            top = int(min(self.ws[v], region[v]))
            state = self.state[self.by_rank(np.full(top, v), np.arange(top))]
            keys.append(self.offsets[v] + np.flatnonzero(state >= PageState.BALLOONED))
        return np.concatenate(keys).astype(np.int64)

    def recount_exposed(self) -> Pages:
        """``exposed`` recomputed from the page arrays: a full pass, for tests only."""
        out = np.zeros(self.n_vms, dtype=np.int64)
        for v in range(self.n_vms):
            if self.ws[v]:
                pages = self.by_rank(np.full(int(self.ws[v]), v), np.arange(int(self.ws[v])))
                out[v] = int((self.state[pages] >= PageState.COMPRESSED).sum())
        return out

    def count(self, state: PageState) -> NDArray[np.int64]:
        """Pages of each VM in ``state``."""
        return self.counts[:, state]

    def recount(self) -> NDArray[np.int64]:
        """Counts recomputed from the page arrays: a full pass, for tests and checks only."""
        out = np.zeros_like(self.counts)
        for v in range(self.n_vms):
            out[v] = np.bincount(self.state[self.slice_of(v)], minlength=N_STATES)
        return out
