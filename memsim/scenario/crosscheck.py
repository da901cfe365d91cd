"""All errors in one pass: cross-field checks run even where some fields are invalid.

pydantic runs a model's own checks (reservation ≤ memory, active ≤ footprint, ...) only once
all its fields are valid, so a file with a typo in ``shares`` would hide a reservation above
memory until the typo is fixed. The loader therefore validates a second time with every invalid
value removed (a key whose field has a default then takes it) and keeps the new problems that
are not about a removed key: what a user sees is every problem, the first time.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from memsim.scenario.errors import Path

__all__ = ["without"]


def without(raw: dict[str, Any], paths: Iterable[Path]) -> tuple[dict[str, Any], set[Path]]:
    """A copy of ``raw`` without the mapping keys at ``paths``, and the paths removed.

    List items are kept (removing one would renumber its siblings and misplace their errors),
    and so is the top level of the file.
    """
    pruned = copy.deepcopy(raw)
    removed: set[Path] = set()
    for path in sorted(set(paths), key=len, reverse=True):
        if len(path) < 2 or not isinstance(path[-1], str):
            continue
        node: Any = pruned
        for part in path[:-1]:
            inside = (isinstance(node, dict) and part in node) or (
                isinstance(node, list) and isinstance(part, int) and part < len(node)
            )
            node = node[part] if inside else None
        if isinstance(node, dict) and path[-1] in node:
            del node[path[-1]]
            removed.add(tuple(path))
    return pruned, removed
