"""Series the figures draw, taken from :class:`~memsim.results.Results` without inventing any.

Every helper returns ``None`` when the counters it needs were not recorded, so a figure can say
so instead of drawing a misleading zero line. Counter meanings: docs/model.md §7.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from memsim.results.summary import sharing_savings, state_timeline
from memsim.units import MIB

if TYPE_CHECKING:
    from memsim.results.results import Results

__all__ = [
    "compression_cache", "host_counter", "host_states", "savings", "vm_frames", "vm_levels",
]  # fmt: skip


def host_counter(results: Results, name: str) -> pd.Series | None:
    """A host counter, or the sum over VMs of the per-VM counter of that name.

    Rates such as ``compressionRate`` and counts such as ``cowBreaks`` exist per VM only; the
    host figure shows their total.
    """
    if name in results.host:
        return results.host[name]
    if name in results.vms:
        return results.vms.groupby(level="time")[name].sum(min_count=1)
    return None


def host_states(results: Results) -> pd.Series | None:
    """The host's state over time, with every change from the event log (see
    :func:`memsim.results.summary.state_timeline`)."""
    return state_timeline(results.host, results.events)


def compression_cache(results: Results) -> pd.Series | None:
    """Machine memory held by the compression cache (MiB).

    ``cacheSize`` when recorded, else compressed − zipSaved: the compressed guest memory minus
    what compressing it saved is what the cache occupies (docs/model.md §4, §7).
    """
    cache = host_counter(results, "cacheSize")
    if cache is not None:
        return cache
    compressed, saved = host_counter(results, "compressed"), host_counter(results, "zipSaved")
    if compressed is None or saved is None:
        return None
    return compressed - saved


def savings(results: Results) -> pd.Series | None:
    """Host memory saved by page sharing (MiB): sharedSaved, or shared − sharedcommon."""
    return sharing_savings(results.host)


def vm_frames(results: Results, names: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """Per-VM counter tables indexed by time, in VM order, for all VMs or ``names``."""
    if "vm" not in results.vms:
        return {}
    groups = {
        str(name): frame.drop(columns="vm") for name, frame in results.vms.groupby("vm", sort=False)
    }
    order = results.vm_names if names is None else names
    return {name: groups[name] for name in order if name in groups}


def vm_levels(results: Results, name: str, frame: pd.DataFrame) -> dict[str, float]:
    """Reservation and limit of a VM in MiB, where set (from its counters or the manifest).

    A reservation of 0 and an unlimited limit are "not set" and are left out.
    """
    levels: dict[str, float] = {}
    machines: list[dict[str, Any]] = results.manifest.get("machines", [])
    machine = next((m for m in machines if m.get("name") == name), {})
    for key in ("reservation", "limit"):
        if key in frame and frame[key].notna().any():
            value = float(frame[key].dropna().iloc[-1])
        elif machine.get(key) is not None:
            value = float(machine[key]) / MIB
        else:
            continue
        if np.isfinite(value) and value > 0:
            levels[key] = value
    return levels
