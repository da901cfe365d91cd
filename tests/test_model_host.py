"""Host admission and power-on/off in the model (docs/model.md §6): admit, start, release."""

from __future__ import annotations

import numpy as np
import pytest

from memsim.engine.simulation import Simulation
from memsim.model.pages import PageState
from tests.support.helpers import scenario

TWO = """
name: two
duration: 1min
host: {memory: 1GiB, vmkernel: 100MiB}
vms:
  - {name: big, memory: 512MiB, reservation: 500MiB}
  - {name: also, memory: 512MiB, reservation: 500MiB}
"""


def test_admit_holds_the_overhead_pending_and_refuses_what_does_not_fit() -> None:
    sim = Simulation(scenario(TWO))
    host = sim.host
    assert host.admit(0) is None
    assert host.starting[0] and host.pending[0] == sim.vms.overhead[0]
    refused = host.admit(1)
    assert refused is not None and "insufficient resources" in refused
    assert not host.starting[1] and host.pending[1] == 0


def test_start_and_release_leave_every_page_accounted() -> None:
    sim = Simulation(scenario(TWO))
    host = sim.host
    assert host.admit(0) is None
    host.start(0, sim.rng)
    assert host.on[0] and not host.starting[0] and host.pending[0] == 0
    assert host.ceilings.ceiling[0] == sim.vms.limit[0]
    host.check_identity()
    host.release(0)
    assert not host.on[0]
    sl = host.gm.slice_of(0)
    assert np.all(host.gm.state[sl] == PageState.UNTOUCHED)
    host.check_identity()


def test_cancel_start_forgets_an_admitted_vm() -> None:
    sim = Simulation(scenario(TWO))
    host = sim.host
    assert host.admit(0) is None
    host.cancel_start(0)
    assert not host.starting[0] and host.pending[0] == 0
    assert host.admit(1) is None  # its reservation no longer counts


def test_check_identity_catches_a_running_total_that_drifts() -> None:
    """The running totals that :meth:`Host.used` reads are checked against their recount,
    each on its own (a drift in one would otherwise show only through free memory)."""
    sim = Simulation(scenario(TWO))
    host = sim.host
    assert host.admit(0) is None
    host.start(0, sim.rng)
    host.check_identity()
    for owner, name in ((host, "overhead_on"), (host.compressor, "cache_pages_total")):
        setattr(owner, name, getattr(owner, name) + 1)
        with pytest.raises(AssertionError, match="running totals"):
            host.check_identity()
        setattr(owner, name, getattr(owner, name) - 1)
    host.check_identity()
