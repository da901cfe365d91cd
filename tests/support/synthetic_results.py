"""Synthetic runs for the results and report tests, built without the engine.

``make_results`` returns a :class:`memsim.results.Results` with plausible counters: memory
pressure builds in the middle of the run, so the host walks through soft and hard, balloons,
compresses and swaps, then recovers. ``FakeScenario`` duck-types the parts of
:class:`memsim.scenario.Scenario` that results use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from memsim.results import Results

MIB = 1 << 20


@dataclass(frozen=True)
class FakeVM:
    name: str
    memory: int
    reservation: int = 0
    limit: int | None = None
    shares: int = 0
    vcpus: int = 1


@dataclass(frozen=True)
class FakeHost:
    memory: int


@dataclass(frozen=True)
class FakeScenario:
    name: str
    vms: list[FakeVM]
    host: FakeHost
    seed: int = 1
    events: list[dict[str, Any]] = field(default_factory=list)

    def machines(self) -> list[FakeVM]:
        return list(self.vms)

    def model_dump(self, mode: str = "python") -> dict[str, Any]:
        return {
            "name": self.name,
            "seed": self.seed,
            "duration": 3600.0,
            "host": {"memory": self.host.memory, "profile": "esxi6"},
            "vms": [vars(vm) for vm in self.vms],
            "events": self.events,
        }


def fake_scenario(n_vms: int = 3, name: str = "synthetic") -> FakeScenario:
    vms = [
        FakeVM(
            f"vm-{i + 1}",
            1024 * MIB,
            reservation=256 * MIB if i == 0 else 0,
            limit=768 * MIB if i == 1 else None,
            shares=10240,
        )
        for i in range(n_vms)
    ]
    events = [{"at": 1800.0, "set": {"host.advanced.Mem.IdleTax": 75}}]
    return FakeScenario(name, vms, FakeHost(2048 * MIB), events=events)


def _pressure(t: np.ndarray) -> np.ndarray:
    """0 → 1 → 0 bump centred on the middle of the hour."""
    return np.exp(-(((t - 1800.0) / 600.0) ** 2))


def make_results(
    n_vms: int = 3,
    *,
    drop: tuple[str, ...] = (),
    name: str = "synthetic",
    scale: float = 1.0,
) -> Results:
    """A one-hour run recorded every 20 s; ``drop`` removes counters; ``scale`` sizes memory."""
    scenario = fake_scenario(n_vms, name)
    t = np.arange(0.0, 3600.0, 20.0)
    p = _pressure(t)
    vm_rows = []
    for i, vm in enumerate(scenario.vms):
        k = 1.0 + 0.15 * i
        frame = pd.DataFrame(
            {
                "time": t,
                "vm": vm.name,
                "consumed": scale * k * (600 - 250 * p),
                "granted": scale * k * (700 - 200 * p),
                "active": scale * k * (150 + 50 * np.sin(t / 400)),
                "entitlement": scale * k * (650 - 300 * p),
                "vmmemctl": scale * k * 200 * p * (p > 0.2),
                "vmmemctltarget": scale * k * 210 * p,
                "swapped": scale * k * 40 * p * (p > 0.6),
                "compressed": scale * k * 20 * p * (p > 0.5),
                "swapinRate": 0.5 * p,
                "swapoutRate": 0.8 * p,
                "compressionRate": 0.3 * p,
                "decompressionRate": 0.1 * p,
                "cowBreaks": np.round(5 * p),
                "latency": 10 * k * p**2,
                "throughput": 1 - 0.3 * k * p**2,
                "sharedSaved": scale * k * (120 - 40 * p),
                "memory": vm.memory / MIB,
                "reservation": vm.reservation / MIB,
                "limit": np.nan if vm.limit is None else vm.limit / MIB,
            }
        )
        vm_rows.append(frame)
    vms = pd.concat(vm_rows, ignore_index=True)
    managed = 2000.0 * scale
    free = managed * (0.2 - 0.19 * p)
    min_free = 0.06 * managed / 1.5
    state = np.select(
        [free < 0.32 * min_free, free < 0.64 * min_free, free < min_free, free < 4 * min_free],
        ["low", "hard", "soft", "clear"],
        "high",
    )
    host = pd.DataFrame(
        {
            "time": t,
            "state": state,
            "free": free,
            "minFree": min_free,
            "managed": managed,
            "private": managed * (0.6 + 0.1 * p),
            "sharedcommon": scale * (80 - 20 * p),
            "shared": scale * (480 - 150 * p),
            "sharedSaved": scale * (400 - 130 * p),
            "zero": scale * (200 - 100 * p),
            "overhead": 60.0 * scale + 0 * t,
            "cacheSize": scale * 10 * p,
            "compressed": scale * 70 * p * (p > 0.5),
            "zipSaved": scale * 40 * p * (p > 0.5),
            "vmmemctl": scale * 700 * p * (p > 0.2),
            "vmmemctltarget": scale * 720 * p,
            "swapped": scale * 150 * p * (p > 0.6),
            "swaptarget": scale * 160 * p,
            "swapinRate": 1.5 * p,
            "swapoutRate": 2.4 * p,
            "threshold_high": 4 * min_free,
            "threshold_clear": min_free,
            "threshold_soft": 0.64 * min_free,
            "threshold_hard": 0.32 * min_free,
            "threshold_low": 0.16 * min_free,
        }
    )
    host["private"] = managed - host[["sharedcommon", "overhead", "cacheSize"]].sum(axis=1) - free
    events = pd.DataFrame(
        {
            "time": [0.0, 1500.0, 1800.0],
            "kind": ["power_on", "state", "setting"],
            "vm": ["vm-1", None, None],
            "detail": ["", "high -> soft", "host.advanced.Mem.IdleTax = 75"],
        }
    )
    vms = vms.drop(columns=[c for c in drop if c in vms])
    host = host.drop(columns=[c for c in drop if c in host])
    if "state" in drop:  # state changes are in the event log too
        events = events[events["kind"] != "state"]
    return Results(scenario, vms, host, events, {"seed": 1, "wall_time": 0.5})
