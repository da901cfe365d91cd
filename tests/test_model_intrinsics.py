"""Processor intrinsics of the compiled kernels (memsim/model/intrinsics.py): the bit counts
equal Python's, and a loop that prefetches computes what it computes without."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from memsim.model.intrinsics import AHEAD, popcount, prefetch, prefetch_write, trailing_zeros

WORDS = st.integers(min_value=0, max_value=2**64 - 1)


_popcount: Any = njit(lambda word: popcount(word))
_trailing_zeros: Any = njit(lambda word: trailing_zeros(word))


def _visit(values: np.ndarray, index: np.ndarray, ahead: int) -> np.ndarray:
    """Each visited value, incremented on the visit, prefetching ``ahead`` visits on."""
    out = np.empty(len(index), dtype=values.dtype)
    for i in range(len(index)):
        if i + ahead < len(index):
            prefetch(values, index[i + ahead])
            prefetch_write(values, index[i + ahead])
        out[i] = values[index[i]]
        values[index[i]] += 1
    return out


_gather_ahead: Any = njit(_visit)


@settings(deadline=None)
@given(WORDS)
def test_popcount_is_the_number_of_set_bits(word: int) -> None:
    assert _popcount(np.uint64(word)) == word.bit_count()


@settings(deadline=None)
@given(WORDS)
def test_trailing_zeros_are_the_zeros_below_the_lowest_set_bit(word: int) -> None:
    expected = 64 if word == 0 else (word & -word).bit_length() - 1
    assert _trailing_zeros(np.uint64(word)) == expected


@settings(deadline=None)  # the first example compiles
@given(st.integers(0, 2**32 - 1), st.integers(1, 300), st.sampled_from([0, 1, AHEAD, 1000]))
def test_prefetch_changes_no_value(seed: int, n: int, ahead: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 100, n).astype(np.int64)
    index = rng.integers(0, n, 2 * n)
    expected_values = values.copy()
    expected = np.empty(len(index), dtype=np.int64)
    for i, j in enumerate(index):  # repeats see the increments of earlier visits
        expected[i] = expected_values[j]
        expected_values[j] += 1
    assert np.array_equal(_gather_ahead(values, index, ahead), expected)
    assert np.array_equal(values, expected_values)
