"""Unit tests of the reclamation mechanisms on a live host: swap, compression, the pipeline,
balloon drivers (docs/model.md §3–§5), each checked against the host's accounting identity."""

from __future__ import annotations

import numpy as np
import pytest

from memsim.engine.simulation import Simulation
from memsim.model.pages import SOLO, PageState
from memsim.model.reclaim.pipeline import reclaim
from tests.support.helpers import started

LOADED = """
name: loaded
duration: 10min
host: {memory: 2GiB, vmkernel: 100MiB, swap_cache: 8MiB}
vms:
  - name: vm
    memory: 256MiB
    count: 2
    workload:
      footprint: 120MiB
      active: 60MiB
      compressible: 50%
      content: {zero: 0%, shared: 0%, duplicate: 10%}
"""


@pytest.fixture
def sim() -> Simulation:
    """Two VMs that have written their footprints, no reclamation yet."""
    s = started(LOADED, seed=3)
    s.env.run(until=120)
    assert (s.host.gm.count(PageState.PRIVATE) > 20_000).all()
    return s


def test_victims_are_distinct_private_pages_at_most_what_was_asked(sim: Simulation) -> None:
    want = np.array([500, 0])
    pages, owner, rank = sim.swapper.victims(want)
    assert len(np.unique(pages)) == len(pages) <= 500
    assert (owner == 0).all() and len(pages) > 400
    assert (sim.host.gm.state[pages] == PageState.PRIVATE).all()
    assert np.array_equal(sim.host.gm.by_rank(owner, rank), pages)


def test_swap_out_fills_the_cache_first_and_swap_in_pays_each_device(sim: Simulation) -> None:
    gm, swapper = sim.host.gm, sim.swapper
    pages, owner, _ = swapper.victims(np.array([3000, 0]))
    swapper.swap_out(pages, owner)
    cached = gm.count(PageState.SWAPPED_CACHE)
    assert cached.sum() == swapper.device.cache_pages  # 8 MiB of 4 KiB pages
    assert gm.count(PageState.SWAPPED)[0] == len(pages) - cached[0]
    sim.host.check_identity()
    back = pages[:100]
    from_cache = int((gm.state[back] == PageState.SWAPPED_CACHE).sum())
    waited = swapper.swap_in(back, owner[:100])
    expected = from_cache * swapper.device.cache_latency
    expected += (100 - from_cache) * swapper.device.latency
    assert waited[0] == pytest.approx(expected) and waited[1] == 0
    assert (gm.state[back] == PageState.PRIVATE).all()
    assert swapper.swapped_in[0] == 100 and swapper.swapped_out[0] == len(pages)


def test_compression_keeps_each_cache_within_its_cap(sim: Simulation) -> None:
    zipper = sim.host.compressor
    zipper.enabled, zipper.max_pct = True, 1.0
    pages, owner, _ = sim.swapper.victims(np.array([2000, 2000]))
    zipped, evicted, _ = zipper.compress(pages, owner)
    assert (zipper.cache_kib <= zipper.capacity_kib()).all()
    compressed = sim.host.gm.state[pages] == PageState.COMPRESSED
    assert 0 < compressed.sum() < len(pages)  # a 1 % cap cannot hold 2000 pages
    assert (compressed <= zipped).all()  # a page compressed now was taken (it may be evicted)
    assert len(np.intersect1d(evicted, pages[compressed])) == 0  # evicted pages left the cache
    held = zipper.cache_kib.copy()
    zipper.decompress(pages[compressed][:10], owner[compressed][:10])
    assert (zipper.cache_kib <= held).all() and zipper.cache_kib.sum() < held.sum()
    assert zipper.decompressed_total.sum() == 10


