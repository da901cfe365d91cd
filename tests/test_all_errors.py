"""All errors at once: cross-field checks are reported in the same pass as field errors."""

import pytest

from memsim.scenario import ScenarioError, loads
from memsim.scenario.crosscheck import without

BROKEN = """\
name: many
duration: 10min
host: {memory: 1GiB}
vms:
  - name: b
    memory: 256MiB
    shares: bogus
    reservation: 512MiB
    workload: {footprint: 20%, active: 40%, writes: lots}
expect:
  - at: end
    host: {state: sofft}
"""


def _paths(text: str) -> dict[str, str]:
    with pytest.raises(ScenarioError) as caught:
        loads(text, source="s.yaml")
    return {e.path: e.message for e in caught.value.errors}


def test_field_and_cross_field_errors_together() -> None:
    found = _paths(BROKEN)
    assert set(found) == {
        "vms[0].shares",
        "vms[0].workload.writes",
        "vms[0].reservation",  # hidden by the bad shares without the second pass
        "vms[0].workload.active",  # hidden by the bad writes
        "expect[0].host.state.equals",
    }
    assert "above the memory" in found["vms[0].reservation"]
    assert "did you mean 'soft'" in found["expect[0].host.state.equals"]


def test_fixing_the_field_errors_leaves_exactly_the_cross_field_ones() -> None:
    fixed = BROKEN.replace("shares: bogus", "shares: high").replace("writes: lots", "writes: 5%")
    assert set(_paths(fixed)) == {
        "vms[0].reservation",
        "vms[0].workload.active",
        "expect[0].host.state.equals",
    }


def test_without_keeps_list_items_and_the_top_level() -> None:
    raw = {"vms": [{"a": 1, "b": 2}, {"a": 3}], "name": "x"}
    pruned, removed = without(raw, [("vms", 0, "a"), ("vms", 1), ("name",)])
    assert pruned == {"vms": [{"b": 2}, {"a": 3}], "name": "x"}
    assert removed == {("vms", 0, "a")}
    assert raw["vms"][0] == {"a": 1, "b": 2}  # the input is not changed
