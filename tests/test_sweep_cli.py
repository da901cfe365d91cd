"""``memsim sweep`` and ``memsim capacity`` through typer's CliRunner."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from memsim.cli import app

runner = CliRunner()


def test_sweep_command_writes_and_resumes(tmp_path, write_small_scenario) -> None:
    path = write_small_scenario("sweep:\n  host.advanced.Mem.IdleTax: [0, 75]\n")
    out = tmp_path / "out"
    args = ["sweep", str(path), "-o", str(out), "--grid", "vms.web.count=1,2", "-q"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out / "sweep.parquet")
    assert len(table) == 4 and (out / "report.html").exists()
    assert list(table.columns[1:3]) == ["host.advanced.Mem.IdleTax", "vms.web.count"]

    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "--resume" in again.output
    resumed = runner.invoke(app, [*args[:-1], "--resume", "--metric", "min_free"])
    assert resumed.exit_code == 0, resumed.output
    assert "min_free by grid point" in resumed.output
    assert "4 runs, 0 failed" in " ".join(resumed.output.split())


def test_sweep_command_reports_bad_grids(tmp_path, write_small_scenario) -> None:
    path = write_small_scenario()
    out = str(tmp_path / "out")
    bad = runner.invoke(app, ["sweep", str(path), "-o", out, "--grid", "vms.nope.count=1,2"])
    assert bad.exit_code == 2 and "--grid: vms.nope.count" in bad.output
    both = ["sweep", str(path), "-o", out, "--workers", "2", "--scheduler", "tcp://x:1"]
    assert runner.invoke(app, both).exit_code == 2
    metric = runner.invoke(app, ["sweep", str(path), "-o", out, "--metric", "speed"])
    assert metric.exit_code == 2 and "--metric" in metric.output


def test_capacity_command(write_small_scenario) -> None:
    path = write_small_scenario()
    args = ["capacity", str(path), "--vm", "web", "--max-latency", "5%", "--max-count", "2"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "capacity: 2 x web" in text and "may hold more" in text
    bad = runner.invoke(app, [*args[:-2], "--max-latency", "lots"])
    assert bad.exit_code == 2
