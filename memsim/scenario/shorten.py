"""Warnings of the loader: a run shortened below its phases, bare numbers read with a unit.

``--set duration=5min`` on a scenario whose phases, events or claims lie later would otherwise
be refused: the user asked for a shorter run, so the later items are dropped, each with a
warning. A bare number in a size or a duration is read as MiB or seconds; that is allowed but
easy to get wrong (``memory: 4`` is 4 MiB), so the loader says so once per file and unit.
"""

from __future__ import annotations

from typing import Any

from memsim.units import format_duration, parse_duration

__all__ = ["bare_number_warnings", "drop_after_end"]

_WORDS = {"MiB": ("a size", "MiB"), "s": ("a duration", "seconds")}


def bare_number_warnings(bare: dict[str, float]) -> list[str]:
    """One warning per unit for which a bare number was read (``{"MiB": 512}``)."""
    return [
        f"a bare number in {_WORDS[unit][0]} is read as {_WORDS[unit][1]} (e.g. {value:g} "
        f"here means {value:g}{unit if unit == 'MiB' else 's'}); write the unit to be explicit"
        for unit, value in bare.items()
    ]


def _seconds(value: object) -> float | None:
    try:
        return parse_duration(value)
    except (TypeError, ValueError):
        return None


def _starts_after(claim: Any, end: float) -> bool:
    if not isinstance(claim, dict):
        return False
    at, during = claim.get("at"), claim.get("during")
    if at is not None and at != "end":
        start = _seconds(at)
        return start is not None and start > end
    if isinstance(during, list) and during:
        start = _seconds(during[0])
        return start is not None and start > end
    return False


def _after(items: Any, end: float, late: Any) -> tuple[list[Any], int]:
    if not isinstance(items, list):
        return items, 0
    kept = [item for item in items if not late(item, end)]
    return kept, len(items) - len(kept)


def drop_after_end(raw: dict[str, Any]) -> list[str]:
    """Remove the phases, events and claims that start after the (new) duration, in place.

    Returns:
        One warning per VM or list shortened; nothing when everything fits or the duration
        does not parse (validation then says what is wrong).
    """
    end = _seconds(raw.get("duration"))
    if end is None:
        return []
    span = format_duration(end)

    def late_phase(item: Any, end: float) -> bool:
        at = _seconds(item.get("at")) if isinstance(item, dict) else None
        return at is not None and at > end

    warnings = []
    for i, vm in enumerate(raw.get("vms") or []):
        workload = vm.get("workload") if isinstance(vm, dict) else None
        if isinstance(workload, dict) and "phases" in workload:
            workload["phases"], cut = _after(workload["phases"], end, late_phase)
            if cut:
                name = vm.get("name", f"vms[{i}]")
                warnings.append(f"the run ends at {span}: dropped {cut} later phase(s) of {name}")
    raw["events"], cut = _after(raw.get("events"), end, late_phase)
    if cut:
        warnings.append(f"the run ends at {span}: dropped {cut} later event(s)")
    raw["expect"], cut = _after(raw.get("expect"), end, _starts_after)
    if cut:
        warnings.append(f"the run ends at {span}: dropped {cut} claim(s) about later times")
    for key in ("events", "expect"):
        if raw[key] is None:
            del raw[key]
    return warnings
