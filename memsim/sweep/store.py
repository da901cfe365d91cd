"""A sweep's folder: ``sweep.json`` (what was asked), ``sweep.parquet`` (one row per run).

Both files are replaced atomically, and the table after every finished run, so an interrupted
sweep leaves a complete table of the runs that finished; ``--resume`` reads it back and runs
only the rest.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from memsim.results.atomic import atomic_write, atomic_write_text
from memsim.sweep.grid import Plan

__all__ = ["TABLE", "SweepExistsError", "finished", "prepare", "read_table", "write_table"]

TABLE = "sweep.parquet"
MANIFEST = "sweep.json"


class SweepExistsError(FileExistsError):
    """The folder holds another sweep, or this one and neither resume nor force was asked."""


def read_table(directory: Path | str) -> pd.DataFrame:
    """The run table of a sweep folder (empty if it has none yet)."""
    path = Path(directory) / TABLE
    return pd.read_parquet(path) if path.exists() else pd.DataFrame()


def write_table(directory: Path, rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Write the run table atomically, rows in grid order; returns it."""
    table = pd.DataFrame(list(rows))
    if not table.empty:
        table = table.sort_values("run", kind="stable").reset_index(drop=True)
    atomic_write(directory / TABLE, lambda tmp: table.to_parquet(tmp, index=False))
    return table


def prepare(directory: Path, plan: Plan, *, resume: bool, force: bool) -> list[dict[str, Any]]:
    """Make the folder ready for a sweep and return the rows of runs already finished.

    Args:
        directory: The sweep folder.
        plan: The sweep about to run.
        resume: Keep finished runs of the same sweep (failed ones run again).
        force: Start over in a folder that holds a sweep.

    Raises:
        SweepExistsError: If the folder holds a sweep and neither ``resume`` nor ``force``
            is set, or ``resume`` is set but the folder holds a different sweep.
    """
    manifest = _manifest(plan)
    previous = directory / MANIFEST
    kept: list[dict[str, Any]] = []
    if previous.exists() and not force:
        if not resume:
            raise SweepExistsError(
                f"{directory} holds a sweep; pass --resume to finish it or --force to start over"
            )
        try:
            same = json.loads(previous.read_text(encoding="utf-8")) == manifest
            kept = finished(read_table(directory), directory) if same else []
        except Exception as exc:  # whatever is wrong with the files: say so, offer a restart
            raise SweepExistsError(
                f"{directory} holds a sweep that cannot be read ({type(exc).__name__}: {exc}); "
                "run again with --force to start it over"
            ) from None
        if not same:
            raise SweepExistsError(
                f"{directory} holds a different sweep (scenario or grid changed); "
                "use another folder or --force to start over"
            )
    elif directory.is_dir() and any(directory.iterdir()) and not force:
        raise SweepExistsError(f"{directory} is not empty; choose another folder or pass --force")
    directory.mkdir(parents=True, exist_ok=True)
    atomic_write_text(previous, json.dumps(manifest, indent=2, default=str) + "\n")
    return kept


def finished(table: pd.DataFrame, directory: Path) -> list[dict[str, Any]]:
    """Rows of runs that succeeded and whose folder is still there."""
    if table.empty:
        return []
    rows = [{str(k): v for k, v in r.items()} for r in table.to_dict("records")]
    return [r for r in rows if r["status"] == "ok" and (directory / r["folder"]).is_dir()]


def _manifest(plan: Plan) -> dict[str, Any]:
    described = plan.describe()
    described["scenario"] = plan.scenario.raw
    # JSON round trip, so that the comparison on resume sees what was written
    result: dict[str, Any] = json.loads(json.dumps(described, default=str))
    return result
