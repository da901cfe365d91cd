"""Modules and functions a reader can hold in mind (issue 10; DESIGN.md style anchors).

No module of ``memsim/`` over 400 lines; no function over 60 lines unless its docstring says
why it is long ("… on purpose …"), as :meth:`memsim.engine.observe.Observer._vm_values` does
(one line per counter of the registry, kept together).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "memsim"
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
REASON = "on purpose"


def _long_functions(source: str) -> list[tuple[str, int]]:
    """Functions over :data:`MAX_FUNCTION_LINES` whose docstring gives no reason."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            reason = REASON in (ast.get_docstring(node) or "")
            if length > MAX_FUNCTION_LINES and not reason:
                found.append((node.name, length))
    return found


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_is_short(module: Path) -> None:
    lines = module.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_MODULE_LINES, f"{module.name}: {lines} lines"


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_functions_are_short_or_say_why(module: Path) -> None:
    assert _long_functions(module.read_text(encoding="utf-8")) == []


def test_the_check_finds_a_long_function() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    assert _long_functions(f"def f():\n{body}\n") == [("f", MAX_FUNCTION_LINES + 1)]
    reasoned = f'def f():\n    """Long {REASON}: a table."""\n{body}\n'
    assert _long_functions(reasoned) == []
