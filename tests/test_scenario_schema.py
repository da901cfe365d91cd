"""Scenario models: defaults, profiles, groups, events, overrides, round trips, JSON Schema."""

from pathlib import Path

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from ruamel.yaml import YAML

from memsim.scenario import (
    SETTINGS,
    Amount,
    BalloonDriver,
    Scenario,
    ScenarioError,
    Swap,
    apply_overrides,
    json_schema,
    load,
    loads,
    validate,
)
from memsim.units import GIB, MIB

ROOT = Path(__file__).parent.parent
VALID = Path(__file__).parent / "data" / "scenarios" / "valid.yaml"
MINIMAL = "name: m\nduration: 1h\nhost: {memory: 4GiB}\nvms: [{name: a, memory: 1GiB}]\n"


def test_defaults() -> None:
    s = loads(MINIMAL)
    assert (s.seed, s.step, s.record_every, s.description) == (0, 1.0, 20.0, "")
    assert (s.host.cpu_ghz, s.host.profile, s.host.vmkernel, s.host.swap_cache) == (
        8.0,
        "classic",
        None,
        0,
    )
    assert (s.host.swap.device, s.host.swap.latency, s.host.swap.bandwidth) == (
        "disk",
        0.008,
        100 * MIB,
    )
    vm = s.vms[0]
    assert (vm.reservation, vm.limit, vm.shares, vm.vcpus, vm.overhead) == (0, None, 10240, 1, None)
    assert (vm.guest, vm.tools, vm.salt, vm.large_pages, vm.pshare, vm.maxmemctl) == (
        "linux",
        True,
        None,
        "auto",
        True,
        None,
    )
    assert (vm.balloon.kind, vm.power_on, vm.power_off, vm.count) == ("normal", 0.0, None, 1)
    w = vm.workload
    assert (w.boot, w.footprint.resolve(GIB), w.active.resolve(GIB)) == (
        "lazy",
        GIB // 2,
        GIB // 10,
    )
    assert (w.writes, w.cache, w.heap, w.compressible, w.phases, w.trace) == (
        0.02,
        0.3,
        0.0,
        0.6,
        [],
        None,
    )
    assert (w.content.zero, w.content.shared, w.content.duplicate) == (0.05, 0.3, 0.03)


@pytest.mark.parametrize(("level", "per_mib"), [("low", 5), ("normal", 10), ("high", 20)])
def test_shares_levels(level: str, per_mib: int) -> None:
    s = loads(MINIMAL.replace("memory: 1GiB}", f"memory: 1GiB, shares: {level}}}"))
    assert s.vms[0].shares == per_mib * 1024


def test_swap_and_balloon_shorthands() -> None:
    assert Swap.model_validate("ssd").latency == pytest.approx(0.0002)
    custom = Swap.model_validate({"latency": "5ms", "bandwidth": "200MiB/s"})
    assert (custom.device, custom.latency, custom.bandwidth) == ("custom", 0.005, 200 * MIB)
    assert BalloonDriver.model_validate("slow").rate_factor == 0.25
    stuck = BalloonDriver.model_validate({"driver": "stuck", "from": "10min", "until": "20min"})
    assert (stuck.kind, stuck.stuck_from, stuck.stuck_until) == ("stuck", 600.0, 1200.0)


def test_amounts() -> None:
    assert Amount.model_validate("50%").resolve(GIB) == GIB // 2
    assert Amount.model_validate("200MiB").resolve(GIB) == 200 * MIB
    assert Amount.model_validate(200).bytes == 200 * MIB
    with pytest.raises(ValueError, match="ambiguous"):
        Amount.model_validate(0.5)


def test_settings_per_profile() -> None:
    classic = loads(MINIMAL).settings()
    assert set(classic) == set(SETTINGS)
    assert classic["Mem.SamplePeriod"] == 30 and classic["Mem.MemZipEnable"] == 0
    esxi6 = loads(MINIMAL.replace("{memory: 4GiB}", "{memory: 4GiB, profile: esxi6}")).settings()
    assert esxi6["Mem.SamplePeriod"] == 60 and esxi6["Mem.ShareForceSalting"] == 2
    assert esxi6["Memsim.BalloonInHard"] == 0 and esxi6["Mem.AllocGuestLargePage"] == 1
    tuned = loads(MINIMAL.replace("{memory: 4GiB}", "{memory: 4GiB, advanced: {Mem.IdleTax: 0}}"))
    assert tuned.settings()["Mem.IdleTax"] == 0


def test_groups_expand_in_order() -> None:
    s = load(VALID)
    assert [m.name for m in s.machines()] == ["web-1", "web-2", "web-3", "db"]
    assert all(m.count == 1 for m in s.machines())
    assert s.members("web") == ["web-1", "web-2", "web-3"]
    assert s.members("web-2") == ["web-2"]
    assert s.members("db") == ["db"]


