"""The conditions of a claim: what one counter must show, and the references it compares with.

``{approx: X, tol: T}``, ``{min: X}``, ``{max: X}``, ``{not: V}``, ``{equals: V}`` or a bare value
(equals); ``relative_to:``/``minus:`` a :class:`Reference`; the equal-ρ rule
(:class:`EqualRho`). The language as a whole: :mod:`memsim.scenario.claims`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue

from memsim import counters
from memsim.scenario.errors import issues
from memsim.scenario.types import (
    DURATION_SCHEMA,
    Frozen,
)
from memsim.units import MIB, format_duration, parse_duration, parse_fraction, parse_size

__all__ = [
    "HOST_COUNTERS", "VM_COUNTERS", "Condition", "EqualRho", "Reference", "Tolerance",
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
