"""The engine's warm-start hook: power on the VMs of ``start_from`` and place their pages.

Called once by :meth:`memsim.engine.simulation.Simulation.run` before the processes start; the
placement itself is the domain core's (:func:`memsim.model.warm.place`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from memsim.engine.processes import power_on
from memsim.model.states import MemState
from memsim.model.warm import Snapshot, place
from memsim.units import pages as size_to_pages

if TYPE_CHECKING:
    from memsim.engine.simulation import Simulation


def warm_start(sim: Simulation) -> None:
    """Start the scenario's ``start_from`` VMs where the capture left them (no-op without it).

    A VM that admission control refuses, or that waits for memory for its overhead, starts
    cold as it would without the block (the event log says so).
    """
    start = sim.scenario.start_from
    if start is None or not start.vms:
        return
    names = list(start.vms)
    for name in names:
        power_on(sim, sim.index[name])
    warm = [n for n in names if sim.host.on[sim.index[n]]]
    vms = np.array([sim.index[n] for n in warm], dtype=np.int64)

    def pages(key: str, default: str | None = None) -> np.ndarray:
        """Each warm VM's captured ``key`` (else ``default``) in pages; -1 where neither is."""
        values = []
        for n in warm:
            value = getattr(start.vms[n], key)
            if value is None and default is not None:
                value = getattr(start.vms[n], default)
            values.append(-1 if value is None else size_to_pages(value))
        return np.array(values, dtype=np.int64)

    active = pages("active", "touched")
    active = np.where(active < 0, sim.guests.active[vms], active)
    state = start.host.state
    snap = Snapshot(
        vms=vms,
        granted=pages("granted"),
        swapped=pages("swapped"),
        balloon=pages("balloon"),
        balloon_target=pages("balloon_target"),
        cache=pages("compressed"),
        active=active,
        state=None if state is None else MemState[state.upper()],
    )
    place(sim.guests, sim.activity, snap, sim.rng)
    sim.log("warm_start", detail=start.source or f"{len(warm)} VMs from a captured instant")
