"""The one path both the CLI and notebooks take: load a scenario, run it, load results.

It is also where the layers are composed: the engine runs a scenario, and the report layer is
wired into :class:`~memsim.results.Results` (``results.plot``, the report ``save`` writes),
which as data import neither.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from memsim.engine.simulation import Simulation
from memsim.results import Results, load_results
from memsim.results.results import use_report
from memsim.scenario import Scenario, apply_overrides
from memsim.scenario import load as _load_scenario
from memsim.scenario.budget import check_fits

__all__ = ["Results", "load", "load_results", "run"]


def _figures(results: Results) -> Any:
    """``results.plot``: the report's figures (matplotlib loaded on first use)."""
    from memsim.report.accessor import PlotAccessor

    return PlotAccessor(results)


def _write_report(results: Results, directory: Path) -> Path:
    """``report.html`` and ``figures/`` of a run folder."""
    from memsim.report.html import write_report

    return write_report(results, directory)


use_report(_figures, _write_report)


def load(path: str | Path) -> Scenario:
    """Load and validate a scenario file (raises ``ScenarioError`` with every located error)."""
    return _load_scenario(path)


def run(
    scenario: Scenario | str | Path,
    *,
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    progress: Callable[[float, float], None] | None = None,
    allow_large: bool = False,
) -> Results:
    """Run a scenario and return its :class:`~memsim.results.Results`.

    Args:
        scenario: a :class:`Scenario` or the path of a scenario file.
        seed: overrides the scenario's seed; same seed, same results.
        overrides: key-path overrides, e.g. ``{"host.advanced.Mem.IdleTax": 0}``.
        progress: called with (simulated seconds, duration) as the run advances.
        allow_large: run even when the run's estimated memory exceeds what the machine has,
            or its steps are too many (:func:`memsim.scenario.budget.check_fits`).

    Raises:
        ScenarioError: the scenario is invalid, or cannot fit (unless ``allow_large``).
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    if overrides:
        scenario = apply_overrides(scenario, dict(overrides))
    if not allow_large:
        check_fits(scenario)
    return Simulation(scenario, seed=seed, progress=progress).run()
