"""Virtual machines of a scenario: configuration, balloon driver and workload."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_serializer,
    model_validator,
)

from memsim.scenario.clock import At
from memsim.scenario.errors import Path as KeyPath
from memsim.scenario.errors import issues
from memsim.scenario.traces import TRACE_COLUMNS, TraceError, check_trace, confined, header
from memsim.scenario.types import (
    MAX_MACHINES,
    Amount,
    AutoSize,
    Duration,
    Fraction,
    Frozen,
    NeverDuration,
    Shorthand,
    Size,
    UnlimitedSize,
    context_of,
    within_duration,
)
from memsim.units import MIB, format_size, parse_size

__all__ = [
    "SHARE_LEVELS",
    "VM",
    "BalloonDriver",
    "Content",
    "Phase",
    "Trace",
    "Workload",
]

Issues = list[tuple[KeyPath, str]]


class BalloonDriver(Shorthand):
    """The guest's balloon driver (vmmemctl, docs/model.md §3) and how it misbehaves.

    Written ``balloon: slow`` or ``balloon: {driver: stuck, from: 10min, until: 20min}``.

    Attributes:
        kind: ``normal``; ``slow`` (inflates and deflates at ``rate_factor`` of the normal
            rate); ``stuck`` (ignores its target from ``stuck_from`` until ``stuck_until``);
            ``intermittent`` (alternately works and is stuck, for ``period`` each).
        rate_factor: Multiplier of the driver's rates (default 0.25 when slow, else 1).
        stuck_from: When a stuck driver stops responding; None = from power-on.
        stuck_until: When it responds again; None = never.
        period: Length of each working and each stuck spell of an intermittent driver.
    """

    shorthand_key = "driver"
    shorthand_words = ("normal", "slow", "stuck", "intermittent")
    kind: Literal["normal", "slow", "stuck", "intermittent"] = Field("normal", alias="driver")
    rate_factor: float = Field(1.0, gt=0, le=1)
    stuck_from: Duration | None = Field(None, alias="from")
    stuck_until: NeverDuration = Field(None, alias="until")
    period: Duration = Field(300.0, gt=0)

    @classmethod
    def complete(cls, data: dict[str, Any]) -> dict[str, Any]:
        """The driver settings with a slow driver's rate filled in."""
        slow = data.get("driver", data.get("kind")) == "slow"
        return {"rate_factor": 0.25} | data if slow else data

    @model_validator(mode="after")
    def _stuck_window(self) -> BalloonDriver:
        found: Issues = []
        if self.kind != "stuck":
            found += [((key,), "applies only to driver: stuck") for key in self._window_keys()]
        elif (self.stuck_from or 0.0) >= (self.stuck_until or float("inf")):
            found.append((("until",), "must be later than 'from'"))
        if found:
            raise issues(*found)
        return self

    def _window_keys(self) -> list[str]:
        given = {"from": self.stuck_from, "until": self.stuck_until}
        return [key for key, value in given.items() if value is not None]


class Trace(Shorthand):
    """A recorded workload to replay instead of phases.

    Written ``trace: traces/vm.csv`` (columns time, active, footprint) or
    ``trace: {file: esxtop.csv, vm: web-1}`` for an esxtop batch capture.

    Attributes:
        path: The file, resolved relative to the scenario file.
        vm: Which VM's columns to read from an esxtop capture.
    """

    shorthand_key = "file"
    shorthand_words = ()
    path: Path = Field(alias="file")
    vm: str | None = None

    @field_validator("path")
    @classmethod
    def _exists(cls, value: Path, info: ValidationInfo) -> Path:
        ctx = context_of(info)
        if ctx is None:
            return value
        return confined(value, ctx.base, ctx.trace_roots)

    @model_validator(mode="after")
    def _readable(self) -> Trace:
        """The file's header fits (the trace columns, or an esxtop capture naming the VM) and
        every row can be replayed."""
        if not self.path.is_file():
            return self  # reported by the path check (or not resolved yet)
        try:
            head = header(self.path)
            if self.vm is None:
                missing = [c for c in TRACE_COLUMNS if c not in head]
                if missing:
                    raise TraceError(
                        f"{self.path.name} has no column {', '.join(missing)} (a trace has "
                        "columns time, active, footprint; for an esxtop capture give vm: too)"
                    )
            elif not (head and head[0].startswith("(PDH-CSV")):
                raise TraceError(f"{self.path.name} is not an esxtop batch capture")
            elif not any(f":{self.vm})" in cell for cell in head):
                raise issues((("vm",), f"no VM named '{self.vm}' in {self.path.name}"))
            check_trace(self.path, esxtop=self.vm is not None)
        except TraceError as exc:
            raise issues((("file",), str(exc))) from None
        return self


class Content(Frozen):
    """What the guest's used memory holds, as shares of its footprint; the rest is unique.

    Attributes:
        zero: Zero-filled pages.
        shared: Pages of the guest family's common content (OS, libraries), which other VMs
            of the same ``guest`` also hold (docs/model.md §2).
        duplicate: Pages duplicated within this VM.
    """

    zero: Fraction = 0.05
    shared: Fraction = 0.30
    duplicate: Fraction = 0.03

    @model_validator(mode="after")
    def _at_most_all(self) -> Content:
        if self.zero + self.shared + self.duplicate > 1:
            raise ValueError("zero + shared + duplicate must not exceed 100%")
        return self


