"""The recorder: counters sampled every ``record_every`` into preallocated columnar buffers.

Each sample reads exact counters the model keeps (per-VM page counts by state, cumulative
swap/compression/fault counts), so recording costs O(VMs) per sample, never a pass over guest
pages. Rates are the change of a cumulative count over the interval. Counter names follow
vSphere (docs/model.md §7, DESIGN.md §4.2); esxtop-only counters use these names:

================== ======== =====================================================
column             esxtop   meaning
================== ======== =====================================================
touched            TCHD     guest pages touched that still hold data, MiB
activeSlow         %ACTVS   slow moving average of the sampled active share, %
activeFast         %ACTVF   fast moving average, %
activeNext         %ACTVN   fast average including the running period, %
entitlement        SZTGT    memory entitlement, MiB
vmmemctlmax        MCTLMAX  balloon maximum, MiB
cacheSize          CACHEUSD compression cache in use (host memory), MiB
sharedSaved        SHRDSVD  memory saved by sharing, MiB
cowBreaks          —        copy-on-write breaks in the interval (count)
guestSwapped       —        guest data paged out by the guest itself, MiB
blocked            —        % of the interval unable to allocate (low state)
guestSwapinRate    —        guest paging in from its own swap, MiB/s
guestSwapoutRate   —        guest paging out to its own swap (balloon pressure), MiB/s
cacheMissRate      —        dataset reads from the guest's disk (page cache misses), MiB/s
latency_swapin     —        ``latency`` by cause: host swap-in, %
latency_decompress —        ``latency`` by cause: decompression, %
guestSwapWait      —        % of the interval waiting on guest paging (inside a balloon)
cacheMissWait      —        % of the interval waiting on dataset re-reads (page-cache misses)
stall              —        % of the interval waiting, all causes (``latency`` + the waits
                            above + ``blocked``); ``throughput`` is 1 − stall/100
falseMatches       —        host: hash matches whose contents differed, so far (count)
================== ======== =====================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from memsim.model.cost import throughput, waits
from memsim.model.pages import PageState
from memsim.model.states import MemState
from memsim.results.results import Results
from memsim.units import MIB, PAGE_SIZE, format_duration

if TYPE_CHECKING:
    from memsim.engine.simulation import Simulation

PAGE_MIB = PAGE_SIZE / MIB
REFUSALS = {
    "admission_refused": "power-on refused:",
    "reservation_refused": "reservation change refused:",
    "setting_refused": "change refused:",
}
"""Event kinds of refusals (docs/model.md §6), each a warning in the manifest and on the console."""


class Recorder:
    """Columnar buffers of one run's counters.

    Args:
        sim: the simulation whose state is sampled.
    """

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        every = sim.scenario.record_every
        self.every = every
        n_rec = int(np.floor(sim.scenario.duration / every + 1e-9)) + 2
        self.n = 0
        self.times = np.zeros(n_rec)
        self.vm_cols: dict[str, np.ndarray] = {}
        self.host_cols: dict[str, np.ndarray] = {}
        self.on = np.zeros((n_rec, sim.vms.n), dtype=bool)
        self.states = np.zeros(n_rec, dtype=np.int8)
        self._capacity = n_rec
        self._last: dict[str, np.ndarray] = {}
        self._last_time = 0.0
        # per VM: the footprint its workload asks for, and the most it got since it asked
        self._wanted = np.zeros(sim.vms.n, dtype=np.int64)
        self._got = np.zeros(sim.vms.n, dtype=np.int64)

    # -- sampling -------------------------------------------------------------------------
    def _delta(self, key: str, cumulative: np.ndarray) -> np.ndarray:
        last = self._last.get(key, np.zeros_like(cumulative, dtype=float))
        self._last[key] = np.asarray(cumulative, dtype=float).copy()
        return cumulative - last

    def _put(self, cols: dict[str, np.ndarray], name: str, value: Any, width: int | None) -> None:
        if name not in cols:
            shape = (self._capacity,) if width is None else (self._capacity, width)
            cols[name] = np.full(shape, np.nan)
        cols[name][self.n] = value

    def sample(self, final: bool = False) -> None:
        """Record every counter at the current simulated time."""
        sim = self.sim
        host, gm, vms = sim.host, sim.host.gm, sim.vms
        now = float(sim.env.now if not final else sim.scenario.duration)
        if self.n and now <= self.times[self.n - 1] + 1e-9:
            return
        dt = now - self._last_time if self.n else 0.0
        self._last_time = now
        rate = (1.0 / dt) if dt > 0 else 0.0
        n = vms.n
        c = gm.counts

        consumed = host.consumed()
        shared = gm.count(PageState.SHARED)
        zero = host.sharing.zero_shared
        charge = consumed - gm.count(PageState.PRIVATE) - host.cache_pages()
        compressed = gm.count(PageState.COMPRESSED)
        cache = host.cache_pages()
        swapped = gm.count(PageState.SWAPPED) + gm.count(PageState.SWAPPED_CACHE)
        act = sim.activity
        d_stall = self._delta("stall", sim.guests.stall + sim.guests.blocked_time)
        by_cause = {c: self._delta(f"stall_{c}", v) for c, v in sim.guests.stall_by.items()}
        by_cause["blocked"] = self._delta("blocked", sim.guests.blocked_time)
        per_mib = PAGE_MIB
        vm_values: dict[str, Any] = {
            "memory": vms.size * per_mib,
            "reservation": vms.reservation * per_mib,
            "limit": np.where(vms.limit >= vms.size, np.nan, vms.limit * per_mib),
            "consumed": consumed * per_mib,
            "granted": host.granted() * per_mib,
            "active": act.estimate * vms.size * per_mib,
            "touched": host.touched() * per_mib,
            "activeSlow": act.slow * 100.0,
            "activeFast": act.fast * 100.0,
            "activeNext": act.next * 100.0,
            "shared": shared * per_mib,
            "zero": zero * per_mib,
            "sharedSaved": (shared - charge) * per_mib,
            "vmmemctl": sim.balloons.size * per_mib,
            "vmmemctltarget": sim.balloons.target * per_mib,
            "vmmemctlmax": sim.balloons.maximum * per_mib,
            "guestSwapped": c[:, PageState.GUEST_SWAPPED] * per_mib,
            "swapped": swapped * per_mib,
            "swaptarget": (swapped + compressed + sim.swap_goal) * per_mib,
            "swapinRate": self._delta("swapin", sim.swapper.swapped_in) * per_mib * rate,
            "swapoutRate": self._delta("swapout", sim.swapper.swapped_out) * per_mib * rate,
            "compressed": compressed * per_mib,
            "cacheSize": cache * per_mib,
            "zipSaved": (compressed - cache) * per_mib,
            "compressionRate": self._delta("zip", host.compressor.compressed_total)
            * per_mib
            * rate,
            "decompressionRate": self._delta("unzip", host.compressor.decompressed_total)
            * per_mib
            * rate,
            "cowBreaks": self._delta("cow", host.sharing.cow_breaks),
            "overhead": vms.overhead * per_mib,
            "entitlement": host.entitlement * per_mib,
            "throughput": throughput(d_stall, dt) if dt > 0 else np.ones(n),
            "guestSwapinRate": self._delta("gin", sim.guests.guest_swapped_in) * per_mib * rate,
            "guestSwapoutRate": self._delta("gout", sim.balloons.guest_swapped_out)
            * per_mib
            * rate,
            "cacheMissRate": self._delta("miss", sim.guests.cache_misses) * per_mib * rate,
        }
        vm_values.update(waits(by_cause, dt))
        for name, value in vm_values.items():
            self._put(self.vm_cols, name, value, n)
        on = host.on
        th = host.thresholds
        host_values: dict[str, Any] = {
            "free": host.free() * per_mib,
            "minFree": th.min_free * per_mib,
            "managed": host.managed * per_mib,
            "consumed": (host.managed - host.free()) * per_mib,
            "private": c[:, PageState.PRIVATE].sum() * per_mib,
            "shared": shared.sum() * per_mib,
            "sharedcommon": host.sharing.table.frames * per_mib,
            "sharedSaved": (shared.sum() - host.sharing.table.frames) * per_mib,
            "zero": zero.sum() * per_mib,
            "vmmemctl": sim.balloons.size.sum() * per_mib,
            "vmmemctltarget": np.where(on, sim.balloons.target, 0).sum() * per_mib,
            "swapped": swapped.sum() * per_mib,
            "swaptarget": vm_values["swaptarget"][on].sum(),
            "swapinRate": vm_values["swapinRate"].sum(),
            "swapoutRate": vm_values["swapoutRate"].sum(),
            "compressed": compressed.sum() * per_mib,
            "zipSaved": (compressed.sum() - cache.sum()) * per_mib,
            "cacheSize": cache.sum() * per_mib,
            "overhead": host.overhead().sum() * per_mib,
            "falseMatches": float(host.sharing.false_matches),
            "threshold_high": th.levels[MemState.HIGH] * per_mib,
            "threshold_soft": th.levels[MemState.SOFT] * per_mib,
            "threshold_hard": th.levels[MemState.HARD] * per_mib,
            "threshold_low": th.levels[MemState.LOW] * per_mib,
        }
        if th.has_clear:
            host_values["threshold_clear"] = th.levels[MemState.CLEAR] * per_mib
        for name, value in host_values.items():
            self._put(self.host_cols, name, value, None)
        self._track_footprint(on)
        self.on[self.n] = on
        self.states[self.n] = int(host.state)
        self.times[self.n] = now
        self.n += 1

    def _track_footprint(self, on: np.ndarray) -> None:
        """Keep, per VM, the largest footprint reached since its target last changed."""
        guests = self.sim.guests
        target = np.where(on, guests.target, self._wanted)
        changed = target != self._wanted
        self._wanted = target
        self._got = np.where(changed, 0, self._got)
        self._got = np.where(on, np.maximum(self._got, guests.footprint), self._got)

    def short_of_footprint(self) -> list[str]:
        """Warnings for VMs whose footprint never reached what their workload asked for."""
        short = np.flatnonzero((self._wanted > 0) & (self._got < self._wanted))
        names = self.sim.vms.names
        return [
            f"{names[i]} never reached its footprint of {self._wanted[i] * PAGE_MIB:,.0f} MiB "
            f"(at most {self._got[i] * PAGE_MIB:,.0f} MiB)"
            for i in short
        ]

    # -- results --------------------------------------------------------------------------
    def results(self, wall_time: float) -> Results:
        """The recorded buffers as :class:`Results` DataFrames."""
        sim, k = self.sim, self.n
        rec, vm_idx = np.nonzero(self.on[:k])
        vms = pd.DataFrame(
            {"time": self.times[rec], "vm": np.array(sim.vms.names, dtype=object)[vm_idx]}
        )
        for name, buf in self.vm_cols.items():
            vms[name] = buf[rec, vm_idx]
        host = pd.DataFrame({"time": self.times[:k]})
        host["state"] = [MemState(s).name.lower() for s in self.states[:k]]
        for name, buf in self.host_cols.items():
            host[name] = buf[:k]
        events = pd.DataFrame(sim.events, columns=["time", "kind", "vm", "detail"])
        refused = events[events["kind"].str.endswith("_refused")]
        warnings = [
            f"{REFUSALS[kind]} {vm} at {format_duration(t)} ({detail})"
            for t, kind, vm, detail in zip(
                refused["time"], refused["kind"], refused["vm"], refused["detail"], strict=True
            )
        ]
        manifest = {
            "seed": sim.seed,
            "wall_time": wall_time,
            "simulated": sim.scenario.duration,
            "warnings": [*sim.scenario.warnings, *warnings, *self.short_of_footprint()],
        }
        return Results(sim.scenario, vms, host, events, manifest)
