"""Field types of the scenario format: quantities with units, and the validation context.

Each type parses what a user writes (``"4GiB"``, ``"30min"``, ``"75%"``) into memsim's
units (bytes, seconds, fractions), serialises back to a string that parses to the same value,
and describes the *written* form in the JSON Schema (so editors accept ``"4GiB"``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    model_serializer,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue

from memsim.units import (
    format_duration,
    format_fraction,
    format_size,
    parse_duration,
    parse_fraction,
    parse_size,
)

__all__ = [
    "Amount",
    "Bandwidth",
    "Context",
    "Duration",
    "Fraction",
    "Frozen",
    "MAX_MACHINES",
    "AutoSize",
    "NeverDuration",
    "Shorthand",
    "Size",
    "UnlimitedSize",
    "context_of",
    "expand_name",
    "format_clock",
    "within_duration",
]

_NUMBER = {"type": "number", "minimum": 0}
SIZE_SCHEMA: JsonSchemaValue = {
    "anyOf": [{"type": "string", "pattern": r"^\s*[0-9.eE+]+\s*[A-Za-z]*\s*$"}, _NUMBER],
    "description": "size: 4GiB, 512MiB, 100B (KB/MB/GB are binary) or a number of MiB",
}
DURATION_SCHEMA: JsonSchemaValue = {
    "anyOf": [{"type": "string", "pattern": r"^\s*[0-9.eE+]+\s*(ms|s|min|h|d)?\s*$"}, _NUMBER],
    "description": "duration: 250ms, 30s, 5min, 1h, 1d or a number of seconds",
}
FRACTION_SCHEMA: JsonSchemaValue = {
    "anyOf": [{"type": "string", "pattern": r"^\s*[0-9.]+\s*%\s*$"}, {**_NUMBER, "maximum": 1}],
    "description": "fraction: 75% or 0.75",
}


MAX_MACHINES = 10_000
"""Most VMs a scenario may hold once groups are expanded (ESXi 8 runs at most 1,024)."""


class Frozen(BaseModel):
    """Base of every scenario model: immutable, unknown keys rejected, aliases when dumped."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_by_name=True, serialize_by_alias=True
    )


def _bandwidth(value: object) -> int:
    """Parse a bandwidth: a size per second, written with or without ``/s``."""
    if isinstance(value, str) and value.rstrip().endswith("/s"):
        value = value.rstrip()[:-2]
    return parse_size(value)


def _dump_bandwidth(value: int) -> str:
    return f"{format_size(value)}/s"


def _noting_bare(parse: Any, unit: str) -> Any:
    """``parse``, remembering in the context the first bare number it read as ``unit``."""

    def validate(value: object, info: ValidationInfo) -> Any:
        ctx = context_of(info)
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if ctx is not None and is_number and value:  # a bare 0 means the same in every unit
            ctx.bare.setdefault(unit, float(str(value)))
        return parse(value)

    return validate


Size = Annotated[
    int,
    BeforeValidator(_noting_bare(parse_size, "MiB")),
    PlainSerializer(format_size, when_used="json"),
    WithJsonSchema(SIZE_SCHEMA),
]
Duration = Annotated[
    float,
    BeforeValidator(_noting_bare(parse_duration, "s")),
    PlainSerializer(format_duration, when_used="json"),
    WithJsonSchema(DURATION_SCHEMA),
]
Fraction = Annotated[float, BeforeValidator(parse_fraction), WithJsonSchema(FRACTION_SCHEMA)]
Bandwidth = Annotated[
    int,
    BeforeValidator(_bandwidth),
    PlainSerializer(_dump_bandwidth, when_used="json"),
    WithJsonSchema({**SIZE_SCHEMA, "description": "bandwidth: 100MiB/s, or MiB/s as a number"}),
]


