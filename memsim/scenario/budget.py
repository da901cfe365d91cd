"""What a run will cost, estimated before it starts: memory and simulation steps.

The simulator keeps a record of every 4 KiB page of every VM (DESIGN.md §3: content hash,
state, rank, share link: 17 bytes) and a page-sharing table that may hold a slot for each of
them (21 bytes a slot at up to half load), and the recorder keeps every counter of every VM for
every record. A scenario that asks for more than the machine has would fail after minutes, or
swap the machine to a halt; one with a billion steps would run for days. Both are refused
before the run, with what it needs, what the machine has, and which key reduces it; the user
may insist (``--allow-large``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from memsim.scenario.errors import ErrorItem, ScenarioError
from memsim.scenario.schema import Scenario
from memsim.units import format_duration
from memsim.units import pages as to_pages

__all__ = ["MAX_STEPS", "Estimate", "available_memory", "check_fits", "estimate"]

PAGE_BYTES = 17 + 2 * 21
"""Bytes of simulator state per page of configured VM memory (page arrays and sharing table)."""
RECORD_BYTES = 64 * 8 * 3
"""Bytes per VM per record: up to 64 counters of 8 bytes, held thrice (buffers, table, file)."""
BASE_BYTES = 300 << 20
"""The Python process with numpy, pandas and pyarrow loaded."""
MAX_STEPS = 20_000_000
"""Most simulation steps of a run (about a day of computing on one core)."""
USABLE = 0.8
"""Share of the machine's available memory a run may plan to use."""


@dataclass(frozen=True)
class Estimate:
    """A run's estimated cost.

    Attributes:
        pages: Bytes of page arrays and the sharing table.
        records: Bytes of recorded counters.
        steps: Simulation steps (duration / step).
    """

    pages: int
    records: int
    steps: int

    @property
    def memory(self) -> int:
        """Bytes the whole run needs."""
        return BASE_BYTES + self.pages + self.records


def estimate(scenario: Scenario) -> Estimate:
    """The memory and steps a scenario's run needs (see the module docstring)."""
    machines = sum(vm.count for vm in scenario.vms)
    pages = sum(vm.count * to_pages(vm.memory) for vm in scenario.vms)
    records = int(scenario.duration / scenario.record_every) + 2
    return Estimate(
        pages=pages * PAGE_BYTES,
        records=records * machines * RECORD_BYTES,
        steps=int(scenario.duration / scenario.step),
    )


def available_memory() -> int:
    """Bytes of memory this machine can give a new run (``MemAvailable`` on Linux)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_fits(scenario: Scenario, available: int | None = None) -> Estimate:
    """Refuse a run that cannot fit in memory or would take absurdly many steps.

    Args:
        scenario: The validated scenario.
        available: Bytes the machine has; None reads it (:func:`available_memory`).

    Returns:
        The estimate, when the run fits.

    Raises:
        ScenarioError: Located at the key that drives the cost, saying what it needs, what
            the machine has and how to reduce it; ``--allow-large`` skips this check.
    """
    cost = estimate(scenario)
    have = available_memory() if available is None else available
    problems = []
    insist = "or pass --allow-large (allow_large=True) to run it anyway"
    if cost.memory > USABLE * have:
        pages_led = cost.pages >= cost.records
        key = "vms" if pages_led else "record_every"
        reduce = (
            "reduce the VMs' memory or count"
            if pages_led
            else "record less often (a longer record_every) or run for less time"
        )
        problems.append(
            _item(
                scenario,
                key,
                f"this run needs about {_gib(cost.memory)} of memory (pages "
                f"{_gib(cost.pages)}, records {_gib(cost.records)}) and this machine has "
                f"{_gib(have)} available; {reduce}, {insist}",
            )
        )
    if cost.steps > MAX_STEPS:
        problems.append(
            _item(
                scenario,
                "step",
                f"this run takes {cost.steps:,} steps of {format_duration(scenario.step)}, "
                f"more than {MAX_STEPS:,}; use a longer step or a shorter duration, {insist}",
            )
        )
    if problems:
        raise ScenarioError(problems)
    return cost


def _gib(size: int) -> str:
    return f"{size / (1 << 30):,.1f} GiB"


def _item(scenario: Scenario, key: str, message: str) -> ErrorItem:
    """An error at a top-level key of the scenario's file, when it was loaded from one."""
    where = getattr(scenario, "_locations", None)
    if where is None:
        return ErrorItem("<scenario>", 0, 0, key, message)
    item: ErrorItem = where.item((key,), message)
    return item
