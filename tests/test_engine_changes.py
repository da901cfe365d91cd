"""Run-time rules: admission on unreserved memory, refused changes, settings that take effect
(docs/model.md §5, §6; :mod:`memsim.engine.changes`)."""

from __future__ import annotations

import pandas as pd
import pytest

from memsim.api import run
from memsim.scenario import ScenarioError
from memsim.scenario.advanced import RUNTIME_SETTINGS, SETTINGS
from tests.support.helpers import scenario, started

BUSY = """
name: busy
duration: 3min
host: {{memory: 1GiB, vmkernel: 64MiB, profile: esxi5}}
vms:
  - name: hog
    memory: 1GiB
    workload: {{boot: zero, footprint: 900MiB, active: 600MiB, content: {{zero: 0%}}}}
  - name: late
    memory: 1GiB
    reservation: {late_reservation}
    power_on: 90s
    workload: {{footprint: 200MiB, active: 100MiB}}
"""


def test_admission_uses_unreserved_not_free_memory() -> None:
    """A host low on free memory but with unreserved capacity admits a reserved VM and
    reclaims for it, as vCenter does."""
    r = run(scenario(BUSY.format(late_reservation="256MiB")))
    assert r.events[r.events.kind == "admission_refused"].empty
    assert "late" in set(r.events[r.events.kind == "power_on"].vm)
    late = r.vm("late")
    assert late.granted.iloc[-1] >= 199


def test_admission_refuses_what_unreserved_memory_cannot_cover() -> None:
    r = run(scenario(BUSY.format(late_reservation="980MiB")))
    refused = r.events[r.events.kind == "admission_refused"]
    assert refused.vm.tolist() == ["late"]
    assert "unreserved" in refused.detail.iloc[0]


def test_swap_file_must_fit_on_the_swap_device() -> None:
    text = BUSY.format(late_reservation="0").replace(
        "profile: esxi5}", "profile: esxi5, swap: {device: disk, capacity: 1500MiB}}"
    )
    r = run(scenario(text))
    refused = r.events[r.events.kind == "admission_refused"]
    assert refused.vm.tolist() == ["late"]
    assert "swap file" in refused.detail.iloc[0]


def test_a_power_on_without_free_memory_for_its_overhead_waits_and_reclaims() -> None:
    text = """
name: wait
duration: 3min
host: {memory: 1GiB, vmkernel: 64MiB}
vms:
  - name: hog
    memory: 1GiB
    tools: false
    workload:
      footprint: 1GiB
      active: 900MiB
      content: {zero: 0%, shared: 0%, duplicate: 0%}
      compressible: 0%
  - {name: late, memory: 8GiB, power_on: 60s, workload: {footprint: 200MiB, active: 100MiB}}
"""
    sim = started(text)
    sim.env.run(until=sim.scenario.duration)
    late = [(e["time"], e["kind"]) for e in sim.events if e["vm"] == "late"]
    assert late[0] == (60.0, "power_on_waiting")
    assert late[1][1] == "power_on" and late[1][0] < 90.0  # the host reclaimed for it
    assert sim.host.free() >= 0


RAISE = """
name: raise
duration: 2min
host: {memory: 1GiB, vmkernel: 64MiB}
vms:
  - {name: a, memory: 512MiB, reservation: 480MiB, workload: {footprint: 100MiB, active: 50MiB}}
  - {name: b, memory: 512MiB, workload: {footprint: 100MiB, active: 50MiB}}
events:
  - {at: 30s, set: {vms.b.reservation: 500MiB}}
  - {at: 40s, set: {vms.b.reservation: 100MiB}}
"""


def test_a_reservation_raised_beyond_unreserved_memory_is_refused_and_kept() -> None:
    r = run(scenario(RAISE))
    refused = r.events[r.events.kind == "reservation_refused"]
    assert refused.vm.tolist() == ["b"]
    assert "unreserved" in refused.detail.iloc[0]
    b = r.vm("b")
    assert b.reservation.loc[20.0] == 0  # before
    assert b.reservation.loc[60.0] == 100  # the refused change left 0; the next one fits


