"""Transparent page sharing semantics (docs/model.md §2, VALIDATION.md V2, V8)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from memsim.model.pages import SOLO, GuestMemory, PageState
from memsim.model.reclaim.sharing import PageSharing, salt_domains
from memsim.model.reclaim.table import ShareTable


def sharing_of(contents: list[list[int]], domains: list[int], hash_bits: int = 64) -> PageSharing:
    """VMs whose pages are all private with the given contents."""
    gm = GuestMemory(np.array([len(c) for c in contents]))
    for v, c in enumerate(contents):
        gm.power_on(v, np.random.default_rng(v))
        sl = gm.slice_of(v)
        gm.content[sl] = np.array(c, dtype=np.uint64)
        gm.set_state(np.arange(sl.start, sl.stop), PageState.PRIVATE)
    return PageSharing(
        gm,
        np.array(domains, dtype=np.uint32),
        np.ones(len(contents), bool),
        hash_bits,
        np.random.default_rng(0),
    )


def share_all(s: PageSharing) -> None:
    pages = np.arange(s.gm.offsets[-1])
    s.share(pages, s.gm.vm_of(pages))


def test_identical_pages_share_one_frame_and_identity_holds() -> None:
    s = sharing_of([[0, 0, 5, 7], [0, 5, 9, 9]], [0, 0])
    share_all(s)
    shared = int(s.gm.count(PageState.SHARED).sum())
    # zero x3, 5 x2, 9 x2 shared; 7 stays private (a hint)
    assert shared == 7
    assert s.table.frames == 3
    assert shared - s.table.frames == 4  # reclaimed = shared − distinct frames


def test_hint_then_match_shares_both() -> None:
    s = sharing_of([[42, 1], [42, 2]], [0, 0])
    s.share(np.array([0]), np.array([0]))
    assert s.table.frames == 0  # a hint only
    s.share(np.array([2]), np.array([1]))
    assert s.table.frames == 1
    assert s.gm.state[0] == s.gm.state[2] == PageState.SHARED


def test_stale_hint_is_not_shared() -> None:
    s = sharing_of([[42, 1], [42, 2]], [0, 0])
    s.share(np.array([0]), np.array([0]))
    s.gm.rewrite(np.array([0]), np.array([99], dtype=np.uint64))  # the hinted page changes
    s.share(np.array([2]), np.array([1]))
    assert s.table.frames == 0
    assert s.gm.state[0] == PageState.PRIVATE


def test_hash_match_without_content_match_is_never_shared() -> None:
    # a 2-bit hash: 64 distinct contents collide massively, yet nothing distinct is shared
    contents = [list(range(1, 65)), list(range(1, 65))]
    s = sharing_of(contents, [0, 0], hash_bits=2)
    for _ in range(5):
        share_all_private(s)
    gm = s.gm
    shared = np.flatnonzero(gm.state == PageState.SHARED)
    by_frame: dict[int, set[int]] = {}
    for p in shared:
        by_frame.setdefault(int(gm.link[p]), set()).add(int(gm.content[p]))
    assert all(len(c) == 1 for c in by_frame.values())
    assert s.false_matches > 0


def share_all_private(s: PageSharing) -> None:
    pages = np.flatnonzero(s.gm.state == PageState.PRIVATE)
    s.share(pages, s.gm.vm_of(pages))


def test_copy_on_write_gives_a_private_copy() -> None:
    s = sharing_of([[5, 5]], [0])
    share_all(s)
    assert s.table.frames == 1
    s.break_cow(np.array([0]), np.array([0]))
    assert s.gm.state[0] == PageState.PRIVATE and s.cow_breaks[0] == 1
    assert s.table.refs[s.gm.link[1]] == 1


def test_salting_decides_who_shares() -> None:
    salts = [None, None, "a", "a"]
    assert len(set(salt_domains(salts, 0))) == 1
    d1 = salt_domains(salts, 1)
    assert d1[0] == d1[1] != d1[2] == d1[3]
    d2 = salt_domains(salts, 2)
    assert d2[0] != d2[1] and d2[2] == d2[3] and d2[0] != d2[2]
    s = sharing_of([[7], [7]], list(d2[:2]))
    share_all(s)
    assert s.table.frames == 0  # salting 2: no inter-VM sharing without a common salt
    s = sharing_of([[7], [7]], list(d1[:2]))
    share_all(s)
    assert s.table.frames == 1


def test_large_pages_share_only_once_broken_without_rescan() -> None:
    s = sharing_of([[0] * 64, [0] * 64], [0, 0])
    lp = s.lpages
    lp.large[:] = True
    lp.count[:] = 1
    s.scan(np.array([64.0, 64.0]), np.ones(2, bool))
    assert s.table.frames == 0
    s.break_large(np.array([0, 1]))
    assert s.table.frames == 1
    assert s.gm.count(PageState.SHARED).sum() == 128


def test_rewritten_hints_die_and_rebuilds_keep_the_table_consistent() -> None:
    n = 12_000  # more hints than the initial table holds: forces rebuilds
    first = list(range(1, n + 1))
    s = sharing_of([first, first, [0] * 8], [0, 0, 0])
    gm = s.gm
    s.share(np.arange(n), np.zeros(n, dtype=np.int64))  # VM 0: all hints
    gm.rewrite(np.arange(n), gm.content[:n] + np.uint64(10 * n))  # VM 0 rewritten
    s.share(np.arange(n, 2 * n), np.ones(n, dtype=np.int64))  # VM 1 meets the stale hints
    share_all_private(s)
    table = s.table
    live = table.status == 1
    assert s.table.frames == int((live & (table.refs > 0)).sum())
    shared = np.flatnonzero(gm.state == PageState.SHARED)
    refs = np.bincount(gm.link[shared], minlength=table.capacity)
    assert np.array_equal(refs[live], table.refs[live])
    # the rewritten pages' hints are gone: every live hint names a private page with its
    # contents, linked back to its slot
    s.check_links()
    assert table.live == table.frames + int((live & (table.refs == 0)).sum())


def test_the_table_shrinks_when_its_hints_die_and_links_follow() -> None:
    """A wave of hints doubles the table; once they die, the next batch rebuilds it small
    again, and every frame and hint is still found through its pages' links."""
    n = 40_000
    first = list(range(1, n + 1))
    s = sharing_of([first, first[:50] + [0] * (n - 50)], [0, 0])
    gm, table = s.gm, s.table
    s.share(np.arange(n), np.zeros(n, dtype=np.int64))  # VM 0: all hints
    grown = table.capacity
    assert grown >= n / 0.45 > table.minimum
    gm.set_state(np.arange(50, n), PageState.SWAPPED)  # their hints die
    assert table.live == 50
    s.share(np.arange(n, n + 60), np.ones(60, dtype=np.int64))  # 50 matches, 10 zero pages
    assert table.capacity == table.minimum < grown  # 51 entries: back to the initial size
    assert table.frames == table.live == 51 and table.dead == 0  # and the zero frame
    s.check_links()
    shared = np.flatnonzero(gm.state == PageState.SHARED)
    assert len(shared) == 110
    refs = np.bincount(gm.link[shared], minlength=table.capacity)
    live = table.status == 1
    assert np.array_equal(refs[live & (table.refs > 0)], table.refs[live & (table.refs > 0)])


