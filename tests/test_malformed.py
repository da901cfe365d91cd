"""The malformed-input catalogue (tests/support/malformed_catalogue.py): every file ends within
10 s and 1 GiB, with exit 2 and a located message on every line, or, when it is valid, with a
clean run. No traceback, whatever the file holds."""

from __future__ import annotations

import re
import resource
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from memsim.cli import app
from tests.support.malformed_catalogue import Case, cases, write

runner = CliRunner()
CATALOGUE = cases()
SECONDS = 10
PEAK = 1 << 30


def test_the_catalogue_is_large() -> None:
    assert len(CATALOGUE) >= 100
    assert len({case.name for case in CATALOGUE}) == len(CATALOGUE)


def _reset_peak() -> int:
    """Reset the process's peak resident size (Linux) and return the current size in bytes."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    return _status("VmRSS")


def _status(field: str) -> int:
    with open("/proc/self/status") as fh:
        line = next(line for line in fh if line.startswith(field + ":"))
    return int(line.split()[1]) * 1024


def _timeout(signum: int, frame: Any) -> None:
    raise TimeoutError(f"took more than {3 * SECONDS} s")


def _invoke(args: list[str]) -> tuple[Any, float, int]:
    """Run memsim in-process; (result, seconds, peak bytes above the start)."""
    start_rss = _reset_peak()
    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(3 * SECONDS)  # a hang fails this test instead of the suite
    started = time.monotonic()
    try:
        result = runner.invoke(app, args)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return result, time.monotonic() - started, _status("VmHWM") - start_rss


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("case", CATALOGUE, ids=[c.name for c in CATALOGUE])
def test_each_file_is_refused_where_it_is_wrong_or_runs(case: Case, tmp_path: Path) -> None:
    path = write(case, tmp_path)
    result, seconds, peak = _invoke(["validate", str(path)])
    assert seconds <= SECONDS and peak <= PEAK, (seconds, peak)
    assert isinstance(result.exception, SystemExit | None), result.exception
    assert "Traceback" not in result.output and "Warning" not in result.output
    if result.exit_code == 0:  # valid: it must run cleanly too
        out = tmp_path / "out"
        ran, seconds, peak = _invoke(["run", str(path), "-o", str(out), "-q", "--no-report"])
        assert ran.exit_code == 0 and "Traceback" not in ran.output, ran.output
        assert seconds <= SECONDS and peak <= PEAK, (seconds, peak)
        assert (out / "manifest.json").is_file()
        return
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines
    place = re.escape(str(path)) + (r":\d+:\d+: " if case.located else r"(:\d+:\d+)?: ")
    for line in lines:
        assert re.match(place, line), line


def test_memory_is_measured() -> None:
    """The peak measurement sees an allocation (so the 1 GiB bound above could fail)."""
    _reset_peak()
    start = _status("VmRSS")
    block = bytearray(64 << 20)
    block[::4096] = b"x" * len(block[::4096])
    assert _status("VmHWM") - start >= 60 << 20
    del block
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss > 0
