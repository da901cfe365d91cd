"""Terminal output of the ``memsim`` command: tables that never truncate, progress, JSON.

Rules (they hold at 80 columns, in a pipe and in a log file):

- A number is never cut. On a terminal, a table too wide for it is split column-wise into
  several tables, each repeating the first (name) column; a column that still does not fit
  folds onto the next line rather than ending in ``…``. Off a terminal (``| cat``,
  ``> log``), the console is as wide as the longest line, so every line prints whole.
- Progress goes to stderr: a live bar on a terminal; otherwise a plain line every few seconds
  of wall time (``name: 120 s / 600 s simulated (20 %)``) so that a log never goes silent.
- ``--json`` prints one JSON object on stdout (see ``docs/cli-json.md`` and
  ``memsim/cli_output.schema.json``) and nothing else there.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

__all__ = [
    "PLAIN_EVERY",
    "console",
    "fitted_tables",
    "plain_progress",
    "searching",
    "time_progress",
]

#: Seconds of wall time between two plain progress lines off a terminal.
PLAIN_EVERY = 5.0
_UNBOUNDED = 1000  # columns of a console that is not a terminal: long lines print whole


def console(stderr: bool = False, file: IO[str] | None = None) -> Console:
    """A console for stdout (or stderr): its terminal's width, or unbounded off a terminal."""
    stream = file or (sys.stderr if stderr else sys.stdout)
    tty = stream.isatty()
    return Console(
        file=file,
        stderr=stderr,
        highlight=False,
        emoji=False,  # ':100:' in file:line:col is a position, not an emoji
        soft_wrap=not tty,
        width=None if tty else _UNBOUNDED,
    )


def _width(text: str) -> int:
    return max((len(line) for line in text.split("\n")), default=0)


def fitted_tables(
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int,
    right: Sequence[bool] | None = None,
) -> list[Table]:
    """Rich tables of ``rows`` that fit ``width`` columns without cutting a cell.

    The first column (names) is repeated in each table; the others are packed greedily.
    A cell still too wide folds (wraps inside the cell) instead of being cut.

    Args:
        title: Title of the first table (the others say "(continued)").
        headers: Column headings; ``\\n`` splits a heading over lines.
        rows: Cells as strings, one sequence per row.
        width: Columns available.
        right: Per column, whether to right-align it (default: all but the first).
    """
    align = list(right) if right is not None else [False] + [True] * (len(headers) - 1)
    need = [max([_width(h)] + [_width(r[i]) for r in rows]) + 3 for i, h in enumerate(headers)]
    groups: list[list[int]] = []
    used = need[0] + 1
    for i in range(1, len(headers)):
        if not groups or used + need[i] > width:
            groups.append([])
            used = need[0] + 1
        groups[-1].append(i)
        used += need[i]
    tables = []
    for n, group in enumerate(groups or [[]]):
        caption = title if n == 0 else f"{title} (continued)"
        table = Table(title=caption, title_justify="left")
        for i in (0, *group):
            table.add_column(
                headers[i],
                justify="right" if align[i] else "left",
                overflow="fold",
                no_wrap=i == 0,
            )
        for row in rows:
            table.add_row(*(row[i] for i in (0, *group)))
        tables.append(table)
    return tables


def plain_progress(
    err: Console, label: Callable[[Any], str], every: float = PLAIN_EVERY
) -> Callable[[Any], None]:
    """A progress callback printing ``label(state)`` on ``err`` at most every ``every`` s."""
    last = [time.monotonic()]

    def report(state: Any) -> None:
        now = time.monotonic()
        if now - last[0] >= every:
            last[0] = now
            err.print(label(state), markup=False, highlight=False)

    return report


@contextmanager
def time_progress(
    err: Console, name: str, duration: float, fmt: Callable[[float], str], quiet: bool
) -> Iterator[Callable[[float, float], None] | None]:
    """Progress of one run in simulated time: a bar on a terminal, plain lines off one."""
    if quiet:
        yield None
        return
    end = fmt(duration)
    if not err.is_terminal:

        def label(now: float) -> str:
            return f"{name}: {fmt(round(now))} / {end} simulated ({100 * now / duration:.0f} %)"

        tick = plain_progress(err, label)
        yield lambda now, total: tick(now)
        err.print(f"{name}: {end} / {end} simulated, done", markup=False)
        return
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[now]}"))
    with Progress(*columns, TimeRemainingColumn(), console=err, transient=True) as bar:
        task = bar.add_task(name, total=duration, now=f"0s / {end}")

        def advance(now: float, total: float) -> None:
            bar.update(task, completed=now, now=f"{fmt(round(now))} / {end}")

        yield advance


@contextmanager
def searching(err: Console, message: str, quiet: bool) -> Iterator[None]:
    """A spinner on a terminal; off one, the message once; nothing when quiet."""
    if quiet:
        yield
    elif err.is_terminal:
        with err.status(message):
            yield
    else:
        err.print(message, markup=False)
        yield
