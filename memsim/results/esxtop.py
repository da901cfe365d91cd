"""esxtop batch-mode CSV: export results as esxtop would log them, and import real captures.

``esxtop -b`` writes a PDH-CSV 4.0 file: a header row whose first cell is
``"(PDH-CSV 4.0) (UTC)(0)"`` and whose other cells name counters as
``\\\\host\\Object(instance)\\Counter``, then one row per sample with a ``MM/DD/YYYY HH:MM:SS``
timestamp. Memory lives in the host object ``Memory`` and the per-group object
``Group Memory(<gid>:<name>)`` (esxtop names and their vSphere counterparts: docs/model.md §7).

Exporting lets tools made for esxtop output (perfmon, esxplot, Graphite feeders) read memsim
runs. Importing turns a real capture into per-VM workload traces and a scenario: the importer
tolerates the quirks of real files (trailing commas, unquoted glitchy cells, user-world groups
named ``name.<pid>``, ``-1`` for unlimited, negative share levels).
"""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from ruamel.yaml import YAML

from memsim.results.atomic import atomic_write, atomic_write_text
from memsim.workload.esxtop import (
    HOST_COUNTERS,
    LATENCY_COUNTER,
    PDH_HEADER,
    STATE_NUMBERS,
    TIME_FORMAT,
    VM_COUNTERS,
    VM_PERCENTS,
    EsxtopCapture,
    read_esxtop,
    workload_trace,
)

if TYPE_CHECKING:
    from memsim.results.results import Results

__all__ = [
    "EsxtopCapture",
    "HOST_COUNTERS",
    "STATE_NUMBERS",
    "VM_COUNTERS",
    "esxtop_table",
    "read_esxtop",
    "write_esxtop",
]

#: Timestamp of the first sample of an export; simulated time has no calendar date.
EXPORT_START = datetime(2000, 1, 1)
MIB = float(1 << 20)
#: Folder of the trace CSVs an import writes, beside the scenario file.
TRACE_DIR = "traces"


# ---------------------------------------------------------------------------------- export


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
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(table.columns)
        for row in table.itertuples(index=False):
            writer.writerow([_cell(v) for v in row])


# ---------------------------------------------------------------------------------- import


# ------------------------------------------------------------------------ capture → scenario


def scenario_vm_names(capture: EsxtopCapture) -> dict[str, str]:
    """Capture VM name → scenario VM name, for VMs with a memory size.

    Scenario names allow letters, digits, ``-`` and ``_``; other characters become ``-`` and
    clashes get a numeric suffix.
    """
    names: dict[str, str] = {}
    for vm, setting in capture.settings.items():
        if setting["memory"] is None or not setting["memory"] > 0:
            continue
        base = re.sub(r"[^A-Za-z0-9_-]+", "-", vm).strip("-_") or "vm"
        candidate, n = base, 2
        while candidate in names.values():
            candidate, n = f"{base}-{n}", n + 1
        names[vm] = candidate
    return names


def _mib(value: float) -> str:
    return f"{round(value)}MiB"


def scenario_dict(capture: EsxtopCapture, name: str, trace_dir: str = TRACE_DIR) -> dict[str, Any]:
    """A plain scenario dict (DESIGN.md §4.1) for the host and VMs of a capture.

    Args:
        capture: The capture.
        name: Scenario name.
        trace_dir: Folder of the VM traces, relative to the scenario file; VM ``x`` replays
            ``<trace_dir>/x.csv`` (see :func:`workload_trace`).

    Returns:
        Host memory from ``Machine MBytes`` and VMkernel as machine − managed memory; profile
        ``esxi6`` (the 6.x state numbering the importer assumes); per VM its memory size rounded
        to whole MiB, reservation, limit and shares where not the defaults, and a trace workload.
    """
    last = capture.host.iloc[-1]
    host: dict[str, Any] = {"profile": "esxi6"}
    if pd.notna(last.get("machine")):
        host["memory"] = _mib(last["machine"])
        if pd.notna(last.get("managed")):
            host["vmkernel"] = _mib(last["machine"] - last["managed"])
    vms = []
    for vm, vm_name in scenario_vm_names(capture).items():
        setting = capture.settings[vm]
        entry: dict[str, Any] = {"name": vm_name, "memory": _mib(setting["memory"])}
        if setting["reservation"]:
            entry["reservation"] = _mib(setting["reservation"])
        if setting["limit"] is not None:
            entry["limit"] = _mib(setting["limit"])
        if setting["shares"] not in (None, "normal"):
            entry["shares"] = setting["shares"]
        entry["workload"] = {"trace": f"{trace_dir}/{vm_name}.csv"}
        vms.append(entry)
    samples = len(capture.host)
    source = capture.host_name or "a host"
    return {
        "name": name,
        "description": (
            f"Imported from an esxtop capture of {source} taken {capture.start:%Y-%m-%d %H:%M:%S}"
            f" UTC ({samples} samples every {capture.interval:g} s)."
        ),
        "duration": f"{samples * capture.interval:g}s",
        "record_every": f"{capture.interval:g}s",
        "host": host,
        "vms": vms,
    }


def import_scenario(capture_path: Path | str, scenario_path: Path | str) -> Path:
    """Turn an esxtop capture into a scenario YAML with one trace CSV per VM next to it.

    Traces go to ``traces/<vm>.csv`` beside the scenario file; VMs without a memory size are
    skipped. Files are written atomically.

    Returns:
        The scenario path.
    """
    capture = read_esxtop(capture_path)
    scenario_path = Path(scenario_path)
    for vm, vm_name in scenario_vm_names(capture).items():
        trace = workload_trace(capture, vm)
        target = scenario_path.parent / TRACE_DIR / f"{vm_name}.csv"
        atomic_write(target, partial(trace.to_csv, index=False))
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(capture_path).stem).strip("-_") or "esxtop"
    buffer = io.StringIO()
    buffer.write(f"# memsim scenario imported from {Path(capture_path).name}\n")
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.dump(scenario_dict(capture, stem), buffer)
    atomic_write_text(scenario_path, buffer.getvalue())
    return scenario_path
