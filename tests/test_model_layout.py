"""The page of each hotness rank (memsim.model.layout): regions in a random order, written out
once a working set moves."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from memsim.model.layout import LARGE_PAGE, RankLayout, region_layout


def written_out(size: int, rng: np.random.Generator) -> np.ndarray:
    """The layout as a page per rank, by the numpy arithmetic it replaced: the regions in a
    random permutation, the pages of each in address order, pages past the VM's end dropped."""
    regions = -(-size // LARGE_PAGE)
    start = rng.permutation(regions).astype(np.int64) * LARGE_PAGE
    pages = (start[:, None] + np.arange(LARGE_PAGE, dtype=np.int64)[None, :]).ravel()
    return pages[pages < size]


sizes = st.lists(
    st.one_of(st.integers(1, 3 * LARGE_PAGE), st.integers(1, 8).map(lambda r: r * LARGE_PAGE)),
    min_size=1,
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), sizes=sizes)
def test_pages_by_region_equal_the_written_out_layout(seed: int, sizes: list[int]) -> None:
    """VMs of whole and short last regions (wherever the permutation puts it), rank arrays of
    the integer types callers pass: the arithmetic gives the pages of the written-out layout,
    from the same draw of the generator."""
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    layout = RankLayout(offsets)
    ours, theirs = np.random.default_rng(seed), np.random.default_rng(seed)
    expected = []
    for v, size in enumerate(sizes):
        layout.lay_out(v, ours)
        expected.append(offsets[v] + written_out(size, theirs))
    vms = np.repeat(np.arange(len(sizes)), sizes)
    ranks = np.concatenate([np.arange(s) for s in sizes])
    for r in (ranks, ranks.astype(np.uint32), ranks.astype(np.int32)):
        out = layout.pages(vms, r)
        assert out.dtype == np.int64 and np.array_equal(out, np.concatenate(expected))
    assert np.array_equal(region_layout(sizes[0], np.random.default_rng(seed)), expected[0])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), sizes=sizes)
def test_an_exchange_writes_the_layout_out_and_trades_two_ranks(
    seed: int, sizes: list[int]
) -> None:
    """After the first exchange the pages come from the written-out layout: the same pages for
    every rank but the two traded, and a power-on after it writes its VM's layout out too."""
    rng = np.random.default_rng(seed)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    layout = RankLayout(offsets)
    for v in range(len(sizes)):
        layout.lay_out(v, rng)
    vms = np.repeat(np.arange(len(sizes)), sizes)
    ranks = np.concatenate([np.arange(s) for s in sizes])
    before = layout.pages(vms, ranks)
    here, there = rng.choice(len(vms), 2, replace=len(vms) < 2)
    if vms[here] != vms[there]:
        there = here  # ranks trade within a VM only
    layout.exchange(np.array([here]), np.array([there]))
    assert layout.order is not None
    after = layout.pages(vms, ranks)
    before[[here, there]] = before[[there, here]]
    assert np.array_equal(after, before)
    layout.lay_out(0, np.random.default_rng(seed + 1))  # a power-on after the first move
    again = RankLayout(offsets)
    again.lay_out(0, np.random.default_rng(seed + 1))
    first = vms == 0
    assert np.array_equal(
        layout.pages(vms[first], ranks[first]), again.pages(vms[first], ranks[first])
    )


def test_a_vm_needs_as_many_ranks_as_vms() -> None:
    layout = RankLayout(np.array([0, 10], dtype=np.int64))
    try:
        layout.pages(np.zeros(3, dtype=np.int64), np.arange(2))
    except ValueError as error:
        assert "3 VMs for 2 ranks" in str(error)
    else:
        raise AssertionError("unequal lengths went through")


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    sizes=st.lists(st.integers(0, 3 * LARGE_PAGE), min_size=1, max_size=8).filter(any),
)
def test_vm_of_is_the_binary_search_of_the_offsets(seed: int, sizes: list[int]) -> None:
    """Any pages, in any order, of VMs that end inside a block, several in one block, or hold
    no page at all: the VM found from the page's block is the one a binary search finds."""
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    pages = np.random.default_rng(seed).integers(0, offsets[-1], 200)
    expected = np.searchsorted(offsets, pages, side="right") - 1
    assert np.array_equal(RankLayout(offsets).vm_of(pages), expected)
    every = np.arange(offsets[-1])
    assert np.array_equal(RankLayout(offsets).vm_of(every), np.repeat(np.arange(len(sizes)), sizes))
