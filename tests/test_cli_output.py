"""Terminal output that never truncates, plain progress off a terminal, ``--json`` objects."""

import io
import json
import re
from pathlib import Path

import jsonschema
import pytest
from rich.console import Console
from typer.testing import CliRunner

from memsim import cli_json
from memsim.cli import app
from memsim.sweep.metrics import summarize
from memsim.terminal import fitted_tables, plain_progress

runner = CliRunner()
QUICKSTART = Path(__file__).parents[1] / "scenarios" / "quickstart.yaml"
INVALID = Path(__file__).parent / "data" / "scenarios"


def _render(width: int, rows: list[list[str]], headers: list[str]) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, highlight=False)
    for table in fitted_tables("t", headers, rows, width):
        console.print(table)
    return buffer.getvalue()


@pytest.mark.parametrize("width", [40, 80, 120])
def test_tables_split_instead_of_cutting_numbers(width: int) -> None:
    headers = ["vm"] + [f"counter\n{i} MiB" for i in range(12)]
    rows = [[f"vm-{r}"] + [f"{29_476.5 * (r + 1) + i:,.1f}" for i in range(12)] for r in range(5)]
    text = _render(width, rows, headers)
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width
    for row in rows:
        for cell in row[1:]:
            assert cell in text  # whole, on one line
    if width < 120:
        assert text.count("vm-0") >= 2  # the name column repeats in the second table


def test_plain_progress_prints_periodically() -> None:
    buffer = io.StringIO()
    err = Console(file=buffer, width=80)
    tick = plain_progress(err, lambda n: f"at {n}", every=0.0)
    for n in range(3):
        tick(n)
    assert buffer.getvalue().splitlines() == ["at 0", "at 1", "at 2"]


@pytest.fixture(scope="module")
def run_json(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, str]:
    folder = tmp_path_factory.mktemp("run") / "out"
    args = ["run", str(QUICKSTART), "-o", str(folder), "--json", "--check", "--no-report"]
    result = runner.invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


def test_run_json_matches_the_schema(run_json: tuple[int, str, str]) -> None:
    code, stdout, _ = run_json
    obj = json.loads(stdout)
    jsonschema.validate(obj, cli_json.schema())
    assert code == (0 if all(c["passed"] for c in obj["claims"]) else 1)
    vm = next(iter(obj["vms"].values()))
    total = (
        sum(vm[k] for k in vm if k.startswith("latency_") and k.endswith("_mean"))
        - vm["latency_mean"]
    )
    assert total == pytest.approx(vm["latency_mean"], abs=1e-9)


def test_run_off_a_terminal_prints_whole_lines(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(QUICKSTART), "-o", str(tmp_path / "o"), "--no-report"])
    assert result.exit_code == 0, result.output
    assert "…" not in result.stdout
    assert re.search(r"simulated, done", result.stderr)
    numbers = re.findall(r"\d[\d,]*\.\d", result.stdout)
    assert numbers  # the table has its numbers, none cut


def test_validate_json_lists_every_error() -> None:
    files = [str(QUICKSTART), *map(str, sorted(INVALID.glob("*.yaml")))]
    result = runner.invoke(app, ["validate", "--json", *files])
    obj = json.loads(result.stdout)
    jsonschema.validate(obj, cli_json.schema())
    assert obj["files"][0]["ok"] is True
    bad = [f for f in obj["files"] if not f["ok"]]
    assert (result.exit_code == 2) == bool(bad)
    assert all(f["errors"] and f["errors"][0]["message"] for f in bad)


def test_schema_rejects_a_wrong_object() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"format": 1, "command": "run"}, cli_json.schema())


@pytest.mark.parametrize("command", ["run", "validate", "sweep", "capacity", "report", "compare"])
def test_every_command_has_quiet_and_short_help(command: str) -> None:
    result = runner.invoke(app, [command, "-h"])
    assert result.exit_code == 0
    assert "--quiet" in result.stdout


def test_sweep_metrics_agree_with_the_run_summary() -> None:
    from memsim import api

    results = api.run(QUICKSTART.parent / "walkthrough-blocking-in-low.yaml")
    host = results.summary().host.iloc[0]
    metrics = summarize(results.vms, results.host, results.manifest["simulated"], results.events)
    assert host["time_soft"] > 0  # not only high: the metrics have time to agree on
    for key in ("sharing_saved_mean", "time_high", "time_soft", "time_hard", "time_low"):
        assert metrics[key] == pytest.approx(host[key])
