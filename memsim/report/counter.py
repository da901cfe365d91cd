"""One counter over time, drawn into the caller's axes: the building block for notebooks.

The report's figures are multi-panel and make their own :class:`~matplotlib.figure.Figure`;
:func:`counter_plot` instead draws into an ``ax`` you pass (a subplot of your own figure), or a
new one, and labels the y axis with the counter's unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from matplotlib.axes import Axes

from memsim.report.style import TimeScale, mark_absent, new_figure
from memsim.results.columns import unit_of

if TYPE_CHECKING:
    from memsim.results.results import Results

__all__ = ["counter_plot"]


def counter_plot(
    results: Results,
    counter: str,
    vms: Sequence[str] | None = None,
    *,
    ax: Axes | None = None,
) -> Axes:
    """Draw ``counter`` over time: per VM (all, or ``vms``), or the host's if ``vms`` is empty.

    Args:
        results: The run.
        counter: A column of ``results.vms`` or ``results.host``.
        vms: VM names; ``[]`` draws the host counter; ``None`` every VM.
        ax: Axes to draw into; a new figure's axes when omitted.

    Returns:
        The axes drawn into.
    """
    if ax is None:
        ax = new_figure(8, 3.5).subplots()
    scale = TimeScale.of(
        results.host.index if len(results.host) else results.vms.index, results.start
    )
    per_vm = vms is None or len(vms) > 0
    table = results.vms if per_vm else results.host
    if counter not in table:
        mark_absent(ax, counter)
        return ax
    if per_vm:
        for name in vms if vms is not None else results.vm_names:
            series = results.vm(name)[counter]
            ax.plot(scale(series.index), series.to_numpy(float), label=name, lw=1.2)
        if ax.lines:
            ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    else:
        series = table[counter]
        ax.plot(scale(series.index), series.to_numpy(float), label=counter, color="k", lw=1.4)
    unit = unit_of(counter)
    ax.set_ylabel(f"{counter} ({unit})" if unit else counter)
    scale.axis(ax)
    ax.margins(x=0)
    return ax
