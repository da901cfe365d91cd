"""Random valid scenarios, events included, on every profile: each validates, runs to the end
without an exception, and keeps the host's invariants at every step (hypothesis).

Events are drawn freely, also before a VM powers on and against its reservation: a scenario
that validates must run, so a drawn scenario that fails validation must fail with a located
ScenarioError (and is then not run); 300 or more scenarios are run.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from memsim.api import run
from memsim.engine import processes
from memsim.engine.simulation import Simulation
from memsim.scenario import ScenarioError
from memsim.scenario.advanced import PROFILES
from tests.support.helpers import scenario

RUNS = 300
DURATION = 90  # seconds


@st.composite
def events(draw: st.DrawFn, names: list[str], memory: dict[str, int]) -> list[str]:
    """Up to four events on VMs, groups' members and host settings."""
    lines = []
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, DURATION))
        vm = draw(st.sampled_from(names))
        mem = memory[vm]
        setting = draw(
            st.sampled_from(
                [
                    f"vms.{vm}.limit: {draw(st.sampled_from(['unlimited', f'{mem // 2}MiB']))}",
                    f"vms.{vm}.reservation: {draw(st.sampled_from([0, mem // 4, mem]))}MiB",
                    f"vms.{vm}.shares: {draw(st.sampled_from(['low', 'high', 500]))}",
                    f"vms.{vm}.tools: {draw(st.booleans())}",
                    f"vms.{vm}.maxmemctl: {mem // 2}MiB",
                    f"vms.{vm}.workload.active: {draw(st.integers(1, 100))}%",
                    f"vms.{vm}.workload.footprint: {draw(st.integers(10, 100))}%",
                    f"vms.{vm}.workload.writes: {draw(st.sampled_from(['0%', '20%']))}",
                    f"host.advanced.Mem.IdleTax: {draw(st.sampled_from([0, 50, 90]))}",
                    f"host.advanced.Mem.ShareScanTime: {draw(st.sampled_from([1, 10]))}",
                ]
            )
        )
        lines.append(f"  - {{at: {at}s, set: {{{setting}}}}}")
    return lines


@st.composite
def scenarios(draw: st.DrawFn) -> str:
    """A small host with 2–4 VMs or groups that may overcommit it, phases and events."""
    lines = [
        "name: generated",
        f"duration: {DURATION}s",
        f"seed: {draw(st.integers(0, 2**32))}",
        f"step: {draw(st.sampled_from(['1s', '500ms', '2s']))}",
        "record_every: 10s",
        "host:",
        f"  memory: {draw(st.sampled_from([256, 384, 512]))}MiB",
        "  vmkernel: 32MiB",
        f"  profile: {draw(st.sampled_from(sorted(PROFILES)))}",
        f"  swap: {draw(st.sampled_from(['disk', 'ssd']))}",
        f"  swap_cache: {draw(st.sampled_from([0, 8]))}MiB",
        "  advanced: {Mem.ShareScanTime: 2}",
        "vms:",
    ]
    names, memory = [], {}
    for i in range(draw(st.integers(2, 4))):
        mem = draw(st.sampled_from([48, 64, 96]))
        count = draw(st.sampled_from([1, 1, 2]))
        fp = draw(st.integers(mem // 4, mem))
        lines += [
            f"  - name: vm{i}",
            f"    count: {count}",
            f"    memory: {mem}MiB",
            f"    reservation: {draw(st.sampled_from([0, mem // 8]))}MiB",
            f"    guest: {draw(st.sampled_from(['linux', 'windows']))}",
            f"    tools: {draw(st.booleans())}",
            f"    large_pages: {draw(st.booleans())}",
            f"    balloon: {draw(st.sampled_from(['normal', 'slow', 'stuck', 'intermittent']))}",
            f"    power_on: {draw(st.integers(0, 30))}s",
            "    workload:",
            f"      boot: {draw(st.sampled_from(['zero', 'lazy']))}",
            f"      footprint: {fp}MiB",
            f"      active: {draw(st.integers(1, fp))}MiB",
            f"      heap: {draw(st.sampled_from(['0%', '30%']))}",
            f"      phases: [{{at: 40s, footprint: {mem}MiB, active: {max(1, mem // 2)}MiB}}]",
        ]
        members = [f"vm{i}"] if count == 1 else [f"vm{i}", f"vm{i}-1", f"vm{i}-2"]
        names += members
        memory |= {name: mem for name in members}
    drawn = draw(events(names, memory))
    return "\n".join(lines + (["events:", *drawn] if drawn else [])) + "\n"


ran = {"count": 0}


@settings(
    max_examples=RUNS + 150,  # about one drawn scenario in five is refused, and is not a run
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking a run is too slow
)
@given(scenarios())
def test_generated_scenarios_run_and_keep_the_invariants(text: str) -> None:
    try:
        loaded = scenario(text)
    except ScenarioError as exc:
        assert all(item.line > 0 for item in exc.errors), exc  # refused, with a place
        return
    sim = Simulation(loaded)
    processes.start(sim)
    host, balloons = sim.host, sim.balloons
    before = balloons.size.copy()
    for t in range(1, DURATION + 1, 3):
        sim.env.run(until=t)
        host.check_identity()
        assert host.free() >= 0
        assert np.array_equal(host.gm.exposed, host.gm.recount_exposed())
        assert np.array_equal(host.gm.away.keys(), host.gm.recount_away(balloons.region_start()))
        # within its maximum, or deflating toward one that fell (Tools stopped, a lower cap)
        assert np.all((balloons.size <= balloons.maximum) | (balloons.size <= before))
        assert np.all(balloons.maximum[~host.vms.tools] == 0)
        before = balloons.size.copy()
    ran["count"] += 1


TOOLS_OFF = """
name: tools-off
duration: 3min
host: {memory: 256MiB, vmkernel: 32MiB}
vms:
  - {name: a, memory: 128MiB, workload: {boot: zero, footprint: 100%, active: 90%}}
  - {name: b, memory: 128MiB, workload: {boot: zero, footprint: 100%, active: 90%}}
  - {name: c, memory: 128MiB, workload: {boot: zero, footprint: 100%, active: 90%}}
events:
  - {at: 2min, set: {vms.a.tools: false, vms.b.tools: false, vms.c.tools: false}}
"""


def test_tools_off_releases_the_balloon() -> None:
    """Found by the generated scenarios: once Tools stop, the driver deflates its balloon."""
    sim = Simulation(scenario(TOOLS_OFF))
    processes.start(sim)
    sim.env.run(until=119)
    assert sim.balloons.size.sum() > 0  # the host has ballooned before the event
    sim.env.run(until=125)
    assert np.all(sim.balloons.size[~sim.host.vms.tools] == 0)


REFUSED = """
name: refused
duration: 1min
host: {memory: 256MiB, vmkernel: 32MiB}
vms:
  - {name: big, memory: 192MiB, reservation: 192MiB}
  - {name: late, memory: 128MiB, reservation: 128MiB, power_on: 10s}
events:
  - {at: 30s, set: {vms.late.workload.active: 50%}}
"""


def test_an_event_on_a_vm_refused_at_admission_does_not_crash() -> None:
    """Found by the generated scenarios (a KeyError mid-run): validation cannot know that
    admission control will refuse a VM, so the event is skipped at run time."""
    results = run(scenario(REFUSED))
    assert "admission_refused" in set(results.events["kind"])
    assert "late" not in set(results.events.loc[results.events["kind"] == "power_on", "vm"])


def test_at_least_300_generated_scenarios_ran() -> None:
    """Runs after the property (file order): the property ran enough valid scenarios."""
    assert ran["count"] >= RUNS, ran
