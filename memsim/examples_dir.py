"""The example scenarios shipped inside the package (``memsim examples``).

In a source checkout they are the files of ``scenarios/``; the wheel carries the same files as
``memsim/examples/*.yaml``, so an installed memsim can list and copy them without the repository.
"""

from __future__ import annotations

import re
import shutil
from importlib import resources
from pathlib import Path

from ruamel.yaml import YAML

__all__ = ["copy_examples", "example_files", "scenario_title"]


def example_files() -> list[Path]:
    """The shipped scenario files, sorted by name."""
    root = resources.files("memsim").joinpath("examples")
    return sorted(Path(str(p)) for p in root.iterdir() if p.name.endswith(".yaml"))


def copy_examples(directory: Path | str, force: bool = False) -> list[Path]:
    """Copy every example scenario into ``directory`` (created if needed).

    Raises:
        FileExistsError: a file of that name is already there and ``force`` is false.
    """
    directory = Path(directory)
    files = example_files()
    clashes = [f.name for f in files if (directory / f.name).exists()]
    if clashes and not force:
        raise FileExistsError(
            f"{directory} already has {', '.join(clashes[:3])}"
            f"{' …' if len(clashes) > 3 else ''}; pass --force to overwrite"
        )
    directory.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(f, directory / f.name)) for f in files]


def scenario_title(path: Path) -> str:
    """The first sentence of a scenario's description (without loading the whole model)."""
    data = YAML(typ="safe", pure=True).load(path.read_text())
    text = " ".join(str(data.get("description", "")).split())
    return re.split(r"(?<=[a-z]{3})\. (?=[A-Z])", text)[0].rstrip(".") or "(no description)"