def test_a_workload_event_on_a_vm_refused_at_admission_is_refused_too() -> None:
    text = """
name: early
duration: 2min
host: {memory: 1GiB, vmkernel: 64MiB}
vms:
  - {name: a, memory: 512MiB, reservation: 500MiB, workload: {footprint: 100MiB, active: 50MiB}}
  - {name: b, memory: 512MiB, reservation: 500MiB, power_on: 5s}
events:
  - {at: 10s, set: {vms.b.workload.footprint: 300MiB}}
"""
    r = run(scenario(text))
    kinds = r.events[r.events.vm == "b"].kind.tolist()
    assert kinds == ["admission_refused", "setting_refused"]


CHANGED = {
    "Mem.IdleTax": 0,
    "Mem.SamplePeriod": 5,
    "Mem.BalancePeriod": 1,
    "Mem.ShareScanTime": 1,
    "Mem.ShareScanGHz": 0,
    "Mem.CtlMaxPercent": 5,
    "Mem.MemZipEnable": 0,
    "Mem.MemZipMaxPct": 1,
    "Mem.MinFreePct": 30,
    "Mem.MemMinFreePct": 30,
    "Memsim.StateHysteresis": 100,
    "Memsim.BalloonMargin": 100,
    "Memsim.BalloonInHard": 0,
    "Memsim.SampleSize": 3,
    "Memsim.ActiveFastGain": 0.02,
    "Memsim.ActiveSlowGain": 0.9,
    "Memsim.ActiveAtPowerOn": 100,
    "Memsim.CompressRate": 1,
    "Memsim.DecompressLatency": 100000,
    "Memsim.GuestSwapLatency": 1,
    "Memsim.GuestMemMapPct": 20,
    "Memsim.TouchRate": 1,
    "Memsim.ZeroRate": 1,
    "Memsim.ShareScanPeriod": 100,
    "Memsim.TouchPeriod": 1000,
    "Memsim.ShareScanClear": 50,
}

PRESSURE = """
name: pressure
duration: 6min
step: 1s
host: {{memory: 1GiB, vmkernel: 64MiB, profile: {profile}, swap: disk}}
vms:
  - name: a
    memory: 512MiB
    guest: windows
    workload:
      boot: zero
      footprint: 400MiB
      active: 250MiB
      writes: 20%
      phases: [{{at: 3min, footprint: 500MiB, active: 300MiB}}]
  - name: b
    memory: 512MiB
    tools: false
    workload: {{footprint: 420MiB, active: 300MiB, heap: 50%}}
  - name: c
    memory: 384MiB
    guest: windows
    power_on: 90s
    workload: {{boot: zero, footprint: 300MiB, active: 60MiB, dataset: 250MiB}}
events:
  - {{at: 60s, set: {{host.advanced.{name}: {value}}}}}
"""


def test_every_setting_is_either_run_time_or_fixed_with_a_reason() -> None:
    assert set(CHANGED) == set(RUNTIME_SETTINGS)
    for name, setting in SETTINGS.items():
        assert (name in RUNTIME_SETTINGS) != bool(setting.fixed)


@pytest.mark.parametrize("name", sorted(CHANGED))
def test_a_run_time_setting_changed_by_an_event_changes_the_outcome(name: str) -> None:
    special = {"Mem.MinFreePct": "esx41", "Memsim.ShareScanClear": "esxi6"}  # where it acts
    profile = special.get(name, "esxi5")
    base = PRESSURE.format(profile=profile, name=name, value=SETTINGS[name].default_for(profile))
    changed = PRESSURE.format(profile=profile, name=name, value=CHANGED[name])
    a, b = run(scenario(base)), run(scenario(changed))
    assert not (a.vms.equals(b.vms) and a.host.equals(b.host)), f"{name} changed nothing"
    pd.testing.assert_frame_equal(a.host.iloc[:3], b.host.iloc[:3])  # same until the event


@pytest.mark.parametrize("name", sorted(n for n, s in SETTINGS.items() if s.fixed))
def test_a_fixed_setting_in_an_event_is_a_located_error(name: str) -> None:
    text = PRESSURE.format(profile="esxi5", name=name, value=1)
    with pytest.raises(Exception, match=r"fixed for the run") as info:
        scenario(text)
    assert "<test>:" in str(info.value)


def test_readme_lists_what_events_may_change() -> None:
    from pathlib import Path

    from memsim.scenario.advanced import RUNTIME_KEYS

    readme = Path(__file__).parents[1].joinpath("README.md").read_text()
    section = readme.split("### Limits, reservations, admission and run-time changes")[1]
    section = section.split("\n## ")[0]
    for name in [*RUNTIME_SETTINGS, *RUNTIME_KEYS["vm"], *RUNTIME_KEYS["workload"]]:
        assert f"`{name}`" in section, name
    for name, setting in SETTINGS.items():
        if setting.fixed:
            assert f"`{name}`" in section.split("Fixed for a run")[1], name


