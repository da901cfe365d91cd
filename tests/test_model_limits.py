"""Limits, reservations and the pure scheduler, unit by unit (:mod:`memsim.model.limits`,
:meth:`memsim.model.host.Host.grant`, :func:`memsim.model.scheduler.schedule`)."""

from __future__ import annotations

import numpy as np

from memsim.model.limits import Ceilings, limit_balloon
from memsim.model.scheduler import schedule
from memsim.model.states import MemState
from tests.support.helpers import started


def test_a_raised_limit_applies_at_once_and_a_lowered_one_is_followed_down() -> None:
    limit, size = np.array([100, 200]), np.array([200, 200])
    c = Ceilings(limit, size)
    assert c.limited.tolist() == [True, False]
    assert c.headroom(np.array([90.0, 50.0]))[0] == 10 and np.isinf(c.headroom(np.zeros(2))[1])
    c.set_limit(0, 50, use=90.0)  # lowered below what the VM holds
    assert c.ceiling[0] == 90.0 and c.headroom(np.array([90.0, 0]))[0] == 0
    c.follow(np.array([70.0, 0.0]))  # reclaimed some: the ceiling falls with it
    assert c.ceiling[0] == 70.0
    c.follow(np.array([80.0, 0.0]))  # and never rises again
    assert c.ceiling[0] == 70.0
    c.follow(np.array([20.0, 0.0]))  # down to the limit, no further
    assert c.ceiling[0] == 50.0
    c.set_limit(0, 150, use=20.0)
    assert c.ceiling[0] == 150.0


def test_the_limit_balloon_leaves_the_guest_its_limit_only_when_it_wants_more() -> None:
    size, limit = np.array([100, 100, 100]), np.array([40, 40, 100])
    demand = np.array([60, 30, 90])
    assert limit_balloon(size, limit, demand).tolist() == [60, 0, 0]


LOW = """
name: low
duration: 10min
host: {memory: 512MiB, vmkernel: 50MiB}
vms:
  - name: reserved
    memory: 256MiB
    reservation: 128MiB
    tools: false
    power_on: 2s
    workload: {footprint: 250MiB, active: 240MiB, content: {zero: 0%, shared: 0%, duplicate: 0%}}
  - name: hog
    memory: 512MiB
    tools: false
    workload:
      footprint: 500MiB
      active: 480MiB
      content: {zero: 0%, shared: 0%, duplicate: 0%}
      compressible: 0%
"""


def test_a_blocked_vm_still_gets_what_is_missing_of_its_reservation() -> None:
    sim = started(LOW)
    host = sim.host
    sim.env.run(until=4)  # the reserved VM has not yet touched all of its reservation
    host.state = MemState.LOW
    host.blocked[:] = True
    granted = host.granted()
    ok = host.grant(np.array([40_000, 40_000]))
    missing = max(int(host.vms.reservation[0] - granted[0]), 0)
    assert 0 < missing < host.free()
    assert ok[1] == 0
    assert ok[0] == min(missing, max(host.free(), 0))


def test_schedule_decides_without_changing_the_host_or_the_drivers() -> None:
    sim = started(LOW)
    sim.env.run(until=120)
    host, balloons = sim.host, sim.balloons
    before = (host.entitlement.copy(), balloons.target.copy(), host.gm.counts.copy())
    targets = schedule(host, balloons, sim.activity.estimate, sim.guests.target, sim.settings)
    assert np.array_equal(host.entitlement, before[0])
    assert np.array_equal(balloons.target, before[1])
    assert np.array_equal(host.gm.counts, before[2])
    protected = np.minimum(host.vms.reservation, host.touched())
    assert np.all(targets.entitlement[host.on] >= protected[host.on])
    assert np.all(targets.swap <= host.reclaimable())
