"""Claims of a scenario's ``expect:`` block: what the results should show (DESIGN.md §4.1).

::

    expect:
      - at: 29min                       # or: at: end, or: during: [0s, 60min]
        vm: win-idle
        consumed: {approx: 179MiB, tol: 3%}
      - during: [0s, end]
        host: {state: {not: low}}
      - during: [10min, end]            # the mean over the window instead of every record
        mean: true
        vm: web-1
        throughput: {min: 0.9}
      - during: [10min, 20min]          # at some moment in the window
        any: true
        host: {state: soft}

A claim picks a time (the last record at or before ``at``) or a window, a VM or the host, and
one condition per counter: ``{approx: X, tol: T}`` (T a fraction, default 5 %, or a size),
``{min: X}``, ``{max: X}``, ``{not: V}``, ``{equals: V}``, or a bare value meaning equals.
Sizes compare in MiB; ``5%`` is 5 (the unit of ``latency``). Claims are checked by
:mod:`memsim.results.expect`.

Relations. A condition may compare a counter with another value instead of a constant:
``relative_to: REF`` tests the ratio counter / reference, ``minus: REF`` the difference
counter − reference. ``REF`` names what differs: ``vm`` (another VM; ``host`` for the host
table), ``counter`` (another counter) and ``at`` (another time, e.g. before an event); what it
does not name is the claim's own. In a window, each record is compared with the reference at the
same time (or with the one reference value when ``at`` is given)::

    - at: 55min
      vm: linux-dbench
      throughput: {relative_to: {at: 29min}, min: 1.3}    # 30 % more than before the change
    - at: end
      vm: web-2
      consumed: {minus: {vm: web-1}, approx: 0, tol: 5MiB}

The equal-ρ rule of min-funding revocation with the idle memory tax ([OSDI02] §5.4): every VM
not held by a bound has the same A + k·I, A its active memory, I = P − A its idle memory, P its
allocation (``consumed`` by default, or ``entitlement``), k = 1/(1 − τ) from ``Mem.IdleTax`` in
effect at that time (or ``k:`` given)::

    - at: 55min
      equal_rho: {vms: [win-idle, linux-dbench], tol: 10%}   # also: k: 4, allocation: entitlement

It holds when the largest and smallest A + k·I differ by at most ``tol`` (a fraction of their
mean, default 10 %, or a size).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue

from memsim import counters
from memsim.model.states import STATES
from memsim.scenario.errors import Issue, issues
from memsim.scenario.types import (
    DURATION_SCHEMA,
    Frozen,
    context_of,
    expand_name,
    within_duration,
)
from memsim.units import MIB, format_duration, parse_duration, parse_fraction, parse_size

__all__ = [
    "HOST_COUNTERS", "STATES", "VM_COUNTERS", "Claim", "Condition", "EqualRho", "Reference",
    "Tolerance",
]  # fmt: skip

VM_COUNTERS = counters.VM_COUNTERS
"""Per-VM counters a claim may test (:mod:`memsim.counters`)."""
HOST_COUNTERS = counters.HOST_COUNTERS
"""Host counters a claim may test (:mod:`memsim.counters`)."""
_KEYWORDS = ("at", "during", "mean", "any", "vm", "host", "equal_rho", "not_met")


def _measure(value: object) -> float | str:
    """A value to compare with: sizes and rates in MiB, ``5%`` as 5, words as they are."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"expected a number, a size or a word, got {value!r}")
    if not isinstance(value, str):
        return float(value)
    text = value.strip()
    if text.endswith("%"):
        return float(text[:-1])
    try:
        return parse_size(text.removesuffix("/s")) / MIB
    except ValueError:
        return text


_MEASURE_SCHEMA: JsonSchemaValue = {"type": ["number", "string"]}
Measure = Annotated[float | str, BeforeValidator(_measure), WithJsonSchema(_MEASURE_SCHEMA)]
Number = Annotated[float, WithJsonSchema(_MEASURE_SCHEMA)]
_END = "end"


def _time_or_end(value: object) -> object:
    return value if value == _END else parse_duration(value)


def _dump_time(value: float | str) -> str:
    return value if isinstance(value, str) else format_duration(value)


Time = Annotated[
    float | Literal["end"],
    BeforeValidator(_time_or_end),
    PlainSerializer(_dump_time, when_used="json"),
    WithJsonSchema({"anyOf": [{"const": "end"}, *DURATION_SCHEMA["anyOf"]]}),
]
"""A time in seconds, or ``end``: the last record of the run."""


