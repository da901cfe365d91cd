"""Compiled page kernels (memsim/model/kernels.py) against their plain numpy formulation."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from memsim.model import backing_kernels, kernels
from memsim.model.hashing import mix64, mix64_scalar, unit_interval
from memsim.model.layout import LARGE_PAGE
from memsim.model.pages import N_STATES, SOLO, PageState
from memsim.model.reclaim import compression
from memsim.model.reclaim.table import EMPTY, LIVE, ShareTable
from memsim.model.segments import cumsum_within


def test_constants_agree_with_the_page_model() -> None:
    assert kernels._PRIVATE == PageState.PRIVATE and kernels._SHARED == PageState.SHARED
    assert kernels._GUEST_SWAPPED == PageState.GUEST_SWAPPED
    assert kernels._BALLOONED == PageState.BALLOONED
    assert kernels._SWAPPED == PageState.SWAPPED
    assert kernels._SWAPPED_CACHE == PageState.SWAPPED_CACHE
    assert kernels._LARGE == LARGE_PAGE
    assert SOLO == kernels.SOLO < -1


def _bits(state: np.ndarray, link: np.ndarray) -> np.ndarray:
    """The scan bits the page arrays give: private and not ``SOLO``."""
    return np.packbits((state == PageState.PRIVATE) & (link != SOLO), bitorder="little")


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
    # a hint dies when its page leaves PRIVATE; a solo mark when the page's data is dropped
    hint_dies = (old == PageState.PRIVATE) & (new != PageState.PRIVATE) & (link[pages] >= 0)
    keeps_data = np.isin(
        new,
        [
            PageState.PRIVATE,
            PageState.BALLOONED,
            PageState.GUEST_SWAPPED,
            PageState.SWAPPED,
            PageState.SWAPPED_CACHE,
        ],
    )
    solo_dies = (link[pages] == SOLO) & ~keeps_data
    want_link = link.copy()
    want_link[pages[hint_dies | solo_dies]] = -1
    want_lost = link[pages[hint_dies]].astype(np.int64)
    want_counts = counts.copy()
    np.add.at(want_counts, (owner[pages], old), -1)
    np.add.at(want_counts, (owner[pages], new), 1)
    bits = _bits(state, link)
    lost = kernels.set_state(state, link, bits, counts, pages, owner[pages], new)
    assert np.array_equal(bits, _bits(state, link))  # the scan bits follow
    assert np.array_equal(lost, want_lost)
    assert np.array_equal(link, want_link) and np.array_equal(counts, want_counts)
    assert np.array_equal(state[pages], new)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_rewrite_and_mark_solo(seed: int) -> None:
    """One pass does what a rewrite pass and then a marking pass over the same pages did."""
    rng, state, link, content, _, _, pages = _pages(seed)
    new = rng.integers(0, 4, len(pages)).astype(np.uint64)
    solo = rng.random(len(pages)) < 0.5
    changed = (state[pages] == PageState.PRIVATE) & (content[pages] != new)
    want_lost = link[pages[changed & (link[pages] >= 0)]].astype(np.int64)
    want_link = link.copy()
    want_link[pages[changed]] = -1
    mark = solo & (want_link[pages] == -1) & (state[pages] == PageState.PRIVATE)
    want_link[pages[mark]] = SOLO
    bits = _bits(state, link)
    lost = kernels.rewrite(state, content, link, bits, pages, new, solo)
    assert np.array_equal(lost, want_lost) and np.array_equal(link, want_link)
    assert np.array_equal(bits, _bits(state, link))
    assert np.array_equal(content[pages], new)


@settings(max_examples=50, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 50), min_size=1, max_size=5),
    seed=st.integers(0, 2**32 - 1),
)
def test_scan_candidates(sizes: list[int], seed: int) -> None:
    """The visited pages (positions) filtered as the numpy chain did: private, not SOLO with
    exact hashes, not in a large page."""
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
    local = (start[owner] + pos * stride[owner]) % size[owner]
    state = rng.integers(0, N_STATES, int(offsets[-1])).astype(np.uint8)
    link = np.where(rng.random(len(state)) < 0.3, SOLO, -1).astype(np.int32)
    region_first = np.r_[0, np.cumsum(-(-size // LARGE_PAGE))].astype(np.int64)
    large = rng.random(int(region_first[-1])) < 0.3
    for skip_solo in (False, True):
        p = offsets[owner] + local
        keep = state[p] == PageState.PRIVATE
        keep &= ~(skip_solo & (link[p] == SOLO))
        keep &= ~large[region_first[owner] + local // LARGE_PAGE]
        pages, got_owner = kernels.scan_candidates(
            vms, first, count, offsets, size, start, stride, state, link, _bits(state, link),
            skip_solo, large, region_first,
        )  # fmt: skip
        assert np.array_equal(pages, p[keep]) and np.array_equal(got_owner, owner[keep])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_remap_links(seed: int) -> None:
    _, state, link, *_ = _pages(seed)
    mapping = np.random.default_rng(seed).permutation(16).astype(np.int32)
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


# -- backing kernels (memsim/model/backing_kernels.py) against the numpy they replaced --------
def test_backing_constants_agree_with_the_page_model() -> None:
    assert backing_kernels._UNTOUCHED == PageState.UNTOUCHED
    assert backing_kernels._PRIVATE == PageState.PRIVATE
    assert backing_kernels._LARGE == LARGE_PAGE


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_repeat_ranges(seed: int) -> None:
    rng = np.random.default_rng(seed)
    vms = rng.integers(0, 9, rng.integers(0, 6))
    lo = rng.integers(-5, 40, len(vms))
    hi = lo + rng.integers(-8, 30, len(vms))
    count = np.maximum(hi - lo, 0)
    want_value = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count - lo, count)
    owner, value = backing_kernels.repeat_ranges(vms, lo, hi)
    assert np.array_equal(owner, np.repeat(vms, count))
    assert np.array_equal(value, want_value) and value.dtype == np.int64


def _layout(seed: int):  # type: ignore[no-untyped-def]
    """Three VMs (sizes not multiples of a region), random page states and links: few pages
    touched or many, so that some 2 MiB regions are all untouched and some not."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 3 * LARGE_PAGE, 3)
    offsets = np.r_[0, np.cumsum(sizes)].astype(np.int64)
    n = int(offsets[-1])
    touched = rng.random(n) < rng.choice([0.001, 0.3])
    state = np.where(touched, rng.integers(0, N_STATES, n), 0).astype(np.uint8)
    link = rng.choice(np.array([-2, -1, 5], dtype=np.int32), n)
    pages = rng.permutation(n)[: rng.integers(0, n)].astype(np.int64)
    owner = np.searchsorted(offsets, pages, side="right") - 1
    return rng, sizes, offsets, state, link, pages, owner


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), skip_solo=st.booleans())
def test_seen_shareable(seed: int, skip_solo: bool) -> None:
    rng, sizes, offsets, state, link, pages, owner = _layout(seed)
    start = rng.integers(0, sizes)
    inverse = rng.integers(0, sizes)
    scanned = rng.integers(0, 2 * sizes)
    size = sizes[owner]
    position = ((pages - offsets[owner] - start[owner]) % size) * inverse[owner] % size
    seen = (scanned[owner] >= size) | (position < scanned[owner])
    want = seen & (state[pages] == PageState.PRIVATE)
    if skip_solo:
        want &= link[pages] != SOLO
    got = backing_kernels.seen_shareable(
        pages, owner, offsets, sizes, start, inverse, scanned, state, link, skip_solo
    )
    assert np.array_equal(got, want)


