"""The simpy processes of a simulation: each a small loop that calls the domain core.

Periodic: the tick (every step: guest step — growth, writes, accesses —, balloon drivers,
reclaimer — swap and compression toward the scheduler's goals —, and at the end of the instant
the state monitor), balloon drivers on their own (1 s) when the step is not 1 s, TPS scanner,
active-memory sampler (``Mem.SamplePeriod``), memory scheduler (``Mem.BalancePeriod``, or at
once when woken by a state change), recorder (``record_every``). Scheduled: power-on/off with
admission control, workload phases and traces, setting events. Processes at the same instant
run in the order they were started, so a seed fixes the run exactly.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from memsim.engine.changes import apply_event, apply_workload
from memsim.model.reclaim.pipeline import reclaim_goal
from memsim.model.reclaim.sharing import scan_quota
from memsim.model.scheduler import follow_growth, schedule
from memsim.workload.spec import initial_values

if TYPE_CHECKING:
    from memsim.engine.simulation import Simulation

Proc = Generator[Any, Any, None]


def start(sim: Simulation) -> None:
    """Start every process of ``sim`` in a fixed order.

    The per-step work is one process, :func:`tick`; the balloon drivers have a process of
    their own only when the step is not their 1 s poll.
    """
    env = sim.env
    procs = [power, workload_changes, setting_events, tick]
    if sim.scenario.step != BALLOON_POLL:
        procs.append(balloon_driver)
    for proc in (*procs, tps_scanner, sampler, scheduler, recorder):
        env.process(proc(sim))


def power(sim: Simulation) -> Proc:
    """Power VMs on (admission control) and off at their scheduled times."""
    plan = sorted(
        [(vm.power_on, 0, i) for i, vm in enumerate(sim.machines)]
        + [(vm.power_off, 1, i) for i, vm in enumerate(sim.machines) if vm.power_off is not None]
    )
    for at, kind, vm in plan:
        if at > sim.env.now:
            yield sim.env.timeout(at - sim.env.now)
        if kind == 0:
            if not (sim.host.on[vm] or sim.host.starting[vm]):  # not warm-started
                power_on(sim, vm)
        elif sim.host.on[vm]:
            power_off(sim, vm)
        elif sim.host.starting[vm]:  # still waiting for memory for its overhead
            sim.host.cancel_start(vm)
            sim.log("power_off", sim.vms.names[vm], "before it could start")


def power_on(sim: Simulation, vm: int) -> None:
    """Admission control on unreserved memory (docs/model.md §6), then start the VM.

    An admitted VM starts once free memory holds its overhead; until then its overhead is
    pending and the scheduler reclaims for it, as ESX does.
    """
    host, vms = sim.host, sim.vms
    refused = host.admit(vm)
    if refused is not None:
        sim.log("admission_refused", vms.names[vm], refused)
        return
    if host.free() < host.pending[vm]:
        sim.log("power_on_waiting", vms.names[vm], "waiting for free memory for its overhead")
        sim.env.process(_start_when_free(sim, vm))
        sim.wake()
    else:
        _start(sim, vm)


def _start_when_free(sim: Simulation, vm: int) -> Proc:
    while sim.host.starting[vm] and sim.host.free() < sim.host.pending[vm]:
        yield sim.env.timeout(sim.scenario.step)
    if sim.host.starting[vm]:  # not powered off meanwhile
        _start(sim, vm)


def _start(sim: Simulation, vm: int) -> None:
    host, vms = sim.host, sim.vms
    host.start(vm, sim.rng)
    spec = sim.machines[vm]
    sim.guests.power_on(vm, spec.workload.boot == "zero")
    sim.activity.reset(np.array([vm]))
    host.sharing.lpages.wanted[vm] = vms.large_pages_on(vm, sim.settings["Mem.AllocGuestLargePage"])
    apply_workload(sim, vm, initial_values(spec))
    sim.log("power_on", vms.names[vm])
    sim.wake()  # its entitlement and targets now, not at the next period


def power_off(sim: Simulation, vm: int) -> None:
    """Stop the VM: the host takes back every page it holds."""
    sim.host.release(vm)
    sim.balloons.power_off(vm)
    sim.guests.power_off(vm)
    sim.swap_goal[vm] = 0
    sim.log("power_off", sim.vms.names[vm])


def workload_changes(sim: Simulation) -> Proc:
    """Apply workload phases and trace rows at their times."""
    for change in sim.changes:
        if change.at > sim.env.now:
            yield sim.env.timeout(change.at - sim.env.now)
        if sim.host.on[change.vm]:
            apply_workload(sim, change.vm, change.values)


def setting_events(sim: Simulation) -> Proc:
    """Apply the scenario's ``events`` (setting changes) at their times."""
    for event in sorted(sim.scenario.events, key=lambda e: e.at):
        if event.at > sim.env.now:
            yield sim.env.timeout(event.at - sim.env.now)
        apply_event(sim, event.set)
        sim.wake()


BALLOON_POLL = 1.0
"""Seconds between two polls of a balloon driver (docs/model.md §3)."""


