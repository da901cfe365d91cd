"""Writing and reading a run's output folder, atomically.

A run folder (DESIGN.md §4.2) holds ``vms.parquet``, ``host.parquet``, ``events.csv``,
``manifest.json``, ``esxtop.csv``, optionally CSV copies and ``report.html`` with ``figures/``.

Every file is written atomically: its bytes go to a temporary name in the same directory, are
flushed and fsynced, then :func:`os.replace` moves them into place. A whole save is staged in a
sibling folder ``<dir>.partial`` that is renamed (or its files moved) into ``<dir>`` only once
every file is complete. An interrupted save therefore leaves either the previous complete result
or a folder whose name says it is partial, never a silently truncated file.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from memsim.results.results import Results

__all__ = [
    "OutputExistsError",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "library_versions",
    "load_results",
    "save_results",
    "staged_directory",
]

#: Libraries whose versions the manifest records, so a result can be reproduced.
TRACKED_LIBRARIES = ("memsim", "numpy", "simpy", "pandas", "pyarrow", "matplotlib", "pydantic")

PARTIAL_SUFFIX = ".partial"


class OutputExistsError(FileExistsError):
    """The output folder already holds files and ``force`` was not given."""


def atomic_write(path: Path, write: Callable[[Path], object]) -> Path:
    """Write a file atomically through a callback that writes to a given path.

    Args:
        path: Final location of the file.
        write: Called with a temporary path in the same directory; it must write the whole file
            there (for example ``df.to_parquet`` or ``fig.savefig``).

    Returns:
        ``path``.

    The temporary file is removed if ``write`` raises anything, including ``KeyboardInterrupt``,
    so ``path`` is either absent, unchanged, or the complete new file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the usual permissions
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def atomic_write_text(path: Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def _is_non_empty_dir(path: Path) -> bool:
    return path.is_dir() and any(path.iterdir())


@contextlib.contextmanager
def staged_directory(target: Path, *, force: bool = False) -> Iterator[Path]:
    """Stage a folder's files in ``<target>.partial`` and publish them on success.

    Args:
        target: The folder that should hold the files in the end.
        force: Allow ``target`` to hold files already; files of the same name are replaced,
            others are left alone.

    Yields:
        The staging folder to write into.

    Raises:
        OutputExistsError: ``target`` exists, is not empty, and ``force`` is false.
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise OutputExistsError(f"{target} exists and is not a folder")
    if _is_non_empty_dir(target) and not force:
        raise OutputExistsError(
            f"{target} is not empty; choose another folder or pass force=True (--force)"
        )
    staging = target.with_name(target.name + PARTIAL_SUFFIX)
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    yield staging
    if not target.exists():
        os.replace(staging, target)
        return
    for src in sorted(p for p in staging.rglob("*") if p.is_file()):
        dest = target / src.relative_to(staging)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dest)
    shutil.rmtree(staging)


def library_versions() -> dict[str, str | None]:
    """Installed versions of memsim and the libraries its results depend on."""
    versions: dict[str, str | None] = {}
    for name in TRACKED_LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def environment() -> dict[str, Any]:
    """Library versions, Python version and platform, for the manifest."""
    return {
        "versions": library_versions(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


def _frame_to_disk(frame: pd.DataFrame) -> pd.DataFrame:
    """On disk, time is a column, not the index (CONTRACTS.md, Results)."""
    return frame.reset_index() if frame.index.name == "time" else frame


def save_results(
    results: Results,
    directory: Path | str,
    *,
    fmt: str = "parquet",
    report: bool = True,
    force: bool = False,
) -> Path:
    """Write a run folder (DESIGN.md §4.2); see :meth:`memsim.results.Results.save`."""
    from memsim.results.esxtop import write_esxtop

    if fmt not in ("parquet", "csv"):
        raise ValueError(f"fmt must be 'parquet' or 'csv', not {fmt!r}")
    target = Path(directory)
    with staged_directory(target, force=force) as stage:
        vms, host = _frame_to_disk(results.vms), _frame_to_disk(results.host)
        atomic_write(stage / "vms.parquet", lambda p: vms.to_parquet(p, index=False))
        atomic_write(stage / "host.parquet", lambda p: host.to_parquet(p, index=False))
        atomic_write(stage / "events.csv", lambda p: results.events.to_csv(p, index=False))
        if fmt == "csv":
            atomic_write(stage / "vms.csv", lambda p: vms.to_csv(p, index=False))
            atomic_write(stage / "host.csv", lambda p: host.to_csv(p, index=False))
        atomic_write(stage / "esxtop.csv", lambda p: write_esxtop(results, p))
        manifest = json.dumps(results.manifest, indent=2, default=str, allow_nan=False)
        atomic_write_text(stage / "manifest.json", manifest + "\n")
        if report:
            from memsim.report.html import write_report

            write_report(results, stage)
    return target


def _read_table(directory: Path, name: str) -> pd.DataFrame:
    parquet, csv = directory / f"{name}.parquet", directory / f"{name}.csv"
    if parquet.exists():
        return pd.read_parquet(parquet)
    if csv.exists():
        return pd.read_csv(csv)
    raise FileNotFoundError(f"{directory} holds neither {parquet.name} nor {csv.name}")


def load_results(directory: Path | str) -> Results:
    """Read a run folder written by :meth:`Results.save` back into :class:`Results`.

    The scenario object is not rebuilt: the resolved scenario is available as data in
    ``results.manifest["scenario"]``, and ``results.scenario`` is ``None``.
    """
    from memsim.results.results import Results

    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"no results folder at {directory}")
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    events = pd.read_csv(directory / "events.csv", dtype={"vm": "string", "detail": "string"})
    return Results(
        None,
        _read_table(directory, "vms"),
        _read_table(directory, "host"),
        events,
        manifest,
    )
