"""Warm start: place powered-on VMs' pages in captured backing states at t = 0.

A capture (esxtop, vCenter) says how much of each VM's memory was granted, swapped, ballooned
and held by its compression cache at one instant, not which pages. The placement gives every
VM a consistent page layout that shows those amounts (docs/model.md "Warm start"):

* the guest's in-use ranks ``[0, u)``, with ``u = granted + swapped + compressed pages``, hold
  the contents of its content mix, private at first (the compressed pages are first assumed
  :data:`PAGES_PER_CACHE_PAGE` per cache page, and ``u`` grows by the pages smaller slots
  hold beyond that once they are compressed);
* TPS then shares every in-use page whose contents another page of its salt domain holds, as a
  scanner that had passed over all memory would (so ``shared``/``zero`` follow the content mix);
* swapped and compressed pages are taken at random from the private pages outside the working
  set first (the host chose them while they were idle), then from the private pages inside it,
  and only when those run short from shared pages (which leave their frames first); through
  the compressor and the swap device, so their caches and counters are those mechanisms' own;
* the balloon holds the top ranks ``[size − balloon, size)``, as the driver inflates;
* the active-memory estimator starts at the captured active fraction, and the host in the
  captured state.

Every move goes through the mechanisms' own methods, so the accounting identity holds from the
first instant. All per-VM work is vectorised over the warm VMs (one pass at t = 0, a rare
event like power-on).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from memsim.model.activity import ActivityEstimator
from memsim.model.guest import Guests
from memsim.model.kernels import SOLO
from memsim.model.pages import PageState
from memsim.model.reclaim.compression import slot_kib
from memsim.model.segments import cumsum_within, repeat_ranges
from memsim.model.states import MemState

Index = NDArray[np.int64]

__all__ = ["PAGES_PER_CACHE_PAGE", "Snapshot", "place"]

#: Guest pages a page of compression cache holds, to size the footprint before compressing
#: (two 2 KiB slots; the pages actually compressed follow their contents' slot sizes).
PAGES_PER_CACHE_PAGE = 2


@dataclass(frozen=True)
class Snapshot:
    """Captured memory of the warm VMs, in 4 KiB pages (arrays aligned with ``vms``).

    Attributes:
        vms: VM indices (powered on, with untouched pages).
        granted: Guest pages mapped to host memory.
        swapped: Guest pages in the swap file.
        balloon: Balloon size; ``balloon_target`` its target.
        cache: Host pages held by the compression cache.
        active: Working-set pages.
        state: Host state to start in, or None to derive it from free memory.
    """

    vms: Index
    granted: Index
    swapped: Index
    balloon: Index
    balloon_target: Index
    cache: Index
    active: Index
    state: MemState | None = None


def place(
    guests: Guests, activity: ActivityEstimator, snap: Snapshot, rng: np.random.Generator
) -> None:
    """Lay out the warm VMs' pages as ``snap`` says (see the module docstring).

    Raises:
        ValueError: The captured VMs need more host memory than the host manages.
    """
    host = guests.host
    gm = host.gm
    vms = snap.vms
    size = gm.sizes[vms]
    balloon = np.minimum(snap.balloon, size)
    held = snap.granted + snap.swapped + PAGES_PER_CACHE_PAGE * snap.cache
    footprint = np.minimum(held, size - balloon)
    _write(guests, vms, np.zeros_like(vms), footprint)
    host.sharing.share(*_private(guests, vms, np.zeros_like(vms), footprint, shareable=True))
    active = np.minimum(snap.active, footprint)
    for vm, a in zip(vms, active, strict=True):  # few warm VMs; each a threshold move
        guests.set_active(int(vm), int(a))
    _compress(guests, vms, snap.cache, footprint, rng)
    # smaller slots hold more pages than assumed: the guest held those too (granted as captured)
    extra = gm.count(PageState.COMPRESSED)[vms] - PAGES_PER_CACHE_PAGE * snap.cache
    grown = np.minimum(footprint + np.maximum(extra, 0), size - balloon)
    _write(guests, vms, footprint, grown)
    host.sharing.share(*_private(guests, vms, footprint, grown, shareable=True))
    footprint = grown
    _swap(guests, vms, snap.swapped, footprint, rng)
    _inflate(guests, vms, balloon, np.where(snap.balloon_target < 0, balloon, snap.balloon_target))
    guests.footprint[vms] = footprint
    guests.boot_left[vms] = 0
    activity.start_at(vms, active / np.maximum(size, 1))
    if snap.state is not None:
        host.state = snap.state
    host.update_blocking()
    if host.free() < 0:
        short = -host.free() * 4 // 1024
        raise ValueError(
            f"the captured VMs need {short} MiB more host memory than the host manages: "
            "raise host.memory or lower host.vmkernel"
        )


def _write(guests: Guests, vms: Index, lo: Index, hi: Index) -> None:
    """Ranks ``[lo, hi)`` of each VM get the contents of its mix, backed privately."""
    gm = guests.host.gm
    owner, rank = repeat_ranges(vms, lo, hi)
    pages = gm.by_rank(owner, rank)
    content, solo = guests.layout(owner, rank)
    gm.set_state(pages, PageState.PRIVATE, owner)
    gm.rewrite(pages, content, solo)


def _private(
    guests: Guests, vms: Index, lo: Index, hi: Index, shareable: bool = False
) -> tuple[Index, Index]:
    """Private pages of ranks ``[lo, hi)`` of each VM (``shareable``: not marked SOLO, not
    in a large-page VM), with their owners."""
    host = guests.host
    gm = host.gm
    owner, rank = repeat_ranges(vms, lo, hi)
    pages = gm.by_rank(owner, rank)
    keep = gm.state[pages] == PageState.PRIVATE
    if shareable:
        keep &= gm.link[pages] != SOLO
        keep &= ~host.sharing.lpages.in_large(pages, owner)
    return pages[keep], owner[keep]


def _cold_first(
    guests: Guests, vms: Index, footprint: Index, rng: np.random.Generator, shared: bool = False
) -> tuple[Index, Index, Index]:
    """In-use pages of ``vms`` in random order within each VM: private pages outside the
    working set first, then private inside it, then (``shared``) shared pages: pages, owners
    and ranks."""
    gm = guests.host.gm
    owner, rank = repeat_ranges(vms, np.zeros_like(vms), footprint)
    pages = gm.by_rank(owner, rank)
    state = gm.state[pages]
    keep = (state == PageState.PRIVATE) | (shared & (state == PageState.SHARED))
    pages, owner, rank, state = pages[keep], owner[keep], rank[keep], state[keep]
    hot = rank < guests.active[owner]
    order = np.lexsort((rng.random(len(pages)), hot, state == PageState.SHARED, owner))
    return pages[order], owner[order], rank[order]


def _compress(
    guests: Guests, vms: Index, cache: Index, footprint: Index, rng: np.random.Generator
) -> None:
    """Compress cold private pages until each VM's cache holds ``cache`` host pages."""
    host = guests.host
    comp = host.compressor
    if not comp.enabled or not cache.any():
        return
    pages, owner, rank = _cold_first(guests, vms, footprint, rng)
    kib = slot_kib(host.gm.content[pages], comp.compressible[owner])
    want = np.zeros(host.gm.n_vms, dtype=np.int64)
    want[vms] = np.minimum(cache * 4, comp.capacity_kib()[vms])
    fits = kib > 0
    before = cumsum_within(owner[fits], kib[fits]) - kib[fits]
    take = np.flatnonzero(fits)[before < want[owner[fits]]]
    zipped, _, _ = comp.compress(pages[take], owner[take])  # an empty cache evicts nothing
    chosen = np.isin(pages, pages[take][zipped])
    host.gm.expose(owner[chosen], rank[chosen], +1)


