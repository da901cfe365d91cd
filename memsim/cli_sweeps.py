"""The ``memsim`` commands over many runs: ``sweep`` (a grid of parameters and seeds) and
``capacity`` (the largest VM count under a latency bound), both on :mod:`memsim.sweep`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from memsim.cli_common import (
    INTERRUPTED,
    JsonOption,
    UsageError,
    err,
    out,
    said,
    user_errors,
)
from memsim.scenario import load
from memsim.terminal import searching

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["capacity", "sweep"]


WorkersOption = Annotated[
    int | None, typer.Option(min=1, help="Run on a local dask cluster of N worker processes.")
]
SchedulerOption = Annotated[
    str | None, typer.Option(help="Run on a running dask cluster (tcp://host:8786).")
]


def _interrupted(output: Path) -> NoReturn:
    """Say where an interrupted sweep's finished runs are, and exit as interrupted."""
    err.print(
        f"interrupted; finished runs are kept in {output}/sweep.parquet "
        "(run again with --resume to finish)",
        markup=False,
    )
    said["interrupted"] = True
    raise typer.Exit(INTERRUPTED) from None


def sweep(
    scenario_file: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario file.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Sweep folder.")],
    grid: Annotated[
        list[str] | None,
        typer.Option(help="Add or replace an axis: key.path=v1,v2,... (repeatable)."),
    ] = None,
    seeds: Annotated[
        int | None, typer.Option(help="Seeds per grid point (default: the sweep: block's, else 1).")
    ] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    dashboard: Annotated[
        bool, typer.Option(help="Serve the local cluster's dashboard on 127.0.0.1:8787.")
    ] = False,
    resume: Annotated[
        bool, typer.Option(help="Finish an interrupted sweep in the folder.")
    ] = False,
    force: Annotated[bool, typer.Option(help="Start over in a folder holding a sweep.")] = False,
    metric: Annotated[
        str, typer.Option(help="Metric of the report, e.g. peak_latency, peak_swapped, min_free.")
    ] = "worst_mean_latency",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or table.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Run a scenario over a grid of parameters and seeds; write a table and a report."""
    from memsim import sweep as sweeps
    from memsim.cli_sweep_console import sweep_progress

    with user_errors():
        if workers is not None and scheduler is not None:
            raise UsageError("give --workers or --scheduler, not both")
        if metric not in sweeps.METRICS:
            raise UsageError(f"--metric must be one of {', '.join(sweeps.METRICS)}")
        scenario = load(scenario_file)
        axes = sweeps.parse_grid(grid or [])
        try:
            with sweep_progress(err, scenario.name, quiet or as_json) as advance:
                table = sweeps.sweep(
                    scenario,
                    output,
                    grid=axes,
                    seeds=seeds,
                    workers=workers,
                    scheduler=scheduler,
                    dashboard=dashboard,
                    resume=resume,
                    force=force,
                    metric=metric,
                    progress=advance,
                )
        except KeyboardInterrupt:
            _interrupted(output)
    if _print_sweep(table, output, metric, quiet=quiet, as_json=as_json):
        raise typer.Exit(1)


def _print_sweep(
    table: pd.DataFrame, output: Path, metric: str, *, quiet: bool, as_json: bool
) -> int:
    """Print a finished sweep's table (or its ``--json`` object); return its failed runs."""
    from memsim.cli_sweep_console import points_table
    from memsim.report.sweep import grid_means

    failed = int((table["status"] != "ok").sum())
    if as_json:
        from memsim import cli_json

        points = grid_means(table, table.attrs["axes"], metric)
        typer.echo(cli_json.dumps(cli_json.sweep_json(table, str(output), metric, points)))
    elif not quiet:
        out.print(points_table(table, table.attrs["axes"], metric))
        out.print(
            f"wrote {output}/sweep.parquet and {output}/report.html ({len(table)} runs, "
            f"{failed} failed)",
            markup=False,
        )
    return failed


def capacity(
    scenario_file: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario file.")],
    vm: Annotated[str, typer.Option(help="VM group whose count varies.")],
    max_latency: Annotated[str, typer.Option(help="Latency bound, e.g. 5%.")],
    seeds: Annotated[int, typer.Option(help="Runs per count; all must pass.")] = 1,
    max_count: Annotated[int, typer.Option(help="Largest count tried.")] = 64,
    peak: Annotated[
        bool, typer.Option(help="Judge the highest latency recorded, not each VM's mean.")
    ] = False,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the answer.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Largest count of a VM group for which every VM's latency stays under a bound."""
    from memsim.cli_sweep_console import capacity_table
    from memsim.sweep import capacity as search
    from memsim.units import parse_fraction

    with user_errors():
        try:
            bound = parse_fraction(max_latency) * 100
        except ValueError as exc:
            raise UsageError(f"--max-latency: {exc}") from None
        if seeds < 1 or max_count < 1:
            raise UsageError("--seeds and --max-count must be at least 1")
        scenario = load(scenario_file)
        with searching(err, f"searching the capacity of {vm}…", quiet or as_json):
            answer = search(
                scenario,
                vm,
                bound,
                seeds=seeds,
                max_count=max_count,
                peak=peak,
                workers=workers,
                scheduler=scheduler,
            )
    if as_json:
        from memsim import cli_json

        typer.echo(cli_json.dumps(cli_json.capacity_json(answer)))
        return
    judged = "highest recorded latency" if peak else "mean latency over the run"
    if not quiet:
        out.print(capacity_table(answer))
    more = f" (the limit tried, --max-count {max_count}; it may hold more)" if answer.capped else ""
    out.print(
        f"capacity: {answer.count} x {vm}{more}: every VM's {judged} stays under "
        f"{answer.bound:g} %",
        markup=False,
    )
