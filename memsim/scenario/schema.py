"""The scenario format as typed, immutable models (DESIGN.md §4.1).

Sizes are kept in bytes, durations in seconds, fractions in [0, 1]. Each model checks what it
can see by itself (a reservation above the limit, an active set above the footprint); checks
that need the rest of the file read the :class:`~memsim.scenario.types.Context` that the loader
passes in. Build scenarios through :func:`memsim.scenario.load`, :func:`~memsim.scenario.loads`
or :func:`~memsim.scenario.validate`, so that every check runs and errors are located.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from memsim.scenario.advanced import defaults
from memsim.scenario.claims import Claim, Condition, Tolerance
from memsim.scenario.clock import Start
from memsim.scenario.errors import issues
from memsim.scenario.events import Event
from memsim.scenario.expand import machines
from memsim.scenario.host import Host, Swap
from memsim.scenario.machine import VM, BalloonDriver
from memsim.scenario.rules import event_issues
from memsim.scenario.sweep import Sweep
from memsim.scenario.types import Amount, Duration, Frozen, expand_name
from memsim.scenario.warm import StartFrom, warm_issues
from memsim.scenario.workload import Content, Phase, Trace, Workload
from memsim.units import format_duration

__all__ = [
    "VM",
    "Amount",
    "BalloonDriver",
    "Claim",
    "Condition",
    "Content",
    "Event",
    "Host",
    "Phase",
    "Scenario",
    "StartFrom",
    "Swap",
    "Tolerance",
    "Trace",
    "Workload",
    "json_schema",
]


MIN_STEP = 0.001
"""Shortest simulation quantum in seconds (1 ms): the model's processes run every step."""


class Scenario(Frozen):
    """A host, its VMs and what happens to them over a run.

    Attributes:
        name: Names the run and its output folder.
        description: Free text.
        duration: Simulated time in seconds.
        start: Wall-clock time of the start, or None (:mod:`memsim.scenario.clock`): then
            ``at:`` accepts clock times and outputs carry real timestamps.
        seed: Seed of the run's random numbers; same seed, same results.
        step: Simulation quantum in seconds.
        record_every: Seconds between recorded counter samples.
        host: The ESX host.
        vms: The VMs as written (groups not expanded; see :meth:`machines`).
        events: Setting changes over time.
        expect: Claims about the results.
        sweep: Parameter axes and seeds for ``memsim sweep`` (ignored by ``memsim run``).
        start_from: A captured instant the run starts from (:mod:`memsim.scenario.warm`).
    """

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=120)
    description: str = ""
    duration: Duration = Field(gt=0)
    start: Start | None = None
    seed: int = Field(0, ge=0, lt=2**63)
    step: Duration = Field(1.0, gt=0)
    record_every: Duration = 20.0
    host: Host
    vms: list[VM] = Field(min_length=1)
    events: list[Event] = []
    expect: list[Claim] = []
    sweep: Sweep | None = None
    start_from: StartFrom | None = None

    _raw: dict[str, Any] | None = PrivateAttr(None)
    _source: Path | None = PrivateAttr(None)
    _locations: Any = PrivateAttr(None)  # memsim.scenario.messages.Locations, for overrides
    _trace_roots: tuple[Path, ...] = PrivateAttr(())
    _warnings: list[str] = PrivateAttr(default_factory=list)

    @field_validator("step")
    @classmethod
    def _step_at_least_1ms(cls, value: float) -> float:
        if value < MIN_STEP:
            raise ValueError(f"{format_duration(value)} is shorter than 1ms, the shortest step")
        return value

    @field_validator("record_every")
    @classmethod
    def _recording_fits(cls, value: float, info: ValidationInfo) -> float:
        """Step ≤ record_every ≤ duration, so that every record falls on a step."""
        step, duration = info.data.get("step"), info.data.get("duration")
        if step is not None and value < step:
            raise ValueError(
                f"{format_duration(value)} is shorter than step {format_duration(step)}"
            )
        if duration is not None and value > duration:
            raise ValueError(
                f"{format_duration(value)} is longer than duration {format_duration(duration)}"
            )
        return value

    @model_validator(mode="after")
    def _events_keep_the_rules(self) -> Scenario:
        """What a VM may not be configured with, an event may not set (:mod:`.rules`)."""
        found = event_issues(self.vms, self.events)
        if found:
            raise issues(*found)
        return self

    @model_validator(mode="after")
    def _warm_start_fits(self) -> Scenario:
        """Every VM of ``start_from`` exists, powers on at 0 and holds what its memory can."""
        if self.start_from is None:
            return self
        machines = self.machines()
        found = warm_issues(
            self.start_from,
            {m.name: m.memory for m in machines},
            {m.name: m.power_on for m in machines},
        )
        if found:
            raise issues(*found)
        return self

    @property
    def source(self) -> Path | None:
        """The file the scenario was loaded from, if any."""
        return self._source

    @property
    def warnings(self) -> list[str]:
        """What the loader accepted but a user would want to know (bare numbers, cut phases)."""
        return list(self._warnings)

    @property
    def raw(self) -> dict[str, Any]:
        """A copy of the data as loaded (before parsing units), for overrides."""
        if self._raw is None:
            return self.model_dump(mode="json")
        return copy.deepcopy(self._raw)

    def machines(self) -> list[VM]:
        """The VMs with groups expanded (see :func:`memsim.scenario.expand.machines`)."""
        return machines(self.vms)

    def members(self, name: str) -> list[str]:
        """The machine names a key-path name stands for: a group's members, or the VM itself."""
        for vm in self.vms:
            if vm.name == name:
                return expand_name(vm.name, vm.count)
        return [m.name for m in self.machines() if m.name == name]

    def settings(self) -> dict[str, float]:
        """Every advanced setting: the profile's defaults overlaid by ``host.advanced``."""
        return defaults(self.host.profile) | self.host.advanced


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the scenario YAML format, as written (sizes as ``"4GiB"`` or MiB).

    Editors use it to complete and check scenario files (YAML language servers read JSON
    Schema). It describes the written form, so it is looser than validation: units, ranges
    and cross-references are checked by :func:`memsim.scenario.load`.
    """
    schema = Scenario.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": "memsim scenario",
    }
