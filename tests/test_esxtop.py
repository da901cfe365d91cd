"""esxtop batch CSV: export, tolerant import, and the real captures of data/esxtop/."""

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from memsim.capture.esxtop import PDH_HEADER, read_esxtop, write_esxtop
from memsim.capture.fit import provenance, scenario_dict, workload_trace
from memsim.capture.importer import import_scenario
from memsim.scenario import load
from memsim.units import MIB
from tests.support.synthetic_results import make_results

FIXTURE = Path(__file__).parent / "data" / "esxtop" / "capture.csv"
REAL_DIR = Path(__file__).parents[1].parent / "shared" / "data" / "esxtop"
FULL = REAL_DIR / "rach-sharp_esxtopd_esxtop-data.csv"
SMALL = REAL_DIR / "rach-sharp_esxtopd_small-esxtop-data.csv"
needs_real = pytest.mark.skipif(
    not FULL.exists(),
    reason=f"real esxtop captures not found at {REAL_DIR} (unlicensed; kept outside the repo)",
)


def min_free_mib(managed: float) -> float:
    """ESXi 5+ sliding scale (docs/model.md §1): 6 % of 4 GiB, 4 % of 8, 2 % of 16, 1 % of rest."""
    bands = ((4096, 0.06), (8192, 0.04), (16384, 0.02), (float("inf"), 0.01))
    total, rest = 0.0, managed
    for size, pct in bands:
        total += pct * min(rest, size)
        rest = max(0.0, rest - size)
    return total


# ------------------------------------------------------------------------------- export


def test_export_format(tmp_path: Path) -> None:
    path = tmp_path / "esxtop.csv"
    write_esxtop(make_results(2), path)
    raw = path.read_text()
    assert raw.startswith(f'"{PDH_HEADER}","\\\\memsim\\Memory\\')
    rows = list(csv.reader(raw.splitlines()))
    header = rows[0]
    assert "\\\\memsim\\Memory\\Free MBytes" in header
    assert "\\\\memsim\\Group Memory(1000:vm-1)\\Memory Size MBytes" in header
    assert rows[1][0] == "01/01/2000 00:00:00" and rows[2][0] == "01/01/2000 00:00:20"
    assert all(line.startswith('"') and line.endswith('"') for line in raw.splitlines())
    assert "\r" not in raw  # LF line endings, as esxtop on ESXi writes them
    limit = header.index("\\\\memsim\\Group Memory(1000:vm-1)\\Alloc Max")
    assert rows[1][limit] == "-1"  # unlimited, as esxtop writes it


def test_export_reads_as_esxtop(tmp_path: Path) -> None:
    """Column order, whole numbers and derived host counters as a real ESXi 6.x capture."""
    path = tmp_path / "esxtop.csv"
    write_esxtop(make_results(2), path)
    rows = list(csv.reader(path.read_text().splitlines()))
    header, first = rows[0], dict(zip(rows[0], rows[1], strict=True))
    objects = [c.split("\\")[3].split("(")[0] for c in header[1:]]
    # host Memory first, then every Group Cpu, every Group Memory, every Network Port
    order = ["Memory", "Group Cpu", "Group Memory", "Network Port"]
    assert objects == sorted(objects, key=order.index)
    host = "\\\\memsim\\Memory\\"
    assert header[1] == host + "Memory Overcommit (1 Minute Avg)"
    machine, kernel, nonkernel, free = (
        int(first[host + c])
        for c in ("Machine MBytes", "Kernel MBytes", "NonKernel MBytes", "Free MBytes")
    )
    assert abs(kernel + nonkernel + free - machine) <= 2  # each truncated to whole MB
    assert first[host + "Kernel State"] in {"0", "1", "2", "3", "4"}
    vm = "\\\\memsim\\Group Memory(1000:vm-1)\\"
    assert first[vm + "Memory Size MBytes"].endswith(".00")
    assert "." not in first[vm + "% Active Estimate"] and "." not in first[vm + "Alloc Shares"]
    assert "\\\\memsim\\Group Cpu(1000:vm-1)\\Members" in header
    # a port per VM, named as ESXi names a VM's port: switch, port id, world id, VM name
    ports = [c for c in header if "\\Network Port(" in c]
    assert [p.split("(")[1].split(")")[0].split(":")[2:] for p in ports] == [
        ["1000", "vm-1"],
        ["1001", "vm-2"],
    ]
    assert first[ports[0]] == "0"  # Link Up? is 0 on a VM's virtual port, as esxtop writes it


