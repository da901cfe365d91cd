"""The ``memsim`` command: the application, its sub-commands and the console entry point.

The commands live in :mod:`memsim.cli_runs` (single runs) and :mod:`memsim.cli_sweeps` (many
runs), what they share in :mod:`memsim.cli_common`. Invalid input of any kind prints a message
on stderr and exits with status 2, never a traceback; a failed ``--check`` exits with 1; Ctrl-C
exits with 130.
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

from typing import Annotated, Any

import typer

from memsim import cli_capture, cli_export, cli_import, cli_runs, cli_sweeps
from memsim.cli_common import INTERRUPTED, err, out, said

__all__ = ["app", "main"]

app = typer.Typer(
    name="memsim",
    help="Simulate VMware ESX/ESXi host memory management: sharing, ballooning, compression, "
    "swapping and the idle memory tax.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
for command in (
    cli_runs.validate,
    cli_runs.schema,
    cli_runs.run,
    cli_runs.report,
    cli_runs.compare,
    cli_runs.examples,
    cli_sweeps.sweep,
    cli_sweeps.capacity,
    cli_capture.check,
    cli_export.export,
):
    app.command()(command)
import_app = typer.Typer(help="Turn measurements into scenarios.", no_args_is_help=True)
import_app.command("esxtop")(cli_runs.import_esxtop)
import_app.command("vcenter")(cli_import.import_vcenter)
import_app.command("inventory")(cli_import.import_inventory)
app.add_typer(import_app, name="import")


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
            if not said["interrupted"]:  # before a command could say what it left
                err.print("interrupted; nothing written")
            raise SystemExit(INTERRUPTED) from None
        raise
    finally:  # the command is over: a late Ctrl-C must not turn its exit status into a signal
        signal.signal(signal.SIGINT, signal.SIG_IGN)
