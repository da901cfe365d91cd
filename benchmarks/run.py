"""Run one memsim benchmark scenario and print its speed.

Usage::

    python benchmarks/run.py s|m|l|PATH [--duration 2h] [--set KEY=VALUE ...] [--profile OUT.prof]

Prints wall time, peak RSS (``resource.getrusage(RUSAGE_SELF).ru_maxrss``), simulated seconds per
wall second and milliseconds of wall time per simulated step, plus the final host state mix so a
reader can see which techniques were busy. ``--duration`` shortens (or lengthens) the simulated
time; ``--set`` applies scenario overrides (``memsim.api.run(..., overrides=...)``). The
benchmarks are not part of the default test run (DESIGN.md §5).
"""

from __future__ import annotations

import argparse
import cProfile
import platform
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def parse_value(text: str) -> object:
    """Best-effort scalar parsing for ``--set``: int, float, else the string (units parse later)."""
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("scenario", help="s, m, l, or the path of a scenario file")
    ap.add_argument("--duration", help="override the simulated duration (e.g. 2h)")
    ap.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="scenario override"
    )
    ap.add_argument("--profile", metavar="OUT", help="run under cProfile and write stats to OUT")
    ap.add_argument("--quiet", action="store_true", help="no progress line")
    ap.add_argument(
        "--watch",
        action="store_true",
        help="diagnostic: build memsim.engine.simulation.Simulation directly (what api.run does) "
        "and add the TPS table size, host state and page-state totals to each progress line",
    )
    args = ap.parse_args(argv)

    t_import = time.perf_counter()
    from memsim import api
    from memsim.units import parse_duration

    path = Path(args.scenario)
    if not path.exists():
        path = HERE / f"{args.scenario}.yaml"
    scenario = api.load(path)
    overrides: dict[str, object] = {}
    for item in args.set:
        key, _, value = item.partition("=")
        overrides[key] = parse_value(value)
    if overrides:
        from memsim.scenario import apply_overrides

        scenario = apply_overrides(scenario, overrides)
    if args.duration:
        # cut the run short without re-validating: phases and events after the new end would be
        # validation errors, but the engine simply never reaches them
        scenario = scenario.model_copy(update={"duration": parse_duration(args.duration)})
    import_s = time.perf_counter() - t_import

    duration = scenario.duration
    step = scenario.step
    n_vms = len(scenario.machines())
    guest_gib = sum(vm.memory for vm in scenario.machines()) / 2**30
    print(f"scenario     {scenario.name} ({path.name})")
    print(
        f"vms          {n_vms}, {guest_gib:.1f} GiB configured"
        f" on a {scenario.host.memory / 2**30:.2f} GiB host"
    )
    print(
        f"simulated    {duration:.0f} s, step {step:g} s, record_every {scenario.record_every:g} s"
    )
    print(f"python       {platform.python_version()}  (import+load {import_s:.2f} s, not counted)")
    sys.stdout.flush()

    started = time.perf_counter()
    last = [started]

    sim_ref: list[object] = []

    def progress(now: float, total: float) -> None:
        if args.quiet:
            return
        t = time.perf_counter()
        if t - last[0] >= 5.0 or now >= total:
            last[0] = t
            rate = now / max(t - started, 1e-9)
            extra = ""
            if sim_ref:
                sim = sim_ref[0]
                table = sim.host.sharing.table  # type: ignore[attr-defined]
                c = sim.host.gm.counts.sum(axis=0) * 4096 / 2**30  # type: ignore[attr-defined]
                extra = (
                    f"  {sim.host.state.name.lower():5s} table {table.live / 1e6:6.3f}M live"  # type: ignore[attr-defined]
                    f" {table.frames / 1e6:5.2f}M frames cap {table.capacity / 1e6:6.1f}M"
                    f"  GiB priv {c[1]:.0f} shr {c[2]:.0f} bal {c[3] + c[4]:.0f}"
                    f" zip {c[5]:.0f} swp {c[6] + c[7]:.0f}"
                    f"  maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB"
                )
            print(
                f"  {now / total:4.0%}  sim {now:8.0f} s  wall {t - started:7.1f} s"
                f"  {rate:8.0f} sim-s/s{extra}",
                flush=True,
            )

    if args.watch:
        from memsim.engine.simulation import Simulation

        sim = Simulation(scenario, progress=progress)
        sim_ref.append(sim)
        results = sim.run()
    elif args.profile:
        prof = cProfile.Profile()
        results = prof.runcall(api.run, scenario, progress=progress)
        prof.dump_stats(args.profile)
    else:
        results = api.run(scenario, progress=progress)
    wall = time.perf_counter() - started

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    steps = duration / step
    print(f"wall time    {wall:.2f} s")
    print(f"peak RSS     {rss / 2**20:.2f} GiB ({rss / 1024:.0f} MiB)")
    print(f"speed        {duration / wall:.0f} sim-s per wall-s")
    print(f"per step     {wall / steps * 1000:.3f} ms per simulated step ({steps:.0f} steps)")
    host = results.host
    if "state" in host.columns:
        mix = host["state"].value_counts(normalize=True).round(3).to_dict()
        print(f"host states  {mix}")
    vms = results.vms
    busy = {
        col: round(float(vms.groupby(level=0)[col].sum().max()), 1)
        for col in ("shared", "zero", "vmmemctl", "compressed", "swapped")
        if col in vms.columns
    }
    print(f"peak totals  MiB over all VMs: {busy}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
