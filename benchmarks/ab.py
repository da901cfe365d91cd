"""A/B benchmark: the working tree against a git revision, on one benchmark scenario.

Usage::

    python benchmarks/ab.py REF [--bench s|m|l|l_pressure|PATH] [--duration D] [-n N]
                                [--seed S ...] [--except COUNTER ...]

REF (any git revision) is checked out in a git worktree under ``/tmp/memsim-ab/`` (reused when
present) and imported from there; the working tree is imported from this checkout. Both run the
same scenario file (the working tree's), N times each, *interleaved* (A B, B A, A B, …) and each
in a fresh process, so machine load drifts hit both alike. Each side compiles its numba kernels
into a cache of its own that starts cold, so the first pair pays the compile on both sides.
``--duration`` cuts the run to the window ``[0, D]`` of simulated time (e.g. ``--bench l
--duration 30min``).

Printed: per side the median CPU time (user + system of the run, not import and load), wall time
and peak RSS; the median of the per-pair ratios B/A (working tree over REF) for CPU and wall with
their spread (min–max over pairs); the load average seen around the runs; and, per seed, the
**results fingerprint**: ``identical`` when every recorded counter of every VM and of the host is
bit-for-bit equal, else the first simulated time at which any recorded counter differs (and
which counters). ``--except COUNTER`` leaves a counter a change is meant to alter out of the
fingerprint and reports its own first difference after it.

Both sides run in this interpreter's environment, so REF must need no dependency the working
tree lacks.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORKTREES = Path(tempfile.gettempdir()) / "memsim-ab"


# -- results fingerprint ------------------------------------------------------------------------
@dataclass(frozen=True)
class Difference:
    """First simulated time at which two runs' recorded counters differ."""

    time: float
    counters: tuple[str, ...]  #: frame-qualified names, e.g. ``host.shared``, ``vms.swapped``


