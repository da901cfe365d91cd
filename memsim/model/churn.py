"""A working set that moves: the guest turns to data it used less (docs/model.md §8).

A kernel compile works through its source tree: the files it reads and the objects it writes
this minute are not the ones of the last, so a share of its working set is replaced every
minute by pages that were cold. The workload key ``churn`` is that share per minute. Each step a
VM with ``churn`` moves a Poisson number of pages (mean ``churn × working set × progress × dt /
60``): as many uniformly drawn working-set ranks trade places with uniformly drawn cold in-use
ranks (at or above the working-set threshold, below the footprint and below the balloon's
region), through :meth:`GuestMemory.exchange <memsim.model.pages.GuestMemory.exchange>`.

What this changes is where reclaimed pages are. A cold page the host swapped or compressed
that becomes hot faults on its next touch, and on a VM at its limit the page it faults in
costs another random page — so host swapping keeps costing a churning guest for as long as it
runs, while a ballooned one, whose balloon took the top (free and page-cache) ranks, keeps its
moving working set resident ([VMW-WP], VALIDATION.md V7).
"""

from __future__ import annotations

import numpy as np

from memsim.model import kernels
from memsim.model.arrays import Index, Vec
from memsim.model.pages import GuestMemory


def move_working_sets(
    gm: GuestMemory,
    churn: Vec,
    footprint: Index,
    region: Index,
    progress: Vec,
    dt: float,
    rng: np.random.Generator,
) -> None:
    """Move the working sets of the VMs with ``churn`` for ``dt`` seconds.

    Args:
        gm: guest pages (``gm.ws`` is each working-set threshold).
        churn: per VM, share of the working set replaced per minute (0: none).
        footprint: guest pages in use (rank threshold) per VM.
        region: first rank each VM's balloon holds.
        progress: share of the last step each guest was not stalled (a stalled guest works,
            and so moves, less).
        dt: step length, s.
        rng: the run's generator; drawn from only when some VM churns.
    """
    hot = np.minimum(gm.ws, region)
    cold = np.maximum(np.minimum(footprint, region) - gm.ws, 0)
    moving = (churn > 0) & (hot > 0) & (cold > 0)
    if not moving.any():
        return
    vms = np.flatnonzero(moving)
    expected = churn[vms] * hot[vms] * progress[vms] * dt / 60.0
    count = np.minimum(rng.poisson(expected), np.minimum(hot[vms], cold[vms]))
    total = int(count.sum())
    if total == 0:
        return
    owner = np.repeat(vms, count)
    here = kernels.distinct_draws(hot[vms], count, rng.random(total))
    there = kernels.distinct_draws(cold[vms], count, rng.random(total)) + gm.ws[owner]
    gm.exchange(owner, here, there)
