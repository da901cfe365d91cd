"""The workload section of a VM: what its guest does with its memory (DESIGN.md §3).

A workload is a content mix, sizes (footprint, working set, dataset), rates (writes, rereads) and
either phases that change them over time or a recorded trace to replay
(docs/model.md §2–§5 say how the model uses each key).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_serializer, model_validator

from memsim.scenario.clock import At
from memsim.scenario.errors import Issue, issues
from memsim.scenario.traces import TRACE_COLUMNS, TraceError, check_trace, confined, header
from memsim.scenario.types import (
    Amount,
    Duration,
    Fraction,
    Frozen,
    Shorthand,
    context_of,
    within_duration,
)

__all__ = ["Content", "Phase", "Trace", "Workload"]


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
    churn: Fraction | None = None
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
        churn: Share of the working set replaced per minute by in-use pages that were cold:
            the working set moves, as a kernel compile's does (docs/model.md §8, "A working
            set that moves"). 0: a fixed working set.
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
    churn: Fraction = 0.0
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
        found: list[Issue] = []
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
