"""The counter registry (memsim/counters.py) against everything that names counters."""

from __future__ import annotations

from pathlib import Path

import pytest

from memsim import counters
from memsim.api import run
from memsim.capture.esxtop import format as esxtop
from memsim.model.cost import CAUSE_LABELS, STALL_CAUSES
from memsim.results.columns import UNITS
from memsim.scenario import claims
from tests.support.helpers import scenario

RUN = """
name: counters
duration: 3min
record_every: 30s
host: {{memory: 512MiB, vmkernel: 50MiB, profile: {profile}}}
vms:
  - name: grow
    memory: 256MiB
    count: 3
    workload:
      footprint: 60MiB
      active: 50MiB
      phases: [{{at: 1min, footprint: 250MiB, active: 240MiB}}]
"""


@pytest.mark.parametrize("profile", ["classic", "esxi6"])
def test_a_run_records_exactly_the_registry_in_its_order(profile: str) -> None:
    results = run(scenario(RUN.format(profile=profile)))
    vm_columns = [results.vms.index.name, *(c for c in results.vms.columns if c != "vm")]
    host_columns = [results.host.index.name, *results.host.columns]
    assert vm_columns == list(counters.VM)
    conditional = {c.name for c in counters.HOST.values() if c.when}
    has_clear = profile != "classic"
    expected = [n for n in counters.HOST if has_clear or n not in conditional]
    assert host_columns == expected


def test_claims_may_test_every_counter() -> None:
    assert set(claims.VM_COUNTERS) == set(counters.VM) - {"time"}
    assert set(claims.HOST_COUNTERS) == set(counters.HOST) - {"time"}


def test_units_come_from_the_registry_and_agree_between_tables() -> None:
    for c in counters.COUNTERS:
        assert UNITS[c.name] == c.unit
        other = (counters.HOST if c.scope == "vm" else counters.VM).get(c.name)
        assert other is None or other.unit == c.unit, c.name


def test_stall_causes_are_the_models_and_each_has_its_counter() -> None:
    assert tuple(counters.STALL_CAUSES) == STALL_CAUSES
    assert CAUSE_LABELS == counters.STALL_CAUSES
    assert set(counters.LATENCY_CAUSES) <= set(STALL_CAUSES)
    assert set(counters.WAIT_COUNTERS) == set(STALL_CAUSES)
    assert set(counters.WAIT_COUNTERS.values()) | {"stall", "latency"} <= set(counters.VM)


def test_esxtop_names_are_the_registrys() -> None:
    """The esxtop reader and writer name the counters the registry gives esxtop names."""
    vm = {**esxtop.VM_COUNTERS, **esxtop.VM_PERCENTS, "latency": esxtop.LATENCY_COUNTER}
    assert vm == counters.batch_names("vm")
    assert counters.batch_names("host") == {**esxtop.HOST_COUNTERS, "state": "Kernel State"}


def test_docs_list_the_registry() -> None:
    """docs/counters.md holds the generated tables (regenerate: python -m memsim.counters)."""
    text = (Path(__file__).parents[1] / "docs/counters.md").read_text(encoding="utf-8")
    assert counters.markdown() in text


def test_every_counter_is_described_with_a_known_unit() -> None:
    units = {"MiB", "MiB/s", "%", "s", "0-1", "count", "state name"}
    for c in counters.COUNTERS:
        assert c.unit in units and c.description, c
        assert c.vcenter is None or c.vcenter.startswith("mem."), c
