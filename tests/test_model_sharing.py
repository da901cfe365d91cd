"""Transparent page sharing semantics (docs/model.md §2, VALIDATION.md V2, V8)."""

from __future__ import annotations

import numpy as np

from memsim.model.pages import GuestMemory, PageState
from memsim.model.reclaim.sharing import PageSharing, salt_domains


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
    s.gm.content[0] = 99  # the hinted page was rewritten
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
    s.large[:] = True
    s.scan(np.array([64.0, 64.0]), np.ones(2, bool))
    assert s.table.frames == 0
    s.break_large(np.array([0, 1]))
    assert s.table.frames == 1
    assert s.gm.count(PageState.SHARED).sum() == 128


def test_stale_hints_swept_at_rebuild_keep_the_table_consistent() -> None:
    n = 12_000  # more hints than the initial table holds: forces rebuilds
    first = list(range(1, n + 1))
    s = sharing_of([first, first, [0] * 8], [0, 0, 0])
    gm = s.gm
    s.share(np.arange(n), np.zeros(n, dtype=np.int64))  # VM 0: all hints
    gm.content[:n] += np.uint64(10 * n)  # VM 0 rewritten: every hint is stale
    s.share(np.arange(n, 2 * n), np.ones(n, dtype=np.int64))  # VM 1 meets the stale hints
    share_all_private(s)
    table = s.table
    live = table.status == 1
    assert s.table.frames == int((live & (table.refs > 0)).sum())
    shared = np.flatnonzero(gm.state == PageState.SHARED)
    refs = np.bincount(gm.link[shared], minlength=table.capacity)
    assert np.array_equal(refs[live], table.refs[live])
    # stale hints are gone: every live hint names a private page with its contents
    hints = np.flatnonzero(live & (table.refs == 0))
    pages = table.hint[hints]
    assert np.all(gm.state[pages] == PageState.PRIVATE)
    assert np.all(gm.content[pages] == table.content[hints])
