"""Writing a run as esxtop would log it (see the package docstring)."""

from __future__ import annotations

import csv
import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from memsim.capture.esxtop.format import (
    HOST_COUNTERS,
    HOST_ORDER,
    LATENCY_COUNTER,
    NEXT_ESTIMATE,
    PDH_HEADER,
    SWAP_WAIT_COUNTER,
    TIME_FORMAT,
    VM_COUNTERS,
    VM_ORDER,
    VM_PERCENTS,
    WHOLE,
    state_numbers,
)

if TYPE_CHECKING:
    from memsim.results.results import Results

__all__ = ["esxtop_table", "write_esxtop"]


#: Timestamp of the first sample of an export of a run without ``start:`` (or ``--start``).
EXPORT_START = datetime(2000, 1, 1)
MIB = float(1 << 20)


def _machine_config(results: Results) -> dict[str, dict[str, Any]]:
    return {m["name"]: m for m in results.manifest.get("machines", [])}


def esxtop_table(
    results: Results, host: str = "memsim", start: datetime | None = None
) -> pd.DataFrame:
    """Results as an esxtop batch table: one row per sample, esxtop header names as columns.

    Args:
        results: The run.
        host: Host name used in the counter paths.
        start: Timestamp of simulated time 0; by default the scenario's ``start:``, else
            :data:`EXPORT_START`.

    Returns:
        A DataFrame whose first column is the PDH timestamp and whose values are floats (NaN
        where a VM was not powered on or a counter was not recorded).
    """
    times = np.union1d(results.host.index.to_numpy(float), results.vms.index.to_numpy(float))
    index = pd.Index(times, name="time")
    first = start or results.start or EXPORT_START
    columns: dict[str, Any] = {
        PDH_HEADER: [(first + timedelta(seconds=float(t))).strftime(TIME_FORMAT) for t in times]
    }
    for counter, values in _host_columns(results, index).items():
        columns[f"\\\\{host}\\Memory\\{counter}"] = values
    configs = _machine_config(results)
    groups: dict[str, dict[str, Any]] = {obj: {} for obj in GROUP_OBJECTS}  # esxtop's order
    rank = {name: i for i, name in enumerate(VM_ORDER)}
    for i, name in enumerate(results.vm_names):
        gid, recorded = 1000 + i, results.vm(name)
        vm_columns = _vm_columns(recorded.reindex(index), configs.get(name, {}))
        vm_columns[(PORT, "Link Up?")] = 0.0  # as esxtop writes a VM's (virtual) port
        on = index.isin(recorded.index)  # settings only while the VM is powered on
        for obj, counter in sorted(vm_columns, key=lambda key: rank.get(key[1], len(rank))):
            values = np.where(on, vm_columns[(obj, counter)], np.nan)
            instance = f"vSwitch0:{PORT_BASE + i}:{gid}:{name}" if obj == PORT else f"{gid}:{name}"
            groups[obj][f"\\\\{host}\\{obj}({instance})\\{counter}"] = values
    merged = columns
    for obj in GROUP_OBJECTS:
        merged |= groups[obj]
    return pd.DataFrame(merged, index=index)


#: Per-VM objects in esxtop's order: the ``Group Cpu`` and ``Network Port`` rows are those
#: that tools which discover VMs look for (a group per VM, a port named after it).
PORT = "Network Port"
GROUP_OBJECTS = ("Group Cpu", "Group Memory", PORT)
#: First port id of the VMs' ports (``vSwitch0:<port>:<world>:<vm>``, as on ESXi).
PORT_BASE = 33554440


#: Time constants of esxtop's memory overcommit averages, s.
OVERCOMMIT_AVERAGES = {"1 Minute": 60.0, "5 Minute": 300.0, "15 Minute": 900.0}