def test_round_trip(tmp_path: Path) -> None:
    results = make_results(3)
    path = tmp_path / "esxtop.csv"
    write_esxtop(results, path)
    capture = read_esxtop(path)
    assert capture.interval == 20.0
    assert list(capture.host["state"]) == list(results.host["state"])
    for counter in ("free", "minFree", "vmmemctl", "swapped", "sharedSaved", "compressed"):
        # host totals are whole MB, truncated, as esxtop writes them
        np.testing.assert_allclose(capture.host[counter], results.host[counter], atol=1.0)
    for counter in ("consumed", "granted", "vmmemctl", "swapped", "latency"):
        np.testing.assert_allclose(capture.vms[counter], results.vms[counter], atol=0.006)
    # % Active Estimate is a whole number, as esxtop writes it: 1 % of the memory size
    assert (
        np.abs(capture.vms["active"] - results.vms["active"]) <= 0.01 * results.vms["memory"]
    ).all()
    assert list(pd.unique(capture.vms["vm"])) == results.vm_names
    assert capture.settings["vm-1"]["reservation"] == 256
    assert capture.settings["vm-1"]["limit"] is None
    assert capture.settings["vm-2"]["limit"] == 768
    assert capture.settings["vm-3"]["shares"] == 10240


def test_export_leaves_absent_counters_out(tmp_path: Path) -> None:
    path = tmp_path / "esxtop.csv"
    write_esxtop(make_results(1, drop=("swapped", "state")), path)
    capture = read_esxtop(path)
    assert "swapped" not in capture.vms and "swapped" not in capture.host
    assert "state" not in capture.host


# ------------------------------------------------------------------------------- import


def test_fixture_quirks() -> None:
    capture = read_esxtop(FIXTURE)
    assert capture.host_name == "lab-esx01"
    assert sorted(capture.settings) == ["db", "web 01"]  # user world hostd.1234 left out
    assert list(capture.host.index) == [0.0, 5.0, 10.0]
    assert capture.host["state"].iloc[0] == "clear"
    web = capture.settings["web 01"]
    assert web == {"memory": 4096.0, "reservation": 0.0, "limit": None, "shares": "normal"}
    assert capture.settings["db"]["limit"] == 6144 and capture.settings["db"]["shares"] == 40960
    first = capture.vms.loc[0.0].set_index("vm")
    assert first.loc["web 01", "active"] == pytest.approx(0.15 * 4096)
    assert first["vmmemctl"].sum() == capture.host["vmmemctl"].iloc[0]
    assert first["swapped"].sum() == capture.host["swapped"].iloc[0]
    assert first["sharedSaved"].sum() == capture.host["sharedSaved"].iloc[0]
    assert capture.host["minFree"].iloc[0] == pytest.approx(min_free_mib(16000), abs=1)


def test_rejects_other_csv(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="PDH-CSV"):
        read_esxtop(path)


def test_workload_trace() -> None:
    trace = workload_trace(read_esxtop(FIXTURE), "db")
    assert list(trace.columns) == ["time", "active", "footprint"]
    assert trace["footprint"].iloc[0] == 6000 + 200  # granted + swapped (no cache column)
    assert trace["active"].iloc[0] == pytest.approx(0.30 * 8192)
    assert (trace["active"] <= trace["footprint"]).all()
    with pytest.raises(KeyError):
        workload_trace(read_esxtop(FIXTURE), "nope")


def test_scenario_dict() -> None:
    capture = read_esxtop(FIXTURE)
    scenario = scenario_dict(capture, "lab")
    # no Kernel MBytes in this fixture: machine - managed
    assert scenario["host"] == {"profile": "esxi6", "memory": "16384MiB", "vmkernel": "384MiB"}
    # the capture's length (3 samples 5 s apart), not samples x interval
    assert scenario["duration"] == "10s" and scenario["record_every"] == "5s"
    web, db = scenario["vms"]
    assert web["name"] == "web-01" and web["memory"] == "4096MiB"
    assert web["workload"]["trace"] == "traces/web-01.csv"
    assert web["workload"]["active"] == f"{0.15 * 4096:.2f}MiB"
    assert db["reservation"] == "2048MiB" and db["limit"] == "6144MiB" and db["shares"] == 40960
    start = scenario["start_from"]
    assert start["host"] == {"state": "clear", "free": f"{capture.host['free'].iloc[0]:.0f}MiB"}
    first = capture.vms.loc[0.0].set_index("vm").loc["db"]
    assert start["vms"]["db"]["balloon"] == f"{first['vmmemctl']:.2f}MiB"
    assert start["vms"]["db"]["swapped"] == f"{first['swapped']:.2f}MiB"
    header = provenance(capture, "capture.csv")
    assert all(line.startswith("# ") for line in header.splitlines())
    assert "Estimated:" in header and "Left out:" in header


