"""A claim of a scenario's ``expect:`` block: a time or window, a VM or the host, conditions.

The language as a whole: :mod:`memsim.scenario.claims`; its conditions:
:mod:`memsim.scenario.claims.conditions`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue

from memsim.model.states import STATES
from memsim.scenario.claims.conditions import (
    _KEYWORDS,
    HOST_COUNTERS,
    VM_COUNTERS,
    Condition,
    EqualRho,
    Time,
)
from memsim.scenario.errors import Issue, issues
from memsim.scenario.types import (
    DURATION_SCHEMA,
    Frozen,
    context_of,
    expand_name,
    within_duration,
)

__all__ = ["Claim"]


class Claim(Frozen):
    """One claim about the results.

    Attributes:
        at: Time of the record to check (the last at or before it), or ``end``.
        during: A window ``(start, end)`` in which every record must satisfy the conditions.
        mean: With ``during``, test the window's mean instead of every record (for noisy
            counters such as ``throughput``).
        any: With ``during``, pass when at least one record (or state change) in the window
            passes: "at some moment", e.g. the host reaches soft.
        vm: The VM it is about (after group expansion); None for the host.
        checks: Conditions by counter, for a VM claim.
        host: Conditions by counter, for a host claim.
        not_met: Why the model does not reach this (published) result. The claim stays as
            published and is expected to fail: the validation table shows it as not met with
            this reason, and the tests fail if it passes (the note is then stale).
    """

    at: Time | None = None
    during: tuple[Time, Time] | None = None
    mean: bool = False
    any: bool = False
    vm: str | None = None
    checks: dict[str, Condition] | None = None
    host: dict[str, Condition] | None = None
    equal_rho: EqualRho | None = None
    not_met: str | None = Field(None, min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _gather_counters(cls, value: object) -> object:
        """Move a VM claim's counters (written beside ``vm:``) under ``checks``."""
        if not isinstance(value, Mapping) or "checks" in value:
            return value
        empty = [
            key for key in ("at", "during", "vm", "host") if key in value and value[key] is None
        ]
        if empty:
            raise issues(*(((key,), "needs a value, not null") for key in empty))
        keywords = {k: v for k, v in value.items() if k in _KEYWORDS}
        counters = {k: v for k, v in value.items() if k not in _KEYWORDS}
        return keywords | ({"checks": counters} if counters or "vm" in value else {})

    @staticmethod
    def _vm_problem(value: str, info: ValidationInfo) -> str | None:
        ctx = context_of(info)
        if ctx is None or value in ctx.machines:
            return None
        if value in ctx.counts:
            members = expand_name(value, ctx.counts[value])
            return f"'{value}' is a group; name one of its VMs: {', '.join(members)}"
        close = difflib.get_close_matches(value, ctx.machines, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"VMs: {', '.join(ctx.machines)}"
        return f"no VM named '{value}'; {hint}"

    @field_validator("vm")
    @classmethod
    def _known_vm(cls, value: str, info: ValidationInfo) -> str:
        ctx = context_of(info)
        if ctx is None or value in ctx.machines:
            return value
        if value in ctx.counts:
            members = expand_name(value, ctx.counts[value])
            raise ValueError(f"'{value}' is a group; name one of its VMs: {', '.join(members)}")
        close = difflib.get_close_matches(value, ctx.machines, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"VMs: {', '.join(ctx.machines)}"
        raise ValueError(f"no VM named '{value}'; {hint}")

    @field_validator("at")
    @classmethod
    def _at_within_run(cls, value: float | str, info: ValidationInfo) -> float | str:
        return value if isinstance(value, str) else within_duration(value, info)

    @field_validator("during")
    @classmethod
    def _window(cls, value: tuple[float | str, float | str], info: ValidationInfo) -> object:
        start, end = (v if isinstance(v, float) else float("inf") for v in value)
        if start > end:
            raise ValueError("the window's start is after its end")
        if isinstance(value[0], float):
            within_duration(value[0], info)
        return value

    @model_validator(mode="after")
    def _well_formed(self, info: ValidationInfo) -> Claim:
        found = [*self._shape_issues(info), *self._counter_issues(info)]
        if found:
            raise issues(*found)
        return self

    def _shape_issues(self, info: ValidationInfo) -> list[Issue]:
        """What is wrong with the claim's keywords: its time, window, subject."""
        found: list[Issue] = []
        if (self.at is None) == (self.during is None):
            found.append(((), "give either at: or during:"))
        for key in ("mean", "any"):
            if getattr(self, key) and self.during is None:
                found.append(((key,), "applies to a window: give during: [start, end]"))
        if self.mean and self.any:
            found.append((("any",), "give mean: or any:, not both"))
        if self.equal_rho is not None:
            if self.checks is not None or self.host is not None:
                found.append(((), "equal_rho is a claim of its own: no vm:, host: or counters"))
            for i, name in enumerate(self.equal_rho.vms):
                if message := self._vm_problem(name, info):
                    found.append((("equal_rho", "vms", i), message))
        elif (self.checks is None) == (self.host is None):
            found.append(((), "name either vm: (counters beside it) or host: {counter: …}"))
        return found

    def _counter_issues(self, info: ValidationInfo) -> list[Issue]:
        """Unknown VMs and counters in references, then unknown counters and states."""
        found: list[Issue] = []
        for name, condition in self.conditions.items():
            where = ("host", name) if self.host else (name,)
            for key in ("relative_to", "minus"):
                ref = getattr(condition, key)
                if ref is None:
                    continue
                if ref.vm not in (None, "host") and (message := self._vm_problem(ref.vm, info)):
                    found.append(((*where, key, "vm"), message))
                if ref.counter is not None and (
                    message := _unknown_counter(ref.counter, ref.vm == "host")
                ):
                    found.append(((*where, key, "counter"), message, True))
        for name, condition in self.conditions.items():
            where = ("host", name) if self.host else (name,)
            if message := _unknown_counter(name, self.host is not None):
                found.append((where, message, True))
            if name == "state" and condition.relative_to is None and condition.minus is None:
                found += [((*where, key), m) for key, m in _unknown_states(condition)]
        return found

    @model_serializer(mode="wrap", when_used="json")
    def _as_written(self, handler: Any) -> dict[str, Any]:
        data = handler(self)
        return {k: v for k, v in data.items() if v is not None and k != "checks"} | (
            data.get("checks") or {}
        )

    @property
    def conditions(self) -> dict[str, Condition]:
        """Conditions by counter, whether the claim is about a VM or the host."""
        return self.checks or self.host or {}

    @property
    def target(self) -> str:
        """The VM's name, or ``host``."""
        return self.vm if self.vm is not None else "host"

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> JsonSchemaValue:
        condition = handler(Condition.__pydantic_core_schema__)
        del core_schema  # the written form differs from the model's fields
        time = {"anyOf": [{"const": "end"}, *DURATION_SCHEMA["anyOf"]]}
        return {
            "type": "object",
            "properties": {
                "at": time,
                "during": {"type": "array", "items": time, "minItems": 2, "maxItems": 2},
                "vm": {"type": "string"},
                "host": {"type": "object", "additionalProperties": condition},
                "equal_rho": handler(EqualRho.__pydantic_core_schema__),
            },
            "additionalProperties": condition,
            "description": "a claim: at/during, vm: or host:, and conditions by counter",
        }


def _unknown_states(condition: Condition) -> list[tuple[str, str]]:
    """Messages for tested values that are not free-memory states."""
    found = []
    for key, value in condition.tests().items():
        if value not in STATES:
            close = difflib.get_close_matches(str(value), STATES, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"states: {', '.join(STATES)}"
            found.append((key, f"{value!r} is not a state; {hint}"))
    return found


def _unknown_counter(name: str, host: bool) -> str | None:
    """A message for a likely misspelt counter; None when the name looks deliberate.

    Models may record counters beyond the documented ones, so only a near miss of a known
    counter or claim keyword is an error.
    """
    known = HOST_COUNTERS if host else VM_COUNTERS
    if name in known:
        return None
    close = difflib.get_close_matches(name, [*known, *_KEYWORDS], n=1, cutoff=0.75)
    return f"unknown counter '{name}'; did you mean '{close[0]}'?" if close else None
