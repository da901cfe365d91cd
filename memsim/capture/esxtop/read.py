"""Reading esxtop batch captures tolerantly, memory columns only (see the package docstring)."""

from __future__ import annotations

import csv
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from memsim.capture.esxtop.format import (
    CELL,
    HOST_COUNTERS,
    HOST_READ_ONLY,
    LATENCY_COUNTER,
    SHARE_LEVELS,
    TIME_FORMAT,
    USER_WORLD,
    VM_COUNTERS,
    VM_PERCENTS,
    VM_READ_ONLY,
    EsxtopCapture,
    state_numbers,
)

__all__ = ["read_esxtop"]


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
        match = CELL.match(cell)
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
            if not USER_WORLD.match(name):
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


def read_esxtop(path: Path | str, profile: str | None = None) -> EsxtopCapture:
    """Read the memory counters of an esxtop batch CSV, tolerantly.

    Args:
        path: The capture (``esxtop -b`` output or a memsim export).
        profile: The release whose ``Kernel State`` numbering the file uses
            (:func:`~memsim.capture.esxtop.format.state_numbers`); None = ESXi 6.x.

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

    host = _host_frame(times, column, state_numbers(profile))
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


def _host_frame(times: pd.Index, column: Any, numbers: dict[str, int]) -> pd.DataFrame:
    host = pd.DataFrame(index=times)
    for ours, theirs in {**HOST_READ_ONLY, **HOST_COUNTERS}.items():
        if (data := column("Memory", None, theirs)) is not None:
            host[ours] = data
    if (state := column("Memory", None, "Kernel State")) is not None:
        names = {number: name for name, number in numbers.items()}
        host.insert(0, "state", [names.get(int(s)) if s == s else None for s in state])
    return host


def _vm_frame(times: pd.Index, instance: str, column: Any) -> tuple[pd.DataFrame, Any]:
    """One VM group's counters (memsim names) and its ``Alloc Shares`` column."""
    frame = pd.DataFrame(index=times)
    for ours, theirs in {**VM_COUNTERS, **VM_READ_ONLY}.items():
        if (data := column("Group Memory", instance, theirs)) is not None:
            frame[ours] = data
    for ours, theirs in VM_PERCENTS.items():
        data = column("Group Memory", instance, theirs)
        if data is not None and ours != "active":
            frame[ours] = data  # %, as Results keeps them
        elif data is not None and "memory" in frame:
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
        if USER_WORLD.match(name) and counter in (
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
