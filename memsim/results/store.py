"""Writing and reading a run's output folder, atomically.

A run folder (DESIGN.md §4.2) holds ``vms.parquet``, ``host.parquet``, ``events.csv``,
``manifest.json``, ``esxtop.csv``, optionally CSV copies and ``report.html`` with ``figures/``.

Every file is written atomically: its bytes go to a temporary name in the same directory, are
flushed and fsynced, then :func:`os.replace` moves them into place. A whole save is staged in a
hidden sibling folder that is swapped with ``<dir>`` in one atomic exchange once every file is
complete (:func:`staged_directory`). An interrupted save therefore leaves either the previous
complete result or the new one, never a mixture, and never a truncated file. The manifest names
the run and records each data file's SHA-256, which :func:`load_results` checks.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import hashlib
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

from memsim.results.atomic import atomic_write, atomic_write_bytes, atomic_write_text, umask

if TYPE_CHECKING:
    from memsim.results.results import Results

__all__ = [
    "MixedResultsError",
    "OutputExistsError",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_output",
    "library_versions",
    "read_run",
    "result_in",
    "run_id",
    "save_results",
    "staged_directory",
]

#: Libraries whose versions the manifest records, so a result can be reproduced.
TRACKED_LIBRARIES = ("memsim", "numpy", "simpy", "pandas", "pyarrow", "matplotlib", "pydantic")


class OutputExistsError(FileExistsError):
    """The output folder already holds files and ``force`` was not given."""


STAGING_SUFFIX = ".memsim-staging"
"""Ends the name of the hidden sibling folder a save is staged in (``.<name>.<random>…``)."""
MARKERS = ("manifest.json", "report.html")
"""Files that mark a folder as memsim's own output, which ``force`` may replace."""


def check_output(target: Path | str, *, force: bool = False) -> Path:
    """Check that a folder may receive a result, before any work is done.

    A folder may be written when it does not exist or is empty; with ``force``, also when it
    holds memsim output (a run's ``manifest.json`` or a ``report.html``), which is then
    replaced as a whole. A folder of other files is never replaced, nor the current folder or
    one of its parents (the swap would pull the folder from under the user).

    Returns:
        ``target`` as a path.

    Raises:
        OutputExistsError: With what is wrong and what to do instead.
    """
    target = Path(target)
    here = Path.cwd().resolve()
    full = target.resolve()
    if here.is_relative_to(full):
        raise OutputExistsError(
            f"{target} is the current folder or one of its parents; name a new folder, "
            "e.g. -o out/run"
        )
    if target.exists() and not target.is_dir():
        raise OutputExistsError(f"{target} exists and is not a folder")
    if not (target.is_dir() and any(target.iterdir())):
        return target
    if not force:
        raise OutputExistsError(
            f"{target} is not empty; choose another folder or pass force=True (--force)"
        )
    if not any((target / marker).is_file() for marker in MARKERS):
        raise OutputExistsError(
            f"{target} holds files that are not a memsim result; --force replaces only a "
            "previous result, so choose another folder"
        )
    return target


