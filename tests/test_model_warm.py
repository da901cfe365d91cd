"""Warm start (``start_from``): pages placed in the captured backing states at t = 0.

Properties over random captured instants: the accounting identity and every per-VM count hold
from the first instant and through the steps after it; the balloon, swap and compression amounts
are the captured ones; the host starts in the captured state. Loader errors say where.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from memsim.engine import processes
from memsim.engine.simulation import Simulation
from memsim.engine.warm import warm_start
from memsim.model.pages import PageState
from memsim.model.states import MemState
from memsim.scenario import ScenarioError
from memsim.units import MIB, PAGE_SIZE
from tests.support.helpers import scenario

PAGES_PER_MIB = MIB // PAGE_SIZE


@st.composite
def warm_scenarios(draw):  # type: ignore[no-untyped-def]
    """A host of 2–3 VMs with a captured instant each (sizes in MiB that fit the VM)."""
    state = draw(st.sampled_from(["high", "clear", "soft", "hard"]))
    n = draw(st.integers(2, 3))
    vms, starts, want = [], [], {}
    for i in range(n):
        memory = draw(st.sampled_from([128, 192, 256]))
        balloon = draw(st.integers(0, memory // 2))
        swapped = draw(st.integers(0, (memory - balloon) // 4))
        cache = draw(st.integers(0, 2))
        granted = draw(st.integers(8, memory - balloon - swapped - 2 * cache))
        active = draw(st.integers(0, granted))
        vms.append(
            f"  - {{name: vm{i}, memory: {memory}MiB, guest: g{i % 2},"
            f" workload: {{footprint: {granted + swapped}MiB, active: {active}MiB,"
            f" content: {{zero: 10%, shared: 20%, duplicate: 10%}}}}}}"
        )
        starts.append(
            f"    vm{i}: {{granted: {granted}MiB, swapped: {swapped}MiB, balloon: {balloon}MiB,"
            f" compressed: {cache}MiB, active: {active}MiB}}"
        )
        want[f"vm{i}"] = (granted, swapped, balloon, cache)
    text = "\n".join(
        [
            "name: warm",
            "duration: 30s",
            f"seed: {draw(st.integers(0, 1000))}",
            "record_every: 5s",
            "host: {memory: 1024MiB, vmkernel: 40MiB, profile: esxi6}",
            "vms:",
            *vms,
            "start_from:",
            f"  host: {{state: {state}}}",
            "  vms:",
            *starts,
        ]
    )
    return text, want, state


def warm_started(text: str) -> Simulation:
    sim = Simulation(scenario(text))
    warm_start(sim)
    processes.start(sim)
    return sim


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(warm_scenarios())
def test_warm_start_places_captured_states_consistently(case) -> None:  # type: ignore[no-untyped-def]
    text, want, state = case
    sim = warm_started(text)
    host, gm = sim.host, sim.host.gm
    # from the first instant, before any step
    host.check_identity()
    host.sharing.check_links()
    assert np.array_equal(gm.exposed, gm.recount_exposed())
    assert host.state == MemState[state.upper()]
    for name, (granted, swapped, balloon, cache) in want.items():
        v = sim.index[name]
        assert host.on[v]
        assert gm.count(PageState.BALLOONED)[v] == balloon * PAGES_PER_MIB
        assert sim.balloons.size[v] == balloon * PAGES_PER_MIB
        out = gm.count(PageState.SWAPPED)[v] + gm.count(PageState.SWAPPED_CACHE)[v]
        assert out == swapped * PAGES_PER_MIB
        assert host.cache_pages()[v] <= cache * PAGES_PER_MIB + 1
        compressed = gm.count(PageState.COMPRESSED)[v]
        # granted as captured, give or take the compressed pages' slot sizes
        assert abs(host.granted()[v] - granted * PAGES_PER_MIB) <= max(
            2 * cache * PAGES_PER_MIB, compressed
        )
    for t in range(1, 30):  # and it keeps holding as the run goes on
        sim.env.run(until=t)
        assert host.free() >= 0
        if t % 5 == 0:
            host.check_identity()
            assert np.array_equal(gm.exposed, gm.recount_exposed())


def test_warm_start_is_deterministic() -> None:
    text = BASE.replace("power_on: 5s", "power_on: 0s") + (
        "    a: {granted: 60MiB, swapped: 20MiB, balloon: 30MiB, compressed: 1MiB}\n"
        "    b: {granted: 40MiB, balloon: 10MiB}\n"
    )
    a, b = warm_started(text), warm_started(text)
    assert a.host.gm.count(PageState.SWAPPED).sum() == 20 * PAGES_PER_MIB
    assert np.array_equal(a.host.gm.state, b.host.gm.state)
    assert np.array_equal(a.host.gm.content, b.host.gm.content)


BASE = """name: w
duration: 10s
host: {memory: 512MiB, vmkernel: 40MiB, profile: esxi6}
vms:
  - {name: a, memory: 128MiB}
  - {name: b, memory: 128MiB, power_on: 5s}
start_from:
  vms:
"""


@pytest.mark.parametrize(
    ("block", "where", "message"),
    [
        ("    nope: {granted: 10MiB}", "start_from.vms.nope", "no VM named 'nope'"),
        ("    b: {granted: 10MiB}", "start_from.vms.b", "must power on at 0s"),
        ("    a: {granted: 100MiB, balloon: 50MiB}", "start_from.vms.a.granted", "more than"),
        ("    a: {granted: 10MiB, active: 20MiB}", "start_from.vms.a.active", "more than"),
        ("    a: {granted: 10MiB, balon: 2MiB}", "start_from.vms.a.balon", "balloon"),
    ],
)
def test_start_from_errors_are_located(block: str, where: str, message: str) -> None:
    with pytest.raises(ScenarioError) as info:
        scenario(BASE + block + "\n")
    error = info.value.errors[0]
    assert error.path == where and message in error.message
    assert error.line == 9  # the line of the block's VM entry


def test_capture_that_does_not_fit_the_host_is_refused() -> None:
    text = BASE.replace("512MiB", "160MiB") + "    a: {granted: 120MiB}\n"
    sim = Simulation(scenario(text))
    with pytest.raises(ValueError, match="more host memory than the host manages"):
        warm_start(sim)
