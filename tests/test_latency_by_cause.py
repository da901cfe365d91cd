"""Stall split by cause: ``latency`` is vCenter's (swap-in + decompression only), the other
stalls have their own counters, ``stall`` is all of them and ``throughput`` pays for all."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from memsim import api
from memsim.model.cost import (
    LATENCY_CAUSES,
    STALL_CAUSES,
    WAIT_COUNTERS,
    stall_percent,
    throughput,
    waits,
)
from memsim.results.summary import vm_summary, worst_first

seconds = arrays(np.float64, 4, elements=st.floats(0.0, 50.0))


@given(st.fixed_dictionaries({c: seconds for c in STALL_CAUSES}), st.floats(0.5, 30.0))
def test_waits_sum_to_stall_and_latency_is_swapin_and_decompression(
    stalls: dict, dt: float
) -> None:
    total = np.sum([stalls[c] for c in STALL_CAUSES], axis=0)
    split = waits(stalls, dt)
    parts = np.sum([split[WAIT_COUNTERS[c]] for c in STALL_CAUSES], axis=0)
    np.testing.assert_allclose(parts, split["stall"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(split["stall"], stall_percent(total, dt), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        split["latency"],
        np.sum([split[WAIT_COUNTERS[c]] for c in LATENCY_CAUSES], axis=0),
        rtol=1e-12,
        atol=1e-12,
    )
    np.testing.assert_allclose(throughput(total, dt), 1 - split["stall"] / 100, atol=1e-12)
    for cause in STALL_CAUSES:
        part = split[WAIT_COUNTERS[cause]]
        assert (part >= 0).all()
        # a cause never gets more than its own seconds' share of the interval
        assert (part <= 100.0 * stalls[cause] / dt + 1e-9).all()


def test_guest_paging_and_cache_misses_are_not_latency() -> None:
    dt, zero = 10.0, np.zeros(1)
    stalls = {c: zero for c in STALL_CAUSES} | {
        "guestPaging": np.array([4.0]),
        "cacheMiss": np.array([1.0]),
    }
    split = waits(stalls, dt)
    assert split["latency"][0] == 0.0
    assert split["guestSwapWait"][0] == pytest.approx(40.0)
    assert split["cacheMissWait"][0] == pytest.approx(10.0)
    assert split["stall"][0] == pytest.approx(50.0)
    assert throughput(np.array([5.0]), dt)[0] == pytest.approx(0.5)


def test_recorded_waits_in_a_run() -> None:
    results = api.run("scenarios/walkthrough-blocking-in-low.yaml")
    vms = results.vms
    parts = [WAIT_COUNTERS[c] for c in STALL_CAUSES]
    np.testing.assert_allclose(vms[parts].sum(axis=1), vms["stall"], atol=1e-9)
    np.testing.assert_allclose(
        vms[["latency_swapin", "latency_decompress"]].sum(axis=1), vms["latency"], atol=1e-9
    )
    np.testing.assert_allclose(vms["throughput"], 1 - vms["stall"] / 100, atol=1e-9)
    assert (vms["latency_swapin"] > 0).any() and (vms["blocked"] > 0).any()
    assert (vms["stall"] > vms["latency"]).any()  # blocking is a stall, not latency
    table = results.summary().vms
    np.testing.assert_allclose(
        table[[f"{c}_mean" for c in parts]].sum(axis=1), table["stall_mean"], atol=1e-9
    )
    worst = worst_first(table)
    assert sorted(worst) == sorted(table.index)
    assert table.loc[worst[0], "stall_mean"] == table["stall_mean"].max()


def test_ballooned_java_guest_stalls_without_latency() -> None:
    """A Java-like guest thrashing inside its balloon waits on its own paging: a stall, and
    lower throughput, but no memory latency while nothing is host-swapped or compressed."""
    results = api.run("scenarios/walkthrough-java-guest-ballooning.yaml")
    vms = results.vms
    calm = (vms["swapinRate"] == 0) & (vms["decompressionRate"] == 0)
    paging = vms[(vms["guestSwapWait"] > 5) & calm]
    assert not paging.empty
    assert (paging["latency"] == 0).all()
    assert (paging["throughput"] < 0.95).all()


def test_worst_first_breaks_latency_ties_by_memory_taken() -> None:
    t = pd.Index([0.0, 10.0, 0.0, 10.0, 0.0, 10.0], name="time")
    vms = pd.DataFrame(
        {
            "vm": ["calm", "calm", "swapped", "swapped", "slow", "slow"],
            "latency": [0.0, 0.0, 0.0, 0.0, 5.0, 5.0],
            "swapped": [0.0, 0.0, 100.0, 100.0, 0.0, 0.0],
            "vmmemctl": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        },
        index=t,
    )
    table = vm_summary(vms, end=20.0)
    assert worst_first(table) == ["slow", "swapped", "calm"]
    assert table.loc["swapped", "swapped_mean"] == pytest.approx(100.0)
