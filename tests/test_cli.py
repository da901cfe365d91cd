"""The memsim command: version, validate, schema, run (with a fake engine)."""

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from click.testing import Result
from typer.testing import CliRunner

import memsim.api
from memsim.cli import app
from memsim.results import OutputExistsError
from memsim.scenario import Scenario

runner = CliRunner()
DATA = Path(__file__).parent / "data" / "scenarios"
VALID = DATA / "valid.yaml"


def said(result: Result) -> str:
    """Command output with rich's line wrapping undone."""
    return " ".join(result.output.split())


class FakeResults(SimpleNamespace):
    """Stands in for Results: two tables and a save() that refuses a non-empty folder."""

    def save(self, directory: Path, fmt: str, report: bool, force: bool) -> Path:
        directory = Path(directory)
        if directory.exists() and any(directory.iterdir()) and not force:
            raise OutputExistsError(f"{directory} is not empty; use --force to write into it")
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "saved.json").write_text(json.dumps({"fmt": fmt, "report": report}))
        return directory

    def summary(self) -> Any:
        """The summary tables, as Results computes them from the two tables."""
        from memsim.results.summary import host_summary, vm_summary

        return SimpleNamespace(vms=vm_summary(self.vms), host=host_summary(self.host, "fake"))

    @property
    def name(self) -> str:
        return "fake"


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace memsim.api.run with a fake; record how it was called."""
    made: list[dict[str, Any]] = []

    def fake_run(
        scenario: Scenario,
        *,
        seed: int | None = None,
        progress: Any = None,
        allow_large: bool = False,
    ) -> Any:
        made.append({"scenario": scenario, "seed": seed, "allow_large": allow_large})
        if progress is not None:
            progress(scenario.duration / 2, scenario.duration)
            progress(scenario.duration, scenario.duration)
        times = [0.0, scenario.duration]
        vms = pd.DataFrame({"time": times, "vm": ["web-1"] * 2, "consumed": [10.0, 600.0]})
        host = pd.DataFrame({"time": times, "state": ["high", "soft"]})
        return FakeResults(
            vms=vms.set_index("time"),
            host=host.set_index("time"),
            manifest={"warnings": ["power-on refused: db at 1s (no room)"]},
        )

    monkeypatch.setattr(memsim.api, "run", fake_run)
    return made


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("memsim ")


def test_validate_ok_and_errors() -> None:
    result = runner.invoke(app, ["validate", str(VALID), str(DATA / "three_mistakes.yaml")])
    assert result.exit_code == 2
    assert f"{VALID}: OK (4 VMs, 30min)" in result.output
    lines = [line for line in result.output.splitlines() if "three_mistakes.yaml:" in line]
    assert [line.split(": ")[0].rsplit(":", 2)[1:] for line in lines] == [
        ["5", "12"],
        ["9", "22"],
        ["12", "5"],
    ]
    assert "Traceback" not in result.output


def test_validate_missing_file() -> None:
    result = runner.invoke(app, ["validate", str(DATA / "absent.yaml")])
    assert result.exit_code == 2 and "absent.yaml: no such file" in result.output


def test_schema_is_json_schema() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert {"name", "duration", "host", "vms"} <= set(schema["properties"])


def test_run_saves_to_the_default_folder(
    calls: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["run", str(VALID), "--seed", "5", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert calls[0]["seed"] == 5
    saved = json.loads((tmp_path / "out" / "valid" / "saved.json").read_text())
    assert saved == {"fmt": "csv", "report": True}
    assert "wrote out/valid" in said(result)
    assert "warning: power-on refused: db at 1s (no room)" in said(result)


def test_run_with_overrides(calls: list[dict[str, Any]], tmp_path: Path) -> None:
    args = ["run", str(VALID), "-o", str(tmp_path / "o"), "-q", "--no-report"]
    args += ["--set", "vms.web.memory=2GiB", "--set", "host.advanced.Mem.IdleTax=0"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    scenario = calls[0]["scenario"]
    assert scenario.vms[0].memory == 2 << 30
    assert scenario.settings()["Mem.IdleTax"] == 0
    assert result.output == ""  # quiet: errors only


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("vms.web.memory", "write key.path=value"),
        ("vms.web.memory=-1GiB", "--set: vms[0].memory: size must not be negative"),
        ("vms.nobody.memory=1GiB", "no VM or group named 'nobody'"),
    ],
)
def test_run_bad_override(calls: list[dict[str, Any]], override: str, message: str) -> None:
    result = runner.invoke(app, ["run", str(VALID), "--set", override])
    assert result.exit_code == 2 and message in said(result)
    assert not calls


def test_run_invalid_scenario(calls: list[dict[str, Any]]) -> None:
    result = runner.invoke(app, ["run", str(DATA / "unknown_key.yaml")])
    assert result.exit_code == 2 and "did you mean 'memory'?" in said(result)
    assert not calls


def test_run_refuses_a_non_empty_folder(calls: list[dict[str, Any]], tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{}")  # a previous result
    result = runner.invoke(app, ["run", str(VALID), "-o", str(tmp_path), "-q"])
    assert result.exit_code == 2 and "--force" in said(result)
    assert not calls  # refused before running
    forced = runner.invoke(app, ["run", str(VALID), "-o", str(tmp_path), "-q", "--force"])
    assert forced.exit_code == 0


def test_run_force_never_replaces_a_folder_of_other_files(
    calls: list[dict[str, Any]], tmp_path: Path
) -> None:
    (tmp_path / "old.txt").write_text("x")
    forced = runner.invoke(app, ["run", str(VALID), "-o", str(tmp_path), "-q", "--force"])
    assert forced.exit_code == 2 and "not a memsim result" in said(forced)
    assert not calls and (tmp_path / "old.txt").read_text() == "x"


def test_run_refuses_the_current_folder_before_running(
    calls: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for target in (".", ".."):
        result = runner.invoke(app, ["run", str(VALID), "-o", target, "-q", "--force"])
        assert result.exit_code == 2 and "current folder" in said(result)
    assert not calls


@pytest.mark.parametrize("seed", ["-1", str(2**64), "x"])
def test_run_seed_out_of_range_is_a_usage_error(seed: str, calls: list[dict[str, Any]]) -> None:
    result = runner.invoke(app, ["run", str(VALID), "--seed", seed, "-q"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert not calls


def test_run_check(calls: list[dict[str, Any]], tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(VALID), "-o", str(tmp_path / "o"), "--check"])
    text = said(result)
    assert "consumed ≈" in text and "600" in text
    assert result.exit_code == 0, text  # the fake's web-1 ends at 600 MiB, host never low
    failing = runner.invoke(
        app,
        ["run", str(VALID), "-o", str(tmp_path / "p"), "--check"]
        + ["--set", "expect.0.consumed.approx=1GiB"],
    )
    assert failing.exit_code == 1 and "NO" in said(failing)


def test_interrupt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(memsim.api, "run", interrupted)
    result = runner.invoke(app, ["run", str(VALID), "-o", str(tmp_path / "o")])
    assert result.exit_code == 130 and "interrupted; nothing written" in result.output
    assert not (tmp_path / "o").exists()


def _console_script(*args: str, env: dict[str, str] | None = None) -> str:
    """Stdout of the installed ``memsim`` console script run with ``args`` and ``env``."""
    import subprocess
    import sys

    script = str(Path(sys.executable).with_name("memsim"))
    done = subprocess.run([script, *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _complete(words: str) -> list[str]:
    """What the console script offers for ``words`` under bash completion (click's protocol)."""
    env = {"_MEMSIM_COMPLETE": "complete_bash", "COMP_WORDS": words}
    env["COMP_CWORD"] = str(len(words.split()) - 1)
    return _console_script(env=env).split()


def test_shell_completion_script_and_answers() -> None:
    script = _console_script(
        env={"_MEMSIM_COMPLETE": "source_bash"}
    )  # what --show-completion prints
    assert "_memsim_completion" in script and "complete -o default" in script
    assert _complete("memsim ru") == ["run"]
    assert set(_complete("memsim s")) == {"schema", "sweep"}
    assert "--quiet" in _complete("memsim run --q")
    assert _complete("memsim import e") == ["esxtop"]
