"""``memsim import esxtop``: write a fitted, warm-starting scenario and its traces.

The scenario dict and its header come from :mod:`memsim.capture.fit`; this module only writes
files (atomically: a temporary file, then a rename).
"""

from __future__ import annotations

import io
import re
from functools import partial
from pathlib import Path

from ruamel.yaml import YAML

from memsim.capture.esxtop import read_esxtop
from memsim.capture.fit import (
    TRACE_DIR,
    provenance,
    scenario_dict,
    scenario_vm_names,
    workload_trace,
)
from memsim.results.atomic import atomic_write, atomic_write_text

__all__ = ["import_scenario"]


def import_scenario(capture_path: Path | str, scenario_path: Path | str) -> Path:
    """Turn an esxtop capture into a scenario YAML with one trace CSV per VM next to it.

    Traces go to ``traces/<vm>.csv`` beside the scenario file; VMs without a memory size are
    skipped. The capture is read once.

    Returns:
        The scenario path.
    """
    capture = read_esxtop(capture_path)
    scenario_path = Path(scenario_path)
    for vm, vm_name in scenario_vm_names(capture).items():
        trace = workload_trace(capture, vm)
        target = scenario_path.parent / TRACE_DIR / f"{vm_name}.csv"
        atomic_write(target, partial(trace.to_csv, index=False))
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(capture_path).stem).strip("-_") or "esxtop"
    buffer = io.StringIO()
    buffer.write(provenance(capture, Path(capture_path).name))
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.dump(scenario_dict(capture, stem), buffer)
    atomic_write_text(scenario_path, buffer.getvalue())
    return scenario_path
