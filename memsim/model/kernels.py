"""Compiled per-page loops (numba) for the hottest page bookkeeping.

Each kernel does in one pass what a chain of numpy gathers, masks and scatters did, with the
same integer arithmetic and the same page order, so results are bit-identical to the numpy
formulation (no random numbers are drawn here: callers draw them as before). Kernels work in
place on the :class:`~memsim.model.pages.GuestMemory` arrays and are compiled on first use
(``cache=True`` keeps the machine code between runs).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from memsim.model.arrays import Index
from memsim.model.intrinsics import AHEAD, prefetch, prefetch_write

# PageState values and LARGE_PAGE (pages.py imports this module: no import back; tested)
_PRIVATE, _SHARED, _BALLOONED, _GUEST_SWAPPED, _SWAPPED, _SWAPPED_CACHE = 1, 2, 3, 4, 6, 7
_LARGE = 512

#: states in which a page keeps its contents, so a ``SOLO`` mark stays: private, swapped by the
#: guest or the host, or ballooned (a touch of a ballooned working-set rank pages the same
#: contents back in); compressed pages keep theirs in the cache's record
SOLO_KEPT = (_PRIVATE, _BALLOONED, _GUEST_SWAPPED, _SWAPPED, _SWAPPED_CACHE)

#: ``link`` of a page whose contents no other page can hold, so the scanner may skip it (set by
#: the writer; kept while the page keeps its contents (:data:`SOLO_KEPT`), in the compression
#: cache's record while compressed, cleared when the page is untouched again or rewritten;
#: ``-1`` is always safe)
SOLO = -2


@njit(cache=True, inline="always")
def _page_ahead(
    state: NDArray[np.uint8],
    link: NDArray[np.int32],
    bits: NDArray[np.uint8],
    pages: Index,
    i: int,
) -> None:
    """Prefetch the state, link and scan bit of the page a loop over ``pages`` visits
    :data:`~memsim.model.intrinsics.AHEAD` iterations after the ``i``-th."""
    if i + AHEAD < len(pages):
        q = pages[i + AHEAD]
        prefetch_write(state, q)
        prefetch_write(link, q)
        prefetch_write(bits, q >> 3)


@njit(cache=True)
def set_state(
    state: NDArray[np.uint8],
    link: NDArray[np.int32],
    bits: NDArray[np.uint8],
    counts: Index,
    pages: Index,
    vms: Index,
    new: NDArray[np.uint8],
) -> Index:
    """Move ``pages`` of ``vms`` to states ``new``, keeping ``counts[vm, state]`` exact.

    A page leaving PRIVATE loses its hint (``link`` → -1). Its solo mark stays while the page
    keeps its contents (:data:`SOLO_KEPT`: they come back as they were) and goes when it is
    untouched again (the compression cache keeps its own record). ``bits`` follow
    (:func:`with_scan_bit`).

    Returns:
        The table slots of the hints that died.
    """
    lost = np.empty(len(pages), dtype=np.int64)
    n_lost = 0
    for i in range(len(pages)):
        _page_ahead(state, link, bits, pages, i)
        p, v, s = pages[i], vms[i], new[i]
        old = state[p]
        counts[v, old] -= 1
        counts[v, s] += 1
        if link[p] == SOLO:
            if s not in SOLO_KEPT:
                link[p] = -1
        elif old == _PRIVATE and s != _PRIVATE and link[p] >= 0:
            lost[n_lost] = link[p]
            n_lost += 1
            link[p] = -1
        state[p] = s
        bits[p >> 3] = with_scan_bit(bits[p >> 3], p, hashable(state[p], link[p], True))
    return lost[:n_lost]


@njit(cache=True)
def rewrite(
    state: NDArray[np.uint8],
    content: NDArray[np.uint64],
    link: NDArray[np.int32],
    bits: NDArray[np.uint8],
    pages: Index,
    new: NDArray[np.uint64],
    solo: NDArray[np.bool_],
) -> Index:
    """Write ``new`` into ``pages`` (distinct); a private page whose contents change loses its
    link; a private unlinked page written with ``solo`` contents (no other page of its salt
    domain can hold them) is marked ``SOLO``, so the scanner skips it (``bits`` follow).

    Returns:
        The table slots of the hints that died.
    """
    lost = np.empty(len(pages), dtype=np.int64)
    n_lost = 0
    for i in range(len(pages)):
        _page_ahead(state, link, bits, pages, i)
        if i + AHEAD < len(pages):
            prefetch_write(content, pages[i + AHEAD])
        p = pages[i]
        private = state[p] == _PRIVATE
        if private and content[p] != new[i] and link[p] != -1:
            if link[p] >= 0:
                lost[n_lost] = link[p]
                n_lost += 1
            link[p] = -1
        content[p] = new[i]
        if solo[i] and private and link[p] == -1:
            link[p] = SOLO
        bits[p >> 3] = with_scan_bit(bits[p >> 3], p, hashable(state[p], link[p], True))
    return lost[:n_lost]


@njit(cache=True)
def hashable(state: np.uint8, link: np.int32, skip_solo: bool) -> bool:
    """Whether TPS hashes a page of ``state`` and ``link``: private and, with ``skip_solo``
    (exact hashes), not ``SOLO`` — no other page of its salt domain can hold its contents
    (docs/model.md §2)."""
    return state == _PRIVATE and not (skip_solo and link == SOLO)


@njit(cache=True)
def with_scan_bit(byte: np.uint8, p: int, on: bool) -> np.uint8:
    """Byte ``byte`` of the scanner's bitmap with page ``p``'s bit (little-endian within each
    byte) set to ``on``: an eighth of a byte per page, so the scanner's test of a visited page
    stays in cache where the page's state and link would not. Kernels keep every page's bit
    equal to :func:`hashable` with exact hashes. Scalar arguments: a call of a compiled
    function with array arguments costs reference counting per call."""
    mask = 1 << (p & 7)
    return np.uint8(byte | mask) if on else np.uint8(byte & (255 - mask))


@njit(cache=True)
def relink(
    state: NDArray[np.uint8],
    link: NDArray[np.int32],
    bits: NDArray[np.uint8],
    pages: Index,
    links: Index,
) -> None:
    """Set ``link`` of ``pages`` to ``links``; ``bits`` follow (:func:`with_scan_bit`)."""
    for i in range(len(pages)):
        _page_ahead(state, link, bits, pages, i)
        p = pages[i]
        link[p] = links[i]
        bits[p >> 3] = with_scan_bit(bits[p >> 3], p, hashable(state[p], link[p], True))


@njit(cache=True)
def hashable_pages(
    state: NDArray[np.uint8], link: NDArray[np.int32], pages: Index, skip_solo: bool
) -> NDArray[np.bool_]:
    """:func:`hashable` of each of ``pages``."""
    out = np.empty(len(pages), dtype=np.bool_)
    for i in range(len(pages)):
        if i + AHEAD < len(pages):
            prefetch(state, pages[i + AHEAD])
            prefetch(link, pages[i + AHEAD])
        out[i] = hashable(state[pages[i]], link[pages[i]], skip_solo)
    return out


@njit(cache=True)
def scan_candidates(
    vms: Index,
    first: Index,
    count: Index,
    offsets: Index,
    sizes: Index,
    start: Index,
    stride: Index,
    state: NDArray[np.uint8],
    link: NDArray[np.int32],
    bits: NDArray[np.uint8],
    skip_solo: bool,
    large: NDArray[np.bool_],
    region_first: Index,
) -> tuple[Index, Index]:
    """The pages the TPS scanner hashes at scan positions ``[first, first + count)`` of each VM
    in ``vms``: global pages and their VMs, in scan order.

    Position k of VM v is its page ``(start[v] + (k mod size)·stride[v]) mod size``. A visited
    page is hashed when it is :func:`hashable` and not inside a large page (``large`` per
    2 MiB region; ``region_first``: each VM's first region); with ``skip_solo`` the scan bit
    of each page (:func:`with_scan_bit`) says whether it is hashable.
    """
    total = 0
    for j in range(len(vms)):
        total += count[j]
    pages = np.empty(total, dtype=np.int64)
    owner = np.empty(total, dtype=np.int64)
    i = 0
    for j in range(len(vms)):
        v = vms[j]
        size = sizes[v]
        # successive positions are one stride apart: step by addition (a 64-bit division per
        # page cost as much as the page's memory access)
        step = stride[v] % size
        local = (start[v] + (first[j] % size) * stride[v]) % size
        for _ in range(count[j]):
            p = offsets[v] + local
            # the region flags and the bitmap are small (cache-resident): no access to the
            # page's own state and link with exact hashes
            if large[region_first[v] + local // _LARGE]:
                ok = False
            elif skip_solo:
                ok = (bits[p >> 3] >> (p & 7)) & 1 == 1
            else:
                ok = hashable(state[p], link[p], False)
            if ok:
                pages[i] = p
                owner[i] = v
                i += 1
            local += step
            if local >= size:
                local -= size
    return pages[:i], owner[:i]


@njit(cache=True)
def remap_links(
    state: NDArray[np.uint8], link: NDArray[np.int32], mapping: NDArray[np.int32]
) -> None:
    """After a table rebuild, move each shared page's frame and private page's hint to its new
    slot (``mapping[old slot]``), in place: no temporary as large as the page arrays."""
    for p in range(len(link)):
        if link[p] >= 0 and state[p] <= _SHARED:
            link[p] = mapping[link[p]]


@njit(cache=True)
def distinct_draws(total: Index, count: Index, uniform: NDArray[np.float64]) -> Index:
    """For each j, ``count[j]`` distinct integers drawn uniformly from ``[0, total[j])``.

    Floyd's algorithm: one uniform of ``uniform`` (in order) per integer drawn, so the caller's
    generator fixes the result; every subset of that size is equally likely.
    """
    out = np.empty(len(uniform), dtype=np.int64)
    i = 0
    for j in range(len(total)):
        chosen = {np.int64(0)}
        chosen.clear()
        for t in range(total[j] - count[j], total[j]):
            r = np.int64(uniform[i] * (t + 1))
            if r > t or r in chosen:  # r > t only if the uniform rounds up to 1
                r = np.int64(t)
            chosen.add(r)
            out[i] = r
            i += 1
    return out