def test_a_hint_dies_when_its_page_leaves_private_memory() -> None:
    s = sharing_of([[42, 1], [42, 2]], [0, 0])
    s.share(np.array([0]), np.array([0]))
    assert s.table.live == 1 and s.gm.link[0] >= 0
    s.gm.set_state(np.array([0]), PageState.COMPRESSED, np.array([0]))
    assert s.table.live == 0 and s.gm.link[0] == -1  # gone at once, no sweep
    s.gm.set_state(np.array([0]), PageState.PRIVATE, np.array([0]))  # decompressed, same data
    s.share(np.array([2]), np.array([1]))
    assert s.table.frames == 0  # the dead hint did not revive
    s.check_links()


def test_rewriting_the_same_contents_keeps_the_hint() -> None:
    s = sharing_of([[42, 1], [42, 2]], [0, 0])
    s.share(np.array([0]), np.array([0]))
    s.gm.rewrite(np.array([0]), np.array([42], dtype=np.uint64))
    s.share(np.array([2]), np.array([1]))
    assert s.table.frames == 1


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rounds=st.integers(1, 6),
    hash_bits=st.sampled_from([3, 64]),
)
def test_results_do_not_depend_on_when_the_table_is_rebuilt(
    seed: int, rounds: int, hash_bits: int
) -> None:
    """Scans, rewrites, reclaims and copy-on-write breaks give the same pages, frames and hints
    whether the table starts tiny (many rebuilds) or large (none)."""
    rng = np.random.default_rng(seed)
    contents = [list(rng.integers(0, 40, 300)) for _ in range(3)]
    runs = []
    for capacity in (1 << 4, 1 << 12):
        s = sharing_of(contents, [0, 0, 0], hash_bits)
        s.table = ShareTable(hash_bits, capacity)
        ops = np.random.default_rng(seed + 1)
        gm = s.gm
        for _ in range(rounds):
            private = np.flatnonzero(gm.state == PageState.PRIVATE)
            scan = ops.permutation(private)[: len(private) // 2]
            s.share(scan, gm.vm_of(scan))
            pages = ops.choice(len(gm.state), 60, replace=False)
            shared = pages[gm.state[pages] == PageState.SHARED]
            s.break_cow(shared, gm.vm_of(shared))
            private = pages[gm.state[pages] == PageState.PRIVATE]
            gm.rewrite(private[::2], ops.integers(0, 40, len(private[::2])).astype(np.uint64))
            gm.set_state(private[1::2], PageState.SWAPPED)
            gm.set_state(private[1::2], PageState.PRIVATE)
            s.check_links()
        runs.append((gm.state.copy(), gm.content.copy(), s.table.frames, s.table.live))
    (state_a, content_a, *rest_a), (state_b, content_b, *rest_b) = runs
    assert np.array_equal(state_a, state_b) and np.array_equal(content_a, content_b)
    assert rest_a == rest_b


def test_solo_pages_are_not_hashed_and_lose_the_mark_when_they_change() -> None:
    s = sharing_of([[42, 1], [42, 2]], [0, 0])
    gm = s.gm
    gm.relink(np.array([0]), SOLO)
    s.scan(np.array([2.0, 0.0]), np.ones(2, bool))
    assert s.table.live == 1 and gm.link[0] == SOLO  # page 1 became a hint, page 0 skipped
    page, vm = np.array([0]), np.array([0])
    kept = (
        PageState.SWAPPED,
        PageState.SWAPPED_CACHE,
        PageState.BALLOONED,
        PageState.GUEST_SWAPPED,
    )
    for state in kept:
        gm.set_state(page, state, vm)  # the contents are kept: so is the mark
        assert gm.link[0] == SOLO
    gm.set_state(page, PageState.PRIVATE, vm)
    assert gm.link[0] == SOLO
    gm.set_state(page, PageState.UNTOUCHED, vm)  # the page is given back
    assert gm.link[0] == -1
    gm.relink(np.array([3]), SOLO)
    gm.rewrite(np.array([3]), np.array([7], dtype=np.uint64))
    assert gm.link[3] == -1  # new contents: the writer decides again


def test_short_hashes_scan_solo_pages_too() -> None:
    # with a short hash a solo page can still make a false match, so it must be looked up
    s = sharing_of([[42, 1]], [0], hash_bits=8)
    s.gm.relink(np.array([0]), SOLO)
    s.scan(np.array([2.0]), np.ones(1, bool))
    assert s.table.live == 2
