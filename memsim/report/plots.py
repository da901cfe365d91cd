"""Figures of one run, built from :class:`~memsim.results.Results` only.

Each function returns a new :class:`matplotlib.figure.Figure` that is not registered with
pyplot, so the module works under any backend and leaves no global state. Counters are those of
docs/model.md §7; an absent counter is reported in its panel, never drawn as zero. Colours follow
:mod:`memsim.report.style`: one colour per technique in every figure, free-memory states as
bands behind the curves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure, FigureBase
from matplotlib.lines import Line2D
from matplotlib.transforms import blended_transform_factory

from memsim.report import data
from memsim.report.style import (
    COLORS,
    RUN_COLORS,
    TimeScale,
    add_state_bands,
    figure_width,
    label_grid,
    legend_right,
    mark_absent,
    root_figure,
    small_multiples,
    state_legend_handles,
    timeline_figure,
)
from memsim.results.summary import STATES

if TYPE_CHECKING:
    from memsim.results.results import Results

__all__ = [
    "VMS_PER_PAGE",
    "Curve",
    "host_memory",
    "performance",
    "reclamation",
    "sharing",
    "vm_grid",
]

#: VMs per page of small multiples: 200 VMs make 10 readable pages.
VMS_PER_PAGE = 20

THRESHOLD_STYLES = ("--", "-.", ":", (0, (5, 2, 1, 2)), (0, (1, 3)))


@dataclass(frozen=True)
class Curve:
    """How one counter is drawn: label, colour, line style, width."""

    counter: str
    label: str
    color: str
    style: str = "-"
    width: float = 1.4


#: Per-VM memory counters in the small multiples (docs/model.md §7).
VM_CURVES = (
    Curve("consumed", "consumed", COLORS["private"], "-", 1.8),
    Curve("granted", "granted", COLORS["reference"], "-", 0.8),
    Curve("active", "active", COLORS["reference"], ":", 1.4),
    Curve("entitlement", "entitlement", COLORS["entitlement"], "--", 1.2),
    Curve("vmmemctl", "balloon", COLORS["balloon"], "-", 1.5),
    Curve("compressed", "compressed", COLORS["compression"], "-", 1.5),
    Curve("swapped", "swapped", COLORS["swap"], "-", 1.5),
)
LEVEL_CURVES = (
    Curve("reservation", "reservation", COLORS["entitlement"], "-.", 1.0),
    Curve("limit", "limit", COLORS["reference"], "-.", 1.6),
)


def _draw(ax: Axes, series: pd.Series | None, curve: Curve, scale: TimeScale) -> bool:
    if series is None or series.isna().all():
        return False
    ax.plot(
        scale(series.index),
        series.to_numpy(dtype=float),
        color=curve.color,
        ls=curve.style,
        lw=curve.width,
        label=curve.label,
    )
    return True


def _panel(
    ax: Axes,
    results: Results,
    curves: Sequence[Curve],
    scale: TimeScale,
    ylabel: str,
    what: str,
) -> set[str]:
    """One panel of host-level curves over state bands; returns the states drawn."""
    states = add_state_bands(ax, data.host_states(results), scale)
    drawn = [_draw(ax, data.host_counter(results, c.counter), c, scale) for c in curves]
    if any(drawn):
        legend_right(ax)
    else:
        mark_absent(ax, what)
    ax.set_ylabel(ylabel)
    ax.margins(x=0)
    return states


def _finish(
    fig: FigureBase, axes: Sequence[Axes], scale: TimeScale, states: set[str], title: str
) -> Figure:
    scale.axis(axes[-1])
    for ax in axes:
        ax.grid(True, color="#E0E0E0", lw=0.6)
        ax.set_axisbelow(True)
    handles = state_legend_handles(states)
    if handles:
        fig.legend(
            handles=handles,
            loc="lower center",
            bbox_to_anchor=(0.5, 0.0),
            ncols=len(handles),
            frameon=False,
        )
    fig.suptitle(title)
    return root_figure(fig)


def host_memory(results: Results, *, ax: Axes | None = None) -> Figure:
    """Host machine memory by use, and free memory against the state thresholds.

    Top: stacked areas of VM private memory, shared frames (sharedcommon), the compression
    cache, overhead and free memory; the line is managed memory. Bottom: free memory with the
    threshold of each free-memory state (docs/model.md §1); the host enters a state when free memory
    falls below its line.
    """
    scale = TimeScale.of(results.host.index, results.start)
    fig, (top, bottom) = timeline_figure(6.6, 2, height_ratios=[3, 2], ax=ax)
    states = add_state_bands(top, data.host_states(results), scale)
    add_state_bands(bottom, data.host_states(results), scale)
    layers = [
        ("VM private", data.host_counter(results, "private"), COLORS["private"]),
        ("shared frames", data.host_counter(results, "sharedcommon"), COLORS["sharing"]),
        ("compression cache", data.compression_cache(results), COLORS["compression"]),
        ("overhead", data.host_counter(results, "overhead"), COLORS["overhead"]),
        ("free", data.host_counter(results, "free"), COLORS["free"]),
    ]
    present = [(label, s, color) for label, s, color in layers if s is not None]
    if present:
        frame = pd.concat({label: s for label, s, _ in present}, axis=1).fillna(0.0)
        areas = top.stackplot(
            scale(frame.index),
            frame.to_numpy(dtype=float).T,
            labels=list(frame.columns),
            colors=[color for _, _, color in present],
            lw=0,
        )
        if present[-1][0] == "free":  # hatched, so the state bands show through free memory
            areas[-1].set(facecolor="none", edgecolor=COLORS["free"], hatch="///", lw=0)
        _draw(top, data.host_counter(results, "managed"), Curve("managed", "managed", "k"), scale)
        legend_right(top, reverse=True)
    else:
        mark_absent(top, "host memory use")
    top.set_ylabel("host memory (MiB)")
    top.margins(x=0)
    _thresholds(bottom, results, scale)
    return _finish(fig, [top, bottom], scale, states, f"{results.name}: host memory")


def _thresholds(ax: Axes, results: Results, scale: TimeScale) -> None:
    free = data.host_counter(results, "free")
    if not _draw(ax, free, Curve("free", "free", COLORS["free"], "-", 1.8), scale):
        mark_absent(ax, "free memory")
    ends: dict[str, float] = {}
    for state, style in zip(STATES, THRESHOLD_STYLES, strict=True):
        line = results.host.get(f"threshold_{state}")
        if line is not None:
            ax.plot(scale(line.index), line.to_numpy(float), color="k", lw=0.9, ls=style)
            ends[state] = float(line.iloc[-1])
    highest = max(ends.values(), default=0.0)
    if ends and free is not None and float(free.max()) > 5 * highest:
        ax.set_ylim(0, 5.5 * highest)
        ax.set_ylabel("free (MiB, zoomed\non thresholds)")
    else:
        ax.set_ylim(bottom=0)
        ax.set_ylabel("free (MiB)")
    _label_right(ax, ends)
    ax.margins(x=0)


def _label_right(ax: Axes, ends: dict[str, float], gap: float = 0.07) -> None:
    """Name threshold lines at the right edge, nudged apart so close lines stay legible."""
    low, high = ax.get_ylim()
    to_right = blended_transform_factory(ax.transAxes, ax.transAxes)
    placed = -1.0
    for state, y in sorted(ends.items(), key=lambda item: item[1]):
        frac = max((y - low) / (high - low), placed + gap)
        ax.text(1.005, frac, state, transform=to_right, va="center", fontsize=8)
        placed = frac


def reclamation(results: Results, *, ax: Axes | None = None) -> Figure:
    """What each reclamation technique holds and how fast it works, over time.

    Panels: sizes held by ballooning, compression and swapping with their targets; swap-in and
    swap-out rates; compression and decompression rates; copy-on-write breaks of shared pages
    (docs/model.md §2–§5, §7).
    """
    scale = TimeScale.of(results.host.index, results.start)
    fig, axes = timeline_figure(8.8, 4, ax=ax)
    panels = (
        (
            "reclaimed (MiB)",
            "reclaimed memory",
            (
                Curve("vmmemctl", "balloon", COLORS["balloon"]),
                Curve("vmmemctltarget", "balloon target", COLORS["balloon"], "--", 1.0),
                Curve("compressed", "compressed", COLORS["compression"]),
                Curve("swapped", "swapped", COLORS["swap"]),
                Curve("swaptarget", "swap target", COLORS["swap"], "--", 1.0),
            ),
        ),
        (
            "swap (MiB/s)",
            "swap rates",
            (
                Curve("swapoutRate", "swap out", COLORS["swap"]),
                Curve("swapinRate", "swap in", COLORS["swap"], ":", 1.6),
            ),
        ),
        (
            "compression (MiB/s)",
            "compression rates",
            (
                Curve("compressionRate", "compression", COLORS["compression"]),
                Curve("decompressionRate", "decompression", COLORS["compression"], ":", 1.6),
            ),
        ),
        (
            "COW breaks\n(per interval)",
            "copy-on-write breaks",
            (Curve("cowBreaks", "COW breaks", COLORS["sharing"]),),
        ),
    )
    states: set[str] = set()
    for ax, (ylabel, what, curves) in zip(axes, panels, strict=True):
        states |= _panel(ax, results, curves, scale, ylabel, what)
    return _finish(fig, axes, scale, states, f"{results.name}: reclamation activity")


def sharing(results: Results, *, ax: Axes | None = None) -> Figure:
    """Transparent page sharing over time (docs/model.md §2, §7).

    ``shared`` is guest memory backed by shared frames, ``sharedcommon`` the machine memory
    holding them; the shaded area is the saving (shared − sharedcommon). ``zero`` counts guest
    pages that are entirely zero, the most shared content of all.
    """
    scale = TimeScale.of(results.host.index, results.start)
    fig, (panel,) = timeline_figure(4.4, ax=ax)
    saved = data.savings(results)
    if saved is not None:
        panel.fill_between(  # hatched, so the state bands stay readable behind it
            scale(saved.index),
            saved.to_numpy(dtype=float),
            facecolor="none",
            edgecolor=to_rgba(COLORS["sharing"], 0.5),
            hatch="\\\\",
            lw=0,
            label="saved\n(shared − sharedcommon)",
        )
    curves = (
        Curve("shared", "shared", COLORS["sharing"], "-", 1.8),
        Curve("sharedcommon", "shared frames\n(sharedcommon)", COLORS["sharing"], "--", 1.4),
        Curve("zero", "zero pages", COLORS["reference"], ":", 1.4),
    )
    states = _panel(panel, results, curves, scale, "MiB", "page sharing")
    if saved is not None:
        legend_right(panel)
    return _finish(fig, [panel], scale, states, f"{results.name}: page sharing")


def _worst(frames: dict[str, pd.DataFrame], n: int = 7) -> list[str]:
    """The ``n`` VMs with the highest mean latency, or else the lowest mean throughput."""
    for key, sign in (("latency", -1.0), ("throughput", 1.0)):
        having = [name for name in frames if key in frames[name]]
        if having:
            return sorted(having, key=lambda name: sign * float(frames[name][key].mean()))[:n]
    return []


def _vm_lines(
    ax: Axes, frames: dict[str, pd.DataFrame], key: str, colors: dict[str, str], scale: TimeScale
) -> bool:
    """Each VM's ``key``: highlighted VMs in their colour, the others in light grey."""
    drawn = False
    for name in sorted(frames, key=lambda name: name in colors):  # highlighted drawn last
        frame = frames[name]
        if key in frame:
            color = colors.get(name, "#BBBBBB")
            width = 1.5 if name in colors else 0.7
            ax.plot(scale(frame.index), frame[key].to_numpy(float), color=color, lw=width)
            drawn = True
    return drawn


