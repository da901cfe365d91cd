"""Figures and HTML reports from :class:`memsim.results.Results` (DESIGN.md §4.2).

:mod:`~memsim.report.plots` draws one run, :mod:`~memsim.report.compare` overlays several, and
:mod:`~memsim.report.html` writes the self-contained ``report.html`` with ``figures/*.png``.
"""

from memsim.report.html import compare_folders, write_comparison, write_report

__all__ = ["compare_folders", "write_comparison", "write_report"]
