"""The sweep report: one self-contained HTML page answering "what does this parameter do?".

With one axis, the chosen metric is drawn against it: the mean over seeds as a line, the
spread between the lowest and highest seed as a band, each run as a dot. With two axes, a
heatmap of the mean over seeds, one cell per grid point, the value written in each cell; more
axes are averaged over in the heatmap and each gets its own line plot. Figures are PNGs
embedded in the page (base64), so the file can be mailed or attached to a ticket.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from memsim.model.states import STATES
from memsim.report.style import RUN_COLORS, figure_png, new_figure
from memsim.results.atomic import atomic_write_text
from memsim.sweep.metrics import DEFAULT_METRIC, METRICS

__all__ = ["LABELS", "grid_means", "metric_figure", "write_report"]

LABELS = {
    "worst_mean_latency": "worst VM latency, mean over the run (%)",
    "peak_latency": "highest recorded VM latency (%)",
    "mean_throughput": "mean relative throughput",
    "worst_mean_throughput": "worst VM relative throughput",
    "peak_swapped": "peak host swapped (MiB)",
    "peak_ballooned": "peak host ballooned (MiB)",
    "peak_compressed": "peak host compressed (MiB)",
    "peak_guest_swapped": "peak guest-swapped (MiB)",
    "min_free": "lowest free memory (MiB)",
    "sharing_saved_mean": "mean memory saved by sharing (MiB)",
    **{f"time_{s}": f"time in {s} state (s)" for s in STATES},
}

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ name }}: sweep</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 13px; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 9px; text-align: right; }
th { background: #f4f4f4; } img { max-width: 100%; } .failed { color: #b00; }
</style></head><body>
<h1>{{ name }}: sweep</h1>
<p>{{ runs }} runs ({{ ok }} ok, <span class="failed">{{ failed }} failed</span>),
{{ seeds }} seed(s) per grid point; metric: <b>{{ label }}</b> (<code>{{ metric }}</code>).</p>
{% for fig in figures %}<figure>
<img alt="{{ fig.title }}" src="data:image/png;base64,{{ fig.png }}">
<figcaption>{{ fig.title }}</figcaption></figure>
{% endfor %}
<h2>By grid point</h2>{{ points }}
{% if errors %}<h2 class="failed">Failed runs</h2>{{ errors }}{% endif %}
</body></html>
"""


def grid_means(table: pd.DataFrame, axes: Sequence[str], metric: str) -> pd.DataFrame:
    """Mean, lowest and highest of a metric over the successful runs of each grid point."""
    ok = table[table["status"] == "ok"]
    if not axes:
        return ok[metric].agg(["mean", "min", "max", "count"]).to_frame().T
    grouped = ok.groupby(list(axes), sort=False)[metric]
    return grouped.agg(["mean", "min", "max", "count"]).reset_index()


def metric_figure(table: pd.DataFrame, axes: Sequence[str], metric: str) -> Figure:
    """The main figure: metric against one axis (line and seed band) or two (heatmap)."""
    if len(axes) >= 2:
        return _heatmap(table, axes[0], axes[1], metric, averaged=list(axes[2:]))
    return _line(table, axes[0] if axes else None, metric)


def _positions(values: Sequence[Any]) -> tuple[np.ndarray, list[str] | None]:
    """x positions of axis values: the numbers themselves, else evenly spaced categories."""
    if all(isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=float), None
    return np.arange(len(values), dtype=float), [str(v) for v in values]


def _line(table: pd.DataFrame, axis: str | None, metric: str, others: bool = False) -> Figure:
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
    ax.set_ylabel(LABELS.get(metric, metric))
    ax.grid(True, color="#E0E0E0", lw=0.6)
    ax.legend(frameon=False, fontsize=9)
    ax.set_title(f"{LABELS.get(metric, metric)} vs {axis or 'seed'}", fontsize=11)
    return fig


def _heatmap(
    table: pd.DataFrame, xaxis: str, yaxis: str, metric: str, averaged: list[str]
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
    fig.colorbar(image, ax=ax, label=LABELS.get(metric, metric))
    ax.set_xticks(range(len(xs)), [str(v) for v in xs])
    ax.set_yticks(range(len(ys)), [str(v) for v in ys])
    ax.set_xlabel(xaxis)
    ax.set_ylabel(yaxis)
    _annotate(ax, values)
    over = ", ".join(["seeds", *averaged])
    ax.set_title(f"{LABELS.get(metric, metric)}\nmean over {over}", fontsize=10)
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
    metric: str = DEFAULT_METRIC,
) -> Path:
    """Write ``report.html`` for a sweep's run table.

    Args:
        directory: The sweep folder.
        table: The run table (:func:`memsim.sweep.runner.execute`).
        axes: The swept key paths, in grid order.
        name: The scenario's name, for the title.
        seeds: Seeds per grid point.
        metric: The metric to show (one of :data:`memsim.sweep.metrics.METRICS`).

    Returns:
        The report's path.

    Raises:
        ValueError: If the metric is unknown.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
    figures = [(metric_figure(table, axes, metric), _title(axes, metric))]
    if len(axes) > 2:
        figures += [
            (_line(table, axis, metric, others=True), f"{metric} vs {axis}, other axes pooled")
            for axis in axes
        ]
    failed = table[table["status"] != "ok"]
    page = (
        jinja2.Environment(autoescape=True)
        .from_string(_TEMPLATE)
        .render(
            name=name,
            runs=len(table),
            ok=int((table["status"] == "ok").sum()),
            failed=len(failed),
            seeds=seeds,
            metric=metric,
            label=LABELS.get(metric, metric),
            figures=[{"png": _base64(fig), "title": title} for fig, title in figures],
            points=_html(grid_means(table, axes, metric)),
            errors=_html(failed[[*axes, "seed", "error"]]) if len(failed) else "",
        )
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

    return Markup(frame.to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="–"))
