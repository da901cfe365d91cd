"""The documentation names files and definitions that exist (docs/architecture.md code map).

Every back-quoted path of the repository in ``docs/*.md`` and README.md (``memsim/…``,
``tests/…``, ``benchmarks/…``, ``scenarios/…``, ``notebooks/…``) names a file or folder, and a
dotted name after a module (``memsim/model/scheduler.schedule``) is defined in that module.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
REFERENCE = re.compile(r"`((?:memsim|tests|benchmarks|scenarios|notebooks)/[\w/.\-*]+)`")


def _defined(module: Path) -> set[str]:
    """Names a module defines at top level or in its classes."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _unresolved(reference: str) -> str | None:
    """Why ``reference`` names nothing, or None if it does."""
    if "*" in reference or (ROOT / reference.rstrip("/")).exists():
        return None
    folder, _, last = reference.rpartition("/")
    module, _, attribute = last.partition(".")
    source = ROOT / folder / f"{module}.py"
    if not source.exists():
        return f"{reference}: no such file"
    name = attribute.split(".")[-1]
    return None if name in _defined(source) else f"{reference}: {name} not defined in {source}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_paths_in_docs_exist(doc: Path) -> None:
    found = REFERENCE.findall(doc.read_text(encoding="utf-8"))
    assert [why for ref in found if (why := _unresolved(ref)) is not None] == []


def test_a_wrong_path_is_found() -> None:
    assert _unresolved("memsim/model/scheduler.schedule") is None
    assert _unresolved("memsim/model/scheduler.nonexistent") is not None
    assert _unresolved("memsim/model/nope.py") is not None
