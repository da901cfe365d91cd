"""Running sweeps: serial and dask agree, failures are isolated, interrupted sweeps resume."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from memsim import api
from memsim.scenario import load
from memsim.sweep import METRICS, Progress, SweepExistsError, read_table, sweep

GRID = {"vms.web.count": [1, 2], "host.advanced.Mem.IdleTax": [0, 75]}


@pytest.fixture
def scenario(write_small_scenario):
    return load(write_small_scenario())


def _numbers(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=["wall_time"])


def test_serial_sweep_writes_table_runs_and_report(scenario, tmp_path: Path) -> None:
    seen: list[Progress] = []
    table = sweep(scenario, tmp_path / "out", grid=GRID, seeds=2, progress=seen.append)
    assert len(table) == 8 and (table["status"] == "ok").all()
    assert list(table["run"]) == list(range(8))
    assert {*METRICS, "seed", "replicate", "error", "attempts"} <= set(table.columns)
    assert table.attrs["axes"] == list(GRID)
    out = tmp_path / "out"
    for folder in table["folder"]:
        assert (out / folder / "vms.parquet").exists()
        assert not (out / folder / "report.html").exists()
    pd.testing.assert_frame_equal(read_table(out), table, check_like=True)
    assert (out / "report.html").read_text().count("data:image/png;base64,") == 1
    assert (seen[0].done, seen[0].total, seen[0].row) == (0, 8, None)
    assert (seen[-1].done, seen[-1].failed, seen[-1].left) == (8, 0, 0)


def test_serial_sweeps_do_not_import_dask(scenario) -> None:
    code = (
        "import sys, memsim.sweep as s, memsim.scenario as sc;"
        f"s.sweep(sc.load({str(scenario.source)!r}), grid={{'vms.web.count': [1]}});"
        "assert 'distributed' not in sys.modules and 'dask' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_dask_gives_the_same_numbers(scenario) -> None:
    distributed = pytest.importorskip("distributed")
    serial = sweep(scenario, grid=GRID)
    with distributed.Client(processes=False, n_workers=2, threads_per_worker=1) as client:
        parallel = sweep(scenario, grid=GRID, client=client)
    pd.testing.assert_frame_equal(_numbers(serial), _numbers(parallel))


def test_seeds_change_results_but_not_between_repeats(scenario) -> None:
    first = sweep(scenario, grid={"vms.web.count": [2]}, seeds=2)
    again = sweep(scenario, grid={"vms.web.count": [2]}, seeds=2)
    pd.testing.assert_frame_equal(_numbers(first), _numbers(again))
    assert first["seed"].nunique() == 2


def _failing_at(monkeypatch, bad: dict[str, object], *, always: bool = True) -> list[dict]:
    """Make api.run raise for one grid point; returns the list of points attempted."""
    calls: list[dict] = []
    real = api.run

    def run(scenario, *, seed=None, overrides=None, progress=None):
        calls.append(dict(overrides or {}))
        if dict(overrides or {}) == bad and (always or calls.count(bad) == 1):
            raise RuntimeError("boom")
        return real(scenario, seed=seed, overrides=overrides, progress=progress)

    monkeypatch.setattr(api, "run", run)
    return calls


def test_a_failing_run_is_retried_once_then_recorded(scenario, monkeypatch, tmp_path) -> None:
    bad = {"vms.web.count": 1, "host.advanced.Mem.IdleTax": 75}
    calls = _failing_at(monkeypatch, bad)
    table = sweep(scenario, tmp_path / "out", grid=GRID)
    assert calls.count(bad) == 2
    failed = table[table["status"] == "failed"]
    assert list(failed["run"]) == [1]
    assert failed["error"].iloc[0] == "RuntimeError: boom"
    assert failed["attempts"].iloc[0] == 2 and failed["worst_mean_latency"].isna().all()
    assert (table.drop(index=failed.index)["status"] == "ok").all()
    assert "Failed runs" in (tmp_path / "out" / "report.html").read_text()


def test_a_flaky_run_succeeds_on_retry(scenario, monkeypatch) -> None:
    bad = {"vms.web.count": 2, "host.advanced.Mem.IdleTax": 0}
    _failing_at(monkeypatch, bad, always=False)
    table = sweep(scenario, grid=GRID)
    assert (table["status"] == "ok").all()
    assert table.loc[table["run"] == 2, "attempts"].item() == 2


def test_interrupted_sweep_keeps_finished_runs_and_resume_runs_the_rest(
    scenario, monkeypatch, tmp_path
) -> None:
    out = tmp_path / "out"
    calls: list[dict] = []
    real = api.run

    def interrupted(scenario, *, seed=None, overrides=None, progress=None):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(dict(overrides or {}))
        return real(scenario, seed=seed, overrides=overrides, progress=progress)

    monkeypatch.setattr(api, "run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        sweep(scenario, out, grid=GRID)
    assert list(read_table(out)["run"]) == [0, 1]

    monkeypatch.setattr(api, "run", real)
    with pytest.raises(SweepExistsError, match="--resume"):
        sweep(scenario, out, grid=GRID)
    resumed = _failing_at(monkeypatch, {"none": 0})
    table = sweep(scenario, out, grid=GRID, resume=True)
    assert len(resumed) == 2 and list(table["run"]) == [0, 1, 2, 3]
    assert (table["status"] == "ok").all()

    resumed.clear()
    sweep(scenario, out, grid=GRID, resume=True)
    assert resumed == []  # nothing left to run
    with pytest.raises(SweepExistsError, match="different sweep"):
        sweep(scenario, out, grid=GRID, seeds=2, resume=True)
