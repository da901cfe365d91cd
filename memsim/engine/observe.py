"""The observer: model state → one record of every counter, per VM and for the host.

Each sample reads exact counters the model keeps (per-VM page counts by state, cumulative
swap/compression/fault counts), so observing costs O(VMs) per sample, never a pass over guest
pages. Rates are the change of a cumulative count over the interval. What each counter means,
its unit and its esxtop/vCenter names are in the registry, :mod:`memsim.counters` (docs/model.md
§7); the observer computes them and hands them, in the registry's order, to the buffers of
:class:`memsim.results.recorder.Recorder`, which only stores them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from memsim import counters
from memsim.model.cost import throughput, waits
from memsim.model.pages import PageState
from memsim.model.states import MemState
from memsim.results.recorder import Recorder
from memsim.units import PAGE_MIB

if TYPE_CHECKING:
    from memsim.engine.simulation import Simulation

__all__ = ["Observer"]

#: Counters of the registry the recorder stores apart: the time index and the state number.
_APART = {"time", "state"}


class Observer:
    """Samples a simulation's counters into a :class:`Recorder` every ``record_every``.

    Args:
        sim: the simulation observed.
    """

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.every = sim.scenario.record_every
        n_rec = int(np.floor(sim.scenario.duration / self.every + 1e-9)) + 2
        self.recorder = Recorder(n_rec, sim.vms.n)
        self._last: dict[str, np.ndarray] = {}
        self._last_time = 0.0
        # per VM: the footprint its workload asks for, and the most it got since it asked
        self._wanted = np.zeros(sim.vms.n, dtype=np.int64)
        self._got = np.zeros(sim.vms.n, dtype=np.int64)

    def _delta(self, key: str, cumulative: np.ndarray) -> np.ndarray:
        last = self._last.get(key, np.zeros_like(cumulative, dtype=float))
        self._last[key] = np.asarray(cumulative, dtype=float).copy()
        return cumulative - last

    def sample(self, final: bool = False) -> None:
        """Record every counter at the current simulated time (once per time)."""
        sim = self.sim
        now = float(sim.env.now if not final else sim.scenario.duration)
        if not self.recorder.is_new(now):
            return
        dt = now - self._last_time if self.recorder.n else 0.0
        self._last_time = now
        vm_values = self._vm_values(dt)
        host_values = self._host_values(vm_values)
        on = sim.host.on
        self._track_footprint(on)
        self.recorder.put(
            now,
            _in_order(counters.VM, vm_values),
            _in_order(counters.HOST, host_values),
            on,
            int(sim.host.state),
        )

    def _vm_values(self, dt: float) -> dict[str, Any]:
        """Per-VM counters of the interval of ``dt`` seconds just ended.

        Longer than most functions on purpose: one line per counter, so that every per-VM
        counter of the registry is computed in one place.
        """
        sim = self.sim
        host, gm, vms = sim.host, sim.host.gm, sim.vms
        rate = (1.0 / dt) if dt > 0 else 0.0
        n = vms.n
        c = gm.counts
        consumed = host.consumed()
        shared = gm.count(PageState.SHARED)
        cache = host.cache_pages()
        charge = consumed - gm.count(PageState.PRIVATE) - cache
        compressed = gm.count(PageState.COMPRESSED)
        swapped = gm.count(PageState.SWAPPED) + gm.count(PageState.SWAPPED_CACHE)
        act = sim.activity
        d_stall = self._delta("stall", sim.guests.stall + sim.guests.blocked_time)
        d_blocked = self._delta("blocked", sim.guests.blocked_time)
        by_cause = {c: self._delta(f"stall_{c}", v) for c, v in sim.guests.stall_by.items()}
        by_cause["blocked"] = d_blocked
        mib = PAGE_MIB

        def rate_of(key: str, cumulative: np.ndarray) -> np.ndarray:
            return self._delta(key, cumulative) * mib * rate

        values: dict[str, Any] = {
            "memory": vms.size * mib,
            "reservation": vms.reservation * mib,
            "limit": np.where(vms.limit >= vms.size, np.nan, vms.limit * mib),
            "consumed": consumed * mib,
            "granted": host.granted() * mib,
            "active": act.estimate * vms.size * mib,
            "touched": np.where(host.on, act.last, 0.0) * vms.size * mib,
            "held": host.touched() * mib,
            "activeSlowPct": act.slow * 100.0,
            "activeFastPct": act.fast * 100.0,
            "shared": shared * mib,
            "zero": host.sharing.zero_shared * mib,
            "sharedSaved": (shared - charge) * mib,
            "cowHint": host.sharing.hints * mib,
            "vmmemctl": sim.balloons.size * mib,
            "vmmemctltarget": sim.balloons.target * mib,
            "tools": vms.tools.astype(float),
            "vmmemctlmax": sim.balloons.maximum * mib,
            "guestSwapped": c[:, PageState.GUEST_SWAPPED] * mib,
            "swapped": swapped * mib,
            "swaptarget": (swapped + compressed + sim.swap_goal) * mib,
            "swapinRate": rate_of("swapin", sim.swapper.swapped_in),
            "swapoutRate": rate_of("swapout", sim.swapper.swapped_out),
            "llSwapInRate": rate_of("llswapin", sim.swapper.cache_in),
            "llSwapOutRate": rate_of("llswapout", sim.swapper.cache_out),
            "compressed": compressed * mib,
            "cacheSize": cache * mib,
            "cacheUsed": host.compressor.cache_kib / 1024.0,
            "zipSaved": (compressed - cache) * mib,
            "compressionRate": rate_of("zip", host.compressor.compressed_total),
            "decompressionRate": rate_of("unzip", host.compressor.decompressed_total),
            "cowBreaks": self._delta("cow", host.sharing.cow_breaks),
            "overhead": vms.overhead * mib,
            "entitlement": host.entitlement * mib,
            "throughput": throughput(d_stall, dt) if dt > 0 else np.ones(n),
            "guestSwapinRate": rate_of("gin", sim.guests.guest_swapped_in),
            "guestSwapoutRate": rate_of("gout", sim.balloons.guest_swapped_out),
            "cacheMissRate": rate_of("miss", sim.guests.cache_misses),
        }
        values.update(waits(by_cause, dt))
        return values

    def _host_values(self, vm: dict[str, Any]) -> dict[str, Any]:
        """Host counters; sums over VMs are taken from the per-VM values ``vm`` (MiB)."""
        sim = self.sim
        host, gm = sim.host, sim.host.gm
        on, th = host.on, host.thresholds
        mib = PAGE_MIB
        shared = gm.count(PageState.SHARED).sum()
        compressed = gm.count(PageState.COMPRESSED).sum()
        cache = host.cache_pages().sum()
        swapped = (gm.count(PageState.SWAPPED) + gm.count(PageState.SWAPPED_CACHE)).sum()
        values: dict[str, Any] = {
            "free": host.free() * mib,
            "minFree": th.min_free * mib,
            "managed": host.managed * mib,
            "reserved": host.reserved() * mib,
            "unreserved": (host.managed - host.reserved()) * mib,
            "consumed": (host.managed - host.free()) * mib,
            "private": gm.counts[:, PageState.PRIVATE].sum() * mib,
            "shared": shared * mib,
            "sharedcommon": host.sharing.table.frames * mib,
            "sharedSaved": (shared - host.sharing.table.frames) * mib,
            "zero": host.sharing.zero_shared.sum() * mib,
            "vmmemctl": sim.balloons.size.sum() * mib,
            "vmmemctltarget": np.where(on, sim.balloons.target, 0).sum() * mib,
            "swapped": swapped * mib,
            "swaptarget": vm["swaptarget"][on].sum(),
            "swapinRate": vm["swapinRate"].sum(),
            "swapoutRate": vm["swapoutRate"].sum(),
            "compressed": compressed * mib,
            "zipSaved": (compressed - cache) * mib,
            "cacheSize": cache * mib,
            "overhead": host.overhead().sum() * mib,
            "falseMatches": float(host.sharing.false_matches),
        }
        for state in (MemState.HIGH, MemState.SOFT, MemState.HARD, MemState.LOW):
            values[f"threshold_{state.name.lower()}"] = th.levels[state] * mib
        if th.has_clear:
            values["threshold_clear"] = th.levels[MemState.CLEAR] * mib
        return values

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


def _in_order(registry: dict[str, counters.Counter], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` in the registry's order; every registered counter computed, nothing else.

    Raises:
        KeyError: a counter of the registry is not computed (unless conditional), or a computed
            value is not in the registry.
    """
    extra = set(values) - set(registry)
    if extra:
        raise KeyError(f"computed counters missing from memsim.counters: {sorted(extra)}")
    missing = [n for n, c in registry.items() if n not in values and n not in _APART and not c.when]
    if missing:
        raise KeyError(f"registered counters not computed: {missing}")
    return {name: values[name] for name in registry if name in values}
