"""Free-memory states and thresholds (docs/model.md §1)."""

from __future__ import annotations

import pytest

from memsim.model.states import MemState, min_free_mib, thresholds
from memsim.scenario.advanced import defaults


def test_min_free_sliding_scale() -> None:
    assert min_free_mib(128 * 1024) == pytest.approx(1925.12)
    assert min_free_mib(8043) == pytest.approx(403.6, abs=0.2)  # the esxtop capture's host


def test_classic_hysteresis() -> None:
    th = thresholds("classic", 10_000, 9_000, defaults("classic"))
    s = MemState.HIGH
    s = th.next_state(s, 500)  # 5 %: between soft (4) and high (6): stays high
    assert s == MemState.HIGH
    s = th.next_state(s, 399)
    assert s == MemState.SOFT
    assert th.next_state(s, 500) == MemState.SOFT  # must exceed 6 % to climb back
    assert th.next_state(s, 601) == MemState.HIGH
    assert th.next_state(MemState.HIGH, 50) == MemState.LOW
    assert th.next_state(MemState.LOW, 150) == MemState.LOW
    assert th.next_state(MemState.LOW, 201) == MemState.HARD


def test_esxi6_clear_state() -> None:
    th = thresholds("esxi6", 2_097_152, 2_059_059, defaults("esxi6"))
    mf = th.min_free
    assert th.next_state(MemState.HIGH, int(mf * 1.5)) == MemState.HIGH
    assert th.next_state(MemState.HIGH, int(mf * 0.9)) == MemState.CLEAR
    assert th.next_state(MemState.CLEAR, int(mf * 3.0)) == MemState.CLEAR
    assert th.next_state(MemState.CLEAR, int(mf * 4.1)) == MemState.HIGH
    assert th.next_state(MemState.CLEAR, int(mf * 0.5)) == MemState.SOFT


def test_memminfreepct_forces_a_percentage() -> None:
    s = defaults("esxi5") | {"Mem.MemMinFreePct": 10.0}
    assert thresholds("esxi5", 1000, 1000, s).min_free == 100
