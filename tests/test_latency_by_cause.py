"""Latency split by cause: the causes add up to ``latency``, and the run summary says who paid."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from memsim import api
from memsim.model.cost import STALL_CAUSES, latency_by_cause, latency_percent
from memsim.results.summary import vm_summary, worst_first

seconds = arrays(np.float64, 4, elements=st.floats(0.0, 50.0))


@given(st.fixed_dictionaries({c: seconds for c in STALL_CAUSES}), st.floats(0.5, 30.0))
def test_causes_sum_to_latency_and_share_the_cap(stalls: dict, dt: float) -> None:
    total = np.sum([stalls[c] for c in STALL_CAUSES], axis=0)
    split = latency_by_cause(stalls, total, dt)
    assert set(split) == {f"latency_{c}" for c in STALL_CAUSES}
    summed = np.sum(list(split.values()), axis=0)
    np.testing.assert_allclose(summed, latency_percent(total, dt), rtol=1e-12, atol=1e-12)
    for cause in STALL_CAUSES:
        part = split[f"latency_{cause}"]
        assert (part >= 0).all()
        # a cause never gets more than its own seconds' share of the interval
        assert (part <= 100.0 * stalls[cause] / dt + 1e-9).all()


def test_recorded_causes_sum_to_latency_in_a_run() -> None:
    results = api.run("scenarios/walkthrough-blocking-in-low.yaml")
    vms = results.vms
    causes = [f"latency_{c}" for c in STALL_CAUSES]
    np.testing.assert_allclose(vms[causes].sum(axis=1), vms["latency"], atol=1e-9)
    assert (vms["latency_swapin"] > 0).any() and (vms["latency_blocked"] > 0).any()
    table = results.summary().vms
    np.testing.assert_allclose(
        table[[f"{c}_mean" for c in causes]].sum(axis=1), table["latency_mean"], atol=1e-9
    )
    worst = worst_first(table)
    assert sorted(worst) == sorted(table.index)
    assert table.loc[worst[0], "latency_mean"] == table["latency_mean"].max()


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
