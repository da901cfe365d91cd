"""A run beside the capture it was imported from: counters per sample and their errors.

The run's records are matched to the capture's samples by time since the first sample (the
nearest record to each sample within the run); VMs by the names the importer gave them
(:func:`memsim.capture.fit.scenario_vm_names`). Per counter the error is the mean absolute
error (MAE, MiB) over the samples and the relative error MAE / mean |captured| (NaN where the
captured counter is zero throughout). For the host state the MAE is in ESXi 6.x state numbers
and the relative error is the share of samples whose state differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from memsim.capture.esxtop import STATE_NUMBERS, EsxtopCapture
from memsim.capture.fit import scenario_vm_names

if TYPE_CHECKING:
    from memsim.results.results import Results

__all__ = ["HEADLINE", "HOST_COMPARED", "VM_COMPARED", "Comparison", "compare_capture"]

#: Host counters compared (memsim names; docs/counters.md).
HOST_COMPARED = (
    "state",
    "free",
    "vmmemctl",
    "swapped",
    "sharedSaved",
    "shared",
    "compressed",
    "zipSaved",
)
#: Per-VM counters compared (``cacheSize`` is esxtop's per-VM "Compressed Memory MBytes").
VM_COMPARED = (
    "consumed",
    "granted",
    "vmmemctl",
    "vmmemctltarget",
    "swapped",
    "sharedSaved",
    "shared",
    "zero",
    "cacheSize",
    "overhead",
    "entitlement",
    "touched",
    "active",
)
#: The host counters a warm start must track (issue 14: within 10 % of the capture).
HEADLINE = ("state", "vmmemctl", "swapped", "sharedSaved")


@dataclass(frozen=True)
class Comparison:
    """Simulated and captured counters at the capture's samples, and the errors.

    Attributes:
        host: Index ``time``; columns ``(counter, "captured" | "simulated")``.
        vms: Index ``(vm, time)``; the same columns, per-VM counters.
        errors: One row per (``scope``, ``counter``): ``scope`` is ``host`` or a VM name;
            columns ``captured`` and ``simulated`` (means), ``mae`` and ``relative``.
    """

    host: pd.DataFrame
    vms: pd.DataFrame
    errors: pd.DataFrame

    def headline(self) -> pd.DataFrame:
        """The host rows of :data:`HEADLINE`."""
        rows = self.errors[self.errors["scope"] == "host"].set_index("counter")
        return rows.loc[[c for c in HEADLINE if c in rows.index]]


def _at(frame: pd.DataFrame, times: np.ndarray) -> pd.DataFrame:
    """``frame`` (indexed by time) at ``times``: the nearest record."""
    frame = frame[~frame.index.duplicated(keep="last")].sort_index()
    return frame.reindex(times, method="nearest")


def _pairs(
    captured: pd.DataFrame, simulated: pd.DataFrame, counters: tuple[str, ...]
) -> pd.DataFrame:
    out = {}
    for counter in counters:
        if counter in captured and counter in simulated:
            out[(counter, "captured")] = captured[counter].to_numpy()
            out[(counter, "simulated")] = simulated[counter].to_numpy()
    frame = pd.DataFrame(out, index=captured.index)
    frame.columns = pd.MultiIndex.from_tuples(frame.columns)
    return frame


def _errors(scope: str, pairs: pd.DataFrame) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for counter in dict.fromkeys(pairs.columns.get_level_values(0)):
        cap = pairs[(counter, "captured")].to_numpy(float)
        sim = pairs[(counter, "simulated")].to_numpy(float)
        ok = ~(np.isnan(cap) | np.isnan(sim))
        if not ok.any():
            continue
        cap, sim = cap[ok], sim[ok]
        mae = float(np.mean(np.abs(sim - cap)))
        if counter == "state":
            relative = float(np.mean(sim != cap))
        else:
            scale = float(np.mean(np.abs(cap)))
            relative = mae / scale if scale > 0 else float("nan")
        row = {"scope": scope, "counter": counter, "captured": float(cap.mean())}
        rows.append(row | {"simulated": float(sim.mean()), "mae": mae, "relative": relative})
    return rows


def compare_capture(results: Results, capture: EsxtopCapture) -> Comparison:
    """Put ``results`` beside ``capture`` (see the module docstring).

    Raises:
        ValueError: No VM of the capture is in the run.
    """
    duration = float(results.host.index.max())
    times = capture.host.index.to_numpy(float)
    times = times[times <= duration + 1e-9]
    numbers = {"state": lambda s: s.map(STATE_NUMBERS).astype(float)}
    cap_host = capture.host.loc[times].copy()
    sim_host = _at(results.host, times)
    for frame in (cap_host, sim_host):
        if "state" in frame:
            frame["state"] = numbers["state"](frame["state"])
    host = _pairs(cap_host, sim_host, HOST_COMPARED)
    errors = _errors("host", host)
    per_vm = {}
    # VMs by their imported names; a capture without memory sizes (vCenter) by their own
    names = dict.fromkeys(capture.vms["vm"].unique()) | scenario_vm_names(capture)
    for vm, imported in names.items():
        name = imported or vm
        if name not in results.vm_names:
            continue
        cap_vm = capture.vms[capture.vms["vm"] == vm].loc[times]
        per_vm[name] = _pairs(cap_vm, _at(results.vm(name), times), VM_COMPARED)
        errors += _errors(name, per_vm[name])
    if not per_vm:
        raise ValueError("no VM of the capture is in the run (was it imported from it?)")
    vms = pd.concat(per_vm, names=["vm", "time"])
    return Comparison(host=host, vms=vms, errors=pd.DataFrame(errors))
