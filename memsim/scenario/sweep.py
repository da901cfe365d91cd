"""The ``sweep:`` block of a scenario: parameter axes and seeds (DESIGN.md §2, sweep layer).

A sweep maps key paths (the same paths ``memsim run --set`` takes) to the values to try,
as a list or as an inclusive range, plus the number of seeds per grid point::

    sweep:
      vms.web.count: [8, 16, 32]
      host.advanced.Mem.IdleTax: {from: 0, to: 90, step: 15}
      seeds: 3

Ranges of sizes or durations keep their unit (``{from: 256MiB, to: 1GiB, step: 256MiB}``).
This module only checks the shape of the block; whether every value fits its key is checked
by :func:`memsim.sweep.grid.plan`, which validates each grid point as an override.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import Field, model_serializer, model_validator
from pydantic.json_schema import JsonSchemaValue

from memsim.scenario.errors import Issue, issues
from memsim.scenario.types import Frozen
from memsim.units import format_duration, format_size, parse_duration, parse_size

__all__ = ["RANGE_KEYS", "Sweep", "expand_axis"]

RANGE_KEYS = ("from", "to", "step")
_MAX_POINTS = 100_000
_Number = int | float


class Sweep(Frozen):
    """Axes of a parameter sweep and the number of seeds per grid point.

    Attributes:
        axes: Values to try, by key path, in the order written (lists; ranges expanded).
        seeds: Runs per grid point, each with its own seed.
    """

    axes: dict[str, list[Any]] = {}
    seeds: int = Field(1, ge=1, le=10_000)

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, data: object) -> object:
        """Split the written form (key paths beside ``seeds``) into axes and seeds."""
        if not isinstance(data, Mapping) or set(data) <= {"axes", "seeds"} and "axes" in data:
            return data
        written = dict(data)
        seeds = written.pop("seeds", 1)
        axes: dict[str, list[Any]] = {}
        problems: list[Issue] = []
        for path, values in written.items():
            try:
                axes[str(path)] = expand_axis(values)
            except ValueError as exc:
                problems.append(((str(path),), str(exc)))
        if problems:
            raise issues(*problems)
        return {"axes": axes, "seeds": seeds}

    @model_serializer
    def _to_yaml(self) -> dict[str, Any]:
        return {**self.axes, "seeds": self.seeds}

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> JsonSchemaValue:
        axis = {
            "anyOf": [
                {"type": "array", "minItems": 1},
                {
                    "type": "object",
                    "properties": {key: {} for key in RANGE_KEYS},
                    "required": list(RANGE_KEYS),
                    "additionalProperties": False,
                },
            ]
        }
        return {
            "type": "object",
            "description": "key.path: [values] or {from, to, step}; seeds: runs per grid point",
            "properties": {"seeds": {"type": "integer", "minimum": 1}},
            "additionalProperties": axis,
        }


def expand_axis(values: object) -> list[Any]:
    """The values of one axis: a non-empty list as written, or an inclusive range expanded.

    Args:
        values: A list, or a mapping ``{from, to, step}`` of numbers, sizes or durations.

    Returns:
        The values in order; sizes and durations spelled with their unit.

    Raises:
        ValueError: If the axis is empty, not a list or range, or the range is malformed.

    Examples:
        >>> expand_axis({"from": 0, "to": 90, "step": 30})
        [0, 30, 60, 90]
        >>> expand_axis({"from": "256MiB", "to": "1GiB", "step": "256MiB"})
        ['256MiB', '512MiB', '768MiB', '1GiB']
    """
    if isinstance(values, list):
        if not values:
            raise ValueError("an axis needs at least one value")
        return list(values)
    if isinstance(values, Mapping):
        return _expand_range(values)
    raise ValueError(
        "write the values to try as a list ([8, 16, 32]) or a range ({from: 0, to: 90, step: 15})"
    )


def _expand_range(spec: Mapping[str, Any]) -> list[Any]:
    unknown = sorted(set(spec) - set(RANGE_KEYS))
    missing = [key for key in RANGE_KEYS if key not in spec]
    if unknown or missing:
        wrong = f"unknown key '{unknown[0]}'" if unknown else f"missing '{missing[0]}'"
        raise ValueError(f"{wrong}: a range is {{from: 0, to: 90, step: 15}}")
    start, stop, step = (spec[key] for key in RANGE_KEYS)
    if all(_is_number(v) for v in (start, stop, step)):
        return _numbers(start, stop, step)
    for parse, fmt in ((parse_size, format_size), (parse_duration, format_duration)):
        parsed = _parse_all(parse, (start, stop, step))
        if parsed is not None:
            return [fmt(v) for v in _numbers(*parsed)]
    raise ValueError("from, to and step must be numbers, or all sizes, or all durations")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _parse_all(parse: Callable[[Any], Any], values: tuple[Any, ...]) -> tuple[Any, ...] | None:
    try:
        return tuple(parse(v) for v in values)
    except ValueError:
        return None


def _numbers(start: _Number, stop: _Number, step: _Number) -> list[Any]:
    """``start, start + step, …`` up to ``stop`` inclusive (with a tolerance for float steps)."""
    if step <= 0 or not math.isfinite(step):
        raise ValueError(f"step must be greater than 0, got {step}")
    if stop < start:
        raise ValueError(f"to ({stop}) is below from ({start})")
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > _MAX_POINTS:
        raise ValueError(f"the range has {count} values; at most {_MAX_POINTS} are allowed")
    if all(isinstance(v, int) for v in (start, stop, step)):
        return [start + i * step for i in range(count)]
    return [round(start + i * step, 12) for i in range(count)]
