"""Packaging as people install it: examples shipped, licence, lazy --version, declared imports."""

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

from typer.testing import CliRunner

from memsim.cli import app
from memsim.examples_dir import example_files

ROOT = Path(__file__).parents[1]
runner = CliRunner()


def test_examples_are_the_gallery_scenarios() -> None:
    shipped = {p.name for p in example_files()}
    assert shipped == {p.name for p in (ROOT / "scenarios").glob("*.yaml")}
    assert "quickstart.yaml" in shipped


def test_examples_list_and_copy(tmp_path: Path) -> None:
    listed = runner.invoke(app, ["examples"])
    assert listed.exit_code == 0 and "quickstart:" in listed.stdout
    copied = runner.invoke(app, ["examples", "--copy", str(tmp_path / "ex")])
    assert copied.exit_code == 0, copied.output
    assert (tmp_path / "ex" / "quickstart.yaml").read_bytes() == (
        ROOT / "scenarios" / "quickstart.yaml"
    ).read_bytes()
    again = runner.invoke(app, ["examples", "--copy", str(tmp_path / "ex")])
    assert again.exit_code == 2 and "--force" in again.stderr


def test_version_does_not_import_the_heavy_libraries() -> None:
    code = (
        "import sys; sys.argv = ['memsim', '--version']\n"
        "from memsim.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('pandas', 'pyarrow', 'simpy', 'numpy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["memsim 0.1.0", "[]"]


def test_licence_file_matches_the_declared_licence() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert (ROOT / "CITATION.cff").read_text().count("license: Apache-2.0") == 1


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_every_module_the_tests_import_is_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {"memsim"}
    for spec in project["dependencies"] + project["optional-dependencies"]["dev"]:
        name = spec.split(">")[0].split("<")[0].split("[")[0].split("=")[0].strip().lower()
        declared.add({"ruamel.yaml": "ruamel", "ipython": "IPython"}.get(name, name))
    used = set().union(*(_imported(p) for p in (ROOT / "tests").rglob("*.py")))
    third_party = used - set(sys.stdlib_module_names) - {"tests", "__future__"}
    assert third_party <= {d.replace("-", "_") for d in declared}, third_party - declared


def test_every_unit_is_documented() -> None:
    from memsim.results.columns import UNITS

    text = (ROOT / "docs" / "counters.md").read_text()
    missing = [c for c in UNITS if f"`{c}`" not in text and not c.startswith("threshold_")]
    assert not missing
