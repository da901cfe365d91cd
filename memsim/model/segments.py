"""Segmented arrays: items grouped by owner (VM), with per-owner ranks, quotas and sums."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from memsim.model import backing_kernels
from memsim.model.arrays import Index


def rank_within(owner: Index) -> Index:
    """Position of each item among the items of the same owner, in array order."""
    if len(owner) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(owner, kind="stable")
    sorted_owner = owner[order]
    starts = np.flatnonzero(np.r_[True, sorted_owner[1:] != sorted_owner[:-1]])
    run = np.diff(np.r_[starts, len(owner)])
    pos = np.arange(len(owner)) - np.repeat(starts, run)
    out = np.empty(len(owner), dtype=np.int64)
    out[order] = pos
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
    """Running sum of ``values`` within each owner, in array order (inclusive)."""
    if len(owner) == 0:
        return np.zeros(0)
    order = np.argsort(owner, kind="stable")
    v = values[order].astype(np.float64)
    total = np.cumsum(v)
    o = owner[order]
    starts = np.flatnonzero(np.r_[True, o[1:] != o[:-1]])
    base = np.repeat(total[starts] - v[starts], np.diff(np.r_[starts, len(o)]))
    out = np.empty(len(owner))
    out[order] = total - base
    return out