class Phase(Frozen):
    """A change of workload at a time; keys left out keep their value.

    Attributes:
        at: When the change happens, in seconds from the start (or a clock time, as an
            event's ``at``).
        footprint: New footprint, or None for unchanged (likewise the other keys, see
            :class:`Workload`). A new ``content`` replaces the whole content mix.
    """

    at: At
    footprint: Amount | None = None
    active: Amount | None = None
    writes: Fraction | None = None
    cache: Fraction | None = None
    heap: Fraction | None = None
    dataset: Amount | None = None
    content: Content | None = None
    compressible: Fraction | None = None

    @field_validator("at")
    @classmethod
    def _within_run(cls, value: float, info: ValidationInfo) -> float:
        return within_duration(value, info)

    @model_serializer(mode="wrap", when_used="json")
    def _as_written(self, handler: Any) -> dict[str, Any]:
        return {k: v for k, v in handler(self).items() if v is not None}

    def changes(self) -> dict[str, object]:
        """The workload keys this phase sets, with their new values."""
        keys = set(type(self).model_fields) - {"at"}
        return {key: getattr(self, key) for key in keys if getattr(self, key) is not None}


class Workload(Frozen):
    """What the guest does with its memory (DESIGN.md §3).

    Attributes:
        boot: ``zero`` (the guest zeroes all memory at boot, as Windows does) or ``lazy``.
        footprint: Memory in use by the guest (kernel, applications, page cache).
        active: The working set, touched every sampling period; at most the footprint.
        writes: Share of the working set rewritten per minute (breaks sharing).
        cache: Share of the footprint the guest can drop without paging (page cache).
        heap: Share of the footprint the guest cannot free (a Java-like heap).
        dataset: Data the workload reads over and over (a file server, dbench); what does not
            fit in the guest's page cache is read from its disk each time. May exceed memory.
        reread: Seconds in which the workload reads its whole dataset once (a property of the
            workload, like its op rate); None: as often as the working set is touched
            (``Memsim.TouchPeriod``).
        content: The content mix of the footprint.
        compressible: Share of pages that compress to 2 KiB or less (docs/model.md §4).
        phases: Changes over time, in time order.
        trace: A recorded workload to replay instead of phases.
    """

    boot: Literal["zero", "lazy"] = "lazy"
    footprint: Amount = Amount(fraction=0.5)
    active: Amount = Amount(fraction=0.1)
    writes: Fraction = 0.02
    cache: Fraction = 0.30
    heap: Fraction = 0.0
    dataset: Amount = Amount(bytes=0)
    reread: Duration | None = None
    content: Content = Content()
    compressible: Fraction = 0.60
    phases: list[Phase] = []
    trace: Trace | None = None

    @model_validator(mode="after")
    def _phases_in_order(self) -> Workload:
        found: Issues = []
        if self.trace is not None and self.phases:
            found.append((("trace",), "give either phases or a trace, not both"))
        for i in range(1, len(self.phases)):
            if self.phases[i].at <= self.phases[i - 1].at:
                found.append((("phases", i, "at"), "phases must be in increasing time order"))
        if found:
            raise issues(*found)
        return self

    def stages(self) -> list[Workload]:
        """The workload at the start and after each phase (phases applied in turn)."""
        stages = [self]
        for phase in self.phases:
            stages.append(stages[-1].model_copy(update=phase.changes()))
        return stages


SHARE_LEVELS = {"low": 5, "normal": 10, "high": 20}
"""Shares per MiB of configured memory (docs/model.md §6)."""


