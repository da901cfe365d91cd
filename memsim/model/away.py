"""Which working-set pages would fault if touched: a per-VM index, kept where it changes.

A touch faults on a working-set page (rank below the VM's working-set threshold ``ws``) that is
not resident (docs/model.md §2–§5). Those pages are of two kinds:

* ranks ``[region, ws)`` when the balloon reaches into the working set: every page the balloon
  holds is ballooned or paged out by the guest, so they are a range and need no index;
* below the balloon's region: pages the host reclaimed (compressed or swapped) and pages the
  guest paged out while they were ballooned, which stay paged out after the balloon deflates
  until they are touched or rewritten. These are the index.

An entry is a key ``offsets[vm] + rank``. Read in key order, a VM's entries are a contiguous
run of the sorted key list, and the guest picks its faults by position in that list
(:meth:`AwayIndex.runs`, :meth:`AwayIndex.select`): the k-th entry of a VM is its k-th
smallest away rank. The list itself is never stored — a copy on every change would cost the
whole index (millions of keys on a large host) for a handful of pages. Instead:

* a bit per key says whether it is in the index: one 64-bit word per block of :data:`BLOCK`
  keys (1/8 byte per guest page);
* a count per VM gives each run's length, and their running sum where each run starts;
* a Fenwick tree (binary indexed tree) counts the entries of every leaf of :data:`LEAF` keys
  (64 words), so the key at a position is found by descending the tree to its leaf (log₂ of
  the number of leaves steps), counting the set bits of the leaf's words in turn, and finding
  the right set bit in the word that holds it. A leaf per 64 words keeps the tree small (a
  terabyte host's fits in the processor's cache: one leaf per 16 MiB of guest memory), and the
  words of a leaf are read in a row: the descent costs cache hits, not misses.

An entry entering or leaving sets its flag and adjusts its VM's count and the tree: the cost
is the pages that change, each a few tree steps. The index changes only where such a page
enters or leaves (the same places that keep :attr:`GuestMemory.exposed
<memsim.model.pages.GuestMemory.exposed>` exact): the guest then draws its faults directly
from it (:meth:`memsim.model.guest.Guests.access`) instead of drawing every touch to find the
few that fault.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from memsim.model.arrays import Index
from memsim.model.intrinsics import AHEAD, popcount, prefetch_write, trailing_zeros

#: keys per word of flags
BLOCK = 64
#: words per leaf of the Fenwick tree, and keys per leaf
WORDS = 64
LEAF = BLOCK * WORDS


class AwayIndex:
    """The non-resident working-set pages below each VM's balloon region, as keys
    ``offsets[vm] + rank`` addressed by their position in key order.

    Args:
        offsets: first global page of each VM, and the total (``GuestMemory.offsets``).
    """

    def __init__(self, offsets: Index) -> None:
        self.offsets = offsets
        total = int(offsets[-1])
        blocks = -(-total // BLOCK)
        #: bit ``key % BLOCK`` of word ``key // BLOCK``: whether ``key`` is in the index
        self.bits = np.zeros(blocks, dtype=np.uint64)
        self.counts = np.zeros(len(offsets) - 1, dtype=np.int64)  #: entries per VM
        #: 1-based Fenwick tree of the entries per leaf
        self.tree = np.zeros(-(-blocks // WORDS) + 1, dtype=np.int64)

    def add(self, owner: Index, rank: Index) -> None:
        """Pages ``(owner, rank)``, not in the index, enter it."""
        if len(owner):
            _move(self.bits, self.counts, self.tree, owner, self.offsets[owner] + rank, True)

    def remove(self, owner: Index, rank: Index) -> None:
        """Pages ``(owner, rank)``, all in the index, leave it."""
        if len(owner):
            _move(self.bits, self.counts, self.tree, owner, self.offsets[owner] + rank, False)

    def move(self, owner: Index, rank: Index, sign: int) -> None:
        """:meth:`add` (``sign`` +1) or :meth:`remove` (−1)."""
        if sign > 0:
            self.add(owner, rank)
        else:
            self.remove(owner, rank)

    def clear(self, vm: int) -> None:
        """Every entry of VM ``vm`` leaves (power-off): found by position, so the cost is the
        VM's entries, not its pages."""
        start, count = self.runs(np.array([vm]))
        keys = self.select(np.arange(start[0], start[0] + count[0]))
        _move(self.bits, self.counts, self.tree, np.full(len(keys), vm), keys, False)

    def runs(self, vms: Index) -> tuple[Index, Index]:
        """Where each VM's entries start in key order, and how many there are."""
        start = np.cumsum(self.counts) - self.counts
        return start[vms], self.counts[vms]

    def select(self, positions: Index) -> Index:
        """The keys at ``positions`` in key order (each below the number of entries)."""
        return _select(self.bits, self.tree, positions)

    def keys(self) -> Index:
        """Every key, in order: a full pass over the bits, for tests only."""
        flags = np.unpackbits(self.bits.view(np.uint8), bitorder="little")
        return np.flatnonzero(flags).astype(np.int64)


@njit(cache=True)
def _move(
    bits: NDArray[np.uint64], counts: Index, tree: Index, owner: Index, keys: Index, enter: bool
) -> None:
    """Set (``enter``) or clear the bits of ``keys`` of VMs ``owner``; update counts and tree."""
    step = 1 if enter else -1
    n = len(tree) - 1
    for i in range(len(keys)):
        if i + AHEAD < len(keys):
            prefetch_write(bits, keys[i + AHEAD] // BLOCK)
        block = keys[i] // BLOCK
        bit = np.uint64(1) << np.uint64(keys[i] % BLOCK)
        bits[block] = (bits[block] | bit) if enter else (bits[block] & ~bit)
        counts[owner[i]] += step
        b = keys[i] // LEAF + 1
        while b <= n:
            tree[b] += step
            b += b & -b


@njit(cache=True)
def _select(bits: NDArray[np.uint64], tree: Index, positions: Index) -> Index:
    """The key with ``positions[i]`` entries before it, for each i: descend the tree to the
    leaf holding it, count the set bits of the leaf's words up to the word holding it, then
    drop that many lowest set bits of the word and take the offset of the lowest one left."""
    n = len(tree) - 1
    top = 1
    while top * 2 <= n:
        top *= 2
    out = np.empty(len(positions), dtype=np.int64)
    for i in range(len(positions)):
        left, leaf, step = positions[i], 0, top
        while step:
            if leaf + step <= n and tree[leaf + step] <= left:
                leaf += step
                left -= tree[leaf]
            step //= 2
        block = leaf * WORDS
        while True:
            count = popcount(bits[block])
            if left < count:
                break
            left -= count
            block += 1
        word = bits[block]
        for _ in range(left):
            word &= word - np.uint64(1)
        out[i] = block * BLOCK + trailing_zeros(word)
    return out
