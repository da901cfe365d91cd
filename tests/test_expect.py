"""Checking expect: claims against hand-built results tables."""

from types import SimpleNamespace

import pandas as pd
import pytest

from memsim.scenario import Claim, loads
from memsim.scenario.claims.check import ClaimResult, evaluate

SCENARIO = """
name: e
duration: 10min
host: {memory: 4GiB}
vms: [{name: a, memory: 1GiB}, {name: b, memory: 1GiB}]
"""


def results() -> SimpleNamespace:
    """Three records a minute apart: VM a grows, the host dips into soft and recovers."""
    times = [0.0, 60.0, 120.0]
    vms = pd.DataFrame(
        {
            "time": times * 2,
            "vm": ["a"] * 3 + ["b"] * 3,
            "consumed": [100.0, 200.0, 300.0, 50.0, 50.0, 50.0],
            "swapped": [0.0, 0.0, 12.0, 0.0, 0.0, 0.0],
        }
    ).set_index("time")
    host = pd.DataFrame(
        {"time": times, "state": ["high", "soft", "high"], "free": [900.0, 100.0, 400.0]}
    ).set_index("time")
    return SimpleNamespace(vms=vms, host=host)


def check(expect: str) -> list[ClaimResult]:
    scenario = loads(SCENARIO + "expect:\n" + expect)
    return evaluate(scenario.expect, results())


def test_at_picks_the_last_record_at_or_before() -> None:
    [outcome] = check("  - {at: 90s, vm: a, consumed: {approx: 200MiB, tol: 1%}}\n")
    assert outcome.passed and outcome.measured == 200.0
    assert outcome.claim == "at 90s, a consumed ≈ 200MiB ± 1%"


def test_at_end_and_tolerance_as_size() -> None:
    [near, far] = check(
        "  - {at: end, vm: a, consumed: {approx: 0.29GiB, tol: 10MiB}}\n"
        "  - {at: end, vm: a, consumed: {approx: 250, tol: 10MiB}}\n"
    )
    assert near.passed and not far.passed
    assert far.measured == 300.0


def test_default_tolerance_is_five_percent() -> None:
    ok, off = check(
        "  - {at: end, vm: a, consumed: {approx: 290}}\n"
        "  - {at: end, vm: a, consumed: {approx: 280}}\n"
    )
    assert ok.passed and not off.passed


def test_during_uses_the_worst_record() -> None:
    low, high = check(
        "  - {during: [0s, end], vm: a, consumed: {min: 100MiB}}\n"
        "  - {during: [0s, 1min], vm: a, swapped: {max: 0}}\n"
    )
    assert low.passed and low.measured == 100.0
    assert high.passed and high.measured == 0.0
    [late] = check("  - {during: [1min, end], vm: a, swapped: {max: 0}}\n")
    assert not late.passed and late.measured == 12.0


def test_min_and_max_together() -> None:
    outcomes = check("  - {at: end, vm: b, consumed: {min: 40, max: 45}}\n")
    assert [o.passed for o in outcomes] == [True, False]


def test_host_states() -> None:
    never_low, never_soft, high_at_end = check(
        "  - {during: [0s, end], host: {state: {not: low}}}\n"
        "  - {during: [0s, end], host: {state: {not: soft}}}\n"
        "  - {at: end, host: {state: high}}\n"
    )
    assert never_low.passed
    assert not never_soft.passed and never_soft.measured == "soft"
    assert high_at_end.passed and high_at_end.measured == "high"


def test_missing_counter_fails_with_a_reason() -> None:
    [outcome] = check("  - {at: end, vm: a, latency: {max: 5%}}\n")
    assert not outcome.passed and outcome.measured is None
    assert "no 'latency'" in outcome.detail


def test_no_records_before_the_time() -> None:
    frame = results()
    frame.vms.index = frame.vms.index + 100.0
    scenario = loads(SCENARIO + "expect:\n  - {at: 30s, vm: a, consumed: {max: 1}}\n")
    [outcome] = evaluate(scenario.expect, frame)
    assert not outcome.passed and "no records" in outcome.detail


@pytest.mark.parametrize("claim", [Claim.model_validate({"at": "end", "vm": "a", "consumed": 300})])
def test_claims_built_in_python(claim: Claim) -> None:
    [outcome] = evaluate([claim], results())
    assert outcome.passed


def test_any_passes_when_some_record_does_and_mean_averages() -> None:
    soft, hard, grew, mean = check(
        "  - {during: [0s, end], any: true, host: {state: soft}}\n"
        "  - {during: [0s, end], any: true, host: {state: hard}}\n"
        "  - {during: [0s, end], any: true, vm: a, consumed: {min: 250}}\n"
        "  - {during: [0s, end], mean: true, vm: a, consumed: {approx: 200, tol: 1%}}\n"
    )
    assert soft.passed and not hard.passed
    assert grew.passed and grew.measured == 300.0
    assert mean.passed and mean.measured == 200.0
    assert soft.claim.startswith("at some moment during 0s–end")
