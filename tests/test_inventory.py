"""``memsim import inventory``: RVTools and PowerCLI inventories seed a scenario's VMs.

Fixtures (``tests/data/vcenter``, made by ``make_fixtures.py``, not exported from a real
vCenter): the same five VMs as RVTools ``vMemory`` and ``vInfo`` CSVs, an RVTools workbook and
a PowerCLI ``Get-VM | Export-Csv`` with ``Get-VMResourceConfiguration`` columns.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from memsim.capture.importer import import_inventory
from memsim.capture.inventory import read_inventory
from memsim.cli import app
from memsim.scenario import load
from memsim.units import GIB

DATA = Path(__file__).parent / "data" / "vcenter"
runner = CliRunner()
FILES = {
    "RVTools vMemory": DATA / "RVTools_tabvMemory.csv",
    "RVTools vInfo": DATA / "RVTools_tabvInfo.csv",
    "PowerCLI Get-VM": DATA / "powercli-get-vm.csv",
}


@pytest.mark.parametrize("kind", list(FILES))
def test_each_format_reads_the_same_vms(kind: str) -> None:
    read, vms = read_inventory(FILES[kind])
    assert read == kind
    by_name = {vm.name: vm for vm in vms}
    assert by_name["sql01"].memory == 16384 and by_name["old-test"].power == "off"
    assert "windows" in by_name["sql01"].guest
    if kind != "RVTools vInfo":  # vInfo has no reservation, limit or shares
        assert by_name["sql01"].reservation == 8192 and by_name["sql01"].shares == "high"
        assert by_name["app01"].limit == 6144 and by_name["web01"].limit is None
        assert by_name["dc01"].shares == "low"


def test_the_workbook_reads_its_vmemory_sheet() -> None:
    kind, vms = read_inventory(DATA / "RVTools_export.xlsx")
    assert kind == "RVTools vMemory"
    assert read_inventory(FILES["RVTools vMemory"])[1] == vms


def test_seeded_scenario_loads_with_the_settings(tmp_path: Path) -> None:
    path, _, _ = import_inventory(FILES["PowerCLI Get-VM"], tmp_path / "s.yaml", 32 * GIB)
    text = path.read_text()
    assert "Left out: powered-off or suspended VMs (old-test)" in text
    scenario = load(path)
    vms = {vm.name: vm for vm in scenario.machines()}
    assert set(vms) == {"sql01", "web01", "app01", "dc01"}
    # high and low: 20 and 5 shares per MiB of memory
    assert vms["sql01"].shares == 20 * 16384 and vms["dc01"].shares == 5 * 4096
    assert vms["app01"].limit == 6 * GIB and vms["web01"].guest == "linux"
    assert scenario.host.memory == 32 * GIB


def test_cli_prints_the_overcommit_ratio(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["import", "inventory", str(FILES["RVTools vMemory"]), "--host-memory", "24GiB",
         "-o", str(tmp_path / "s.yaml")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # 16 + 8 + 8 + 4 GiB powered on (old-test is off) on 24 GiB
    assert "36.0 GiB configured on 4 powered-on VMs / 24.0 GiB host memory = 1.50" in result.output


def test_custom_shares_are_the_number(tmp_path: Path) -> None:
    path = tmp_path / "vms.csv"
    path.write_text(
        "Name,PowerState,MemoryGB,MemSharesLevel,NumMemShares\nbig,PoweredOn,4,Custom,122880\n"
    )
    assert read_inventory(path)[1][0].shares == 122880


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("a,b\n1,2\n", "not an inventory this reads"),
        ("VM,Powerstate,Size MiB\nvm1,poweredOn,4096\nvm2,poweredOn,lots\n",
         "line 3, column 'Size MiB': 'lots' is not a memory size"),
        ("VM,Powerstate,Size MiB\nvm1,running,4096\n",
         "line 2, column 'Powerstate': 'running' is not a power state"),
        ("VM,Powerstate,Size MiB,Level\nvm1,poweredOn,4096,medium\n",
         "line 2, column 'Level': 'medium' is not a share level (low, normal, high or custom)"),
        ("#TYPE x\nName,PowerState,MemoryMB,MemReservationMB\nvm1,PoweredOn,1024,2048\n",
         "line 3, column 'MemReservationMB': the reservation must be 0"),
        ("VM,Powerstate,Size MiB\nvm1,poweredOn,1024\nvm1,poweredOn,1024\n",
         "appear more than once: vm1"),
    ],
)  # fmt: skip
def test_bad_inventories_are_located(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    result = runner.invoke(
        app,
        ["import", "inventory", str(bad), "--host-memory", "64GiB", "-o", str(tmp_path / "s.yaml")],
    )
    assert result.exit_code == 2
    assert message in result.output and str(bad) in result.output
    assert "Traceback" not in result.output and not (tmp_path / "s.yaml").exists()


def test_a_broken_workbook_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip")
    result = runner.invoke(
        app,
        ["import", "inventory", str(bad), "--host-memory", "64GiB", "-o", str(tmp_path / "s.yaml")],
    )
    assert result.exit_code == 2 and "not a readable XLSX workbook" in result.output
