"""Compiled per-page loops (numba) for backing guest writes: boot zeroing, growth, large pages.

Boot zeroing and footprint growth write 1–6 M pages per step. The numpy formulation of each
step below built a chain of page-sized temporaries (gathers, masks, sorts for ``unique`` and
per-VM running sums); each kernel here makes one pass over the pages instead, with the same
integer arithmetic and the same page order, so results are bit-identical (no random numbers
are drawn here: callers draw them as before). Like :mod:`memsim.model.kernels` they are
compiled on first use and cached between runs.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from memsim.model.arrays import Index, Mask
from memsim.model.intrinsics import AHEAD, prefetch
from memsim.model.kernels import hashable

# PageState.UNTOUCHED, PRIVATE and LARGE_PAGE (pages.py imports the kernels: no import back;
# tested)
_UNTOUCHED, _PRIVATE = 0, 1
_LARGE = 512


@njit(cache=True)
def repeat_ranges(vms: Index, lo: Index, hi: Index) -> tuple[Index, Index]:
    """For each ``vms[j]``, every integer of ``[lo[j], hi[j])``: (owner, value) arrays."""
    total = 0
    for j in range(len(vms)):
        total += max(hi[j] - lo[j], 0)
    owner = np.empty(total, dtype=np.int64)
    value = np.empty(total, dtype=np.int64)
    i = 0
    for j in range(len(vms)):
        for k in range(lo[j], hi[j]):
            owner[i] = vms[j]
            value[i] = k
            i += 1
    return owner, value


@njit(cache=True)
def seen_shareable(
    pages: Index,
    owner: Index,
    offsets: Index,
    sizes: Index,
    start: Index,
    inverse: Index,
    scanned: Index,
    state: NDArray[np.uint8],
    link: NDArray[np.int32],
    skip_solo: bool,
) -> Mask:
    """Which ``pages`` the TPS scanner has visited and that may be shared now.

    Page p of VM v sits at scan position ``((p − start) mod size) · inverse mod size`` (the
    scan visits ``start + k · stride``; ``inverse`` is the stride's inverse modulo the size);
    it was visited when its position is below the VM's ``scanned`` count, or the scan wrapped.
    Shareable: :func:`~memsim.model.kernels.hashable`.
    """
    out = np.empty(len(pages), dtype=np.bool_)
    for i in range(len(pages)):
        p, v = pages[i], owner[i]
        size = sizes[v]
        position = ((p - offsets[v] - start[v]) % size) * inverse[v] % size
        seen = scanned[v] >= size or position < scanned[v]
        out[i] = seen and hashable(state[p], link[p], skip_solo)
    return out


@njit(cache=True)
def _untouched(
    region: int, v: int, offsets: Index, sizes: Index, first: Index, state: NDArray[np.uint8]
) -> int:
    """Pages of ``region`` (of VM ``v``) if every one is untouched, else 0."""
    lo = (region - first[v]) * _LARGE
    hi = min(lo + _LARGE, sizes[v])
    for p in range(offsets[v] + lo, offsets[v] + hi):
        if state[p] != _UNTOUCHED:
            return 0
    return hi - lo


@njit(cache=True)
def large_regions(
    pages: Index,
    owner: Index,
    fresh: Mask,
    offsets: Index,
    sizes: Index,
    first: Index,
    wanted: Mask,
    state: NDArray[np.uint8],
    status: NDArray[np.int16],
) -> tuple[Index, Index]:
    """The regions first touches back whole, and what each page costs (docs/model.md §2).

    A ``fresh`` (untouched) page of a ``wanted`` VM whose 2 MiB region is all untouched now is
    backed with its region: the first such page of a region (in array order) costs the
    region's pages, the others 0. Every other page costs 1.

    ``status`` is scratch, one entry per region, -1 everywhere on entry and on return: what
    this call learnt of each region it met (0 not whole, else its pages, negated once charged).
    Only the regions met are reset, so the cost is the pages passed, not the host's regions.

    Returns:
        Per page, its global region if backed whole, else -1; and its cost in machine pages.
    """
    region = np.full(len(pages), -1, dtype=np.int64)
    cost = np.ones(len(pages), dtype=np.int64)
    met = np.empty(len(pages), dtype=np.int64)
    n_met = 0
    for i in range(len(pages)):
        v = owner[i]
        if not (fresh[i] and wanted[v]):
            continue
        r = first[v] + (pages[i] - offsets[v]) // _LARGE
        if status[r] == -1:
            status[r] = _untouched(r, v, offsets, sizes, first, state)
            met[n_met] = r
            n_met += 1
        if status[r] == 0:
            continue
        region[i] = r
        if status[r] > 0:
            cost[i] = status[r]
            status[r] = -status[r] - 1  # charged: ≤ -2, never -1 or 0
        else:
            cost[i] = 0
    for j in range(n_met):
        status[met[j]] = -1
    return region, cost


@njit(cache=True)
def demand(state: NDArray[np.uint8], owner: Index, cost: Index, n_vms: int) -> Index:
    """Machine pages each VM needs to write pages in ``state`` costing ``cost``: every page
    that is not private needs its cost."""
    want = np.zeros(n_vms, dtype=np.int64)
    for i in range(len(state)):
        if state[i] != _PRIVATE:
            want[owner[i]] += cost[i]
    return want


@njit(cache=True)
def within_grant(state: NDArray[np.uint8], owner: Index, cost: Index, grant: Index) -> Mask:
    """Which writes go ahead: private pages always; each VM's pages that need memory in array
    order while their running cost stays within its ``grant``."""
    spent = np.zeros(len(grant), dtype=np.int64)
    keep = np.ones(len(state), dtype=np.bool_)
    for i in range(len(state)):
        if state[i] != _PRIVATE:
            v = owner[i]
            spent[v] += cost[i]
            keep[i] = spent[v] <= grant[v]
    return keep


_TAKEN = 255  #: no PageState: marks a page taken while :func:`first_drawn_in_state` walks


@njit(cache=True)
def first_drawn_in_state(
    pages: Index,
    owner: Index,
    rank: Index,
    state: NDArray[np.uint8],
    wanted: int,
    quota: Index,
) -> tuple[Index, Index, Index]:
    """Walking the draws ``pages`` (with their owners and ranks) in draw order, each owner v's
    first ``quota[v]`` distinct pages in state ``wanted``: the (pages, owner, rank) kept, in
    that order. Stops once every quota is full (no later draw could be kept).

    A page drawn again is not taken twice: a taken page's state reads :data:`_TAKEN` while
    the walk goes on and is restored before the kernel returns.
    """
    left = 0
    for v in range(len(quota)):
        left += max(quota[v], 0)
    taken = np.zeros(len(quota), dtype=np.int64)
    out = np.empty(min(left, len(pages)), dtype=np.int64)
    kept = 0
    for i in range(len(pages)):
        if kept == left:
            break
        if i + AHEAD < len(pages):
            prefetch(state, pages[i + AHEAD])
        v = owner[i]
        if taken[v] < quota[v] and state[pages[i]] == wanted:
            state[pages[i]] = _TAKEN
            taken[v] += 1
            out[kept] = i
            kept += 1
    chosen = out[:kept]
    for i in chosen:
        state[pages[i]] = wanted
    return pages[chosen], owner[chosen], rank[chosen]
