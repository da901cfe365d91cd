"""Loading scenario files: every error located as file:line:col: key.path: message."""

from pathlib import Path

import pytest

from memsim.scenario import ScenarioError, load, loads

DATA = Path(__file__).parent / "data" / "scenarios"


def errors_of(name: str) -> list[str]:
    """The error lines of a bad file, without the directory part of the file name."""
    with pytest.raises(ScenarioError) as info:
        load(DATA / name)
    return [str(e).removeprefix(str(DATA) + "/") for e in info.value.errors]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("empty.yaml", "empty.yaml:1:1: the file is empty"),
        ("syntax.yaml", "syntax.yaml:3:4: YAML syntax error: expected ',' or '}', but got ':'"),
        ("not_mapping.yaml", "not_mapping.yaml:1:1: a scenario is a mapping of keys, not a list"),
        ("duplicate_key.yaml", "duplicate_key.yaml:3:1: duplicate key 'name'"),
        ("huge.yaml", "huge.yaml:4:11: host.memory: size is too large"),
        ("negative.yaml", "negative.yaml:7:13: vms[0].memory: size must not be negative"),
        ("nan.yaml", "nan.yaml:8:24: vms[0].workload.writes: fraction must be a number, got NaN"),
        ("bad_unit.yaml", "bad_unit.yaml:4:11: host.memory: unknown size unit 'GiBs' in '4 GiBs'"),
        ("unknown_key.yaml", "unknown_key.yaml:7:5: vms[0].memroy: unknown key 'memroy'; did you"),
        ("tag.yaml", "tag.yaml:7:12: vms[0].guest: YAML tags such as '!!python/object:os.system'"),
    ],
)
def test_bad_file_has_one_located_error(name: str, expected: str) -> None:
    errors = errors_of(name)
    assert len(errors) == 1, errors
    assert errors[0].startswith(expected), errors[0]


def test_syntax_error_says_where_the_construct_began() -> None:
    assert "flow mapping that starts at line 2, column 7" in errors_of("syntax.yaml")[0]


def test_all_mistakes_reported_at_once() -> None:
    assert errors_of("three_mistakes.yaml") == [
        "three_mistakes.yaml:5:12: host.profile: expected 'classic', 'esx41', 'esxi5' or "
        "'esxi6', got 'esxi7'; did you mean 'esxi6'?",
        "three_mistakes.yaml:9:22: vms[0].workload.boot: expected 'zero' or 'lazy', got 'zeros'; "
        "did you mean 'zero'?",
        "three_mistakes.yaml:12:5: vms[1].reservaton: unknown key 'reservaton'; did you mean "
        "'reservation'?",
    ]


def test_missing_file_and_directory() -> None:
    with pytest.raises(ScenarioError, match="no such file"):
        load(DATA / "absent.yaml")
    with pytest.raises(ScenarioError, match="is a directory"):
        load(DATA)


BASE = "name: t\nduration: 30min\nhost: {memory: 4GiB}\nvms:\n  - name: a\n    memory: 1GiB\n"


