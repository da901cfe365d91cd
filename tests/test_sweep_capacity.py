"""Capacity search (memsim.sweep.capacity)."""

from __future__ import annotations

import pytest

from memsim.scenario import ScenarioError, load
from memsim.sweep import capacity
from memsim.sweep.capacity import _search


@pytest.mark.parametrize(
    ("limit", "max_count", "expected", "probes"),
    [
        (5, 64, 5, [1, 2, 4, 8, 6, 5]),
        (0, 64, 0, [1]),
        (64, 64, 64, [1, 2, 4, 8, 16, 32, 64]),
        (10, 12, 10, [1, 2, 4, 8, 12, 10, 11]),
    ],
)
def test_search_finds_the_last_passing_count(limit, max_count, expected, probes) -> None:
    seen: list[int] = []

    def passes(count: int) -> bool:
        seen.append(count)
        return count <= limit

    good, bad = _search(passes, max_count)
    assert good == expected and seen == probes
    assert (bad is None) == (limit >= max_count)


def test_capacity_of_a_small_host(write_small_scenario) -> None:
    scenario = load(write_small_scenario())
    probed: list[tuple[int, bool]] = []
    answer = capacity(scenario, "web", 5.0, max_count=4, probed=lambda c, p: probed.append((c, p)))
    # 1 GiB host, db takes 384 MiB: two 256 MiB web VMs fit, a third makes the host swap
    assert answer.count == 2 and not answer.capped
    assert probed == [(1, True), (2, True), (4, False), (3, False)]
    assert list(answer.evidence["count"]) == [1, 2, 3, 4]
    assert answer.metric == "worst_mean_latency"


def test_capacity_checks_the_vm_name(write_small_scenario) -> None:
    with pytest.raises(ScenarioError, match="no VM or group named 'nope'"):
        capacity(load(write_small_scenario()), "nope", 5.0)
