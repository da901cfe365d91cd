"""Tables of the HTML report: the scenario as it ran, events, and the summaries.

Everything is read from the manifest and the result tables, so a report re-rendered from a saved
run folder is the same as the one written at the end of the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from memsim.model.cost import CAUSE_LABELS, WAIT_COUNTERS
from memsim.results.summary import STATES
from memsim.units import format_duration, format_size

if TYPE_CHECKING:
    from memsim.results.results import Results

__all__ = ["SUMMARY_LABELS", "event_tables", "frame_html", "run_facts", "scenario_tables"]

#: Column headings for the summary tables (units of DESIGN.md §4.2).
SUMMARY_LABELS = {
    "consumed_peak": "peak consumed (MiB)",
    "consumed_mean": "mean consumed (MiB)",
    "ballooned_mean": "mean ballooned (MiB)",
    "compressed_mean": "mean compressed (MiB)",
    "swapped_mean": "mean swapped (MiB)",
    "guest_swapped_peak": "peak paged out by guest (MiB)",
    "guest_swapped_mean": "mean paged out by guest (MiB)",
    "shared_saved_peak": "peak saved by sharing (MiB)",
    "shared_saved_mean": "mean saved by sharing (MiB)",
    "swapped_in": "swapped in (MiB)",
    "latency_mean": "mean latency (%)",
    "latency_max": "worst latency (%)",
    "stall_mean": "mean stalled, all causes (%)",
    "stall_max": "worst stalled, all causes (%)",
    "throughput_mean": "mean throughput",
    "sharing_saved_peak": "peak sharing savings (MiB)",
    "sharing_saved_mean": "mean sharing savings (MiB)",
    "ballooned_peak": "peak ballooned (MiB)",
    "compressed_peak": "peak compressed (MiB)",
    "zip_saved_peak": "peak saved by compression (MiB)",
    "swapped_peak": "peak swapped (MiB)",
}

SUMMARY_LABELS |= {f"time_{state}": f"time in {state} (s)" for state in STATES}
SUMMARY_LABELS |= {
    f"{WAIT_COUNTERS[cause]}_mean": f"mean stalled: {label} (%)"
    for cause, label in CAUSE_LABELS.items()
}

SIZE_KEYS = {"memory", "vmkernel", "swap_cache", "reservation", "limit", "bandwidth"}
DURATION_KEYS = {"duration", "step", "record_every", "latency", "at"}
MAX_EVENT_ROWS = 500


def frame_html(
    frame: pd.DataFrame, labels: Mapping[str, str] | None = None, *, transpose: bool = False
) -> str:
    """A DataFrame as an HTML table with readable headings and two decimals.

    ``transpose`` turns a one-row table (a run's host summary) into a column of values.
    """
    frame = frame.rename(columns=dict(labels or {}))
    if transpose:
        frame = frame.T
    return frame.to_html(
        classes="table",
        float_format=lambda x: f"{x:,.2f}",
        na_rep="–",
        border=0,
        index_names=False,
    )


def _value(key: str, value: Any) -> str:
    """Spell a resolved scenario value as the user would write it."""
    if value is None:
        return "unlimited" if key == "limit" else "–"
    if key in SIZE_KEYS and isinstance(value, int | float) and float(value).is_integer():
        return format_size(int(value)) + ("/s" if key == "bandwidth" else "")
    if key in DURATION_KEYS and isinstance(value, int | float):
        return format_duration(float(value))
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_value(str(k), v)}" for k, v in value.items()) or "–"
    return str(value)


def run_facts(manifest: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Name, description, duration, seed, versions and wall time of a run."""
    scenario = manifest.get("scenario", {})
    facts = [("scenario", str(manifest.get("name", "")))]
    for key in ("description", "duration", "step", "record_every"):
        if scenario.get(key) not in (None, ""):
            facts.append((key.replace("_", " "), _value(key, scenario[key])))
    if manifest.get("seed") is not None:
        facts.append(("seed", str(manifest["seed"])))
    if manifest.get("wall_time") is not None:
        facts.append(("wall time", f"{float(manifest['wall_time']):.1f} s"))
    for key in ("created", "python", "platform"):
        if manifest.get(key) is not None:
            facts.append((key, str(manifest[key])))
    versions = manifest.get("versions", {})
    if versions:
        facts.append(("versions", ", ".join(f"{k} {v}" for k, v in versions.items() if v)))
    return facts


def scenario_tables(manifest: Mapping[str, Any]) -> dict[str, str]:
    """HTML tables of the host, the VMs (groups expanded) and the scheduled events."""
    scenario = manifest.get("scenario", {})
    host = scenario.get("host", {})
    host_rows = pd.DataFrame(
        {"setting": list(host), "value": [_value(k, v) for k, v in host.items()]}
    )
    machines = pd.DataFrame(
        [{k: _value(k, v) for k, v in m.items()} for m in manifest.get("machines", [])]
    )
    events = pd.DataFrame(
        {
            "at": [_value("at", e.get("at")) for e in scenario.get("events", [])],
            "set": [
                "; ".join(f"{k} = {v}" for k, v in e.get("set", {}).items())
                for e in scenario.get("events", [])
            ],
        }
    )
    return {
        "host": host_rows.to_html(classes="table", index=False, border=0),
        "machines": machines.to_html(classes="table", index=False, border=0),
        "n_machines": str(len(machines)),
        "scheduled": events.to_html(classes="table", index=False, border=0) if len(events) else "",
    }


def event_tables(results: Results) -> dict[str, str]:
    """Counts of recorded events by kind, and the log itself (first rows only)."""
    events = results.events
    counts = events.groupby("kind").size().rename("count").to_frame()
    shown = events.head(MAX_EVENT_ROWS)
    note = (
        f"first {MAX_EVENT_ROWS} of {len(events)} events; all are in events.csv"
        if len(events) > MAX_EVENT_ROWS
        else f"{len(events)} events"
    )
    return {
        "counts": frame_html(counts) if len(events) else "",
        "log": shown.to_html(classes="table", index=False, border=0, na_rep=""),
        "note": note,
    }
