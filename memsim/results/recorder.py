"""The recorder: preallocated columnar buffers of one run's counters, turned into Results.

It only stores what it is given: the engine's observer (:mod:`memsim.engine.observe`) computes
every counter of the registry (:mod:`memsim.counters`) from model state and hands each record
over with :meth:`Recorder.put`, per VM as vectors and for the host as numbers. A record per
``record_every`` keeps recording at O(VMs) per sample.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from memsim.model.states import MemState
from memsim.results.results import EVENT_COLUMNS, Results
from memsim.units import format_duration

if TYPE_CHECKING:
    from memsim.scenario import Scenario

__all__ = ["REFUSALS", "Recorder", "refusal_warnings", "results"]

REFUSALS = {
    "admission_refused": "power-on refused:",
    "reservation_refused": "reservation change refused:",
    "setting_refused": "change refused:",
}
"""Event kinds of refusals (docs/model.md §6), each a warning in the manifest and on the console."""


class Recorder:
    """Columnar buffers of one run's counters.

    Args:
        capacity: the most records the run takes.
        n_vms: the number of VMs (the width of a per-VM column).
    """

    def __init__(self, capacity: int, n_vms: int) -> None:
        self.n = 0  #: records taken
        self.times = np.zeros(capacity)
        self.vm_cols: dict[str, np.ndarray] = {}
        self.host_cols: dict[str, np.ndarray] = {}
        self.on = np.zeros((capacity, n_vms), dtype=bool)
        self.states = np.zeros(capacity, dtype=np.int8)
        self._capacity = capacity
        self._width = n_vms

    def is_new(self, now: float) -> bool:
        """Whether a record at ``now`` comes after the last one (one record per time)."""
        return not (self.n and now <= self.times[self.n - 1] + 1e-9)

    def _put(self, cols: dict[str, np.ndarray], name: str, value: Any, width: int | None) -> None:
        if name not in cols:
            shape = (self._capacity,) if width is None else (self._capacity, width)
            cols[name] = np.full(shape, np.nan)
        cols[name][self.n] = value

    def put(
        self,
        now: float,
        vm_values: Mapping[str, Any],
        host_values: Mapping[str, Any],
        on: np.ndarray,
        state: int,
    ) -> None:
        """Store one record: per-VM vectors, host numbers, which VMs run, the state number."""
        for name, value in vm_values.items():
            self._put(self.vm_cols, name, value, self._width)
        for name, value in host_values.items():
            self._put(self.host_cols, name, value, None)
        self.on[self.n] = on
        self.states[self.n] = state
        self.times[self.n] = now
        self.n += 1

    def frames(self, vm_names: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The buffers as the ``vms`` (rows of running VMs only) and ``host`` tables."""
        k = self.n
        rec, vm_idx = np.nonzero(self.on[:k])
        vms = pd.DataFrame(
            {"time": self.times[rec], "vm": np.array(vm_names, dtype=object)[vm_idx]}
        )
        for name, buf in self.vm_cols.items():
            vms[name] = buf[rec, vm_idx]
        host = pd.DataFrame({"time": self.times[:k]})
        host["state"] = [MemState(s).name.lower() for s in self.states[:k]]
        for name, buf in self.host_cols.items():
            host[name] = buf[:k]
        return vms, host


def refusal_warnings(events: pd.DataFrame) -> list[str]:
    """One warning per refusal in the event log (:data:`REFUSALS`)."""
    refused = events[events["kind"].str.endswith("_refused")]
    return [
        f"{REFUSALS[kind]} {vm} at {format_duration(t)} ({detail})"
        for t, kind, vm, detail in zip(
            refused["time"], refused["kind"], refused["vm"], refused["detail"], strict=True
        )
    ]


def results(
    recorder: Recorder,
    scenario: Scenario,
    vm_names: Sequence[str],
    events: list[dict[str, Any]],
    manifest: dict[str, Any],
    late_warnings: Sequence[str] = (),
) -> Results:
    """The recorded run as :class:`Results`.

    Args:
        recorder: the filled buffers.
        scenario: the scenario run.
        vm_names: VM names, in the order of the per-VM vectors.
        events: the event log, flat records with the keys of ``EVENT_COLUMNS``.
        manifest: seed, wall time and simulated time of the run.
        late_warnings: warnings found while running, after the scenario's and the refusals.
    """
    vms, host = recorder.frames(vm_names)
    log = pd.DataFrame(events, columns=list(EVENT_COLUMNS))
    warnings = [*scenario.warnings, *refusal_warnings(log), *late_warnings]
    return Results(scenario, vms, host, log, {**manifest, "warnings": warnings})
