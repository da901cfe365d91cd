"""The index of pages a touch can fault on (memsim/model/away.py) against a sorted key array.

The sorted array of keys ``offsets[vm] + rank`` is what the index stood for before it was
kept as flags, per-VM counts and a Fenwick tree over leaves of 64 words: every add, remove and
clear must leave the same keys, the same runs and the same key at every position.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memsim.model.away import BLOCK, LEAF, AwayIndex


def _check(index: AwayIndex, reference: np.ndarray, offsets: np.ndarray) -> None:
    """The index holds exactly ``reference`` (sorted keys), by runs and by position."""
    assert np.array_equal(index.keys(), reference)
    vms = np.arange(len(offsets) - 1)
    start, count = index.runs(vms)
    assert np.array_equal(start, np.searchsorted(reference, offsets[:-1]))
    assert np.array_equal(count, np.searchsorted(reference, offsets[1:]) - start)
    assert np.array_equal(index.select(np.arange(len(reference))), reference)
    positions = np.arange(len(reference))[::-1]  # any order: each position on its own
    assert np.array_equal(index.select(positions), reference[positions])


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 3 * LEAF + 5), min_size=1, max_size=5),
    seed=st.integers(0, 2**32 - 1),
    steps=st.integers(1, 12),
)
def test_index_matches_a_sorted_key_array(sizes: list[int], seed: int, steps: int) -> None:
    """Random adds, removes and clears, each checked against the sorted-array reference."""
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    total = int(offsets[-1])
    index, inside = AwayIndex(offsets), np.zeros(total, dtype=bool)
    rng = np.random.default_rng(seed)
    owner_of = np.repeat(np.arange(len(sizes)), sizes)
    for _ in range(steps):
        action = rng.integers(3)
        if action == 0:  # a random subset of the absent keys enters, in random order
            keys = rng.permutation(np.flatnonzero(~inside))[: rng.integers(total + 1)]
            index.add(owner_of[keys], keys - offsets[owner_of[keys]])
            inside[keys] = True
        elif action == 1:  # a random subset of the present keys leaves
            keys = rng.permutation(np.flatnonzero(inside))[: rng.integers(total + 1)]
            index.move(owner_of[keys], keys - offsets[owner_of[keys]], -1)
            inside[keys] = False
        else:
            vm = int(rng.integers(len(sizes)))
            index.clear(vm)
            inside[offsets[vm] : offsets[vm + 1]] = False
        _check(index, np.flatnonzero(inside).astype(np.int64), offsets)


@pytest.mark.parametrize("unit", [BLOCK, LEAF])
def test_select_finds_keys_across_blocks(unit: int) -> None:
    """A sparse index whose entries sit in words (``BLOCK``) or tree leaves (``LEAF``) far
    apart: the descent and the word count skip the empty ones and land on the right key
    (including the very last one)."""
    offsets = np.array([0, 10 * unit + 3, 40 * unit + 1], dtype=np.int64)
    index = AwayIndex(offsets)
    keys = np.array([0, unit - 1, 7 * unit, 10 * unit + 2, 33 * unit + 5, 40 * unit])
    owner = (keys >= offsets[1]).astype(np.int64)
    index.add(owner, keys - offsets[owner])
    _check(index, keys, offsets)
    assert np.array_equal(index.counts, [4, 2])
    index.clear(0)
    _check(index, keys[4:], offsets)
