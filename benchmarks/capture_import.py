"""Import of a long, wide esxtop capture: time and peak RSS of ``memsim import esxtop``.

Usage::

    python benchmarks/capture_import.py [--hours 2] [--columns 17427] [--keep DIR]

Writes a synthetic ``esxtop -b`` capture (made here, not captured: the layout of the real
ESXi 6.x captures of ``../shared/data/esxtop/`` — host ``Memory`` counters, 54 ``Group Memory``
groups of 47 counters, six of them VMs and the rest user worlds — padded with CPU columns to
``--columns``, one sample every 5 s), then runs in fresh processes, with the venv's ``memsim``:
``memsim import esxtop`` of it, and ``memsim validate`` of the imported scenario with its six VMs
replaying the capture itself (``trace: {file: capture.csv, vm: …}``), which reads the capture
once for all VMs. Prints wall time, CPU time and peak RSS of each (``os.wait4``: that child).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from ruamel.yaml import YAML

HOST = "bench-esx"
HOST_COUNTERS = [
    "Machine MBytes", "Kernel MBytes", "NonKernel MBytes", "Free MBytes", "Kernel Managed MBytes",
    "Kernel MinFree MBytes", "Kernel State", "PShare Shared MBytes", "PShare Savings MBytes",
    "Swap Used MBytes", "Total Compressed MBytes", "Total Saved By Compression MBytes",
    "Memctl Current MBytes", "Memctl Target MBytes",
]  # fmt: skip
VM_COUNTERS = [
    "Alloc Min", "Alloc Max", "Alloc Shares", "Memory Size MBytes", "Memory Granted Size MBytes",
    "Memory Consumed Size MBytes", "Target Size MBytes", "Touched MBytes", "% Active Estimate",
    "Memctl?", "Memctl MBytes", "Memctl Target MBytes", "Swapped MBytes", "Zero MBytes",
    "Shared MBytes", "Shared Saved MBytes", "Overhead MBytes", "Compressed Memory MBytes",
] + [f"Other Counter {i}" for i in range(29)]  # fmt: skip
VMS = ["styx", "portunus", "hermes", "ananke", "ouranos", "poseidon"]


def header(columns: int) -> list[str]:
    cells = ["(PDH-CSV 4.0) (UTC)(0)"] + [f"\\\\{HOST}\\Memory\\{c}" for c in HOST_COUNTERS]
    groups = [f"{1000 + i}:{vm}" for i, vm in enumerate(VMS)]
    groups += [f"{2000 + i}:world{i}.{7000 + i}" for i in range(48)]
    for group in groups:
        cells += [f"\\\\{HOST}\\Group Memory({group})\\{c}" for c in VM_COUNTERS]
    cells += [f"\\\\{HOST}\\Physical Cpu({i})\\% Util Time" for i in range(columns - len(cells))]
    return cells


#: Plausible values (MB, %, flags) of the host's and each VM's memory counters, so the import
#: makes a scenario that validates; a sample moves each by up to 1 % (CPU and other columns are
#: uniform noise).
HOST_BASE = {
    "Machine MBytes": 65536, "Kernel MBytes": 1300, "NonKernel MBytes": 60000,
    "Free MBytes": 4200, "Kernel Managed MBytes": 63000, "Kernel MinFree MBytes": 1024,
    "Kernel State": 0, "PShare Shared MBytes": 3000, "PShare Savings MBytes": 2000,
    "Swap Used MBytes": 300, "Total Compressed MBytes": 40,
    "Total Saved By Compression MBytes": 30, "Memctl Current MBytes": 900,
    "Memctl Target MBytes": 900,
}  # fmt: skip
VM_BASE = {
    "Alloc Min": 0, "Alloc Max": -1, "Alloc Shares": -3,
    "Memory Size MBytes": 8192, "Memory Granted Size MBytes": 6000,
    "Memory Consumed Size MBytes": 5500, "Target Size MBytes": 6500, "Touched MBytes": 900,
    "% Active Estimate": 10, "Memctl?": 1, "Memctl MBytes": 150, "Memctl Target MBytes": 150,
    "Swapped MBytes": 50, "Zero MBytes": 200, "Shared MBytes": 500, "Shared Saved MBytes": 350,
    "Overhead MBytes": 60, "Compressed Memory MBytes": 7,
}  # fmt: skip
#: User worlds (groups 2000+) hold a small fraction of a VM's sizes (48 × 18 MiB granted).
WORLD_SCALE = 0.003
STEADY = {"Kernel State", "Alloc Min", "Alloc Max", "Alloc Shares", "Memory Size MBytes",
          "Machine MBytes", "Memctl?"}  # fmt: skip


def write_capture(path: Path, hours: float, columns: int) -> None:
    cells = header(columns)
    rows = int(hours * 3600 / 5)
    rng = np.random.default_rng(0)
    start = datetime(2026, 12, 2, 9, 0, 0)
    counters = [c.rsplit("\\", 1)[1] for c in cells[1:]]
    bases = [HOST_BASE if "\\Memory\\" in c else VM_BASE for c in cells[1:]]
    known = np.array([c in b for c, b in zip(counters, bases, strict=True)])
    base = np.array([float(b.get(c, 0.0)) for c, b in zip(counters, bases, strict=True)])
    base[np.array(["(20" in c for c in cells[1:]])] *= WORLD_SCALE
    wobble = np.array([0.0 if c in STEADY else 0.01 for c in counters])
    with open(path, "w", newline="") as fh:
        fh.write(",".join(f'"{c}"' for c in cells) + "\n")
        for r in range(rows):
            noise = rng.uniform(-1, 1, len(counters))
            values = np.where(known, base * (1 + wobble * noise), 500 + 500 * noise)
            stamp = (start + timedelta(seconds=5 * r)).strftime("%m/%d/%Y %H:%M:%S")
            fh.write(f'"{stamp}",' + ",".join(f'"{v:.2f}"' for v in values) + "\n")


def measure(label: str, command: list[str]) -> tuple[float, float, float]:
    """Run ``command`` in a child process; print and return its wall time, CPU time and peak
    RSS (MiB, from ``os.wait4``: this child only)."""
    t0 = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"{label}: {' '.join(command)} failed ({status})")
    cpu, rss = usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024
    print(f"{label}: wall {wall:.1f} s, CPU {cpu:.1f} s, peak RSS {rss:,.0f} MiB")
    return wall, cpu, rss


def direct_scenario(imported: Path, capture: Path, target: Path) -> None:
    """The imported scenario with every VM replaying the capture itself
    (``trace: {file: capture.csv, vm: …}``), so validation and the run read the capture."""
    yaml = YAML()
    scenario = yaml.load(imported)
    for vm in scenario["vms"]:
        vm["workload"]["trace"] = {"file": capture.name, "vm": vm["name"]}
    yaml.dump(scenario, target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--columns", type=int, default=17427)
    parser.add_argument("--keep", type=Path, default=None, help="folder to keep the files in")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="memsim-capture-"))
    folder.mkdir(parents=True, exist_ok=True)
    capture = folder / "capture.csv"
    t0 = time.perf_counter()
    write_capture(capture, args.hours, args.columns)
    made = time.perf_counter() - t0
    size = capture.stat().st_size / 2**20
    print(
        f"capture: {args.hours:g} h, {args.columns} columns, {size:,.0f} MiB (made in {made:.0f} s)"
    )
    memsim = str(Path(sys.executable).with_name("memsim"))
    scenario = folder / "s.yaml"
    measure("memsim import esxtop", [memsim, "import", "esxtop", str(capture), "-o",
                                     str(scenario), "--force", "-q"])  # fmt: skip
    direct = folder / "direct.yaml"
    direct_scenario(scenario, capture, direct)
    measure("memsim validate (6 VMs tracing the capture)", [memsim, "validate", str(direct), "-q"])


if __name__ == "__main__":
    main()