def test_the_solo_mark_comes_back_with_compressed_data(sim: Simulation) -> None:
    """Compressing keeps a page's SOLO mark in its cache record (docs/model.md §2): it comes
    back when the page is decompressed or evicted to swap, and only for pages that had it."""
    gm, zipper = sim.host.gm, sim.host.compressor
    zipper.enabled, zipper.max_pct = True, 1.0
    pages, owner, _ = sim.swapper.victims(np.array([2000, 0]))
    assert (gm.link[pages] == SOLO).any() and (gm.link[pages] == -1).any()  # unique and dup
    was_solo = dict(zip(pages.tolist(), (gm.link[pages] == SOLO).tolist(), strict=True))
    zipped, evicted, _ = zipper.compress(pages, owner)
    compressed = pages[gm.state[pages] == PageState.COMPRESSED]
    assert len(compressed) and not (gm.link[compressed] == SOLO).any()  # links hold tags now
    more, more_owner, _ = sim.swapper.victims(np.array([2000, 0]))
    _, evicted, evicted_owner = zipper.compress(more, more_owner)  # evicts the oldest
    evicted = evicted[np.isin(evicted, pages)]
    assert len(evicted)
    sim.swapper.swap_out(evicted, gm.vm_of(evicted))
    back = pages[gm.state[pages] == PageState.COMPRESSED]
    zipper.decompress(back, gm.vm_of(back))
    for returned in (evicted, back):
        expected = np.array([was_solo[p] for p in returned.tolist()])
        assert np.array_equal(gm.link[returned] == SOLO, expected)
        assert expected.any() and not expected.all()


def test_disabled_compression_hands_every_victim_back(sim: Simulation) -> None:
    zipper = sim.host.compressor
    zipper.enabled = False
    pages, owner, _ = sim.swapper.victims(np.array([100, 100]))
    zipped, evicted, _ = zipper.compress(pages, owner)
    assert not zipped.any() and len(evicted) == 0 and zipper.cache_kib.sum() == 0


def test_reclaim_takes_what_the_budget_allows_and_returns_the_goal_left(sim: Simulation) -> None:
    host, swapper = sim.host, sim.swapper
    swapper.budget = 300
    before = host.consumed().copy()
    goal = np.array([400, 200])
    left = reclaim(goal, host.sharing, host.compressor, swapper)
    taken = goal - left
    assert swapper.budget >= 0 and taken.sum() <= 300
    assert (left >= 0).all() and (left <= goal).all()
    assert (host.consumed() <= before).all()
    host.check_identity()
    swapper.budget = 0
    assert np.array_equal(reclaim(left, host.sharing, host.compressor, swapper), left)


def test_a_balloon_grows_toward_its_target_and_never_past_it(sim: Simulation) -> None:
    balloons, guests, host = sim.balloons, sim.guests, sim.host
    balloons.target = np.array([2000, 0])
    for t in range(5):
        balloons.step(120.0 + t, 1.0, host.on, guests.footprint, guests.cache, host.reclaimable())
        assert 0 <= balloons.size[0] <= 2000 and balloons.size[1] == 0
    assert balloons.size[0] > 0
    host.check_identity()
    balloons.power_off(0)
    assert balloons.size[0] == balloons.target[0] == 0


def test_a_stuck_driver_does_not_move(sim: Simulation) -> None:
    from memsim.engine.build import Mechanisms
    from memsim.model.reclaim.balloon import DriverSpec
    from memsim.scenario import loads

    stuck = Simulation(
        loads(LOADED, source="<test>"),
        seed=3,
        mechanisms=Mechanisms(balloon_driver=lambda vm: DriverSpec(stuck_from=0.0)),
    )
    b, g, h = stuck.balloons, stuck.guests, stuck.host
    b.target = np.array([2000, 2000])
    b.step(10.0, 1.0, np.ones(2, dtype=bool), g.footprint, g.cache, h.reclaimable())
    assert b.stuck.all() and (b.size == 0).all()


def test_the_fifo_keeps_within_twice_the_cached_pages(sim: Simulation) -> None:
    """Pages compressed and decompressed again and again leave stale FIFO records; the FIFO
    drops them when it fills instead of growing with every compression of the run."""
    gm, zipper = sim.host.gm, sim.host.compressor
    zipper.enabled = True
    for _ in range(40):
        pages, owner, _ = sim.swapper.victims(np.array([300, 300]))
        zipper.compress(pages, owner)
        back = pages[gm.state[pages] == PageState.COMPRESSED]
        zipper.decompress(back[5:], gm.vm_of(back[5:]))  # most come straight back
    cached = int(gm.count(PageState.COMPRESSED).sum())
    assert zipper.compressed_total.sum() > 10 * cached
    assert len(zipper._fifo_pages) <= max(2 * cached, 1024) * 2
    assert zipper._live().sum() == cached
