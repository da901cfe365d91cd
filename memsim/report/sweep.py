"""The sweep report: one self-contained HTML page answering "what does this parameter do?".

With one axis, the chosen metric is drawn against it: the mean over seeds as a line, the
spread between the lowest and highest seed as a band, each run as a dot. With two axes, a
heatmap of the mean over seeds, one cell per grid point, the value written in each cell; more
axes are averaged over in the heatmap and each gets its own line plot. Figures are PNGs
embedded in the page (base64), so the file can be mailed or attached to a ticket. The page
extends the report's shared base template (``templates/sweep.html`` on ``base.html``).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from memsim.report.html import render
from memsim.report.style import RUN_COLORS, figure_png, new_figure
from memsim.results.atomic import atomic_write_text

__all__ = ["grid_means", "metric_figure", "write_report"]


def grid_means(table: pd.DataFrame, axes: Sequence[str], metric: str) -> pd.DataFrame:
    """Mean, lowest and highest of a metric over the successful runs of each grid point."""
    ok = table[table["status"] == "ok"]
    if not axes:
        return ok[metric].agg(["mean", "min", "max", "count"]).to_frame().T
    grouped = ok.groupby(list(axes), sort=False)[metric]
    return grouped.agg(["mean", "min", "max", "count"]).reset_index()


def metric_figure(
    table: pd.DataFrame, axes: Sequence[str], metric: str, label: str | None = None
) -> Figure:
    """The main figure: metric against one axis (line and seed band) or two (heatmap).

    ``label`` names the metric on the figure (the metric's name when omitted).
    """
    label = label or metric
    if len(axes) >= 2:
        return _heatmap(table, axes[0], axes[1], metric, label, averaged=list(axes[2:]))
    return _line(table, axes[0] if axes else None, metric, label)


def _positions(values: Sequence[Any]) -> tuple[np.ndarray, list[str] | None]:
    """X positions of axis values: the numbers themselves, else evenly spaced categories."""
    if all(isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=float), None
    return np.arange(len(values), dtype=float), [str(v) for v in values]


def _line(
    table: pd.DataFrame, axis: str | None, metric: str, label: str, others: bool = False
) -> Figure:
    fig = new_figure(7.5, 4.2)
    ax = fig.subplots()
    ok = table[table["status"] == "ok"]
    order = list(pd.unique(table[axis])) if axis else ["all runs"]
    stats = grid_means(table, [axis] if axis else [], metric)
    if axis:
        stats = stats.set_index(axis).reindex(order)
    x, names = _positions(order)
    color = RUN_COLORS[0]
    over = "runs" if others else "seeds"
    ax.fill_between(
        x, stats["min"], stats["max"], color=color, alpha=0.18, lw=0, label=f"range over {over}"
    )
    ax.plot(x, stats["mean"], "-o", color=color, lw=2, label=f"mean over {over}")
    runs_x = x[[order.index(v) for v in ok[axis]]] if axis else np.zeros(len(ok))
    ax.plot(runs_x, ok[metric], ".", color="#333333", alpha=0.45, ms=5, label="one run")
    if names is not None:
        ax.set_xticks(x, names, rotation=30 if max(map(len, names)) > 6 else 0)
    elif len(x) <= 12:
        ax.set_xticks(x, [f"{v:g}" for v in x])
    ax.set_xlabel(axis or "")
    ax.set_ylabel(label)
    ax.grid(True, color="#E0E0E0", lw=0.6)
    ax.legend(frameon=False, fontsize=9)
    ax.set_title(f"{label} vs {axis or 'seed'}", fontsize=11)
    return fig


def _heatmap(
    table: pd.DataFrame, xaxis: str, yaxis: str, metric: str, label: str, averaged: list[str]
) -> Figure:
    stats = grid_means(table, [xaxis, yaxis], metric)
    xs, ys = list(pd.unique(table[xaxis])), list(pd.unique(table[yaxis]))
    grid = stats.pivot_table(index=yaxis, columns=xaxis, values="mean", aggfunc="mean")
    grid = grid.reindex(index=ys, columns=xs)
    fig = new_figure(
        min(max(7.0, 3.0 + 0.9 * len(xs)), 14.0), min(max(4.0, 2.2 + 0.5 * len(ys)), 10.0)
    )
    ax = fig.subplots()
    values = grid.to_numpy(dtype=float)
    image = ax.imshow(values, cmap="viridis", aspect="auto", origin="lower")
    fig.colorbar(image, ax=ax, label=label)
    ax.set_xticks(range(len(xs)), [str(v) for v in xs])
    ax.set_yticks(range(len(ys)), [str(v) for v in ys])
    ax.set_xlabel(xaxis)
    ax.set_ylabel(yaxis)
    _annotate(ax, values)
    over = ", ".join(["seeds", *averaged])
    ax.set_title(f"{label}\nmean over {over}", fontsize=10)
    return fig


def _annotate(ax: Axes, values: np.ndarray) -> None:
    if values.size > 400:
        return
    finite = values[np.isfinite(values)]
    middle = (finite.min() + finite.max()) / 2 if finite.size else 0.0
    for (row, col), value in np.ndenumerate(values):
        text = "failed" if math.isnan(value) else f"{value:.3g}"
        shade = "white" if math.isnan(value) or value < middle else "black"
        ax.text(col, row, text, ha="center", va="center", fontsize=8, color=shade)


def write_report(
    directory: Path | str,
    table: pd.DataFrame,
    axes: Sequence[str],
    name: str,
    seeds: int,
    metric: str,
    label: str | None = None,
) -> Path:
    """Write ``report.html`` for a sweep's run table, on the report's shared base template.

    Args:
        directory: The sweep folder.
        table: The run table (:func:`memsim.sweep.runner.execute`).
        axes: The swept key paths, in grid order.
        name: The scenario's name, for the title.
        seeds: Seeds per grid point.
        metric: The metric to show, a column of ``table``.
        label: What the metric measures, with its unit (the metric's name when omitted).

    Returns:
        The report's path.
    """
    label = label or metric
    figures = [(metric_figure(table, axes, metric, label), _title(axes, metric))]
    if len(axes) > 2:
        figures += [
            (
                _line(table, axis, metric, label, others=True),
                f"{metric} vs {axis}, other axes pooled",
            )
            for axis in axes
        ]
    failed = table[table["status"] != "ok"]
    page = render(
        "sweep.html",
        title=f"{name}: sweep",
        runs=len(table),
        ok=int((table["status"] == "ok").sum()),
        failed=len(failed),
        seeds=seeds,
        metric=metric,
        label=label,
        figures=[{"png": _base64(fig), "title": title} for fig, title in figures],
        points=_html(grid_means(table, axes, metric)),
        errors=_html(failed[[*axes, "seed", "error"]]) if len(failed) else "",
    )
    return atomic_write_text(Path(directory) / "report.html", page)


def _title(axes: Sequence[str], metric: str) -> str:
    if len(axes) >= 2:
        return f"{metric} over {axes[0]} × {axes[1]}"
    return f"{metric} vs {axes[0] if axes else 'seed'}"


def _base64(fig: Figure) -> str:
    return base64.b64encode(figure_png(fig)).decode("ascii")


def _html(frame: pd.DataFrame) -> Any:
    from markupsafe import Markup

    table = frame.to_html(
        index=False, classes="table", float_format=lambda v: f"{v:.4g}", na_rep="–"
    )
    return Markup(table)
