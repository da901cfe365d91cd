"""Issue 16's edges, one test each: located refusals at load, runs refused before they start,
the command line's option checks, sweep services and a corrupt sweep on --resume."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from memsim.cli import app
from memsim.scenario import ScenarioError, load, loads
from memsim.scenario.bounds import MAX_DEPTH
from memsim.scenario.budget import MAX_STEPS, check_fits, estimate
from memsim.sweep.executors import DASHBOARD, SchedulerUnreachable, connect
from memsim.units import GIB, parse_duration, parse_size

runner = CliRunner()
BASE = """\
name: t
duration: 2min
host: {memory: 2GiB}
vms:
  - {name: a, memory: 256MiB, reservation: 32MiB, power_on: 30s}
"""


def errors(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        loads(text, source="t.yaml")
    return [str(item) for item in caught.value.errors]


@pytest.mark.parametrize(
    "value", ["1e7000000B", "1e-7000000B", "1e99999GiB", 10**5000], ids=["up", "down", "GiB", "int"]
)
def test_absurd_magnitudes_are_refused_before_converting(value: object) -> None:
    started = time.monotonic()
    with pytest.raises(ValueError, match="out of range|too large"):
        parse_size(value)
    with pytest.raises(ValueError):
        parse_duration(value)
    assert time.monotonic() - started < 1  # not an exact fraction of millions of digits


def test_structure_limits_are_located() -> None:
    assert errors(f"name: {'[' * (MAX_DEPTH + 1)}{']' * (MAX_DEPTH + 1)}\n") == [
        f"t.yaml:1:{MAX_DEPTH + 6}: nested more than {MAX_DEPTH} levels deep"
    ]
    assert errors("name: &a [*a]\n") == ["t.yaml:1:11: alias *a refers to a value that holds it"]
    names = ["a", *(f"b{i}" for i in range(6))]
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]\n"
        for previous, name in zip(names, names[1:], strict=False)
    )
    assert "expands to more than" in errors(laughs)[0]


def test_keys_that_are_not_names_are_located() -> None:
    assert errors(BASE + "? [x, y]\n: 1\n") == [
        "t.yaml:6:3: a key must be a name, not a list or mapping"
    ]
    assert errors(BASE + "x: [{a: 1}: 2, {? [a, {b: 1}] : 1}]\n")[0].startswith("t.yaml:6:5: a key")
    assert "t.yaml:6:1: a key must be a name, not null" in errors(BASE + "~: 2\n")


def test_a_group_count_is_checked_before_expanding() -> None:
    started = time.monotonic()
    found = errors(BASE.replace("power_on: 30s}", "power_on: 30s, count: 10000000}"))
    assert time.monotonic() - started < 2
    assert any("vms[0].count: must be at most 10000" in line for line in found)


def test_events_are_held_to_the_rules_of_the_file() -> None:
    """Issue 11 item 4, at load time with file:line:col."""
    cases = {
        "{at: 10s, set: {vms.a.workload.active: 5%}}": "a powers on at 30s",
        "{at: 1min, set: {vms.a.reservation: 1GiB}}": "1GiB is above memory 256MiB",
        "{at: 1min, set: {vms.a.limit: 16MiB}}": "limit 16MiB would be below the reservation",
        "{at: 1min, set: {vms.a.workload.footprint: 512MiB}}": "footprint 512MiB is above",
        "{at: 1min, set: {vms.a.maxmemctl: 1GiB}}": "1GiB is above memory 256MiB",
    }
    for event, message in cases.items():
        (line,) = errors(BASE + f"events:\n  - {event}\n")
        assert line.startswith("t.yaml:7:") and message in line, line
    # the values an event leaves are what later events are checked against
    later = (
        "  - {at: 1min, set: {vms.a.limit: 64MiB}}\n"
        "  - {at: 90s, set: {vms.a.reservation: 100MiB}}\n"
    )
    (line,) = errors(BASE + "events:\n" + later)
    assert (
        line.startswith("t.yaml:8:") and "limit 64MiB would be below the reservation 100MiB" in line
    )
    loads(BASE + "events:\n  - {at: 30s, set: {vms.a.workload.active: 5%}}\n", source="t.yaml")


def test_null_claim_keys_are_located() -> None:
    for key, text in [
        ("at", "{at: null, vm: a, consumed: 1}"),
        ("vm", "{at: end, vm: null, consumed: 1}"),
    ]:
        (line,) = errors(BASE + f"expect:\n  - {text}\n")
        assert line.startswith("t.yaml:7:") and f"expect[0].{key}: needs a value, not null" in line


def test_step_and_swap_bandwidth_that_would_hang_or_disable() -> None:
    found = errors(BASE.replace("duration: 2min", "duration: 2min\nstep: 1e-9s").replace(
        "{memory: 2GiB}", "{memory: 2GiB, swap: {bandwidth: 0}}"))  # fmt: skip
    assert any(line.startswith("t.yaml:3:7: step: ") for line in found)
    assert any("host.swap.bandwidth: must be more than 0" in line for line in found)


def test_traces_stay_under_the_scenario_folder_unless_a_root_is_named(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "t.csv").write_text("time,active,footprint\n0,10,20\n")
    home = tmp_path / "home"
    home.mkdir()
    path = home / "s.yaml"
    path.write_text(BASE.replace("power_on: 30s", f"workload: {{trace: {outside / 't.csv'}}}"))
    with pytest.raises(ScenarioError, match="outside .*--trace-root"):
        load(path)
    assert load(path, trace_roots=[outside]).vms[0].workload.trace is not None
    ok = runner.invoke(app, ["validate", str(path), "--trace-root", str(outside)])
    assert ok.exit_code == 0, ok.output
    for bad in ("/etc/passwd", "../../../../etc/passwd", "/proc/self/status"):
        path.write_text(BASE.replace("power_on: 30s", f"workload: {{trace: '{bad}'}}"))
        with pytest.raises(ScenarioError, match="s.yaml:5:.*outside"):
            load(path)


def test_a_bad_trace_row_is_found_at_validation(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("time,active,footprint\n0,10,20\n5,x,20\n")
    path = tmp_path / "s.yaml"
    path.write_text(BASE.replace("power_on: 30s", "workload: {trace: t.csv}"))
    with pytest.raises(ScenarioError, match="t.csv line 3: column active holds 'x'"):
        load(path)


def test_runs_that_cannot_fit_are_refused_with_the_knob() -> None:
    big = loads(BASE.replace("memory: 256MiB", "memory: 1PiB").replace("2GiB", "1PiB"))
    with pytest.raises(ScenarioError, match="vms: this run needs about .* reduce the VMs' memory"):
        check_fits(big, available=64 * GIB)
    crowd = BASE.replace("{name: a,", "{name: a, count: 10000,").replace("256MiB", "1GiB")
    crowd = crowd.replace("reservation: 32MiB, ", "").replace("2GiB", "16TiB")
    cost = estimate(loads(crowd))
    assert cost.pages > 19 * 2**30 * 2  # the page arrays alone need more than 19.5 GiB twice
    long = loads(BASE.replace("duration: 2min", "duration: 3650d\nstep: 1ms\nrecord_every: 1s"))
    with pytest.raises(ScenarioError) as caught:
        check_fits(long, available=1 << 50)
    assert f"more than {MAX_STEPS:,}" in str(caught.value) and "--allow-large" in str(caught.value)
    assert check_fits(loads(BASE), available=64 * GIB).steps == 120


def test_cli_refuses_what_cannot_fit_unless_allowed(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(BASE.replace("duration: 2min", "duration: 3650d\nstep: 1ms\nrecord_every: 1h"))
    refused = runner.invoke(app, ["run", str(path), "-o", str(tmp_path / "o"), "-q"])
    assert refused.exit_code == 2 and "--allow-large" in refused.output
    assert runner.invoke(app, ["validate", str(path)]).exit_code == 2
    assert runner.invoke(app, ["validate", str(path), "--allow-large"]).exit_code == 0


@pytest.mark.parametrize("workers", ["0", "-1"])
def test_sweep_workers_below_one_are_usage_errors(
    tmp_path: Path, write_small_scenario, workers: str
) -> None:
    path = write_small_scenario()
    result = runner.invoke(
        app, ["sweep", str(path), "-o", str(tmp_path / "o"), "--workers", workers]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    with pytest.raises(ValueError, match="at least 1"), connect(workers=int(workers)):
        pass


def test_an_unreachable_scheduler_is_reported_within_seconds(
    tmp_path: Path, write_small_scenario
) -> None:
    path = write_small_scenario()
    started = time.monotonic()
    args = ["sweep", str(path), "-o", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:9"]
    result = runner.invoke(app, args)
    assert time.monotonic() - started < 20
    assert result.exit_code == 1 and "no dask scheduler answered" in result.output
    assert isinstance(result.exception, SystemExit)
    with pytest.raises(SchedulerUnreachable), connect(scheduler="tcp://127.0.0.1:9"):
        pass


def test_the_local_dashboard_is_served_on_loopback_only() -> None:
    assert DASHBOARD.startswith("127.0.0.1:")
    with connect(workers=1, dashboard=True) as executor:
        link = executor.client.dashboard_link  # type: ignore[attr-defined]
    assert link.startswith("http://127.0.0.1:"), link


def test_resume_with_a_corrupt_table_explains_and_offers_to_start_over(
    tmp_path: Path, write_small_scenario
) -> None:
    path = write_small_scenario()
    out = tmp_path / "o"
    args = ["sweep", str(path), "-o", str(out), "--grid", "vms.web.count=1,2", "-q"]
    assert runner.invoke(app, args).exit_code == 0
    (out / "sweep.parquet").write_bytes(b"PAR1 not really")
    resumed = runner.invoke(app, [*args, "--resume"])
    text = " ".join(resumed.output.split())
    assert resumed.exit_code == 2 and "cannot be read" in text and "--force" in text, text
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
