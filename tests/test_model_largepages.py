"""Large pages as ESXi backs guests (docs/model.md §2): locality, backing, breaking, defaults."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from memsim.engine.simulation import Simulation
from memsim.model.layout import LARGE_PAGE, region_layout
from memsim.model.pages import PageState
from memsim.scenario.advanced import defaults
from tests.support.helpers import scenario, started

MIB_PAGES = 256


def _host_of(profile: str = "esxi6", memory: str = "2GiB", large: str = "auto") -> Simulation:
    """A 16 GiB host with one idle VM powered on (nothing touched yet)."""
    sim = started(
        f"""
name: lp
duration: 1min
host: {{memory: 16GiB, profile: {profile}}}
vms:
  - name: a
    memory: {memory}
    large_pages: {large}
    workload: {{boot: lazy, footprint: 0, active: 0}}
"""
    )
    sim.env.run(until=1.0)
    return sim


def _touch(sim: Simulation, ranks: np.ndarray) -> None:
    """The guest of VM 0 writes unique contents into ``ranks``."""
    host = sim.host
    owner = np.zeros(len(ranks), dtype=np.int64)
    pages = host.gm.by_rank(owner, ranks)
    content = np.arange(1, len(ranks) + 1, dtype=np.uint64) << np.uint64(20)
    host.back(pages, owner, content, np.zeros(len(ranks), dtype=bool))


@pytest.mark.parametrize("size", [4 * LARGE_PAGE, 5 * LARGE_PAGE + 77, 100])
def test_the_layout_fills_one_2mib_region_after_another(size: int) -> None:
    order = region_layout(size, np.random.default_rng(3)).astype(np.int64)
    assert np.array_equal(np.sort(order), np.arange(size))  # a permutation of the VM's pages
    regions = order // LARGE_PAGE
    # consecutive ranks stay in a region until it is full: each region is one run of ranks
    changes = int((regions[1:] != regions[:-1]).sum())
    assert changes == len(np.unique(regions)) - 1


def test_32mib_of_touches_back_32mib_of_a_2gib_large_page_vm() -> None:
    sim = _host_of()
    host = sim.host
    assert host.sharing.lpages.wanted[0]  # auto: on for esxi6
    _touch(sim, np.arange(32 * MIB_PAGES))
    assert host.gm.count(PageState.PRIVATE)[0] == 32 * MIB_PAGES
    assert host.sharing.lpages.count[0] == 16  # sixteen 2 MiB large pages
    # one more page in a new region backs its whole region
    _touch(sim, np.array([32 * MIB_PAGES]))
    assert host.gm.count(PageState.PRIVATE)[0] == 32 * MIB_PAGES + LARGE_PAGE
    host.check_identity()


def test_small_pages_back_one_page_per_touch() -> None:
    for sim in (_host_of(profile="classic"), _host_of(large="false")):
        assert not sim.host.sharing.lpages.wanted[0]
        _touch(sim, np.arange(1000))
        assert sim.host.gm.count(PageState.PRIVATE)[0] == 1000
        assert sim.host.sharing.lpages.count[0] == 0


def test_large_pages_true_overrides_the_host_setting() -> None:
    sim = _host_of(profile="classic", large="true")
    assert sim.host.sharing.lpages.wanted[0]


def test_no_large_page_is_handed_out_while_the_host_breaks_them() -> None:
    sim = _host_of()
    sim.host.sharing.lpages.allowed = False
    _touch(sim, np.arange(10))
    assert sim.host.gm.count(PageState.PRIVATE)[0] == 10
    assert sim.host.sharing.lpages.count[0] == 0


def test_a_partly_touched_region_gets_4kib_pages_only() -> None:
    sim = _host_of()
    lp = sim.host.sharing.lpages
    lp.allowed = False
    _touch(sim, np.arange(3))  # three 4 KiB pages in the first region
    lp.allowed = True
    _touch(sim, np.array([3]))
    assert sim.host.gm.count(PageState.PRIVATE)[0] == 4 and lp.count[0] == 0


def test_a_grant_limited_touch_never_backs_more_than_granted() -> None:
    sim = _host_of()
    host = sim.host
    host.ceilings.limit[0] = host.ceilings.size[0] - 1  # make the VM "limited"
    host.ceilings.ceiling[0] = 3 * LARGE_PAGE  # room for three large pages
    _touch(sim, np.arange(5 * LARGE_PAGE))
    assert host.gm.count(PageState.PRIVATE)[0] == 3 * LARGE_PAGE
    host.check_identity()


def _zeroed(sim: Simulation, regions: int) -> None:
    """VM 0 writes zero pages into its first ``regions`` regions (large pages)."""
    host = sim.host
    ranks = np.arange(regions * LARGE_PAGE)
    owner = np.zeros(len(ranks), dtype=np.int64)
    zeros = np.zeros(len(ranks), dtype=np.uint64)
    host.back(host.gm.by_rank(owner, ranks), owner, zeros, zeros != 0)


def test_large_pages_are_hashed_not_shared_and_breaking_shares_what_was_hashed() -> None:
    sim = _host_of()
    host, sharing = sim.host, sim.host.sharing
    _zeroed(sim, 8)
    size = int(host.gm.sizes[0])
    sharing.scan(np.array([size / 2]), host.on)  # half the VM hashed
    assert host.gm.count(PageState.SHARED)[0] == 0  # large pages: nothing shared
    sharing.break_large(np.array([0]))
    shared = host.gm.count(PageState.SHARED)[0]
    # about half of the 4096 zero pages were hashed, and they are shared at once
    assert 1500 < shared < 2600
    assert sharing.lpages.count[0] == 0 and sharing.lpages.broken[0] == 8
    # nothing unscanned was shared
    sl = host.gm.slice_of(0)
    shared_pages = np.flatnonzero(host.gm.state[sl] == PageState.SHARED)
    visited = (sharing.scan_start[0] + np.arange(size // 2) * sharing.scan_stride[0]) % size
    assert np.isin(shared_pages, visited).all()
    host.check_identity()
    sharing.check_links()


def test_swap_victims_break_their_large_pages_first_and_share_before_swap() -> None:
    sim = _host_of()
    host, sharing = sim.host, sim.host.sharing
    _zeroed(sim, 8)
    sharing.scan(np.array([float(host.gm.sizes[0])]), host.on)  # everything hashed
    sim.swapper.budget = 10_000
    from memsim.model.reclaim.pipeline import reclaim

    reclaim(np.array([50]), sharing, host.compressor, sim.swapper)
    # every victim's large page broke; all its zero pages were shared, none swapped
    assert 0 < sharing.lpages.broken[0] <= 8
    assert host.gm.count(PageState.SWAPPED)[0] == 0
    assert host.gm.count(PageState.SHARED)[0] == sharing.lpages.broken[0] * LARGE_PAGE
    host.check_identity()


def test_no_page_of_a_large_page_is_ever_swapped_or_ballooned() -> None:
    sim = _host_of()
    host, sharing = sim.host, sim.host.sharing
    _touch(sim, np.arange(8 * LARGE_PAGE))  # unique contents: nothing to share
    sim.swapper.budget = 10_000
    from memsim.model.reclaim.pipeline import reclaim

    reclaim(np.array([300]), sharing, host.compressor, sim.swapper)
    gone = np.flatnonzero(host.gm.state >= PageState.COMPRESSED)
    assert len(gone) == 300
    lp = sharing.lpages
    assert not lp.large[lp.region_of(gone, np.zeros(len(gone), dtype=np.int64))].any()
    host.check_identity()


def test_ballooning_into_a_large_page_breaks_it() -> None:
    sim = _host_of(memory="32MiB")  # 16 regions; the balloon may take 65 % of them
    host, lp = sim.host, sim.host.sharing.lpages
    _touch(sim, np.arange(8 * LARGE_PAGE))
    assert lp.count[0] == 8
    balloons = sim.balloons
    balloons.target[0] = balloons.maximum[0]
    footprint = np.array([8 * LARGE_PAGE])
    for second in range(10):  # the driver's rate limits each step (vmw_balloon, §3)
        balloons.step(2.0 + second, 1.0, host.on, footprint, np.zeros(1), host.reclaimable())
    taken = np.flatnonzero(host.gm.state >= PageState.BALLOONED)
    assert balloons.size[0] == balloons.maximum[0] == len(taken)
    reached = np.unique(lp.region_of(taken, np.zeros(len(taken), dtype=np.int64)))
    assert not lp.large[reached].any()
    # ranks from 8192 − 5324 = 2868 on: the top three touched regions broke, five stay large
    assert lp.count[0] == 5 and lp.broken[0] == 3
    host.check_identity()


def test_power_off_releases_large_pages_and_the_scanner_starts_over() -> None:
    sim = _host_of()
    _zeroed(sim, 4)
    sim.host.sharing.scan(np.array([1000.0]), sim.host.on)
    sim.host.release(0)
    assert sim.host.sharing.lpages.count[0] == 0 and sim.host.sharing.scan_pos[0] == 0
    assert not sim.host.sharing.lpages.large.any()


def test_profiles_default_large_pages_and_salting() -> None:
    for profile, large, salting in (
        ("classic", 0, 0),
        ("esx41", 1, 0),
        ("esxi5", 1, 2),
        ("esxi6", 1, 2),
    ):
        settings = defaults(profile)  # type: ignore[arg-type]
        assert settings["Mem.AllocGuestLargePage"] == large, profile
        assert settings["Mem.ShareForceSalting"] == salting, profile


def test_large_pages_default_to_auto() -> None:
    s = scenario("name: a\nduration: 1min\nhost: {memory: 1GiB}\nvms: [{name: v, memory: 64MiB}]\n")
    assert s.vms[0].large_pages == "auto"


def test_a_bad_large_pages_value_is_a_located_error() -> None:
    from memsim.scenario import ScenarioError

    text = (
        "name: a\nduration: 1min\nhost: {memory: 1GiB}\n"
        "vms: [{name: v, memory: 64MiB, large_pages: maybe}]\n"
    )
    with pytest.raises(
        ScenarioError, match=r"<test>:4:.*large_pages: expected auto, true or false"
    ):
        scenario(text)


BREAKING_HOST = """
name: break-in-parts
duration: 4min
host: {memory: 6GiB, profile: esxi6, advanced: {Mem.ShareForceSalting: 0, Mem.ShareScanTime: 2}}
vms:
  - {name: w1, memory: 2GiB, guest: windows, workload: {boot: zero, footprint: 70%, active: 30%}}
  - {name: w2, memory: 2GiB, guest: windows, workload: {boot: zero, footprint: 70%, active: 30%}}
  - {name: l1, memory: 2GiB, guest: linux, workload: {footprint: 85%, active: 40%}}
  - {name: l2, memory: 2GiB, guest: linux, workload: {footprint: 85%, active: 40%}}
"""


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_breaking_the_host_in_parts_ends_as_breaking_it_at_once(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large pages broken and shared a few at a time give the same run, record for record, as
    one pass: a page without a partner in one part is a hint that a later part joins."""
    import memsim
    from memsim.model.reclaim import sharing

    whole = memsim.run(scenario(BREAKING_HOST))
    broken = whole.host["shared"].diff().max()
    assert broken > 0  # the host broke large pages and shared from their hashes
    monkeypatch.setattr(sharing, "BREAK_CHUNK", chunk)
    parts = memsim.run(scenario(BREAKING_HOST))
    pd.testing.assert_frame_equal(whole.host, parts.host)
    pd.testing.assert_frame_equal(whole.vms, parts.vms)
