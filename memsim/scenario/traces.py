"""Trace files of a scenario: where they may lie, and whether their contents can be replayed.

A scenario names its traces by path, relative to the scenario's folder. Paths must stay under
that folder (or under a folder the user names explicitly, ``--trace-root``), so a scenario from
elsewhere cannot make memsim read ``/etc/passwd`` or ``/proc``. The file is read whole at
validation: a plain trace must have a number in every cell of ``time``, ``active`` and
``footprint`` (finite, not negative, times in order); an esxtop capture must have a timestamp
on every row. A run that validated then never stops halfway on a bad row.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

__all__ = [
    "ESXTOP_TIME_FORMAT",
    "MAX_TRACE_BYTES",
    "TRACE_COLUMNS",
    "TraceError",
    "check_trace",
    "confined",
    "header",
]

ESXTOP_TIME_FORMAT = "%m/%d/%Y %H:%M:%S"
"""Timestamps of esxtop batch captures (first column)."""
TRACE_COLUMNS = ("time", "active", "footprint")
"""Columns of a plain trace: seconds, and MiB."""
MAX_TRACE_BYTES = 256 << 20
"""Largest trace file (256 MiB)."""
MAX_FIELD = 64 << 10
"""Longest cell of a trace (64 KiB); esxtop's counter names are about 100 characters."""


class TraceError(ValueError):
    """A trace that cannot be used, with what is wrong and where in the file."""


def confined(path: Path, base: Path, roots: Sequence[Path] = ()) -> Path:
    """The resolved path of a trace, which must lie under ``base`` or one of ``roots``.

    Raises:
        TraceError: The path leads elsewhere, or is not a regular file.
    """
    full = (path if path.is_absolute() else base / path).resolve()
    allowed = [base.resolve(), *(Path(root).resolve() for root in roots)]
    if not any(full.is_relative_to(root) for root in allowed):
        where = " or ".join(str(root) for root in allowed)
        raise TraceError(
            f"{path} is outside {where}; traces must lie under the scenario's folder "
            "(or a folder given with --trace-root)"
        )
    if not full.is_file():
        raise TraceError(f"trace file not found: {full}")
    if full.stat().st_size > MAX_TRACE_BYTES:
        raise TraceError(f"{full.name} is larger than 256 MiB, the most a trace may be")
    return full


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each non-empty row of a CSV file, strictly UTF-8."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            for row in reader:
                if any("\0" in cell for cell in row):
                    raise TraceError(f"{path.name} line {reader.line_num}: a NUL byte (binary)")
                if any(len(cell) > MAX_FIELD for cell in row):
                    raise TraceError(f"{path.name} line {reader.line_num}: a cell over 64 KiB")
                if row:
                    yield reader.line_num, row
    except UnicodeDecodeError as exc:
        raise TraceError(f"{path.name} is not UTF-8 text (byte {exc.start}); binary?") from None
    except csv.Error as exc:
        raise TraceError(f"{path.name}: not a readable CSV file ({exc})") from None


def header(path: Path) -> list[str]:
    """The first row of a trace file ([] when empty)."""
    return next((row for _, row in _rows(path)), [])


def check_trace(path: Path, esxtop: bool) -> None:
    """Read a whole trace and raise at its first row that could not be replayed.

    Args:
        path: The file, already :func:`confined`.
        esxtop: Whether it is an esxtop batch capture rather than a plain trace.

    Raises:
        TraceError: Naming the file, line and column of the problem.
    """
    rows = _rows(path)
    first = next(rows, None)
    if first is None:
        raise TraceError(f"{path.name} is empty")
    head = first[1]
    columns = {name: head.index(name) for name in TRACE_COLUMNS if name in head}
    samples = 0
    last = -math.inf
    for line, row in rows:
        samples += 1
        if esxtop:
            try:
                datetime.strptime(row[0].strip(), ESXTOP_TIME_FORMAT)
            except ValueError:
                raise TraceError(
                    f"{path.name} line {line}: {row[0][:40]!r} is not a timestamp like "
                    "12/31/2025 23:59:59"
                ) from None
            continue
        values = {name: _cell(path, line, row, name, i) for name, i in columns.items()}
        if values["time"] < last:
            raise TraceError(f"{path.name} line {line}: time goes backwards")
        last = values["time"]
    if not samples:
        raise TraceError(f"{path.name} has no samples")


def _cell(path: Path, line: int, row: list[str], name: str, index: int) -> float:
    text = row[index].strip() if index < len(row) else ""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        shown = repr(text[:40]) if text else "nothing"
        raise TraceError(
            f"{path.name} line {line}: column {name} holds {shown}; expected a number ≥ 0"
        )
    return value