def _numpy_large_cost(pages, owner, fresh, offsets, sizes, first, wanted, state):  # type: ignore[no-untyped-def]
    """LargePages.cost and the regions LargePages.back_fresh backed whole, as numpy had them."""
    cost = np.ones(len(pages), dtype=np.int64)
    region = np.full(len(pages), -1, dtype=np.int64)
    idx = np.flatnonzero(fresh & wanted[owner])
    regions = first[owner[idx]] + (pages[idx] - offsets[owner[idx]]) // LARGE_PAGE
    cand, at = np.unique(regions, return_index=True)
    vm = owner[idx][at]
    lo = (cand - first[vm]) * LARGE_PAGE
    hi = np.minimum(lo + LARGE_PAGE, sizes[vm])
    busy = [
        np.any(state[offsets[v] + a : offsets[v] + b]) for v, a, b in zip(vm, lo, hi, strict=True)
    ]
    whole = ~np.isin(regions, cand[np.array(busy, dtype=bool)])
    sel = idx[whole]
    _, lead = np.unique(regions[whole], return_index=True)
    cost[sel] = 0
    lead_lo = (regions[whole][lead] - first[owner[sel][lead]]) * LARGE_PAGE
    cost[sel[lead]] = np.minimum(LARGE_PAGE, sizes[owner[sel][lead]] - lead_lo)
    region[sel] = regions[whole]
    return region, cost


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_large_regions(seed: int) -> None:
    rng, sizes, offsets, state, _, pages, owner = _layout(seed)
    first = np.r_[0, np.cumsum(-(-sizes // LARGE_PAGE))].astype(np.int64)
    fresh = (state[pages] == PageState.UNTOUCHED) & (rng.random(len(pages)) < 0.9)
    wanted = rng.random(3) < 0.7
    args = (pages, owner, fresh, offsets, sizes, first, wanted, state)
    status = np.full(int(first[-1]), -1, dtype=np.int16)
    for _ in range(2):  # the scratch is -1 again after a call: a second gives the same answer
        region, cost = backing_kernels.large_regions(*args, status)
        assert (status == -1).all()
        want_region, want_cost = _numpy_large_cost(*args)
        assert np.array_equal(region, want_region) and np.array_equal(cost, want_cost)


def test_large_regions_backs_a_whole_region_once() -> None:
    # VM 1 (700 pages: regions of 512 and 188) untouched but for one page of its second region
    sizes = np.array([5, 700], dtype=np.int64)
    offsets, first = np.array([0, 5, 705]), np.array([0, 1, 3])
    state = np.zeros(705, dtype=np.uint8)
    state[5 + 600] = PageState.PRIVATE
    pages = np.array([5 + 3, 5 + 1, 5 + 520, 5 + 2, 0], dtype=np.int64)
    owner = np.array([1, 1, 1, 1, 0])
    fresh = np.array([True, True, True, True, True])
    wanted = np.array([False, True])
    status = np.full(3, -1, dtype=np.int16)
    region, cost = backing_kernels.large_regions(
        pages, owner, fresh, offsets, sizes, first, wanted, state, status
    )
    assert region.tolist() == [1, 1, -1, 1, -1] and cost.tolist() == [512, 0, 1, 0, 1]


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_demand_and_within_grant(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 300))
    state = rng.integers(0, N_STATES, n).astype(np.uint8)
    owner = rng.integers(0, 4, n)
    cost = rng.choice(np.array([0, 1, 1, 1, 512]), n)
    needs = state != PageState.PRIVATE
    want = np.bincount(owner[needs], weights=cost[needs], minlength=4)
    got = backing_kernels.demand(state, owner, cost, 4)
    assert np.array_equal(got, want.astype(np.int64)) and got.dtype == np.int64
    grant = np.floor(want * rng.random(4)).astype(np.int64)
    spent = np.zeros(n)
    need_idx = np.flatnonzero(needs)
    spent[need_idx] = cumsum_within(owner[need_idx], cost[need_idx])
    keep = ~needs | (spent <= grant[owner])
    assert np.array_equal(backing_kernels.within_grant(state, owner, cost, grant), keep)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_first_drawn_in_state(seed: int) -> None:
    """Against a plain walk of the draws: each owner's first distinct pages in the state, up
    to its quota, in draw order; draws repeat pages (with replacement) and the state array
    comes back unchanged."""
    rng, _, offsets, state, _, _, _ = _layout(seed)
    pages = rng.integers(0, offsets[-1], rng.integers(0, 3 * offsets[-1]))
    owner = np.searchsorted(offsets, pages, side="right") - 1
    rank = rng.integers(0, 1000, len(pages))
    quota = rng.integers(-1, 40, 3)
    wanted = int(rng.integers(0, 3))
    before = state.copy()
    taken: set[int] = set()
    count = np.zeros(3, dtype=np.int64)
    first = np.zeros(len(pages), dtype=bool)
    for i, (p, v) in enumerate(zip(pages.tolist(), owner.tolist(), strict=True)):
        if state[p] == wanted and p not in taken and count[v] < quota[v]:
            taken.add(p)
            count[v] += 1
            first[i] = True
    got = backing_kernels.first_drawn_in_state(pages, owner, rank, state, wanted, quota)
    assert all(np.array_equal(a, b[first]) for a, b in zip(got, (pages, owner, rank), strict=True))
    assert np.array_equal(state, before)


def _find_by_rounds(table: ShareTable, salt: np.ndarray, h: np.ndarray) -> np.ndarray:
    """The numpy look-up :func:`memsim.model.reclaim.table._find` replaced: one probe round per
    numpy operation over the keys still pending."""
    result = np.full(len(h), -1, dtype=np.int64)
    pos = table._start(salt, h)
    pending = np.arange(len(h))
    while pending.size:
        p = pos[pending]
        st = table.status[p]
        hit = (
            (st == LIVE)
            & (table.salt[p] == salt[pending])
            & (table.key_hash(table.content[p]) == h[pending])
        )
        result[pending[hit]] = p[hit]
        pending = pending[~(hit | (st == EMPTY))]
        pos[pending] = (pos[pending] + 1) & (table.capacity - 1)
    return result


def _mix64_numpy(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser in wrapping numpy arithmetic (the vectorised form it replaced)."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def test_mix64_is_splitmix64() -> None:
    """The compiled mix equals the numpy arithmetic on arrays of any shape and on scalars,
    and the scalar form equals both; splitmix64 from state 0 gives its published first value."""
    x = np.random.default_rng(5).integers(0, 2**63, 1000, dtype=np.uint64) * np.uint64(3)
    assert np.array_equal(mix64(x), _mix64_numpy(x))
    assert np.array_equal(np.array([mix64_scalar(v) for v in x], dtype=np.uint64), mix64(x))
    grid = x[:12].reshape(3, 4)[:, ::2]  # a strided 2-d view
    assert mix64(grid).shape == (3, 2)
    assert np.array_equal(mix64(grid), _mix64_numpy(grid))
    assert mix64(0) == np.uint64(0xE220A8397B1DCDAF)
    assert isinstance(mix64(np.uint64(7)), np.uint64)  # a scalar, not a 0-d array
    assert mix64(np.uint64(7)) == _mix64_numpy(np.array([7], dtype=np.uint64))[0]
    assert len(mix64(np.zeros(0, dtype=np.uint64))) == 0


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), bits=st.sampled_from([4, 9, 64]))
def test_find_matches_the_probe_rounds(seed: int, bits: int) -> None:
    """Keys present, absent and colliding (short hashes), past dead slots, in a nearly full
    table: the compiled look-up finds the slots the probe rounds found."""
    rng = np.random.default_rng(seed)
    table = ShareTable(hash_bits=bits, capacity=64)
    content = rng.choice(2**40, 60, replace=False).astype(np.uint64)
    salt = rng.integers(0, 3, 60).astype(np.uint32)
    table.reserve(40)
    slots = table.insert(salt[:40], content[:40])  # distinct keys only when hashes are
    table.drop(slots[rng.random(40) < 0.3])
    keys = rng.integers(0, 60, 200)
    h = table.key_hash(content[keys])
    assert np.array_equal(table.find(salt[keys], h), _find_by_rounds(table, salt[keys], h))


def _insert_by_rounds(table: ShareTable, salt: np.ndarray, content: np.ndarray) -> np.ndarray:
    """The numpy insert :func:`memsim.model.reclaim.table._place` replaced: per round, the
    first pending key at each empty slot takes it (``unique``), the others move on."""
    n = len(content)
    result = np.full(n, -1, dtype=np.int64)
    pos = table._start(salt, table.key_hash(content))
    pending = np.arange(n)
    while pending.size:
        p = pos[pending]
        free = table.status[p] == EMPTY
        slots, first = np.unique(p[free], return_index=True)
        winners = pending[free][first]
        table.status[slots] = LIVE
        table.salt[slots], table.content[slots] = salt[winners], content[winners]
        table.refs[slots], table.hint[slots] = 0, -1
        result[winners] = slots
        placed = np.zeros(n, dtype=bool)
        placed[winners] = True
        pending = pending[~placed[pending]]
        pos[pending] = (pos[pending] + 1) & (table.capacity - 1)
    table.live += n
    return result


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), bits=st.sampled_from([3, 64]))
def test_insert_lays_out_the_table_as_the_probe_rounds(seed: int, bits: int) -> None:
    """Batches into a table with dead slots and long collision chains: the compiled insert
    returns the same slots and leaves the same arrays as the numpy rounds."""
    rng = np.random.default_rng(seed)
    tables = [ShareTable(hash_bits=bits, capacity=128) for _ in range(2)]
    content = rng.choice(2**40, 80, replace=False).astype(np.uint64)
    salt = rng.integers(0, 2, 80).astype(np.uint32)
    dead = rng.random(80) < 0.3
    for lo, hi in ((0, 30), (30, 80)):
        got = tables[0].insert(salt[lo:hi], content[lo:hi])
        want = _insert_by_rounds(tables[1], salt[lo:hi], content[lo:hi])
        assert np.array_equal(got, want)
        for table in tables:
            table.drop(got[dead[lo:hi]])
    for name in ("status", "salt", "content", "refs", "hint"):
        assert np.array_equal(getattr(tables[0], name), getattr(tables[1], name)), name
    assert tables[0].live == tables[1].live


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_relink_keeps_the_scan_bits(seed: int) -> None:
    rng, state, link, _, _, _, pages = _pages(seed)
    links = rng.choice(np.array([-2, -1, 3, 7]), len(pages))
    bits = _bits(state, link)
    kernels.relink(state, link, bits, pages, links)
    assert np.array_equal(link[pages], links) and np.array_equal(bits, _bits(state, link))


