"""The ``memsim`` command: validate scenarios, print their schema, run them.

Argument handling only: every command calls :mod:`memsim.api`, :mod:`memsim.scenario` or
:mod:`memsim.results`. Invalid input of any kind prints a message on stderr and exits with
status 2, never a traceback; a failed ``--check`` exits with 1; Ctrl-C exits with 130.
"""

# ruff: noqa: E402  (the imports after the Ctrl-C handler come after it on purpose)
from __future__ import annotations

import signal
import sys
from pathlib import Path


def _quit_while_starting(signum: int, frame: object) -> None:
    """Ctrl-C before the command has started: nothing is written yet; exit 130 quietly."""
    sys.stderr.write("interrupted; nothing written\n")
    raise SystemExit(130)


if Path(sys.argv[0]).name == "memsim":  # the console script: cover the imports below too
    signal.signal(signal.SIGINT, _quit_while_starting)

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from memsim.cli_tables import file_record, summary_output
from memsim.scenario import Scenario, ScenarioError, apply_overrides, json_schema, load
from memsim.terminal import console, searching, time_progress
from memsim.units import format_duration, format_size

__all__ = ["app", "main"]

app = typer.Typer(
    name="memsim",
    help="Simulate VMware ESX/ESXi host memory management: sharing, ballooning, compression, "
    "swapping and the idle memory tax.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
out = console()
err = console(stderr=True)

INVALID = 2
INTERRUPTED = 130
_said = {"interrupted": False}  # whether a command has said what an interrupt left on disk


class UsageError(Exception):
    """Input the user must fix: a message for stderr, exit status 2."""


def print_warnings(warnings: list[str]) -> None:
    """Print warnings on stderr, one ``warning: ...`` a line."""
    for text in warnings:
        err.print(f"warning: {text}", markup=False)


def print_errors(exc: ScenarioError) -> None:
    """Print a scenario's errors on stderr, one ``file:line:col: key.path: message`` a line."""
    for item in exc.errors:
        err.print(str(item), markup=False)


@contextmanager
def user_errors(output: Path | None = None) -> Iterator[None]:
    """Turn the errors a user can act on into a message on stderr and an exit status.

    Args:
        output: The folder a run writes to, so that Ctrl-C says what it holds.
    """
    from memsim.results.store import result_in

    before = result_in(output) if output else None
    try:
        yield
    except ScenarioError as exc:
        print_errors(exc)
        raise typer.Exit(INVALID) from None
    except (UsageError, FileExistsError) as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(INVALID) from None
    except ConnectionError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print(f"interrupted; {_on_disk(output, before)}", markup=False)
        _said["interrupted"] = True
        raise typer.Exit(INTERRUPTED) from None


def _on_disk(output: Path | None, before: str | None) -> str:
    """What an interrupted command left in its output folder."""
    from memsim.results.store import result_in

    now = result_in(output) if output else None
    if output is None or (now is None and before is None):
        return "nothing written"
    if now == before:
        return f"{output} still holds the previous result, unchanged"
    if now is None:
        return f"nothing written; {output} is gone"  # only where folders cannot be exchanged
    return f"{output} holds this run's complete result"


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        out.print(f"memsim {version('memsim')}", markup=False)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """memsim: an ESX/ESXi host memory simulator."""


TraceRootOption = Annotated[
    list[Path] | None,
    typer.Option("--trace-root", help="A folder traces may lie in besides the scenario's."),
]
AllowLargeOption = Annotated[
    bool,
    typer.Option(
        "--allow-large", help="Run even if the estimated memory or step count is too large."
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON object on stdout (docs/cli-json.md).")
]


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Scenario files to check.")],
    trace_root: TraceRootOption = None,
    allow_large: AllowLargeOption = False,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Check scenario files and report every error as file:line:col: key.path: message."""
    from memsim.scenario.budget import check_fits

    invalid = 0
    records: list[dict[str, Any]] = []
    for file in files:
        try:
            scenario = load(file, trace_roots=trace_root or [])
            if not allow_large:
                check_fits(scenario)
        except ScenarioError as exc:
            if not as_json:
                print_errors(exc)
            records.append(file_record(file, errors=exc.errors))
            invalid += 1
            continue
        machines = len(scenario.machines())
        records.append(file_record(file, scenario))
        if not quiet and not as_json:
            print_warnings(scenario.warnings)
            out.print(
                f"{file}: OK ({machines} VMs, {format_duration(scenario.duration)})",
                markup=False,
            )
    if as_json:
        from memsim import cli_json

        typer.echo(cli_json.dumps(cli_json.validate_json(records)))
    if invalid:
        raise typer.Exit(INVALID)


@app.command()
def schema(
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Accepted for uniformity: only the schema.")
    ] = False,
) -> None:
    """Print the JSON Schema of the scenario YAML format, for editors."""
    out.print_json(json.dumps(json_schema()))


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """Parse ``key.path=value`` pairs; values are YAML scalars (``8GiB``, ``0``, ``true``)."""
    overrides = {}
    for pair in pairs:
        path, sep, text = pair.partition("=")
        if not sep or not path.strip():
            raise UsageError(f"--set {pair!r}: write key.path=value, e.g. vms.web.memory=8GiB")
        try:
            overrides[path.strip()] = YAML(typ="safe", pure=True).load(text)
        except YAMLError as exc:
            raise UsageError(f"--set {pair!r}: the value is not valid YAML ({exc})") from None
    return overrides


@app.command()
def run(
    scenario_file: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario file.")],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Output folder.", show_default="out/<name>"),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(min=0, max=2**63 - 1, help="Seed, instead of the scenario's.")
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a value: key.path=value (repeatable)."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="parquet, or csv for CSV copies too.")] = (
        "parquet"
    ),
    no_report: Annotated[bool, typer.Option("--no-report", help="Skip the HTML report.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Check the expect: claims.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary.")] = False,
    force: Annotated[bool, typer.Option(help="Replace a previous result in the folder.")] = False,
    trace_root: TraceRootOption = None,
    allow_large: AllowLargeOption = False,
    as_json: JsonOption = False,
) -> None:
    """Run a scenario and write its results (counters, events, manifest, report)."""
    from memsim.results.store import check_output

    with user_errors():
        if fmt not in ("parquet", "csv"):
            raise UsageError(f"--format must be parquet or csv, not {fmt!r}")
        scenario = load(scenario_file, trace_roots=trace_root or [])
        if overrides:
            scenario = apply_overrides(scenario, parse_overrides(overrides))
        folder = check_output(output or Path("out") / scenario.name, force=force)
    with user_errors(folder):
        from memsim import api

        progress = time_progress(
            err, scenario.name, scenario.duration, format_duration, quiet or as_json
        )
        with progress as advance:
            results = api.run(scenario, seed=seed, progress=advance, allow_large=allow_large)
        results.save(folder, fmt=fmt, report=not no_report, force=force)
    if not quiet and not as_json:
        print_warnings(results.manifest.get("warnings", []))
    if as_json:
        from memsim import cli_json
        from memsim.results.expect import evaluate

        outcomes = evaluate(scenario.expect, results) if check else None
        typer.echo(cli_json.dumps(cli_json.run_json(results, str(folder), outcomes)))
        if outcomes is not None and not all(o.passed for o in outcomes):
            raise typer.Exit(1)
        return
    if not quiet:
        for part in summary_output(results, out.width):
            out.print(part, markup=False)
        host = format_size(scenario.host.memory)
        machines = len(scenario.machines())
        out.print(f"wrote {folder} ({machines} VMs, host {host})", markup=False)
    if check and not check_claims(scenario, results):
        raise typer.Exit(1)


def check_claims(scenario: Scenario, results: Any) -> bool:
    """Print a table of the scenario's claims against the results; True if all hold."""
    from memsim.results.expect import evaluate

    outcomes = evaluate(scenario.expect, results)
    if not outcomes:
        out.print("no expect: claims to check")
        return True
    table = Table("claim", "measured", "passed", "detail", title=f"{scenario.name}: claims")
    for outcome in outcomes:
        measured = (
            f"{outcome.measured:.4g}"
            if isinstance(outcome.measured, float)
            else str(outcome.measured)
        )
        passed = "[green]yes[/]" if outcome.passed else "[red]NO[/]"
        table.add_row(Text(outcome.claim), Text(measured), passed, Text(outcome.detail))
    out.print(table)
    return all(outcome.passed for outcome in outcomes)


def _run_folder(directory: Path) -> Path:
    if not (directory / "manifest.json").is_file():
        raise UsageError(f"{directory} is not a memsim results folder (no manifest.json)")
    return directory


@app.command()
def report(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="A saved results folder.")],
    quiet: QuietOption = False,
) -> None:
    """Re-render report.html and figures/ of a saved run from its counters."""
    with user_errors():
        from memsim.report import write_report
        from memsim.results import load_results

        try:
            path = write_report(load_results(_run_folder(directory)), directory)
        except (OSError, ValueError) as exc:
            raise UsageError(f"{directory}: cannot read the results ({exc})") from None
    if not quiet:
        out.print(f"wrote {path}", markup=False)