def _share_number(value: object) -> object:
    if isinstance(value, str):
        close = difflib.get_close_matches(value, list(SHARE_LEVELS), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ValueError(f"expected low, normal, high or a positive number, got {value!r}{hint}")
    return value


Shares = Annotated[
    int,
    BeforeValidator(_share_number),
    Field(gt=0),
    WithJsonSchema({"anyOf": [{"enum": list(SHARE_LEVELS)}, {"type": "integer", "minimum": 1}]}),
]
Salt = Annotated[str | None, BeforeValidator(lambda v: v if v is None else str(v))]


def _large_pages(value: object) -> object:
    if isinstance(value, bool) or value == "auto":
        return value
    raise ValueError(f"expected auto, true or false, got {value!r}")


LargePagesChoice = Annotated[
    bool | Literal["auto"],
    BeforeValidator(_large_pages),
    WithJsonSchema({"anyOf": [{"const": "auto"}, {"type": "boolean"}]}),
]


class VM(Frozen):
    """A virtual machine, or a group of identical ones (``count`` > 1).

    Attributes:
        name: Unique name; a group's members are ``name-1`` … ``name-count``.
        memory: Configured memory in bytes.
        reservation: Memory guaranteed to the VM (docs/model.md §6).
        limit: Ceiling on host memory the VM may use; None = unlimited.
        shares: Memory shares as a number; low/normal/high are 5/10/20 per MiB of memory.
        vcpus: Virtual CPUs (they set the overhead, docs/model.md §6).
        overhead: Overhead memory; None = from the vSphere overhead table.
        guest: Content family: VMs of one family share OS pages (docs/model.md §2).
        tools: Whether VMware Tools, and so a balloon driver, run in the guest.
        salt: ``sched.mem.pshare.salt`` (docs/model.md §2).
        large_pages: Whether the VM's memory is backed by 2 MiB pages: ``auto`` (default) as
            the host's ``Mem.AllocGuestLargePage`` says (on for ``esx41``, ``esxi5``,
            ``esxi6``), or ``true``/``false`` for this VM (docs/model.md §2).
        pshare: ``sched.mem.pshare.enable``: whether its pages may be shared.
        maxmemctl: ``sched.mem.maxmemctl``, the largest balloon; None = no per-VM cap.
        balloon: The balloon driver's behaviour.
        power_on: When the VM powers on.
        power_off: When it powers off; None = never.
        count: How many identical VMs this entry stands for.
        workload: What the guest does.
    """

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$", max_length=80)
    memory: Size = Field(gt=0)
    reservation: Size = 0
    limit: UnlimitedSize = None
    shares: Shares = Field(10, description="low | normal | high (5/10/20 per MiB) or a number")
    vcpus: int = Field(1, ge=1, le=768)
    overhead: AutoSize = None
    guest: str = Field("linux", min_length=1)
    tools: bool = True
    salt: Salt = None
    large_pages: LargePagesChoice = Field(
        "auto", description="auto (as Mem.AllocGuestLargePage) | true | false"
    )
    pshare: bool = True
    maxmemctl: UnlimitedSize = None
    balloon: BalloonDriver = BalloonDriver.model_validate({})
    power_on: Duration = 0.0
    power_off: NeverDuration = None
    count: int = Field(1, ge=1, le=MAX_MACHINES)
    workload: Workload = Workload()

    @model_validator(mode="before")
    @classmethod
    def _resolve_shares(cls, value: object) -> object:
        """Turn ``shares: normal`` into a number, which needs the VM's memory (docs/model.md §6)."""
        if not isinstance(value, Mapping):
            return value
        level = value.get("shares", "normal")
        if not isinstance(level, str) or level not in SHARE_LEVELS:
            return value
        try:
            memory = parse_size(value.get("memory"))
        except ValueError:  # reported by the memory field; leave shares at its default
            return {k: v for k, v in value.items() if k != "shares"}
        return {**value, "shares": max(1, round(SHARE_LEVELS[level] * memory / MIB))}

    @field_validator("name")
    @classmethod
    def _unique(cls, value: str, info: ValidationInfo) -> str:
        ctx = context_of(info)
        if ctx is not None and value in ctx.clashes:
            raise ValueError(ctx.clashes[value])
        return value

    @field_validator("power_on")
    @classmethod
    def _on_within_run(cls, value: float, info: ValidationInfo) -> float:
        return within_duration(value, info)

    @model_validator(mode="after")
    def _consistent(self) -> VM:
        found = self._allocation_issues() + self._workload_issues()
        if self.power_off is not None and self.power_off <= self.power_on:
            found.append((("power_off",), "must be later than power_on"))
        if found:
            raise issues(*found)
        return self

    def _allocation_issues(self) -> Issues:
        """Reservation ≤ limit ≤ memory, and a balloon cap within memory (docs/model.md §3, §6)."""
        found: Issues = []
        memory = format_size(self.memory)
        if self.limit is not None and self.limit > self.memory:
            found.append((("limit",), f"{format_size(self.limit)} is above memory {memory}"))
        ceiling = min(self.limit or self.memory, self.memory)
        if self.reservation > ceiling:
            what = "memory" if ceiling == self.memory else "limit"
            message = f"{format_size(self.reservation)} is above the {what} {format_size(ceiling)}"
            found.append((("reservation",), message))
        if self.maxmemctl is not None and self.maxmemctl > self.memory:
            found.append(
                (("maxmemctl",), f"{format_size(self.maxmemctl)} is above memory {memory}")
            )
        return found

    def _workload_issues(self) -> Issues:
        """Active ≤ footprint ≤ memory at the start and after every phase."""
        found: Issues = []
        phases = [None, *self.workload.phases]
        for i, (stage, phase) in enumerate(zip(self.workload.stages(), phases, strict=True)):
            where: KeyPath = ("workload",) if phase is None else ("workload", "phases", i - 1)
            footprint = stage.footprint.resolve(self.memory)
            if footprint > self.memory:
                key = "footprint" if phase is None or phase.footprint else "at"
                message = f"footprint {stage.footprint.text} is above memory"
                found.append(((*where, key), f"{message} {format_size(self.memory)}"))
            if stage.active.resolve(self.memory) > footprint:
                key = "active" if phase is None or phase.active else "footprint"
                message = f"active {stage.active.text} is above footprint"
                found.append(((*where, key), f"{message} {stage.footprint.text}"))
        return found
