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
    """Matplotlib figures of one run; each method returns a ``Figure`` (no pyplot state).

    The figures are those of the HTML report (:mod:`memsim.report.plots`,
    :mod:`memsim.report.cost`). Every method takes ``ax=``: a subplot of your own figure, whose
    place the figure's panels then fill (the axes is replaced; the method returns your figure);
    :meth:`counter` draws one counter into the ``ax`` itself. Without ``ax`` each call makes a
    new figure.
    """

    def __init__(self, results: Results) -> None:
        self._results = results

    def host_memory(self, *, ax: Axes | None = None) -> Figure:
        """Host memory by use, stacked, with free-memory states and thresholds."""
        return plots.host_memory(self._results, ax=ax)

    def vms(self, names: list[str] | None = None, *, ax: Axes | None = None) -> Figure:
        """Per-VM small multiples of the memory counters (all VMs, or ``names``)."""
        return plots.vm_grid(self._results, names, ax=ax)

    def reclamation(self, *, ax: Axes | None = None) -> Figure:
        """Balloon, swap, compression and copy-on-write activity over time."""
        return plots.reclamation(self._results, ax=ax)

    def sharing(self, *, ax: Axes | None = None) -> Figure:
        """Transparent page sharing: shared, common frames, savings, zero pages."""
        return plots.sharing(self._results, ax=ax)

    def performance(self, *, ax: Axes | None = None) -> Figure:
        """Memory latency and relative throughput per VM."""
        return plots.performance(self._results, ax=ax)

    def who_paid(self, *, ax: Axes | None = None) -> Figure:
        """Memory taken from each VM by technique and its latency by cause, worst first."""
        return cost.who_paid(self._results, ax=ax)

    def composition(self, names: list[str] | None = None, *, ax: Axes | None = None) -> Figure:
        """Each VM's memory by layer over time (resident, shared, ballooned, ...)."""
        return cost.composition(self._results, names, ax=ax)

    def counter(self, name: str, vms: list[str] | None = None, *, ax: Axes | None = None) -> Axes:
        """One counter over time into ``ax`` (per VM; ``vms=[]`` for the host's)."""
        return counter_plot(self._results, name, vms, ax=ax)
