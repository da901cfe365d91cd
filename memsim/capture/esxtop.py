"""esxtop batch CSV, both ways: real captures in, runs out as esxtop would log them.

``esxtop -b`` writes a PDH-CSV 4.0 file: a header row whose first cell is
``"(PDH-CSV 4.0) (UTC)(0)"`` and whose other cells name counters as
``\\\\host\\Object(instance)\\Counter``, then one row per sample with a ``MM/DD/YYYY HH:MM:SS``
timestamp. Memory lives in the host object ``Memory`` and the per-group object
``Group Memory(<gid>:<name>)`` (esxtop names and their vSphere counterparts: docs/model.md §7).

The reader tolerates the quirks of real files (trailing commas, unquoted glitchy cells,
user-world groups named ``name.<pid>``, ``-1`` for unlimited, negative share levels) and reads
only the memory columns (pandas ``usecols``), so a capture of hours and 17,000 columns costs
seconds. A VM's recorded active and used memory replay as a workload trace (``trace: {file: …,
vm: …}``). The writer lets tools made for esxtop output (perfmon, esxplot, Graphite feeders)
read memsim runs; reading an export back gives the run's counters (a tested round trip).
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from memsim.scenario.traces import ESXTOP_TIME_FORMAT

if TYPE_CHECKING:
    from memsim.results.results import Results

__all__ = [
    "HOST_COUNTERS",
    "PDH_HEADER",
    "STATE_NUMBERS",
    "TIME_FORMAT",
    "VM_COUNTERS",
    "EsxtopCapture",
    "read_esxtop",
    "esxtop_table",
    "write_esxtop",
]

PDH_HEADER = "(PDH-CSV 4.0) (UTC)(0)"
TIME_FORMAT = ESXTOP_TIME_FORMAT

#: ``Kernel State`` numbers as ESXi 6.x prints them (docs/model.md §1). memsim exports use this
#: numbering for every profile, so a ``classic`` run's soft state is 2.
STATE_NUMBERS = {"high": 0, "clear": 1, "soft": 2, "hard": 3, "low": 4}

#: memsim host counter → esxtop ``Memory`` counter (docs/model.md §7; data/esxtop/README.md).
HOST_COUNTERS = {
    "kernel": "Kernel MBytes",
    "nonkernel": "NonKernel MBytes",
    "free": "Free MBytes",
    "managed": "Kernel Managed MBytes",
    "minFree": "Kernel MinFree MBytes",
    "shared": "PShare Shared MBytes",
    "sharedcommon": "PShare Common MBytes",
    "sharedSaved": "PShare Savings MBytes",
    "swapped": "Swap Used MBytes",
    "swaptarget": "Swap Target MBytes",
    "swapinRate": "Swap MBytes Read/sec",
    "swapoutRate": "Swap MBytes Write/sec",
    "compressed": "Total Compressed MBytes",
    "zipSaved": "Total Saved By Compression MBytes",
    "vmmemctl": "Memctl Current MBytes",
    "vmmemctltarget": "Memctl Target MBytes",
}

#: Host counters read from a capture but not written (memsim has no user worlds).
HOST_READ_ONLY = {"machine": "Machine MBytes"}

#: memsim per-VM counter → esxtop ``Group Memory`` counter. ``cacheSize`` is the host memory
#: held by the VM's compression cache, which is what esxtop's per-VM "Compressed Memory" shows.
VM_COUNTERS = {
    "memory": "Memory Size MBytes",
    "granted": "Memory Granted Size MBytes",
    "consumed": "Memory Consumed Size MBytes",
    "entitlement": "Target Size MBytes",
    "touched": "Touched MBytes",
    "vmmemctl": "Memctl MBytes",
    "vmmemctltarget": "Memctl Target MBytes",
    "vmmemctlmax": "Memctl Max MBytes",
    "swapped": "Swapped MBytes",
    "swaptarget": "Swap Target MBytes",
    "swapinRate": "Swap Read MBytes/sec",
    "swapoutRate": "Swap Written MBytes/sec",
    "zero": "Zero MBytes",
    "shared": "Shared MBytes",
    "sharedSaved": "Shared Saved MBytes",
    "overhead": "Overhead MBytes",
    "cacheSize": "Compressed Memory MBytes",
    "compressionRate": "Compression MBytes/sec",
    "decompressionRate": "Decompression MBytes/sec",
    "tools": "Memctl?",
}

#: Working-set estimates esxtop gives in % of the VM's memory size.
VM_PERCENTS = {
    "active": "% Active Estimate",
    "activeSlow": "% Active Slow Estimate",
    "activeFast": "% Active Fast Estimate",
}

#: Group Cpu counter for memory latency (% of time stalled on swap-in or decompression).
LATENCY_COUNTER = "% Memory Latency"

#: Symbolic ``Alloc Shares`` levels (model choice: ESXi prints every group here as -3, the
#: default, so -3 is read as normal; unknown negative values also fall back to normal).
SHARE_LEVELS = {-2: "low", -3: "normal", -4: "high"}

_CELL = re.compile(
    r"^\\\\(?P<host>[^\\]*)\\(?P<object>[^\\(]+)(?:\((?P<instance>.*)\))?\\(?P<counter>[^\\]+)$"
)
_USER_WORLD = re.compile(r"^.+\.\d+$")


@dataclass(frozen=True)
class EsxtopCapture:
    """An esxtop batch capture read into memsim's counter names (docs/model.md §7).

    Attributes:
        host_name: The host name in the counter paths.
        start: Timestamp of the first sample.
        interval: Seconds between samples (5 s, esxtop's default, for a single sample).
        host: Host counters indexed by ``time`` (s from the first sample); ``state`` from
            ``Kernel State`` (ESXi 6.x numbering), ``machine`` from ``Machine MBytes``.
        vms: Per-VM counters indexed by ``time`` with a ``vm`` column; ``active`` is
            ``% Active Estimate`` × memory size; ``limit`` NaN when unlimited.
        settings: Per VM: ``memory``, ``reservation``, ``limit`` (MiB, None = unlimited) and
            ``shares`` (a number, or ``low``/``normal``/``high``), from the last sample.
        worlds: Host memory the user worlds hold (MiB per sample), when the capture has them.
    """

    host_name: str
    start: datetime
    interval: float
    host: pd.DataFrame
    vms: pd.DataFrame
    settings: dict[str, dict[str, Any]]
    worlds: pd.Series | None = None


def _read_header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        header = next(csv.reader(fh), [])
    if not header or not header[0].startswith("(PDH-CSV"):
        raise ValueError(f"{path}: not an esxtop batch file (no PDH-CSV header)")
    return header


def _parse_header(header: list[str]) -> tuple[str, dict[tuple[str, str | None, str], int]]:
    """Host name, and ``(object, instance, counter)`` → column number of the memory columns
    (``Memory``, ``Group Memory``, and ``Group Cpu`` memory latency); other cells skipped."""
    host = ""
    found: dict[tuple[str, str | None, str], int] = {}
    for i, cell in enumerate(header[1:], start=1):
        match = _CELL.match(cell)
        if match is None:
            continue
        obj, counter = match["object"], match["counter"]
        if obj in ("Memory", "Group Memory") or (obj, counter) == ("Group Cpu", LATENCY_COUNTER):
            host = host or match["host"]
            found[(obj, match["instance"], counter)] = i
    return host, found


def _vm_groups(columns: dict[tuple[str, str | None, str], int]) -> dict[str, str]:
    """Group instance (``gid:name``) → VM name, leaving out user worlds (``name.<pid>``)."""
    groups: dict[str, str] = {}
    for obj, instance, _ in columns:
        if obj == "Group Memory" and instance and ":" in instance:
            name = instance.split(":", 1)[1]
            if not _USER_WORLD.match(name):
                groups[instance] = name
    return groups


def _read_columns(path: Path, wanted: list[int]) -> tuple[list[datetime], dict[int, np.ndarray]]:
    """Timestamps and the ``wanted`` columns as floats (NaN where a cell does not parse).

    Numbers are parsed by pandas' C reader directly; only a file with a glitched cell in a
    memory column is read again as text and converted column by column (slower, tolerant).
    """
    options: dict[str, Any] = {
        "header": None,
        "skiprows": 1,
        "usecols": [0, *wanted],
        "encoding": "utf-8",
        "encoding_errors": "replace",
    }
    try:
        frame = pd.read_csv(path, dtype={0: str} | dict.fromkeys(wanted, float), **options)
        values = {i: frame[i].to_numpy(float) for i in wanted}
    except ValueError:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, **options)
        values = {
            i: pd.to_numeric(frame[i].str.strip(), errors="coerce").to_numpy(float) for i in wanted
        }
    stamps = frame[0].fillna("").str.strip()
    keep = (stamps != "").to_numpy()
    values = {i: column[keep] for i, column in values.items()}
    return [datetime.strptime(cell, TIME_FORMAT) for cell in stamps[keep]], values


def read_esxtop(path: Path | str) -> EsxtopCapture:
    """Read the memory counters of an esxtop batch CSV, tolerantly.

    Args:
        path: The capture (``esxtop -b`` output or a memsim export).

    Returns:
        The capture with memsim counter names. Columns absent from the file are absent from
        the frames; unparsable cells are NaN.

    Raises:
        ValueError: The file has no PDH-CSV header or no samples.
    """
    path = Path(path)
    host_name, columns = _parse_header(_read_header(path))
    stamps, values = _read_columns(path, sorted(columns.values()))
    if not stamps:
        raise ValueError(f"{path}: no samples")
    times = pd.Index([(s - stamps[0]).total_seconds() for s in stamps], name="time")

    def column(obj: str, instance: str | None, counter: str) -> np.ndarray | None:
        i = columns.get((obj, instance, counter))
        return None if i is None else values[i]

    host = _host_frame(times, column)
    frames, settings = [], {}
    for instance, name in _vm_groups(columns).items():
        frame, shares = _vm_frame(times, instance, column)
        frame.insert(0, "vm", name)
        frames.append(frame)
        settings[name] = _settings(frame, shares)
    vms = pd.concat(frames) if frames else pd.DataFrame(index=times[:0], columns=["vm"])
    gaps = np.diff(times.to_numpy(float))
    return EsxtopCapture(
        host_name=host_name,
        start=stamps[0],
        interval=float(np.median(gaps)) if gaps.size else 5.0,
        host=host,
        vms=vms,
        settings=settings,
        worlds=_world_memory(times, columns, column),
    )


def _host_frame(times: pd.Index, column: Any) -> pd.DataFrame:
    host = pd.DataFrame(index=times)
    for ours, theirs in {**HOST_READ_ONLY, **HOST_COUNTERS}.items():
        if (data := column("Memory", None, theirs)) is not None:
            host[ours] = data
    if (state := column("Memory", None, "Kernel State")) is not None:
        names = {number: name for name, number in STATE_NUMBERS.items()}
        host.insert(0, "state", [names.get(int(s)) if s == s else None for s in state])
    return host


def _vm_frame(times: pd.Index, instance: str, column: Any) -> tuple[pd.DataFrame, Any]:
    """One VM group's counters (memsim names) and its ``Alloc Shares`` column."""
    frame = pd.DataFrame(index=times)
    for ours, theirs in VM_COUNTERS.items():
        if (data := column("Group Memory", instance, theirs)) is not None:
            frame[ours] = data
    for ours, theirs in VM_PERCENTS.items():
        data = column("Group Memory", instance, theirs)
        if data is not None and "memory" in frame:
            frame[ours] = data / 100.0 * frame["memory"]
    alloc = {k: column("Group Memory", instance, f"Alloc {k}") for k in ("Min", "Max", "Shares")}
    if alloc["Min"] is not None:
        frame["reservation"] = alloc["Min"]
    if alloc["Max"] is not None:
        frame["limit"] = np.where(alloc["Max"] < 0, np.nan, alloc["Max"])
    if (latency := column("Group Cpu", instance, LATENCY_COUNTER)) is not None:
        frame["latency"] = latency
    return frame, alloc["Shares"]


WORLD_COUNTERS = ("Memory Consumed Size MBytes", "Overhead MBytes")


def _world_memory(times: pd.Index, columns: dict[Any, int], column: Any) -> pd.Series:
    """Host memory of the user worlds (hostd, vpxa, …: consumed + overhead), MiB per sample.

    memsim has no user worlds; an import counts them as kernel memory.
    """
    total = np.zeros(len(times))
    for obj, instance, counter in columns:
        if obj != "Group Memory" or not instance or ":" not in instance:
            continue
        name = instance.split(":", 1)[1]
        if _USER_WORLD.match(name) and counter in (
            "Memory Consumed Size MBytes",
            "Overhead MBytes",
        ):
            total += np.nan_to_num(column(obj, instance, counter))
    return pd.Series(total, index=times, name="worlds")


def _settings(frame: pd.DataFrame, shares: np.ndarray | None) -> dict[str, Any]:
    last = frame.iloc[-1]
    level: int | str | None = None
    if shares is not None and shares[-1] == shares[-1]:
        number = int(shares[-1])
        level = number if number > 0 else SHARE_LEVELS.get(number, "normal")
    limit = last.get("limit")
    return {
        "memory": float(last["memory"]) if "memory" in last else None,
        "reservation": float(last["reservation"]) if "reservation" in last else None,
        "limit": None if limit is None or math.isnan(limit) else float(limit),
        "shares": level,
    }


# ---------------------------------------------------------------------------------- export

#: Timestamp of the first sample of an export; simulated time has no calendar date.
EXPORT_START = datetime(2000, 1, 1)
MIB = float(1 << 20)


def _group(host: str, gid: int, vm: str, obj: str = "Group Memory") -> str:
    return f"\\\\{host}\\{obj}({gid}:{vm})\\"


def _machine_config(results: Results) -> dict[str, dict[str, Any]]:
    return {m["name"]: m for m in results.manifest.get("machines", [])}


def esxtop_table(results: Results, host: str = "memsim") -> pd.DataFrame:
    """Results as an esxtop batch table: one row per sample, esxtop header names as columns.

    Args:
        results: The run.
        host: Host name used in the counter paths.

    Returns:
        A DataFrame whose first column is the PDH timestamp and whose values are floats (NaN
        where a VM was not powered on or a counter was not recorded).
    """
    times = np.union1d(results.host.index.to_numpy(float), results.vms.index.to_numpy(float))
    index = pd.Index(times, name="time")
    columns: dict[str, Any] = {
        PDH_HEADER: [
            (EXPORT_START + timedelta(seconds=float(t))).strftime(TIME_FORMAT) for t in times
        ]
    }
    memory = results.manifest.get("host_memory")
    if memory is not None:
        columns[f"\\\\{host}\\Memory\\Machine MBytes"] = np.full(len(times), memory / MIB)
    if "state" in results.host:
        numbers = results.host["state"].map(STATE_NUMBERS).astype(float)
        columns[f"\\\\{host}\\Memory\\Kernel State"] = numbers.reindex(index).to_numpy()
    for ours, theirs in HOST_COUNTERS.items():
        if ours in results.host:
            columns[f"\\\\{host}\\Memory\\{theirs}"] = results.host[ours].reindex(index).to_numpy()
    configs = _machine_config(results)
    for gid, name in enumerate(results.vm_names, start=1000):
        recorded = results.vm(name)
        vm_columns = _vm_columns(recorded.reindex(index), configs.get(name, {}))
        on = index.isin(recorded.index)  # settings only while the VM is powered on
        for (obj, counter), values in vm_columns.items():
            columns[_group(host, gid, name, obj) + counter] = np.where(on, values, np.nan)
    return pd.DataFrame(columns, index=index)


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
    for ours, theirs in VM_PERCENTS.items():
        if ours in frame:
            out[(memory, theirs)] = (100.0 * frame[ours] / size).to_numpy()
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


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{float(value):.2f}"


def write_esxtop(results: Results, path: Path | str, host: str = "memsim") -> None:
    """Write results as an esxtop batch CSV (every cell quoted, as esxtop does).

    Limits: unlimited is written as -1, as esxtop does; ``Kernel State`` uses the ESXi 6.x
    numbering (:data:`STATE_NUMBERS`); a VM that is powered off has empty cells.
    """
    table = esxtop_table(results, host)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(table.columns)
        for row in table.itertuples(index=False):
            writer.writerow([_cell(v) for v in row])