def _host_columns(results: Results, index: pd.Index) -> dict[str, np.ndarray]:
    """Host ``Memory`` columns in esxtop's order, derived ones included.

    Kernel MBytes is machine − managed memory, NonKernel managed − free (so Kernel +
    NonKernel + Free = Machine, as on a real host); Memctl Max the sum of the VMs' balloon
    maxima; Memory Overcommit the configured memory of the powered-on VMs over managed memory,
    less 1 (never negative), averaged exponentially over 1, 5 and 15 minutes as esxtop does.
    """
    h = results.host.reindex(index)
    out: dict[str, np.ndarray] = {}
    memory = results.manifest.get("host_memory")
    vms = results.vms
    if "managed" in h and "memory" in vms:
        configured = vms.groupby(level="time")["memory"].sum().reindex(index).fillna(0.0)
        now = np.maximum(configured.to_numpy() / h["managed"].to_numpy() - 1.0, 0.0)
        for name, tau in OVERCOMMIT_AVERAGES.items():
            out[f"Memory Overcommit ({name} Avg)"] = _ewma(index.to_numpy(float), now, tau)
    if memory is not None:
        out["Machine MBytes"] = np.full(len(index), memory / MIB)
        if "managed" in h:
            out["Kernel MBytes"] = memory / MIB - h["managed"].to_numpy()
    if "managed" in h and "free" in h:
        out["NonKernel MBytes"] = (h["managed"] - h["free"]).to_numpy()
    if "state" in h:
        profile = results.manifest.get("scenario", {}).get("host", {}).get("profile")
        out["Kernel State"] = h["state"].map(state_numbers(profile)).astype(float).to_numpy()
    for ours, theirs in HOST_COUNTERS.items():
        if ours in h and theirs not in out:
            out[theirs] = h[ours].to_numpy()
    if "vmmemctlmax" in vms:
        total = vms.groupby(level="time")["vmmemctlmax"].sum().reindex(index)
        out["Memctl Max MBytes"] = total.to_numpy()
    order = {name: i for i, name in enumerate(HOST_ORDER)}
    return dict(sorted(out.items(), key=lambda item: order.get(item[0], len(order))))


def _ewma(times: np.ndarray, values: np.ndarray, tau: float) -> np.ndarray:
    """Exponential moving average of ``values`` sampled at ``times`` (time constant ``tau``)."""
    out = np.empty_like(values)
    level = values[0] if len(values) else 0.0
    last = times[0] if len(times) else 0.0
    for i, (t, v) in enumerate(zip(times, values, strict=True)):  # one pass over the records
        level += (1.0 - math.exp(-(t - last) / tau)) * (v - level)
        out[i], last = level, t
    return out


def _vm_columns(frame: pd.DataFrame, config: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """One VM's esxtop columns, keyed by (object, counter); settings from counters or config."""
    memory = "Group Memory"
    out: dict[tuple[str, str], Any] = {
        (memory, "Alloc Min"): _setting(frame, "reservation", config.get("reservation", 0) / MIB),
        (memory, "Alloc Max"): _setting(frame, "limit", _mib_or_unlimited(config.get("limit"))),
    }
    if config.get("shares") is not None:
        out[(memory, "Alloc Shares")] = float(config["shares"])
    for ours, theirs in VM_COUNTERS.items():
        if ours in frame:
            out[(memory, theirs)] = frame[ours].to_numpy()
    size = frame["memory"] if "memory" in frame else config.get("memory", np.nan) / MIB
    for ours, theirs in (*VM_PERCENTS.items(), NEXT_ESTIMATE):
        if ours in frame:
            pct = 100.0 * frame[ours] / size if ours == "active" else frame[ours]
            out[(memory, theirs)] = np.asarray(pct)
    # the Group Cpu rows VM-discovering tools look for, and the memory stalls
    out[("Group Cpu", "Members")] = float(config.get("vcpus", 1))
    if "latency_swapin" in frame:
        out[("Group Cpu", SWAP_WAIT_COUNTER)] = frame["latency_swapin"].to_numpy()
    if "latency" in frame:
        out[("Group Cpu", LATENCY_COUNTER)] = frame["latency"].to_numpy()
    return out


def _setting(frame: pd.DataFrame, key: str, default: float) -> float:
    """A VM setting in MiB: its latest recorded value, else the configured one."""
    if key not in frame or frame[key].isna().all():
        return default
    return float(frame[key].dropna().iloc[-1])


def _mib_or_unlimited(limit: int | None) -> float:
    """Limit in MiB as esxtop writes it: -1 for unlimited."""
    return -1.0 if limit is None else limit / MIB


def _cell(value: Any, whole: bool) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(int(value)) if whole else f"{float(value):.2f}"


def _whole(column: str) -> bool:
    """Whether esxtop writes the column as a whole number (host MBytes totals, flags, shares)."""
    if "\\" not in column:
        return False
    obj, counter = column.rsplit("\\", 1)
    return counter in WHOLE or (obj.endswith("\\Memory") and counter.endswith("MBytes"))


def write_esxtop(
    results: Results, path: Path | str, host: str = "memsim", start: datetime | None = None
) -> None:
    """Write results as an esxtop batch CSV (every cell quoted, as esxtop does).

    As esxtop writes it: LF line endings, unlimited limits as -1, ``Kernel State`` numbered
    as the profile's release numbers it (:func:`~memsim.capture.esxtop.format.state_numbers`),
    host MBytes totals, flags, shares and the % estimates as whole numbers (truncated), other
    cells with two decimals; a VM that is powered off has empty cells. ``host`` and ``start``
    as :func:`esxtop_table`'s.
    """
    table = esxtop_table(results, host, start)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(table.columns)
        whole = [_whole(c) for c in table.columns]
        for row in table.itertuples(index=False):
            writer.writerow([_cell(v, w) for v, w in zip(row, whole, strict=True)])
