"""The clear state and the scheduler agree (docs/model.md §1): one free-memory target per state,
large pages broken and TPS called actively in clear."""

from __future__ import annotations

import numpy as np
import pytest

import memsim
from memsim.model.reclaim.sharing import scan_quota
from memsim.model.scheduler import schedule
from memsim.model.states import MemState
from memsim.scenario.advanced import defaults
from tests.support.helpers import scenario, started


def _sim(profile: str):  # type: ignore[no-untyped-def]
    return started(
        f"""
name: s
duration: 1min
host: {{memory: 4GiB, profile: {profile}}}
vms: [{{name: a, memory: 1GiB, workload: {{footprint: 0, active: 0}}}}]
"""
    )


@pytest.mark.parametrize("profile", ["classic", "esxi5", "esxi6"])
def test_one_free_target_in_every_state(profile: str) -> None:
    host = _sim(profile).host
    levels = host.thresholds.levels
    targets = set()
    for state in MemState:
        host.state = state
        targets.add(host.free_target())
    # the threshold at which the host climbs out of soft, whatever the state
    assert targets == {levels[MemState.CLEAR]}
    if profile == "esxi6":  # minFree (clear), not 400 % of it (high)
        assert levels[MemState.CLEAR] == host.thresholds.min_free < levels[MemState.HIGH]
    else:  # the high threshold, as [OSDI02] §6.3 keeps it
        assert levels[MemState.CLEAR] == levels[MemState.HIGH]


BAND = """
name: band
duration: 6min
seed: 2
record_every: 10s
host: {memory: 4GiB, profile: esxi6, cpu_ghz: 8}
vms:
  - name: w
    count: 3
    memory: 768MiB
    guest: windows
    workload: {boot: zero, footprint: 60%, active: 10%}
  - name: late
    memory: 1536MiB
    power_on: 2min
    workload: {boot: lazy, footprint: 80%, active: 20%}
"""


def test_no_vm_is_entitled_below_its_consumption_while_nothing_is_reclaimed() -> None:
    """esxi6 between 100 % and 400 % of minFree: entitlement covers consumed (it used to be
    computed as if 400 % of minFree had to stay free, showing SZTGT < consumed, MCTLTGT 0)."""
    results = memsim.run(scenario(BAND))
    host, vms = results.host.reset_index(), results.vms.reset_index()
    min_free = float(host["minFree"].iloc[0])
    band = host[(host.free < 4 * min_free) & (host.free > min_free)]
    assert len(band) > 5  # the run spends time in the band
    quiet = vms[vms.time.isin(band.time)]
    assert (quiet.vmmemctltarget == 0).all() and (quiet.swaptarget == 0).all()
    assert (quiet.entitlement >= quiet.consumed - 0.01).all()


def test_schedule_in_the_band_takes_nothing() -> None:
    sim = started(BAND)
    sim.env.run(until=240.0)
    host = sim.host
    assert host.state == MemState.HIGH
    assert host.thresholds.min_free < host.free() < host.thresholds.levels[MemState.HIGH]
    t = schedule(host, sim.balloons, sim.activity.estimate, sim.guests.target, sim.settings)
    on = host.on
    assert np.all(t.entitlement[on] >= host.consumed()[on] - 1e-6)
    assert not t.balloon.any() and not t.swap.any()


def test_clear_breaks_large_pages_and_calls_tps_actively() -> None:
    host = _sim("esxi6").host
    assert not host.shares_actively() and not host.breaks_large_pages(25.0)
    host.state = MemState.CLEAR
    assert host.shares_actively() and host.breaks_large_pages(25.0)
    older = _sim("esxi5").host
    assert not older.breaks_large_pages(25.0)
    older.state = MemState.SOFT
    assert not older.shares_actively() and older.breaks_large_pages(25.0)
    older.state = MemState.HIGH  # ballooning starts early (a wide margin): reclamation started
    wide = 100.0 * older.free() / older.thresholds.levels[MemState.SOFT]
    assert older.breaks_large_pages(wide)


def test_active_tps_scans_faster_by_the_documented_factor() -> None:
    settings = defaults("esxi6")
    sizes, on = np.array([262144, 131072]), np.ones(2, bool)
    calm = scan_quota(sizes, on, settings, 100.0, 10.0)
    active = scan_quota(sizes, on, settings, 100.0, 10.0, active=True)
    assert np.allclose(active, calm * settings["Memsim.ShareScanClear"])
    assert settings["Memsim.ShareScanClear"] > 1
    # the host-wide cap scales too
    capped = scan_quota(sizes, on, settings, 0.01, 10.0)
    capped_active = scan_quota(sizes, on, settings, 0.01, 10.0, active=True)
    assert capped_active.sum() == pytest.approx(capped.sum() * settings["Memsim.ShareScanClear"])
