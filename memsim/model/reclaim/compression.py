"""Memory compression (ESX 4.1+, docs/model.md §4).

Only pages already chosen for swap-out are compressed. A page that compresses to at most 2 KiB
is kept in its VM's compression cache, in a 1 KiB slot when it shrinks by more than 75 %, else a
2 KiB slot; other pages are swapped. The cache belongs to the VM, lives in host memory (whole
pages, charged to the VM) and grows from zero up to ``Mem.MemZipMaxPct`` of the VM's configured
memory. When it is full, the compressed page unused longest is decompressed and swapped out.
Since any access decompresses a page and takes it out of the cache, "unused longest" is "oldest
in the cache": a FIFO of (page, tag) records it, and a page's ``link`` holds its tag so stale
records are recognised. The tag is the page's sequence number and, in its low bit, whether the
page was marked ``SOLO`` (no other page can hold its contents, docs/model.md §2): the mark comes
back with the data, decompressed or evicted to swap. Decompression costs ≈ 20 µs.

Compressing costs CPU: the host compresses at most ``Memsim.CompressRate`` MiB/s (model choice:
ESXi's rate is not published; compressing a page is taken as about twice the ≈ 20 µs of
decompressing it, one core, ≈ 100 MiB/s). A victim beyond the step's rate is not compressed: it
goes to the swap device if the device has bandwidth left, or stays for the next step.

Whether a page compresses, and how well, is a deterministic function of its contents and the
VM's ``compressible`` fraction; the zero page always fits a 1 KiB slot.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from memsim.model.arrays import Index
from memsim.model.hashing import mix64_scalar, unit_interval_scalar
from memsim.model.intrinsics import AHEAD, prefetch
from memsim.model.pages import SOLO, GuestMemory, PageState
from memsim.model.segments import cumsum_within

_SEQ_MASK = (1 << 30) - 1


_SLOT_KEY = np.uint64(0xC0FFEE)


@njit(cache=True)
def slot_kib_scalar(content: np.uint64, compressible: float) -> np.int64:
    """Cache slot size in KiB of one page: 1, 2, or 0 (does not compress to ≤ 2 KiB).

    Half of the compressible pages shrink by more than 75 % (model choice); the zero page
    always fits a 1 KiB slot.
    """
    if content == 0:
        return np.int64(1)
    u = unit_interval_scalar(mix64_scalar(content ^ _SLOT_KEY))
    if u < compressible / 2:
        return np.int64(1)
    return np.int64(2) if u < compressible else np.int64(0)


@njit(cache=True)
def _slot_kib(content: NDArray[np.uint64], compressible: NDArray[np.float64]) -> Index:
    out = np.empty(len(content), dtype=np.int64)
    for i in range(len(content)):
        out[i] = slot_kib_scalar(content[i], compressible[i])
    return out


def slot_kib(content: NDArray[np.uint64], compressible: NDArray[np.float64]) -> Index:
    """:func:`slot_kib_scalar` of each page (compiled: one pass)."""
    return _slot_kib(np.asarray(content, dtype=np.uint64), np.asarray(compressible, np.float64))


@njit(cache=True)
def _fits(
    pages: Index,
    content: NDArray[np.uint64],
    owner: Index,
    compressible: NDArray[np.float64],
    cap: Index,
    free: Index,
    budget: int,
    max_evict: int,
) -> tuple[NDArray[np.bool_], Index]:
    """Which victims, in order, are compressed, and their slot sizes (0 for the others).

    A victim is compressed if its page compresses to a slot its VM's cache ``cap`` (KiB) can
    hold, while fewer than ``budget`` such victims came before it, and while the pages the
    caches may have to evict for it and the victims before it fit ``max_evict``: each KiB a
    victim takes beyond its VM's ``free`` KiB can evict at most one cached page (every cached
    page frees at least 1 KiB). Both counts only grow, so the walk stops at the first victim
    past either bound.
    """
    fits = np.zeros(len(pages), dtype=np.bool_)
    kib = np.zeros(len(pages), dtype=np.int64)
    used = np.zeros(len(cap), dtype=np.int64)
    spent = 0
    evict = 0
    for i in range(len(pages)):
        if i + AHEAD < len(pages):
            prefetch(content, pages[i + AHEAD])
        v = owner[i]
        k = slot_kib_scalar(content[pages[i]], compressible[v])
        if k == 0 or k > cap[v]:
            continue
        spent += 1
        used[v] += k
        evict += min(k, max(used[v] - free[v], 0))
        if spent > budget or evict > max_evict:
            break
        fits[i] = True
        kib[i] = k
    return fits, kib


class Compressor:
    """Per-VM compression caches with FIFO eviction.

    Args:
        gm: guest pages.
        compressible: per-VM share of pages that compress to ≤ 2 KiB.
        enabled: ``Mem.MemZipEnable``.
        max_pct: ``Mem.MemZipMaxPct``.
    """

    def __init__(
        self, gm: GuestMemory, compressible: NDArray[np.float64], enabled: bool, max_pct: float
    ) -> None:
        self.gm = gm
        self.compressible = compressible
        self.enabled = enabled
        self.max_pct = max_pct
        self.rate = float("inf")  #: pages per second the host can compress (CPU)
        self.budget = 0  #: pages it can still compress in this step
        self.cache_kib = np.zeros(gm.n_vms, dtype=np.int64)
        self.cache_pages_total = 0  #: machine pages of all caches (:meth:`_charge` keeps it)
        self.compressed_total = np.zeros(gm.n_vms, dtype=np.int64)  #: cumulative compressions
        self.decompressed_total = np.zeros(gm.n_vms, dtype=np.int64)
        self._fifo_pages = np.zeros(1024, dtype=np.int64)
        self._fifo_tag = np.zeros(1024, dtype=np.int64)
        self._fifo_len = 0
        self._seq = 0

    def capacity_kib(self) -> Index:
        """Cache cap per VM, KiB."""
        return (self.gm.sizes * 4 * self.max_pct / 100.0).astype(np.int64)

    def refill(self, dt: float) -> None:
        """Start a step: the CPU can compress ``rate × dt`` pages in it."""
        self.budget = int(min(self.rate * dt, 2**62)) if self.enabled else 0

    def compress(
        self, pages: Index, owner: Index, max_evict: int | None = None
    ) -> tuple[NDArray[np.bool_], Index, Index]:
        """Compress what fits of the swap victims ``pages``.

        Args:
            pages: the victims, in the order they are taken.
            owner: their VMs.
            max_evict: pages the swap device can still take for evictions in this step, or
                None for an accounting correction (no CPU budget, no bandwidth). With it,
                victims are compressed only within the step's CPU budget and only as long as
                the evictions they could cause fit.

        Returns:
            Which victims were compressed, and the older cached pages evicted (decompressed)
            to make room: those must be swapped out.
        """
        if not self.enabled or len(pages) == 0:
            empty = np.zeros(0, dtype=np.int64)
            return np.zeros(len(pages), dtype=bool), empty, empty
        gm = self.gm
        cap = self.capacity_kib()
        free = np.maximum(cap - self.cache_kib, 0)
        limit = 2**62  # an accounting correction: no CPU budget and no bandwidth
        budget, evictable = (self.budget, max_evict) if max_evict is not None else (limit, limit)
        fits, kib = _fits(pages, gm.content, owner, self.compressible, cap, free, budget, evictable)
        if max_evict is not None:
            self.budget -= int(fits.sum())
        # cache space still needed beyond what is free → evict the oldest entries
        need = np.bincount(owner[fits], weights=kib[fits], minlength=gm.n_vms)
        over = np.maximum(self.cache_kib + need - cap, 0).astype(np.int64)
        ev_pages, ev_owner = self._evict(over)
        c_pages, c_owner, c_kib = pages[fits], owner[fits], kib[fits]
        seq = self._seq + np.arange(len(c_pages))
        self._seq += len(c_pages)
        # 30 bits of sequence and the solo bit: a non-negative int32, never a link's -1 or SOLO
        tag = ((seq & _SEQ_MASK) << 1) | (gm.link[c_pages] == SOLO)
        gm.set_state(c_pages, PageState.COMPRESSED, c_owner)
        gm.relink(c_pages, tag)
        self._append(c_pages, tag)
        self._charge(c_owner, c_kib, 1)
        self.compressed_total += np.bincount(c_owner, minlength=gm.n_vms)
        return fits, ev_pages, ev_owner

    def _charge(self, owner: Index, kib: Index, sign: int) -> None:
        """Add (+1) or take (−1) ``kib`` of slots to or from the caches of VMs ``owner``; a
        cache occupies whole 4 KiB machine pages."""
        n = self.gm.n_vms
        self.cache_kib += sign * np.bincount(owner, weights=kib, minlength=n).astype(np.int64)
        self.cache_pages_total = int(self.cache_pages().sum())

    def cache_pages(self) -> Index:
        """Machine pages of each VM's cache (whole pages of 1 or 2 KiB slots)."""
        return -(-self.cache_kib // 4)

    def _append(self, pages: Index, tag: Index) -> None:
        """Add records at the FIFO's tail. When the buffers are full, the stale records (of
        pages decompressed or dropped since) are dropped first; the buffers double only if the
        live records still fill half of them, so they stay within twice the cached pages."""
        end = self._fifo_len + len(pages)
        if end > len(self._fifo_pages):
            self._compact()
            end = self._fifo_len + len(pages)
            if 2 * end > len(self._fifo_pages):
                size = max(2 * len(self._fifo_pages), end)
                self._fifo_pages = np.resize(self._fifo_pages, size)
                self._fifo_tag = np.resize(self._fifo_tag, size)
        self._fifo_pages[self._fifo_len : end] = pages
        self._fifo_tag[self._fifo_len : end] = tag
        self._fifo_len = end

    def _live(self) -> NDArray[np.bool_]:
        pages = self._fifo_pages[: self._fifo_len]
        return (self.gm.state[pages] == PageState.COMPRESSED) & (
            self.gm.link[pages] == self._fifo_tag[: self._fifo_len].astype(np.int32)
        )

    def _compact(self) -> None:
        """Drop the FIFO's stale records, keeping the live ones in order."""
        live = np.flatnonzero(self._live())
        n = len(live)
        self._fifo_pages[:n] = self._fifo_pages[live]
        self._fifo_tag[:n] = self._fifo_tag[live]
        self._fifo_len = n

    def _evict(self, kib_needed: Index) -> tuple[Index, Index]:
        """Decompress the oldest cached pages of each VM until ``kib_needed[v]`` KiB are free."""
        if not kib_needed.any():
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        self._compact()
        pages = self._fifo_pages[: self._fifo_len]
        owner = self.gm.vm_of(pages)
        kib = slot_kib(self.gm.content[pages], self.compressible[owner])
        # per VM, the oldest entries until the freed slots cover the need
        before = cumsum_within(owner, kib) - kib
        take = before < kib_needed[owner]
        pages, owner, kib = pages[take], owner[take], kib[take]
        self._release(pages, owner, kib)
        return pages, owner

    def _release(self, pages: Index, owner: Index, kib: Index) -> None:
        if len(pages) == 0:
            return
        self._charge(owner, kib, -1)
        self.gm.relink(pages, np.where(self.gm.link[pages] & 1, SOLO, -1))  # the tag's solo mark

    def decompress(self, pages: Index, owner: Index) -> None:
        """Accessed compressed pages come back private; their slots are freed."""
        if len(pages) == 0:
            return
        kib = slot_kib(self.gm.content[pages], self.compressible[owner])
        self._release(pages, owner, kib)
        self.gm.set_state(pages, PageState.PRIVATE, owner)
        self.decompressed_total += np.bincount(owner, minlength=self.gm.n_vms)

    def drop(self, pages: Index, owner: Index) -> None:
        """Compressed pages discarded without access (ballooned or powered off)."""
        if len(pages) == 0:
            return
        kib = slot_kib(self.gm.content[pages], self.compressible[owner])
        self._release(pages, owner, kib)
