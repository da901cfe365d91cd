"""What every ``memsim`` command shares: the consoles, exit statuses, error handling, options.

Invalid input of any kind prints a message on stderr and exits with status 2, never a
traceback; Ctrl-C exits with 130 and says what it left on disk (:func:`user_errors`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from memsim.scenario import ScenarioError
from memsim.terminal import console

__all__ = [
    "INTERRUPTED",
    "INVALID",
    "AllowLargeOption",
    "JsonOption",
    "QuietOption",
    "TraceRootOption",
    "UsageError",
    "err",
    "out",
    "print_errors",
    "print_warnings",
    "said",
    "user_errors",
]

out = console()
err = console(stderr=True)

INVALID = 2
INTERRUPTED = 130
#: Whether a command has already said what an interrupt left on disk.
said = {"interrupted": False}


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
        said["interrupted"] = True
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
