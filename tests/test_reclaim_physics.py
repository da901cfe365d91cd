"""Reclamation keeps to its physics (docs/model.md §3–§5): swap-out within the device's bandwidth,
compression within the CPU's rate, swap goals that follow a growing VM, and the balloon driver's
adaptive sleeping-allocation rate of ``vmw_balloon``."""

from __future__ import annotations

import numpy as np
import pytest

from memsim.api import run
from memsim.model.reclaim.balloon import SLOW_CYCLES, SLOW_INC, SLOW_MAX, SLOW_MIN
from tests.support.helpers import scenario, started

SWAPPING = """
name: swapping
duration: 3min
step: 1s
record_every: 1s
host: {{memory: 1GiB, vmkernel: 64MiB, profile: esxi5, swap: disk,
        advanced: {{Memsim.CompressRate: {rate}}}}}
vms:
  - name: grow
    count: 2
    memory: 512MiB
    tools: false
    workload:
      footprint: 100MiB
      active: 80MiB
      compressible: 60%
      content: {{zero: 0%, shared: 0%, duplicate: 0%}}
      phases: [{{at: 30s, footprint: 500MiB, active: 300MiB}}]
"""
PAGES_PER_MIB = 256


@pytest.mark.parametrize("rate", [100, 10])
def test_swap_out_keeps_to_the_bandwidth_and_compression_to_the_cpu_rate(rate: int) -> None:
    r = run(scenario(SWAPPING.format(rate=rate)))
    host = r.host
    assert host["swapped"].iloc[-1] > 50 and host["compressed"].iloc[-1] > 10
    # the disk writes 100 MiB/s, cache evictions included, whatever compression does
    assert host["swapoutRate"].max() <= 100.0 + 1e-9
    zipped = r.vms.groupby(level="time")["compressionRate"].sum()
    assert zipped.max() <= rate + 1e-9
    if rate == 10:  # a slow CPU is what limits compression
        assert zipped.max() > 0.5 * rate


def test_swap_goals_follow_growing_vms_every_step() -> None:
    """Growth outruns the host once (high → low in one step); after that the goals follow the
    VMs every step, so the host does not fall back to low each time it grows again."""
    r = run(scenario(SWAPPING.format(rate=100)))
    states = r.events[r.events.kind == "state"].detail
    assert sum(s.endswith("-> low") for s in states) <= 1
    assert (r.host["state"] == "low").sum() <= 2


BALLOON = """
name: balloon
duration: 2min
host: {memory: 4GiB}
vms:
  - name: vm
    memory: 1GiB
    workload: {boot: lazy, footprint: 980MiB, active: 100MiB, cache: 0%}
"""


def _polls(sim, target: int, n: int) -> list[int]:
    balloons, g, host = sim.balloons, sim.guests, sim.host
    balloons.target[:] = target
    sizes = []
    for k in range(n):
        balloons.step(200.0 + k, 1.0, host.on, g.footprint, g.cache, host.reclaimable())
        sizes.append(int(balloons.size[0]))
    return list(np.diff([0, *sizes]))


def test_balloon_slow_rate_adapts_as_vmw_balloon_does() -> None:
    sim = started(BALLOON)
    sim.env.run(until=100)
    free = int(sim.vms.size[0] - sim.guests.footprint[0])
    assert 0 < free < 16384
    steps = _polls(sim, 200_000, 90)
    # poll 1: the free pages without sleeping, then sleeping up to the rate
    assert steps[0] == max(free, SLOW_MIN)
    # then sleeping allocations at the rate, which grew by 16 for each 512 pages of poll 1 and
    # grows by 16 for each full poll after it, up to 2048
    rate = SLOW_MIN + SLOW_INC * (steps[0] // SLOW_MIN)
    expected = [min(rate + SLOW_INC * k, SLOW_MAX) for k in range(len(steps) - 1)]
    assert steps[1:] == expected
    assert SLOW_MAX in steps


def test_balloon_goes_back_to_fast_allocation_after_the_slow_cycles() -> None:
    sim = started(BALLOON)
    sim.env.run(until=100)
    _polls(sim, 200_000, 2)  # into the guest's used memory: sleeping allocations
    sim.guests.footprint[:] = 0  # the guest frees everything it used
    steps = _polls(sim, 200_000, SLOW_CYCLES + 1)
    # the failing poll and the next three sleep: two of them are left
    assert max(steps[: SLOW_CYCLES - 2]) < 16384
    assert steps[-1] == 16384  # then fast again
