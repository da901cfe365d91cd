"""Compiled page kernels (memsim/model/kernels.py) against their plain numpy formulation."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from memsim.model import kernels
from memsim.model.pages import N_STATES, SOLO, PageState


def test_constants_agree_with_the_page_model() -> None:
    assert kernels._PRIVATE == PageState.PRIVATE and kernels._SHARED == PageState.SHARED
    assert SOLO == kernels.SOLO < -1


def _pages(seed: int, n: int = 200, vms: int = 3):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    state = rng.integers(0, N_STATES, n).astype(np.uint8)
    link = rng.choice(np.array([-2, -1, 5, 9, 13], dtype=np.int32), n)
    content = rng.integers(0, 4, n).astype(np.uint64)
    owner = np.sort(rng.integers(0, vms, n))
    counts = np.zeros((vms, N_STATES), dtype=np.int64)
    np.add.at(counts, (owner, state), 1)
    pages = rng.permutation(n)[: rng.integers(0, n)].astype(np.int64)
    return rng, state, link, content, owner, counts, pages


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_set_state_counts_and_links(seed: int) -> None:
    rng, state, link, _, owner, counts, pages = _pages(seed)
    new = rng.integers(0, N_STATES, len(pages)).astype(np.uint8)
    old = state[pages].copy()
    leaving = (old == PageState.PRIVATE) & (new != PageState.PRIVATE)
    want_link = link.copy()
    want_link[pages[leaving]] = -1
    want_lost = link[pages[leaving & (link[pages] >= 0)]].astype(np.int64)
    want_counts = counts.copy()
    np.add.at(want_counts, (owner[pages], old), -1)
    np.add.at(want_counts, (owner[pages], new), 1)
    lost = kernels.set_state(state, link, counts, pages, owner[pages], new)
    assert np.array_equal(lost, want_lost)
    assert np.array_equal(link, want_link) and np.array_equal(counts, want_counts)
    assert np.array_equal(state[pages], new)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_rewrite_and_mark_solo(seed: int) -> None:
    rng, state, link, content, _, _, pages = _pages(seed)
    new = rng.integers(0, 4, len(pages)).astype(np.uint64)
    changed = (state[pages] == PageState.PRIVATE) & (content[pages] != new)
    want_lost = link[pages[changed & (link[pages] >= 0)]].astype(np.int64)
    want_link = link.copy()
    want_link[pages[changed]] = -1
    lost = kernels.rewrite(state, content, link, pages, new)
    assert np.array_equal(lost, want_lost) and np.array_equal(link, want_link)
    assert np.array_equal(content[pages], new)
    solo = rng.random(len(pages)) < 0.5
    written = np.where(rng.random(len(pages)) < 0.8, new, new + np.uint64(1))
    mark = solo & (link[pages] == -1) & (state[pages] == PageState.PRIVATE)
    mark &= content[pages] == written
    want_link[pages[mark]] = SOLO
    kernels.mark_solo(state, content, link, pages, written, solo)
    assert np.array_equal(link, want_link)


@settings(max_examples=50, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 50), min_size=1, max_size=5),
    seed=st.integers(0, 2**32 - 1),
)
def test_scan_positions(sizes: list[int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    size = np.array(sizes, dtype=np.int64)
    offsets = np.r_[0, np.cumsum(size)].astype(np.int64)
    start = rng.integers(0, size)
    stride = np.array([1 + int(rng.integers(0, s)) for s in sizes], dtype=np.int64)
    vms = np.flatnonzero(rng.random(len(sizes)) < 0.7).astype(np.int64)
    first = rng.integers(0, 200, len(vms))
    count = rng.integers(0, 120, len(vms))
    owner = np.repeat(vms, count)
    k = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    pos = (np.repeat(first, count) + k) % size[owner]
    want = offsets[owner] + (start[owner] + pos * stride[owner]) % size[owner]
    pages, got_owner = kernels.scan_positions(vms, first, count, offsets, size, start, stride)
    assert np.array_equal(pages, want) and np.array_equal(got_owner, owner)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_remap_links(seed: int) -> None:
    _, state, link, *_ = _pages(seed)
    mapping = np.random.default_rng(seed).permutation(16).astype(np.int64)
    linked = (link >= 0) & (state <= PageState.SHARED)
    want = link.copy()
    want[linked] = mapping[link[linked]]
    kernels.remap_links(state, link, mapping)
    assert np.array_equal(link, want)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_distinct_draws_are_distinct_and_in_range(seed: int) -> None:
    rng = np.random.default_rng(seed)
    total = rng.integers(0, 50, 5)
    count = rng.integers(0, total + 1)
    out = kernels.distinct_draws(total, count, rng.random(int(count.sum())))
    for part, n in zip(np.split(out, np.cumsum(count)[:-1]), total, strict=True):
        assert len(np.unique(part)) == len(part) and np.all((part >= 0) & (part < n))


def test_distinct_draws_are_uniform() -> None:
    # every 3-subset of 6 equally likely: 20 subsets, 20 000 draws, chi-square at p = 0.001
    rng = np.random.default_rng(7)
    draws = 20_000
    out = kernels.distinct_draws(
        np.full(draws, 6), np.full(draws, 3), rng.random(3 * draws)
    ).reshape(draws, 3)
    code = (1 << out).sum(1)
    _, seen = np.unique(code, return_counts=True)
    assert len(seen) == 20
    expected = draws / 20
    assert ((seen - expected) ** 2 / expected).sum() < 43.82  # chi-square, 19 df, p = 0.001
