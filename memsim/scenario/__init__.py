"""Scenarios: the YAML format, its validation and its typed, immutable models.

Load a file with :func:`load`, text with :func:`loads`, plain data with :func:`validate`;
change values by key path with :func:`apply_overrides`. Problems raise
:class:`ScenarioError`, which lists every error as ``file:line:col: key.path: message``.
"""

from memsim.scenario.advanced import SETTINGS, Setting
from memsim.scenario.errors import ErrorItem, ScenarioError
from memsim.scenario.load import apply_overrides, load, loads, validate
from memsim.scenario.schema import (
    VM,
    Amount,
    BalloonDriver,
    Claim,
    Condition,
    Content,
    Event,
    Host,
    Phase,
    Scenario,
    Swap,
    Tolerance,
    Trace,
    Workload,
    json_schema,
)

__all__ = [
    "SETTINGS",
    "VM",
    "Amount",
    "BalloonDriver",
    "Claim",
    "Condition",
    "Content",
    "ErrorItem",
    "Event",
    "Host",
    "Phase",
    "Scenario",
    "ScenarioError",
    "Setting",
    "Swap",
    "Tolerance",
    "Trace",
    "Workload",
    "apply_overrides",
    "load",
    "loads",
    "json_schema",
    "validate",
]
