"""Apply workload changes and setting events to a running simulation.

Events change settings by key path (DESIGN.md §4.1): ``host.advanced.<setting>``,
``vms.<vm or group>.<field>`` for limit, reservation, shares, tools, maxmemctl and pshare, and
``vms.<vm or group>.workload.<key>``. A limit can change while the VM runs, invisibly to the
guest (docs/model.md §6).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from memsim.units import PAGE_SIZE
from memsim.workload.spec import amount_pages

if TYPE_CHECKING:
    from memsim.engine.simulation import Simulation

RUNTIME_VM_FIELDS = ("limit", "reservation", "shares", "tools", "maxmemctl", "pshare")


def apply_workload(sim: Simulation, vm: int, values: dict[str, Any]) -> None:
    """Set workload keys of VM ``vm`` (sizes already in pages)."""
    now = sim.workload_now.setdefault(vm, {})
    now.update(values)
    g = sim.guests
    footprint = int(now["footprint"])
    heap = float(now.get("heap", 0.0))
    g.target[vm] = footprint
    g.set_active(vm, min(max(int(now["active"]), int(heap * footprint)), footprint))
    g.writes[vm] = float(now.get("writes", 0.0))
    g.cache[vm] = float(now.get("cache", 0.0))
    g.dataset[vm] = int(now.get("dataset", 0))
    sim.vms.compressible[vm] = float(now.get("compressible", 0.0))
    content = now.get("content")
    if content is not None:
        sim.content.set_mix(vm, content.zero, content.shared, content.duplicate, footprint)


def apply_event(sim: Simulation, changes: dict[str, Any]) -> None:
    """Apply one event's ``set`` mapping."""
    for path, value in changes.items():
        parts = path.split(".")
        if parts[:2] == ["host", "advanced"]:
            _set_advanced(sim, ".".join(parts[2:]), value)
        elif parts[0] == "vms" and len(parts) >= 3:
            for member in sim.scenario.members(parts[1]):
                vm = sim.vms.names.index(member)
                if parts[2] == "workload":
                    _set_workload(sim, vm, parts[3], value)
                else:
                    _set_vm(sim, vm, parts[2], value)
        else:
            raise ValueError(f"{path}: cannot change while the simulation runs")
        sim.log("setting", parts[1] if parts[0] == "vms" else "", f"{path} = {value}")


def _set_advanced(sim: Simulation, name: str, value: float) -> None:
    sim.settings[name] = float(value)
    if name == "Mem.CtlMaxPercent":
        sim.balloons.maximum = sim.vms.balloon_max(float(value))
    elif name == "Mem.MemZipEnable":
        sim.host.compressor.enabled = bool(value)
    elif name == "Mem.MemZipMaxPct":
        sim.host.compressor.max_pct = float(value)


def _set_vm(sim: Simulation, vm: int, field: str, value: Any) -> None:
    vms = sim.vms
    size = int(vms.size[vm])
    if field == "limit":
        vms.limit[vm] = size if value is None else min(int(value) // PAGE_SIZE, size)
    elif field == "reservation":
        vms.reservation[vm] = int(value) // PAGE_SIZE
    elif field == "shares":
        vms.shares[vm] = float(value)
    elif field == "tools":
        vms.tools[vm] = bool(value)
    elif field == "maxmemctl":
        vms.maxmemctl[vm] = size if value is None else int(value) // PAGE_SIZE
    elif field == "pshare":
        vms.pshare[vm] = bool(value)
    else:
        raise ValueError(f"vms.{vms.names[vm]}.{field}: cannot change while the simulation runs")
    sim.balloons.maximum = vms.balloon_max(sim.settings["Mem.CtlMaxPercent"])
    sim.balloons.tools = vms.tools


def _set_workload(sim: Simulation, vm: int, key: str, value: Any) -> None:
    memory = int(sim.vms.size[vm]) * PAGE_SIZE
    if key in ("footprint", "active", "dataset"):
        value = amount_pages(value, memory)
    apply_workload(sim, vm, {key: value})
