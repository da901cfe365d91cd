"""The A/B harness's results fingerprint (benchmarks/ab.py): identical, or the first difference."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

_SPEC = importlib.util.spec_from_file_location(
    "ab", Path(__file__).resolve().parents[1] / "benchmarks" / "ab.py"
)
assert _SPEC is not None and _SPEC.loader is not None
ab = importlib.util.module_from_spec(_SPEC)
sys.modules["ab"] = ab  # dataclasses look their module up
_SPEC.loader.exec_module(ab)


def _frames(n_times: int = 5, n_vms: int = 3) -> dict[str, pd.DataFrame]:
    times = np.arange(n_times) * 20.0
    vms = pd.DataFrame(
        {
            "vm": [f"vm{v}" for _ in times for v in range(n_vms)],
            "shared": np.arange(n_times * n_vms, dtype=float),
            "swapped": np.where(np.arange(n_times * n_vms) % 4 == 0, np.nan, 1.5),
        },
        index=pd.Index(np.repeat(times, n_vms), name="time"),
    )
    host = pd.DataFrame(
        {"state": ["high"] * n_times, "free": times * 2.0},
        index=pd.Index(times, name="time"),
    )
    return {"host": host, "vms": vms}


def test_identical_runs_including_nan() -> None:
    assert ab.first_difference(_frames(), _frames()) is None
    assert ab.describe(None) == "identical"


@settings(deadline=None)  # pandas set-up time varies on a loaded machine
@given(
    row=st.integers(0, 14),
    column=st.sampled_from(["shared", "swapped"]),
    delta=st.floats(1e-12, 1e6),
)
def test_first_changed_value_is_found(row: int, column: str, delta: float) -> None:
    a, b = _frames(), _frames()
    values = b["vms"][column].to_numpy().copy()
    values[row] = (0.0 if np.isnan(values[row]) else values[row]) + delta
    b["vms"][column] = values
    diff = ab.first_difference(a, b)
    assert diff is not None
    assert diff.time == a["vms"].index[row]
    assert diff.counters == (f"vms.{column}",)


def test_earliest_of_several_differences_wins() -> None:
    a, b = _frames(), _frames()
    b["vms"].iloc[12, b["vms"].columns.get_loc("shared")] += 1  # t = 80
    b["host"].iloc[1, b["host"].columns.get_loc("state")] = "soft"  # t = 20
    diff = ab.first_difference(a, b)
    assert diff == ab.Difference(20.0, ("host.state",))
    assert "t = 20 s" in ab.describe(diff)


def test_nan_against_number_differs() -> None:
    a, b = _frames(), _frames()
    b["vms"].iloc[5, b["vms"].columns.get_loc("swapped")] = np.nan  # was 1.5 at t = 20
    assert ab.first_difference(a, b) == ab.Difference(20.0, ("vms.swapped",))


def test_shorter_run_differs_where_it_stops() -> None:
    a, b = _frames(), _frames(n_times=3)
    diff = ab.first_difference(a, b)
    assert diff is not None and diff.time == 60.0
    assert set(diff.counters) == {"host.time", "vms.time"}


def test_counter_missing_on_one_side_differs_from_the_start() -> None:
    a, b = _frames(), _frames()
    b["host"] = b["host"].drop(columns="free")
    assert ab.first_difference(a, b) == ab.Difference(0.0, ("host.free",))


@pytest.mark.parametrize("side", ["a", "b"])
def test_frame_missing_on_one_side(side: str) -> None:
    a, b = _frames(), _frames()
    del (a if side == "a" else b)["host"]
    assert ab.first_difference(a, b) == ab.Difference(0.0, ("host.*",))


def test_excepted_counter_is_reported_apart() -> None:
    a, b = _frames(), _frames()
    b["vms"]["swapped"] = b["vms"]["swapped"] + 1.0  # differs from t = 0 (NaN + 1 stays NaN)
    free = b["host"]["free"].to_numpy().copy()
    free[3] += 1.0
    b["host"]["free"] = free
    assert ab.fingerprint(a, b, []) == "differs from t = 0 s (vms.swapped)"
    assert ab.fingerprint(a, b, ["swapped"]) == (
        "differs from t = 60 s (host.free) except swapped, which differs from t = 0 s (vms.swapped)"
    )
    assert ab.fingerprint(a, b, ["swapped", "free"]) == (
        "identical except swapped, free, which differs from t = 0 s (vms.swapped)"
    )
    assert ab.fingerprint(a, a, ["free"]) == "identical except free, which are identical"
