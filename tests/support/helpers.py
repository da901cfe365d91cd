"""Builders shared by the model and engine tests: small scenarios as text, stepped simulations."""

from __future__ import annotations

from memsim.engine import processes
from memsim.engine.simulation import Simulation
from memsim.scenario import Scenario, loads


def scenario(text: str) -> Scenario:
    """A scenario from YAML text."""
    return loads(text, source="<test>")


def started(text: str, seed: int | None = None) -> Simulation:
    """A simulation of ``text`` with its processes started but not yet run."""
    sim = Simulation(scenario(text), seed=seed)
    processes.start(sim)
    return sim
