"""Trace replay (DESIGN.md §4.1 ``trace:``): a CSV of time, active, footprint, or an esxtop
capture and a VM name, drives a simulated VM."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from memsim.api import run
from memsim.scenario import ScenarioError, loads

FIXTURE = Path(__file__).parent / "data" / "esxtop" / "capture.csv"


def scenario_with(trace: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    text = f"""
name: trace
duration: 3min
record_every: 10s
host: {{memory: 2GiB, vmkernel: 100MiB}}
vms:
  - {{name: replay, memory: 512MiB, workload: {{trace: {trace}}}}}
"""
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return loads(text, source=path)


def test_a_csv_trace_drives_the_footprint(tmp_path: Path) -> None:
    (tmp_path / "vm.csv").write_text("time,active,footprint\n0,10,100\n60,50,300\n120,20,150\n")
    results = run(scenario_with("vm.csv", tmp_path))
    held = results.vm("replay")["held"]
    assert held.loc[50] == pytest.approx(100, abs=1)
    assert held.loc[110] == pytest.approx(300, abs=1)
    # a smaller footprint later leaves the pages touched (the guest frees, the host keeps them)
    assert held.loc[170] == pytest.approx(300, abs=1)


def test_an_esxtop_capture_replays_one_vm(tmp_path: Path) -> None:
    shutil.copy(FIXTURE, tmp_path / "capture.csv")
    trace = "{file: capture.csv, vm: web 01}"
    results = run(scenario_with(trace, tmp_path))
    assert results.vm("replay")["held"].iloc[-1] > 0


def test_a_trace_without_its_columns_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("t,act\n0,10\n")
    with pytest.raises(ScenarioError) as err:
        scenario_with("bad.csv", tmp_path)
    assert "has no column time, active, footprint" in str(err.value)
    assert err.value.errors[0].line == 7


def test_an_esxtop_capture_without_the_vm_is_refused(tmp_path: Path) -> None:
    shutil.copy(FIXTURE, tmp_path / "capture.csv")
    with pytest.raises(ScenarioError) as err:
        scenario_with("{file: capture.csv, vm: nosuchvm}", tmp_path)
    assert "no VM named 'nosuchvm'" in str(err.value)
