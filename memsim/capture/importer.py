"""``memsim import``: write a fitted scenario (and its traces) from a capture or an inventory.

The scenario dicts and their headers come from :mod:`memsim.capture.fit` (esxtop),
:mod:`memsim.capture.vcenter_fit` (vCenter) and :mod:`memsim.capture.seed` (inventories);
this module only reads the inputs once and writes files (atomically: a temporary file, then a
rename).
"""

from __future__ import annotations

import io
import re
from functools import partial
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from memsim.capture.esxtop import EsxtopCapture, read_esxtop
from memsim.capture.fit import (
    TRACE_DIR,
    provenance,
    scenario_dict,
    scenario_vm_names,
    workload_trace,
)
from memsim.capture.inventory import InventoryVM, read_inventory
from memsim.capture.seed import inventory_provenance, inventory_scenario
from memsim.capture.vcenter import read_vcenter
from memsim.capture.vcenter_fit import completed, vcenter_provenance
from memsim.results.atomic import atomic_write, atomic_write_text

__all__ = ["import_inventory", "import_scenario", "import_vcenter"]


def _stem(path: Path | str, default: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", Path(path).stem).strip("-_") or default


def _write_scenario(header: str, scenario: dict[str, Any], path: Path) -> Path:
    buffer = io.StringIO()
    buffer.write(header)
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.dump(scenario, buffer)
    atomic_write_text(path, buffer.getvalue())
    return path


def _write_traces(capture: EsxtopCapture, scenario_path: Path) -> None:
    for vm, vm_name in scenario_vm_names(capture).items():
        trace = workload_trace(capture, vm)
        target = scenario_path.parent / TRACE_DIR / f"{vm_name}.csv"
        atomic_write(target, partial(trace.to_csv, index=False))


def import_scenario(capture_path: Path | str, scenario_path: Path | str) -> Path:
    """Turn an esxtop capture into a scenario YAML with one trace CSV per VM next to it.

    Traces go to ``traces/<vm>.csv`` beside the scenario file; VMs without a memory size are
    skipped. The capture is read once.

    Returns:
        The scenario path.
    """
    capture = read_esxtop(capture_path)
    scenario_path = Path(scenario_path)
    _write_traces(capture, scenario_path)
    header = provenance(capture, Path(capture_path).name)
    return _write_scenario(
        header, scenario_dict(capture, _stem(capture_path, "esxtop")), scenario_path
    )


def import_vcenter(
    export_path: Path | str,
    scenario_path: Path | str,
    host_memory: int,
    inventory: Path | str | None = None,
) -> tuple[Path, EsxtopCapture]:
    """Turn a vCenter ``Get-Stat`` export into a warm-starting scenario and its traces.

    Args:
        export_path: The long-form CSV (:mod:`memsim.capture.vcenter`).
        scenario_path: The YAML to write; traces go to ``traces/<vm>.csv`` beside it.
        host_memory: The host's memory (bytes), which the export does not give.
        inventory: An inventory (:mod:`memsim.capture.inventory`) giving the VMs' memory
            sizes and settings; without one they are estimated.

    Returns:
        The scenario path and the completed capture.
    """
    vms: list[InventoryVM] | None = None
    if inventory is not None:
        vms = read_inventory(inventory)[1]
    capture = completed(read_vcenter(export_path), host_memory, vms)
    scenario_path = Path(scenario_path)
    _write_traces(capture, scenario_path)
    header = vcenter_provenance(capture, Path(export_path).name, vms)
    scenario = scenario_dict(capture, _stem(export_path, "vcenter"), kind="vCenter export")
    return _write_scenario(header, scenario, scenario_path), capture


def import_inventory(
    inventory: Path | str, scenario_path: Path | str, host_memory: int, duration: str = "1h"
) -> tuple[Path, str, list[InventoryVM]]:
    """Seed a scenario's VMs from an inventory (:mod:`memsim.capture.seed`).

    Returns:
        The scenario path, the inventory's format and its VMs.
    """
    kind, vms = read_inventory(inventory)
    scenario = inventory_scenario(vms, host_memory, _stem(inventory, "inventory"), duration)
    header = inventory_provenance(kind, Path(inventory).name, vms)
    return _write_scenario(header, scenario, Path(scenario_path)), kind, vms
