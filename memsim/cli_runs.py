"""The ``memsim`` commands about single runs: validate, schema, run, report, compare, import,
examples.

Argument handling only: every command calls :mod:`memsim.api`, :mod:`memsim.scenario` or
:mod:`memsim.results`; :mod:`memsim.cli` registers them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from memsim.cli_common import (
    INVALID,
    AllowLargeOption,
    JsonOption,
    QuietOption,
    TraceRootOption,
    UsageError,
    err,
    out,
    print_errors,
    print_warnings,
    user_errors,
)
from memsim.cli_tables import file_record, summary_output
from memsim.scenario import Scenario, ScenarioError, apply_overrides, json_schema, load
from memsim.terminal import time_progress
from memsim.units import format_duration, format_size

__all__ = [
    "check_claims",
    "compare",
    "examples",
    "import_esxtop",
    "parse_overrides",
    "report",
    "run",
    "schema",
    "validate",
]


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
        if not _print_run_json(scenario, results, folder, check):
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


def _print_run_json(scenario: Scenario, results: Any, folder: Path, check: bool) -> bool:
    """Print a run's ``--json`` object, with its claims if ``check``; True unless one fails."""
    from memsim import cli_json
    from memsim.scenario.claims.check import evaluate

    outcomes = evaluate(scenario.expect, results) if check else None
    typer.echo(cli_json.dumps(cli_json.run_json(results, str(folder), outcomes)))
    return outcomes is None or all(o.passed for o in outcomes)


def check_claims(scenario: Scenario, results: Any) -> bool:
    """Print a table of the scenario's claims against the results; True if all hold."""
    from memsim.scenario.claims.check import evaluate

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
