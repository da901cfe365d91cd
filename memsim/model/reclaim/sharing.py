"""Transparent page sharing: scan, hash, compare in full, share copy-on-write.

Behaviour (docs/model.md §2, [OSDI02] §4):

* A scanner visits each VM's pages in a pseudo-random order (a full-cycle permutation
  ``start + i·stride mod size``, so no order array is stored) at the rate of
  ``Mem.ShareScanTime`` per VM, capped host-wide by ``Mem.ShareScanGHz`` × host GHz.
* A visited private page is hashed and looked up by (salt domain, hash). On a match its
  contents are compared in full; only a true match is shared. A page with no match is kept as a
  *hint*; a later match shares both. A hint lives exactly as long as its page stays private
  with the same contents: it is dropped when the page is rewritten, shared, reclaimed or freed
  (through the page's ``link`` to its slot), so the table holds only frames and live hints.
* The zero page is shared like any other page.
* A write to a shared page breaks sharing (copy-on-write): the page gets a private copy.
* A page no other page can match (``SOLO``: unique to its VM, freshly written, or a family page
  with no family peer in its domain) is not hashed at all, neither by the scanner nor before
  a swap: skipping it changes no sharing (docs/model.md §2).
* Salting: pages share only within one salt domain (``Mem.ShareForceSalting``, per-VM ``salt``).
* Pages inside a large page (:mod:`memsim.model.largepages`) are scanned (hashes kept) but not
  shared until their large page is broken; breaking shares at once the pages the scanner has
  already visited ("share before swap"): :meth:`PageSharing.break_large` for the whole host,
  :meth:`PageSharing.break_pages` for pages chosen for swap-out or ballooned.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from memsim.model import backing_kernels, kernels
from memsim.model.arrays import U64, Index
from memsim.model.hashing import mix64
from memsim.model.largepages import LargePages
from memsim.model.pages import SOLO, GuestMemory, PageState
from memsim.model.reclaim.table import LIVE, ShareTable
from memsim.model.segments import distinct

BREAK_CHUNK = 4096
"""Large pages (2 MiB regions, 8 GiB of guest memory) broken and shared per pass of
:meth:`PageSharing.break_large`."""


def salt_domains(salts: list[str | None], force_salting: int) -> NDArray[np.uint32]:
    """Salt domain of each VM: pages share only with pages of the same domain.

    ``Mem.ShareForceSalting`` 0: one domain for all; 1: the VM's ``salt`` (unset = the common
    domain 0); 2: the VM's ``salt``, else a domain of its own (intra-VM sharing only).
    [KB 2097593], docs/model.md §2.
    """
    names: dict[str, int] = {}
    out = np.zeros(len(salts), dtype=np.uint32)
    for v, salt in enumerate(salts):
        if force_salting == 0:
            continue
        if salt is None:
            if force_salting == 1:
                continue
            key = f"\0vm{v}"
        else:
            key = salt
        out[v] = names.setdefault(key, len(names) + 1)
    return out


def scan_quota(
    sizes: NDArray[np.int64],
    on: NDArray[np.bool_],
    settings: dict[str, float],
    cpu_ghz: float,
    dt: float,
    active: bool = False,
) -> NDArray[np.float64]:
    """Pages of each VM the scanner visits in ``dt`` seconds.

    Each VM is scanned whole every ``Mem.ShareScanTime`` minutes, and the host scans at most
    ``Mem.ShareScanGHz`` MiB/s per GHz of CPU in all ([RM], docs/model.md §2). When TPS is
    called actively (``active``: an ``esxi6`` host in clear or below), both rates are
    ``Memsim.ShareScanClear`` times higher (docs/model.md §1).
    """
    boost = settings["Memsim.ShareScanClear"] if active else 1.0
    per_vm = np.where(on, sizes * dt * boost / (settings["Mem.ShareScanTime"] * 60.0), 0.0)
    cap = settings["Mem.ShareScanGHz"] * cpu_ghz * 256.0 * dt * boost  # 256 pages per MiB
    total = float(per_vm.sum())
    return per_vm * (cap / total) if total > cap else per_vm


class PageSharing:
    """TPS state of the host: the share table, scan positions and sharing counters.

    Args:
        gm: the guest pages.
        domains: salt domain per VM (:func:`salt_domains`).
        enabled: per VM, ``sched.mem.pshare.enable``.
        hash_bits: ``Memsim.HashBits``.
        rng: the run's generator, for scan orders.
    """

    def __init__(
        self,
        gm: GuestMemory,
        domains: NDArray[np.uint32],
        enabled: NDArray[np.bool_],
        hash_bits: int,
        rng: np.random.Generator,
    ) -> None:
        n = gm.n_vms
        self.gm = gm
        self.table = ShareTable(hash_bits)
        self.domain = domains
        self.enabled = enabled
        self.lpages = LargePages(gm)  #: which 2 MiB regions are large pages now
        self.zero_shared = np.zeros(n, dtype=np.int64)
        self.cow_breaks = np.zeros(n, dtype=np.int64)  #: cumulative copy-on-write breaks
        #: private pages of each VM with a hint in the table (esxtop's COWH), kept as hints
        #: are made and die so that observing it costs no pass over the table
        self.hints = np.zeros(n, dtype=np.int64)
        self.false_matches = 0  #: hash matches whose contents differed
        self.scan_pos = np.zeros(n, dtype=np.int64)
        self.scan_start = rng.integers(0, np.maximum(gm.sizes, 1))
        self.scan_stride = np.array([_coprime_stride(int(c), rng) for c in gm.sizes])
        strides = self.scan_stride.tolist()
        #: inverse of each stride modulo the VM's size: a page's position in the scan order
        self._inverse = np.array(
            [pow(s, -1, int(c)) if c > 1 else 0 for s, c in zip(strides, gm.sizes, strict=True)],
            dtype=np.int64,
        )
        self._credit = np.zeros(n)
        gm.hint_lost = self._forget_hints

    # -- scanning -------------------------------------------------------------------------
    def scan(self, quota: NDArray[np.floating], vms_on: NDArray[np.bool_]) -> int:
        """Visit ``quota`` pages (fractional, carried over) of each powered-on VM; share those
        :meth:`shareable` and not in a large page (:func:`~memsim.model.kernels.scan_candidates`).

        Returns:
            Number of pages visited.
        """
        self._credit += np.where(vms_on & self.enabled, quota, 0.0)
        take = np.floor(self._credit).astype(np.int64)
        take = np.minimum(take, np.maximum(self.gm.sizes, 0))
        self._credit -= take
        vms = np.flatnonzero(take)
        if len(vms) == 0:
            return 0
        gm = self.gm
        pages, owner = kernels.scan_candidates(
            vms,
            self.scan_pos[vms],
            take[vms],
            gm.offsets,
            gm.sizes,
            self.scan_start,
            self.scan_stride,
            gm.state,
            gm.link,
            gm.scan_bits,
            self.table.hash_bits >= 64,  # see shareable
            self.lpages.large,
            self.lpages.first,
        )
        self.scan_pos[vms] += take[vms]
        self.share(pages, owner)
        return int(take.sum())

    def shareable(self, pages: Index) -> NDArray[np.bool_]:
        """Private pages that may find a partner: with exact (64-bit) hashes, pages marked
        ``SOLO`` are skipped, since no other page of their salt domain can hold their contents:
        their look-up cannot match and their hint could never be matched (docs/model.md §2)."""
        # with 64-bit hashes page_hash is a bijection: no false matches
        return kernels.hashable_pages(
            self.gm.state, self.gm.link, pages, self.table.hash_bits >= 64
        )

    def break_large(self, vms: Index) -> None:
        """Break every large page of ``vms``; share at once what the scanner already hashed.

        A whole terabyte host breaks 10⁵–10⁶ large pages at once; they are broken and shared
        :data:`BREAK_CHUNK` at a time, so the temporaries stay bounded (tens of MiB, not one
        array per guest page). Sharing in parts ends in the same state: a page that found no
        partner in an earlier part is a hint that a later part's match joins.
        """
        regions, owner = self.lpages.regions_of_vms(vms)
        for lo in range(0, len(regions), BREAK_CHUNK):
            part = slice(lo, lo + BREAK_CHUNK)
            self._share_seen(*self.lpages.break_regions(regions[part], owner[part]))

    def break_pages(self, pages: Index, owner: Index, share: bool = True) -> None:
        """Break the large pages that hold any of ``pages`` (chosen for swap-out or
        ballooned: a large page can be neither); with ``share``, their pages the scanner has
        already hashed are shared at once (share before swap)."""
        inside = self.lpages.in_large(pages, owner)
        if not inside.any():
            return
        regions = self.lpages.region_of(pages[inside], owner[inside])
        broken, broken_owner = self.lpages.break_regions(regions, owner[inside])
        if share:
            self._share_seen(broken, broken_owner)

    def _share_seen(self, pages: Index, owner: Index) -> None:
        """Share those of ``pages`` the scanner has visited (position below its count) and that
        are :meth:`shareable`, found in one compiled pass
        (:func:`~memsim.model.backing_kernels.seen_shareable`)."""
        gm = self.gm
        mask = backing_kernels.seen_shareable(
            pages,
            owner,
            gm.offsets,
            gm.sizes,
            self.scan_start,
            self._inverse,
            self.scan_pos,
            gm.state,
            gm.link,
            self.table.hash_bits >= 64,
        )
        self.share(pages[mask], owner[mask])

    def release(self, vm: int) -> None:
        """Power-off of VM ``vm``: its large pages are gone and the scanner starts over."""
        self.lpages.release(vm)
        self.scan_pos[vm] = 0
        self._credit[vm] = 0.0

    # -- sharing --------------------------------------------------------------------------
    def _by_key(
        self, pages: Index, owner: Index
    ) -> tuple[Index, Index, U64, NDArray[np.uint32], U64]:
        """``pages``, their owners, contents, salts and hashes, ordered so that equal
        (salt, hash) keys are adjacent: one stable sort on a combined key (exact below 32-bit
        hashes; a 64-bit mix otherwise, whose collisions would only split a group)."""
        table = self.table
        content = self.gm.content[pages]
        salt = self.domain[owner]
        h = table.key_hash(content)
        if table.hash_bits <= 32:
            combined = (h << np.uint64(32)) | salt.astype(np.uint64)
        else:
            combined = mix64(h ^ (salt.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)))
        order = np.argsort(combined, kind="stable")
        return pages[order], owner[order], content[order], salt[order], h[order]

    def share(self, pages: Index, owner: Index) -> None:
        """Hash ``pages`` (private, unique), look them up and share the true matches."""
        if len(pages) == 0:
            return
        gm, table = self.gm, self.table
        pages, owner, content, salt, h = self._by_key(pages, owner)
        new_group = np.ones(len(pages), dtype=bool)
        new_group[1:] = (salt[1:] != salt[:-1]) | (h[1:] != h[:-1])
        first = np.flatnonzero(new_group)
        group = np.cumsum(new_group) - 1
        g_salt, g_h = salt[first], h[first]

        slot = table.find(g_salt, g_h)
        new = slot < 0
        mapping = table.reserve(int(new.sum()))
        if mapping is not None:
            self._remap(mapping)
            slot[~new] = mapping[slot[~new]]
        slot[new] = table.insert(g_salt[new], content[first[new]])

        # an old entry is a frame (refs > 0) or a hint, whose page is private with the
        # entry's contents (hints die with their page's contents: see GuestMemory.hint_lost)
        refs = table.refs[slot]
        hint = table.hint[slot].astype(np.int64)
        is_hint = (refs == 0) & ~new

        frame_content = table.content[slot]
        match = (content == frame_content[group]) & (pages != np.where(is_hint, hint, -1)[group])
        self.false_matches += int((~match & (pages != np.where(is_hint, hint, -1)[group])).sum())
        n_match = np.bincount(group, weights=match, minlength=len(first)).astype(np.int64)

        shares_frame = refs > 0
        joins_hint = is_hint & (n_match >= 1)
        forms_frame = new & (n_match >= 2)
        sharing_group = shares_frame | joins_hint | forms_frame
        becomes_hint = new & (n_match == 1)  # a new entry's first page matches itself

        table.hint[slot[becomes_hint]] = pages[first[becomes_hint]]
        self.hints += np.bincount(owner[first[becomes_hint]], minlength=gm.n_vms)
        self.hints -= np.bincount(gm.vm_of(hint[joins_hint]), minlength=gm.n_vms)
        gm.relink(pages[first[becomes_hint]], slot[becomes_hint])
        added = n_match + joins_hint
        table.refs[slot[sharing_group]] += added[sharing_group].astype(np.int32)
        table.hint[slot[joins_hint]] = -1
        table.frames += int((joins_hint | forms_frame).sum())

        to_share = match & sharing_group[group]
        new_pages = np.concatenate([pages[to_share], hint[joins_hint]])
        new_owner = np.concatenate([owner[to_share], gm.vm_of(hint[joins_hint])])
        new_slots = np.concatenate([slot[group[to_share]], slot[joins_hint]])
        self._mark_shared(new_pages, new_owner, new_slots)

    def _mark_shared(self, pages: Index, owner: Index, slots: Index) -> None:
        gm = self.gm
        zero = gm.content[pages] == 0
        self.zero_shared += np.bincount(owner[zero], minlength=gm.n_vms)
        gm.relink(pages, -1)  # a hint joining its frame keeps its entry (now the frame)
        gm.set_state(pages, PageState.SHARED, owner)
        gm.relink(pages, slots)

    def unshare(self, pages: Index, owner: Index) -> None:
        """Detach shared ``pages`` from their frames (the caller sets their new state)."""
        if len(pages) == 0:
            return
        gm = self.gm
        zero = gm.content[pages] == 0
        self.zero_shared -= np.bincount(owner[zero], minlength=gm.n_vms)
        self.table.release(gm.link[pages].astype(np.int64))
        gm.relink(pages, -1)

    def break_cow(self, pages: Index, owner: Index) -> None:
        """Copy-on-write: shared ``pages`` are written and get private copies."""
        if len(pages) == 0:
            return
        self.unshare(pages, owner)
        self.cow_breaks += np.bincount(owner, minlength=self.gm.n_vms)
        self.gm.set_state(pages, PageState.PRIVATE, owner)

    def _forget_hints(self, slots: Index) -> None:
        """Drop the hint entries at ``slots``: their pages left PRIVATE or were rewritten (on ESX
        that machine page is gone or changed, so the hint can never validate). Dropped at once,
        the table holds only live hints and frames, whenever it is rebuilt."""
        table = self.table
        dying = slots[(table.status[slots] == LIVE) & (table.refs[slots] == 0)]
        pages = table.hint[distinct(dying)].astype(np.int64)
        self.hints -= np.bincount(self.gm.vm_of(pages[pages >= 0]), minlength=self.gm.n_vms)
        table.drop(slots)

    def check_links(self) -> None:
        """Every live hint names a private page, linked back, with the entry's contents; every
        ``SOLO`` page is in a state that keeps its contents (``kernels.SOLO_KEPT``) and no other
        resident or solo page of its domain holds them. A pass over all pages, for tests.
        """
        table, gm = self.table, self.gm
        hints = np.flatnonzero((table.status == LIVE) & (table.refs == 0))
        pages = table.hint[hints].astype(np.int64)
        if np.any(pages < 0):
            raise AssertionError("a live table entry is neither a frame nor a hint")
        if not np.all(gm.state[pages] == PageState.PRIVATE):
            raise AssertionError("a hint names a page that is not private")
        if not np.array_equal(gm.link[pages], hints):
            raise AssertionError("a hint's page does not link back to it")
        if not np.array_equal(np.bincount(gm.vm_of(pages), minlength=gm.n_vms), self.hints):
            raise AssertionError(f"hint counts {self.hints} differ from the table's hints")
        if not np.all(gm.content[pages] == table.content[hints]):
            raise AssertionError("a hint's page no longer holds the entry's contents")
        linked = int(((gm.state == PageState.PRIVATE) & (gm.link >= 0)).sum())
        if linked != len(hints):
            raise AssertionError(f"{linked} private pages link to {len(hints)} hints")
        solo = gm.link == SOLO
        state = gm.state
        if np.any(solo & ~np.isin(state, kernels.SOLO_KEPT)):
            raise AssertionError("a page marked SOLO is in a state that drops its contents")
        held = np.flatnonzero((state == PageState.PRIVATE) | (state == PageState.SHARED) | solo)
        key = np.stack([self.domain[gm.vm_of(held)].astype(np.uint64), gm.content[held]])
        _, inverse, counts = np.unique(key, axis=1, return_inverse=True, return_counts=True)
        if np.any(solo[held] & (counts[inverse.ravel()] > 1)):
            raise AssertionError("a page marked SOLO shares its contents with another page")

    def _remap(self, mapping: NDArray[np.int32]) -> None:
        """Follow a table rebuild: shared pages' frames and private pages' hints moved."""
        kernels.remap_links(self.gm.state, self.gm.link, mapping)

    # -- accounting -----------------------------------------------------------------------
    def charge(self) -> NDArray[np.float64]:
        """Machine pages charged to each VM for its shared pages (sums to the frames).

        A shared zero page is charged 1/N of its salt domain's zero frame, N being the frame's
        reference count, as vSphere does (docs/model.md §7). Other shared pages are charged the
        host's mean frames per non-zero shared page (model choice: exact per-page attribution
        would need a pass over all shared pages at every sample).
        """
        gm, table = self.gm, self.table
        shared = gm.count(PageState.SHARED)
        charge = np.zeros(gm.n_vms)
        zero_slots = table.find(self.domain, table.key_hash(np.zeros(gm.n_vms, dtype=np.uint64)))
        has_zero = zero_slots >= 0
        zrefs = np.where(has_zero, table.refs[np.maximum(zero_slots, 0)], 0)
        zero_frame = has_zero & (zrefs > 0) & (table.content[np.maximum(zero_slots, 0)] == 0)
        charge[zero_frame] = self.zero_shared[zero_frame] / zrefs[zero_frame]
        n_zero_frames = len(np.unique(zero_slots[zero_frame]))
        other = shared - np.where(zero_frame, self.zero_shared, 0)
        total_other = int(other.sum())
        if total_other > 0:
            charge += other * ((table.frames - n_zero_frames) / total_other)
        return charge


def _coprime_stride(size: int, rng: np.random.Generator) -> int:
    """A stride coprime with ``size``: ``i·stride mod size`` visits every page once."""
    if size <= 1:
        return 1
    while True:
        stride = int(rng.integers(1, size))
        if np.gcd(stride, size) == 1:
            return stride