class Tolerance(Frozen):
    """How far ``approx`` may miss: a fraction of the expected value (``3%``) or a size.

    Attributes:
        relative: Fraction of the expected value.
        absolute: Absolute difference in the counter's unit (MiB for sizes).
    """

    relative: float | None = None
    absolute: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: object) -> object:
        if isinstance(value, Mapping):
            return value
        if isinstance(value, str) and value.strip().endswith("%"):
            return {"relative": parse_fraction(value)}
        if isinstance(value, int | float) and not isinstance(value, bool) and value <= 1:
            return {"relative": float(value)}
        if isinstance(value, str):
            return {"absolute": parse_size(value) / MIB}
        raise ValueError(f"tol: write a fraction like '3%' or a size like '10MiB', got {value!r}")

    @model_serializer(mode="plain", when_used="json")
    def _dump(self) -> str | float:
        return f"{self.absolute}MiB" if self.absolute is not None else self.relative or 0.0

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> JsonSchemaValue:
        return {"type": ["number", "string"], "description": "3% (of the value) or 10MiB"}

    def allows(self, expected: float) -> float:
        """The largest difference allowed from ``expected``."""
        if self.absolute is not None:
            return self.absolute
        return abs(expected) * (self.relative or 0.0)

    def __str__(self) -> str:
        return f"{self.absolute:g}MiB" if self.absolute is not None else f"{self.relative:.0%}"


class Reference(Frozen):
    """What a relation compares a counter with; unnamed parts are the claim's own.

    Attributes:
        vm: Another VM, or ``host`` for the host table.
        counter: Another counter.
        at: Another time (``end`` allowed): one reference value for every record compared.
    """

    vm: str | None = None
    counter: str | None = None
    at: Time | None = None


class EqualRho(Frozen):
    """The equal-ρ rule of min-funding revocation with the idle memory tax ([OSDI02] §5.4).

    Attributes:
        vms: The VMs (at least two) whose A + k·I must agree.
        tol: How far they may differ: a fraction of their mean (default 10 %) or a size.
        k: Idle cost factor; default 1/(1 − τ) from ``Mem.IdleTax`` in effect at the time.
        allocation: The counter taken as the allocation P: ``consumed`` or ``entitlement``.
    """

    vms: list[str] = Field(min_length=2)
    tol: Tolerance | None = None
    k: float | None = Field(None, gt=0)
    allocation: Literal["consumed", "entitlement", "granted"] = "consumed"


class Condition(Frozen):
    """What a counter must satisfy; several keys must all hold.

    Attributes:
        approx: Expected value, within ``tol``.
        tol: Tolerance of ``approx`` (default 5 %).
        min: Lowest allowed value.
        max: Highest allowed value.
        not_: A value the counter must never take (``not:`` in YAML).
        equals: The value the counter must take.
    """

    approx: Number | None = None
    tol: Tolerance | None = None
    min: Number | None = None
    max: Number | None = None
    not_: Measure | None = Field(None, alias="not")
    equals: Measure | None = None
    relative_to: Reference | None = None
    minus: Reference | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_value(cls, value: object) -> object:
        return value if isinstance(value, Mapping) else {"equals": value}

    @field_validator("approx", "min", "max", mode="before")
    @classmethod
    def _number(cls, value: object) -> object:
        measured = _measure(value)
        if isinstance(measured, str):
            raise ValueError(f"expected a number or a size, got {value!r}")
        return measured

    @model_validator(mode="after")
    def _something(self) -> Condition:
        if self.tol is not None and self.approx is None:
            raise issues((("tol",), "tol goes with approx"))
        if self.relative_to is not None and self.minus is not None:
            raise ValueError("give relative_to or minus, not both")
        if not self.tests():
            raise ValueError("give approx, min, max, not or equals")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise issues(
                (("min",), f"min {self.min:g} is above max {self.max:g}: no value can pass")
            )
        return self

    @model_serializer(mode="wrap", when_used="json")
    def _as_written(self, handler: Any) -> dict[str, Any]:
        return {k: v for k, v in handler(self).items() if v is not None}

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> JsonSchemaValue:
        return {"anyOf": [handler(core_schema), {"type": ["number", "string", "boolean"]}]}

    def tests(self) -> dict[str, Any]:
        """The tests to run, by YAML keyword: ``{"approx": 179.0, "max": 200.0}``."""
        given: dict[str, Any] = {"approx": self.approx, "min": self.min, "max": self.max}
        given |= {"not": self.not_, "equals": self.equals}
        return {key: value for key, value in given.items() if value is not None}


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
        if found:
            raise issues(*found)
        return self

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