def _column_differs(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Per row: the two values are not the same (NaN equals NaN; no tolerance)."""
    left, right = a.to_numpy(), b.to_numpy()
    if left.dtype.kind in "fc" and right.dtype.kind in "fc":
        return ~((left == right) | (np.isnan(left) & np.isnan(right)))
    return ~(
        pd.Series(left).fillna("\0na").astype(str) == pd.Series(right).fillna("\0na").astype(str)
    ).to_numpy()


def first_difference(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> Difference | None:
    """Compare two runs' frames (``{"host": ..., "vms": ...}``, indexed by simulated time).

    Rows are matched by time and, within a time, by position (one row per VM, in scenario
    order). A time recorded by one run only, or a column present in one run only, differs at
    the first time of that frame.

    Returns:
        ``None`` when every counter is identical, else the earliest difference.
    """
    found: list[tuple[float, str]] = []
    for name in sorted(set(a) | set(b)):
        if name not in a or name not in b:
            frame = a.get(name, b.get(name))
            t0 = float(frame.index.min()) if frame is not None and len(frame) else 0.0
            found.append((t0, f"{name}.*"))
            continue
        fa, fb = a[name], b[name]
        t_a = fa.index.to_numpy(dtype=float)
        t_b = fb.index.to_numpy(dtype=float)
        n = min(len(t_a), len(t_b))
        if len(t_a) != len(t_b) or not np.array_equal(t_a[:n], t_b[:n]):
            mismatch = np.flatnonzero(t_a[:n] != t_b[:n])
            i = int(mismatch[0]) if len(mismatch) else n
            candidates = [t[i] for t in (t_a, t_b) if i < len(t)]
            found.append((float(min(candidates)), f"{name}.time"))
            t_a, fa, fb = t_a[:i], fa.iloc[:i], fb.iloc[:i]
        for col in sorted(set(fa.columns) | set(fb.columns)):
            if col not in fa.columns or col not in fb.columns:
                if len(t_a):
                    found.append((float(t_a[0]), f"{name}.{col}"))
                continue
            rows = np.flatnonzero(_column_differs(fa[col], fb[col]))
            if len(rows):
                found.append((float(t_a[rows[0]]), f"{name}.{col}"))
    if not found:
        return None
    first = min(t for t, _ in found)
    return Difference(first, tuple(sorted(c for t, c in found if t == first)))


def describe(diff: Difference | None) -> str:
    """``identical``, or the first differing time and counters."""
    if diff is None:
        return "identical"
    shown = ", ".join(diff.counters[:6]) + (" …" if len(diff.counters) > 6 else "")
    return f"differs from t = {diff.time:g} s ({shown})"


def fingerprint(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame], excepted: list[str]) -> str:
    """:func:`describe` of the runs' first difference, leaving out the counters ``excepted``
    (a change meant to alter them, e.g. ``cowHint``); their own first difference follows."""

    def part(frames: dict[str, pd.DataFrame], keep: bool) -> dict[str, pd.DataFrame]:
        return {
            name: frame[[c for c in frame.columns if (c in excepted) == keep]]
            for name, frame in frames.items()
        }

    text = describe(first_difference(part(a, False), part(b, False)))
    if not excepted:
        return text
    return f"{text} except {', '.join(excepted)}, which " + (
        describe(first_difference(part(a, True), part(b, True)))
    ).replace("identical", "are identical")


# -- one run, in a fresh process -----------------------------------------------------------------
def worker(code: str, scenario: str, duration: str | None, seed: int | None, out: str) -> None:
    """Run ``scenario`` with the memsim found under ``code``; pickle frames and measures."""
    sys.path.insert(0, code)
    import resource
    import time

    from memsim import api
    from memsim.units import parse_duration

    loaded = api.load(Path(scenario))
    update: dict[str, object] = {}
    if duration:
        update["duration"] = parse_duration(duration)
    if seed is not None:
        update["seed"] = seed
    loaded = loaded.model_copy(update=update)
    import memsim

    assert Path(memsim.__file__).resolve().is_relative_to(Path(code).resolve()), memsim.__file__
    cpu0, wall0 = time.process_time(), time.perf_counter()
    results = api.run(loaded)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    with open(out, "wb") as fh:
        frames = {"host": results.host, "vms": results.vms}
        pickle.dump({"cpu": cpu, "wall": wall, "rss": rss, "frames": frames}, fh)


def _run(
    side: str, code: Path, args: argparse.Namespace, seed: int | None, tmp: Path
) -> dict[str, object]:
    out = tmp / f"run-{os.getpid()}-{len(list(tmp.iterdir()))}.pkl"
    cmd = [sys.executable, str(Path(__file__).resolve()), args.scenario_path]
    cmd += ["--worker", str(code), "--out", str(out)]
    if args.duration:
        cmd += ["--duration", args.duration]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # each side compiles its kernels into a cache of its own, cold at the start of the
    # comparison: a checkout whose cache is already warm would not pay the compile (≈ 6 s)
    env["NUMBA_CACHE_DIR"] = str(tmp / f"numba-{side}")
    subprocess.run(cmd, check=True, cwd=tmp, env=env)
    with open(out, "rb") as fh:
        data: dict[str, object] = pickle.load(fh)
    out.unlink()
    return data


def checkout(ref: str) -> Path:
    """A git worktree of ``ref`` (detached), created once per commit and reused."""
    sha = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", f"{ref}^{{commit}}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    path = WORKTREES / sha[:12]
    if not (path / "memsim").is_dir():
        WORKTREES.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(path), sha],
            check=True,
            capture_output=True,
        )
    return path


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} ({min(values):.3f}–{max(values):.3f})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("ref", nargs="?", help="git revision to compare against (side A)")
    ap.add_argument("--bench", default="s", help="s, m, l, l_pressure or a scenario path")
    ap.add_argument("--duration", help="simulate only [0, D] (e.g. 30min)")
    ap.add_argument("-n", type=int, default=3, help="runs per side and seed (default 3)")
    ap.add_argument("--seed", type=int, action="append", help="seed override (repeatable)")
    ap.add_argument(
        "--except",
        dest="excepted",
        action="append",
        default=[],
        metavar="COUNTER",
        help="leave a counter out of the fingerprint, reported apart (repeatable)",
    )
    ap.add_argument("--json", metavar="OUT", help="also write the figures as JSON")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        seed = int(args.seed[0]) if args.seed else None
        worker(args.worker, args.ref, args.duration, seed, args.out)
        return 0
    if not args.ref:
        ap.error("REF is required")
    path = Path(args.bench)
    args.scenario_path = str(path if path.exists() else HERE / f"{args.bench}.yaml")
    if not Path(args.scenario_path).exists():
        ap.error(f"no benchmark {args.bench!r} (s, m, l, l_pressure or a scenario file)")
    sides = {"A": checkout(args.ref), "B": ROOT}
    seeds: list[int | None] = list(args.seed) if args.seed else [None]
    measures: dict[str, list[dict[str, object]]] = {"A": [], "B": []}
    fingerprints: dict[str, str] = {}
    loads = [os.getloadavg()]
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for seed in seeds:
            frames: dict[str, dict[str, pd.DataFrame]] = {}
            for i in range(args.n):
                for side in "AB" if i % 2 == 0 else "BA":
                    data = _run(side, sides[side], args, seed, tmp)
                    loads.append(os.getloadavg())
                    frames.setdefault(side, data.pop("frames"))  # type: ignore[arg-type]
                    measures[side].append(data)
                    print(
                        f"  seed {seed} run {i + 1} {side}: cpu {data['cpu']:.2f} s"
                        f"  wall {data['wall']:.2f} s  rss {data['rss'] / 2**20:.0f} MiB",
                        flush=True,
                    )
            fingerprints[str(seed)] = fingerprint(frames["A"], frames["B"], args.excepted)
    report = summarise(measures, loads)
    report.update({"ref": args.ref, "bench": args.bench, "duration": args.duration, "n": args.n})
    report["fingerprint"] = fingerprints
    for key in ("cpu_ratio", "wall_ratio"):
        print(f"{key:12s} B/A median (min–max over pairs): {report[key]}")
    for side in "AB":
        print(f"side {side}       {report[side]}")
    print(f"load average {report['load']}")
    for seed, text in fingerprints.items():
        print(f"fingerprint  seed {seed}: {text}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


def summarise(
    measures: dict[str, list[dict[str, object]]], loads: list[tuple[float, ...]]
) -> dict[str, object]:
    """Median figures per side, per-pair B/A ratios with their spread, load-average range."""
    out: dict[str, object] = {}
    for side, runs in measures.items():
        cpu = [float(r["cpu"]) for r in runs]  # type: ignore[arg-type]
        wall = [float(r["wall"]) for r in runs]  # type: ignore[arg-type]
        rss = [float(r["rss"]) for r in runs]  # type: ignore[arg-type]
        out[side] = (
            f"cpu {statistics.median(cpu):.2f} s  wall {statistics.median(wall):.2f} s"
            f"  peak RSS {max(rss) / 2**20:.0f} MiB"
        )
    for key in ("cpu", "wall"):
        pairs = [
            float(b[key]) / max(float(a[key]), 1e-9)  # type: ignore[arg-type]
            for a, b in zip(measures["A"], measures["B"], strict=True)
        ]
        out[f"{key}_ratio"] = _spread(pairs)
    one_min = [load[0] for load in loads]
    out["load"] = f"1-min {min(one_min):.2f}–{max(one_min):.2f}"
    return out


if __name__ == "__main__":
    raise SystemExit(main())
