"""Per-step cost versus total guest memory (DESIGN.md §3: work scales with what changes).

Runs the same 8 VMs with the same absolute workload (footprint 1 GiB, active 256 MiB, 5 % of the
working set rewritten per minute, lazy boot) once as 8 × 1.5 GiB on a 16 GiB host and once as
8 × 24 GiB on a 256 GiB host, 10 simulated minutes each, and reports milliseconds of wall time
per simulated step, measured after the first 10 % of the run (power-on, a whole-array pass by
design, is excluded). Usage::

    python benchmarks/scaling.py small|large [--equal-scan]

``--equal-scan`` stretches ``Mem.ShareScanTime`` in proportion to VM size so the TPS scanner
visits the same number of pages per step on both hosts (by default ESXi scans each VM in
``Mem.ShareScanTime`` minutes, so a 16× larger VM is scanned 16× faster: a domain rule, not
overhead). Run each size in its own process so peak RSS is per size.
"""

from __future__ import annotations

import argparse
import resource
import time

TEMPLATE = """
name: bench-scaling-{size}
duration: 10min
seed: 1
step: 1s
record_every: 60s
host:
  memory: {host}
  cpu_ghz: 16
  profile: esxi6
  swap: {{device: ssd}}
  advanced: {{Mem.ShareScanTime: {scan}}}
vms:
  - name: vm
    count: 8
    memory: {vm}
    guest: linux
    workload:
      boot: lazy
      footprint: 1GiB
      active: 256MiB
      writes: 5%
      cache: 30%
      content: {{zero: 5%, shared: 30%, duplicate: 2%}}
      compressible: 50%
"""

SIZES = {"small": ("16GiB", "1536MiB", 1), "large": ("256GiB", "24GiB", 16)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("size", choices=sorted(SIZES))
    ap.add_argument("--equal-scan", action="store_true")
    args = ap.parse_args()
    from memsim import api
    from memsim.scenario import loads

    host, vm, factor = SIZES[args.size]
    scan = 60 * (factor if args.equal_scan else 1)
    scenario = loads(TEMPLATE.format(size=args.size, host=host, vm=vm, scan=scan))
    marks: list[tuple[float, float]] = []

    def progress(now: float, total: float) -> None:
        marks.append((now, time.perf_counter()))

    started = time.perf_counter()
    api.run(scenario, progress=progress)
    wall = time.perf_counter() - started
    (s0, t0), (s1, t1) = marks[9], marks[-1]
    per_step = (t1 - t0) / ((s1 - s0) / scenario.step) * 1000
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.size:5s} host {host:>6s}, 8 x {vm:>7s}, ShareScanTime {scan} min: "
        f"wall {wall:.2f} s, first 10 % (incl. power-on) {marks[9][1] - started:.2f} s, "
        f"{per_step:.3f} ms/step after, peak RSS {rss:.0f} MiB"
    )


if __name__ == "__main__":
    main()
