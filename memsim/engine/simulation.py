"""Build a simulation from a scenario and run it (DESIGN.md §2, engine layer).

:class:`Simulation` wires the domain core to a simpy ``Environment``: it builds the host, the
guests and the reclamation mechanisms from the scenario, starts the periodic processes of
:mod:`memsim.engine.processes`, schedules power-on/off, workload changes and setting events, and
hands the recorder's buffers over as :class:`~memsim.results.Results`. It holds no domain rule:
those live in :mod:`memsim.model`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import simpy

from memsim.engine import processes
from memsim.model.activity import ActivityEstimator
from memsim.model.cost import fault_latencies
from memsim.model.guest import Guests
from memsim.model.host import Host
from memsim.model.limits import enforce
from memsim.model.overhead import overhead_mib
from memsim.model.pages import GuestMemory
from memsim.model.reclaim.balloon import Balloons, DriverSpec
from memsim.model.reclaim.compression import Compressor
from memsim.model.reclaim.sharing import PageSharing, salt_domains
from memsim.model.reclaim.swap import SwapDevice, Swapper
from memsim.model.states import Thresholds, thresholds
from memsim.model.vms import VMParams
from memsim.results.recorder import Recorder
from memsim.results.results import Results
from memsim.scenario import VM, Scenario
from memsim.units import MIB, PAGE_SIZE
from memsim.workload.content import ContentModel
from memsim.workload.spec import timeline

Progress = Callable[[float, float], None]


def vm_params(machines: list[VM]) -> VMParams:
    """Per-VM vectors in pages from the scenario's machines."""
    size = np.array([vm.memory // PAGE_SIZE for vm in machines], dtype=np.int64)
    auto = overhead_mib(
        np.array([vm.memory / MIB for vm in machines]), np.array([vm.vcpus for vm in machines])
    )
    overhead = np.array(
        [
            (vm.overhead if vm.overhead is not None else auto[i] * MIB) // PAGE_SIZE
            for i, vm in enumerate(machines)
        ],
        dtype=np.int64,
    )
    return VMParams(
        names=[vm.name for vm in machines],
        size=size,
        reservation=np.array([vm.reservation // PAGE_SIZE for vm in machines], dtype=np.int64),
        limit=np.array(
            [
                size[i] if vm.limit is None else vm.limit // PAGE_SIZE
                for i, vm in enumerate(machines)
            ],
            dtype=np.int64,
        ),
        shares=np.array([float(vm.shares) for vm in machines]),
        overhead=overhead,
        tools=np.array([vm.tools for vm in machines], dtype=bool),
        maxmemctl=np.array(
            [
                size[i] if vm.maxmemctl is None else vm.maxmemctl // PAGE_SIZE
                for i, vm in enumerate(machines)
            ],
            dtype=np.int64,
        ),
        compressible=np.array([vm.workload.compressible for vm in machines]),
        large_pages=np.array([vm.large_pages for vm in machines], dtype=bool),
        pshare=np.array([vm.pshare for vm in machines], dtype=bool),
    )


def driver_spec(vm: VM) -> DriverSpec:
    """The balloon driver behaviour of a VM."""
    b = vm.balloon
    if b.kind == "stuck":
        return DriverSpec(b.rate_factor, b.stuck_from or 0.0, b.stuck_until, None)
    if b.kind == "intermittent":
        return DriverSpec(b.rate_factor, b.stuck_from or 0.0, b.stuck_until, b.period)
    return DriverSpec(b.rate_factor)


class Simulation:
    """One run of a scenario.

    Args:
        scenario: the validated scenario.
        seed: overrides the scenario's seed.
        progress: called with (simulated time, duration) as the run advances.
    """

    def __init__(
        self, scenario: Scenario, seed: int | None = None, progress: Progress | None = None
    ) -> None:
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else seed
        self.progress = progress
        self.rng = np.random.default_rng(np.random.SeedSequence(self.seed))
        self.settings: dict[str, float] = dict(scenario.settings())
        self.machines = scenario.machines()
        host_cfg = scenario.host
        managed = (host_cfg.memory - host_cfg.vmkernel_bytes()) // PAGE_SIZE
        self.vms = vm_params(self.machines)
        self.index = {name: i for i, name in enumerate(self.vms.names)}  #: VM by name
        gm = GuestMemory(self.vms.size)
        domains = salt_domains(
            [vm.salt for vm in self.machines], int(self.settings["Mem.ShareForceSalting"])
        )
        sharing = PageSharing(
            gm, domains, self.vms.pshare, int(self.settings["Memsim.HashBits"]), self.rng
        )
        compressor = Compressor(
            gm,
            self.vms.compressible,
            bool(self.settings["Mem.MemZipEnable"]),
            self.settings["Mem.MemZipMaxPct"],
        )
        swap_capacity = host_cfg.swap.capacity
        self.host = Host(
            self.vms,
            managed,
            self._thresholds(managed),
            gm,
            sharing,
            compressor,
            None if swap_capacity is None else swap_capacity // PAGE_SIZE,
        )
        device = SwapDevice(
            latency=host_cfg.swap.latency,
            bandwidth=host_cfg.swap.bandwidth / PAGE_SIZE,
            cache_pages=host_cfg.swap_cache // PAGE_SIZE,
        )
        self.swapper = Swapper(gm, device, self.rng)
        self.balloons = Balloons(
            gm, sharing, compressor, [driver_spec(vm) for vm in self.machines], self.vms.tools
        )
        self.content = ContentModel(self.seed, [vm.guest for vm in self.machines])
        self.guests = Guests(self.host, self.content, self.balloons, self.swapper)
        self.activity = ActivityEstimator(
            self.vms.n,
            int(self.settings["Memsim.SampleSize"]),
            self.settings["Memsim.ActiveFastGain"],
            self.settings["Memsim.ActiveSlowGain"],
        )
        self.env = simpy.Environment()
        self.wake_scheduler = self.env.event()
        self.settings_changed = self.env.event()  #: triggered (and renewed) by refresh()
        self.rates = (0.0, 0.0)  #: pages/s per VM: boot zeroing, footprint growth
        self.latency: dict[str, float] = {}  #: seconds per fault, by kind
        self.refresh()
        self.swap_goal = np.zeros(self.vms.n, dtype=np.int64)
        self.recorder = Recorder(self)
        self.events: list[dict[str, Any]] = []
        self.workload_now: dict[int, dict[str, Any]] = {}
        self._pressure = False
        self.changes = timeline(self.machines)

    # -- settings -------------------------------------------------------------------------
    def _thresholds(self, managed: int) -> Thresholds:
        host_cfg = self.scenario.host
        return thresholds(host_cfg.profile, host_cfg.memory // PAGE_SIZE, managed, self.settings)

    def refresh(self) -> None:
        """Rebuild everything derived from the settings and the VMs' run-time fields.

        The one place a run-time change takes effect (:mod:`memsim.engine.changes`):
        free-memory thresholds, balloon maxima, compression, the active-memory sampler,
        growth and zeroing rates, fault latencies. Settings read where they are used (the
        idle tax, periods, scan rates, margins) need nothing here.
        """
        s = self.settings
        self.host.thresholds = self._thresholds(self.host.managed)
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
        describes one state of the host (:func:`memsim.model.limits.enforce`)."""
        enforce(self.host, self.swapper)
        self.host.protect_entitlements()
        self.update_state()

    def update_state(self) -> None:
        """Re-evaluate the free-memory state and what hangs on free memory.

        A state change is logged; it, or free memory crossing the line where ballooning
        starts, wakes the scheduler at once. Large pages are broken as soon as the profile
        says so.
        """
        host = self.host
        if host.sharing.large.any() and host.breaks_large_pages():
            host.sharing.break_large(np.flatnonzero(host.on))
        pressure = host.balloon_pressure(self.settings["Memsim.BalloonMargin"])
        wake, self._pressure = pressure != self._pressure, pressure
        new = host.thresholds.next_state(host.state, host.free())
        if new != host.state:
            old, host.state = host.state, new
            self.log("state", detail=f"{old.name.lower()} -> {new.name.lower()}")
            host.update_blocking()
            wake = True
        if wake:
            self.wake()

    def wake(self) -> None:
        """Run the memory scheduler now rather than at its next period."""
        if not self.wake_scheduler.triggered:
            self.wake_scheduler.succeed()

    # -- run ------------------------------------------------------------------------------
    def run(self) -> Results:
        """Run to the scenario's duration and return its :class:`~memsim.results.Results`."""
        started = time.perf_counter()
        processes.start(self)
        duration = self.scenario.duration
        checkpoints = np.linspace(0, duration, 101)[1:]
        for t in checkpoints:
            self.env.run(until=float(t))
            if self.progress is not None:
                self.progress(float(t), duration)
        self.end_of_instant()
        self.recorder.sample(final=True)
        return self.recorder.results(wall_time=time.perf_counter() - started)
