"""Warnings a user would want (bare numbers, a shortened run, refused power-on, footprint not
reached) and the contradictory claim that is an error."""

import pytest

from memsim import api
from memsim.scenario import ScenarioError, apply_overrides, loads
from tests.support.helpers import scenario

BASE = """
name: w
duration: {duration}
record_every: 10s
host: {{memory: 1GiB}}
vms:
  - name: a
    memory: {memory}
    reservation: {reservation}
    workload:
      footprint: {footprint}
      phases:
        - {{at: 2min, footprint: 60%}}
        - {{at: 4min, footprint: 70%}}
"""


def text(**values: object) -> str:
    defaults = {"duration": "5min", "memory": "256MiB", "reservation": 0, "footprint": "30%"}
    return BASE.format(**(defaults | values))


def test_bare_numbers_warn_once_per_unit() -> None:
    quiet = scenario(text())
    assert quiet.warnings == []
    loud = scenario(text(duration=300, memory=256) + "  - {name: b, memory: 128}\n")
    assert len(loud.warnings) == 2
    assert any("read as MiB" in w and "256" in w for w in loud.warnings)
    assert any("read as seconds" in w and "300" in w for w in loud.warnings)


def test_shortened_run_drops_later_phases_with_a_warning() -> None:
    short = apply_overrides(scenario(text()), {"duration": "3min"})
    assert short.duration == 180
    assert [p.at for p in short.vms[0].workload.phases] == [120]
    assert short.warnings == ["--set duration: the run ends at 3min: dropped 1 later phase(s) of a"]
    assert apply_overrides(scenario(text()), {"duration": "10min"}).warnings == []


def test_claim_with_min_above_max_is_an_error() -> None:
    claim = "expect:\n  - at: end\n    host: {free: {min: 500MiB, max: 100MiB}}\n"
    document = text() + claim
    with pytest.raises(ScenarioError) as caught:
        loads(document, source="c.yaml")
    (error,) = caught.value.errors
    assert error.path == "expect[0].host.free.min" and "above max" in error.message
    assert document.splitlines()[error.line - 1].strip().startswith("host: {free:")


def test_refused_power_on_and_short_footprint_are_run_warnings() -> None:
    refused = text(memory="2GiB", reservation="1800MiB")  # more than a 1 GiB host has
    results = api.run(scenario(refused))
    assert any(w.startswith("power-on refused: a") for w in results.manifest["warnings"])
    slow = scenario(text(memory="1GiB", footprint="95%").replace("memory: 1GiB}", "memory: 4GiB}"))
    results = api.run(apply_overrides(slow, {"duration": "20s"}))  # growth takes ~30 s
    assert any("a never reached its footprint" in w for w in results.manifest["warnings"])
    ok = api.run(scenario(text()))
    assert ok.manifest["warnings"] == []
