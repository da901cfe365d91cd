"""Grid expansion: axes × seeds → an ordered list of runs, each with its own seed.

The grid is the product of the axes in the order written (the scenario's ``sweep:`` block
first, then ``--grid`` options; a ``--grid`` axis on a path the file already sweeps replaces
its values in place), the last axis varying fastest, and the seeds innermost. Run *i* of *n*
gets the seed ``SeedSequence(scenario.seed).spawn(n)[i].generate_state(1)[0]``, so a run's
numbers depend only on the grid, never on which worker ran it or when.

Every grid point is validated as an override before anything runs, so a bad value in the
last corner of the grid fails in a second, with its place in the file.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from memsim.scenario import ErrorItem, Scenario, ScenarioError, apply_overrides
from memsim.scenario.sweep import expand_axis

__all__ = ["Axis", "Plan", "RunSpec", "parse_grid", "plan"]

_GRID = "--grid"
_MAX_REPORTED = 10
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


@dataclass(frozen=True)
class Axis:
    """One swept key path and its values.

    Attributes:
        path: Key path, as ``--set`` takes it (``vms.web.count``).
        values: Values to try, as they would be written in YAML.
        origin: Where the axis was written: the scenario file or ``--grid``.
    """

    path: str
    values: tuple[Any, ...]
    origin: str = _GRID


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep.

    Attributes:
        index: Position in grid order (0-based).
        point: The axis values of this run, by key path, in axis order.
        replicate: Which of the grid point's seeds (0-based).
        seed: The run's seed (spawned from the scenario's seed).
    """

    index: int
    point: dict[str, Any]
    replicate: int
    seed: int

    @property
    def folder(self) -> str:
        """Relative run folder: ``runs/<axis>=<value>/…/seed=<seed>``."""
        parts = [f"{_safe(path)}={_safe(label(value))}" for path, value in self.point.items()]
        return "/".join(["runs", *parts, f"seed={self.seed}"])

    @property
    def key(self) -> str:
        """Identity of the run (its folder), used to resume a sweep."""
        return self.folder


@dataclass(frozen=True)
class Plan:
    """A validated sweep: the base scenario, its axes and the runs in grid order.

    Attributes:
        scenario: The scenario every run starts from (its ``sweep:`` block removed).
        axes: The axes, in grid order.
        seeds: Runs per grid point.
        runs: Every run, in grid order.
    """

    scenario: Scenario
    axes: tuple[Axis, ...]
    seeds: int
    runs: tuple[RunSpec, ...] = field(repr=False)

    @property
    def axis_paths(self) -> list[str]:
        """The swept key paths, in grid order."""
        return [axis.path for axis in self.axes]

    def describe(self) -> dict[str, Any]:
        """Plain data describing the sweep, for ``sweep.json``."""
        return {
            "name": self.scenario.name,
            "base_seed": self.scenario.seed,
            "seeds": self.seeds,
            "axes": {axis.path: list(axis.values) for axis in self.axes},
            "runs": len(self.runs),
        }


