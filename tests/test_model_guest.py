"""Unit tests of the guests (memsim/model/guest.py): boot zeroing, growth, stalls (§6, §8)."""

from __future__ import annotations

import numpy as np

from memsim.model.pages import PageState
from tests.support.helpers import started

BOOT = """
name: boot
duration: 10min
host: {memory: 2GiB, vmkernel: 100MiB}
vms:
  - name: zeroing
    memory: 128MiB
    workload: {footprint: 64MiB, active: 32MiB, boot: zero}
  - name: quiet
    memory: 128MiB
    power_on: 5min
    workload: {footprint: 64MiB, active: 32MiB}
"""


def test_a_zeroing_guest_touches_every_page_then_grows_to_its_footprint() -> None:
    sim = started(BOOT, seed=1)
    guests, gm = sim.guests, sim.host.gm
    sim.env.run(until=240)
    assert guests.footprint[1] == 0 and not sim.host.on[1]  # not powered on yet
    sim.env.run(until=420)
    assert guests.boot_left[0] == 0
    assert gm.count(PageState.UNTOUCHED)[0] == 0  # zeroed pages are touched (zero or shared)
    assert gm.count(PageState.UNTOUCHED)[1] > 0  # a guest that does not zero leaves some
    assert (guests.footprint == guests.target).all() and guests.target[0] == 64 * 256
    assert guests.active[0] == 32 * 256
    sim.host.check_identity()


def test_stall_is_the_sum_of_its_causes_and_progress_a_share() -> None:
    sim = started(BOOT, seed=1)
    sim.env.run(until=120)
    guests = sim.guests
    total = sum(guests.stall_by.values())
    assert np.allclose(guests.stall, total)
    assert ((guests.progress >= 0) & (guests.progress <= 1)).all()


def test_power_off_forgets_the_workload() -> None:
    sim = started(BOOT, seed=1)
    sim.env.run(until=60)
    sim.host.release(0)
    sim.guests.power_off(0)
    g = sim.guests
    assert g.footprint[0] == g.target[0] == g.active[0] == g.boot_left[0] == 0
    assert sim.host.gm.ws[0] == 0
    sim.host.check_identity()