@contextlib.contextmanager
def staged_directory(target: Path, *, force: bool = False) -> Iterator[Path]:
    """Stage a folder's files in a hidden sibling folder and swap it in whole on success.

    The new files are written into ``.<name>.<random>.memsim-staging`` beside ``target``.
    Once all are complete, the staging folder and ``target`` are exchanged in one atomic
    ``renameat2(RENAME_EXCHANGE)`` (Linux), and the old folder, now under the staging name, is
    deleted. A kill at any moment leaves ``target`` holding the old result or the new one,
    never a mixture; files of the old result are never left beside the new ones. Staging
    folders left by a killed save are removed by the next save to the same target; nothing
    else beside ``target`` (a user's ``<name>.partial``, say) is touched.

    Args:
        target: The folder that should hold the files in the end.
        force: Replace ``target`` if it holds a previous result (see :func:`check_output`).

    Yields:
        The staging folder to write into.

    Raises:
        OutputExistsError: ``target`` may not be written (see :func:`check_output`).
    """
    target = check_output(target, force=force)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{glob.escape(target.name)}.*{STAGING_SUFFIX}"):
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{target.name}.", suffix=STAGING_SUFFIX, dir=target.parent)
    )
    try:
        os.chmod(staging, 0o777 & ~umask())
        yield staging
        if target.is_dir():
            _exchange(staging, target)
        else:
            os.rename(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _exchange(a: Path, b: Path) -> None:
    """Swap two folders atomically; where the system cannot, move ``b`` aside first."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        at_cwd, exchange = -100, 2  # AT_FDCWD, RENAME_EXCHANGE
        if renameat2(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), exchange) == 0:
            return
    aside = Path(tempfile.mkdtemp(prefix=f".{b.name}.", suffix=STAGING_SUFFIX, dir=b.parent))
    os.rename(b, aside / b.name)  # not atomic as a pair: a kill here leaves no b
    os.rename(a, b)
    os.rename(aside, a)


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


RUN_ID_KEY = b"memsim.run_id"
"""Key of the run id in the parquet files' metadata."""
DATA_FILES = ("vms.parquet", "host.parquet", "events.csv", "esxtop.csv", "vms.csv", "host.csv")
"""Files whose SHA-256 the manifest records (``files``), checked by :func:`load_results`."""


class MixedResultsError(ValueError):
    """A results folder whose files do not all come from the run its manifest describes."""


def run_id(results: Results) -> str:
    """An id of a run's outcome: the same data under the same scenario gives the same id.

    Derived from the content (scenario, seed, versions and the recorded tables; not when the
    run was made or how long it took), so identical reruns keep writing identical files, while
    any two runs that differ have different ids.
    """
    digest = hashlib.sha256()
    varying = ("created", "wall_time", "run_id", "files")
    stable = {k: v for k, v in results.manifest.items() if k not in varying}
    digest.update(json.dumps(stable, sort_keys=True, default=str).encode())
    for frame in (results.vms, results.host, results.events):
        digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_parquet(frame: pd.DataFrame, path: Path, identity: str) -> None:
    """A parquet file of ``frame`` that names its run in its metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = {**(table.schema.metadata or {}), RUN_ID_KEY: identity.encode()}
    pq.write_table(table.replace_schema_metadata(metadata), path)


def save_results(
    results: Results,
    directory: Path | str,
    *,
    fmt: str = "parquet",
    report: Callable[[Results, Path], object] | None = None,
    force: bool = False,
) -> Path:
    """Write a run folder (DESIGN.md §4.2); see :meth:`memsim.results.Results.save`.

    ``report``, when given, writes the report into the folder (``report.html``, ``figures/``)
    before it is put in place: the report layer's writer, passed in by the caller (results
    import no report).

    The manifest names the run (``run_id``, also in each parquet file's metadata) and records
    the SHA-256 of each data file (``files``), so :func:`load_results` can tell a folder whose
    files come from different runs.
    """
    from memsim.results.esxtop import write_esxtop

    if fmt not in ("parquet", "csv"):
        raise ValueError(f"fmt must be 'parquet' or 'csv', not {fmt!r}")
    target = Path(directory)
    identity = run_id(results)
    with staged_directory(target, force=force) as stage:
        vms, host = _frame_to_disk(results.vms), _frame_to_disk(results.host)
        atomic_write(stage / "vms.parquet", lambda p: _write_parquet(vms, p, identity))
        atomic_write(stage / "host.parquet", lambda p: _write_parquet(host, p, identity))
        atomic_write(stage / "events.csv", lambda p: results.events.to_csv(p, index=False))
        if fmt == "csv":
            atomic_write(stage / "vms.csv", lambda p: vms.to_csv(p, index=False))
            atomic_write(stage / "host.csv", lambda p: host.to_csv(p, index=False))
        atomic_write(stage / "esxtop.csv", lambda p: write_esxtop(results, p))
        files = {name: _sha256(stage / name) for name in DATA_FILES if (stage / name).exists()}
        manifest = {**results.manifest, "run_id": identity, "files": files}
        text = json.dumps(manifest, indent=2, default=str, allow_nan=False)
        atomic_write_text(stage / "manifest.json", text + "\n")
        if report is not None:
            report(results, stage)
    return target


def _read_table(directory: Path, name: str, manifest: dict[str, Any]) -> pd.DataFrame:
    parquet, csv = directory / f"{name}.parquet", directory / f"{name}.csv"
    if parquet.exists():
        _check_file(parquet, manifest)
        return pd.read_parquet(parquet)
    if csv.exists():
        _check_file(csv, manifest)
        return pd.read_csv(csv)
    raise FileNotFoundError(f"{directory} holds neither {parquet.name} nor {csv.name}")


def _check_file(path: Path, manifest: dict[str, Any]) -> None:
    """Refuse a file that is not the one the manifest recorded (folders written before run
    ids existed have no ``files`` entry and are read as they are)."""
    recorded = manifest.get("files")
    if recorded is None:
        return
    if path.name not in recorded:
        raise MixedResultsError(f"{path} is not part of run {manifest.get('run_id')}")
    if _sha256(path) != recorded[path.name]:
        raise MixedResultsError(
            f"{path} does not belong to run {manifest.get('run_id')} of {path.parent}/"
            "manifest.json (its contents changed, or it comes from another run); run again"
        )


def result_in(directory: Path | str) -> str | None:
    """The run id of the result a folder holds; "" for one without an id; None for none."""
    try:
        manifest = json.loads((Path(directory) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return str(manifest.get("run_id", "")) if isinstance(manifest, dict) else None


def read_run(
    directory: Path | str,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Read a run folder written by :func:`save_results`: ``vms``, ``host``, ``events`` and
    the manifest (:func:`memsim.results.load_results` makes them :class:`Results`).

    Raises:
        FileNotFoundError: The folder or one of its files is missing.
        MixedResultsError: A file does not belong to the run the manifest describes.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"no results folder at {directory}")
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    vms = _read_table(directory, "vms", manifest)
    host = _read_table(directory, "host", manifest)
    _check_file(directory / "events.csv", manifest)
    events = pd.read_csv(directory / "events.csv", dtype={"vm": "string", "detail": "string"})
    manifest.pop("files", None)  # the folder's bookkeeping, checked above; not the run's
    return vms, host, events, manifest
