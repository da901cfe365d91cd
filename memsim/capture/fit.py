"""A scenario fitted to an esxtop capture: host, VMs, workload traces and a warm start.

What an import takes, estimates and leaves out is listed by :func:`provenance`, which the
importer writes as the scenario's header comment (docs/model.md "Warm start"):

* **taken** as captured: machine memory, each VM's memory size, reservation, limit, shares,
  Tools (``Memctl?``), overhead, and its state in the first sample (granted, consumed,
  touched, active, balloon size and target, swapped, compression cache, shared, zero); the
  host's kernel memory (``Kernel MBytes``), state and free memory; the active and footprint
  trace of every sample;
* **estimated**: the user worlds' memory (hostd, vpxa, …) is counted as kernel memory, since
  memsim has no user worlds; the content mix from the shared and zero ratios (with the
  profile's per-VM salting, shared pages are duplicates within the VM); the guest family from
  the VM name; compressed guest memory as two pages per page of compression cache;
* **left out**: CPU, network and disk counters, NUMA placement, checkpoint and commit
  counters, the user worlds themselves.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from memsim.capture.esxtop import EsxtopCapture
from memsim.model.warm import PAGES_PER_CACHE_PAGE

__all__ = [
    "TRACE_DIR",
    "provenance",
    "safe_names",
    "scenario_dict",
    "scenario_vm_names",
    "workload_trace",
]

#: Folder of the trace CSVs an import writes, beside the scenario file.
TRACE_DIR = "traces"

#: VM-name patterns that tell the guest family (model choice; the capture does not say).
GUEST_NAMES = (
    (re.compile(r"win|w2k|sql|exch|ad\d|dc\d", re.I), "windows"),
    (re.compile(r"ubuntu|debian|centos|rhel|suse|linux|lnx|alpine|fedora", re.I), "linux"),
)
DEFAULT_GUEST = "linux"

START_KEYS = {  # start_from key → capture column (first sample)
    "granted": "granted",
    "consumed": "consumed",
    "touched": "touched",
    "active": "active",
    "balloon": "vmmemctl",
    "balloon_target": "vmmemctltarget",
    "swapped": "swapped",
    "compressed": "cacheSize",
    "shared": "shared",
    "zero": "zero",
}


def workload_trace(capture: EsxtopCapture, vm: str) -> pd.DataFrame:
    """A VM's workload trace: columns ``time`` (s), ``active`` and ``footprint`` (MiB).

    ``active`` is esxtop's active estimate (``% Active Estimate`` × memory size), else the
    touched memory. ``footprint`` approximates the memory the guest uses: granted plus swapped
    plus compressed (what the guest holds, whether or not the host keeps it in RAM; compressed
    as :data:`~memsim.model.warm.PAGES_PER_CACHE_PAGE` pages per cache page), else consumed;
    capped at the memory size less the balloon. ``active`` is capped at ``footprint``.
    """
    frame = capture.vms[capture.vms["vm"] == vm]
    if frame.empty:
        raise KeyError(f"no VM named {vm!r} in the capture")
    footprint = _first(frame, "granted", "consumed")
    if footprint is None:
        raise ValueError(f"VM {vm!r} has neither granted nor consumed memory in the capture")
    if "granted" in frame:
        for column, weight in (("swapped", 1.0), ("cacheSize", PAGES_PER_CACHE_PAGE)):
            if column in frame:
                footprint = footprint + weight * frame[column].fillna(0.0)
    if "memory" in frame:
        balloon = frame["vmmemctl"].fillna(0.0) if "vmmemctl" in frame else 0.0
        footprint = footprint.clip(upper=frame["memory"] - balloon)
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


def scenario_vm_names(capture: EsxtopCapture) -> dict[str, str]:
    """Capture VM name → scenario VM name, for VMs with a memory size.

    Scenario names allow letters, digits, ``-`` and ``_``; other characters become ``-`` and
    clashes get a numeric suffix.
    """
    sized = [
        vm for vm, s in capture.settings.items() if s["memory"] is not None and s["memory"] > 0
    ]
    return safe_names(sized)


def safe_names(vms: list[str]) -> dict[str, str]:
    """Scenario names for vSphere VM names (see :func:`scenario_vm_names`)."""
    names: dict[str, str] = {}
    for vm in vms:
        base = re.sub(r"[^A-Za-z0-9_-]+", "-", vm).strip("-_") or "vm"
        candidate, n = base, 2
        while candidate in names.values():
            candidate, n = f"{base}-{n}", n + 1
        names[vm] = candidate
    return names


def guest_family(name: str) -> str | None:
    """The guest family a VM name tells, or None."""
    return next((family for pattern, family in GUEST_NAMES if pattern.search(name)), None)


def _mib(value: float) -> str:
    return f"{round(value)}MiB"


def _mib2(value: float) -> str:
    return f"{value:.2f}MiB"


def _first_sample(capture: EsxtopCapture, vm: str) -> pd.Series:
    return capture.vms[capture.vms["vm"] == vm].iloc[0]


def _vm_entry(capture: EsxtopCapture, vm: str, vm_name: str, trace_dir: str) -> dict[str, Any]:
    """A scenario VM: settings as captured, workload fitted from the first sample."""
    setting, first = capture.settings[vm], _first_sample(capture, vm)
    entry: dict[str, Any] = {"name": vm_name, "memory": _mib(setting["memory"])}
    if setting["reservation"]:
        entry["reservation"] = _mib(setting["reservation"])
    if setting["limit"] is not None:
        entry["limit"] = _mib(setting["limit"])
    if setting["shares"] not in (None, "normal"):
        entry["shares"] = setting["shares"]
    if pd.notna(first.get("overhead")):
        entry["overhead"] = _mib2(first["overhead"])
    if pd.notna(first.get("tools")) and not first["tools"]:
        entry["tools"] = False
    entry["guest"] = setting.get("guest") or guest_family(vm) or DEFAULT_GUEST
    trace = workload_trace(capture, vm)
    footprint = float(trace["footprint"].iloc[0])
    workload: dict[str, Any] = {
        "footprint": _mib2(footprint),
        "active": _mib2(float(trace["active"].iloc[0])),
    }
    if footprint > 0 and pd.notna(first.get("shared")) and pd.notna(first.get("zero")):
        zero = min(float(first["zero"]) / footprint, 1.0)
        duplicate = min(max(float(first["shared"] - first["zero"]) / footprint, 0.0), 1.0 - zero)
        workload["content"] = {
            "zero": round(zero, 4),
            "shared": 0,
            "duplicate": round(duplicate, 4),
        }
    workload["trace"] = f"{trace_dir}/{vm_name}.csv"
    entry["workload"] = workload
    return entry


#: start_from sizes that cannot exceed what the VM holds (granted + swapped + compressed).
HELD_BOUNDED = ("touched", "active", "consumed")


def _vm_start(capture: EsxtopCapture, vm: str) -> dict[str, Any]:
    """The VM's first sample as ``start_from`` sizes (MiB, two decimals). Touched, active and
    consumed are capped just below granted + swapped + compressed, which bounds them on a
    host: a glitched or skewed sample (esxtop reads counters at slightly different instants)
    would otherwise make a scenario that does not validate."""
    first = _first_sample(capture, vm)
    values = {}
    for key, column in START_KEYS.items():
        if column in first and pd.notna(first[column]):
            values[key] = round(max(float(first[column]), 0.0), 2)
    held = sum(values.get(k, 0.0) for k in ("granted", "swapped", "compressed"))
    for key in HELD_BOUNDED:
        if values.get(key, 0.0) > held:
            values[key] = max(math.floor(held * 100) / 100 - 0.01, 0.0)
    return {key: _mib2(value) for key, value in values.items()}


def _host(capture: EsxtopCapture) -> tuple[dict[str, Any], dict[str, Any]]:
    """Host settings and its ``start_from.host`` block, from the first sample."""
    first = capture.host.iloc[0]
    host: dict[str, Any] = {"profile": "esxi6"}
    if pd.notna(first.get("machine")):
        host["memory"] = _mib(first["machine"])
        if pd.notna(first.get("kernel")):
            worlds = 0.0 if capture.worlds is None else float(capture.worlds.iloc[0])
            host["vmkernel"] = _mib(first["kernel"] + worlds)
        elif pd.notna(first.get("managed")):
            host["vmkernel"] = _mib(first["machine"] - first["managed"])
    start: dict[str, Any] = {}
    if isinstance(first.get("state"), str):
        start["state"] = first["state"]
    if pd.notna(first.get("free")):
        start["free"] = _mib(first["free"])
    return host, start


def scenario_dict(
    capture: EsxtopCapture, name: str, trace_dir: str = TRACE_DIR, kind: str = "esxtop capture"
) -> dict[str, Any]:
    """A plain scenario dict (DESIGN.md §4.1) that starts where the capture's first sample
    was (``start_from``) and replays every VM's trace over the capture's length.

    Args:
        capture: The capture.
        name: Scenario name.
        trace_dir: Folder of the VM traces, relative to the scenario file; VM ``x`` replays
            ``<trace_dir>/x.csv`` (see :func:`workload_trace`).
        kind: What the capture is, for the description (``vCenter export`` …).
    """
    host, host_start = _host(capture)
    names = scenario_vm_names(capture)
    vms = [_vm_entry(capture, vm, vm_name, trace_dir) for vm, vm_name in names.items()]
    start_vms = {vm_name: _vm_start(capture, vm) for vm, vm_name in names.items()}
    times = capture.host.index.to_numpy(float)
    length = float(times[-1] - times[0]) if len(times) > 1 else capture.interval
    source = capture.host_name or "a host"
    stamp = f"{capture.start:%Y-%m-%d %H:%M:%S}"
    return {
        "name": name,
        "description": (
            f"Imported from the {kind} of {source} taken {stamp} UTC "
            f"({len(times)} samples every {capture.interval:g} s), warm-started from its first"
            " sample."
        ),
        "duration": f"{length:g}s",
        "record_every": f"{min(capture.interval, length):g}s",
        "host": host,
        "vms": vms,
        "start_from": {
            "source": f"{kind} of {source}, first sample {stamp} UTC",
            "host": host_start,
            "vms": start_vms,
        },
    }


def provenance(capture: EsxtopCapture, source: str) -> str:
    """The header comment of an imported scenario: what was taken, estimated, left out."""
    worlds = 0.0 if capture.worlds is None else float(capture.worlds.iloc[0])
    families = {vm: guest_family(vm) for vm in scenario_vm_names(capture)}
    guessed = sorted(vm for vm, family in families.items() if family is None)
    lines = [
        f"memsim scenario imported from {source} (memsim import esxtop)",
        "Taken as captured: machine memory, Kernel MBytes, the host state and free memory;",
        "  per VM memory size, reservation, limit, shares, Tools (Memctl?), overhead, and its",
        "  first sample (granted, consumed, touched, active, balloon size/target, swapped,",
        "  compression cache, shared, zero) as start_from; active/footprint traces of all samples.",
        f"Estimated: user worlds' memory ({worlds:.0f} MiB) counted as host.vmkernel;",
        "  content mix from shared/zero ratios (per-VM salting: shared = duplicates in the VM);",
        "  compressed guest memory as 2 pages per page of compression cache;",
        f"  guest family from the VM name (not told for {', '.join(guessed) or 'none'}:"
        f" {DEFAULT_GUEST}).",
        "Left out: CPU, network, disk, NUMA, checkpoint and commit counters; user worlds as such.",
    ]
    return "".join(f"# {line}\n" for line in lines)


def overcommit(capture: EsxtopCapture) -> float:
    """Σ configured VM memory / machine memory (NaN without Machine MBytes)."""
    total = sum(float(s["memory"] or 0.0) for s in capture.settings.values())
    machine = capture.host["machine"].iloc[0] if "machine" in capture.host else np.nan
    return float(total / machine) if machine else float("nan")
