"""One summary row per run: the numbers a sweep plots and a capacity search tests.

Metrics come straight from the recorded counters (``Results.vms`` and ``Results.host``,
DESIGN.md §4.2), so they hold whatever the summary tables of :mod:`memsim.results` look like.
A counter the model does not record gives NaN, never an error.

Metrics (sizes in MiB, times in seconds, latency in %):

- ``worst_mean_latency``: the highest, over VMs, of each VM's mean latency over the run.
- ``peak_latency``: the highest latency recorded for any VM in any sample.
- ``mean_throughput`` / ``worst_mean_throughput``: relative throughput (0–1), mean over all VMs
  and samples / lowest per-VM mean.
- ``peak_swapped``, ``peak_ballooned``, ``peak_compressed``: host totals at their highest.
- ``peak_guest_swapped``: pages the guests paged out themselves, summed over VMs, at the highest.
- ``min_free``: lowest free host memory.
- ``sharing_saved_mean``: time-weighted mean memory saved by page sharing.
- ``time_high`` … ``time_low``: time in each free-memory state, exact to the event.

The last two are those of the run summary (:func:`memsim.results.summary.host_summary`) for
the same run: one definition, so a sweep and ``memsim run`` agree.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from memsim.model.states import STATES
from memsim.results.summary import host_summary

__all__ = ["DEFAULT_METRIC", "LABELS", "METRICS", "STATES", "summarize"]

DEFAULT_METRIC = "worst_mean_latency"
METRICS = (
    "worst_mean_latency",
    "peak_latency",
    "mean_throughput",
    "worst_mean_throughput",
    "peak_swapped",
    "peak_ballooned",
    "peak_compressed",
    "peak_guest_swapped",
    "min_free",
    "sharing_saved_mean",
    *(f"time_{state}" for state in STATES),
)

#: What each metric measures, with its unit (the sweep report's axis labels).
LABELS = {
    "worst_mean_latency": "worst VM latency, mean over the run (%)",
    "peak_latency": "highest recorded VM latency (%)",
    "mean_throughput": "mean relative throughput",
    "worst_mean_throughput": "worst VM relative throughput",
    "peak_swapped": "peak host swapped (MiB)",
    "peak_ballooned": "peak host ballooned (MiB)",
    "peak_compressed": "peak host compressed (MiB)",
    "peak_guest_swapped": "peak guest-swapped (MiB)",
    "min_free": "lowest free memory (MiB)",
    "sharing_saved_mean": "mean memory saved by sharing (MiB)",
    **{f"time_{s}": f"time in {s} state (s)" for s in STATES},
}


def summarize(
    vms: pd.DataFrame,
    host: pd.DataFrame,
    duration: float,
    events: pd.DataFrame | None = None,
) -> dict[str, float]:
    """The metrics of one run from its counters.

    Args:
        vms: Per-VM counters indexed by time, with a ``vm`` column.
        host: Host counters indexed by time.
        duration: Simulated seconds (the end of the last sample's interval).
        events: The event log, for the exact time of each state change.

    Returns:
        Every name of :data:`METRICS`, mapped to a float (NaN when a counter is missing).
    """
    row = {
        "worst_mean_latency": _per_vm_mean(vms, "latency", max),
        "peak_latency": _reduce(vms, "latency", "max"),
        "mean_throughput": _reduce(vms, "throughput", "mean"),
        "worst_mean_throughput": _per_vm_mean(vms, "throughput", min),
        "peak_swapped": _reduce(host, "swapped", "max"),
        "peak_ballooned": _reduce(host, "vmmemctl", "max"),
        "peak_compressed": _reduce(host, "compressed", "max"),
        "peak_guest_swapped": _peak_total(vms, "guestSwapped"),
        "min_free": _reduce(host, "free", "min"),
    }
    summary = host_summary(host, end=duration, events=events).iloc[0] if len(host) else {}
    for key in ("sharing_saved_mean", *(f"time_{state}" for state in STATES)):
        row[key] = float(summary.get(key, math.nan))
    if math.isnan(row["time_clear"]) and not math.isnan(row["time_high"]):
        row["time_clear"] = 0.0  # a profile without clear spends no time in it
    return row


def _reduce(frame: pd.DataFrame, column: str, how: str) -> float:
    if column not in frame or frame.empty:
        return math.nan
    return float(frame[column].agg(how))


def _per_vm_mean(vms: pd.DataFrame, column: str, pick: Any) -> float:
    if column not in vms or "vm" not in vms or vms.empty:
        return math.nan
    return float(pick(vms.groupby("vm", sort=False)[column].mean()))


def _peak_total(vms: pd.DataFrame, column: str) -> float:
    if column not in vms or vms.empty:
        return math.nan
    return float(vms[column].groupby(level=0).sum().max())
