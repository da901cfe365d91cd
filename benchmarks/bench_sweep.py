"""Benchmark the sweep machinery: 64 short runs, serial versus ``--workers 2``.

Usage::

    python benchmarks/bench_sweep.py [--workers 2] [--no-write]

Runs ``memsim sweep benchmarks/sweep.yaml`` twice as a user would (a subprocess each, into a
temporary folder): serially, then on a local dask cluster. For each it reports the command's
wall time, the sum of the runs' own wall times (``wall_time`` in ``sweep.parquet``: simulate
and save one run) and what is left, the overhead of the sweep machinery (start-up, grid
validation, table writes, report, and for dask the cluster's start and stop). The figures go
into the "Sweeps" section of ``BENCHMARKS.md`` (other sections are kept) unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "sweep.yaml"
BENCHMARKS = HERE.parent / "BENCHMARKS.md"
MEMSIM = Path(sys.executable).with_name("memsim")


def measure(extra: list[str]) -> dict[str, float | str]:
    """Run one sweep command; return its wall time and what the run table says."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [str(MEMSIM), "sweep", str(SCENARIO), "-o", f"{tmp}/out", "-q", *extra]
        load = os.getloadavg()[0]
        start = time.perf_counter()
        subprocess.run(command, check=True)
        wall = time.perf_counter() - start
        table = pd.read_parquet(f"{tmp}/out/sweep.parquet")
    shown = " ".join(["memsim sweep benchmarks/sweep.yaml -o OUT", *extra])
    return {
        "command": shown,
        "runs": len(table),
        "failed": int((table["status"] != "ok").sum()),
        "wall": wall,
        "run_sum": float(table["wall_time"].sum()),
        "run_mean": float(table["wall_time"].mean()),
        "load": load,
    }


def section(results: list[dict[str, float | str]], workers: int) -> str:
    """The "Sweeps" section of BENCHMARKS.md."""
    lines = [
        "## Sweeps",
        "",
        f"`python benchmarks/bench_sweep.py` ({time.strftime('%Y-%m-%d')}): "
        f"{results[0]['runs']} runs of `benchmarks/sweep.yaml` (4 web-VM counts × 4 idle-tax "
        "settings × 4 seeds; 1 GiB host, 5 simulated minutes, step 1 s, record every 30 s).",
        f"Machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, {platform.system()}.",
        "",
        "| command | wall (s) | Σ run wall (s) | mean run (s) | overhead (s) | speed-up | "
        "load avg |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    serial_wall = float(results[0]["wall"])
    for r in results:
        parallel = 1 if r is results[0] else workers
        wall, run_sum = float(r["wall"]), float(r["run_sum"])
        overhead = wall - run_sum / parallel
        lines.append(
            f"| `{r['command']}` | {wall:.1f} | {run_sum:.1f} | {float(r['run_mean']):.2f} | "
            f"{overhead:.1f} | {serial_wall / wall:.2f}× | {float(r['load']):.1f} |"
        )
    lines += [
        "",
        "Overhead = wall − Σ run wall / workers: process start-up, grid validation (every grid "
        "point is checked up front), the table rewritten after each run, the report, and with "
        "`--workers` the local cluster's start and stop. Runs on workers take longer each than "
        "serial runs when the cores are shared with the scheduler, the client and other work "
        "(see the load average at the start).",
        "",
    ]
    return "\n".join(lines)


def write_section(text: str) -> None:
    """Replace (or add) the "## Sweeps" section of BENCHMARKS.md, keeping the others."""
    old = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else "# Benchmarks\n"
    pattern = re.compile(r"^## Sweeps\n.*?(?=^## |\Z)", re.M | re.S)
    new = (
        pattern.sub(lambda _: text + "\n", old)
        if pattern.search(old)
        else old.rstrip() + "\n\n" + text
    )
    BENCHMARKS.write_text(new.rstrip() + "\n", encoding="utf-8")


def main() -> None:
    """Parse arguments, run both sweeps, print and record the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-write", action="store_true", help="Print only.")
    args = parser.parse_args()
    results = [measure([]), measure(["--workers", str(args.workers)])]
    text = section(results, args.workers)
    print(text)
    if not args.no_write:
        write_section(text)


if __name__ == "__main__":
    main()
