"""The import contract of DESIGN.md §2: layers import downward only, and nothing in a circle.

Read from the source with :mod:`ast`, without importing anything: every ``import`` of every
module under ``memsim/``, at module level or inside a function (a lazy import is still a
dependency); imports under ``if TYPE_CHECKING:`` count for the layer rules (a type is a
dependency too) but not for cycles (they never run). Importing ``memsim.a.b`` runs the package
``memsim.a``'s ``__init__`` first, so it counts as importing that package as well.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1] / "memsim"

#: What each layer may import of memsim (its own layer always): DESIGN.md §2.
MODEL_MAY_IMPORT = {"memsim.model", "memsim.units", "memsim.counters"}
#: Libraries the domain core must not use.
MODEL_BANNED = {"simpy", "pandas", "matplotlib", "rich", "ruamel", "yaml", "typer", "jinja2"}
#: The command-line side, the only users of rich: ``memsim.cli`` and ``memsim.cli_*``, the terminal.
CLI_PREFIX, TERMINAL = "memsim.cli", "memsim.terminal"
#: Imports the contract allows for now, each with the reason it is not fixed here.
EXCEPTIONS = {
    ("memsim.results.esxtop", "memsim.workload.esxtop"): (
        "esxtop reading (workload) and writing (results) become one module (issue 14)"
    ),
}


def _is_cli(module: str) -> bool:
    return module in (TERMINAL, CLI_PREFIX) or module.startswith(f"{CLI_PREFIX}_")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, package: str, typing_only: bool = False) -> Iterator[tuple[str, bool]]:
    """``(imported module, under TYPE_CHECKING)`` for every import in ``tree``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.body:
                yield from _imports(ast.Module(body=[child], type_ignores=[]), package, True)
            for child in node.orelse:
                yield from _imports(ast.Module(body=[child], type_ignores=[]), package, typing_only)
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, typing_only
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            for alias in node.names:
                # ``from memsim.a import b`` imports the module memsim.a.b when there is one
                yield (
                    (f"{base}.{alias.name}" if _exists(f"{base}.{alias.name}") else base),
                    (typing_only),
                )
        else:
            yield from _imports(node, package, typing_only)


def _exists(module: str) -> bool:
    if not module.startswith("memsim"):
        return False
    path = ROOT.parent.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _graph() -> dict[str, set[tuple[str, bool]]]:
    """Every memsim module → what it imports (module names, and whether only for typing)."""
    graph: dict[str, set[tuple[str, bool]]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        name = _module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        found: set[tuple[str, bool]] = set()
        for module, typing_only in _imports(tree, package):
            found.add((module, typing_only))
            parts = module.split(".")
            for i in range(1, len(parts)):  # parent packages' __init__ run first
                parent = ".".join(parts[:i])
                # a module's own packages are already being imported when it runs
                if parent.startswith("memsim") and not f"{name}.".startswith(f"{parent}."):
                    found.add((parent, typing_only))
        graph[name] = found
    return graph


GRAPH = _graph()


def _layer(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _violations(rule: str) -> list[str]:
    found = []
    for module, imports in GRAPH.items():
        layer = _layer(module)
        for imported, _ in imports:
            if any(
                module == m and f"{target}.".startswith(f"{imported}.") for m, target in EXCEPTIONS
            ):
                continue
            top = imported.split(".")[0]
            ours = top == "memsim" and imported != "memsim"
            if rule == "model" and layer == "memsim.model":
                if ours and _layer(imported) not in MODEL_MAY_IMPORT:
                    found.append(f"{module} imports {imported}")
                if top in MODEL_BANNED:
                    found.append(f"{module} imports {imported}")
            elif rule == "engine" and ours and _layer(imported) == "memsim.engine":
                if layer not in {"memsim.engine", "memsim.api"}:
                    found.append(f"{module} imports {imported}")
            elif rule == "results" and layer == "memsim.results" and ours:
                if _layer(imported) in {"memsim.engine", "memsim.report", "memsim.workload"}:
                    found.append(f"{module} imports {imported}")
            elif rule == "rich" and top == "rich" and not _is_cli(module):
                found.append(f"{module} imports {imported}")
    return sorted(found)


@pytest.mark.parametrize("rule", ["model", "engine", "results", "rich"])
def test_layers_import_downward_only(rule: str) -> None:
    """model: only itself, units and counters, no simpy/pandas/matplotlib/rich/YAML; only api
    imports engine; results imports no engine, report or workload; rich only in the CLI."""
    assert _violations(rule) == []


def _cycle() -> list[str] | None:
    """One import cycle among memsim modules (imports that run), or None."""
    edges = {
        m: sorted({i for i, typing_only in imports if not typing_only and i in GRAPH and i != m})
        for m, imports in GRAPH.items()
    }
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in edges[node]:
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in edges:
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles() -> None:
    cycle = _cycle()
    assert cycle is None, " -> ".join(cycle or [])


def test_the_contract_sees_imports() -> None:
    """The reader finds lazy, relative-free and TYPE_CHECKING imports (so the rules can fail)."""
    assert ("memsim.engine.simulation", False) in GRAPH["memsim.api"]
    assert ("memsim.engine", False) in GRAPH["memsim.api"]
    assert any(i == "memsim.engine.simulation" and t for i, t in GRAPH["memsim.engine.processes"])
    assert ("numpy", False) in GRAPH["memsim.model.pages"]
