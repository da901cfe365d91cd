"""One look for every figure: a colour per technique, state bands, time axes.

Colours come from the Okabe–Ito palette, which stays distinguishable with the common forms of
colour blindness and in greyscale print (lines also differ in style). A technique keeps its
colour in every figure: sharing green, balloon orange, compression purple, swap vermillion.
Free-memory states (docs/model.md §1) are light bands behind the curves, darker as memory gets
scarcer.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure, FigureBase, SubFigure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

__all__ = [
    "COLORS",
    "RUN_COLORS",
    "STATE_COLORS",
    "TimeScale",
    "add_state_bands",
    "figure_or_slot",
    "figure_png",
    "figure_width",
    "label_grid",
    "legend_right",
    "mark_absent",
    "new_figure",
    "root_figure",
    "small_multiples",
    "state_legend_handles",
    "timeline_figure",
]

#: Okabe–Ito colours, one per technique or memory use.
COLORS = {
    "private": "#0072B2",  # blue: memory backing VM pages privately
    "sharing": "#009E73",  # bluish green: transparent page sharing
    "balloon": "#E69F00",  # orange: ballooning (vmmemctl)
    "compression": "#CC79A7",  # reddish purple: compression cache
    "swap": "#D55E00",  # vermillion: hypervisor swapping
    "overhead": "#7F7F7F",  # grey: virtualisation overhead
    "free": "#56B4E9",  # sky blue: free memory
    "zero": "#F0E442",  # yellow: zero pages (areas only; too light for lines)
    "reference": "#000000",  # black: granted, active, thresholds
    "entitlement": "#595959",  # dark grey
}

#: Colours for separate runs or VMs in overlays (Okabe–Ito without yellow).
RUN_COLORS = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#000000")

#: Background bands per free-memory state; ``high`` (the normal state) is left blank.
STATE_COLORS = {
    "clear": "#DDEFF9",
    "soft": "#FFF1B8",
    "hard": "#FDD3A8",
    "low": "#F5A99A",
}


class TimeScale:
    """Seconds shown in s, min or h, whichever keeps the axis numbers small.

    With a run's ``start`` (the scenario's ``start:``, :mod:`memsim.scenario.clock`) the axis
    shows clock times instead (``09:30``, with the date when the run spans days); the data
    stay in the scale's unit, only the tick labels change (:meth:`axis`).
    """

    def __init__(self, seconds: float, start: datetime | None = None) -> None:
        if seconds <= 600:
            self.divisor, self.unit = 1.0, "s"
        elif seconds <= 3 * 3600:
            self.divisor, self.unit = 60.0, "min"
        else:
            self.divisor, self.unit = 3600.0, "h"
        self.start, self.seconds = start, seconds

    @classmethod
    def of(cls, index: Iterable[float], start: datetime | None = None) -> TimeScale:
        """The scale for times spanning ``index`` (seconds), on the clock from ``start``."""
        values = np.asarray(list(index), dtype=float)
        return cls(float(values.max()) if values.size else 0.0, start)

    def __call__(self, times: Iterable[float]) -> np.ndarray:
        """``times`` (seconds) in the scale's unit."""
        return np.asarray(list(times), dtype=float) / self.divisor

    @property
    def label(self) -> str:
        """The time axis label, with its unit (or the day the clock times start on)."""
        if self.start is None:
            return f"time ({self.unit})"
        return f"clock time (from {self.start:%Y-%m-%d %H:%M})"

    def _clock(self, value: float, _position: object = None) -> str:
        """Tick label of ``value`` (in the scale's unit): the clock time it stands for."""
        start = self.start or datetime.min
        moment = start + timedelta(seconds=float(value) * self.divisor)
        days = self.seconds > 86400 or moment.date() != start.date()
        spec = "%H:%M:%S" if self.unit == "s" and self.seconds <= 120 else "%H:%M"
        return moment.strftime(("%m-%d " if days else "") + spec)

    def axis(self, ax: Axes) -> None:
        """Label ``ax``'s x axis: the unit, or clock-time tick labels when there is a start."""
        ax.set_xlabel(self.label)
        if self.start is not None:
            ax.xaxis.set_major_formatter(FuncFormatter(self._clock))


#: Width of every figure over time, and its fixed margins (inches): the time axes of the
#: stacked report figures then line up exactly, whatever their legends and labels.
TIMELINE_WIDTH, TIMELINE_LEFT, TIMELINE_RIGHT = 10.0, 1.0, 2.4
_TIMELINE_TOP, _TIMELINE_BOTTOM = 0.6, 1.1


def timeline_figure(
    height: float,
    nrows: int = 1,
    height_ratios: Sequence[float] | None = None,
    *,
    ax: Axes | None = None,
) -> tuple[FigureBase, list[Axes]]:
    """A figure of ``nrows`` panels over a shared time axis, with the report's fixed margins.

    Legends go to the right margin (``legend_right``), the state legend to the bottom one.
    With ``ax``, the panels fill that axes' place in the caller's figure (:func:`slot_of`).
    """
    fig = Figure(figsize=(TIMELINE_WIDTH, height)) if ax is None else slot_of(ax)
    axes = fig.subplots(nrows, 1, sharex=True, squeeze=False, height_ratios=height_ratios)
    width, height = figure_width(fig), _figure_height(fig)
    if root_figure(fig).get_layout_engine() is None:  # a constrained layout places them itself
        fig.subplots_adjust(
            left=min(0.3, TIMELINE_LEFT / width),
            right=max(0.5, 1 - TIMELINE_RIGHT / width),
            top=max(0.6, 1 - _TIMELINE_TOP / height),
            bottom=min(0.3, _TIMELINE_BOTTOM / height),
            hspace=0.18,
        )
    return fig, list(axes.ravel())


