"""One summary row per run: the numbers a sweep plots and a capacity search tests.

Metrics come straight from the recorded counters (``Results.vms`` and ``Results.host``,
DESIGN.md §4.2), so they hold whatever the summary tables of :mod:`memsim.results` look like.
A counter the model does not record gives NaN, never an error.

Metrics (sizes in MiB, times in seconds, latency in %):

- ``worst_latency``: the highest, over VMs, of each VM's mean latency over the run.
- ``peak_latency``: the highest latency recorded for any VM in any sample.
- ``mean_throughput`` / ``worst_throughput``: relative throughput (0–1), mean over all VMs
  and samples / lowest per-VM mean.
- ``peak_swapped``, ``peak_ballooned``, ``peak_compressed``: host totals at their highest.
- ``peak_guest_swapped``: pages the guests paged out themselves, summed over VMs, at the highest.
- ``min_free``: lowest free host memory.
- ``sharing_saved``: mean memory saved by page sharing (``sharedSaved``).
- ``time_high`` … ``time_low``: time in each free-memory state (share of samples × duration).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = ["DEFAULT_METRIC", "METRICS", "STATES", "summarize"]

STATES = ("high", "clear", "soft", "hard", "low")
DEFAULT_METRIC = "worst_latency"
METRICS = (
    "worst_latency",
    "peak_latency",
    "mean_throughput",
    "worst_throughput",
    "peak_swapped",
    "peak_ballooned",
    "peak_compressed",
    "peak_guest_swapped",
    "min_free",
    "sharing_saved",
    *(f"time_{state}" for state in STATES),
)


def summarize(vms: pd.DataFrame, host: pd.DataFrame, duration: float) -> dict[str, float]:
    """The metrics of one run from its counters.

    Args:
        vms: Per-VM counters indexed by time, with a ``vm`` column.
        host: Host counters indexed by time.
        duration: Simulated seconds, to turn shares of samples into time per state.

    Returns:
        Every name of :data:`METRICS`, mapped to a float (NaN when a counter is missing).
    """
    row = {
        "worst_latency": _per_vm_mean(vms, "latency", max),
        "peak_latency": _reduce(vms, "latency", "max"),
        "mean_throughput": _reduce(vms, "throughput", "mean"),
        "worst_throughput": _per_vm_mean(vms, "throughput", min),
        "peak_swapped": _reduce(host, "swapped", "max"),
        "peak_ballooned": _reduce(host, "vmmemctl", "max"),
        "peak_compressed": _reduce(host, "compressed", "max"),
        "peak_guest_swapped": _peak_total(vms, "guestSwapped"),
        "min_free": _reduce(host, "free", "min"),
        "sharing_saved": _reduce(host, "sharedSaved", "mean"),
    }
    shares = _state_shares(host)
    row.update({f"time_{state}": shares.get(state, 0.0) * duration for state in STATES})
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


def _state_shares(host: pd.DataFrame) -> dict[str, float]:
    if "state" not in host or host.empty:
        return {}
    return {str(k): float(v) for k, v in host["state"].value_counts(normalize=True).items()}
