"""Terminal output of the sweep commands (the CLI side, for :mod:`memsim.cli`): progress, tables.

The sweep layer itself reports progress through a callback and never imports rich; this
module turns that callback into a rich progress bar and results into rich tables.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from memsim.report.sweep import grid_means
from memsim.sweep.capacity import Capacity
from memsim.sweep.runner import Progress as SweepProgress

__all__ = ["capacity_table", "points_table", "sweep_progress"]

_MAX_ROWS = 40


@contextmanager
def sweep_progress(
    console: Console, title: str, quiet: bool = False
) -> Iterator[Callable[[SweepProgress], None] | None]:
    """A progress callback drawing runs done, failed and left on a bar (None when quiet)."""
    if quiet:
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("done {task.fields[done]}  [red]failed {task.fields[failed]}[/]"),
        TextColumn("left {task.fields[left]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(title, total=None, done=0, failed=0, left="?")

        def advance(state: SweepProgress) -> None:
            bar.update(
                task,
                total=state.total,
                completed=state.done + state.failed,
                done=state.done,
                failed=state.failed,
                left=state.left,
            )

        yield advance


def _number(value: object) -> str:
    if isinstance(value, float):
        return "–" if math.isnan(value) else f"{value:.4g}"
    return str(value)


def _table(frame: pd.DataFrame, title: str) -> Table:
    table = Table(*map(str, frame.columns), title=title)
    for row in frame.head(_MAX_ROWS).itertuples(index=False):
        table.add_row(*map(_number, row))
    if len(frame) > _MAX_ROWS:
        table.caption = f"first {_MAX_ROWS} of {len(frame)} rows"
    return table


def points_table(table: pd.DataFrame, axes: Sequence[str], metric: str) -> Table:
    """Mean, lowest and highest of a metric per grid point."""
    return _table(grid_means(table, axes, metric), f"{metric} by grid point (over seeds)")


def capacity_table(answer: Capacity) -> Table:
    """The counts probed by a capacity search and whether each kept latency under the bound."""
    frame = answer.evidence.copy()
    frame["passed"] = frame["passed"].map({True: "yes", False: "NO"})
    return _table(frame, f"{answer.vm}: probed counts, bound {answer.bound:g} % ({answer.metric})")