def legend_right(ax: Axes, **kwargs: object) -> None:
    """A legend in the right margin of a timeline figure, next to its panel."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", **kwargs)


def new_figure(width: float, height: float) -> Figure:
    """A figure independent of pyplot (safe with any backend, nothing global kept)."""
    return Figure(figsize=(width, height), layout="constrained")


def figure_or_slot(width: float, height: float, ax: Axes | None) -> FigureBase:
    """:func:`new_figure`, or with ``ax`` the place of that axes in the caller's figure."""
    return new_figure(width, height) if ax is None else slot_of(ax)


def slot_of(ax: Axes) -> SubFigure:
    """The place ``ax`` takes in its figure, as a subfigure a multi-panel figure can fill.

    This is how every plot method takes ``ax=``: a figure of several panels is drawn where the
    caller's axes was (which is removed), so it can sit beside the caller's own plots.

    Raises:
        ValueError: ``ax`` is not a subplot (it has no place in a grid to hand over).
    """
    spec = ax.get_subplotspec()
    if spec is None:
        raise ValueError("ax must be a subplot (from subplots() or add_subplot())")
    parent = ax.get_figure(root=False)
    assert parent is not None  # a subplot always belongs to a figure
    place = parent.add_subfigure(spec)
    ax.remove()
    return place


def root_figure(fig: FigureBase) -> Figure:
    """The top-level figure that holds ``fig`` (``fig`` itself unless it is a subfigure)."""
    root = fig.get_figure(root=True)
    assert isinstance(root, Figure)
    return root


def figure_width(fig: FigureBase) -> float:
    """Width of a figure or subfigure in inches."""
    return float(fig.get_window_extent().width) / root_figure(fig).dpi


def _figure_height(fig: FigureBase) -> float:
    return float(fig.get_window_extent().height) / root_figure(fig).dpi


def small_multiples(n: int, *, ax: Axes | None = None) -> tuple[FigureBase, list[Axes], int]:
    """A figure with one panel per item, four per row, sharing the time axis.

    Returns:
        The figure (or, with ``ax``, the subfigure in its place), its first ``n`` axes (unused
        ones hidden) and the number of columns.
    """
    ncols = max(1, min(4, n))
    nrows = max(1, math.ceil(n / ncols))
    fig = figure_or_slot(3.3 * ncols + 1.2, 2.3 * nrows + 1.0, ax)
    axes = list(fig.subplots(nrows, ncols, sharex=True, squeeze=False).ravel())
    for ax in axes[max(1, n) :]:
        ax.set_visible(False)
    return fig, axes[: max(1, n)], ncols


def label_grid(axes: Sequence[Axes], ncols: int, xlabel: str | TimeScale, ylabel: str) -> None:
    """Label the left column and every panel with no panel below it; add light grids.

    ``xlabel`` is a label, or the time scale that labels the axis (:meth:`TimeScale.axis`).
    """
    for ax in axes:
        ax.grid(True, color="#E0E0E0", lw=0.6)
        ax.margins(x=0)
    for ax in axes[::ncols]:
        ax.set_ylabel(ylabel)
    for ax in axes[max(0, len(axes) - ncols) :]:
        if isinstance(xlabel, TimeScale):
            xlabel.axis(ax)
        else:
            ax.set_xlabel(xlabel)
        ax.xaxis.set_tick_params(labelbottom=True)


def figure_png(fig: Figure, dpi: int = 110) -> bytes:
    """Render a figure to PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def state_runs(state: pd.Series) -> list[tuple[str, float, float]]:
    """Contiguous runs of one state as ``(state, start, end)`` in seconds.

    A sample's state lasts until the next sample; the last one for the median interval.
    """
    if state.empty:
        return []
    times = state.index.to_numpy(dtype=float)
    gaps = np.diff(times)
    ends = np.append(times[1:], times[-1] + (float(np.median(gaps)) if gaps.size else 0.0))
    values = state.astype(str).to_numpy()
    runs: list[tuple[str, float, float]] = []
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            runs.append((values[start], float(times[start]), float(ends[i - 1])))
            start = i
    return runs


def add_state_bands(ax: Axes, state: pd.Series | None, scale: TimeScale) -> set[str]:
    """Shade the periods the host spent in each non-high state; returns the states drawn."""
    drawn: set[str] = set()
    if state is None:
        return drawn
    runs = state_runs(state)
    span = (runs[-1][2] - runs[0][1]) if runs else 0.0
    for name, start, end in runs:
        color = STATE_COLORS.get(name)
        if color is not None:
            # a dip of a few seconds stays visible: at least 0.4 % of the time axis wide
            end = max(end, start + 0.004 * span)
            ax.axvspan(start / scale.divisor, end / scale.divisor, color=color, lw=0, zorder=0)
            drawn.add(name)
    return drawn


def state_legend_handles(states: Iterable[str]) -> list[Patch]:
    """Legend entries for the state bands that appear, in order of severity."""
    present = set(states)
    return [
        Patch(facecolor=color, edgecolor="none", label=f"state: {name}")
        for name, color in STATE_COLORS.items()
        if name in present
    ]


def mark_absent(ax: Axes, what: str) -> None:
    """Say in an empty panel that the model did not record these counters."""
    ax.text(
        0.5,
        0.5,
        f"{what}: not recorded by this model",
        transform=ax.transAxes,
        ha="center",
        va="center",
        color="#595959",
    )
    ax.set_yticks([])


def pages(items: Sequence[str], per_page: int) -> list[list[str]]:
    """Split ``items`` into consecutive groups of at most ``per_page``."""
    return [list(items[i : i + per_page]) for i in range(0, len(items), per_page)]
