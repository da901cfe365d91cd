"""Results: frames indexed by time, save/load round trip, files of DESIGN.md §4.2."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from memsim.results import Results, load_results
from memsim.results.store import run_id
from tests.support.synthetic_results import make_results


def test_frames_are_indexed_by_time() -> None:
    results = make_results(2)
    assert results.vms.index.name == "time" and results.host.index.name == "time"
    assert results.vms.index.dtype == float
    assert list(results.events.columns[:4]) == ["time", "kind", "vm", "detail"]
    assert results.vm_names == ["vm-1", "vm-2"]
    assert "vm" not in results.vm("vm-1")
    assert "2 VMs" in repr(results)


def test_time_index_plots_directly() -> None:
    ax = Figure().subplots()
    make_results(1).host["free"].plot(ax=ax)
    assert ax.get_xlabel() == "time"


def test_save_writes_design_files(tmp_path: Path) -> None:
    out = make_results(2).save(tmp_path / "run", fmt="csv")
    names = {p.name for p in out.iterdir()}
    expected = {"vms.parquet", "host.parquet", "events.csv", "manifest.json", "esxtop.csv"}
    assert expected | {"vms.csv", "host.csv", "report.html", "figures"} <= names
    assert (out / "figures" / "host_memory.png").read_bytes().startswith(b"\x89PNG")
    on_disk = pd.read_parquet(out / "vms.parquet")
    assert list(on_disk.columns[:2]) == ["time", "vm"]  # time is a column on disk


def test_round_trip(tmp_path: Path) -> None:
    results = make_results(3)
    loaded = load_results(results.save(tmp_path / "run", report=False))
    pd.testing.assert_frame_equal(loaded.vms, results.vms)
    pd.testing.assert_frame_equal(loaded.host, results.host)
    assert {k: v for k, v in loaded.manifest.items() if k != "run_id"} == results.manifest
    assert loaded.manifest["run_id"] == run_id(results)  # the folder's files were checked
    assert loaded.scenario is None
    assert list(loaded.events["kind"]) == list(results.events["kind"])
    assert np.isnan(loaded.vms["limit"]).any()  # unlimited stays NaN, not 0
    assert loaded.summary().vms.equals(results.summary().vms)


def test_load_from_csv_only(tmp_path: Path) -> None:
    out = make_results(1).save(tmp_path / "run", fmt="csv", report=False)
    (out / "vms.parquet").unlink()
    assert load_results(out).vm_names == ["vm-1"]


def test_absent_counters_stay_absent(tmp_path: Path) -> None:
    results = make_results(1, drop=("swapped", "latency"))
    loaded = load_results(results.save(tmp_path / "run"))
    assert "swapped" not in loaded.vms and "latency" not in loaded.vms


def test_bad_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="fmt"):
        make_results(1).save(tmp_path / "x", fmt="xlsx")


def test_events_get_missing_columns() -> None:
    base = make_results(1)
    results = Results(None, base.vms, base.host, pd.DataFrame({"time": [1.0]}), {"name": "x"})
    assert list(results.events.columns) == ["time", "kind", "vm", "detail"]
    assert results.name == "x"
