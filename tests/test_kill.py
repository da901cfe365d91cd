"""Kills at any moment leave the old result or the new one, never a mixture.

A save is killed (SIGKILL) before and after each of its file-system steps in turn; ``memsim
run --force`` over an old result is interrupted (SIGINT) and killed (SIGKILL) at several
moments; so is a sweep, which ``--resume`` then finishes. After each, the folder holds one
run's complete files (``load_results`` checks each file against the manifest), and the
interrupted command said what is on disk and exited 130.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from memsim.results import load_results, store
from tests.support.synthetic_results import make_results

MEMSIM = [str(Path(sys.executable).with_name("memsim"))]  # the console script
SCENARIO = """\
name: kill
duration: 5min
record_every: 10s
host: {memory: 1GiB, vmkernel: 64MiB}
vms:
  - name: web
    count: 3
    memory: 384MiB
    workload: {footprint: 90%, active: 50%}
"""


# --- a save killed at every step ------------------------------------------------------------


def _killed_save(out: str, step: int, force: bool) -> None:
    """In a child process: save a result, dying by SIGKILL at file-system step ``step``."""
    count = 0

    def tick() -> None:
        nonlocal count
        count += 1
        if count == step:
            os.kill(os.getpid(), signal.SIGKILL)

    def counted(fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            tick()
            value = fn(*args, **kwargs)
            tick()
            return value

        return wrapper

    os.replace = counted(os.replace)  # type: ignore[assignment]
    os.rename = counted(os.rename)  # type: ignore[assignment]
    store._exchange = counted(store._exchange)  # type: ignore[assignment]
    shutil.rmtree = counted(shutil.rmtree)  # type: ignore[assignment]
    make_results(3).save(Path(out), report=False, force=force)
    os._exit(0)


def _one_run(folder: Path, allowed: dict[str | None, set[str]]) -> str | None:
    """The run id the folder holds, after checking its files are all of that one run."""
    identity = store.result_in(folder)
    assert identity in allowed, identity
    if identity is not None:
        load_results(folder)  # every data file matches the manifest's hash
        assert {p.name for p in folder.iterdir()} == allowed[identity]
    return identity


@pytest.mark.parametrize("force", [False, True], ids=["new-folder", "force-over-old"])
def test_a_save_killed_at_any_step_leaves_old_or_new(tmp_path: Path, force: bool) -> None:
    old_folder, new_folder = tmp_path / "old", tmp_path / "new"
    old_id = store.result_in(make_results(2).save(old_folder, report=False, fmt="csv"))
    new_id = store.result_in(make_results(3).save(new_folder, report=False))
    allowed: dict[str | None, set[str]] = {new_id: {p.name for p in new_folder.iterdir()}}
    if force:  # the old result has CSV copies the new one lacks: none may survive beside it
        allowed[old_id] = {p.name for p in old_folder.iterdir()}
    else:
        allowed[None] = set()
    context = multiprocessing.get_context("fork")
    seen = set()
    for step in range(1, 60):
        out = tmp_path / f"run-{step}"
        if force:
            shutil.copytree(old_folder, out)
        child = context.Process(target=_killed_save, args=(str(out), step, force))
        child.start()
        child.join(60)
        seen.add(_one_run(out, allowed))
        if child.exitcode == 0:
            break
        assert child.exitcode == -signal.SIGKILL
    else:
        pytest.fail("the save never finished")
    assert step > 4 and new_id in seen and (old_id if force else None) in seen
    # the next save to the same place clears what a killed one left beside it
    make_results(3).save(out, report=False, force=True)
    left = [p.name for p in tmp_path.iterdir() if p.name.startswith(f".{out.name}.")]
    assert not left


# --- the command line, interrupted and killed ---------------------------------------------


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A scenario, an old result (seed 1), and the new one (seed 2) with its run time."""
    home = tmp_path_factory.mktemp("kill")
    (home / "kill.yaml").write_text(SCENARIO)
    subprocess.run(
        [*MEMSIM, "run", "kill.yaml", "--seed", "1", "-o", "old", "-q"], cwd=home, check=True
    )
    started = time.monotonic()
    subprocess.run(
        [*MEMSIM, "run", "kill.yaml", "--seed", "2", "-o", "new", "-q"], cwd=home, check=True
    )
    seconds = time.monotonic() - started
    ids = {name: store.result_in(home / name) for name in ("old", "new")}
    listing = {ids[name]: {p.name for p in (home / name).iterdir()} for name in ids}
    return {"home": home, "seconds": seconds, "ids": ids, "listing": listing}


@pytest.mark.parametrize("fraction", [0.3, 0.9])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_run_force_interrupted_at_several_moments(
    runs: dict[str, Any], sig: signal.Signals, fraction: float, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(runs["home"] / "old", out)
    command = [*MEMSIM, "run", "kill.yaml", "--seed", "2", "-o", str(out), "-q", "--force"]
    child = subprocess.Popen(command, cwd=runs["home"], stderr=subprocess.PIPE, text=True)
    time.sleep(runs["seconds"] * fraction)
    child.send_signal(sig)
    _, stderr = child.communicate(timeout=120)
    assert "Traceback" not in stderr
    identity = _one_run(out, runs["listing"])
    if child.returncode == 0:
        assert identity == runs["ids"]["new"]
    elif sig == signal.SIGINT:
        assert child.returncode == 130, stderr
        said = "still holds the previous result" if identity == runs["ids"]["old"] else "complete"
        assert "interrupted;" in stderr and said in stderr, stderr
    else:
        assert child.returncode == -signal.SIGKILL


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_a_sweep_interrupted_keeps_complete_runs_and_resumes(
    runs: dict[str, Any], sig: signal.Signals, tmp_path: Path
) -> None:
    sweep = [*MEMSIM, "sweep", str(runs["home"] / "kill.yaml"), "-o", str(tmp_path / "sw")]
    sweep += ["--grid", "host.advanced.Mem.IdleTax=0,75", "--seeds", "1", "-q"]
    child = subprocess.Popen(sweep, stderr=subprocess.PIPE, text=True)
    time.sleep(runs["seconds"] * 1.2)  # within the second of two runs
    child.send_signal(sig)
    _, stderr = child.communicate(timeout=120)
    assert "Traceback" not in stderr
    if sig == signal.SIGINT and child.returncode != 0:
        assert child.returncode == 130 and "--resume" in stderr, stderr
    table_path = tmp_path / "sw" / "sweep.parquet"
    if table_path.exists():
        for row in pd.read_parquet(table_path).itertuples():
            if row.status == "ok":
                load_results(tmp_path / "sw" / row.folder)  # each finished run is whole
    resumed = subprocess.run([*sweep, "--resume"], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    table = pd.read_parquet(table_path)
    assert len(table) == 2 and set(table["status"]) == {"ok"}
    for folder in table["folder"]:
        load_results(tmp_path / "sw" / folder)


@pytest.mark.parametrize("delay", [0.4, 1.0])
def test_run_interrupted_while_starting_exits_130_quietly(
    runs: dict[str, Any], delay: float, tmp_path: Path
) -> None:
    """While Python imports memsim's libraries (after the first fraction of a second)."""
    command = [*MEMSIM, "run", "kill.yaml", "-o", str(tmp_path / "out"), "-q"]
    child = subprocess.Popen(command, cwd=runs["home"], stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=120)
    assert child.returncode in (130, 0) and "Traceback" not in stderr, stderr
    if child.returncode == 130:
        assert stderr.strip().startswith("interrupted;"), stderr
