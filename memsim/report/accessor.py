"""The figures of one run as methods: what ``Results.plot`` returns.

``results.plot.host_memory()`` and friends draw the figures of the HTML report
(:mod:`memsim.report.plots`, :mod:`memsim.report.cost`); :meth:`PlotAccessor.counter` draws one
counter into an ``ax`` of your own. :mod:`memsim.api` wires this accessor into
:class:`~memsim.results.Results` (results import no report).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from memsim.report import cost, plots
from memsim.report.counter import counter_plot

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from memsim.results.results import Results

__all__ = ["PlotAccessor"]


class PlotAccessor:
    """Matplotlib figures of one run; each method returns a new ``Figure`` (no pyplot state).

    The figures are those of the HTML report (:mod:`memsim.report.plots`,
    :mod:`memsim.report.cost`); :meth:`counter` draws into an ``ax`` of your own.
    """

    def __init__(self, results: Results) -> None:
        self._results = results

    def host_memory(self) -> Figure:
        """Host memory by use, stacked, with free-memory states and thresholds."""
        return plots.host_memory(self._results)

    def vms(self, names: list[str] | None = None) -> Figure:
        """Per-VM small multiples of the memory counters (all VMs, or ``names``)."""
        return plots.vm_grid(self._results, names)

    def reclamation(self) -> Figure:
        """Balloon, swap, compression and copy-on-write activity over time."""
        return plots.reclamation(self._results)

    def sharing(self) -> Figure:
        """Transparent page sharing: shared, common frames, savings, zero pages."""
        return plots.sharing(self._results)

    def performance(self) -> Figure:
        """Memory latency and relative throughput per VM."""
        return plots.performance(self._results)

    def who_paid(self) -> Figure:
        """Memory taken from each VM by technique and its latency by cause, worst first."""
        return cost.who_paid(self._results)

    def composition(self, names: list[str] | None = None) -> Figure:
        """Each VM's memory by layer over time (resident, shared, ballooned, ...)."""
        return cost.composition(self._results, names)

    def counter(self, name: str, vms: list[str] | None = None, *, ax: Axes | None = None) -> Axes:
        """One counter over time into ``ax`` (per VM; ``vms=[]`` for the host's)."""
        return counter_plot(self._results, name, vms, ax=ax)
