"""Import of a long, wide esxtop capture: time and peak RSS of ``memsim import esxtop``.

Usage::

    python benchmarks/capture_import.py [--hours 2] [--columns 17427] [--keep DIR]

Writes a synthetic ``esxtop -b`` capture (made here, not captured: the layout of the real
ESXi 6.x captures of ``../shared/data/esxtop/`` — host ``Memory`` counters, 54 ``Group Memory``
groups of 47 counters, six of them VMs and the rest user worlds — padded with CPU columns to
``--columns``, one sample every 5 s), then times the import in a fresh process and prints wall
time, CPU time and peak RSS (from ``resource.getrusage`` of the child).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

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


def write_capture(path: Path, hours: float, columns: int) -> None:
    cells = header(columns)
    rows = int(hours * 3600 / 5)
    rng = np.random.default_rng(0)
    start = datetime(2026, 12, 2, 9, 0, 0)
    with open(path, "w", newline="") as fh:
        fh.write(",".join(f'"{c}"' for c in cells) + "\n")
        memory = {i: 2048.0 for i in range(len(cells))}
        for r in range(rows):
            values = rng.uniform(0, 1000, len(cells) - 1)
            stamp = (start + timedelta(seconds=5 * r)).strftime("%m/%d/%Y %H:%M:%S")
            for i, c in enumerate(cells[1:]):
                if c.endswith("Memory Size MBytes"):
                    values[i] = memory[i]
                elif c.endswith("Kernel State"):
                    values[i] = 1
            fh.write(f'"{stamp}",' + ",".join(f'"{v:.2f}"' for v in values) + "\n")


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
    code = (
        "import sys; from memsim.capture.importer import import_scenario; "
        "import_scenario(sys.argv[1], sys.argv[2])"
    )
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(capture), str(folder / "s.yaml")], check=True)
    wall = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        f"import: wall {wall:.1f} s, CPU {usage.ru_utime + usage.ru_stime:.1f} s, "
        f"peak RSS {usage.ru_maxrss / 1024:,.0f} MiB"
    )


if __name__ == "__main__":
    main()
