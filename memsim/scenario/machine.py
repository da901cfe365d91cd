"""Virtual machines of a scenario: configuration and balloon driver (the workload is
:mod:`memsim.scenario.workload`)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from memsim.scenario.errors import Issue, issues
from memsim.scenario.errors import Path as KeyPath
from memsim.scenario.types import (
    MAX_MACHINES,
    AutoSize,
    Duration,
    Frozen,
    NeverDuration,
    Shorthand,
    Size,
    UnlimitedSize,
    context_of,
    within_duration,
)
from memsim.scenario.workload import Workload
from memsim.units import MIB, format_size, parse_size

__all__ = [
    "SHARE_LEVELS",
    "VM",
    "BalloonDriver",
]


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
        found: list[Issue] = []
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

    def _allocation_issues(self) -> list[Issue]:
        """Reservation ≤ limit ≤ memory, and a balloon cap within memory (docs/model.md §3, §6)."""
        found: list[Issue] = []
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

    def _workload_issues(self) -> list[Issue]:
        """Active ≤ footprint ≤ memory at the start and after every phase."""
        found: list[Issue] = []
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
