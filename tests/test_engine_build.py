"""The injectable build (memsim/engine/build.py): mechanisms passed in change the run they build."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from memsim.engine.build import Mechanisms, content_model, swap_device
from memsim.engine.simulation import Simulation
from memsim.model.reclaim.balloon import DriverSpec
from memsim.model.reclaim.swap import SwapDevice
from memsim.scenario import VM, Scenario
from memsim.workload.content import ContentModel
from tests.support.helpers import scenario

PRESSED = """
name: pressed
duration: 4min
record_every: 30s
host: {memory: 512MiB, vmkernel: 50MiB}
vms:
  - name: vm
    memory: 256MiB
    count: 3
    workload:
      footprint: 60MiB
      active: 50MiB
      phases: [{at: 1min, footprint: 220MiB, active: 200MiB}]
"""


def _never_inflates(vm: VM) -> DriverSpec:
    """A balloon policy of a researcher's: every driver stuck for the whole run."""
    return DriverSpec(stuck_from=0.0)


def test_defaults_are_memsims_own_mechanisms() -> None:
    sim = Simulation(scenario(PRESSED))
    assert isinstance(sim.content, ContentModel)
    assert sim.swapper.device == swap_device(sim.scenario)
    assert Mechanisms().content is content_model


def test_an_injected_balloon_policy_drives_the_balloons() -> None:
    default = Simulation(scenario(PRESSED)).run()
    assert default.vms["vmmemctl"].max() > 0  # the load needs ballooning at all
    stuck = Simulation(scenario(PRESSED), mechanisms=Mechanisms(balloon_driver=_never_inflates))
    results = stuck.run()
    assert results.vms["vmmemctl"].max() == 0
    assert results.vms["swapped"].max() > default.vms["swapped"].max()


def test_an_injected_swap_device_is_the_one_used() -> None:
    def slow_disk(s: Scenario) -> SwapDevice:
        return replace(swap_device(s), latency=0.05)

    sim = Simulation(scenario(PRESSED), mechanisms=Mechanisms(swap_device=slow_disk))
    assert sim.swapper.device.latency == 0.05
    slow = sim.run().vms["latency_swapin"]
    default = Simulation(scenario(PRESSED)).run().vms["latency_swapin"]
    assert np.all(np.isfinite(slow))
    assert slow.sum() > default.sum() > 0
