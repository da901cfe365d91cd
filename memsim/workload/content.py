"""Deterministic page contents: zero pages, the guest family's OS image, duplicates, unique.

Contents are uint64 ids (DESIGN.md §3), a pure function of the run's seed, the VM and the page's
hotness rank, so the same seed always gives the same pages. The share of each kind follows the
VM's ``content`` mix (of its footprint):

* ``shared``: the guest family's common pages (OS, libraries). Whether rank r holds one, and
  which, depends only on the family and r, so VMs of one ``guest`` family running the same
  workload hold the same OS pages and TPS finds what a real host would (docs/model.md §2).
* ``zero``: zero-filled pages (content id 0).
* ``duplicate``: drawn from a small per-VM pool, so each appears about twice in the VM.
* the rest: unique to the VM.

A write gives a page fresh contents from a per-run counter (never equal to anything else).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from memsim.model.arrays import U64, Index
from memsim.model.hashing import combine, combine_scalar, mix64_scalar, unit_interval_scalar

_FAMILY, _VM, _DUP, _UNIQUE, _WRITE = (np.uint64(k) for k in (11, 13, 17, 19, 23))


def family_key(name: str) -> int:
    """A stable 64-bit key for a guest family name (not Python's salted ``hash``)."""
    data = np.frombuffer(name.encode(), dtype=np.uint8).astype(np.uint64)
    keys = combine(np.full(len(data), 1469598103934665603, dtype=np.uint64), data)
    return int(np.bitwise_xor.reduce(keys * (np.arange(len(data), dtype=np.uint64) + 1)))


class ContentModel:
    """Content ids of every VM's pages.

    Args:
        seed: the run's seed.
        families: guest family name per VM.
    """

    def __init__(self, seed: int, families: list[str]) -> None:
        n = len(families)
        self.seed = np.uint64(seed)
        self.family = np.array([family_key(f) for f in families], dtype=np.uint64)
        self.vm_key = combine(
            np.full(n, self.seed, dtype=np.uint64), np.arange(n, dtype=np.uint64) + _VM
        )
        self.zero = np.zeros(n)
        self.shared = np.zeros(n)
        self.duplicate = np.zeros(n)
        self.dup_pool = np.ones(n, dtype=np.int64)
        self._writes = 0

    def set_mix(
        self, vm: int, zero: float, shared: float, duplicate: float, footprint: int
    ) -> None:
        """Set VM ``vm``'s content mix; the duplicate pool holds about two copies per id."""
        self.zero[vm], self.shared[vm], self.duplicate[vm] = zero, shared, duplicate
        self.dup_pool[vm] = max(1, int(duplicate * footprint / 2))

    def contents(
        self, owner: Index, rank: Index
    ) -> tuple[U64, NDArray[np.bool_], NDArray[np.bool_]]:
        """Contents the guest writes at hotness rank ``rank`` of VM ``owner``, and which of them
        are family pages and which are unique to the VM.

        A unique page's id is held by that (VM, rank) only; a family page's by the same rank of
        VMs of the same family; zero and duplicate pages repeat within the VM.
        """
        return _contents(
            owner,
            rank,
            self.family,
            self.vm_key,
            self.shared,
            self.zero,
            self.duplicate,
            self.dup_pool.astype(np.uint64),
        )

    def fresh(self, n: int) -> U64:
        """``n`` new contents for pages the guest rewrites."""
        first = self._writes
        self._writes += n
        return _fresh(np.uint64(self.seed ^ _WRITE), np.uint64(first), n)


@njit(cache=True)
def _fresh(key: np.uint64, first: np.uint64, n: int) -> U64:
    """Write ids ``first … first + n − 1`` mixed with ``key``, never 0 (the zero page)."""
    out = np.empty(n, dtype=np.uint64)
    for i in range(n):
        out[i] = combine_scalar(key, first + np.uint64(i)) | np.uint64(1)
    return out


@njit(cache=True)
def _contents(
    owner: Index,
    rank: Index,
    family: U64,
    vm_key: U64,
    shared: NDArray[np.float64],
    zero: NDArray[np.float64],
    duplicate: NDArray[np.float64],
    dup_pool: U64,
) -> tuple[U64, NDArray[np.bool_], NDArray[np.bool_]]:
    """:meth:`ContentModel.contents`, one pass per page (compiled; the same mixes, in the same
    order, as the vectorised formulation in tests/test_content_model.py).

    Rank r of VM v is a family page when the family's mix of r falls below ``shared[v]``; else
    the VM's own mix u of r picks zero (u < zero / rest), duplicate (below (zero + duplicate) /
    rest, rest being 1 − shared) or unique.
    """
    n = len(owner)
    out = np.empty(n, dtype=np.uint64)
    is_family = np.empty(n, dtype=np.bool_)
    is_unique = np.empty(n, dtype=np.bool_)
    for i in range(n):
        v = owner[i]
        r = np.uint64(rank[i])
        fam = combine_scalar(family[v] ^ _FAMILY, r)
        own = combine_scalar(vm_key[v], r)
        fam_page = unit_interval_scalar(fam) < shared[v]
        u = unit_interval_scalar(own)
        rest = max(1.0 - shared[v], 1e-12)
        zero_page = not fam_page and u < zero[v] / rest
        dup_page = not fam_page and not zero_page and u < (zero[v] + duplicate[v]) / rest
        if fam_page:
            c = mix64_scalar(fam)
        elif dup_page:
            c = combine_scalar(vm_key[v] ^ _DUP, mix64_scalar(own) % dup_pool[v])
        else:
            c = combine_scalar(vm_key[v] ^ _UNIQUE, r)
        if zero_page:
            c = np.uint64(0)
        elif c == 0:
            c = np.uint64(1)
        out[i] = c
        is_family[i] = fam_page
        is_unique[i] = not fam_page and not zero_page and not dup_page
    return out, is_family, is_unique
