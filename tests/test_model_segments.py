"""Segmented-array helpers (memsim/model/segments.py) against the numpy they replaced."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from memsim.model.segments import cumsum_within, distinct, pack, rank_within, unpack


def _rank_within_by_sort(owner: np.ndarray) -> np.ndarray:
    """The numpy rank_within replaced: a stable sort by owner, positions within each run."""
    order = np.argsort(owner, kind="stable")
    sorted_owner = owner[order]
    starts = np.flatnonzero(np.r_[True, sorted_owner[1:] != sorted_owner[:-1]])
    pos = np.arange(len(owner)) - np.repeat(starts, np.diff(np.r_[starts, len(owner)]))
    out = np.empty(len(owner), dtype=np.int64)
    out[order] = pos
    return out


def _cumsum_within_by_sort(owner: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The numpy cumsum_within replaced: one cumulative sum over the owner-sorted values, less
    each run's start."""
    order = np.argsort(owner, kind="stable")
    v = values[order].astype(np.float64)
    total = np.cumsum(v)
    o = owner[order]
    starts = np.flatnonzero(np.r_[True, o[1:] != o[:-1]])
    base = np.repeat(total[starts] - v[starts], np.diff(np.r_[starts, len(o)]))
    out = np.empty(len(owner))
    out[order] = total - base
    return out


owners = st.lists(st.integers(0, 6), min_size=1, max_size=300).map(
    lambda x: np.array(x, dtype=np.int64)
)


@settings(max_examples=60, deadline=None)
@given(owner=owners, seed=st.integers(0, 2**32 - 1))
def test_segment_kernels_match_the_sorts_they_replaced(owner: np.ndarray, seed: int) -> None:
    rng = np.random.default_rng(seed)
    assert np.array_equal(rank_within(owner), _rank_within_by_sort(owner))
    mask = rng.random(len(owner)) < 0.6
    masked = np.full(len(owner), np.iinfo(np.int64).max)
    masked[mask] = _rank_within_by_sort(owner[mask])
    assert np.array_equal(rank_within(owner, mask), masked)
    for values in (rng.integers(0, 3000, len(owner)), rng.random(len(owner)) < 0.5):
        # integer counts (KiB, flags): exact either way, so equal bit for bit
        assert np.array_equal(cumsum_within(owner, values), _cumsum_within_by_sort(owner, values))


def test_segment_helpers_take_empty_arrays() -> None:
    empty = np.zeros(0, dtype=np.int64)
    assert len(rank_within(empty)) == len(cumsum_within(empty, empty)) == len(distinct(empty)) == 0


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.integers(0, 2**31 - 1), max_size=300),
    low=st.lists(st.integers(0, 2**31 - 1), min_size=300, max_size=300),
)
def test_distinct_is_unique_and_pack_keeps_pairs_in_order(
    values: list[int], low: list[int]
) -> None:
    high = np.array(values, dtype=np.int64)
    assert np.array_equal(distinct(high), np.unique(high))
    low_part = np.array(low[: len(high)], dtype=np.int64)
    packed = pack(high, low_part)
    assert np.array_equal(np.argsort(packed, kind="stable"), np.lexsort((low_part, high)))
    back_high, back_low = unpack(packed)
    assert np.array_equal(back_high, high) and np.array_equal(back_low, low_part)
