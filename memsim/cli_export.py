"""CLI command ``memsim export``: a saved run written as esxtop or vCenter would log it.

Registered on the app by :mod:`memsim.cli`; argument handling only, the work is
:func:`memsim.capture.esxtop.write_esxtop` and :func:`memsim.capture.vcenter.write_vcenter`.
A run folder already holds ``esxtop.csv`` (host ``memsim``); this command names the host and
sets the start time, so the file reads as a capture of that host (docs/model.md §7).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from memsim.cli_common import QuietOption, UsageError, out, user_errors

__all__ = ["export"]

Format = Literal["esxtop", "vcenter"]


def export(
    run: Annotated[Path, typer.Argument(metavar="RUN", help="Results folder of the run.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The CSV file to write.")],
    fmt: Annotated[
        Format,
        typer.Option(
            "--format", help="esxtop (esxtop -b batch CSV) or vcenter (Get-Stat | Export-Csv)."
        ),
    ] = "esxtop",
    host_name: Annotated[
        str, typer.Option("--host-name", help="Host name in the counter paths / Entity column.")
    ] = "memsim",
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            help="Timestamp of the first sample (2026-12-02T08:00); default: the scenario's "
            "start:, else 2000-01-01.",
        ),
    ] = None,
    quiet: QuietOption = False,
) -> None:
    """Write a saved run as an esxtop batch CSV or a vCenter Get-Stat export."""
    with user_errors():
        from memsim.capture.esxtop import write_esxtop
        from memsim.capture.vcenter import write_vcenter
        from memsim.results import load_results
        from memsim.scenario.clock import parse_start

        try:
            first = None if start is None else parse_start(start)
        except ValueError as exc:
            raise UsageError(f"--start: {exc}") from None
        if not host_name or "\\" in host_name or "(" in host_name:
            raise UsageError(f"--host-name: {host_name!r} is not a host name")
        try:
            results = load_results(run)
        except (OSError, ValueError, KeyError) as exc:
            raise UsageError(str(exc)) from None
        writer = write_esxtop if fmt == "esxtop" else write_vcenter
        try:
            writer(results, output, host=host_name, start=first)
        except OSError as exc:
            raise UsageError(f"{output}: {exc.strerror or exc}") from None
    if not quiet:
        out.print(f"wrote {output} ({fmt}, host {host_name})", markup=False)
