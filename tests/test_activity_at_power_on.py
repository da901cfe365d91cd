"""The active-memory estimate at power-on (docs/model.md §6): it starts from
``Memsim.ActiveAtPowerOn``, not 100 %, and boot zeroing counts as touches."""

from __future__ import annotations

from memsim.api import run
from tests.support.helpers import scenario

IDLE = """
name: idle-at-power-on
duration: 5min
seed: 3
record_every: 30s
host: {memory: 4GiB}
vms:
  - name: idle
    memory: 512MiB
    workload: {boot: lazy, footprint: 64MiB, active: 8MiB}
  - name: zeroing
    memory: 512MiB
    guest: windows
    workload: {boot: zero, footprint: 64MiB, active: 8MiB}
"""


def _active(results, vm: str):
    vms = results.vms
    return vms[vms["vm"] == vm]["active"]


def test_idle_vm_is_not_estimated_fully_active_after_four_and_a_half_minutes() -> None:
    r = run(scenario(IDLE))
    idle = _active(r, "idle")
    assert idle.loc[270.0] < 0.2 * 512  # its working set is 8 MiB of 512
    assert idle.loc[0.0] == 0.0  # nothing touched at power-on


def test_boot_zeroing_shows_as_a_spike_of_activity() -> None:
    r = run(scenario(IDLE))
    zeroing, idle = _active(r, "zeroing"), _active(r, "idle")
    # zeroing 512 MiB at 256 MiB/s touches every page in the first sample period
    spike = zeroing.loc[0.0:90.0].max()
    assert spike > 0.5 * 512
    assert spike > 3 * idle.loc[0.0:90.0].max()
    # ... and the spike decays once the guest is idle
    assert zeroing.loc[270.0] < 0.5 * spike


def test_start_value_is_a_setting() -> None:
    text = IDLE.replace("{memory: 4GiB}", "{memory: 4GiB, advanced: {Memsim.ActiveAtPowerOn: 100}}")
    r = run(scenario(text))
    assert _active(r, "idle").loc[0.0] == 512.0
