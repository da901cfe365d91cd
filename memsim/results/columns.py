"""The unit of every recorded counter (from :mod:`memsim.counters`) and of every summary column.

Results carry it in each DataFrame's ``attrs["units"]`` (column → unit) so that a notebook,
a plot label or an export can say what a number means; ``docs/counters.md`` lists the
counters. Sizes are MiB, rates MiB/s, times seconds, ``latency``, ``stall`` and the waits % of time,
``throughput`` a share (0–1). ``active`` is MiB; the esxtop estimates ``activeSlowPct``,
%ACTVS, %ACTVF, %ACTVN).
"""

from __future__ import annotations

from collections.abc import Iterable

from memsim.counters import COUNTERS

__all__ = ["UNITS", "unit_of", "units_for"]

#: Unit of each recorded counter (from :mod:`memsim.counters`).
UNITS: dict[str, str] = {c.name: c.unit for c in COUNTERS}


def unit_of(column: str) -> str | None:
    """The unit of a counter or a summary column (``<counter>_peak``, ``time_<state>``...)."""
    if column in UNITS:
        return UNITS[column]
    if column.startswith("time_"):
        return "s"
    if column == "swapped_in":
        return "MiB"
    for suffix in ("_peak", "_mean", "_max"):
        if column.endswith(suffix):
            base = column.removesuffix(suffix)
            if base in UNITS:
                return UNITS[base]
            return "MiB"  # ballooned, compressed, swapped, guest_swapped, shared_saved, ...
    return None


def units_for(columns: Iterable[object]) -> dict[str, str]:
    """``{column: unit}`` for the columns whose unit is known."""
    found = {str(c): unit_of(str(c)) for c in columns}
    return {c: u for c, u in found.items() if u is not None}
