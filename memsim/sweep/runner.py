"""Running a sweep: one task per run, a summary row per run, failures isolated.

Each task runs one grid point with its seed through :func:`memsim.api.run`, writes the run's
folder (``runs/<axis>=<value>/…/seed=<seed>/``, without a report) and returns a small row of
metrics (:mod:`memsim.sweep.metrics`). A run that raises is tried once more, then recorded as
failed with its error; the other runs go on. The table is written after every finished run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from memsim import api
from memsim.scenario import Scenario
from memsim.sweep import store
from memsim.sweep.executors import Executor, connect
from memsim.sweep.grid import Plan, RunSpec, label
from memsim.sweep.metrics import METRICS, summarize

__all__ = ["ATTEMPTS", "Progress", "execute", "run_one"]

ATTEMPTS = 2
"""Tries per run: a failed run is retried once."""


@dataclass(frozen=True)
class Progress:
    """How far a sweep has got, passed to the progress callback after each finished run.

    Attributes:
        done: Runs that succeeded (including those kept from before, on resume).
        failed: Runs that failed twice.
        total: Runs in the sweep.
        row: The row just recorded (None for the first call, made before any run).
    """

    done: int
    failed: int
    total: int
    row: dict[str, Any] | None = None

    @property
    def left(self) -> int:
        """Runs still to finish."""
        return self.total - self.done - self.failed


def run_one(scenario: Scenario, spec: RunSpec, output: str | None) -> dict[str, Any]:
    """Run one grid point with its seed, save its folder, return its metrics (a dask task).

    Args:
        scenario: The sweep's base scenario.
        spec: The run: its axis values and seed.
        output: The sweep folder, or None not to save the run.

    Returns:
        ``wall_time`` (seconds, including saving) and every metric of :data:`METRICS`.
    """
    start = time.perf_counter()
    results = api.run(scenario, seed=spec.seed, overrides=spec.point)
    if output is not None:
        results.save(Path(output) / spec.folder, report=False, force=True)
    ran = results.scenario if results.scenario is not None else scenario
    metrics = summarize(results.vms, results.host, float(ran.duration), results.events)
    return {"wall_time": time.perf_counter() - start, **metrics}


def execute(
    plan: Plan,
    output: Path | str | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    executor: Executor | None = None,
    dashboard: bool = False,
    resume: bool = False,
    force: bool = False,
    progress: Callable[[Progress], None] | None = None,
) -> pd.DataFrame:
    """Run every run of a plan (or, on resume, those not finished) and return the run table.

    Args:
        plan: The validated sweep (:func:`memsim.sweep.grid.plan`).
        output: Sweep folder for ``sweep.json``, ``sweep.parquet`` and ``runs/``; None keeps
            nothing on disk.
        workers: Run on a new local dask cluster of this many processes.
        scheduler: Run on the dask cluster whose scheduler listens at this address.
        client: Run on this connected ``distributed.Client``.
        executor: Run on this executor (left open: to run several sweeps on one cluster).
        dashboard: Serve the local cluster's dashboard.
        resume: Keep the runs a previous, interrupted sweep into ``output`` finished.
        force: Start over in a folder that holds a sweep.
        progress: Called once before the first run, then after each finished run.

    Returns:
        One row per run in grid order: ``run``, the axes, ``replicate``, ``seed``, ``status``
        (ok or failed), ``error``, ``attempts``, ``wall_time``, ``folder`` and the metrics.

    Raises:
        store.SweepExistsError: See :func:`memsim.sweep.store.prepare`.
    """
    folder = Path(output) if output is not None else None
    kept = store.prepare(folder, plan, resume=resume, force=force) if folder else []
    rows = {row["run"]: row for row in kept}
    todo = [spec for spec in plan.runs if spec.index not in rows]
    recorder = _Recorder(plan, folder, rows, progress)
    if progress is not None:
        progress(Progress(len(rows), 0, len(plan.runs)))
    if executor is not None:
        return _drive(executor, plan.scenario, todo, folder, recorder)
    with connect(workers, scheduler, dashboard=dashboard, client=client) as opened:
        return _drive(opened, plan.scenario, todo, folder, recorder)


def _drive(
    executor: Executor,
    scenario: Scenario,
    todo: Iterable[RunSpec],
    folder: Path | None,
    recorder: _Recorder,
) -> pd.DataFrame:
    """Submit the runs, retry failures once, record outcomes; the table survives Ctrl-C."""
    output = str(folder) if folder is not None else None
    attempts: dict[int, int] = {}
    try:
        for spec in todo:
            attempts[spec.index] = 1
            executor.submit(spec, run_one, scenario, spec, output)
        for spec, value, error in executor.outcomes():
            if error is not None and attempts[spec.index] < ATTEMPTS:
                attempts[spec.index] += 1
                executor.submit(spec, run_one, scenario, spec, output)
                continue
            recorder.record(spec, value, error, attempts[spec.index])
    finally:
        executor.cancel()
    return recorder.flush()


class _Recorder:
    """Collects rows and rewrites the table after each one."""

    def __init__(
        self,
        plan: Plan,
        folder: Path | None,
        rows: dict[int, dict[str, Any]],
        progress: Callable[[Progress], None] | None,
    ) -> None:
        self.plan, self.folder, self.rows, self.progress = plan, folder, rows, progress
        self.numeric = {a.path: all(_is_number(v) for v in a.values) for a in plan.axes}

    def record(self, spec: RunSpec, value: Any, error: BaseException | None, attempts: int) -> None:
        row = self._row(spec, value, error, attempts)
        self.rows[spec.index] = row
        self.flush()
        if self.progress is not None:
            statuses = [r["status"] for r in self.rows.values()]
            done, failed = statuses.count("ok"), statuses.count("failed")
            self.progress(Progress(done, failed, len(self.plan.runs), row))

    def flush(self) -> pd.DataFrame:
        ordered = [self.rows[i] for i in sorted(self.rows)]
        if self.folder is not None:
            return store.write_table(self.folder, ordered)
        return pd.DataFrame(ordered)

    def _row(
        self, spec: RunSpec, value: Any, error: BaseException | None, attempts: int
    ) -> dict[str, Any]:
        axes = {path: (v if self.numeric[path] else label(v)) for path, v in spec.point.items()}
        row: dict[str, Any] = {"run": spec.index, **axes, "replicate": spec.replicate}
        row |= {"seed": spec.seed, "status": "ok" if error is None else "failed"}
        row |= {"error": _describe(error), "attempts": attempts, "folder": spec.folder}
        metrics = value if error is None else {}
        row["wall_time"] = float(metrics.get("wall_time", float("nan")))
        row |= {name: float(metrics.get(name, float("nan"))) for name in METRICS}
        return row


def _describe(error: BaseException | None) -> str:
    if error is None:
        return ""
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
