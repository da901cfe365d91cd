"""``memsim import vcenter``: a Get-Stat export in, a warm-starting scenario out, a run back.

The fixtures of ``tests/data/vcenter`` are made (``make_fixtures.py``), not captured: a
PowerCLI realtime export (20 s, KB, real metric ids, newest sample first, a ``#TYPE`` line)
of a 32 GiB host with four VMs, and inventories of the same VMs.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from memsim.api import run
from memsim.capture.compare import compare_capture
from memsim.capture.importer import import_scenario, import_vcenter
from memsim.capture.sources import capture_kind, read_capture
from memsim.capture.vcenter import read_vcenter, write_vcenter
from memsim.cli import app
from memsim.scenario import load
from memsim.units import GIB, MIB

DATA = Path(__file__).parent / "data"
EXPORT = DATA / "vcenter" / "esx01-realtime.csv"
INVENTORY = DATA / "vcenter" / "RVTools_tabvMemory.csv"
runner = CliRunner()


def test_reads_a_powercli_export() -> None:
    capture = read_vcenter(EXPORT)
    assert capture.host_name == "esx01.lab.local" and capture.interval == 20.0
    assert sorted(capture.vms["vm"].unique()) == ["app01", "dc01", "sql01", "web01"]
    assert len(capture.host) == 15 and capture.host["state"].iloc[0] == "clear"
    assert capture.host["kernel"].iloc[0] == pytest.approx(1800.0)  # mem.sysUsage, KB → MiB
    web = capture.vms[capture.vms["vm"] == "web01"]
    assert web["vmmemctl"].iloc[0] == pytest.approx(1400.0)
    assert web.index.is_monotonic_increasing  # Get-Stat lists the newest first
    assert (
        capture_kind(EXPORT) == "vcenter"
        and capture_kind(DATA / "esxtop" / "capture.csv") == "esxtop"
    )


def test_import_takes_sizes_from_the_inventory(tmp_path: Path) -> None:
    path, _ = import_vcenter(EXPORT, tmp_path / "s.yaml", 32 * GIB, INVENTORY)
    text = path.read_text()
    assert text.startswith("# memsim scenario imported from esx01-realtime.csv")
    assert "inventory VMs without counters:\n#   old-test." in text
    scenario = load(path)
    vms = {vm.name: vm for vm in scenario.machines()}
    assert set(vms) == {"sql01", "web01", "app01", "dc01"}
    assert vms["sql01"].memory == 16 * GIB and vms["sql01"].reservation == 8 * GIB
    assert vms["app01"].limit == 6 * GIB and vms["sql01"].guest == "windows"
    assert scenario.host.memory == 32 * GIB and scenario.host.vmkernel == 1800 * MIB
    start = scenario.start_from
    assert start is not None and start.host.state == "clear"
    first = read_vcenter(EXPORT).vms.groupby("vm").head(1).set_index("vm")
    for name in vms:
        assert start.vms[name].balloon == pytest.approx(first.loc[name, "vmmemctl"] * MIB, abs=MIB)
        assert start.vms[name].swapped == pytest.approx(first.loc[name, "swapped"] * MIB, abs=MIB)
        # the compression cache is half the compressed guest memory
        assert start.vms[name].compressed == pytest.approx(
            first.loc[name, "compressed"] / 2 * MIB, abs=MIB
        )


def test_without_an_inventory_the_sizes_are_estimated(tmp_path: Path) -> None:
    path, capture = import_vcenter(EXPORT, tmp_path / "s.yaml", 32 * GIB)
    assert "in whole GiB, for: sql01, web01, app01, dc01;" in path.read_text()
    vms = {vm.name: vm for vm in load(path).machines()}
    frame = capture.vms[capture.vms["vm"] == "web01"]
    held = (frame["granted"] + frame["swapped"] + frame["compressed"] + frame["vmmemctl"]).max()
    assert vms["web01"].memory >= held * MIB and vms["web01"].memory % GIB == 0
    assert vms["web01"].memory - held * MIB < GIB


def _powercli_inventory(scenario_path: Path, path: Path) -> None:
    scenario = load(scenario_path)
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Name", "PowerState", "MemoryMB", "MemReservationMB", "MemLimitMB"])
        for vm in scenario.machines():
            limit = -1 if vm.limit is None else vm.limit // MIB
            writer.writerow([vm.name, "PoweredOn", vm.memory // MIB, vm.reservation // MIB, limit])


def test_run_to_vcenter_and_import_reproduces_the_counters(tmp_path: Path) -> None:
    """memsim → vCenter CSV → import → run: the imported scenario starts where the first run
    was (per-VM granted and swapped as recorded) and replays its active memory."""
    first_path = import_scenario(DATA / "esxtop" / "capture.csv", tmp_path / "lab.yaml")
    first = run(load(first_path))
    export = tmp_path / "stats.csv"
    write_vcenter(first, export, host="lab")
    _powercli_inventory(first_path, tmp_path / "vms.csv")
    path, capture = import_vcenter(
        export, tmp_path / "again" / "lab.yaml", load(first_path).host.memory, tmp_path / "vms.csv"
    )
    again = load(path)
    assert [vm.memory for vm in again.machines()] == [vm.memory for vm in first.scenario.machines()]
    for vm in first.vm_names:
        trace = pd.read_csv(path.parent / "traces" / f"{vm}.csv")
        recorded = first.vm(vm)
        assert trace["active"].to_numpy() == pytest.approx(recorded["active"].to_numpy(), abs=1e-6)
    errors = compare_capture(run(again), capture).errors
    for vm in first.vm_names:
        rows = errors[errors["scope"] == vm].set_index("counter")
        assert rows.loc["granted", "relative"] < 0.05
        assert rows.loc["swapped", "mae"] < 0.05 * max(rows.loc["swapped", "captured"], 1.0)


def test_check_reads_a_vcenter_export(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    result = runner.invoke(
        app,
        ["import", "vcenter", str(EXPORT), "--host-memory", "32GiB", "--inventory",
         str(INVENTORY), "-o", str(scenario)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "= 1.12" in result.output  # 36 GiB configured on a 32 GiB host
    out = tmp_path / "run"
    assert runner.invoke(app, ["run", str(scenario), "-o", str(out), "-q"]).exit_code == 0
    result = runner.invoke(app, ["check", str(out), "--capture", str(EXPORT)])
    assert result.exit_code in (0, 1), result.output
    errors = pd.read_csv(out / "capture-check" / "errors.csv")
    assert {"host", "sql01", "web01", "app01", "dc01"} <= set(errors["scope"])
    granted = errors[errors["counter"] == "granted"]
    assert (granted["relative"] < 0.05).all()  # placed as captured, then traced


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("a,b\n1,2\n", "not a Get-Stat export (missing Value, Timestamp, MetricId, Entity"),
        (
            "Value,Timestamp,MetricId,Unit,Entity,IntervalSecs,Instance\n"
            "1,2026-12-02T09:00:00Z,mem.granted.average,KB,vm1,20,\n"
            "x,2026-12-02T09:00:20Z,mem.granted.average,KB,vm1,20,\n",
            "line 3, column Value: 'x' is not a number",
        ),
        (
            "Value,Timestamp,MetricId,Unit,Entity,IntervalSecs,Instance\n"
            "1,yesterday,mem.granted.average,KB,vm1,20,\n",
            "line 2, column Timestamp: 'yesterday' is not a date and time",
        ),
    ],
)
def test_bad_exports_are_located(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    result = runner.invoke(
        app,
        ["import", "vcenter", str(bad), "--host-memory", "32GiB", "-o", str(tmp_path / "s.yaml")],
    )
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "s.yaml").exists()


def test_host_memory_is_checked(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["import", "vcenter", str(EXPORT), "--host-memory", "lots", "-o", str(tmp_path / "s.yaml")],
    )
    assert result.exit_code == 2 and "--host-memory" in result.output


def test_read_capture_reads_both_kinds() -> None:
    assert read_capture(EXPORT).host_name == "esx01.lab.local"
    assert read_capture(DATA / "esxtop" / "capture.csv").vms["vm"].nunique() >= 2
