"""memsim: a simulator of VMware ESX/ESXi host memory sharing and reclamation.

The public API: :func:`load` a scenario, :func:`run` it, :func:`load_results` from disk.

The names are imported on first use, so that ``memsim``'s command line starts (and takes
Ctrl-C cleanly) before numpy, pandas and simpy are loaded.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from memsim.api import load, load_results, run
    from memsim.results import Results
    from memsim.scenario import Scenario, ScenarioError

__all__ = ["Results", "Scenario", "ScenarioError", "load", "load_results", "run"]

_HOMES = {
    "load": "memsim.api",
    "load_results": "memsim.api",
    "run": "memsim.api",
    "Results": "memsim.results",
    "Scenario": "memsim.scenario",
    "ScenarioError": "memsim.scenario",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'memsim' has no attribute {name!r}")
