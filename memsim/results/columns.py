"""The unit of every recorded counter and summary column, one table for all of them.

Results carry it in each DataFrame's ``attrs["units"]`` (column → unit) so that a notebook,
a plot label or an export can say what a number means; ``docs/counters.md`` is this table in
prose. Sizes are MiB, rates MiB/s, times seconds, ``latency``, ``stall`` and the waits by
cause % of time, ``throughput`` a share (0–1). ``active`` is MiB; the esxtop estimates
``activeSlow``, ``activeFast`` and ``activeNext`` are % of the VM's memory (as esxtop's %ACTVS,
%ACTVF, %ACTVN).
"""

from __future__ import annotations

from collections.abc import Iterable

from memsim.model.cost import WAIT_COUNTERS

__all__ = ["UNITS", "unit_of", "units_for"]

_MIB = (
    "memory", "reservation", "limit", "consumed", "granted", "active", "touched", "shared",
    "zero", "sharedSaved", "vmmemctl", "vmmemctltarget", "vmmemctlmax", "guestSwapped",
    "swapped", "swaptarget", "compressed", "cacheSize", "zipSaved", "overhead", "entitlement",
    "free", "minFree", "managed", "private", "sharedcommon", "threshold_high",
    "threshold_clear", "threshold_soft", "threshold_hard", "threshold_low",
)  # fmt: skip
_RATES = (
    "swapinRate", "swapoutRate", "compressionRate", "decompressionRate", "guestSwapinRate",
    "guestSwapoutRate", "cacheMissRate",
)  # fmt: skip
_PERCENT = ("latency", "stall", "activeSlow", "activeFast", "activeNext")

#: Unit of each recorded counter.
UNITS: dict[str, str] = {
    "time": "s",
    **dict.fromkeys(_MIB, "MiB"),
    **dict.fromkeys(_RATES, "MiB/s"),
    **dict.fromkeys(_PERCENT, "%"),
    **dict.fromkeys(WAIT_COUNTERS.values(), "%"),
    "throughput": "0-1",
    "cowBreaks": "count",
    "falseMatches": "count",
    "state": "state name",
}


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
