"""Atomic writes and staged saves: an interrupted save never leaves a truncated file."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from memsim.results import OutputExistsError, load_results, store
from memsim.results.atomic import atomic_write, atomic_write_text
from memsim.results.store import library_versions
from tests.support.synthetic_results import make_results


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
    def interrupted(frame: pd.DataFrame, path: Path, identity: str) -> None:
        Path(path).write_bytes(b"PAR1 half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(store, "_write_parquet", interrupted)


def test_interrupted_save_leaves_no_half_written_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = make_results(2)
    _half_written_parquet(monkeypatch)
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        results.save(out, report=False)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # the staging folder is gone with its half file


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


def test_refuses_non_empty_directory_that_is_not_a_result(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="not empty"):
        make_results(1).save(tmp_path / ".." / tmp_path.name, report=False)
    with pytest.raises(OutputExistsError, match="not a memsim result"):
        make_results(1).save(tmp_path, report=False, force=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert not (tmp_path / "vms.parquet").exists()


def test_force_replaces_a_result_as_a_whole(tmp_path: Path) -> None:
    out = tmp_path / "run"
    make_results(2).save(out, fmt="csv", report=False)
    make_results(3).save(out, report=False, force=True)
    assert not (out / "vms.csv").exists()  # nothing of the old result survives
    assert len(load_results(out).vm_names) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_users_partial_folder_is_left_alone(tmp_path: Path) -> None:
    mine = tmp_path / "run.partial"
    mine.mkdir()
    (mine / "keep.txt").write_text("mine")
    make_results(1).save(tmp_path / "run", report=False)
    assert (mine / "keep.txt").read_text() == "mine"


def test_the_current_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for target in (".", "..", str(tmp_path)):
        with pytest.raises(OutputExistsError, match="current folder"):
            store.check_output(Path(target), force=True)


def test_load_results_refuses_files_of_another_run(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    make_results(2).save(a, report=False)
    make_results(3).save(b, report=False)
    assert store.result_in(a) != store.result_in(b)
    shutil.copy(b / "host.parquet", a / "host.parquet")
    with pytest.raises(store.MixedResultsError, match="does not belong"):
        load_results(a)
    shutil.copy(b / "manifest.json", a / "manifest.json")  # b's manifest over a's vms.parquet
    with pytest.raises(store.MixedResultsError, match="vms.parquet does not belong"):
        load_results(a)
    shutil.copy(b / "vms.parquet", a / "vms.parquet")
    with (a / "events.csv").open("a") as fh:
        fh.write("9,setting,,edited\n")
    with pytest.raises(store.MixedResultsError, match="events.csv does not belong"):
        load_results(a)


def test_run_id_is_in_the_parquet_metadata(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    make_results(2).save(tmp_path / "run", report=False)
    identity = store.result_in(tmp_path / "run")
    metadata = pq.read_schema(tmp_path / "run" / "vms.parquet").metadata
    assert identity and metadata[store.RUN_ID_KEY].decode() == identity


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
