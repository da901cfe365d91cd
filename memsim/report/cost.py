"""Who paid, and how: per-VM figures of the memory taken from each VM and what it cost.

Two figures, both with the VMs that paid most first (:func:`memsim.results.summary.worst_first`):

- :func:`who_paid`: per VM, the mean memory taken by each technique and the mean time stalled
  split by cause (:data:`memsim.model.cost.WAIT_COUNTERS`), as horizontal bars; the first two
  causes (swap-in, decompression) make vCenter's ``latency``.
- :func:`composition`: per VM over time, what its configured memory is made of — the picture an
  esxtop user builds from MCTLSZ, SWCUR, CACHEUSD and SHRD (docs/model.md, "Counters").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from memsim.model.cost import CAUSE_LABELS, LATENCY_CAUSES, STALL_CAUSES, WAIT_COUNTERS
from memsim.report import data
from memsim.report.style import (
    COLORS,
    TimeScale,
    figure_or_slot,
    figure_width,
    label_grid,
    mark_absent,
    root_figure,
    small_multiples,
)

if TYPE_CHECKING:
    from memsim.results.results import Results

__all__ = ["BARS_PER_PAGE", "CAUSE_LAYERS", "LAYERS", "composition", "layers", "who_paid"]

#: VMs per page of :func:`who_paid`: a bar per VM stays readable up to about 40.
BARS_PER_PAGE = 40

#: Layers of a VM's memory, bottom up: (label, colour, hatch). ``free`` is what the guest has
#: not touched (configured memory less everything else).
LAYERS = (
    ("resident private", COLORS["private"], ""),
    ("shared", COLORS["sharing"], ""),
    ("ballooned", COLORS["balloon"], ""),
    ("compressed", COLORS["compression"], ""),
    ("swapped (host)", COLORS["swap"], ""),
    ("paged out by guest", COLORS["swap"], "xx"),
)

_CAUSE_LOOK = {
    "swapin": (COLORS["swap"], ""),
    "decompress": (COLORS["compression"], ""),
    "guestPaging": (COLORS["swap"], "xx"),
    "cacheMiss": (COLORS["free"], ""),
    "blocked": (COLORS["reference"], ""),
}
#: Stall causes as drawn: (summary column, label, colour, hatch); the causes vCenter counts as
#: ``latency`` are labelled so.
CAUSE_LAYERS = tuple(
    (
        f"{WAIT_COUNTERS[cause]}_mean",
        f"{CAUSE_LABELS[cause]}{' (latency)' if cause in LATENCY_CAUSES else ''}",
        *_CAUSE_LOOK[cause],
    )
    for cause in STALL_CAUSES
)
_TAKEN = (
    ("ballooned_mean", "ballooned", COLORS["balloon"], ""),
    ("compressed_mean", "compressed", COLORS["compression"], ""),
    ("swapped_mean", "swapped (host)", COLORS["swap"], ""),
    ("guest_swapped_mean", "paged out by guest", COLORS["swap"], "xx"),
)


def layers(frame: pd.DataFrame) -> pd.DataFrame | None:
    """A VM's memory by layer of :data:`LAYERS`, MiB over time (None without the counters).

    Resident private is ``granted − shared``: guest memory backed by a machine page of its own.
    """
    need = {"granted", "shared", "vmmemctl", "compressed", "swapped"}
    if not need <= set(frame.columns):
        return None
    guest = frame.get("guestSwapped", pd.Series(0.0, index=frame.index))
    parts = [
        (frame["granted"] - frame["shared"]).clip(lower=0.0),
        frame["shared"],
        frame["vmmemctl"],
        frame["compressed"],
        frame["swapped"],
        guest,
    ]
    return pd.concat(parts, axis=1, keys=[label for label, _, _ in LAYERS]).fillna(0.0)


def composition(
    results: Results, names: list[str] | None = None, *, ax: Axes | None = None
) -> Figure:
    """What each VM's memory is made of over time, the VMs that paid most first.

    Stacked areas per VM: resident private memory, shared pages, ballooned, compressed, swapped
    by the host and paged out by the guest itself; the line is the VM's configured memory, so
    the white gap below it is memory the guest has not touched. The report draws this once per
    page of 20 VMs.
    """
    frames = data.vm_frames(results, names)
    scale = TimeScale.of(results.vms.index, results.start)
    fig, axes, ncols = small_multiples(len(frames), ax=ax)
    drawn = False
    for ax, (name, frame) in zip(axes, frames.items(), strict=False):
        stack = layers(frame)
        ax.set_title(name, fontsize=10)
        if stack is None:
            mark_absent(ax, "memory by layer")
            continue
        areas = ax.stackplot(
            scale(stack.index),
            stack.to_numpy(dtype=float).T,
            colors=[color for _, color, _ in LAYERS],
            lw=0,
        )
        for area, (_, _, hatch) in zip(areas, LAYERS, strict=True):
            area.set(hatch=hatch, edgecolor="white")
        if "memory" in frame:
            ax.plot(scale(frame.index), frame["memory"].to_numpy(float), color="k", lw=0.9)
        ax.set_ylim(bottom=0)
        drawn = True
    if not frames:
        mark_absent(axes[0], "per-VM counters")
    label_grid(axes, ncols, scale, "MiB")
    if drawn:
        handles = [
            Patch(facecolor=c, hatch=h, edgecolor="white", label=label) for label, c, h in LAYERS
        ]
        fig.legend(
            handles=[*reversed(handles)],
            loc="outside upper center",
            ncols=min(len(handles), max(2, int(figure_width(fig) / 1.8))),
            frameon=False,
        )
    return root_figure(fig)


def _bars(ax: Axes, table: pd.DataFrame, spec: tuple[Any, ...], xlabel: str) -> bool:
    """Stacked horizontal bars of the ``spec`` columns present in ``table``; False if none."""
    present = [(col, label, c, h) for col, label, c, h in spec if col in table]
    if not present:
        return False
    y = np.arange(len(table))
    left = np.zeros(len(table))
    for col, label, color, hatch in present:
        values = table[col].fillna(0.0).to_numpy(dtype=float)
        ax.barh(y, values, left=left, color=color, hatch=hatch, edgecolor="white", label=label)
        left += values
    ax.set_yticks(y, [str(v) for v in table.index], fontsize=8)
    ax.set_ylim(len(table) - 0.5, -0.5)  # worst at the top (the axes share y: set, not invert)
    ax.set_xlabel(xlabel)
    ax.grid(True, axis="x", color="#E0E0E0", lw=0.6)
    ax.set_axisbelow(True)
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.6 / max(len(table), 4) ** 0.5),
        ncols=3,
        fontsize="small",
        frameon=False,
    )
    return True


def who_paid(results: Results, names: list[str] | None = None, *, ax: Axes | None = None) -> Figure:
    """Who paid, and how: memory taken from each VM and the time it stalled, worst first.

    Left: mean MiB taken from each VM by ballooning, compression, host swapping and its own
    paging. Right: its mean time stalled (``stall``, % of time waiting) split by cause: host
    swap-in and decompression (together vCenter's ``latency``), guest paging, page-cache misses
    and being blocked waiting for memory. VMs are ordered by mean stall, then by memory taken.
    """
    from memsim.results.summary import worst_first

    table = results.summary().vms
    order = names if names is not None else worst_first(table)
    table = table.loc[[n for n in order if n in table.index]]
    fig = figure_or_slot(11, 1.2 + 0.28 * max(len(table), 4), ax)
    left, right = fig.subplots(1, 2, sharey=True)
    if table.empty or not _bars(left, table, _TAKEN, "mean memory taken (MiB)"):
        mark_absent(left, "memory taken by technique")
    if table.empty or not _bars(right, table, CAUSE_LAYERS, "mean time stalled by cause (%)"):
        mark_absent(right, "stall by cause")
    fig.suptitle(f"{results.name}: who paid, and how")
    return root_figure(fig)
