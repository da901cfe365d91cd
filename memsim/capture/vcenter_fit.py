"""A vCenter performance export made ready for the capture fit (``memsim import vcenter``).

A ``Get-Stat`` export (:mod:`memsim.capture.vcenter`) has the performance counters a warm
start needs — per VM granted, consumed, active, balloon size and target, swapped, compressed,
shared and zero memory; the host's state — but no configuration: no host memory, no VM memory
sizes, reservations, limits or shares. :func:`completed` adds them, from the user (host
memory) and an inventory (:mod:`memsim.capture.inventory`) where one is given, and estimates
what is still missing, so :mod:`memsim.capture.fit` writes the same kind of scenario as from
esxtop. What is taken, estimated and left out is :func:`vcenter_provenance`:

* **taken**: per VM its first sample as ``start_from`` (granted, consumed, active, balloon
  size/target, swapped, compressed, shared, zero) and its active/footprint trace; the host
  state; ``mem.sysUsage.average`` as the host's kernel memory when the export has it;
  memory size, reservation, limit, shares and guest OS from the inventory;
* **estimated**: without an inventory, a VM's memory size as the most it held in any sample
  (granted + swapped + compressed + ballooned) rounded up to a whole GiB, and no reservation
  or limit; the compression cache as half of the compressed memory
  (:data:`~memsim.model.warm.PAGES_PER_CACHE_PAGE`); content mix and guest family as for
  esxtop (:mod:`memsim.capture.fit`);
* **left out**: touched memory and the Tools state (not vCenter counters; Tools taken as
  running), per-instance rows, CPU, disk and network metrics; VMs the inventory names but the
  export does not (they have no counters to start from).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from memsim.capture.esxtop import EsxtopCapture
from memsim.capture.fit import DEFAULT_GUEST, guest_family
from memsim.capture.inventory import InventoryVM, guest_of
from memsim.model.warm import PAGES_PER_CACHE_PAGE
from memsim.units import GIB, MIB

__all__ = ["completed", "vcenter_provenance"]

#: Counters whose sum is the most guest memory a VM can hold (MiB).
HELD = ("granted", "swapped", "compressed", "vmmemctl")


def _estimated_memory(frame: Any) -> float:
    held = sum(frame[c].fillna(0.0) for c in HELD if c in frame)
    most = float(np.max(held)) if len(frame) else 0.0
    return float(max(math.ceil(most * MIB / GIB), 1) * GIB / MIB)


def _setting(vm: InventoryVM | None, frame: Any) -> dict[str, Any]:
    if vm is None:
        memory = _estimated_memory(frame)
        return {"memory": memory, "reservation": None, "limit": None, "shares": None}
    return {
        "memory": vm.memory,
        "reservation": vm.reservation,
        "limit": vm.limit,
        "shares": vm.shares,
        "guest": guest_of(vm),
    }


def completed(
    capture: EsxtopCapture, host_memory: int, inventory: list[InventoryVM] | None = None
) -> EsxtopCapture:
    """The capture with machine memory (``host_memory`` bytes), every VM's settings and
    memory size, and the compression cache the fit expects (see the module docstring)."""
    known = {vm.name: vm for vm in inventory or []}
    vms = capture.vms.copy()
    settings = {}
    for name in vms["vm"].unique():
        rows = vms["vm"] == name
        settings[name] = _setting(known.get(name), vms[rows])
        vms.loc[rows, "memory"] = settings[name]["memory"]
    if "compressed" in vms and "cacheSize" not in vms:
        vms["cacheSize"] = vms["compressed"] / PAGES_PER_CACHE_PAGE
    host = capture.host.copy()
    host["machine"] = host_memory / MIB
    return dataclasses.replace(capture, host=host, vms=vms, settings=settings)


def vcenter_provenance(
    capture: EsxtopCapture, source: str, inventory: list[InventoryVM] | None
) -> str:
    """The header comment of a scenario imported from a vCenter export."""
    known = {vm.name: vm for vm in inventory or []}
    names = list(capture.settings)
    sized = [n for n in names if n in known]
    estimated = [n for n in names if n not in known]
    guessed = [
        n for n in names if (known.get(n) is None or guest_of(known[n]) is None)
        and guest_family(n) is None
    ]  # fmt: skip
    unused = sorted(set(known) - set(names))
    kernel = "mem.sysUsage.average" if "kernel" in capture.host else "the profile's default"
    lines = [
        f"memsim scenario imported from {source} (memsim import vcenter)",
        "Taken: per VM its first sample (granted, consumed, active, balloon size/target,",
        "  swapped, compressed, shared, zero) as start_from; active/footprint traces of all",
        f"  samples; the host state; host.vmkernel from {kernel}; host memory as given;",
        "  memory size, reservation, limit, shares, guest from the inventory for:",
        f"  {', '.join(sized) or 'none'}.",
        "Estimated: memory size as the most held (granted + swapped + compressed + ballooned),",
        f"  in whole GiB, for: {', '.join(estimated) or 'none'};",
        "  compression cache as half the compressed memory; content mix from shared/zero;",
        f"  guest family from the VM name ({', '.join(guessed) or 'none'}: {DEFAULT_GUEST}).",
        "Left out: touched memory and Tools state (Tools taken as running), per-instance rows,",
        "  CPU/disk/network metrics; inventory VMs without counters:",
        f"  {', '.join(unused) or 'none'}.",
    ]
    return "".join(f"# {line}\n" for line in lines)
