"""CLI commands about captures of real hosts: ``memsim check`` (a run beside its capture).

Registered on the app by :mod:`memsim.cli`; argument handling only, the
work is :mod:`memsim.capture` and :mod:`memsim.report.capture`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from memsim.cli_common import QuietOption, UsageError, out, user_errors

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["check"]

#: Tolerance of the headline host counters (issue 14: within 10 % of the capture).
TOLERANCE = 0.10


def check(
    run: Annotated[Path, typer.Argument(metavar="RUN", help="Results folder of the run.")],
    capture: Annotated[
        Path,
        typer.Option(
            "--capture",
            help="The capture the scenario came from: an esxtop -b CSV or a vCenter Get-Stat "
            "export.",
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Folder for the errors CSV and the figure."),
    ] = None,
    tolerance: Annotated[
        float, typer.Option(help="Relative error allowed on the headline host counters.")
    ] = TOLERANCE,
    quiet: QuietOption = False,
) -> None:
    """Overlay a run on its capture; print the MAE and relative error per counter.

    Exit status 1 when a headline host counter (state, ballooned, swapped, sharing savings)
    is further from the capture than the tolerance.
    """
    with user_errors():
        from memsim.capture.compare import compare_capture
        from memsim.capture.sources import read_capture
        from memsim.report.capture import write_capture_figure
        from memsim.results import load_results
        from memsim.results.atomic import atomic_write

        try:
            results = load_results(run)
            comparison = compare_capture(results, read_capture(capture))
        except (OSError, ValueError, KeyError) as exc:
            raise UsageError(str(exc)) from None
        folder = output or run / "capture-check"
        folder.mkdir(parents=True, exist_ok=True)
        errors = comparison.errors
        atomic_write(folder / "errors.csv", lambda p: errors.to_csv(p, index=False))
        figure = write_capture_figure(comparison.host, comparison.vms, folder / "capture.png")
    headline = comparison.headline()
    failed = headline[headline["relative"] > tolerance]
    if not quiet:
        out.print(_table(errors, tolerance))
        out.print(f"wrote {folder / 'errors.csv'} and {figure}", markup=False)
        verdict = "within" if failed.empty else "NOT within"
        out.print(f"headline host counters {verdict} {tolerance:.0%} of the capture", markup=False)
    if not failed.empty:
        raise typer.Exit(1)


def _table(errors: pd.DataFrame, tolerance: float) -> Table:
    table = Table(title="simulated vs captured (means over the capture's samples)")
    for name in ("scope", "counter", "captured", "simulated", "MAE", "relative"):
        table.add_column(name, justify="left" if name in ("scope", "counter") else "right")
    for row in errors.itertuples(index=False):
        rel = "" if row.relative != row.relative else f"{row.relative:.1%}"
        style = "red" if row.scope == "host" and row.relative > tolerance else None
        table.add_row(
            row.scope,
            row.counter,
            f"{row.captured:,.1f}",
            f"{row.simulated:,.1f}",
            f"{row.mae:,.1f}",
            rel,
            style=style,
        )
    return table