def _swap(
    guests: Guests, vms: Index, swapped: Index, footprint: Index, rng: np.random.Generator
) -> None:
    """Swap ``swapped`` cold private pages of each VM out."""
    if not swapped.any():
        return
    pages, owner, rank = _cold_first(guests, vms, footprint, rng, shared=True)
    gm = guests.host.gm
    want = np.zeros(gm.n_vms, dtype=np.int64)
    want[vms] = swapped
    take = cumsum_within(owner, np.ones(len(pages))) <= want[owner]
    pages, owner, rank = pages[take], owner[take], rank[take]
    was_shared = gm.state[pages] == PageState.SHARED
    guests.host.sharing.unshare(pages[was_shared], owner[was_shared])
    guests.swapper.swap_out(pages, owner)
    gm.expose(owner, rank, +1)


def _inflate(guests: Guests, vms: Index, balloon: Index, target: Index) -> None:
    """Each balloon holds its VM's top ``balloon`` ranks (untouched, so no data is lost)."""
    gm = guests.host.gm
    size = gm.sizes[vms]
    owner, rank = repeat_ranges(vms, size - balloon, size)
    pages = gm.by_rank(owner, rank)
    gm.set_state(pages, PageState.BALLOONED, owner)
    guests.balloons.size[vms] = balloon
    guests.balloons.target[vms] = target
