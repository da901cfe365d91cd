"""vCenter long form (Get-Stat | Export-Csv): a run written and read back gives its counters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from memsim.capture.compare import compare_capture
from memsim.capture.vcenter import COLUMNS, read_vcenter, write_vcenter
from tests.support.synthetic_results import make_results


def test_export_is_get_stat_long_form(tmp_path: Path) -> None:
    path = tmp_path / "stats.csv"
    write_vcenter(make_results(2), path, host="esx01")
    frame = pd.read_csv(path)
    assert tuple(frame.columns) == COLUMNS
    assert path.read_text().startswith('"Value","Timestamp","MetricId"')
    consumed = frame[(frame["MetricId"] == "mem.consumed.average") & (frame["Entity"] == "vm-1")]
    assert (consumed["Unit"] == "KB").all() and consumed["Timestamp"].iloc[
        0
    ] == "2000-01-01T00:00:00Z"
    assert set(frame["Entity"]) == {"esx01", "vm-1", "vm-2"}
    assert (frame["IntervalSecs"] == 20).all()


def test_run_to_vcenter_and_back(tmp_path: Path) -> None:
    results = make_results(3)
    path = tmp_path / "stats.csv"
    write_vcenter(results, path)
    capture = read_vcenter(path)
    assert capture.host_name == "memsim" and capture.interval == 20.0
    assert list(capture.host["state"]) == list(results.host["state"])
    shared = [c for c in capture.host if c != "state" and c in results.host]
    assert {"vmmemctl", "swapped"} <= set(shared)
    for counter in shared:
        np.testing.assert_allclose(capture.host[counter], results.host[counter], rtol=1e-9)
    back = compare_capture(results, capture).errors
    per_vm = back[back["scope"] != "host"]
    assert len(per_vm) > 10 and (per_vm["mae"] <= 1e-6).all()


def test_rejects_other_csv(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="Get-Stat"):
        read_vcenter(path)
