"""The host-wide page-sharing table, vectorised open addressing over numpy arrays.

ESX keeps one global hash table for transparent page sharing (docs/model.md §2, [OSDI02] §4): an
entry is either a *shared frame* (a machine page mapped copy-on-write by ``refs`` guest pages) or
a *hint* (a scanned page with no match yet, not copy-on-write). Entries are keyed by the page
salt and the page hash; the hash is recomputed from the stored contents, so an entry costs 21
bytes: status, salt domain, contents, reference count and hint page.

Look-ups and inserts take whole batches at a load factor kept below 0.7, so a batch of n keys
costs O(n): both are compiled, a look-up one probing pass per key (:func:`_find`), an insert
in probe rounds (:func:`_insert`).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from memsim.model.arrays import Index
from memsim.model.hashing import hash_mask, mix64, page_hash, page_hash_scalar

EMPTY, LIVE, DEAD = 0, 1, 2
_MAX_LOAD = 0.7
_GROW_LOAD = 0.45


class ShareTable:
    """Open-addressing table of shared frames and hints keyed by (salt domain, page hash).

    Args:
        hash_bits: width of the page hash (``Memsim.HashBits``); short hashes collide.
        capacity: initial number of slots (a power of two).
    """

    def __init__(self, hash_bits: int = 64, capacity: int = 1 << 14) -> None:
        self.hash_bits = hash_bits
        self._allocate(capacity)
        self.frames = 0  #: entries with refs > 0: machine pages backing shared contents

    def _allocate(self, capacity: int) -> None:
        self.status = np.zeros(capacity, dtype=np.int8)
        self.salt = np.zeros(capacity, dtype=np.uint32)
        self.content = np.zeros(capacity, dtype=np.uint64)
        self.refs = np.zeros(capacity, dtype=np.int32)
        self.hint = np.full(capacity, -1, dtype=np.int32)
        self.live = 0
        self.dead = 0

    @property
    def capacity(self) -> int:
        """Number of slots."""
        return len(self.status)

    def _start(self, salt: NDArray[np.uint32], h: NDArray[np.uint64]) -> Index:
        mixed = mix64(h ^ (salt.astype(np.uint64) << np.uint64(40)))
        return (mixed & np.uint64(self.capacity - 1)).astype(np.int64)

    def key_hash(self, content: NDArray[np.uint64]) -> NDArray[np.uint64]:
        """Page hash of ``content`` at this table's width."""
        return page_hash(content, self.hash_bits)

    def find(self, salt: NDArray[np.uint32], h: NDArray[np.uint64]) -> Index:
        """Slot of each (salt, hash) key, or -1 where absent (:func:`_find`)."""
        return _find(
            self.status,
            self.salt,
            self.content,
            self._start(salt, h),
            salt,
            h,
            hash_mask(self.hash_bits),
        )

    def insert(self, salt: NDArray[np.uint32], content: NDArray[np.uint64]) -> Index:
        """Insert entries for keys known to be absent and distinct; returns their slots
        (:func:`_insert`).

        The caller must call :meth:`reserve` first and, if it returns a slot mapping, remap
        the slots it holds.
        """
        n = len(content)
        result = _insert(
            self.status,
            self.salt,
            self.content,
            self.refs,
            self.hint,
            self._start(salt, self.key_hash(content)),
            salt,
            content,
        )
        self.live += n
        return result

    def full(self, extra: int) -> bool:
        """Whether ``extra`` more entries need a rebuild first (see :meth:`reserve`)."""
        return self.live + self.dead + extra > _MAX_LOAD * self.capacity

    def drop(self, slots: Index) -> None:
        """Remove hint entries (refs 0) at ``slots``."""
        slots = slots[(self.status[slots] == LIVE) & (self.refs[slots] == 0)]
        self.status[slots] = DEAD
        self.hint[slots] = -1
        self.live -= len(slots)
        self.dead += len(slots)

    def reserve(self, extra: int) -> Index | None:
        """Make room for ``extra`` more entries, rebuilding the table if needed.

        A rebuild drops dead entries and doubles the capacity while the live entries would
        fill more than 45 % of it.

        Returns:
            ``None`` when nothing moved, else an array mapping each old slot to its new slot
            (-1 for slots that held no live entry).
        """
        if not self.full(extra):
            return None
        capacity = self.capacity
        while self.live + extra > _GROW_LOAD * capacity:
            capacity *= 2
        old = np.flatnonzero(self.status == LIVE)
        salt, content = self.salt[old], self.content[old]
        refs, hint = self.refs[old], self.hint[old]
        mapping = np.full(self.capacity, -1, dtype=np.int64)
        self._allocate(capacity)
        new = self.insert(salt, content)
        self.refs[new] = refs
        self.hint[new] = hint
        mapping[old] = new
        return mapping

    def release(self, slots: Index) -> NDArray[np.int64]:
        """Drop one reference per entry of ``slots`` (slots may repeat).

        Returns:
            The slots whose frame lost its last reference (now freed).
        """
        if len(slots) == 0:
            return np.empty(0, dtype=np.int64)
        uniq, counts = np.unique(slots, return_counts=True)
        self.refs[uniq] -= counts.astype(np.int32)
        emptied = uniq[self.refs[uniq] <= 0]
        self.status[emptied] = DEAD
        self.refs[emptied] = 0
        self.live -= len(emptied)
        self.dead += len(emptied)
        self.frames -= len(emptied)
        return emptied


@njit(cache=True)
def _find(
    status: NDArray[np.int8],
    salts: NDArray[np.uint32],
    contents: NDArray[np.uint64],
    start: Index,
    salt: NDArray[np.uint32],
    h: NDArray[np.uint64],
    mask: np.uint64,
) -> Index:
    """Linear probing from ``start`` for each key: the first live slot with the key's salt
    whose stored contents hash (within ``mask``) to the key's hash, or -1 at the first empty
    slot. Dead slots are probed past. One pass per key, compiled: the same slots as a probe
    round per numpy operation over the keys still pending."""
    last = len(status) - 1
    out = np.empty(len(h), dtype=np.int64)
    for i in range(len(h)):
        p = start[i]
        while True:
            st = status[p]
            if st == EMPTY:
                out[i] = -1
                break
            if st == LIVE and salts[p] == salt[i] and page_hash_scalar(contents[p], mask) == h[i]:
                out[i] = p
                break
            p = (p + 1) & last
    return out


@njit(cache=True)
def _insert(
    status: NDArray[np.int8],
    salts: NDArray[np.uint32],
    contents: NDArray[np.uint64],
    refs: NDArray[np.int32],
    hints: NDArray[np.int32],
    start: Index,
    salt: NDArray[np.uint32],
    content: NDArray[np.uint64],
) -> Index:
    """Place new keys by linear probing, in rounds: in each round every key still pending
    tries its current slot in key order; the first to find an empty slot takes it, and the
    others move one slot on. (A round decides which key takes a contested slot, so the
    layout does not depend on how the rounds are computed.) Returns each key's slot."""
    last = len(status) - 1
    result = np.empty(len(content), dtype=np.int64)
    pos = start.copy()
    pending = np.arange(len(content))
    count = len(content)
    while count:
        kept = 0
        for j in range(count):
            i = pending[j]
            p = pos[i]
            if status[p] == EMPTY:
                status[p] = LIVE
                salts[p] = salt[i]
                contents[p] = content[i]
                refs[p] = 0
                hints[p] = -1
                result[i] = p
            else:
                pos[i] = (p + 1) & last
                pending[kept] = i
                kept += 1
        count = kept
    return result
