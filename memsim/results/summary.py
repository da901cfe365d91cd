"""Summary tables: what happened to each VM and to the host over a run.

Counters are those of docs/model.md §7 in the units of DESIGN.md §4.2. Each sample stands for the
interval up to the next sample (the last one for the median interval), so times are in seconds
and means are time-weighted. A summary column appears only when the counters it needs were
recorded: a model that does not compute swapping gets no ``swapped_peak`` column rather than a
fabricated zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from memsim.counters import WAIT_COUNTERS
from memsim.model.states import STATES

__all__ = [
    "RECLAIMED", "STATES", "host_summary", "sample_weights", "vm_summary", "worst_first",
]  # fmt: skip


def sample_weights(times: pd.Index | np.ndarray, end: float | None = None) -> pd.Series:
    """Seconds each distinct sample time stands for.

    Args:
        times: Sample times in seconds (repeats allowed, as in the per-VM table).
        end: End of the run in seconds, if known.

    Returns:
        Weight per distinct time: the gap to the next sample; for the last one the time left
        until ``end``, or without ``end`` the median gap (0 when there is a single sample).
    """
    unique = np.unique(np.asarray(times, dtype=float))
    gaps = np.diff(unique)
    if end is not None and unique.size:
        last = max(0.0, end - float(unique[-1]))
    else:
        last = float(np.median(gaps)) if gaps.size else 0.0
    return pd.Series(np.append(gaps, last), index=unique)


def _weighted_mean(values: pd.Series, weights: pd.Series) -> float:
    valid = values.notna()
    total = float(weights[valid].sum())
    return float((values[valid] * weights[valid]).sum() / total) if total else float("nan")


#: Per-VM memory taken or saved, by technique: (counter, summary name). Summarised as
#: ``<name>_peak`` and ``<name>_mean`` in MiB.
RECLAIMED = (
    ("vmmemctl", "ballooned"),
    ("compressed", "compressed"),
    ("swapped", "swapped"),
    ("guestSwapped", "guest_swapped"),
    ("sharedSaved", "shared_saved"),
)


def vm_summary(vms: pd.DataFrame, end: float | None = None) -> pd.DataFrame:
    """Per-VM summary of a run: who paid, and how.

    Args:
        vms: Per-VM counters indexed by ``time`` with a ``vm`` column.
        end: End of the run in seconds (see :func:`sample_weights`).

    Returns:
        One row per VM (index ``vm``), with those of these columns whose counters exist:
        ``consumed_peak``/``consumed_mean`` (MiB); ``<technique>_peak``/``<technique>_mean``
        (MiB, :data:`RECLAIMED`: ballooned, compressed, host-swapped, paged out by the guest
        itself, saved by sharing); ``swapped_in`` (MiB read back from swap, the integral of
        ``swapinRate``); ``latency_mean``/``latency_max`` (%, vCenter's ``mem.latency``),
        ``stall_mean``/``stall_max`` (%, all causes) and ``<wait>_mean`` (%, the mean wait of
        each cause, :data:`memsim.model.cost.WAIT_COUNTERS`, summing to ``stall_mean``; those of
        swap-in and decompression to ``latency_mean``); ``throughput_mean`` (0–1).
    """
    if vms.empty or "vm" not in vms:
        return pd.DataFrame(index=pd.Index([], name="vm"))
    frame = vms.copy()
    frame["_w"] = sample_weights(frame.index, end).reindex(frame.index).to_numpy()
    causes = [c for c in WAIT_COUNTERS.values() if c in frame.columns]
    rows = {}
    for name, group in frame.groupby("vm", sort=False):
        w = group["_w"]
        row: dict[str, float] = {}
        for counter, key in (("consumed", "consumed"), *RECLAIMED):
            if counter in group:
                row[f"{key}_peak"] = float(group[counter].max())
                row[f"{key}_mean"] = _weighted_mean(group[counter], w)
        if "swapinRate" in group:
            row["swapped_in"] = float((group["swapinRate"].fillna(0.0) * w).sum())
        for counter in ("latency", "stall"):
            if counter in group:
                row[f"{counter}_mean"] = _weighted_mean(group[counter], w)
                row[f"{counter}_max"] = float(group[counter].max())
        for cause in causes:
            row[f"{cause}_mean"] = _weighted_mean(group[cause], w)
        if "throughput" in group:
            row["throughput_mean"] = _weighted_mean(group["throughput"], w)
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "vm"
    return table


def worst_first(table: pd.DataFrame) -> list[str]:
    """VM names of a :func:`vm_summary`, the VMs that paid most first.

    Ordered by the mean time stalled (all causes; mean latency where no ``stall`` was
    recorded), then by mean memory reclaimed from them (ballooned + compressed + swapped +
    paged out by the guest), then by name.
    """
    taken = [f"{key}_mean" for _, key in RECLAIMED if key != "shared_saved"]
    keys = pd.DataFrame(index=table.index)
    keys["latency"] = table.get("stall_mean", table.get("latency_mean", 0.0))
    keys["taken"] = table[[c for c in taken if c in table]].sum(axis=1)
    keys["name"] = table.index.astype(str)
    ordered = keys.sort_values(["latency", "taken", "name"], ascending=[False, False, True])
    return [str(v) for v in ordered.index]


def sharing_savings(host: pd.DataFrame) -> pd.Series | None:
    """Host memory saved by page sharing, MiB: ``sharedSaved``, or ``shared − sharedcommon``.

    docs/model.md §7: sharedcommon is the machine memory backing shared pages, so the saving is
    shared − sharedcommon. ``None`` when neither form was recorded.
    """
    if "sharedSaved" in host:
        return host["sharedSaved"]
    if {"shared", "sharedcommon"} <= set(host.columns):
        return host["shared"] - host["sharedcommon"]
    return None


def state_timeline(host: pd.DataFrame, events: pd.DataFrame | None = None) -> pd.Series | None:
    """The host's free-memory state over time, exact to the event.

    Recorded samples give the state at each ``record_every``; the event log gives the time of
    every change, so brief dips between samples (a few seconds in ``low``) are kept.
    """
    sampled = host["state"].astype(str) if "state" in host else None
    if events is None or "kind" not in events:
        return sampled
    changes = events[events["kind"] == "state"]
    if changes.empty:
        return sampled
    new = changes["detail"].astype(str).str.split(" -> ").str[-1]
    logged = pd.Series(new.to_numpy(), index=changes["time"].to_numpy(dtype=float))
    merged = pd.concat([logged] if sampled is None else [sampled, logged]).sort_index(kind="stable")
    merged = merged[~merged.index.duplicated(keep="last")]
    merged.index.name = "time"
    return merged


def host_summary(
    host: pd.DataFrame,
    name: str = "host",
    end: float | None = None,
    events: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Host summary of a run, one row indexed by ``name``.

    Args:
        host: Host counters indexed by ``time``.
        name: Row label (the run or scenario name).
        end: End of the run in seconds (see :func:`sample_weights`).
        events: The event log; with it, time in each state counts every change exactly.

    Returns:
        Columns, where the counters exist: ``time_<state>`` (seconds in each free-memory state
        of docs/model.md §1; ``clear`` only when the profile has it or it occurred),
        ``sharing_saved_peak``/``sharing_saved_mean`` (MiB saved by TPS), and the peak memory
        reclaimed by each technique: ``ballooned_peak`` (vmmemctl), ``compressed_peak``,
        ``zip_saved_peak``, ``swapped_peak`` (MiB).
    """
    row: dict[str, float] = {}
    w = sample_weights(host.index, end).reindex(host.index).to_numpy()
    timeline = state_timeline(host, events)
    if timeline is not None:
        states = timeline.to_numpy()
        weights = sample_weights(timeline.index, end).reindex(timeline.index).to_numpy()
        has_clear = "threshold_clear" in host or "clear" in states
        for state in STATES:
            if state != "clear" or has_clear:
                row[f"time_{state}"] = float(weights[states == state].sum())
    savings = sharing_savings(host)
    if savings is not None:
        row["sharing_saved_peak"] = float(savings.max())
        row["sharing_saved_mean"] = _weighted_mean(savings, pd.Series(w, index=savings.index))
    for counter, key in (
        ("vmmemctl", "ballooned_peak"),
        ("compressed", "compressed_peak"),
        ("zipSaved", "zip_saved_peak"),
        ("swapped", "swapped_peak"),
    ):
        if counter in host:
            row[key] = float(host[counter].max())
    return pd.DataFrame([row], index=pd.Index([name], name="run"))
