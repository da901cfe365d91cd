"""Reading esxtop batch captures: real hosts' memory counters as workload traces.

``esxtop -b`` writes a PDH-CSV 4.0 file: a header row whose first cell is
``"(PDH-CSV 4.0) (UTC)(0)"`` and whose other cells name counters as
``\\\\host\\Object(instance)\\Counter``, then one row per sample with a ``MM/DD/YYYY HH:MM:SS``
timestamp. Memory lives in the host object ``Memory`` and the per-group object
``Group Memory(<gid>:<name>)`` (esxtop names and their vSphere counterparts: docs/model.md §7).

The reader tolerates the quirks of real files (trailing commas, unquoted glitchy cells,
user-world groups named ``name.<pid>``, ``-1`` for unlimited, negative share levels). A VM's
recorded active and used memory replay as a workload trace (``trace: {file: …, vm: …}``).
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from memsim.scenario.traces import ESXTOP_TIME_FORMAT

__all__ = [
    "HOST_COUNTERS",
    "PDH_HEADER",
    "STATE_NUMBERS",
    "TIME_FORMAT",
    "VM_COUNTERS",
    "EsxtopCapture",
    "read_esxtop",
    "workload_trace",
]

PDH_HEADER = "(PDH-CSV 4.0) (UTC)(0)"
TIME_FORMAT = ESXTOP_TIME_FORMAT

#: ``Kernel State`` numbers as ESXi 6.x prints them (docs/model.md §1). memsim exports use this
#: numbering for every profile, so a ``classic`` run's soft state is 2.
STATE_NUMBERS = {"high": 0, "clear": 1, "soft": 2, "hard": 3, "low": 4}

#: memsim host counter → esxtop ``Memory`` counter (docs/model.md §7; data/esxtop/README.md).
HOST_COUNTERS = {
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
}

#: Working-set estimates esxtop gives in % of the VM's memory size.
VM_PERCENTS = {
    "active": "% Active Estimate",
    "activeSlowPct": "% Active Slow Estimate",
    "activeFastPct": "% Active Fast Estimate",
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
    """

    host_name: str
    start: datetime
    interval: float
    host: pd.DataFrame
    vms: pd.DataFrame
    settings: dict[str, dict[str, Any]]


def _number(cell: str) -> float:
    try:
        return float(cell.strip().strip('"'))
    except ValueError:
        return math.nan


def _read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows, every row padded or cut to the header's length."""
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        rows = [row for row in csv.reader(fh) if row]
    if not rows or not rows[0][0].startswith("(PDH-CSV"):
        raise ValueError(f"{path}: not an esxtop batch file (no PDH-CSV header)")
    header = rows[0]
    width = len(header)
    return header, [(row + [""] * width)[:width] for row in rows[1:]]


def _parse_header(header: list[str]) -> tuple[str, dict[tuple[str, str | None, str], int]]:
    """Host name, and ``(object, instance, counter)`` → column number; odd cells skipped."""
    host = ""
    found: dict[tuple[str, str | None, str], int] = {}
    for i, cell in enumerate(header[1:], start=1):
        match = _CELL.match(cell)
        if match:
            host = host or match["host"]
            found[(match["object"], match["instance"], match["counter"])] = i
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


def read_esxtop(path: Path | str) -> EsxtopCapture:
    """Read an esxtop batch CSV tolerantly.

    Args:
        path: The capture (``esxtop -b`` output or a memsim export).

    Returns:
        The capture with memsim counter names. Columns absent from the file are absent from
        the frames; unparsable cells are NaN.

    Raises:
        ValueError: The file has no PDH-CSV header or no samples.
    """
    path = Path(path)
    header, rows = _read_rows(path)
    if not rows:
        raise ValueError(f"{path}: no samples")
    stamps = [datetime.strptime(row[0].strip(), TIME_FORMAT) for row in rows]
    times = pd.Index([(s - stamps[0]).total_seconds() for s in stamps], name="time")
    host_name, columns = _parse_header(header)
    values = np.array([[_number(c) for c in row] for row in rows], dtype=float)

    def column(obj: str, instance: str | None, counter: str) -> np.ndarray | None:
        i = columns.get((obj, instance, counter))
        return None if i is None else values[:, i]

    host = pd.DataFrame(index=times)
    for ours, theirs in {"machine": "Machine MBytes", **HOST_COUNTERS}.items():
        if (data := column("Memory", None, theirs)) is not None:
            host[ours] = data
    if (state := column("Memory", None, "Kernel State")) is not None:
        names = {number: name for name, number in STATE_NUMBERS.items()}
        host.insert(0, "state", [names.get(int(s)) if s == s else None for s in state])
    frames, settings = [], {}
    for instance, name in _vm_groups(columns).items():
        frame = pd.DataFrame(index=times)
        for ours, theirs in VM_COUNTERS.items():
            if (data := column("Group Memory", instance, theirs)) is not None:
                frame[ours] = data
        for ours, theirs in VM_PERCENTS.items():
            data = column("Group Memory", instance, theirs)
            if data is not None and "memory" in frame:
                frame[ours] = data / 100.0 * frame["memory"]
        alloc = {
            k: column("Group Memory", instance, f"Alloc {k}") for k in ("Min", "Max", "Shares")
        }
        if alloc["Min"] is not None:
            frame["reservation"] = alloc["Min"]
        if alloc["Max"] is not None:
            frame["limit"] = np.where(alloc["Max"] < 0, np.nan, alloc["Max"])
        if (latency := column("Group Cpu", instance, LATENCY_COUNTER)) is not None:
            frame["latency"] = latency
        frame.insert(0, "vm", name)
        frames.append(frame)
        settings[name] = _settings(frame, alloc["Shares"])
    vms = pd.concat(frames) if frames else pd.DataFrame(index=times[:0], columns=["vm"])
    gaps = np.diff(times.to_numpy(float))
    return EsxtopCapture(
        host_name=host_name,
        start=stamps[0],
        interval=float(np.median(gaps)) if gaps.size else 5.0,
        host=host,
        vms=vms,
        settings=settings,
    )


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


def workload_trace(capture: EsxtopCapture, vm: str) -> pd.DataFrame:
    """A VM's workload trace: columns ``time`` (s), ``active`` and ``footprint`` (MiB).

    ``active`` is esxtop's active estimate (``% Active Estimate`` × memory size), else the
    touched memory. ``footprint`` approximates the memory the guest uses: granted plus swapped
    (what the guest holds, whether or not the host keeps it in RAM), else consumed; capped at
    the memory size. ``active`` is capped at ``footprint``.
    """
    frame = capture.vms[capture.vms["vm"] == vm]
    if frame.empty:
        raise KeyError(f"no VM named {vm!r} in the capture")
    footprint = _first(frame, "granted", "consumed")
    if footprint is None:
        raise ValueError(f"VM {vm!r} has neither granted nor consumed memory in the capture")
    if "swapped" in frame and "granted" in frame:
        footprint = footprint + frame["swapped"].fillna(0.0)
    if "memory" in frame:
        footprint = footprint.clip(upper=frame["memory"])
    active = _first(frame, "active", "touched")
    active = footprint if active is None else active.clip(upper=footprint)
    return pd.DataFrame(
        {
            "time": frame.index.to_numpy(float),
            "active": active.to_numpy(),
            "footprint": footprint.to_numpy(),
        }
    )


def _first(frame: pd.DataFrame, *names: str) -> pd.Series | None:
    return next((frame[n] for n in names if n in frame and frame[n].notna().any()), None)