@app.command()
def compare(
    directories: Annotated[
        list[Path], typer.Argument(metavar="DIR...", help="Saved results folders to overlay.")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the report.")],
    force: Annotated[bool, typer.Option(help="Write into a non-empty output folder.")] = False,
    quiet: QuietOption = False,
) -> None:
    """Overlay runs of the same VMs in one report, labelled by what differs between them."""
    with user_errors():
        from memsim.report import compare_folders

        folders = [_run_folder(d) for d in directories]
        try:
            path = compare_folders(folders, output, force=force)
        except FileExistsError:
            raise
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read the results ({exc})") from None
    if not quiet:
        out.print(f"wrote {path}", markup=False)


import_app = typer.Typer(help="Turn measurements into scenarios.", no_args_is_help=True)
app.add_typer(import_app, name="import")


@import_app.command("esxtop")
def import_esxtop(
    capture: Annotated[Path, typer.Argument(metavar="FILE", help="esxtop -b batch CSV.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Scenario YAML to write.")],
    force: Annotated[bool, typer.Option(help="Overwrite an existing scenario file.")] = False,
    quiet: QuietOption = False,
) -> None:
    """Write a scenario (host, VMs) and per-VM workload traces from an esxtop capture."""
    with user_errors():
        from memsim.capture.importer import import_scenario

        if output.exists() and not force:
            raise UsageError(f"{output} exists; pass --force to overwrite it")
        try:
            path = import_scenario(capture, output)
        except (OSError, ValueError) as exc:
            raise UsageError(str(exc)) from None
    if not quiet:
        out.print(f"wrote {path} and its traces/", markup=False)


@app.command()
def examples(
    copy: Annotated[
        Path | None,
        typer.Option("--copy", metavar="DIR", help="Copy the example scenarios into DIR."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite files already in DIR.")] = False,
    quiet: QuietOption = False,
) -> None:
    """List the example scenarios shipped with memsim, or copy them into a folder."""
    from memsim.examples_dir import copy_examples, example_files, scenario_title

    with user_errors():
        if copy is None:
            for path in example_files():
                out.print(f"{path.stem}: {scenario_title(path)}", markup=False)
            return
        written = copy_examples(copy, force=force)
    if not quiet:
        out.print(f"copied {len(written)} scenarios to {copy}", markup=False)


# --- sweeps (memsim.sweep) ------------------------------------------------------------------


WorkersOption = Annotated[
    int | None, typer.Option(min=1, help="Run on a local dask cluster of N worker processes.")
]
SchedulerOption = Annotated[
    str | None, typer.Option(help="Run on a running dask cluster (tcp://host:8786).")
]


@app.command()
def sweep(
    scenario_file: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario file.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Sweep folder.")],
    grid: Annotated[
        list[str] | None,
        typer.Option(help="Add or replace an axis: key.path=v1,v2,... (repeatable)."),
    ] = None,
    seeds: Annotated[
        int | None, typer.Option(help="Seeds per grid point (default: the sweep: block's, else 1).")
    ] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    dashboard: Annotated[
        bool, typer.Option(help="Serve the local cluster's dashboard on 127.0.0.1:8787.")
    ] = False,
    resume: Annotated[
        bool, typer.Option(help="Finish an interrupted sweep in the folder.")
    ] = False,
    force: Annotated[bool, typer.Option(help="Start over in a folder holding a sweep.")] = False,
    metric: Annotated[
        str, typer.Option(help="Metric of the report, e.g. peak_latency, peak_swapped, min_free.")
    ] = "worst_mean_latency",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or table.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Run a scenario over a grid of parameters and seeds; write a table and a report."""
    from memsim import sweep as sweeps
    from memsim.sweep.console import points_table, sweep_progress
    from memsim.sweep.report import grid_means

    with user_errors():
        if workers is not None and scheduler is not None:
            raise UsageError("give --workers or --scheduler, not both")
        if metric not in sweeps.METRICS:
            raise UsageError(f"--metric must be one of {', '.join(sweeps.METRICS)}")
        scenario = load(scenario_file)
        axes = sweeps.parse_grid(grid or [])
        try:
            with sweep_progress(err, scenario.name, quiet or as_json) as advance:
                table = sweeps.sweep(
                    scenario,
                    output,
                    grid=axes,
                    seeds=seeds,
                    workers=workers,
                    scheduler=scheduler,
                    dashboard=dashboard,
                    resume=resume,
                    force=force,
                    metric=metric,
                    progress=advance,
                )
        except KeyboardInterrupt:
            err.print(
                f"interrupted; finished runs are kept in {output}/sweep.parquet "
                "(run again with --resume to finish)",
                markup=False,
            )
            _said["interrupted"] = True
            raise typer.Exit(INTERRUPTED) from None
    failed = int((table["status"] != "ok").sum())
    if as_json:
        from memsim import cli_json

        points = grid_means(table, table.attrs["axes"], metric)
        typer.echo(cli_json.dumps(cli_json.sweep_json(table, str(output), metric, points)))
    elif not quiet:
        out.print(points_table(table, table.attrs["axes"], metric))
        out.print(
            f"wrote {output}/sweep.parquet and {output}/report.html ({len(table)} runs, "
            f"{failed} failed)",
            markup=False,
        )
    if failed:
        raise typer.Exit(1)


@app.command()
def capacity(
    scenario_file: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario file.")],
    vm: Annotated[str, typer.Option(help="VM group whose count varies.")],
    max_latency: Annotated[str, typer.Option(help="Latency bound, e.g. 5%.")],
    seeds: Annotated[int, typer.Option(help="Runs per count; all must pass.")] = 1,
    max_count: Annotated[int, typer.Option(help="Largest count tried.")] = 64,
    peak: Annotated[
        bool, typer.Option(help="Judge the highest latency recorded, not each VM's mean.")
    ] = False,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the answer.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Largest count of a VM group for which every VM's latency stays under a bound."""
    from memsim.sweep import capacity as search
    from memsim.sweep.console import capacity_table
    from memsim.units import parse_fraction

    with user_errors():
        try:
            bound = parse_fraction(max_latency) * 100
        except ValueError as exc:
            raise UsageError(f"--max-latency: {exc}") from None
        if seeds < 1 or max_count < 1:
            raise UsageError("--seeds and --max-count must be at least 1")
        scenario = load(scenario_file)
        with searching(err, f"searching the capacity of {vm}…", quiet or as_json):
            answer = search(
                scenario,
                vm,
                bound,
                seeds=seeds,
                max_count=max_count,
                peak=peak,
                workers=workers,
                scheduler=scheduler,
            )
    if as_json:
        from memsim import cli_json

        typer.echo(cli_json.dumps(cli_json.capacity_json(answer)))
        return
    judged = "highest recorded latency" if peak else "mean latency over the run"
    if not quiet:
        out.print(capacity_table(answer))
    more = f" (the limit tried, --max-count {max_count}; it may hold more)" if answer.capped else ""
    out.print(
        f"capacity: {answer.count} x {vm}{more}: every VM's {judged} stays under "
        f"{answer.bound:g} %",
        markup=False,
    )


from memsim.cli_capture import register as _register_capture  # after what it uses

_register_capture(app)


def main() -> None:
    """Console entry point of ``memsim``.

    Ctrl-C exits with 130 at every moment: commands say what they left on disk, and an
    interrupt that click itself catches (while parsing arguments) ends with 130 too.
    """
    interrupted = False

    def on_interrupt(signum: int, frame: Any) -> None:
        nonlocal interrupted
        interrupted = True
        signal.default_int_handler(signum, frame)

    signal.signal(signal.SIGINT, on_interrupt)
    try:
        app()
    except SystemExit as exc:
        if interrupted and exc.code not in (0, None):
            if not _said["interrupted"]:  # before a command could say what it left
                err.print("interrupted; nothing written")
            raise SystemExit(INTERRUPTED) from None
        raise
    finally:  # the command is over: a late Ctrl-C must not turn its exit status into a signal
        signal.signal(signal.SIGINT, signal.SIG_IGN)
