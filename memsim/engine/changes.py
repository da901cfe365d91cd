"""Apply workload changes and setting events to a running simulation.

Events change what the run-time allow-list permits (:data:`memsim.scenario.advanced.RUNTIME_KEYS`
and ``RUNTIME_SETTINGS``; the loader refuses the rest with a location): ``host.advanced.<setting>``,
``vms.<vm or group>.<field>`` for limit, reservation, shares, tools and maxmemctl, and
``vms.<vm or group>.workload.<key>``. A changed advanced setting takes effect at once through
:meth:`Simulation.refresh`, which rebuilds everything derived from settings in one place.

The loader holds the state each event produces to the file's cross-field rules
(reservation ≤ limit ≤ memory, balloon cap within memory; :mod:`memsim.scenario.rules`). What it
cannot know is checked here: a reservation raised while the VM runs must pass admission control
(docs/model.md §6), and a workload can change only while its VM runs. A change refused here is
logged as ``reservation_refused`` or ``setting_refused`` with the reason, and the old value
stays. A limit can change while the
VM runs, invisibly to the guest; a lowered one is followed down (:mod:`memsim.model.limits`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from memsim.scenario.events import split_path
from memsim.scenario.types import Amount
from memsim.units import PAGE_SIZE, format_size
from memsim.units import pages as to_pages
from memsim.workload.spec import amount_pages

if TYPE_CHECKING:
    from memsim.engine.simulation import Simulation


def apply_workload(sim: Simulation, vm: int, values: dict[str, Any]) -> None:
    """Set workload keys of VM ``vm`` (sizes already in pages)."""
    now = sim.workload_now.setdefault(vm, {})
    now.update(values)
    g = sim.guests
    footprint = min(int(now["footprint"]), int(sim.vms.size[vm]))
    heap = float(now.get("heap", 0.0))
    g.target[vm] = footprint
    g.set_active(vm, min(max(int(now["active"]), int(heap * footprint)), footprint))
    g.writes[vm] = float(now.get("writes", 0.0))
    g.churn[vm] = float(now.get("churn", 0.0))
    g.cache[vm] = float(now.get("cache", 0.0))
    g.dataset[vm] = int(now.get("dataset", 0))
    g.reread[vm] = float(now.get("reread") or 0.0)
    sim.vms.compressible[vm] = float(now.get("compressible", 0.0))
    content = now.get("content")
    if content is not None:
        sim.content.set_mix(vm, content.zero, content.shared, content.duplicate, footprint)


def apply_event(sim: Simulation, changes: dict[str, Any]) -> None:
    """Apply one event's ``set`` mapping, path by path."""
    for path, value in changes.items():
        parts = split_path(path)
        if parts[:2] == ["host", "advanced"]:
            sim.settings[parts[2]] = float(value)
            sim.refresh()
            sim.log("setting", "", f"{path} = {value}")
            continue
        shown = f"{path} = {_shown(parts[-1], value)}"
        for member in sim.scenario.members(parts[1]):
            vm = sim.index[member]
            if parts[2] == "workload":
                refused = _set_workload(sim, vm, parts[3], value)
            else:
                refused = _set_vm(sim, vm, parts[2], value)
            if refused is None:
                sim.log("setting", member, shown)
            else:
                kind = "reservation_refused" if parts[2] == "reservation" else "setting_refused"
                sim.log(kind, member, f"{shown} refused: {refused}")
        sim.refresh()


def _set_vm(sim: Simulation, vm: int, field: str, value: Any) -> str | None:
    """Set one VM field; returns why the change is refused, or None when applied."""
    vms, host = sim.vms, sim.host
    size = int(vms.size[vm])
    pages = size if value is None or isinstance(value, bool) else to_pages(int(value))
    # the loader holds events to reservation ≤ limit assuming each change is made; one
    # refused here (admission) can leave a later one breaking the rule: refuse that too
    if field == "limit":
        if pages < vms.reservation[vm]:
            return f"limit below the reservation of {format_size(vms.reservation[vm] * PAGE_SIZE)}"
        host.ceilings.set_limit(vm, min(pages, size), float(host.limited_use()[vm]))
    elif field == "reservation":
        if pages > vms.limit[vm]:
            return f"reservation above the limit of {format_size(vms.limit[vm] * PAGE_SIZE)}"
        problem = host.admission(vm, pages) if host.on[vm] or host.starting[vm] else None
        if problem:
            return problem
        vms.reservation[vm] = pages
    elif field == "shares":
        vms.shares[vm] = float(value)
    elif field == "tools":
        vms.tools[vm] = bool(value)
    elif field == "maxmemctl":
        vms.maxmemctl[vm] = pages
    return None


def _set_workload(sim: Simulation, vm: int, key: str, value: Any) -> str | None:
    """Set one workload key of a running VM; returns why not when the VM does not run (the
    loader refuses events before a power-on; this is a VM refused at admission or off)."""
    if not sim.host.on[vm]:
        return "the VM is not running"
    memory = int(sim.vms.size[vm]) * PAGE_SIZE
    if key in ("footprint", "active", "dataset"):
        value = amount_pages(value, memory)
    apply_workload(sim, vm, {key: value})
    return None


def _shown(key: str, value: Any) -> Any:
    """A value as a user writes it: sizes in units, amounts as sizes or percentages."""
    if isinstance(value, Amount):
        return value.text
    if key in ("limit", "reservation", "maxmemctl"):
        return "unlimited" if value is None else format_size(int(value))
    return value