def test_a_lowered_limit_is_reached_at_the_swap_device_pace_and_never_exceeded_again() -> None:
    text = """
name: lowered
duration: 3min
host: {memory: 4GiB, vmkernel: 100MiB, swap: {latency: 5ms, bandwidth: 50MiB/s}}
vms:
  - name: v
    memory: 2GiB
    tools: false
    workload:
      footprint: 1GiB
      active: 200MiB
      content: {zero: 0%, shared: 0%, duplicate: 0%}
      compressible: 0%
events:
  - {at: 60s, set: {vms.v.limit: 512MiB}}
"""
    sim = started(text)
    host = sim.host
    use = []
    for t in range(1, 180):
        sim.env.run(until=t)
        use.append(float(host.limited_use()[0]) * 4096 / 2**20)
    after = use[60:]
    assert max(use[:59]) > 1000  # the VM held 1 GiB before the change
    assert all(b <= a + 1e-9 for a, b in zip(after, after[1:], strict=False))  # only falls
    reached = next(i for i, u in enumerate(after) if u <= 512)
    # 512 MiB at 50 MiB/s is about 10 s, plus up to one balance period to notice
    assert 8 <= reached <= 10 + 15 + 2
    assert max(after[reached:]) <= 512


WAITING = """
name: waiting
duration: 2min
host: {memory: 4GiB, vmkernel: 200MiB, profile: esxi5}
vms:
  - name: hog
    memory: 4GiB
    tools: false
    workload: {boot: zero, footprint: 3800MiB, active: 3GiB}
  - name: r1
    memory: 2GiB
    reservation: 1700MiB
    overhead: 300MiB
    power_on: 30s
    power_off: 31s
  - {name: r2, memory: 2GiB, reservation: 1700MiB, overhead: 300MiB, power_on: 30s}
"""


def test_admitted_vms_waiting_for_memory_count_as_reserved_and_can_power_off() -> None:
    sim = started(WAITING)
    sim.env.run(until=sim.scenario.duration)
    events = [(e["time"], e["kind"], e["vm"]) for e in sim.events if e["vm"] in ("r1", "r2")]
    kinds = {(kind, vm) for _, kind, vm in events}
    assert ("power_on_waiting", "r1") in kinds
    assert ("admission_refused", "r2") in kinds  # r1, admitted and waiting, holds its share
    assert ("power_off", "r1") in kinds and ("power_on", "r1") not in kinds
    assert not sim.host.on[1]


def test_a_sample_period_changed_by_an_event_takes_effect_at_once() -> None:
    text = """
name: period
duration: 2min
host: {memory: 1GiB, vmkernel: 64MiB, advanced: {Mem.SamplePeriod: 30}}
vms:
  - {name: a, memory: 512MiB, workload: {footprint: 100MiB, active: 50MiB}}
events:
  - {at: 61s, set: {host.advanced.Mem.SamplePeriod: 5}}
"""
    sim = started(text)
    times: list[float] = []
    sample = sim.activity.sample

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        times.append(float(sim.env.now))
        return sample(*args, **kwargs)

    sim.activity.sample = counted  # type: ignore[method-assign]
    sim.env.run(until=80)
    assert times == [30.0, 60.0, 65.0, 70.0, 75.0]


def test_events_are_held_to_active_within_footprint_through_phases() -> None:
    text = """
name: held
duration: 2min
host: {memory: 4GiB}
vms:
  - name: a
    memory: 2GiB
    workload: {footprint: 1GiB, active: 200MiB, phases: [{at: 30s, footprint: 1500MiB}]}
events:
  - {at: 10s, set: {vms.a.workload.active: 1200MiB}}
  - {at: 40s, set: {vms.a.workload.active: 1200MiB}}
  - {at: 50s, set: {vms.a.workload.footprint: 100MiB}}
"""
    with pytest.raises(ScenarioError) as info:
        scenario(text)
    messages = [str(e) for e in info.value.errors]
    assert messages == [
        "<test>:10:44: events[0].set.vms.a.workload.active: active 1200MiB would be above "
        "footprint 1GiB",
        "<test>:12:47: events[2].set.vms.a.workload.footprint: active 1200MiB would be above "
        "footprint 100MiB",
    ]
