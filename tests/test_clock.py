"""Clock time: ``start:``, clock times in ``at:``, and real timestamps in outputs."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from memsim.capture.esxtop import read_esxtop, write_esxtop
from memsim.capture.vcenter import read_vcenter, write_vcenter
from memsim.report.style import TimeScale
from memsim.scenario import ScenarioError, json_schema
from memsim.scenario.clock import clock_seconds, parse_start
from tests.support.helpers import scenario
from tests.support.synthetic_results import make_results

START = datetime(2026, 12, 2, 8, 0)

BASE = """
name: clock
duration: 2h
{start}
host: {{memory: 4GiB}}
vms:
  - name: web
    memory: 2GiB
    workload:
      footprint: 1GiB
      active: 30%
      phases: [{{at: {phase}, active: 45%}}]
events:
  - at: {at}
    set: {{vms.web.workload.active: 40%}}
"""


def clocked(at: str, phase: str = "30min", start: str = "start: 2026-12-02T08:00") -> str:
    return BASE.format(start=start, at=at, phase=phase)


@pytest.mark.parametrize(
    ("at", "seconds"),
    [('"09:00"', 3600.0), ("2026-12-02T09:30", 5400.0), ("2026-12-02 08:00:30", 30.0),
     ("20min", 1200.0), ('"08:00"', 0.0)],
)  # fmt: skip
def test_clock_times_become_seconds_from_start(at: str, seconds: float) -> None:
    s = scenario(clocked(at, phase='"08:30"'))
    assert s.start == START
    assert s.events[0].at == seconds
    assert s.vms[0].workload.phases[0].at == 1800.0


def test_time_of_day_is_its_first_occurrence_from_start() -> None:
    start = datetime(2026, 12, 2, 22, 0)
    assert clock_seconds("23:30", start) == 5400.0
    assert clock_seconds("01:00", start) == 3 * 3600.0  # past midnight: the next day


@pytest.mark.parametrize(
    ("at", "message"),
    [('"25:00"', "not a time of day"), ("2026-12-02T07:00", "before start (2026-12-02T08:00)"),
     ('"07:00"', "after the end of the run (2h, 2026-12-02T10:00)"),
     ("2026-13-02T07:00", "not a valid date-time")],
)  # fmt: skip
def test_bad_clock_times_are_located(at: str, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        scenario(clocked(at))
    text = str(err.value)
    assert "<test>:14:9: events[0].at:" in text and message in text


def test_clock_time_needs_a_start() -> None:
    with pytest.raises(ScenarioError) as err:
        scenario(clocked('"09:00"', start=""))
    assert "events[0].at: '09:00' is a clock time: give the scenario a start:" in str(err.value)


def test_bad_start_is_located() -> None:
    with pytest.raises(ScenarioError, match=r"<test>:4:8: start: 'soon' is not a date-time"):
        scenario(clocked("20min", start="start: soon"))


def test_start_with_a_zone_is_utc() -> None:
    assert parse_start("2026-12-02T09:30+01:00") == datetime(2026, 12, 2, 8, 30)


def test_without_start_nothing_changes() -> None:
    s = scenario(clocked("20min", start=""))
    assert s.start is None and s.events[0].at == 1200.0
    assert make_results(1).start is None
    assert "clock" not in make_results(1).long().columns


def test_schema_documents_start_and_clock_times() -> None:
    schema = json_schema()
    assert "wall-clock time" in schema["properties"]["start"]["anyOf"][0]["description"]
    for model in ("Event", "Phase"):
        at = schema["$defs"][model]["properties"]["at"]
        assert "time of day" in at["description"]
        assert any(p.get("pattern", "").startswith(r"^\d{1,2}:") for p in at["anyOf"])


def test_results_carry_real_timestamps() -> None:
    results = make_results(2)
    with pytest.raises(ValueError, match="no start"):
        results.clock()
    results.manifest["scenario"]["start"] = "2026-12-02T08:00"
    clock = results.clock()
    assert clock[0] == pd.Timestamp(START)
    assert (clock - clock[0]).total_seconds().tolist() == results.host.index.tolist()
    tidy = results.long()
    assert list(tidy.columns[:3]) == ["time", "clock", "vm"]
    assert (tidy["clock"] - pd.Timestamp(START)).dt.total_seconds().tolist() == tidy[
        "time"
    ].tolist()


def test_exports_carry_real_timestamps(tmp_path: Path) -> None:
    results = make_results(2)
    results.manifest["scenario"]["start"] = "2026-12-02T08:00"
    write_esxtop(results, tmp_path / "esxtop.csv", host="esx01")
    rows = list(csv.reader((tmp_path / "esxtop.csv").read_text().splitlines()))
    assert rows[1][0] == "12/02/2026 08:00:00" and rows[2][0] == "12/02/2026 08:00:20"
    assert read_esxtop(tmp_path / "esxtop.csv").start == START
    write_vcenter(results, tmp_path / "stats.csv")
    assert pd.read_csv(tmp_path / "stats.csv")["Timestamp"].iloc[0] == "2026-12-02T08:00:00Z"
    later = datetime(2027, 1, 5, 12, 0)  # an explicit start wins over the scenario's
    write_esxtop(results, tmp_path / "later.csv", start=later)
    assert read_esxtop(tmp_path / "later.csv").start == later
    write_vcenter(results, tmp_path / "later-vc.csv", start=later)
    assert read_vcenter(tmp_path / "later-vc.csv").start.replace(tzinfo=None) == later


def test_report_axes_show_clock_times() -> None:
    from matplotlib.figure import Figure

    scale = TimeScale.of([0.0, 3600.0, 7200.0], START)
    ax = Figure().subplots()
    ax.plot(scale([0.0, 7200.0]), [0, 1])
    scale.axis(ax)
    assert ax.get_xlabel() == "clock time (from 2026-12-02 08:00)"
    assert ax.xaxis.get_major_formatter()(90.0, 0) == "09:30"  # 90 min after start
    assert TimeScale.of([0.0, 7200.0]).label == "time (min)"
    days = TimeScale.of([0.0, 3 * 86400.0], START)
    assert days._clock(24.0) == "12-03 08:00"
