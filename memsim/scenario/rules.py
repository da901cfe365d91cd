"""Events are held to the rules of the file: what a VM may not be configured with, it may not be
set to later.

A VM's entry is checked by itself (reservation ≤ limit ≤ memory, a balloon cap and a footprint
within memory, active within footprint). Events change those values while the simulation runs,
so the same rules are applied to the values each VM holds after every event, in time order (a
workload's phases included); and an event cannot change the workload of a VM that has not
powered on yet, since it has none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from memsim.scenario.errors import Issue
from memsim.scenario.events import Event, split_path
from memsim.scenario.machine import VM
from memsim.scenario.types import Amount, expand_name
from memsim.scenario.workload import Workload
from memsim.units import format_duration, format_size

__all__ = ["event_issues"]


@dataclass
class _Held:
    """The allocation settings a VM holds at some time."""

    memory: int
    reservation: int
    limit: int | None
    maxmemctl: int | None
    power_on: float
    workload: Workload
    #: (time, key, amount) of workload events applied so far, in time order
    sizes: list[tuple[float, str, Amount]] = field(default_factory=list)

    def amount_at(self, key: str, at: float) -> Amount:
        """The workload's ``footprint`` or ``active`` in force at ``at``: the file's value,
        then its phases (from power-on), then events; a phase and an event at the same time
        apply in that order, as the engine does."""
        changes = [(self.power_on + p.at, 0, getattr(p, key)) for p in self.workload.phases]
        changes += [(t, 1, value) for t, k, value in self.sizes if k == key]
        current = getattr(self.workload, key)
        for _, _, value in sorted((c for c in changes if c[2] is not None and c[0] <= at),
                                  key=lambda c: (c[0], c[1])):  # fmt: skip
            current = value
        return current

    def problems(self, changed: set[str]) -> list[tuple[str, str]]:
        """(key, message) for each rule broken by the values of the keys in ``changed``."""
        found = []
        memory = format_size(self.memory)
        if self.limit is not None and self.reservation > self.limit:
            key = "limit" if "limit" in changed else "reservation"
            found.append(
                (key, f"limit {format_size(self.limit)} would be below the reservation "
                 f"{format_size(self.reservation)}")
            )  # fmt: skip
        if self.limit is not None and self.limit > self.memory:
            found.append(("limit", f"{format_size(self.limit)} is above memory {memory}"))
        if self.reservation > self.memory:
            found.append(
                ("reservation", f"{format_size(self.reservation)} is above memory {memory}")
            )
        if self.maxmemctl is not None and self.maxmemctl > self.memory:
            found.append(("maxmemctl", f"{format_size(self.maxmemctl)} is above memory {memory}"))
        return [(key, message) for key, message in found if key in changed]


def event_issues(vms: list[VM], events: list[Event]) -> list[Issue]:
    """Problems of the events of a scenario, located at ``events[i].set.<path>``.

    Args:
        vms: The VMs as written (groups not expanded).
        events: The events as written; they are applied in time order.
    """
    held: dict[str, _Held] = {}
    groups: dict[str, list[str]] = {}
    for vm in vms:
        members = expand_name(vm.name, vm.count)
        groups[vm.name] = members
        for name in members:
            groups.setdefault(name, [name])
            held[name] = _Held(
                vm.memory, vm.reservation, vm.limit, vm.maxmemctl, vm.power_on, vm.workload
            )
    found: list[Issue] = []
    order = sorted(range(len(events)), key=lambda i: events[i].at)
    for i in order:
        event = events[i]
        touched: dict[str, set[str]] = {}
        for path, value in event.set.items():
            parts = split_path(path)
            if parts[0] != "vms" or len(parts) < 3:
                continue
            for name in groups.get(parts[1], []):
                where = ("events", i, "set", path)
                if message := _apply(held[name], parts[1], parts[2:], value, event.at):
                    found.append((where, message))
                touched.setdefault(name, set()).add(path)
        for name, paths in touched.items():
            for path in paths:
                key = split_path(path)[2]
                for _, message in held[name].problems({key}):
                    found.append((("events", i, "set", path), message))
    return _unique(found)


def _apply(vm: _Held, name: str, keys: list[str], value: Any, at: float) -> str | None:
    """Apply one setting to the values a VM holds; a message if it cannot apply."""
    if keys[0] == "workload":
        if at < vm.power_on:
            return (
                f"{name} powers on at {format_duration(vm.power_on)}; its workload cannot "
                f"change at {format_duration(at)}, before it runs"
            )
        footprint = value if keys[1] == "footprint" and isinstance(value, Amount) else None
        if footprint is not None and footprint.resolve(vm.memory) > vm.memory:
            return f"footprint {footprint.text} is above memory {format_size(vm.memory)}"
        if keys[1] in ("footprint", "active") and isinstance(value, Amount):
            vm.sizes.append((at, keys[1], value))
            active, used = vm.amount_at("active", at), vm.amount_at("footprint", at)
            if active.resolve(vm.memory) > used.resolve(vm.memory):
                return f"active {active.text} would be above footprint {used.text}"
        return None
    if keys[0] in ("reservation", "limit", "maxmemctl"):
        setattr(vm, keys[0], value)
    return None


def _unique(found: list[Issue]) -> list[Issue]:
    """Each message once (a group's members break a rule together)."""
    seen: set[tuple[Any, str]] = set()
    out: list[Issue] = []
    for issue in found:
        if (issue[0], issue[1]) not in seen:
            seen.add((issue[0], issue[1]))
            out.append(issue)
    return out
