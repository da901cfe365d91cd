"""The report, compare and import commands of the memsim CLI."""

from pathlib import Path

from typer.testing import CliRunner, Result

from memsim.cli import app
from memsim.scenario import load
from tests.support.synthetic_results import make_results

runner = CliRunner()
FIXTURE = Path(__file__).parent / "data" / "esxtop" / "capture.csv"


def _said(result: Result) -> str:
    """Command output with rich's line wrapping undone."""
    return " ".join(result.output.split())


def _saved(tmp_path: Path, name: str, scale: float = 1.0) -> Path:
    return make_results(2, scale=scale).save(tmp_path / name, report=False)


def test_report_rerenders(tmp_path: Path) -> None:
    run = _saved(tmp_path, "run")
    result = runner.invoke(app, ["report", str(run)])
    assert result.exit_code == 0, result.output
    assert (run / "report.html").exists() and (run / "figures" / "vms.png").exists()


def test_report_needs_a_results_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a memsim results folder" in _said(result)


def test_compare(tmp_path: Path) -> None:
    a, b = _saved(tmp_path, "a"), _saved(tmp_path, "b", scale=1.2)
    out = tmp_path / "cmp"
    result = runner.invoke(app, ["compare", str(a), str(b), "-o", str(out)])
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text()
    assert "<summary>a</summary>" in html and "<summary>b</summary>" in html  # folder names
    again = runner.invoke(app, ["compare", str(a), str(b), "-o", str(out)])
    assert again.exit_code == 2 and "not empty" in _said(again)
    forced = runner.invoke(app, ["compare", str(a), str(b), "-o", str(out), "--force"])
    assert forced.exit_code == 0


def test_import_esxtop(tmp_path: Path) -> None:
    target = tmp_path / "lab.yaml"
    result = runner.invoke(app, ["import", "esxtop", str(FIXTURE), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert [vm.name for vm in load(target).machines()] == ["web-01", "db"]
    assert (tmp_path / "traces" / "web-01.csv").exists()
    again = runner.invoke(app, ["import", "esxtop", str(FIXTURE), "-o", str(target)])
    assert again.exit_code == 2 and "--force" in _said(again)


def test_import_rejects_other_files(tmp_path: Path) -> None:
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n")
    result = runner.invoke(app, ["import", "esxtop", str(bad), "-o", str(tmp_path / "s.yaml")])
    assert result.exit_code == 2 and "PDH-CSV" in _said(result)
