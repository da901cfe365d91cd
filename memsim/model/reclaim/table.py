"""The host-wide page-sharing table, vectorised open addressing over numpy arrays.

ESX keeps one global hash table for transparent page sharing (docs/model.md §2, [OSDI02] §4): an
entry is either a *shared frame* (a machine page mapped copy-on-write by ``refs`` guest pages) or
a *hint* (a scanned page with no match yet, not copy-on-write). Entries are keyed by the page
salt and the page hash; the hash is recomputed from the stored contents, so an entry costs 21
bytes: status, salt domain, contents, reference count and hint page.

Look-ups and inserts take whole batches at a load factor kept below 0.7, so a batch of n keys
costs O(n): both are compiled, a look-up one probing pass per key (:func:`_find`), an insert
in probe rounds (:func:`_place`). The table is rebuilt to twice its size when it fills and to
a fraction of it when most entries have died (a wave of hints under pressure), so it follows
what it holds; a rebuild moves one field at a time, so the old and the new table never exist
whole side by side.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from memsim.model.arrays import Index
from memsim.model.hashing import hash_mask, mix64, page_hash, page_hash_scalar
from memsim.model.intrinsics import AHEAD, prefetch

EMPTY, LIVE, DEAD = 0, 1, 2
_MAX_LOAD = 0.7  #: live and dead entries beyond this share of the slots: rebuild
_GROW_LOAD = 0.45  #: a rebuild doubles the slots while the live entries fill more than this
_SHRINK_LOAD = 0.0625  #: live entries below this share: rebuild smaller...
_SHRUNK_LOAD = 0.225  #: ...to the fewest slots (not below the initial) they fill this much of


class ShareTable:
    """Open-addressing table of shared frames and hints keyed by (salt domain, page hash).

    Args:
        hash_bits: width of the page hash (``Memsim.HashBits``); short hashes collide.
        capacity: initial number of slots (a power of two).
    """

    def __init__(self, hash_bits: int = 64, capacity: int = 1 << 14) -> None:
        self.hash_bits = hash_bits
        self.minimum = capacity  #: the table never shrinks below its initial slots
        self.status = np.zeros(capacity, dtype=np.int8)
        self.salt = np.zeros(capacity, dtype=np.uint32)
        self.content = np.zeros(capacity, dtype=np.uint64)
        self.refs = np.zeros(capacity, dtype=np.int32)
        self.hint = np.full(capacity, -1, dtype=np.int32)
        self.live = 0
        self.dead = 0
        self.frames = 0  #: entries with refs > 0: machine pages backing shared contents

    @property
    def capacity(self) -> int:
        """Number of slots."""
        return len(self.status)

    def _start(
        self, salt: NDArray[np.uint32], h: NDArray[np.uint64], capacity: int | None = None
    ) -> Index:
        """Home slot of each key in a table of ``capacity`` slots (default: this one's)."""
        mixed = mix64(h ^ (salt.astype(np.uint64) << np.uint64(40)))
        return (mixed & np.uint64((capacity or self.capacity) - 1)).astype(np.int64)

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
        (:func:`_place`).

        The caller must call :meth:`reserve` first and, if it returns a slot mapping, remap
        the slots it holds.
        """
        slots = _place(self.status, self._start(salt, self.key_hash(content)))
        self.salt[slots] = salt
        self.content[slots] = content
        self.refs[slots] = 0
        self.hint[slots] = -1
        self.live += len(slots)
        return slots

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

    def reserve(self, extra: int) -> NDArray[np.int32] | None:
        """Make room for ``extra`` more entries, rebuilding the table if it would be too full
        or is nearly empty.

        A rebuild drops dead entries. A full table (live and dead entries above 70 % of the
        slots) doubles while the live entries would fill more than 45 % of it; a table whose
        live entries fill less than 1/16 of it shrinks to the fewest slots (not below its
        initial size) of which they fill at most 22.5 %.

        Returns:
            ``None`` when nothing moved, else an array mapping each old slot to its new slot
            (-1 for slots that held no live entry).
        """
        need = self.live + extra
        if self.full(extra):
            capacity = self.capacity
            while need > _GROW_LOAD * capacity:
                capacity *= 2
        elif need < _SHRINK_LOAD * self.capacity and self.capacity > self.minimum:
            capacity = self.minimum
            while need > _SHRUNK_LOAD * capacity:
                capacity *= 2
        else:
            return None
        return self._rebuild(capacity)

    def _rebuild(self, capacity: int) -> NDArray[np.int32]:
        """Move the live entries into ``capacity`` slots; returns the slot mapping.

        The new slots are placed first, from the keys alone (:func:`_place`); then each field
        is moved on its own and its old array freed, so the memory a rebuild adds is one field
        of the new size, not a whole second table.
        """
        old = np.flatnonzero(self.status == LIVE)
        start = self._start(self.salt[old], self.key_hash(self.content[old]), capacity)
        self.status = np.zeros(capacity, dtype=np.int8)
        new = _place(self.status, start)
        del start
        mapping = np.full(len(self.salt), -1, dtype=np.int32)
        mapping[old] = new
        for name, fill in (("content", 0), ("salt", 0), ("refs", 0), ("hint", -1)):
            field = getattr(self, name)
            moved = np.full(capacity, fill, dtype=field.dtype)
            moved[new] = field[old]
            setattr(self, name, moved)
            del field, moved  # the old field is freed here
        self.live, self.dead = len(old), 0
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
        if i + AHEAD < len(h):
            ahead = start[i + AHEAD]
            prefetch(status, ahead)
            prefetch(salts, ahead)
            prefetch(contents, ahead)
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
def _place(status: NDArray[np.int8], start: Index) -> Index:
    """Place new keys by linear probing from their home slots ``start``, in rounds: in each
    round every key still pending tries its current slot in key order; the first to find an
    empty slot takes it (marked live), and the others move one slot on. (A round decides
    which key takes a contested slot, so the layout does not depend on how the rounds are
    computed.) Returns each key's slot."""
    last = len(status) - 1
    result = np.empty(len(start), dtype=np.int64)
    pos = start.copy()
    pending = np.arange(len(start))
    count = len(start)
    while count:
        kept = 0
        for j in range(count):
            i = pending[j]
            p = pos[i]
            if status[p] == EMPTY:
                status[p] = LIVE
                result[i] = p
            else:
                pos[i] = (p + 1) & last
                pending[kept] = i
                kept += 1
        count = kept
    return result
