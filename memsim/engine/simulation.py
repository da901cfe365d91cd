"""Build a simulation from a scenario and run it (DESIGN.md §2, engine layer).

:class:`Simulation` wires the domain core to a simpy ``Environment``: it has the host, the
guests and the reclamation mechanisms built from the scenario (:mod:`memsim.engine.build`,
with injectable :class:`~memsim.engine.build.Mechanisms`), starts the periodic processes of
:mod:`memsim.engine.processes`, schedules power-on/off, workload changes and setting events, and
hands the observer's records (:mod:`memsim.engine.observe`) over as
:class:`~memsim.results.Results`. It holds no domain rule: those live in :mod:`memsim.model`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import simpy

from memsim.engine import processes
from memsim.engine.build import Mechanisms, build, host_thresholds
from memsim.engine.observe import Observer
from memsim.engine.warm import warm_start
from memsim.model.cost import fault_latencies
from memsim.model.limits import enforce
from memsim.results.recorder import results
from memsim.results.results import Results
from memsim.scenario import Scenario
from memsim.units import MIB, PAGE_SIZE
from memsim.workload.spec import timeline

Progress = Callable[[float, float], None]


class Simulation:
    """One run of a scenario.

    Args:
        scenario: the validated scenario.
        seed: overrides the scenario's seed.
        progress: called with (simulated time, duration) as the run advances.
        mechanisms: the strategies the model is built with (:class:`Mechanisms`; memsim's
            own by default).
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: int | None = None,
        progress: Progress | None = None,
        mechanisms: Mechanisms | None = None,
    ) -> None:
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else seed
        self.progress = progress
        self.mechanisms = mechanisms or Mechanisms()
        self.rng = np.random.default_rng(np.random.SeedSequence(self.seed))
        self.settings: dict[str, float] = dict(scenario.settings())
        self.machines = scenario.machines()
        model = build(scenario, self.machines, self.settings, self.seed, self.rng, self.mechanisms)
        self.vms, self.host, self.swapper = model.vms, model.host, model.swapper
        self.balloons, self.content = model.balloons, model.content
        self.guests, self.activity = model.guests, model.activity
        self.index = {name: i for i, name in enumerate(self.vms.names)}  #: VM by name
        self.env = simpy.Environment()
        self.wake_scheduler = self.env.event()
        self.settings_changed = self.env.event()  #: triggered (and renewed) by refresh()
        self.rates = (0.0, 0.0)  #: pages/s per VM: boot zeroing, footprint growth
        self.latency: dict[str, float] = {}  #: seconds per fault, by kind
        self.refresh()
        self.swap_goal = np.zeros(self.vms.n, dtype=np.int64)
        self.observer = Observer(self)
        self.events: list[dict[str, Any]] = []
        self.workload_now: dict[int, dict[str, Any]] = {}
        self._pressure = False
        self.changes = timeline(self.machines)

    # -- settings -------------------------------------------------------------------------
    def refresh(self) -> None:
        """Rebuild everything derived from the settings and the VMs' run-time fields.

        The one place a run-time change takes effect (:mod:`memsim.engine.changes`):
        free-memory thresholds, balloon maxima, compression, the active-memory sampler,
        growth and zeroing rates, fault latencies. Settings read where they are used (the
        idle tax, periods, scan rates, margins) need nothing here.
        """
        s = self.settings
        self.host.thresholds = host_thresholds(self.scenario, self.host.managed, s)
        self.balloons.maximum = self.vms.balloon_max(s["Mem.CtlMaxPercent"])
        self.host.compressor.enabled = bool(s["Mem.MemZipEnable"])
        self.host.compressor.max_pct = s["Mem.MemZipMaxPct"]
        self.activity.samples = int(s["Memsim.SampleSize"])
        self.activity.fast_gain = s["Memsim.ActiveFastGain"]
        self.activity.slow_gain = s["Memsim.ActiveSlowGain"]
        self.activity.start = s["Memsim.ActiveAtPowerOn"] / 100.0
        pages_per_mib = MIB / PAGE_SIZE
        self.host.compressor.rate = s["Memsim.CompressRate"] * pages_per_mib
        self.guests.mem_map = s["Memsim.GuestMemMapPct"] / 100.0
        self.rates = (s["Memsim.ZeroRate"] * pages_per_mib, s["Memsim.TouchRate"] * pages_per_mib)
        self.latency = fault_latencies(s)
        # periodic processes waiting on a period that changed recompute their next tick
        self.settings_changed.succeed()
        self.settings_changed = self.env.event()

    # -- event log ------------------------------------------------------------------------
    def log(self, kind: str, vm: str = "", detail: str = "") -> None:
        """Append a flat record to the event log."""
        self.events.append({"time": float(self.env.now), "kind": kind, "vm": vm, "detail": detail})

    # -- state ----------------------------------------------------------------------------
    def end_of_instant(self) -> None:
        """Settle the instant: limits enforced exactly, entitlements kept above what touched
        reservations protect, then the free-memory state, so that a record taken now
        describes one state of the host (:func:`memsim.model.limits.enforce`). Breaking large
        pages shares pages at once, which moves shared-frame charges: limits are then
        enforced again."""
        enforce(self.host, self.swapper)
        self.host.protect_entitlements()
        if self.update_state():
            enforce(self.host, self.swapper)
            self.host.protect_entitlements()

    def update_state(self) -> bool:
        """Re-evaluate the free-memory state and what hangs on free memory.

        A state change is logged; it, or free memory crossing the line where ballooning
        starts, wakes the scheduler at once. Large pages are broken as soon as the profile
        says so in the new state, and none are handed out while it does; a break (free memory
        jumps by what is shared at once) wakes the scheduler too. Returns whether large pages
        were broken.
        """
        host = self.host
        wake = self._follow_free_memory()
        lpages = host.sharing.lpages
        margin = self.settings["Memsim.BalloonMargin"]
        lpages.allowed = not host.breaks_large_pages(margin)
        broke = not lpages.allowed and bool(lpages.count.any())
        if broke:
            host.sharing.break_large(np.flatnonzero(host.on))
            self._follow_free_memory()
        pressure = host.balloon_pressure(margin)
        wake |= broke or pressure != self._pressure
        self._pressure = pressure
        if wake:
            self.wake()
        return broke

    def _follow_free_memory(self) -> bool:
        """Move to the state free memory calls for; log a change and say whether there was."""
        host = self.host
        new = host.thresholds.next_state(host.state, host.free())
        if new == host.state:
            return False
        old, host.state = host.state, new
        self.log("state", detail=f"{old.name.lower()} -> {new.name.lower()}")
        host.update_blocking()
        return True

    def wake(self) -> None:
        """Run the memory scheduler now rather than at its next period."""
        if not self.wake_scheduler.triggered:
            self.wake_scheduler.succeed()

    # -- run ------------------------------------------------------------------------------
    def run(self) -> Results:
        """Run to the scenario's duration and return its :class:`~memsim.results.Results`."""
        started = time.perf_counter()
        warm_start(self)
        processes.start(self)
        duration = self.scenario.duration
        checkpoints = np.linspace(0, duration, 101)[1:]
        for t in checkpoints:
            self.env.run(until=float(t))
            if self.progress is not None:
                self.progress(float(t), duration)
        self.end_of_instant()
        self.observer.sample(final=True)
        manifest = {
            "seed": self.seed,
            "wall_time": time.perf_counter() - started,
            "simulated": self.scenario.duration,
        }
        return results(
            self.observer.recorder,
            self.scenario,
            self.vms.names,
            self.events,
            manifest,
            self.observer.short_of_footprint(),
        )
