"""Building a simulation's model from a scenario, with its mechanisms injected (DESIGN.md §2).

:func:`build` turns a validated :class:`~memsim.scenario.Scenario` into the domain core's
objects (per-VM parameters, the host with its guest memory, page sharing and compression, the
swapper, the balloon drivers, the guests, the active-memory estimator), ready for
:class:`~memsim.engine.simulation.Simulation` to wire into simpy processes. The mechanisms a
researcher may want to replace are strategies passed in through :class:`Mechanisms`, with the
defaults memsim models (as Ciw passes ``node_class=``): how a VM's balloon driver behaves, what
swap device the host has, and what the guests write into their pages. Another balloon policy
is then ``Mechanisms(balloon_driver=my_policy)``, without editing the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np

from memsim.model.activity import ActivityEstimator
from memsim.model.content import PageContents
from memsim.model.guest import Guests
from memsim.model.host import Host
from memsim.model.overhead import overhead_mib
from memsim.model.pages import GuestMemory
from memsim.model.reclaim.balloon import Balloons, DriverSpec
from memsim.model.reclaim.compression import Compressor
from memsim.model.reclaim.sharing import PageSharing, salt_domains
from memsim.model.reclaim.swap import SwapDevice, Swapper
from memsim.model.states import Thresholds, thresholds
from memsim.model.vms import VMParams
from memsim.scenario import VM, Scenario
from memsim.units import MIB, PAGE_SIZE, pages
from memsim.workload.content import ContentModel

__all__ = [
    "Contents", "Mechanisms", "Model", "build", "content_model", "driver_spec", "host_thresholds",
    "swap_device", "vm_params",
]  # fmt: skip


def vm_params(machines: list[VM]) -> VMParams:
    """Per-VM vectors in pages from the scenario's machines."""
    size = np.array([pages(vm.memory) for vm in machines], dtype=np.int64)
    auto = overhead_mib(
        np.array([vm.memory / MIB for vm in machines]), np.array([vm.vcpus for vm in machines])
    )
    overhead = np.array(
        [
            pages(vm.overhead if vm.overhead is not None else auto[i] * MIB)
            for i, vm in enumerate(machines)
        ],
        dtype=np.int64,
    )
    return VMParams(
        names=[vm.name for vm in machines],
        size=size,
        reservation=np.array([pages(vm.reservation) for vm in machines], dtype=np.int64),
        limit=np.array(
            [size[i] if vm.limit is None else pages(vm.limit) for i, vm in enumerate(machines)],
            dtype=np.int64,
        ),
        shares=np.array([float(vm.shares) for vm in machines]),
        overhead=overhead,
        tools=np.array([vm.tools for vm in machines], dtype=bool),
        maxmemctl=np.array(
            [
                size[i] if vm.maxmemctl is None else pages(vm.maxmemctl)
                for i, vm in enumerate(machines)
            ],
            dtype=np.int64,
        ),
        compressible=np.array([vm.workload.compressible for vm in machines]),
        large_pages=np.array(
            [{"auto": -1, True: 1, False: 0}[vm.large_pages] for vm in machines], dtype=np.int8
        ),
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


def swap_device(scenario: Scenario) -> SwapDevice:
    """The host's swap device and its SSD swap cache (``host.swap``, ``host.swap_cache``)."""
    cfg = scenario.host
    return SwapDevice(
        latency=cfg.swap.latency,
        bandwidth=cfg.swap.bandwidth / PAGE_SIZE,
        cache_pages=pages(cfg.swap_cache),
    )


class Contents(PageContents, Protocol):
    """Page contents as the engine drives them: the model's protocol, plus the content mix a
    workload phase sets (:func:`memsim.engine.changes.apply_workload`)."""

    def set_mix(
        self, vm: int, zero: float, shared: float, duplicate: float, footprint: int
    ) -> None:
        """Set VM ``vm``'s shares of zero, shared and duplicate pages for ``footprint`` pages."""
        ...


def content_model(seed: int, machines: list[VM]) -> Contents:
    """The page contents guests write: hashed ids per guest family, VM and rank."""
    return ContentModel(seed, [vm.guest for vm in machines])


@dataclass(frozen=True)
class Mechanisms:
    """The strategies a simulation is built with; each defaults to what memsim models.

    Attributes:
        balloon_driver: a VM's balloon driver behaviour (docs/model.md §3).
        swap_device: the host's swap device (docs/model.md §5).
        content: the page-content model guests write with (docs/model.md §2), given the
            run's seed and the machines.
    """

    balloon_driver: Callable[[VM], DriverSpec] = driver_spec
    swap_device: Callable[[Scenario], SwapDevice] = swap_device
    content: Callable[[int, list[VM]], Contents] = content_model


class Model(NamedTuple):
    """The domain core of one run, as :func:`build` makes it."""

    vms: VMParams
    host: Host
    swapper: Swapper
    balloons: Balloons
    content: Contents
    guests: Guests
    activity: ActivityEstimator


def host_thresholds(scenario: Scenario, managed: int, settings: dict[str, float]) -> Thresholds:
    """Free-memory thresholds of the scenario's profile for ``managed`` pages (§1)."""
    host = scenario.host
    return thresholds(host.profile, pages(host.memory), managed, settings)


def build(
    scenario: Scenario,
    machines: list[VM],
    settings: dict[str, float],
    seed: int,
    rng: np.random.Generator,
    mechanisms: Mechanisms,
) -> Model:
    """The model of ``scenario``: every mechanism built, with ``mechanisms``' strategies.

    Args:
        scenario: the validated scenario.
        machines: its machines, groups expanded (:meth:`Scenario.machines`).
        settings: the advanced settings in effect at the start.
        seed: the run's seed (the content model's ids derive from it).
        rng: the run's one random generator (sharing and the swapper draw from it).
        mechanisms: the strategies to build with.
    """
    host_cfg = scenario.host
    managed = pages(host_cfg.memory - host_cfg.vmkernel_bytes())
    vms = vm_params(machines)
    gm = GuestMemory(vms.size)
    domains = salt_domains([vm.salt for vm in machines], int(settings["Mem.ShareForceSalting"]))
    sharing = PageSharing(gm, domains, vms.pshare, int(settings["Memsim.HashBits"]), rng)
    compressor = Compressor(
        gm, vms.compressible, bool(settings["Mem.MemZipEnable"]), settings["Mem.MemZipMaxPct"]
    )
    capacity = host_cfg.swap.capacity
    host = Host(
        vms,
        managed,
        host_thresholds(scenario, managed, settings),
        gm,
        sharing,
        compressor,
        None if capacity is None else pages(capacity),
    )
    swapper = Swapper(gm, mechanisms.swap_device(scenario), rng)
    drivers = [mechanisms.balloon_driver(vm) for vm in machines]
    balloons = Balloons(gm, sharing, compressor, drivers, vms.tools)
    content = mechanisms.content(seed, machines)
    guests = Guests(host, content, balloons, swapper)
    activity = ActivityEstimator(
        vms.n,
        int(settings["Memsim.SampleSize"]),
        settings["Memsim.ActiveFastGain"],
        settings["Memsim.ActiveSlowGain"],
    )
    return Model(vms, host, swapper, balloons, content, guests, activity)
