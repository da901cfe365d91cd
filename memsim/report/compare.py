"""Overlaying runs of the same VMs: what changed between two settings, seeds or versions.

A comparison draws each run as its own colour and line style on shared axes. Labels come from
the run names, or, when those are equal (a sweep over one scenario), from the manifest settings
that differ between the runs.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from datetime import datetime
from itertools import cycle
from typing import TYPE_CHECKING, Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure, FigureBase

from memsim.report import data
from memsim.report.style import (
    RUN_COLORS,
    TimeScale,
    figure_width,
    label_grid,
    mark_absent,
    new_figure,
    root_figure,
    small_multiples,
)
from memsim.results.results import Summary

if TYPE_CHECKING:
    from memsim.results.results import Results

__all__ = ["common_vms", "host_overlay", "run_labels", "summaries", "vm_overlay"]

Runs = Sequence[tuple[str, "Results"]]
RUN_STYLES = ("-", "--", "-.", ":")
#: Characters per line of a run label in legends (longer labels wrap).
LABEL_CHARS = 40

#: Host counters compared between runs (docs/model.md §7), with their axis labels.
HOST_PANELS = (
    ("free", "free (MiB)"),
    ("vmmemctl", "ballooned (MiB)"),
    ("compressed", "compressed (MiB)"),
    ("swapped", "swapped (MiB)"),
    ("sharedSaved", "sharing savings (MiB)"),
)


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out |= _flatten(item, f"{prefix}.{key}" if prefix else str(key))
        return out
    return {prefix: value}


def run_labels(manifests: Sequence[Mapping[str, Any]], fallbacks: Sequence[str]) -> list[str]:
    """Short distinct labels for runs.

    Args:
        manifests: Each run's manifest.
        fallbacks: Labels to use when nothing else tells the runs apart (e.g. folder names).

    Returns:
        Run names if they are distinct; else the settings (scenario keys or seed) that differ,
        as ``key=value`` pairs; else the fallbacks.
    """
    names = [str(m.get("name", "")) for m in manifests]
    if len(set(names)) == len(names):
        return names
    flat = [_flatten({"seed": m.get("seed"), **m.get("scenario", {})}) for m in manifests]
    keys = sorted({k for f in flat for k in f} - {"name", "source"})
    differing = [k for k in keys if len({repr(f.get(k)) for f in flat}) > 1]
    if differing:
        labels = [", ".join(f"{k}={f.get(k)}" for k in differing[:3]) for f in flat]
        if len(set(labels)) == len(labels):
            return labels
    return list(fallbacks)


def common_vms(runs: Runs) -> list[str]:
    """VM names in the first run's order, then those only other runs have."""
    names: list[str] = []
    for _, results in runs:
        names += [n for n in results.vm_names if n not in names]
    return names


def _styles(runs: Runs) -> list[tuple[str, str, str]]:
    return [
        (label, color, style)
        for (label, _), color, style in zip(runs, cycle(RUN_COLORS), cycle(RUN_STYLES))
    ]


def _start(runs: Runs) -> datetime | None:
    """The clock start the runs share, for clock-time axes; None when they differ or lack one."""
    starts = {r.start for _, r in runs}
    return starts.pop() if len(starts) == 1 else None


def host_overlay(runs: Runs) -> Figure:
    """Host counters of every run on shared axes.

    One row per counter (free, ballooned, compressed, swapped, sharing savings) that is non-zero
    in some run, one line per run; counters no run recorded, or all zero, are left out.
    """
    series = {
        counter: [data.host_counter(r, counter) for _, r in runs] for counter, _ in HOST_PANELS
    }
    if "sharedSaved" in series and all(s is None for s in series["sharedSaved"]):
        series["sharedSaved"] = [data.savings(r) for _, r in runs]
    # a counter that is absent, or zero in every run, says nothing worth a panel
    panels = [
        (c, label)
        for c, label in HOST_PANELS
        if any(s is not None and bool((s.fillna(0) != 0).any()) for s in series[c])
    ]
    scale = TimeScale.of(pd.concat([r.host.index.to_series() for _, r in runs]), _start(runs))
    fig = new_figure(10, 1.9 * max(1, len(panels)) + 1.0)
    axes = fig.subplots(max(1, len(panels)), 1, sharex=True, squeeze=False).ravel()
    for ax, (counter, ylabel) in zip(axes, panels, strict=False):
        for (label, color, style), s in zip(_styles(runs), series[counter], strict=True):
            if s is not None:
                ax.plot(scale(s.index), s.to_numpy(float), color=color, ls=style, label=label)
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
        ax.margins(x=0)
        ax.grid(True, color="#E0E0E0", lw=0.6)
    if not panels:
        mark_absent(axes[0], "host counters")
    _legend(fig, axes[0])
    scale.axis(axes[-1])
    return fig


def _legend(fig: FigureBase, ax: Axes, title: str | None = None) -> None:
    """The runs' legend above the panels, never wider than the figure.

    Long labels (the settings that differ) are wrapped, and there are only as many columns as
    fit the figure's width at about 0.075 inch per character of small text.
    """
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        wrapped = [textwrap.fill(label, LABEL_CHARS) for label in labels]
        widest = max(len(line) for label in wrapped for line in label.splitlines())
        fit = int(figure_width(fig) / (0.075 * widest + 0.6))
        fig.legend(
            handles,
            wrapped,
            loc="outside upper center",
            ncols=max(1, min(4, len(labels), fit)),
            title=title,
            fontsize="small",
        )


def vm_overlay(runs: Runs, names: Sequence[str], counter: str) -> Figure:
    """One panel per VM with ``counter`` of every run overlaid (one line per run).

    VMs are paged like the single-run small multiples; a VM missing from a run simply has no
    line for it.
    """
    frames = [
        (style, data.vm_frames(r, list(names)))
        for style, (_, r) in zip(_styles(runs), runs, strict=True)
    ]
    scale = TimeScale.of(pd.concat([r.vms.index.to_series() for _, r in runs]), _start(runs))
    fig, axes, ncols = small_multiples(len(names))
    for ax, name in zip(axes, names, strict=False):
        for (label, color, style), per_vm in frames:
            frame = per_vm.get(name)
            if frame is not None and counter in frame:
                ax.plot(
                    scale(frame.index),
                    frame[counter].to_numpy(float),
                    color=color,
                    ls=style,
                    lw=1.4,
                    label=label,
                )
        ax.set_title(name, fontsize=10)
        ax.set_ylim(bottom=0)
    label_grid(axes, ncols, scale, "%" if counter == "latency" else "MiB")
    _legend(fig, axes[0], title=f"{counter} per VM, by run")
    return root_figure(fig)


def summaries(runs: Runs) -> Summary:
    """Summary tables of all runs, stacked with the run label as the outer index level."""
    parts = [(label, r.summary()) for label, r in runs]
    vms = pd.concat({label: s.vms for label, s in parts}, names=["run"])
    host = pd.concat([s.host.set_axis([label]) for label, s in parts])
    host.index.name = "run"
    return Summary(vms, host)
