"""Fault-only touches (``Guests._draw_faults``) against drawing every touch.

The model draws the pages that fault directly: per VM a binomial number of distinct pages out
of its non-resident working-set pages. The earlier sampler drew every touch (a Poisson number
of uniform working-set ranks) and kept the distinct non-resident pages touched. Both must give
the same distribution; the random stream differs, so the comparison is statistical, over the
same frozen host state of an overcommitted run and many seeds.

Thresholds (scipy is not a dependency, so the critical values are written here): means agree
within 4 standard errors (two-sided p ≈ 6·10⁻⁵ per comparison), and the two-sample chi-square
of which kind of page faulted stays below its 0.1 % critical value. The seeds are fixed, so the
test is deterministic; the thresholds say how unlikely a failure of a correct sampler is.
"""

from __future__ import annotations

import numpy as np
import pytest

from memsim.engine.simulation import Simulation
from memsim.model.pages import PageState
from memsim.model.segments import random_ranks
from tests.support.helpers import started

SEEDS = 40
#: chi-square critical values at p = 0.001 by degrees of freedom
CHI2_999 = {1: 10.83, 2: 13.82, 3: 16.27, 4: 18.47, 5: 20.52}

TEXT = """\
name: faults
duration: 10min
seed: 3
host: {memory: 640MiB, vmkernel: 40MiB, profile: esxi6, swap: ssd}
vms:
  - name: ballooned
    count: 2
    memory: 256MiB
    workload:
      footprint: 160MiB
      active: 96MiB
      phases:
        - {at: 60s, footprint: 256MiB, active: 224MiB}
        - {at: 200s, footprint: 200MiB, active: 120MiB}
        - {at: 240s, footprint: 256MiB, active: 240MiB}
  - name: notools
    count: 2
    memory: 256MiB
    tools: false
    workload:
      footprint: 160MiB
      active: 96MiB
      phases: [{at: 60s, footprint: 256MiB, active: 240MiB}]
"""


def old_sampler(sim: Simulation, hit: np.ndarray, touches: float, rng: np.random.Generator):  # type: ignore[no-untyped-def]
    """The sampler before fault-only touches: every touch drawn, the faults filtered out."""
    g, gm = sim.guests, sim.host.gm
    count = np.where(hit, rng.poisson(g.active * g.progress * touches), 0)
    vms = np.flatnonzero(count)
    owner, rank = random_ranks(vms, count[vms], g.active[vms], rng)
    pages = gm.by_rank(owner, rank)
    away = gm.state[pages] >= PageState.BALLOONED
    pages, first = np.unique(pages[away], return_index=True)
    return pages, owner[away][first]


@pytest.fixture(scope="module")
def frozen() -> tuple[Simulation, np.ndarray, float]:
    """An overcommitted run stopped where touches fault, and which VMs may fault."""
    sim = started(TEXT)
    sim.env.run(until=300)
    g, gm = sim.guests, sim.host.gm
    region = sim.balloons.region_start()
    hit = sim.host.on & (g.active > 0) & ((gm.exposed > 0) | (region < g.active))
    return sim, hit, 1.0 / sim.settings["Memsim.TouchPeriod"]


def _kinds(sim: Simulation, pages: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Kind of each faulting page: ballooned, guest-paged inside / below the balloon, host."""
    state = sim.host.gm.state[pages]
    kind = np.where(state >= PageState.COMPRESSED, 2, 0)
    kind[state == PageState.GUEST_SWAPPED] = 1
    kind[state == PageState.SWAPPED] = 3
    return kind


def test_fault_draws_match_the_touch_sampler(frozen) -> None:  # type: ignore[no-untyped-def]
    sim, hit, touches = frozen
    n = sim.host.vms.n
    assert hit.sum() >= 2  # the test means something only if VMs can fault
    new_counts, old_counts = np.zeros((SEEDS, n)), np.zeros((SEEDS, n))
    new_kinds, old_kinds = np.zeros(4), np.zeros(4)
    region = sim.balloons.region_start()
    for seed in range(SEEDS):
        pages, owner, rank = sim.guests._draw_faults(
            hit, touches, region, np.random.default_rng(seed)
        )
        assert len(np.unique(pages)) == len(pages) and np.all(np.diff(pages) > 0)
        assert np.all(sim.host.gm.state[pages] >= PageState.BALLOONED)
        assert np.all(rank < sim.guests.active[owner])
        new_counts[seed] = np.bincount(owner, minlength=n)
        new_kinds += np.bincount(_kinds(sim, pages, owner), minlength=4)
        pages, owner = old_sampler(sim, hit, touches, np.random.default_rng(10_000 + seed))
        old_counts[seed] = np.bincount(owner, minlength=n)
        old_kinds += np.bincount(_kinds(sim, pages, owner), minlength=4)
    # fault counts per VM: the two means agree, and both match the exact binomial mean
    g, gm = sim.guests, sim.host.gm
    _, indexed = gm.away.runs(np.arange(n))
    total = np.where(hit, indexed + np.maximum(g.active - region, 0), 0)
    q = -np.expm1(-touches * g.progress)
    mean, var = total * q, total * q * (1 - q)
    assert mean[hit].min() > 20  # enough faults per VM for the normal approximation
    se = np.sqrt(var / SEEDS)
    assert np.all(np.abs(new_counts.mean(0) - old_counts.mean(0)) <= 4 * np.sqrt(2) * se + 1e-9)
    assert np.all(np.abs(new_counts.mean(0) - mean) <= 4 * se + 1e-9)
    assert np.all(np.abs(old_counts.mean(0) - mean) <= 4 * se + 1e-9)
    # which pages fault: the same mix of kinds (two-sample chi-square)
    table = np.stack([new_kinds, old_kinds])[:, (new_kinds + old_kinds) > 0]
    assert table.shape[1] >= 2  # more than one kind of non-resident page is in play
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    chi2 = float(((table - expected) ** 2 / expected).sum())
    assert chi2 < CHI2_999[table.shape[1] - 1]


def test_no_fault_without_a_non_resident_page(frozen) -> None:  # type: ignore[no-untyped-def]
    sim, hit, touches = frozen
    none = np.zeros_like(hit)
    pages, owner, rank = sim.guests._draw_faults(
        none, touches, sim.balloons.region_start(), np.random.default_rng(0)
    )
    assert len(pages) == len(owner) == len(rank) == 0