def tick(sim: Simulation) -> Proc:
    """Every step: the guests, the balloon drivers (when the step is their poll), the
    reclaimer, and at the end of the instant the state monitor — one process for what were
    four, resumed in turn every step.

    Each runs where its own process ran. simpy runs the events of one time in order of
    priority, then of scheduling. The guests', balloons' and reclaimer's timeouts were
    scheduled one after another (each scheduled the next step's as it ran), so nothing ever
    ran between them: the tick's one timeout, scheduled where the guests' was, runs them at
    the same place. The monitor waited for a step and then for the end of the instant
    (:class:`EndOfInstant`), which only orders it among the other end-of-instant events —
    the recorder's — and those are scheduled on the same side of the tick's as of the
    monitor's. Settling once per step, after every process has acted, keeps a state change
    from flickering back and forth within one instant; a change still wakes the scheduler
    at once (:meth:`Simulation.end_of_instant`).
    """
    env, dt = sim.env, sim.scenario.step
    poll = True  # at time 0 the balloon drivers poll in the start order, whatever the step
    while True:
        _step(sim, dt, poll)
        poll = dt == BALLOON_POLL
        next_step = env.timeout(dt)  # scheduled now, as the guests' step scheduled its own
        yield EndOfInstant(env)
        sim.end_of_instant()
        yield next_step


def _step(sim: Simulation, dt: float, poll: bool) -> None:
    """One step's work: guests grow, write and touch their working sets; the balloon drivers
    poll their targets if ``poll``; the reclaimer shares, compresses and swaps toward the
    scheduler's goals, which follow a growing VM every step (:func:`follow_growth`)."""
    sim.swapper.refill(dt)
    sim.host.compressor.refill(dt)
    sim.guests.step(dt, sim.rates, sim.settings["Memsim.TouchPeriod"], sim.latency, sim.rng)
    if poll:
        poll_balloons(sim)
    sim.swap_goal = follow_growth(sim.host, sim.balloons, sim.swap_goal)
    if sim.swap_goal.any():
        sim.swap_goal = reclaim_goal(sim.host, sim.swapper, sim.swap_goal)


def balloon_driver(sim: Simulation) -> Proc:
    """Every second after time 0, when the step is not 1 s: the balloon drivers' polls (the
    one at time 0 is the tick's, in the start order)."""
    while True:
        yield sim.env.timeout(BALLOON_POLL)
        poll_balloons(sim)


def poll_balloons(sim: Simulation) -> None:
    """Balloon drivers move toward their targets for one poll (docs/model.md §3); a driver
    that stops or starts responding is logged."""
    g = sim.guests
    was_stuck = sim.balloons.stuck.copy()
    sim.balloons.step(
        sim.env.now, BALLOON_POLL, sim.host.on, g.footprint, g.cache, sim.host.reclaimable()
    )
    for vm in np.flatnonzero((sim.balloons.stuck != was_stuck) & sim.host.on):
        kind = "balloon_stuck" if sim.balloons.stuck[vm] else "balloon_responding"
        sim.log(kind, sim.vms.names[vm])


def tps_scanner(sim: Simulation) -> Proc:
    """Every ``Memsim.ShareScanPeriod``: a batch of page-sharing scans (docs/model.md §2)."""
    last = 0.0
    while True:
        period = max(sim.scenario.step, sim.settings["Memsim.ShareScanPeriod"])
        if not (yield from _until(sim, last + period)):
            continue
        host = sim.host
        dt = sim.env.now - last
        cpu = sim.scenario.host.cpu_ghz
        quota = scan_quota(sim.vms.size, host.on, sim.settings, cpu, dt, host.shares_actively())
        last = sim.env.now
        host.sharing.scan(quota, host.on)


def sampler(sim: Simulation) -> Proc:
    """Every ``Mem.SamplePeriod``: sample each VM's active fraction ([OSDI02] §5.3)."""
    last = 0.0
    while True:
        if not (yield from _until(sim, last + sim.settings["Mem.SamplePeriod"])):
            continue
        last = sim.env.now
        sim.activity.sample(true_active(sim), sim.rng)
        sim.wake()  # entitlements follow the new estimates


def _until(sim: Simulation, due: float) -> Generator[Any, Any, bool]:
    """Wait until ``due``, or until a setting changes; True when ``due`` was reached.

    A period changed by an event then counts from the last tick at once, not after the
    period that was running (:meth:`Simulation.refresh`).
    """
    wait = max(due - sim.env.now, 0.0)
    yield sim.env.timeout(wait) | sim.settings_changed
    return sim.env.now >= due - 1e-9


def true_active(sim: Simulation) -> np.ndarray:
    """Share of configured memory touched in the sample period, per VM: the working set and
    what boot zeroing wrote (:meth:`Guests.touched_since_sample`)."""
    touched = sim.guests.touched_since_sample()
    return np.where(sim.host.on, touched / np.maximum(sim.vms.size, 1), 0.0)


def scheduler(sim: Simulation) -> Proc:
    """Every ``Mem.BalancePeriod``, or at once on a state change: entitlements and targets."""
    env = sim.env
    while True:
        targets = schedule(
            sim.host, sim.balloons, sim.activity.estimate, sim.guests.target, sim.settings
        )
        sim.host.entitlement = targets.entitlement
        sim.balloons.target = targets.balloon
        sim.swap_goal = targets.swap
        sim.host.update_blocking()
        sim.wake_scheduler = env.event()
        yield env.timeout(sim.settings["Mem.BalancePeriod"]) | sim.wake_scheduler


class EndOfInstant(simpy.events.Event):
    """An event processed after every other event of the current instant.

    simpy orders events of one time by priority, then by creation; this one has a priority
    below the normal one, so even events scheduled later in the instant come first.
    """

    def __init__(self, env: simpy.Environment) -> None:
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, priority=simpy.events.EventPriority(simpy.events.NORMAL + 1))


def recorder(sim: Simulation) -> Proc:
    """Record counters at 0, ``record_every``, … before the end, each at the end of its
    instant after the instant is settled, so that every counter of a record — the state
    too — describes the same state of the host."""
    env = sim.env
    while env.now < sim.scenario.duration - 1e-9:
        yield EndOfInstant(env)
        sim.end_of_instant()
        sim.observer.sample()
        yield env.timeout(sim.observer.every)
