"""Segmented arrays: items grouped by owner (VM), with per-owner ranks, quotas and sums."""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from memsim.model import backing_kernels
from memsim.model.arrays import Index


def distinct(values: Index) -> Index:
    """The distinct ``values`` in ascending order: ``np.unique(values)`` from one sort.

    numpy's own ``unique`` keeps an index (a stable argsort) when asked for first occurrences
    and hashes when not; both are several times slower than a plain sort for page numbers.
    A caller that needs each page's owner or rank takes it from the page (a page has one owner
    and one rank), or sorts page and rank packed into one integer (:func:`pack`).
    """
    ordered = np.sort(values)
    keep = np.ones(len(ordered), dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


_LOW = np.int64(32)


def pack(high: Index, low: Index) -> Index:
    """One int64 per pair, ordered by ``high`` then ``low`` (both below 2³¹)."""
    return (high << _LOW) | low


def unpack(packed: Index) -> tuple[Index, Index]:
    """The pairs :func:`pack` made."""
    return packed >> _LOW, packed & np.int64(0xFFFFFFFF)


_UNMASKED = np.iinfo(np.int64).max


def rank_within(owner: Index, mask: NDArray[np.bool_] | None = None) -> Index:
    """Position of each item among the items of the same owner, in array order (compiled:
    one pass with a counter per owner). With ``mask``, among the owner's masked items only;
    unmasked items get the largest int64."""
    if len(owner) == 0:
        return np.zeros(0, dtype=np.int64)
    if mask is None:
        mask = np.ones(len(owner), dtype=np.bool_)
    return _rank_within(owner, mask, int(owner.max()) + 1)


@njit(cache=True)
def _rank_within(owner: Index, mask: NDArray[np.bool_], n_owners: int) -> Index:
    seen = np.zeros(n_owners, dtype=np.int64)
    out = np.full(len(owner), _UNMASKED)
    for i in range(len(owner)):
        if mask[i]:
            out[i] = seen[owner[i]]
            seen[owner[i]] += 1
    return out


def repeat_ranges(vms: Index, lo: Index, hi: Index) -> tuple[Index, Index]:
    """For each VM, every integer in [lo, hi): returns (owner, value) arrays (compiled: one
    pass, no temporaries)."""
    as64 = (np.asarray(a, dtype=np.int64) for a in (vms, lo, hi))
    return backing_kernels.repeat_ranges(*as64)


def random_ranks(
    vms: Index, count: Index, upper: Index, rng: np.random.Generator
) -> tuple[Index, Index]:
    """``count[i]`` uniform random integers in [0, upper[i]) for each VM ``vms[i]``."""
    owner = np.repeat(vms, count)
    ub = np.repeat(upper, count)
    return owner, np.floor(rng.random(len(owner)) * ub).astype(np.int64)


def cumsum_within(owner: Index, values: NDArray[np.number]) -> NDArray[np.float64]:
    """Running sum of ``values`` within each owner, in array order (inclusive; compiled: one
    pass with a sum per owner, exact for the integer counts it is used for)."""
    if len(owner) == 0:
        return np.zeros(0)
    return _cumsum_within(owner, values.astype(np.float64), int(owner.max()) + 1)


@njit(cache=True)
def _cumsum_within(owner: Index, values: NDArray[np.float64], n_owners: int) -> NDArray[np.float64]:
    total = np.zeros(n_owners)
    out = np.empty(len(owner))
    for i in range(len(owner)):
        total[owner[i]] += values[i]
        out[i] = total[owner[i]]
    return out