def performance(results: Results, *, ax: Axes | None = None) -> Figure:
    """Memory latency (% of time stalled on swap-in or decompression) and throughput per VM.

    With many VMs the seven with the worst latency are coloured and named, the others drawn in
    grey (docs/model.md §7–§8).
    """
    scale = TimeScale.of(
        results.host.index if len(results.host) else results.vms.index, results.start
    )
    frames = data.vm_frames(results)
    colors = dict(zip(_worst(frames), RUN_COLORS, strict=False))
    fig, axes = timeline_figure(6.2, 2, ax=ax)
    states: set[str] = set()
    for ax, key, ylabel in (
        (axes[0], "latency", "latency (%)"),
        (axes[1], "throughput", "relative throughput"),
    ):
        states |= add_state_bands(ax, data.host_states(results), scale)
        if not _vm_lines(ax, frames, key, colors, scale):
            mark_absent(ax, key)
        ax.set_ylabel(ylabel)
        ax.margins(x=0)
    if any("throughput" in f for f in frames.values()):
        axes[1].set_ylim(0, 1.05)
    handles = [Line2D([], [], color=c, lw=1.5, label=n) for n, c in colors.items()]
    if len(frames) > len(colors):
        handles.append(Line2D([], [], color="#BBBBBB", lw=0.7, label="other VMs"))
    if handles:
        legend_right(axes[0], handles=handles)
    return _finish(fig, axes, scale, states, f"{results.name}: VM performance")


