"""Grid expansion, seeding and validation (memsim.sweep.grid, memsim.scenario.sweep)."""

from __future__ import annotations

import numpy as np
import pytest

from memsim.scenario import ScenarioError, load
from memsim.scenario.sweep import expand_axis
from memsim.sweep import Axis, parse_grid, plan

BLOCK = """\
sweep:
  vms.web.count: [1, 2]
  host.advanced.Mem.IdleTax: {from: 0, to: 90, step: 45}
  seeds: 2
"""


def test_ranges_expand_inclusively_with_units() -> None:
    assert expand_axis({"from": 0, "to": 90, "step": 15}) == [0, 15, 30, 45, 60, 75, 90]
    assert expand_axis({"from": 0.1, "to": 0.3, "step": 0.1}) == [0.1, 0.2, 0.3]
    assert expand_axis({"from": "1min", "to": "3min", "step": "1min"}) == ["1min", "2min", "3min"]
    assert expand_axis({"from": "256MiB", "to": "512MiB", "step": "128MiB"}) == [
        "256MiB",
        "384MiB",
        "512MiB",
    ]


@pytest.mark.parametrize(
    "axis",
    [[], {"from": 0, "to": 9}, {"from": 0, "to": 9, "step": 0}, {"from": 9, "to": 0, "step": 1}, 3],
)
def test_bad_axes_are_refused(axis: object) -> None:
    with pytest.raises(ValueError):
        expand_axis(axis)


def test_product_in_grid_order_with_spawned_seeds(write_small_scenario) -> None:
    scenario = load(write_small_scenario(BLOCK))
    swept = plan(scenario)
    assert swept.axis_paths == ["vms.web.count", "host.advanced.Mem.IdleTax"]
    assert len(swept.runs) == 2 * 3 * 2
    points = [(r.point["vms.web.count"], r.point["host.advanced.Mem.IdleTax"]) for r in swept.runs]
    assert points[:6] == [(1, 0), (1, 0), (1, 45), (1, 45), (1, 90), (1, 90)]
    assert [r.replicate for r in swept.runs[:4]] == [0, 1, 0, 1]
    children = np.random.SeedSequence(7).spawn(12)
    assert [r.seed for r in swept.runs] == [int(c.generate_state(1)[0]) for c in children]
    assert swept.runs[3].folder == (
        f"runs/vms.web.count=1/host.advanced.Mem.IdleTax=45/seed={swept.runs[3].seed}"
    )
    assert swept.scenario.sweep is None


def test_grid_option_replaces_and_adds_axes(write_small_scenario) -> None:
    scenario = load(write_small_scenario(BLOCK))
    axes = parse_grid(["vms.web.count=3", "vms.db.memory=384MiB,512MiB"])
    swept = plan(scenario, axes, seeds=1)
    assert swept.axis_paths == ["vms.web.count", "host.advanced.Mem.IdleTax", "vms.db.memory"]
    assert {r.point["vms.web.count"] for r in swept.runs} == {3}
    assert len(swept.runs) == 1 * 3 * 2


def test_no_axes_runs_the_seeds(write_small_scenario) -> None:
    swept = plan(load(write_small_scenario()), seeds=3)
    assert [r.point for r in swept.runs] == [{}, {}, {}]
    assert len({r.seed for r in swept.runs}) == 3


def test_errors_are_located(write_small_scenario) -> None:
    bad = "sweep:\n  vms.web.count: [1, 0]\n  vms.nope.memory: [1GiB]\n  host.memory: []\n"
    with pytest.raises(ScenarioError) as caught:
        load(write_small_scenario(bad))
    assert [e.path for e in caught.value.errors] == ["sweep.host.memory"]
    assert caught.value.errors[0].line == 22

    scenario = load(write_small_scenario(bad.replace("  host.memory: []\n", "")))
    with pytest.raises(ScenarioError) as caught:
        plan(scenario)
    text = str(caught.value)
    assert ":20:" in text and "vms.web.count=0" in text  # the bad count, at its line
    assert ":21:" in text and "nope" in text  # the unknown VM


def test_bad_grid_options(write_small_scenario) -> None:
    scenario = load(write_small_scenario())
    with pytest.raises(ScenarioError, match="--grid"):
        parse_grid(["vms.web.count"])
    with pytest.raises(ScenarioError, match="--grid: vms.web.memory"):
        plan(scenario, [Axis("vms.web.memory", ("lots",))])
    footprint = Axis("vms.web.workload.footprint", ("200MiB", "120MiB"))
    active = Axis("vms.web.workload.active", ("100MiB", "150MiB"))
    with pytest.raises(ScenarioError) as caught:  # each value fits alone, one pair does not
        plan(scenario, [footprint, active])
    assert len(caught.value.errors) == 1
    assert "vms.web.workload.footprint=120MiB, vms.web.workload.active=150MiB" in str(caught.value)
