"""The self-contained HTML report of a run, and the comparison report of several runs.

``report.html`` embeds every figure as a base64 PNG and inlines its CSS, so it opens offline and
can be mailed as one file; the same PNGs are also written to ``figures/`` for reuse. Files are
written atomically (:mod:`memsim.results.store`).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from matplotlib.figure import Figure

from memsim.report import compare, cost, plots, tables
from memsim.report.style import figure_png, pages
from memsim.results.atomic import atomic_write_bytes, atomic_write_text
from memsim.results.store import staged_directory

if TYPE_CHECKING:
    from memsim.results.results import Results

__all__ = [
    "FigureEntry",
    "compare_folders",
    "render",
    "report_figures",
    "write_comparison",
    "write_report",
]

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("memsim.report", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(template: str, **context: object) -> str:
    """A page from one of the report's templates (they all extend ``base.html``)."""
    return _ENV.get_template(template).render(**context)


@dataclass(frozen=True)
class FigureEntry:
    """One figure of a report: file stem, heading, and the plotting call that draws it.

    The caption is the first paragraph after the summary line of the plotting function's
    docstring, so figure and explanation stay together in the code.
    """

    slug: str
    title: str
    draw: partial[Figure]

    @property
    def caption(self) -> str:
        """The figure's explanation: its plotting function's docstring, second paragraph."""
        doc = (self.draw.func.__doc__ or "").strip().split("\n\n")
        return plain(" ".join(line.strip() for line in doc[1].splitlines())) if len(doc) > 1 else ""

    @property
    def alt(self) -> str:
        """Alt text: the plotting function's summary line (what the figure shows)."""
        summary = (self.draw.func.__doc__ or self.title).strip().splitlines()[0]
        return plain(summary.rstrip("."))


def plain(text: str) -> str:
    """Docstring text without reStructuredText markup: roles and literals become plain words."""
    text = re.sub(r":\w+:`~?([^`<]*?)(?:\s*<[^>]*>)?`", lambda m: m.group(1).split(".")[-1], text)
    return text.replace("``", "")


@dataclass(frozen=True)
class RenderedFigure:
    slug: str
    title: str
    caption: str
    alt: str
    path: str
    base64: str


def _vm_pages(
    names: Sequence[str],
    draw: partial[Figure],
    slug: str,
    title: str,
    per_page: int = plots.VMS_PER_PAGE,
) -> list[FigureEntry]:
    """One entry per page of ``per_page`` VMs (in the order given); ``draw(names)``."""
    chunks = pages(list(names), per_page)
    if len(chunks) <= 1:
        return [FigureEntry(slug, title, partial(draw, list(names)))]
    return [
        FigureEntry(f"{slug}_{i + 1:02d}", f"{title} {c[0]} … {c[-1]}", partial(draw, c))
        for i, c in enumerate(chunks)
    ]


def report_figures(results: Results) -> list[FigureEntry]:
    """The figures of a run's report, in report order; per-VM pages list the worst VMs first."""
    from memsim.results.summary import worst_first

    worst = worst_first(results.summary().vms) or results.vm_names
    paid = partial(cost.who_paid, results)
    return [
        *_vm_pages(worst, paid, "who_paid", "Who paid, and how", cost.BARS_PER_PAGE),
        FigureEntry("host_memory", "Host memory", partial(plots.host_memory, results)),
        FigureEntry("reclamation", "Reclamation activity", partial(plots.reclamation, results)),
        FigureEntry("sharing", "Page sharing", partial(plots.sharing, results)),
        FigureEntry("performance", "Latency and throughput", partial(plots.performance, results)),
        *_vm_pages(worst, partial(cost.composition, results), "composition", "VM memory by layer"),
        *_vm_pages(worst, partial(plots.vm_grid, results), "vms", "VM counters"),
    ]


def _render(entries: Sequence[FigureEntry], directory: Path) -> list[RenderedFigure]:
    """Draw each figure once, write it to ``figures/<slug>.png`` and keep it for embedding."""
    rendered = []
    for entry in entries:
        png = figure_png(entry.draw())
        atomic_write_bytes(directory / "figures" / f"{entry.slug}.png", png)
        rendered.append(
            RenderedFigure(
                entry.slug,
                entry.title,
                entry.caption,
                entry.alt,
                f"figures/{entry.slug}.png",
                base64.b64encode(png).decode("ascii"),
            )
        )
    return rendered


def write_report(results: Results, directory: Path | str) -> Path:
    """Write ``report.html`` and ``figures/*.png`` of one run into ``directory``.

    Returns:
        The path of ``report.html``.
    """
    directory = Path(directory)
    summary = results.summary()
    html = _ENV.get_template("report.html").render(
        title=f"memsim report: {results.name}",
        facts=tables.run_facts(results.manifest),
        figures=_render(report_figures(results), directory),
        vm_summary=tables.frame_html(summary.vms, tables.SUMMARY_LABELS),
        host_summary=tables.frame_html(summary.host, tables.SUMMARY_LABELS, transpose=True),
        scenario=tables.scenario_tables(results.manifest),
        events=tables.event_tables(results),
    )
    return atomic_write_text(directory / "report.html", html)


def write_comparison(runs: Sequence[tuple[str, Results]], directory: Path | str) -> Path:
    """Write a report overlaying several runs of the same VMs into ``directory``.

    Args:
        runs: ``(label, results)`` pairs; labels name the runs in legends and tables.
        directory: Output folder (created if needed).

    Returns:
        The path of ``report.html``.
    """
    directory = Path(directory)
    entries = [FigureEntry("host", "Host", partial(compare.host_overlay, runs))]
    names = compare.common_vms(runs)
    for counter in ("consumed", "latency"):
        if any(counter in r.vms for _, r in runs):
            draw = partial(compare.vm_overlay, runs, counter=counter)
            entries += _vm_pages(names, draw, f"vms_{counter}", f"VM {counter}")
    summaries = compare.summaries(runs)
    html = _ENV.get_template("compare.html").render(
        title="memsim comparison: " + ", ".join(label for label, _ in runs),
        runs=[(label, tables.run_facts(r.manifest)) for label, r in runs],
        figures=_render(entries, directory),
        vm_summary=tables.frame_html(summaries.vms, tables.SUMMARY_LABELS),
        host_summary=tables.frame_html(summaries.host, tables.SUMMARY_LABELS),
    )
    return atomic_write_text(directory / "report.html", html)


def compare_folders(
    directories: Sequence[Path | str], output: Path | str, *, force: bool = False
) -> Path:
    """Load saved runs and write their comparison report into ``output`` (atomically staged).

    Runs are labelled by :func:`memsim.report.compare.run_labels`, falling back to the folder
    names.

    Raises:
        OutputExistsError: ``output`` is not empty and ``force`` is false.
    """
    from memsim.results import load_results

    loaded = [load_results(d) for d in directories]
    labels = compare.run_labels([r.manifest for r in loaded], [Path(d).name for d in directories])
    with staged_directory(Path(output), force=force) as stage:
        write_comparison(list(zip(labels, loaded, strict=True)), stage)
    return Path(output) / "report.html"
