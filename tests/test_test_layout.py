"""The tests' own layout: shared helpers live in the package ``tests.support`` and every test
imports them by their full name (``from tests.support.helpers import started``).

A bare ``from helpers import started`` works only while pytest's default "prepend" import mode
happens to put ``tests/`` itself on ``sys.path``: under ``--import-mode=importlib``, or in any
tool that imports a test module another way, it fails, or finds some other module of that name.
``tests/`` and ``tests/support/`` are packages (``__init__.py``), so pytest puts the repository
root on ``sys.path`` instead and the full names resolve. The guard reads every import with
``ast``, lazy ones inside functions included, in every ``.py`` file under ``tests/``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
SUPPORT = ROOT / "support"
BARE = frozenset({"support"} | {p.stem for p in SUPPORT.glob("*.py")} - {"__init__"})


def bare_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) of each import in ``source`` that names a helper module by its bare name."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [(node.lineno, name) for name in names if name.split(".")[0] in BARE]
    return sorted(found)


def test_the_tests_and_their_helpers_are_packages() -> None:
    assert (ROOT / "__init__.py").is_file() and (SUPPORT / "__init__.py").is_file()
    assert {"helpers", "synthetic_results", "sweep_fixtures", "malformed_catalogue"} < BARE


def test_no_test_imports_a_helper_by_its_bare_name() -> None:
    paths = sorted(ROOT.rglob("*.py"))
    offenders = [
        f"{path.relative_to(ROOT.parent)}:{line}: {name}"
        for path in paths
        for line, name in bare_imports(path.read_text(encoding="utf-8"))
    ]
    assert len(paths) > 60 and not offenders, offenders


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import helpers\n", [(1, "helpers")]),
        ("from helpers import scenario, started\n", [(1, "helpers")]),
        ("import os, synthetic_results as sr\n", [(1, "synthetic_results")]),
        ("def f():\n    from sweep_fixtures import write_scenario\n", [(2, "sweep_fixtures")]),
        ("from malformed_catalogue import Case, cases, write\n", [(1, "malformed_catalogue")]),
        ("from support.helpers import started\n", [(1, "support.helpers")]),
        ("import support\n", [(1, "support")]),
        ("from tests.support.helpers import started\n", []),
        ("import tests.support.synthetic_results\nfrom tests.support import helpers\n", []),
        ("import helpersx\nfrom memsim.helpers import x\nfrom . import helpers\n", []),
    ],
)
def test_the_guard_finds_bare_imports(source: str, expected: list[tuple[int, str]]) -> None:
    assert bare_imports(source) == expected


def test_helpers_live_only_in_tests_support() -> None:
    """A helper module put beside the tests (``tests/foo.py``) could be imported by its bare
    name without the guard above knowing it: every top-level module is a test module."""
    allowed = {"__init__.py", "conftest.py"}
    stray = [
        p.name
        for p in ROOT.glob("*.py")
        if p.name not in allowed and not p.name.startswith("test_")
    ]
    assert not stray, stray