def label(value: Any) -> str:
    """A value as it appears in folder names and tables: YAML-like, compact."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _safe(text: str) -> str:
    return _UNSAFE.sub("_", text)


def parse_grid(options: Iterable[str]) -> list[Axis]:
    """Parse ``--grid key.path=v1,v2,...`` options; each value is read as a YAML scalar.

    Raises:
        ScenarioError: If an option is not ``key.path=values`` or a value is not valid YAML.
    """
    axes, problems = [], []
    for option in options:
        path, sep, text = option.partition("=")
        path = path.strip()
        if not sep or not path or not text.strip():
            message = f"write key.path=v1,v2,... (e.g. vms.web.count=8,16,32), not {option!r}"
            problems.append(ErrorItem(_GRID, 0, 0, path, message))
            continue
        try:
            values = [YAML(typ="safe", pure=True).load(word) for word in text.split(",")]
        except YAMLError as exc:
            problems.append(ErrorItem(_GRID, 0, 0, path, f"a value is not valid YAML: {exc}"))
            continue
        axes.append(Axis(path, tuple(values)))
    if problems:
        raise ScenarioError(problems)
    return axes


def plan(scenario: Scenario, grid: Sequence[Axis] = (), seeds: int | None = None) -> Plan:
    """Expand and validate a sweep.

    Args:
        scenario: The scenario; its ``sweep:`` block (if any) gives the first axes and seeds.
        grid: More axes (from ``--grid``); one on an already swept path replaces its values.
        seeds: Seeds per grid point, instead of the block's ``seeds`` (default 1).

    Returns:
        The plan, with every run in grid order and its seed.

    Raises:
        ScenarioError: If an axis is empty, a path leads nowhere, or a value (or a combination
            of values) is invalid; each error names the axis and the value.
    """
    axes = _merge(_file_axes(scenario), grid)
    if seeds is not None and seeds < 1:
        raise ScenarioError([ErrorItem("--seeds", 0, 0, "", f"must be at least 1, got {seeds}")])
    count = seeds if seeds is not None else (scenario.sweep.seeds if scenario.sweep else 1)
    base = apply_overrides(scenario, {"sweep": None}) if scenario.sweep else scenario
    _check(base, axes)
    points = [dict(zip([a.path for a in axes], combo, strict=True)) for combo in _product(axes)]
    total = len(points) * count
    children = np.random.SeedSequence(scenario.seed).spawn(total)
    runs = tuple(
        RunSpec(i, points[i // count], i % count, int(children[i].generate_state(1)[0]))
        for i in range(total)
    )
    return Plan(base, tuple(axes), count, runs)


def _file_axes(scenario: Scenario) -> list[Axis]:
    if scenario.sweep is None:
        return []
    origin = str(scenario.source) if scenario.source else "<sweep>"
    return [Axis(path, tuple(values), origin) for path, values in scenario.sweep.axes.items()]


def _merge(axes: list[Axis], grid: Sequence[Axis]) -> list[Axis]:
    merged = {axis.path: axis for axis in axes}
    problems = []
    for axis in grid:
        try:
            values = tuple(expand_axis(list(axis.values)))
        except ValueError as exc:
            problems.append(ErrorItem(_GRID, 0, 0, axis.path, str(exc)))
            continue
        merged[axis.path] = Axis(axis.path, values, axis.origin)
    if problems:
        raise ScenarioError(problems)
    return list(merged.values())


def _product(axes: Sequence[Axis]) -> Iterable[tuple[Any, ...]]:
    return itertools.product(*(axis.values for axis in axes))


def _check(scenario: Scenario, axes: Sequence[Axis]) -> None:
    """Validate each value alone, then every grid point; report errors by axis and value."""
    problems: list[ErrorItem] = []
    for axis in axes:
        for value in axis.values:
            problems += _point_errors(scenario, {axis.path: value}, axis)
    if problems:
        raise ScenarioError(problems)
    failing = 0
    for combo in _product(axes):
        point = dict(zip([a.path for a in axes], combo, strict=True))
        found = _point_errors(scenario, point, None)
        failing += bool(found)
        if failing <= _MAX_REPORTED:
            problems += found
    if failing > _MAX_REPORTED:
        more = f"{failing - _MAX_REPORTED} more grid points are invalid"
        problems.append(ErrorItem("<sweep>", 0, 0, "", more))
    if problems:
        raise ScenarioError(problems)


def _point_errors(
    scenario: Scenario, point: Mapping[str, Any], axis: Axis | None
) -> list[ErrorItem]:
    try:
        apply_overrides(scenario, point)
    except ScenarioError as exc:
        return [_relocate(item, scenario, point, axis) for item in exc.errors]
    return []


def _relocate(
    item: ErrorItem, scenario: Scenario, point: Mapping[str, Any], axis: Axis | None
) -> ErrorItem:
    """Place an override error at the sweep axis it came from (file position or ``--grid``)."""
    shown = ", ".join(f"{path}={label(value)}" for path, value in point.items())
    message = f"{item.message} (grid point {shown})"
    if item.line or axis is None:
        return ErrorItem(item.file, item.line, item.col, item.path, message)
    if axis.origin == _GRID:
        return ErrorItem(_GRID, 0, 0, axis.path, message)
    values = getattr(scenario._locations, "values", {})
    line, col = values.get(("sweep", axis.path), (0, 0))
    return ErrorItem(axis.origin, line, col, f"sweep.{axis.path}", message)