def test_import_scenario_writes_yaml_and_traces(tmp_path: Path) -> None:
    out = import_scenario(FIXTURE, tmp_path / "lab.yaml")
    text = out.read_text()
    assert "traces/web-01.csv" in text and "name: capture" in text
    trace = pd.read_csv(tmp_path / "traces" / "db.csv")
    assert list(trace.columns) == ["time", "active", "footprint"]
    scenario = load(out)
    assert [vm.name for vm in scenario.machines()] == ["web-01", "db"]
    assert scenario.machines()[1].limit == 6144 * MIB


# ------------------------------------------------------------------------- real captures


@needs_real
@pytest.mark.parametrize("path", [FULL, SMALL], ids=["full", "small"])
def test_real_capture_vm_sums_match_host_totals(path: Path) -> None:
    capture = read_esxtop(path)
    assert sorted(capture.settings) == sorted(
        ["styx", "portunus", "hermes", "ananke", "ouranos", "poseidon"]
    )
    sums = capture.vms.groupby(level="time").sum(numeric_only=True)
    pairs = [("swapped", "swapped")]
    if "vmmemctl" in capture.vms:
        pairs += [("vmmemctl", "vmmemctl"), ("sharedSaved", "sharedSaved")]
    for vm_counter, host_counter in pairs:
        # esxtop prints host totals as whole MB, truncated
        np.testing.assert_allclose(sums[vm_counter], capture.host[host_counter], atol=1.0)


@needs_real
def test_real_capture_readme_values() -> None:
    capture = read_esxtop(FULL)
    first = capture.vms.loc[0.0].set_index("vm")
    assert first.loc["portunus", "swapped"] == pytest.approx(459.80)
    assert first.loc["hermes", "cacheSize"] == pytest.approx(53.38)
    assert first["vmmemctl"].sum() == pytest.approx(5154.8, abs=0.05)
    assert capture.host["state"].iloc[0] == "clear"
    assert capture.settings["styx"]["shares"] == "normal"
    assert list(capture.host["free"]) == [590, 591, 589]


@needs_real
@pytest.mark.parametrize("path", [FULL, SMALL], ids=["full", "small"])
def test_real_capture_min_free_is_sliding_scale(path: Path) -> None:
    capture = read_esxtop(path)
    managed = capture.host["managed"].iloc[0]
    assert managed == 8043
    assert capture.host["minFree"].iloc[0] == pytest.approx(min_free_mib(managed), abs=1.0)


@needs_real
def test_real_capture_imports_as_scenario(tmp_path: Path) -> None:
    out = import_scenario(SMALL, tmp_path / "lab.yaml")
    assert len(list((tmp_path / "traces").glob("*.csv"))) == 6
    scenario = load(out)
    assert scenario.host.memory == 8083 * MIB
    assert {vm.name for vm in scenario.machines()} >= {"styx", "poseidon"}


def test_each_capture_is_read_once_per_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two VMs replaying the same capture: the file is read once, not once per VM."""
    from memsim.workload import spec

    calls: list[Path] = []
    real = spec.read_esxtop

    def counting(path: Path):  # type: ignore[no-untyped-def]
        calls.append(Path(path))
        return real(path)

    monkeypatch.setattr(spec, "read_esxtop", counting)
    text = f"""name: two
duration: 10s
host: {{memory: 32GiB, profile: esxi6}}
vms:
  - {{name: a, memory: 4GiB, workload: {{trace: {{file: {FIXTURE}, vm: web 01}}}}}}
  - {{name: b, memory: 8GiB, workload: {{trace: {{file: {FIXTURE}, vm: db}}}}}}
"""
    from memsim.scenario import loads

    changes = spec.timeline(loads(text).machines())
    assert calls == [FIXTURE]
    assert {c.vm for c in changes} == {0, 1}
