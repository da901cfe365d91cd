"""A scenario seeded from a VM inventory (``memsim import inventory``).

The inventory (:mod:`memsim.capture.inventory`) gives each VM's configuration; the host's
memory comes from the user (an inventory of VMs does not say which host they share). What is
taken, estimated and left out is written as the scenario's header comment
(:func:`inventory_provenance`):

* **taken**: name, memory size, reservation, limit, shares (RVTools ``vMemory``, or PowerCLI
  with ``Get-VMResourceConfiguration`` columns), guest family from the configured OS;
* **estimated**: every VM's workload is memsim's default (docs/model.md §4), since an
  inventory says nothing of what the guests do; the guest family from the VM name where the
  OS does not tell it;
* **left out**: powered-off and suspended VMs (they hold no host memory), templates.

The host's overcommit ratio is Σ configured memory of the powered-on VMs / host memory
(docs/model.md §1: above 1 the host relies on reclamation).
"""

from __future__ import annotations

from typing import Any

from memsim.capture.fit import DEFAULT_GUEST, guest_family, safe_names
from memsim.capture.inventory import InventoryVM, guest_of
from memsim.units import MIB

__all__ = ["inventory_provenance", "inventory_scenario", "overcommit_ratio"]


def _mib(value: float) -> str:
    return f"{round(value)}MiB"


def powered_on(vms: list[InventoryVM]) -> list[InventoryVM]:
    """The VMs that hold host memory."""
    return [vm for vm in vms if vm.power == "on"]


def overcommit_ratio(vms: list[InventoryVM], host_memory: int) -> float:
    """Σ configured memory of the powered-on VMs / host memory (bytes)."""
    return sum(vm.memory for vm in powered_on(vms)) * MIB / host_memory


def vm_entry(vm: InventoryVM, name: str) -> dict[str, Any]:
    """A scenario VM with the inventory's settings (defaults left unwritten)."""
    entry: dict[str, Any] = {"name": name, "memory": _mib(vm.memory)}
    if vm.reservation:
        entry["reservation"] = _mib(vm.reservation)
    if vm.limit is not None:
        entry["limit"] = _mib(vm.limit)
    if vm.shares != "normal":
        entry["shares"] = vm.shares
    entry["guest"] = guest_of(vm) or guest_family(vm.name) or DEFAULT_GUEST
    return entry


def inventory_scenario(
    vms: list[InventoryVM], host_memory: int, name: str, duration: str = "1h"
) -> dict[str, Any]:
    """A plain scenario dict (DESIGN.md §4.1): the powered-on VMs on one host of
    ``host_memory`` bytes, all powering on at 0 with memsim's default workload."""
    running = powered_on(vms)
    names = safe_names([vm.name for vm in running])
    ratio = overcommit_ratio(vms, host_memory)
    return {
        "name": name,
        "description": (
            f"Seeded from a VM inventory: {len(running)} powered-on VMs on a host of "
            f"{host_memory / 2**30:g} GiB (overcommit {ratio:.2f})."
        ),
        "duration": duration,
        "host": {"memory": _mib(host_memory / MIB), "profile": "esxi6"},
        "vms": [vm_entry(vm, names[vm.name]) for vm in running],
    }


def inventory_provenance(kind: str, source: str, vms: list[InventoryVM]) -> str:
    """The header comment of a seeded scenario: what was taken, estimated, left out."""
    running = powered_on(vms)
    off = [vm.name for vm in vms if vm.power != "on"]
    guessed = [vm.name for vm in running if guest_of(vm) is None]
    settings = "reservation, limit, shares" if kind != "RVTools vInfo" else "(no reservation,"
    settings += "" if kind != "RVTools vInfo" else " limit or shares in vInfo: defaults)"
    lines = [
        f"memsim scenario seeded from {source}, a {kind} export (memsim import inventory)",
        f"Taken: per VM name, memory size, {settings}, guest family from the configured OS.",
        "Estimated: each VM's workload is memsim's default (footprint 50 %, active 10 % of",
        "  memory); edit vms[].workload, or import a capture for measured ones;",
        f"  guest family from the VM name for {', '.join(guessed) or 'none'}.",
        f"Left out: powered-off or suspended VMs ({', '.join(off) or 'none'}), templates.",
    ]
    return "".join(f"# {line}\n" for line in lines)
