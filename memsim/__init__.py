"""memsim: a simulator of VMware ESX/ESXi host memory sharing and reclamation.

The public API: :func:`load` a scenario, :func:`run` it, :func:`load_results` from disk.
Names are imported on first use, so ``import memsim`` (and ``memsim --version``) stays quick
and does not load numpy, pandas, pyarrow or simpy until they are needed.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from memsim.api import Results, load, load_results, run
    from memsim.scenario import Scenario, ScenarioError

__all__ = ["Results", "Scenario", "ScenarioError", "load", "load_results", "run"]

_WHERE = {
    "load": "memsim.api",
    "load_results": "memsim.api",
    "run": "memsim.api",
    "Results": "memsim.api",
    "Scenario": "memsim.scenario",
    "ScenarioError": "memsim.scenario",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'memsim' has no attribute {name!r}")
