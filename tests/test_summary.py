"""Summary tables on hand-made frames whose answers are worked out by hand."""

import pandas as pd
import pytest

from memsim.results.summary import host_summary, sample_weights, vm_summary


def _vms() -> pd.DataFrame:
    t = [0.0, 10.0, 20.0, 30.0]
    return pd.DataFrame(
        {
            "vm": ["a"] * 4 + ["b"] * 4,
            "consumed": [100, 200, 300, 200, 50, 50, 50, 50],
            "vmmemctl": [0, 5, 5, 0, 0, 0, 0, 0],
            "swapped": [0, 0, 1, 1, 0, 0, 0, 0],
            "swapinRate": [0, 1, 2, 0, 0, 0, 0, 0],
            "latency": [0, 10, 20, 10, 0, 0, 0, 0],
            "throughput": [1, 0.8, 0.6, 0.6, 1, 1, 1, 1],
        },
        index=pd.Index(t + t, name="time"),
    )


def test_sample_weights_last_sample_gets_median_gap() -> None:
    weights = sample_weights(pd.Index([0.0, 10.0, 30.0, 30.0]))
    assert list(weights) == [10.0, 20.0, 15.0]
    assert list(sample_weights(pd.Index([0.0, 10.0, 30.0]), end=30.0)) == [10.0, 20.0, 0.0]


def test_vm_summary_values() -> None:
    table = vm_summary(_vms())
    a = table.loc["a"]
    assert a["consumed_peak"] == 300
    assert a["consumed_mean"] == pytest.approx(200)
    assert a["ballooned_peak"] == 5
    assert a["ballooned_mean"] == pytest.approx(2.5)  # 5 MiB for 20 of 40 s
    assert a["swapped_peak"] == 1
    assert a["swapped_mean"] == pytest.approx(0.5)
    assert a["swapped_in"] == pytest.approx(30)  # (1 + 2) MiB/s x 10 s
    assert a["latency_mean"] == pytest.approx(10)
    assert a["latency_max"] == 20
    assert a["throughput_mean"] == pytest.approx(0.75)
    assert table.loc["b", "ballooned_peak"] == 0
    assert list(table.index) == ["a", "b"]


def test_vm_summary_leaves_out_unrecorded_counters() -> None:
    table = vm_summary(_vms().drop(columns=["swapped", "swapinRate", "latency"]))
    gone = {"swapped_peak", "swapped_mean", "swapped_in", "latency_mean", "latency_max"}
    assert not gone & set(table.columns)
    assert "ballooned_peak" in table


def test_host_summary_states_savings_and_peaks() -> None:
    host = pd.DataFrame(
        {
            "state": ["high", "soft", "soft", "hard"],
            "shared": [100.0, 120.0, 140.0, 100.0],
            "sharedcommon": [20.0, 20.0, 40.0, 20.0],
            "vmmemctl": [0.0, 50.0, 80.0, 60.0],
            "swapped": [0.0, 0.0, 10.0, 30.0],
        },
        index=pd.Index([0.0, 10.0, 20.0, 30.0], name="time"),
    )
    row = host_summary(host, name="run-1").loc["run-1"]
    assert row["time_high"] == 10 and row["time_soft"] == 20 and row["time_hard"] == 10
    assert row["time_low"] == 0
    assert "time_clear" not in row  # neither the profile nor the run has it
    assert row["sharing_saved_peak"] == 100
    assert row["sharing_saved_mean"] == pytest.approx((80 + 100 + 100 + 80) / 4)
    assert row["ballooned_peak"] == 80 and row["swapped_peak"] == 30
    assert "compressed_peak" not in row


def test_empty_vms_table() -> None:
    assert vm_summary(pd.DataFrame(index=pd.Index([], name="time"))).empty