def vm_grid(results: Results, names: list[str] | None = None, *, ax: Axes | None = None) -> Figure:
    """Small multiples of each VM's memory counters, one panel per VM.

    Lines: consumed, granted, active, entitlement, balloon, compressed, swapped; horizontal
    dash-dot lines mark a reservation or limit where set (docs/model.md §6, §7). The report calls
    this once per page of :data:`VMS_PER_PAGE` VMs.
    """
    frames = data.vm_frames(results, names)
    scale = TimeScale.of(results.vms.index, results.start)
    fig, axes, ncols = small_multiples(len(frames), ax=ax)
    labels: dict[str, Artist] = {}
    for ax, (name, frame) in zip(axes, frames.items(), strict=False):
        for curve in VM_CURVES:
            if _draw(ax, frame.get(curve.counter), curve, scale):
                labels.setdefault(curve.label, ax.lines[-1])
        for curve in LEVEL_CURVES:
            level = data.vm_levels(results, name, frame).get(curve.counter)
            if level is not None:
                line = ax.axhline(level, color=curve.color, ls=curve.style, lw=curve.width)
                labels.setdefault(curve.label, line)
        ax.set_title(name, fontsize=10)
        ax.set_ylim(bottom=0)
    if not frames:
        mark_absent(axes[0], "per-VM counters")
    label_grid(axes, ncols, scale, "MiB")
    if labels:
        fig.legend(
            handles=list(labels.values()),
            labels=list(labels),
            loc="outside upper center",
            ncols=max(3, min(len(labels), int(figure_width(fig) / 1.2))),
            frameon=False,
        )
    return root_figure(fig)