class Shorthand(Frozen):
    """A model that may also be written as one word (``swap: ssd``, ``balloon: slow``).

    Subclasses name the key the word stands for (``swap: ssd`` = ``swap: {device: ssd}``)
    and the words allowed, for the JSON Schema.
    """

    shorthand_key: ClassVar[str]
    shorthand_words: ClassVar[tuple[str, ...]]

    @model_validator(mode="before")
    @classmethod
    def _expand_word(cls, value: object) -> object:
        if isinstance(value, str):
            value = {cls.shorthand_key: value}
        return cls.complete(dict(value)) if isinstance(value, Mapping) else value

    @classmethod
    def complete(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Fill in values that depend on others (a device's figures); override as needed."""
        return data

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> JsonSchemaValue:
        word = {"enum": list(cls.shorthand_words)} if cls.shorthand_words else {"type": "string"}
        return {"anyOf": [handler(core_schema), word]}


class _Keyword:
    """Validator and serializer of a quantity that a keyword (``unlimited``, ``auto``) may replace.

    The keyword and ``null`` both mean None ("not set").
    """

    def __init__(self, word: str, parse: Callable[[Any], Any], fmt: Callable[[Any], str]) -> None:
        self.word, self.parse, self.fmt = word, parse, fmt

    def validator(self) -> BeforeValidator:
        return BeforeValidator(lambda v: None if v is None or v == self.word else self.parse(v))

    def serializer(self) -> PlainSerializer:
        return PlainSerializer(lambda v: self.word if v is None else self.fmt(v), when_used="json")

    def schema(self, quantity: JsonSchemaValue) -> WithJsonSchema:
        alternatives = [{"const": self.word}, {"type": "null"}, *quantity["anyOf"]]
        return WithJsonSchema({"anyOf": alternatives, "description": quantity["description"]})


_UNLIMITED = _Keyword("unlimited", parse_size, format_size)
_AUTO = _Keyword("auto", parse_size, format_size)
_NEVER = _Keyword("never", parse_duration, format_duration)

UnlimitedSize = Annotated[
    int | None, _UNLIMITED.validator(), _UNLIMITED.serializer(), _UNLIMITED.schema(SIZE_SCHEMA)
]
"""A size, or ``unlimited`` (None)."""
AutoSize = Annotated[int | None, _AUTO.validator(), _AUTO.serializer(), _AUTO.schema(SIZE_SCHEMA)]
"""A size, or ``auto`` (None): memsim estimates it."""
NeverDuration = Annotated[
    float | None, _NEVER.validator(), _NEVER.serializer(), _NEVER.schema(DURATION_SCHEMA)
]
"""A time, or ``never`` (None)."""


class Amount(Frozen):
    """A quantity of guest memory: a size, or a share of the VM's configured memory.

    Written ``200MiB`` or ``50%``. A bare number is MiB, as for every size; a bare number
    below 1 is refused as ambiguous.

    Attributes:
        bytes: The size, when written as a size.
        fraction: The share of configured memory, when written as a percentage.
    """

    bytes: int | None = None
    fraction: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: object) -> object:
        if isinstance(value, Mapping):
            return value
        if isinstance(value, str) and value.strip().endswith("%"):
            return {"fraction": parse_fraction(value)}
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1:
            raise ValueError(f"{value} is ambiguous: write '{value * 100:g}%' or '{value}MiB'")
        return {"bytes": parse_size(value)}

    @model_validator(mode="after")
    def _one_of(self) -> Amount:
        if (self.bytes is None) == (self.fraction is None):
            raise ValueError("give either bytes or fraction")
        return self

    @model_serializer(mode="plain", when_used="json")
    def _dump(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        """The amount as written, e.g. ``"50%"`` or ``"200MiB"``."""
        if self.fraction is None:
            return format_size(self.bytes or 0)
        return format_fraction(self.fraction)

    def resolve(self, memory: int) -> int:
        """The amount in bytes for a VM with ``memory`` bytes configured."""
        if self.bytes is not None:
            return self.bytes
        return round((self.fraction or 0.0) * memory)

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> JsonSchemaValue:
        return {
            "anyOf": [*SIZE_SCHEMA["anyOf"], FRACTION_SCHEMA["anyOf"][0]],
            "description": "a size (200MiB) or a share of the VM's memory (50%)",
        }


@dataclass(frozen=True)
class Context:
    """What validators need to know about the rest of the file.

    Cross-references (event paths, claim targets, duplicate names, trace files) cannot be
    checked inside one object. The loader reads them from the raw data first, so these checks
    run even when other parts of the file are invalid, and all errors are reported together.

    Attributes:
        base: Directory that relative trace paths start from.
        duration: The scenario's duration in seconds, when it parses.
        memory: Configured memory in bytes of each VM or group as written (None if invalid).
        counts: ``count`` of each VM or group as written.
        clashes: Message for each written VM name that is not unique after expansion.
        trace_roots: Folders besides ``base`` that traces may lie under (``--trace-root``).
        bare: The first bare number read as a size (MiB) and as a duration (seconds), by
            unit; the loader turns each into one warning per file.
        start: The wall-clock time of the start (``start:``), when given and valid; clock
            times in ``at:`` need it (:mod:`memsim.scenario.clock`).
    """

    base: Path = Path(".")
    duration: float | None = None
    memory: dict[str, int | None] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    clashes: dict[str, str] = field(default_factory=dict)
    trace_roots: tuple[Path, ...] = ()
    bare: dict[str, float] = field(default_factory=dict)
    start: datetime | None = None

    @property
    def machines(self) -> list[str]:
        """Names of the VMs after groups are expanded (``web`` × 3 → ``web-1`` … ``web-3``)."""
        return [m for name, n in self.counts.items() for m in expand_name(name, n)]

    @property
    def owners(self) -> dict[str, str]:
        """Every name a key path may use (VMs, groups, group members) → the entry as written."""
        owners = {name: name for name in self.counts}
        for name, n in self.counts.items():
            for member in expand_name(name, n):
                owners.setdefault(member, name)
        return owners


def expand_name(name: str, count: int) -> list[str]:
    """Names of the members of a VM group: itself when ``count`` is 1, else ``name-1``, …."""
    return [name] if count == 1 else [f"{name}-{i}" for i in range(1, count + 1)]


def context_of(info: ValidationInfo) -> Context | None:
    """The :class:`Context` passed to validation, or None when validated without one."""
    ctx = info.context
    return ctx if isinstance(ctx, Context) else None


def format_clock(moment: datetime) -> str:
    """A timestamp as scenarios and messages write it: ``2026-12-02T09:00`` (seconds if any)."""
    spec = "seconds" if moment.second or moment.microsecond else "minutes"
    return moment.isoformat(timespec=spec)


def within_duration(value: float, info: ValidationInfo) -> float:
    """Validator body: a time must not lie after the end of the run."""
    ctx = context_of(info)
    if ctx is not None and ctx.duration is not None and value > ctx.duration:
        end, when = format_duration(ctx.duration), format_duration(value)
        if ctx.start is not None:  # as clock times, which is how the user may have written it
            end = f"{end}, {format_clock(ctx.start + timedelta(seconds=ctx.duration))}"
            when = f"{format_clock(ctx.start + timedelta(seconds=value))} ({when} from start)"
        raise ValueError(f"{when} is after the end of the run ({end})")
    return value
