"""Atomic writes and staged saves: an interrupted save never leaves a truncated file."""

import json
from pathlib import Path

import pandas as pd
import pytest
from synthetic_results import make_results

from memsim.results import OutputExistsError, load_results
from memsim.results.store import atomic_write, atomic_write_text, library_versions


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    atomic_write_text(target, "old")
    atomic_write_text(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_atomic_write_interrupted_keeps_old_file(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    atomic_write_text(target, "complete")

    def half(path: Path) -> None:
        path.write_text("compl")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, half)
    assert target.read_text() == "complete"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def _half_written_parquet(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(self: pd.DataFrame, path: Path, **kwargs: object) -> None:
        Path(path).write_bytes(b"PAR1 half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_parquet", interrupted)


def test_interrupted_save_leaves_no_half_written_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = make_results(2)
    _half_written_parquet(monkeypatch)
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        results.save(out, report=False)
    assert not out.exists()
    staging = tmp_path / "run.partial"
    assert staging.is_dir()  # clearly marked as partial
    assert list(staging.iterdir()) == []  # and no truncated vms.parquet or temp file in it


def test_interrupted_overwrite_keeps_previous_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "run"
    make_results(2).save(out, report=False)
    before = (out / "vms.parquet").read_bytes()
    _half_written_parquet(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        make_results(3).save(out, report=False, force=True)
    assert (out / "vms.parquet").read_bytes() == before
    monkeypatch.undo()
    assert len(load_results(out).vm_names) == 2


def test_refuses_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="not empty"):
        make_results(1).save(tmp_path, report=False)
    make_results(1).save(tmp_path, report=False, force=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "vms.parquet").exists()


def test_empty_directory_is_fine(tmp_path: Path) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    make_results(1).save(out, report=False)
    assert (out / "manifest.json").exists()


def test_manifest_contents(tmp_path: Path) -> None:
    make_results(2).save(tmp_path / "run", report=False)
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["seed"] == 1 and manifest["wall_time"] == 0.5
    assert manifest["scenario"]["name"] == "synthetic"
    assert [m["name"] for m in manifest["machines"]] == ["vm-1", "vm-2"]
    for library in ("memsim", "numpy", "simpy", "pandas", "pyarrow"):
        assert library in manifest["versions"]
    assert manifest["python"] and manifest["platform"]
    assert library_versions()["pandas"] == pd.__version__
