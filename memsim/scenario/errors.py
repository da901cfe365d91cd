"""Scenario errors that say where: ``file:line:col: key.path: message``.

Validation collects every problem of a file before it stops, so a user fixes them in one go.
Checks inside the pydantic models raise :func:`issues`, which carries paths relative to the
object being checked; the loader turns them into located :class:`ErrorItem` entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic_core import PydanticCustomError

__all__ = ["ErrorItem", "Issue", "Path", "ScenarioError", "format_path", "issues"]

Path = tuple[str | int, ...]
"""A key path into the scenario data: mapping keys and list indices."""


def format_path(path: Sequence[str | int]) -> str:
    """Spell a key path as users write it: ``vms[1].workload.active``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@dataclass(frozen=True)
class ErrorItem:
    """One problem in a scenario.

    Attributes:
        file: The scenario file; ``<string>`` or ``<data>`` for text or data given directly,
            ``--set`` for a value given as an override.
        line: 1-based line of the offending value; 0 when the problem has no line (a missing
            file, a command-line override).
        col: 1-based column; 0 when there is no line.
        path: Key path of the offending value, e.g. ``vms[0].memory`` ("" for the whole file).
        message: What is wrong and what would be right.
    """

    file: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(Exception):
    """A scenario that cannot be loaded, with every problem found in it.

    Attributes:
        errors: The problems, in file order.
    """

    def __init__(self, errors: Iterable[ErrorItem]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.file, e.line, e.col))
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


Issue = tuple[Path, str] | tuple[Path, str, bool]
"""A problem found by a model check: relative path, message, and optionally whether it lies
in the key at that path (an unknown name) rather than in its value."""


def issues(*found: Issue) -> PydanticCustomError:
    """An error for a model check that found one or more problems at paths below the model.

    Args:
        found: ``(relative path, message)`` pairs, e.g. ``(("reservation",), "above limit")``,
            or triples ending in True when the problem is the key itself.

    Returns:
        An exception to raise from a pydantic validator; the loader splits it into one located
        error per problem.
    """
    summary = "; ".join(issue[1] for issue in found)
    return PydanticCustomError("memsim", "{summary}", {"summary": summary, "issues": found})
