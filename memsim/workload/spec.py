"""A VM's workload over time: initial values, phases and traces as timed changes.

The scenario says what each guest does (DESIGN.md §4.1 ``workload``); this module turns it into
numbers in pages and a time-ordered list of changes for the engine to apply: the workload at
power-on, each phase at its time, and each row of a replayed trace.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from memsim.scenario import VM, Amount, Workload
from memsim.units import MIB, PAGE_SIZE, pages
from memsim.workload.esxtop import read_esxtop, workload_trace


def amount_pages(amount: Amount, memory: int) -> int:
    """Pages of a size or of a share of ``memory`` bytes."""
    size = amount.bytes if amount.bytes is not None else (amount.fraction or 0.0) * memory
    return pages(size)


@dataclass(frozen=True)
class Change:
    """Workload values of VM ``vm`` (index) that change at ``at`` seconds."""

    at: float
    vm: int
    values: dict[str, Any] = field(default_factory=dict)


def initial_values(vm: VM) -> dict[str, Any]:
    """The workload keys at power-on, sizes resolved to pages."""
    return resolved(
        vm.workload.model_dump(exclude={"phases", "trace", "boot"}), vm.memory, vm.workload
    )


def resolved(values: dict[str, Any], memory: int, source: Workload | Any) -> dict[str, Any]:
    """Resolve ``footprint``/``active`` to pages and ``content`` to its model."""
    out = dict(values)
    for key in ("footprint", "active", "dataset"):
        if key in out and out[key] is not None:
            out[key] = amount_pages(getattr(source, key), memory)
    if "content" in out and out["content"] is not None:
        out["content"] = source.content
    return out


def timeline(machines: list[VM]) -> list[Change]:
    """Every phase and trace row of every VM, in time order (VM order breaks ties)."""
    changes: list[Change] = []
    for i, vm in enumerate(machines):
        w = vm.workload
        for phase in w.phases:
            values = resolved(phase.changes(), vm.memory, phase)
            changes.append(Change(vm.power_on + phase.at, i, values))
        if w.trace is not None:
            changes.extend(_trace_changes(i, vm))
    return sorted(changes, key=lambda c: (c.at, c.vm))


def _trace_changes(index: int, vm: VM) -> list[Change]:
    """Rows of a trace as changes: a CSV of ``time`` (s), ``active`` and ``footprint`` (MiB), or
    one VM's counters in an esxtop batch capture (:func:`memsim.workload.esxtop.workload_trace`).
    Rows of a capture with a counter missing are skipped (plain traces are checked whole when
    the scenario is validated, :mod:`memsim.scenario.traces`).
    """
    trace = vm.workload.trace
    assert trace is not None
    if trace.vm is None:
        frame = pd.read_csv(trace.path)
    else:
        frame = workload_trace(read_esxtop(trace.path), trace.vm)
    cap = pages(vm.memory)
    out = []
    for t, active, footprint in zip(
        frame["time"].to_numpy(float),
        frame["active"].to_numpy(float),
        frame["footprint"].to_numpy(float),
        strict=True,
    ):
        if math.isnan(active) or math.isnan(footprint):
            continue  # a glitched esxtop sample: the workload keeps its last values
        fp = int(min(footprint * MIB // PAGE_SIZE, cap))  # a capped inf stays finite
        act = int(min(active * MIB // PAGE_SIZE, fp))
        out.append(Change(vm.power_on + t, index, {"footprint": fp, "active": act}))
    return out
