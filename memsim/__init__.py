"""memsim: a simulator of VMware ESX/ESXi host memory sharing and reclamation.

The public API: :func:`load` a scenario, :func:`run` it, :func:`load_results` from disk.
"""

from memsim.api import load, load_results, run
from memsim.results import Results
from memsim.scenario import Scenario, ScenarioError

__all__ = ["Results", "Scenario", "ScenarioError", "load", "load_results", "run"]
