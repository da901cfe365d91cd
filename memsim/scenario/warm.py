"""``start_from:``: a scenario that starts from a captured instant instead of power-on.

A warm start gives, per VM, what a capture (esxtop, vCenter) showed of its memory at one instant
— granted, swapped, ballooned, compressed, shared and zero memory, the touched and active
estimates — and for the host its free-memory state. The engine places every VM's pages in
those backing states before the first step (:mod:`memsim.model.warm`, docs/model.md "Warm
start"), so the run continues from where the host was. Settings (reservation, limit, shares,
Tools, overhead, the host's kernel memory) stay where every scenario keeps them: on the VMs and
the host.

Sizes are host memory in MiB as esxtop prints them:

* ``granted``: guest memory mapped to host memory (GRANT), private or shared;
* ``consumed``: host memory backing the guest (checked against the placement, never set);
* ``touched``/``active``: recently touched memory (TCHD) and the active estimate (%ACTV ×
  size); the working set is ``active`` when given, else ``touched``;
* ``balloon``/``balloon_target``: MCTLSZ and MCTLTGT;
* ``swapped``: SWCUR; ``compressed``: host memory held by the VM's compression cache (esxtop's
  per-VM "Compressed Memory MBytes");
* ``shared``/``zero``: guest pages shared (SHRD) and zero pages (ZERO), for the report of what
  the content mix reproduces.
"""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from memsim.scenario.errors import Issue, issues
from memsim.scenario.types import Frozen, Size

__all__ = ["StartFrom", "VMStart", "HostStart", "warm_issues"]

STATES = ("high", "clear", "soft", "hard", "low")


class VMStart(Frozen):
    """One VM's memory at the captured instant (sizes in bytes once loaded)."""

    granted: Size = 0
    consumed: Size | None = None
    touched: Size | None = None
    active: Size | None = None
    balloon: Size = 0
    balloon_target: Size | None = None
    swapped: Size = 0
    compressed: Size = 0
    shared: Size | None = None
    zero: Size | None = None

    @model_validator(mode="after")
    def _consistent(self) -> VMStart:
        found: list[Issue] = []
        for key in ("touched", "active", "consumed"):
            value = getattr(self, key)
            if value is not None and value > self.granted + self.swapped + self.compressed:
                found.append(((key,), "is more than granted + swapped + compressed"))
        if found:
            raise issues(*found)
        return self


class HostStart(Frozen):
    """The host at the captured instant."""

    state: Literal["high", "clear", "soft", "hard", "low"] | None = None
    free: Size | None = None  #: captured free memory (reported beside the run, not set)


class StartFrom(Frozen):
    """Where a warm-started scenario begins (see the module docstring).

    Attributes:
        source: Free text: which capture and instant this is.
        host: Host state and free memory at the instant.
        vms: Per VM name, its memory at the instant; VMs not named cold-boot as usual.
    """

    source: str = ""
    host: HostStart = HostStart()
    vms: dict[str, VMStart] = {}


def warm_issues(
    start: StartFrom, memory: dict[str, int], power_on: dict[str, float]
) -> list[Issue]:
    """Problems of a ``start_from`` block against the scenario's VMs, at
    ``start_from.vms.<name>...``.

    Args:
        start: The block.
        memory: Configured memory (bytes) of each machine by name.
        power_on: Power-on time of each machine by name.
    """
    found: list[Issue] = []
    for name, vm in start.vms.items():
        where = ("start_from", "vms", name)
        if name not in memory:
            found.append((where, f"no VM named {name!r} in vms", True))
            continue
        if power_on[name] > 0:
            found.append((where, "a warm-started VM must power on at 0s"))
        held = vm.granted + vm.swapped + vm.balloon
        if held > memory[name]:
            found.append(
                (
                    (*where, "granted"),
                    f"granted + swapped + balloon ({held >> 20} MiB) is more than the VM's "
                    f"memory ({memory[name] >> 20} MiB)",
                )
            )
    return found