def messages(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        loads(text, "s.yaml")
    return [str(e) for e in info.value.errors]


def test_missing_key_is_located_at_its_parent_mapping() -> None:
    assert messages("name: t\nhost:\n  cpu_ghz: 2\nvms: [{name: a, memory: 1GiB}]\n") == [
        "s.yaml:1:1: duration: missing required key 'duration'",
        "s.yaml:3:3: host.memory: missing required key 'memory'",
    ]


def test_vm_consistency() -> None:
    text = BASE + (
        "    reservation: 2GiB\n    limit: 512MiB\n    power_on: 10min\n    power_off: 5min\n"
        "    workload: {active: 90%, footprint: 50%, phases: [{at: 1min, footprint: 2GiB}]}\n"
    )
    assert messages(text) == [
        "s.yaml:7:18: vms[0].reservation: 2GiB is above the limit 512MiB",
        "s.yaml:10:16: vms[0].power_off: must be later than power_on",
        "s.yaml:11:24: vms[0].workload.active: active 90% is above footprint 50%",
        "s.yaml:11:76: vms[0].workload.phases[0].footprint: footprint 2GiB is above memory 1GiB",
    ]


def test_times_and_recording_within_the_run() -> None:
    text = BASE.replace("duration: 30min", "duration: 30min\nrecord_every: 1h") + (
        "events:\n  - at: 2h\n    set: {host.advanced.Mem.IdleTax: 0}\n"
    )
    assert messages(text) == [
        "s.yaml:3:15: record_every: 1h is longer than duration 30min",
        "s.yaml:9:9: events[0].at: 2h is after the end of the run (30min)",
    ]


def test_duplicate_names_after_expansion() -> None:
    text = BASE + "    count: 2\n  - name: a-2\n    memory: 1GiB\n"
    assert messages(text) == [
        "s.yaml:5:11: vms[0].name: VM name 'a' clashes: count 2 makes 'a-2', which is used by "
        "vms[0] and vms[1]",
        "s.yaml:8:11: vms[1].name: VM name 'a-2' clashes: it is used by vms[0] and vms[1]",
    ]


def test_event_paths_and_values() -> None:
    text = BASE + (
        "events:\n  - at: 1min\n    set:\n      vms.b.limit: 1GiB\n      vms.a.memory: 2GiB\n"
        "      host.advanced.Mem.IdelTax: 3\n      vms.a.limit: 4 GiBs\n      vms.a.shres: 5\n"
    )
    assert messages(text) == [
        "s.yaml:10:7: events[0].set.vms.b.limit: no VM named 'b'; VMs: a",
        "s.yaml:11:7: events[0].set.vms.a.memory: 'memory' cannot change while the simulation runs",
        "s.yaml:12:7: events[0].set.host.advanced.Mem.IdelTax: unknown advanced setting "
        "'Mem.IdelTax'; did you mean 'Mem.IdleTax'?",
        "s.yaml:13:20: events[0].set.vms.a.limit: unknown size unit 'GiBs' in '4 GiBs'; did you "
        "mean 'GiB'? (use B, KiB, MiB, GiB or TiB (KB, MB, GB, TB mean the same), or a bare "
        "number of MiB)",
        "s.yaml:14:7: events[0].set.vms.a.shres: unknown key 'shres' in 'vms.a.shres'; did you "
        "mean 'shares'?",
    ]


def test_advanced_settings_checked() -> None:
    text = BASE.replace(
        "host: {memory: 4GiB}",
        "host:\n  memory: 4GiB\n"
        "  advanced: {Mem.IdleTax: 100, Mem.SamplePeriod: 1.5, Memsim.Foo: 1}",
    )
    found = messages(text)
    assert "host.advanced.Mem.IdleTax: Mem.IdleTax must lie between 0 and 99, got 100" in found[0]
    assert "Mem.SamplePeriod takes a whole number, got 1.5" in found[1]
    assert "unknown advanced setting 'Memsim.Foo'" in found[2]


def test_claims_checked() -> None:
    text = BASE + (
        "expect:\n  - {at: 1min, vm: a, consumd: {max: 1GiB}}\n"
        "  - {at: 1min, host: {state: hgh}}\n  - {at: 1min, vm: b, consumed: {min: 0}}\n"
        "  - {vm: a, consumed: {aprox: 3}}\n"
    )
    found = messages(text)
    assert found[:3] == [
        "s.yaml:8:23: expect[0].consumd: unknown counter 'consumd'; did you mean 'consumed'?",
        "s.yaml:9:30: expect[1].host.state.equals: 'hgh' is not a state; did you mean 'high'?",
        "s.yaml:10:20: expect[2].vm: no VM named 'b'; VMs: a",
    ]
    assert found[3].startswith(
        "s.yaml:11:24: expect[3].consumed.aprox: unknown key 'aprox'; did you mean 'approx'? "
        "(allowed: approx, tol, min, max, not, equals"
    )


def test_trace_file_must_exist(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("time,active,footprint\n0,1,2\n")
    good = tmp_path / "good.yaml"
    good.write_text(BASE + "    workload: {trace: t.csv}\n")
    assert load(good).vms[0].workload.trace.path == (tmp_path / "t.csv").resolve()
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE + "    workload: {trace: {file: gone.csv, vm: a}}\n")
    with pytest.raises(ScenarioError, match="trace file not found"):
        load(bad)


def test_scenario_error_lists_every_line() -> None:
    with pytest.raises(ScenarioError) as info:
        load(DATA / "three_mistakes.yaml")
    assert len(str(info.value).splitlines()) == 3