def test_events_hold_typed_values() -> None:
    event = load(VALID).events[0]
    assert event.set == {
        "host.advanced.Mem.IdleTax": 0.0,
        "vms.web.limit": 512 * MIB,
        "vms.db.workload.active": Amount(fraction=0.3),
    }


def test_phases_resolve_in_turn() -> None:
    workload = load(VALID).vms[0].workload
    first, after = workload.stages()
    assert first.active.resolve(GIB) == 100 * MIB
    assert after.active.resolve(GIB) == 200 * MIB
    assert after.footprint == first.footprint


def test_json_round_trip() -> None:
    s = load(VALID)
    again = validate(s.model_dump(mode="json"), VALID)
    assert again.model_dump() == s.model_dump()


def test_raw_is_a_copy() -> None:
    s = load(VALID)
    s.raw["name"] = "changed"
    assert s.raw["name"] == "valid"
    assert s.source == VALID


def test_overrides() -> None:
    s = load(VALID)
    changed = apply_overrides(
        s,
        {
            "vms.web.memory": "2GiB",
            "host.advanced.Mem.IdleTax": 10,
            "vms.db.workload.active": "20%",
            "seed": 7,
            "events.0.at": "25min",
        },
    )
    assert changed.vms[0].memory == 2 * GIB and changed.vms[0].shares == 20480
    assert changed.settings()["Mem.IdleTax"] == 10
    assert changed.vms[1].workload.active == Amount(fraction=0.2)
    assert (changed.seed, changed.events[0].at) == (7, 1500.0)
    assert s.vms[0].memory == GIB  # the original is unchanged


def test_override_errors_are_attributed_to_the_override() -> None:
    s = load(VALID)
    with pytest.raises(ScenarioError) as info:
        apply_overrides(s, {"vms.web.memory": "-1GiB"})
    assert str(info.value) == "--set: vms[0].memory: size must not be negative, got '-1GiB'"
    with pytest.raises(ScenarioError, match="no VM or group named 'web-9'"):
        apply_overrides(s, {"vms.web-9.memory": "1GiB"})
    with pytest.raises(ScenarioError, match="unknown key 'memroy'"):
        apply_overrides(s, {"vms.web.memroy": "1GiB"})


def test_file_errors_still_located_after_overrides(tmp_path: Path) -> None:
    file = tmp_path / "s.yaml"
    file.write_text(MINIMAL)
    with pytest.raises(ScenarioError) as info:
        apply_overrides(load(file), {"vms.a.reservation": "2GiB"})
    assert str(info.value) == "--set: vms[0].reservation: 2GiB is above the memory 1GiB"


def _yaml_files() -> list[Path]:
    return sorted((ROOT / "scenarios").glob("*.yaml")) + [VALID]


@pytest.mark.parametrize("path", _yaml_files(), ids=lambda p: p.name)
def test_scenarios_match_json_schema_and_load(path: Path) -> None:
    data = YAML(typ="safe", pure=True).load(path.read_text())
    jsonschema.Draft202012Validator(json_schema()).validate(data)
    load(path)


def test_json_schema_rejects_unknown_keys() -> None:
    data = YAML(typ="safe", pure=True).load(MINIMAL + "colour: red\n")
    with pytest.raises(jsonschema.ValidationError, match="colour"):
        jsonschema.validate(data, json_schema())


@given(
    memory=st.integers(min_value=1, max_value=64 * 1024),
    reservation=st.integers(min_value=0, max_value=100),
    footprint=st.integers(min_value=0, max_value=100),
    active=st.integers(min_value=0, max_value=100),
)
def test_valid_vms_round_trip(memory: int, reservation: int, footprint: int, active: int) -> None:
    """Any VM that validates dumps to JSON that validates to the same VM."""
    text = (
        f"name: p\nduration: 1h\nhost: {{memory: 128GiB}}\nvms:\n  - name: a\n"
        f"    memory: {memory}MiB\n    reservation: {reservation}%\n"
        f"    workload: {{footprint: {footprint}%, active: {active}%}}\n"
    ).replace(f"reservation: {reservation}%", f"reservation: {memory * reservation // 100}MiB")
    try:
        s = loads(text)
    except ScenarioError as exc:
        assert active > footprint, str(exc)
        return
    assert validate(s.model_dump(mode="json")).model_dump() == s.model_dump()


def test_scenario_is_frozen() -> None:
    s: Scenario = loads(MINIMAL)
    with pytest.raises(ValueError, match="frozen"):
        s.name = "other"  # type: ignore[misc]
