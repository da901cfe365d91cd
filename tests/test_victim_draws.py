"""Swap victims drawn in draw order (``Swapper.victims``) against the sort-and-shuffle sampler.

The model walks its uniform draws with replacement in draw order and takes each VM's first
distinct pages in the wanted state. The earlier sampler sorted the draws to make them
distinct, shuffled them with a permutation and took the first pages in the state from that
walk. Both give a uniform random subset of the VM's pages in the state, of the size asked or
of all the distinct pages in the state drawn; the random stream differs, so the comparison is
statistical, over the same frozen host state and many seeds.

Thresholds (critical values written here, as in ``test_fault_draws``): means agree within 4
standard errors (two-sided p ≈ 6·10⁻⁵), and chi-square statistics stay below their 0.1 %
critical value. The seeds are fixed, so the test is deterministic.
"""

from __future__ import annotations

import numpy as np
import pytest

from memsim.engine.simulation import Simulation
from memsim.model.pages import PageState
from memsim.model.segments import distinct, pack, rank_within, unpack
from tests.support.helpers import started
from tests.test_model_reclaim import LOADED

SEEDS = 40
BINS = 8  #: hotness-rank bins of the two-sample comparison
CHI2_999_7 = 24.32  #: chi-square critical value at p = 0.001, 7 degrees of freedom


def old_victims(sim: Simulation, want: np.ndarray, rng: np.random.Generator):  # type: ignore[no-untyped-def]
    """The sampler before draw-order victims: distinct draws in page order, shuffled."""
    gm = sim.host.gm
    private = gm.count(PageState.PRIVATE)
    want = np.minimum(want, private)
    vms = np.flatnonzero(want)
    tries = np.ceil(want[vms] * gm.sizes[vms] / private[vms] * 1.3 + 8).astype(np.int64)
    tries = np.minimum(tries, gm.sizes[vms] * 4)
    owner = np.repeat(vms, tries)
    rank = np.floor(rng.random(len(owner)) * gm.sizes[owner]).astype(np.int64)
    pages, rank = unpack(distinct(pack(gm.by_rank(owner, rank), rank)))
    owner = gm.vm_of(pages)
    walk = rng.permutation(len(pages))
    pages, owner, rank = pages[walk], owner[walk], rank[walk]
    keep = np.flatnonzero(gm.state[pages] == PageState.PRIVATE)
    keep = keep[rank_within(owner[keep]) < want[owner[keep]]]
    return pages[keep], owner[keep], rank[keep]


@pytest.fixture(scope="module")
def sim() -> Simulation:
    s = started(LOADED, seed=3)
    s.env.run(until=120)
    return s


def _draws(sim: Simulation, want: np.ndarray, old: bool) -> list[tuple[np.ndarray, ...]]:
    out = []
    for seed in range(SEEDS):
        rng = np.random.default_rng([seed, int(old)])
        if old:
            out.append(old_victims(sim, want, rng))
        else:
            sim.swapper.rng = rng
            out.append(sim.swapper.victims(want))
    return out


def _sizes(draws: list[tuple[np.ndarray, ...]], vm: int) -> np.ndarray:
    return np.array([int((owner == vm).sum()) for _, owner, _ in draws], dtype=float)


def test_victims_are_uniform_over_the_private_pages(sim: Simulation) -> None:
    """Each private page of VM 0 is picked about equally often (chi-square over pages)."""
    gm = sim.host.gm
    want = np.array([400, 0])
    pool = np.flatnonzero(gm.state[gm.offsets[0] : gm.offsets[1]] == PageState.PRIVATE)
    sim.swapper.rng = np.random.default_rng(7)
    draws = [sim.swapper.victims(want) for _ in range(1000)]
    assert all(len(p) == 400 for p, _, _ in draws)
    picks = np.concatenate([p for p, _, _ in draws])
    counts = np.bincount(picks - gm.offsets[0], minlength=int(gm.sizes[0]))[pool]
    expected = len(picks) / len(pool)
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    dof = len(pool) - 1
    # large degrees of freedom: chi-square ≈ normal(dof, 2·dof); 4.4 SD ≈ p 5·10⁻⁶ one-sided
    assert abs(chi2 - dof) < 4.4 * np.sqrt(2 * dof)


@pytest.mark.parametrize("share", [0.2, 0.98])
def test_victims_match_the_shuffled_sampler(sim: Simulation, share: float) -> None:
    """Same size and same hotness ranks as the earlier sampler, asking for a few pages or for
    nearly all private pages (then the draws can run out before the quota)."""
    want = np.floor(sim.host.gm.count(PageState.PRIVATE) * share).astype(np.int64)
    new, old = _draws(sim, want, old=False), _draws(sim, want, old=True)
    for vm in range(len(want)):
        a, b = _sizes(new, vm), _sizes(old, vm)
        se = np.sqrt(a.var(ddof=1) / SEEDS + b.var(ddof=1) / SEEDS)
        assert abs(a.mean() - b.mean()) <= max(4 * se, 1e-9)
    ranks = [np.concatenate([r for _, _, r in d]) for d in (new, old)]
    edges = np.linspace(0, max(int(r.max()) for r in ranks) + 1, BINS + 1)  # the footprints
    table = np.array([np.histogram(r, edges)[0] for r in ranks], dtype=float)
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0) / table.sum()
    chi2 = float(((table - expected) ** 2 / expected).sum())
    assert (table > 0).all() and chi2 < CHI2_999_7
