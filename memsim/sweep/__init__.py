"""Sweeps: a scenario × a parameter grid × seeds, run serially or on dask.distributed.

:func:`sweep` expands the grid (:mod:`~memsim.sweep.grid`), runs one task per run
(:mod:`~memsim.sweep.runner`), keeps a table of one summary row per run
(:mod:`~memsim.sweep.metrics`, :mod:`~memsim.sweep.store`) and draws the answer
(:mod:`memsim.report.sweep`). :func:`capacity` searches the largest VM count that keeps
latency under a bound (:mod:`~memsim.sweep.capacity`).

Example:
    >>> import memsim.sweep
    >>> table = memsim.sweep.sweep(  # doctest: +SKIP
    ...     "scenarios/idle-tax.yaml", "out/idle-tax-sweep",
    ...     grid={"host.advanced.Mem.IdleTax": [0, 25, 50, 75]}, seeds=3)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from memsim.report.sweep import write_report
from memsim.scenario import Scenario
from memsim.scenario import load as _load
from memsim.scenario.sweep import expand_axis
from memsim.sweep.capacity import Capacity, capacity
from memsim.sweep.grid import Axis, Plan, RunSpec, parse_grid, plan
from memsim.sweep.metrics import DEFAULT_METRIC, LABELS, METRICS, summarize
from memsim.sweep.runner import Progress, execute
from memsim.sweep.store import SweepExistsError, read_table

__all__ = [
    "DEFAULT_METRIC",
    "METRICS",
    "Axis",
    "Capacity",
    "Plan",
    "Progress",
    "RunSpec",
    "SweepExistsError",
    "capacity",
    "execute",
    "parse_grid",
    "plan",
    "read_table",
    "summarize",
    "sweep",
    "write_report",
]


def sweep(
    scenario: Scenario | str | Path,
    output: str | Path | None = None,
    *,
    grid: Mapping[str, Sequence[Any]] | Sequence[Axis] = (),
    seeds: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    dashboard: bool = False,
    resume: bool = False,
    force: bool = False,
    metric: str = DEFAULT_METRIC,
    progress: Callable[[Progress], None] | None = None,
) -> pd.DataFrame:
    """Run a sweep and return its table (one row per run, in grid order).

    Args:
        scenario: A scenario or its file; its ``sweep:`` block gives the first axes.
        output: Folder for ``sweep.json``, ``sweep.parquet``, ``report.html`` and
            ``runs/…/seed=<n>/``; None keeps nothing on disk.
        grid: More axes, ``{key.path: [values]}`` (a range mapping is accepted too).
        seeds: Seeds per grid point, instead of the ``sweep:`` block's.
        workers: Run on a new local dask cluster of this many processes (default: serial).
        scheduler: Run on an existing dask cluster (``tcp://host:8786``).
        client: Run on a connected ``distributed.Client``.
        dashboard: Serve the dashboard of the local cluster (``workers``) on port 8787.
        resume: Finish an interrupted sweep in ``output``: only missing or failed runs run.
        force: Start over in a folder that holds a sweep.
        metric: Metric of the report (see :data:`METRICS`).
        progress: Called after each finished run.

    Returns:
        The run table; ``table.attrs["axes"]`` lists the swept key paths in grid order.

    Raises:
        ScenarioError: If the scenario or the grid is invalid (located errors).
        SweepExistsError: If ``output`` holds a sweep and neither resume nor force is set.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
    scenario = scenario if isinstance(scenario, Scenario) else _load(scenario)
    swept = plan(scenario, _axes(grid), seeds)
    table = execute(
        swept,
        output,
        workers=workers,
        scheduler=scheduler,
        client=client,
        dashboard=dashboard,
        resume=resume,
        force=force,
        progress=progress,
    )
    table.attrs["axes"] = swept.axis_paths
    if output is not None:
        write_report(
            output, table, swept.axis_paths, scenario.name, swept.seeds, metric, LABELS[metric]
        )
    return table


def _axes(grid: Mapping[str, Sequence[Any]] | Sequence[Axis]) -> list[Axis]:
    """The grid's axes in order, from a mapping ``{key.path: values}`` or a list of axes."""
    if isinstance(grid, Mapping):
        return [Axis(path, _values(values)) for path, values in grid.items()]
    return list(grid)


def _values(values: Any) -> tuple[Any, ...]:
    """Axis values given in Python: a list or tuple, a range mapping, or a single value."""
    if isinstance(values, Mapping):
        return tuple(expand_axis(values))
    return tuple(values) if isinstance(values, list | tuple) else (values,)
