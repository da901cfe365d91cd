"""Expansion of VM groups, and overrides applied to a scenario's raw data.

A VM entry with ``count: 3`` stands for three identical machines named ``web-1`` … ``web-3``.
Overrides (``memsim run --set vms.web.memory=8GiB``, sweeps) change the raw data by key path
before validation, so an override is checked exactly like the same value written in the file.
"""

from __future__ import annotations

from typing import Any

from memsim.scenario.errors import Path
from memsim.scenario.events import split_path
from memsim.scenario.machine import VM
from memsim.scenario.types import expand_name

__all__ = ["machines", "set_path"]


def machines(vms: list[VM]) -> list[VM]:
    """The VMs with groups expanded: ``web`` with count 3 → ``web-1``, ``web-2``, ``web-3``.

    Each member is a copy of its group with its own name and ``count`` 1; order is kept.
    """
    return [
        vm.model_copy(update={"name": name, "count": 1})
        for vm in vms
        for name in expand_name(vm.name, vm.count)
    ]


def set_path(raw: dict[str, Any], path: str, value: Any) -> Path:
    """Set the value at a dotted key path in raw scenario data, in place.

    ``vms.<name>`` picks a VM or group by name; other lists take an index
    (``events.0.at``); ``host.advanced.Mem.IdleTax`` keeps the setting's dot. Missing
    mappings on the way are created.

    Args:
        raw: Scenario data as loaded from YAML.
        path: The key path, e.g. ``vms.web.workload.active``.
        value: The new value, as it would be written in YAML.

    Returns:
        The concrete path that was set, with list indices: ``("vms", 1, "workload", "active")``.

    Raises:
        ValueError: If the path does not lead to a place in the data.
    """
    parts = split_path(path)
    if not all(parts):
        raise ValueError(f"'{path}' is not a key path like vms.web.memory")
    node: Any = raw
    where: list[str | int] = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            index = _index(node, part, where)
            where.append(index)
            if last:
                node[index] = value
            node = node[index]
        elif isinstance(node, dict):
            where.append(part)
            if last:
                node[part] = value
            node = node.setdefault(part, {})
        else:
            raise ValueError(f"cannot set '{path}': '{'.'.join(map(str, where))}' is not a mapping")
    return tuple(where)


def _index(items: list[Any], part: str, where: list[str | int]) -> int:
    """Position in a list: by VM name in ``vms``, else by number."""
    if where == ["vms"]:
        names = [vm.get("name") for vm in items if isinstance(vm, dict)]
        if part in names:
            return names.index(part)
        raise ValueError(
            f"no VM or group named '{part}' (as written): {', '.join(map(str, names))}"
        )
    if part.isdigit() and int(part) < len(items):
        return int(part)
    raise ValueError(
        f"'{part}' is not an index of '{'.'.join(map(str, where))}' (0…{len(items) - 1})"
    )