def _slot_kib_numpy(content: np.ndarray, compressible: np.ndarray) -> np.ndarray:
    """The numpy slot sizes the compiled ``slot_kib`` replaced."""
    u = unit_interval(mix64(content ^ np.uint64(0xC0FFEE)))
    kib = np.where(u < compressible / 2, 1, np.where(u < compressible, 2, 0))
    return np.where(content == 0, 1, kib).astype(np.int64)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), correction=st.booleans())
def test_compression_fits(seed: int, correction: bool) -> None:
    """``compression._fits`` against the numpy it replaced: the CPU budget as a running count
    of pages that fit, the evictions as a running sum of each VM's overflow of its free KiB."""
    rng = np.random.default_rng(seed)
    n, vms = int(rng.integers(0, 400)), 3
    content = rng.integers(0, 2**63, 2 * n + 1, dtype=np.uint64) * rng.integers(0, 2, 2 * n + 1)
    content = content.astype(np.uint64)
    pages = rng.permutation(2 * n + 1)[:n].astype(np.int64)
    owner = rng.integers(0, vms, n)
    compressible = rng.random(vms)
    cap = rng.integers(0, 300, vms)
    free = np.maximum(cap - rng.integers(0, 300, vms), 0)
    budget, max_evict = (2**62, 2**62) if correction else tuple(rng.integers(0, n + 2, 2))
    kib = _slot_kib_numpy(content[pages], compressible[owner])
    assert np.array_equal(compression.slot_kib(content[pages], compressible[owner]), kib)
    fits = (kib > 0) & (kib <= cap[owner])
    if not correction:
        fits &= np.cumsum(fits) <= budget
        used = cumsum_within(owner, kib * fits)
        fits &= np.cumsum(np.minimum(kib * fits, np.maximum(used - free[owner], 0))) <= max_evict
    got, got_kib = compression._fits(
        pages, content, owner, compressible, cap, free, int(budget), int(max_evict)
    )
    assert np.array_equal(got, fits) and np.array_equal(got_kib, np.where(fits, kib, 0))
