"""A working set that moves (memsim/model/churn.py, docs/model.md §2): host swapping keeps
costing a churning guest, ballooning does not, and the page bookkeeping stays exact."""

from __future__ import annotations

import numpy as np

from memsim.model.pages import PageState
from tests.support.helpers import started

#: two compiles at a limit, one host-swapped (no Tools) and one ballooned; the third VM is the
#: swapped compile without churn, for contrast
COMPILES = """
name: churn
duration: 16min
step: 1s
host: {memory: 4GiB, vmkernel: 200MiB, profile: esx41, swap: {device: disk}}
vms:
  - {name: moving-swap, memory: 512MiB, tools: false,
     workload: {footprint: 450MiB, active: 150MiB, cache: 50%, writes: 0%, churn: 20%}}
  - {name: moving-balloon, memory: 512MiB,
     workload: {footprint: 450MiB, active: 150MiB, cache: 50%, writes: 0%, churn: 20%}}
  - {name: still-swap, memory: 512MiB, tools: false,
     workload: {footprint: 450MiB, active: 150MiB, cache: 50%, writes: 0%}}
events:
  - {at: 3min, set: {vms.moving-swap.limit: 300MiB, vms.moving-balloon.limit: 300MiB,
                     vms.still-swap.limit: 300MiB}}
"""


def test_host_swapping_keeps_costing_a_moving_working_set_and_ballooning_does_not() -> None:
    sim = started(COMPILES, seed=3)
    sim.env.run(until=600)  # the swapped working-set pages have long faulted back
    stall = sim.guests.stall.copy()
    sim.env.run(until=960)
    late = (sim.guests.stall - stall) / 360
    assert late[0] > 0.05  # the moving compile still waits on swap-in
    assert late[2] < 0.005  # the still one stopped faulting
    assert late[1] < 0.005  # ballooned: the balloon took page cache, the working set stays in
    assert sim.balloons.size[1] > 0 and sim.balloons.size[0] == 0


def test_churn_keeps_counts_index_and_unique_contents_exact() -> None:
    """A churning VM that shrinks and regrows its footprint: each page keeps the contents of
    the rank it was laid out at, so a regrown rank never duplicates a page that moved away
    (the sharing table's check finds any solo page with a twin)."""
    text = COMPILES.replace(
        "writes: 0%, churn: 20%}}",
        "writes: 10%, churn: 50%, phases: [{at: 5min, footprint: 100MiB, active: 50MiB},"
        " {at: 7min, footprint: 450MiB, active: 150MiB}]}}",
    )
    sim = started(text, seed=5)
    host, gm = sim.host, sim.host.gm
    for t in range(30, 600, 30):
        sim.env.run(until=t)
        host.check_identity()
        host.sharing.check_links()
        assert np.array_equal(gm.exposed, gm.recount_exposed())
        assert np.array_equal(gm.away.keys(), gm.recount_away(sim.balloons.region_start()))
    assert gm.origins is not None
    for v in range(gm.n_vms):  # ranks are still a permutation of each VM's pages
        sl = gm.slice_of(v)
        size = sl.stop - sl.start
        assert np.array_equal(np.sort(gm.layout.order[sl]), np.arange(size))
        assert np.array_equal(np.sort(gm.origins[sl]), np.arange(size))
    # the still VM never moved: its pages sit at the ranks they were laid out at
    still = gm.slice_of(2)
    assert np.array_equal(gm.origins[still], np.arange(still.stop - still.start))
    moved = gm.origins[gm.slice_of(0)] != np.arange(gm.sizes[0])
    assert moved.sum() > 1000


def test_a_moved_reclaimed_page_is_exposed_where_it_lands() -> None:
    """Direct exchanges: a swapped cold page that trades with a resident hot one enters the
    working set (exposed and in the fault index), and back again when they trade back."""
    sim = started(COMPILES, seed=3)
    sim.env.run(until=240)
    gm = sim.host.gm
    vm, ws = 2, int(gm.ws[2])
    cold_ranks = np.arange(ws, int(sim.guests.footprint[vm]))
    cold_state = gm.state[gm.by_rank(np.full(len(cold_ranks), vm), cold_ranks)]
    hot_state = gm.state[gm.by_rank(np.full(ws, vm), np.arange(ws))]
    cold = int(cold_ranks[np.flatnonzero(cold_state >= PageState.SWAPPED)[0]])
    hot = int(np.flatnonzero(hot_state == PageState.PRIVATE)[0])
    exposed = int(gm.exposed[vm])
    pair = np.array([vm]), np.array([hot]), np.array([cold])
    gm.exchange(*pair)
    assert gm.exposed[vm] == exposed + 1
    keys = gm.away.keys()
    assert gm.offsets[vm] + hot in set(keys.tolist())
    assert gm.state[gm.by_rank(np.array([vm]), np.array([hot]))][0] >= PageState.SWAPPED
    gm.exchange(*pair)
    assert gm.exposed[vm] == exposed
    keys = gm.away.keys()
    assert gm.offsets[vm] + hot not in set(keys.tolist())
    assert np.array_equal(gm.away.keys(), gm.recount_away(sim.balloons.region_start()))
