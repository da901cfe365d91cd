"""Events: settings that change at a time while the simulation runs.

An event names what it changes by a key path, as written in the scenario::

    - at: 30min
      set: {host.advanced.Mem.IdleTax: 75, vms.win-idle.limit: 128MiB, vms.web.workload.active: 40%}

Paths are ``host.<key>``, ``host.advanced.<setting>`` (the setting's name keeps its dot),
``vms.<name>.<key>`` and ``vms.<name>.workload.<key>``, where ``<name>`` is a VM, a group (all
its members) or one member of a group. Values are parsed with the target's own type, so
``Event.set`` holds bytes, seconds and fractions like the rest of the scenario.
"""

from __future__ import annotations

import difflib
from functools import cache
from typing import Any

from pydantic import (
    BaseModel,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_serializer,
    field_validator,
)

from memsim.scenario.advanced import RUNTIME_KEYS, RUNTIME_SETTINGS, SETTINGS, check_setting
from memsim.scenario.clock import At
from memsim.scenario.errors import Issue, issues
from memsim.scenario.host import Host
from memsim.scenario.machine import SHARE_LEVELS, VM
from memsim.scenario.types import Context, Frozen, context_of, within_duration
from memsim.scenario.workload import Workload
from memsim.units import MIB

__all__ = ["Event", "PathError", "split_path", "typed_value"]

_KIND: dict[type[BaseModel], str] = {Host: "host", VM: "vm", Workload: "workload"}

_PATHS = "host.<key>, host.advanced.<setting>, vms.<name>.<key>, vms.<name>.workload.<key>"


class PathError(ValueError):
    """A key path that names nothing settable."""


def split_path(path: str) -> list[str]:
    """Split a dotted key path, keeping the dot inside an advanced setting's name.

    Examples:
        >>> split_path("host.advanced.Mem.IdleTax")
        ['host', 'advanced', 'Mem.IdleTax']
        >>> split_path("vms.web.workload.active")
        ['vms', 'web', 'workload', 'active']
    """
    parts = path.split(".")
    if parts[:2] == ["host", "advanced"] and len(parts) > 2:
        return [*parts[:2], ".".join(parts[2:])]
    return parts


def _target(path: str) -> tuple[type[BaseModel], str] | None:
    """The model and field a settable path points at; None for advanced settings."""
    match split_path(path):
        case ["host", "advanced", _]:
            return None
        case ["host", key]:
            return Host, key
        case ["vms", _, "workload", key]:
            return Workload, key
        case ["vms", _, key]:
            return VM, key
    raise PathError(f"cannot set '{path}'; settable paths are {_PATHS}")


@cache
def _adapter(model: type[BaseModel], key: str) -> TypeAdapter[Any]:
    """A validator and serializer for one field of a model, with its constraints."""
    return TypeAdapter(model.model_fields[key].rebuild_annotation())


def _check_key(model: type[BaseModel], key: str, path: str) -> None:
    """Check ``key`` against the run-time allow-list (:data:`RUNTIME_KEYS`)."""
    settable = sorted(RUNTIME_KEYS[_KIND[model]])
    allowed = ", ".join(settable) or "host.advanced.<setting> only"
    if key in model.model_fields and key not in settable:
        raise PathError(
            f"'{key}' is fixed for the run and cannot change in an event; "
            f"set it in the scenario (events may change: {allowed})"
        )
    if key not in settable:
        close = difflib.get_close_matches(key, settable, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"settable: {', '.join(settable)}"
        raise PathError(f"unknown key '{key}' in '{path}'; {hint}")


def _check_vm(path: str, ctx: Context | None) -> int | None:
    """Check the VM a path names; return its configured memory when known."""
    name = split_path(path)[1]
    if ctx is None:
        return None
    if name not in ctx.owners:
        close = difflib.get_close_matches(name, list(ctx.owners), n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"VMs: {', '.join(ctx.owners)}"
        raise PathError(f"no VM named '{name}'; {hint}")
    return ctx.memory.get(ctx.owners[name])


def typed_value(path: str, value: Any, ctx: Context | None = None) -> Any:
    """Parse the value of a settable path with the type of what it sets.

    Args:
        path: A key path such as ``vms.web.limit``.
        value: The value as written (``"128MiB"``).
        ctx: The scenario's context, to check VM names; None skips that check.

    Returns:
        The typed value (``134217728``).

    Raises:
        ValueError: If the path cannot be set or the value does not fit it.
    """
    target = _target(path)
    if target is None:
        name = split_path(path)[2]
        if name not in SETTINGS:
            raise PathError(check_setting(name, 0.0))
        if name not in RUNTIME_SETTINGS:
            raise PathError(
                f"{name} is fixed for the run ({SETTINGS[name].fixed}); set it under host.advanced"
            )
        number = float(TypeAdapter(float).validate_python(value))
        problem = check_setting(name, number)
        if problem:
            raise ValueError(problem)
        return number
    model, key = target
    _check_key(model, key, path)
    memory = _check_vm(path, ctx) if model is not Host else None
    if key == "shares" and value in SHARE_LEVELS:
        if memory is None:
            raise ValueError("shares by level need the VM's memory; give a number")
        value = max(1, round(SHARE_LEVELS[value] * memory / MIB))
    try:
        return _adapter(model, key).validate_python(value)
    except ValidationError as exc:
        raise ValueError(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None


class Event(Frozen):
    """Settings that change at a time.

    Attributes:
        at: When, in seconds from the start (written as a duration, or as a clock time when
            the scenario has ``start:``; :mod:`memsim.scenario.clock`).
        set: New values by key path (see the module docstring), typed like their targets.
    """

    at: At
    set: dict[str, Any] = Field(min_length=1)

    @field_validator("at")
    @classmethod
    def _within_run(cls, value: float, info: ValidationInfo) -> float:
        return within_duration(value, info)

    @field_validator("set")
    @classmethod
    def _typed(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        typed: dict[str, Any] = {}
        found: list[Issue] = []
        for path, raw in value.items():
            try:
                typed[path] = typed_value(path, raw, context_of(info))
            except PathError as exc:
                found.append(((path,), str(exc), True))
            except ValueError as exc:
                found.append(((path,), str(exc)))
        if found:
            raise issues(*found)
        return typed

    @field_serializer("set", when_used="json")
    def _as_written(self, value: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for path, typed in value.items():
            target = _target(path)
            out[path] = (
                typed if target is None else _adapter(*target).dump_python(typed, mode="json")
            )
        return out
