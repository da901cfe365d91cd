"""Invariants of the host model as properties over random scenarios (hypothesis).

managed = used + free exactly at every step; bounds (reservation, limit, balloon maximum) hold;
the same seed gives the same results bit for bit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from helpers import scenario, started
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from memsim.api import run
from memsim.model.scheduler import schedule, touched


@st.composite
def host_scenarios(draw):  # type: ignore[no-untyped-def]
    """A small random host: 2–4 VMs that may overcommit it, with phases and settings."""
    host_mib = draw(st.sampled_from([256, 384, 512]))
    profile = draw(st.sampled_from(["classic", "esx41", "esxi5", "esxi6"]))
    salting = draw(st.integers(0, 2))
    lines = [
        "name: prop",
        "duration: 4min",
        f"seed: {draw(st.integers(0, 10_000))}",
        "record_every: 20s",
        "host:",
        f"  memory: {host_mib}MiB",
        "  vmkernel: 40MiB",
        f"  profile: {profile}",
        f"  swap: {draw(st.sampled_from(['disk', 'ssd']))}",
        f"  swap_cache: {draw(st.sampled_from([0, 8]))}MiB",
        f"  advanced: {{Mem.ShareForceSalting: {salting}, Mem.ShareScanTime: 2}}",
        "vms:",
    ]
    for i in range(draw(st.integers(2, 4))):
        mem = draw(st.sampled_from([64, 96, 128]))
        fp = draw(st.integers(mem // 4, mem))
        act = draw(st.integers(1, fp))
        res = draw(st.sampled_from([0, mem // 4]))
        limit = draw(st.sampled_from(["unlimited", f"{max(res, mem // 2)}MiB"]))
        lines += [
            f"  - name: vm{i}",
            f"    memory: {mem}MiB",
            f"    reservation: {res}MiB",
            f"    limit: {limit}",
            f"    guest: {draw(st.sampled_from(['linux', 'windows']))}",
            f"    tools: {draw(st.booleans())}",
            f"    large_pages: {draw(st.booleans())}",
            f"    power_on: {draw(st.integers(0, 30))}s",
            "    workload:",
            f"      boot: {draw(st.sampled_from(['zero', 'lazy']))}",
            f"      footprint: {fp}MiB",
            f"      active: {act}MiB",
            f"      writes: {draw(st.sampled_from(['0%', '10%', '50%']))}",
            f"      phases: [{{at: 2min, footprint: {mem}MiB, active: {max(1, mem // 2)}MiB}}]",
        ]
    return "\n".join(lines) + "\n"


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking a run is too slow
)
@given(host_scenarios())
def test_identity_and_bounds_hold_at_every_step(text: str) -> None:
    sim = started(text)
    host, balloons = sim.host, sim.balloons
    for t in range(1, 240, 7):
        sim.env.run(until=t)
        host.check_identity()
        host.sharing.check_links()
        assert host.free() >= 0
        # the count of host-reclaimed working-set pages, kept incrementally, never drifts
        assert np.array_equal(host.gm.exposed, host.gm.recount_exposed())
        assert np.all(balloons.size <= np.maximum(balloons.maximum, balloons.size * 0))
        assert np.all(balloons.size[~host.vms.tools] == 0)
        # memory within a touched reservation is never reclaimed: the scheduler's goals never
        # reach below min(reservation, touched)
        goals = schedule(host, balloons, sim.activity.estimate, sim.guests.target, sim.settings)
        room = np.maximum(host.consumed() - np.minimum(host.vms.reservation, touched(host)), 0)
        growth = np.maximum(goals.balloon - balloons.size, 0)
        assert np.all(growth + goals.swap <= room + 1)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(host_scenarios())
def test_same_seed_same_results(text: str) -> None:
    a, b = run(scenario(text)), run(scenario(text))
    pd.testing.assert_frame_equal(a.vms, b.vms)
    pd.testing.assert_frame_equal(a.host, b.host)
    pd.testing.assert_frame_equal(a.events, b.events)
