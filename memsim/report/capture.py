"""Simulated beside captured counters: the overlay figure of ``memsim check``.

Draws the frames of :class:`memsim.capture.compare.Comparison` (plain DataFrames with
``(counter, "captured" | "simulated")`` columns), so the report layer needs nothing of the
capture reader: captured values as markers joined by a thin line, simulated as a solid line,
one panel per host counter and one per VM for each per-VM counter drawn.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes

from memsim.report.style import RUN_COLORS, figure_png, label_grid, root_figure, small_multiples
from memsim.results.atomic import atomic_write

__all__ = ["HOST_PANELS", "VM_PANELS", "write_capture_figure"]

HOST_PANELS = (
    ("state", "state (0 high … 4 low)"),
    ("free", "free (MiB)"),
    ("vmmemctl", "ballooned (MiB)"),
    ("swapped", "swapped (MiB)"),
    ("sharedSaved", "sharing savings (MiB)"),
    ("compressed", "compressed (MiB)"),
)
VM_PANELS = (("vmmemctl", "balloon"), ("swapped", "swapped"), ("consumed", "consumed"))


def _pair(ax: Axes, frame: pd.DataFrame, counter: str, color: str, label: str) -> None:
    times = frame.index.to_numpy(float)
    ax.plot(times, frame[(counter, "simulated")], color=color, lw=1.6, label=f"{label} simulated")
    ax.plot(
        times,
        frame[(counter, "captured")],
        color=color,
        lw=0.6,
        ls=":",
        marker="o",
        ms=4,
        label=f"{label} captured",
    )
    ax.ticklabel_format(axis="y", useOffset=False)  # 1150 vs 1151 MiB read as such, not +1.15e3


def write_capture_figure(host: pd.DataFrame, vms: pd.DataFrame, path: Path | str) -> Path:
    """Write the overlay PNG: host panels, then one panel per VM counter with every VM.

    Args:
        host: Host pairs indexed by time.
        vms: Per-VM pairs indexed by (vm, time).
        path: The PNG to write (atomically).
    """
    panels = [(c, t) for c, t in HOST_PANELS if (c, "captured") in host]
    per_vm = [(c, t) for c, t in VM_PANELS if (c, "captured") in vms]
    fig, axes, ncols = small_multiples(len(panels) + len(per_vm))
    for ax, (counter, title) in zip(axes, panels, strict=False):
        _pair(ax, host, counter, RUN_COLORS[0], "host")
        ax.set_title(f"host {title}", fontsize=9)
    names = list(dict.fromkeys(vms.index.get_level_values("vm")))
    for ax, (counter, title) in zip(axes[len(panels) :], per_vm, strict=False):
        for i, name in enumerate(names):
            _pair(ax, vms.loc[name], counter, RUN_COLORS[i % len(RUN_COLORS)], name)
        ax.set_title(f"per-VM {title} (MiB)", fontsize=9)
    if per_vm:
        axes[-1].legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    label_grid(axes, ncols, "time since the first sample (s)", "")
    fig.suptitle("simulated (solid) vs captured (dotted, markers)", fontsize=10)
    target = Path(path)
    png = figure_png(root_figure(fig))
    atomic_write(target, lambda p: Path(p).write_bytes(png))
    return target
