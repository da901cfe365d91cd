"""What ``memsim run`` and ``memsim validate`` print: the run summary and per-file records.

Used by :mod:`memsim.cli` only. The per-VM table lists the VMs that paid most first
(:func:`memsim.results.summary.worst_first`) and is split by :func:`memsim.terminal.fitted_tables`
so that no number is ever cut.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import RenderableType

from memsim.terminal import fitted_tables

__all__ = ["SUMMARY_COLUMNS", "file_record", "summary_output"]

#: Per-VM summary columns shown in the terminal, with their (short, multi-line) headings.
SUMMARY_COLUMNS = {
    "consumed_peak": "consumed\npeak MiB",
    "consumed_mean": "consumed\nmean MiB",
    "ballooned_peak": "balloon\npeak MiB",
    "ballooned_mean": "balloon\nmean MiB",
    "compressed_mean": "zipped\nmean MiB",
    "swapped_peak": "swapped\npeak MiB",
    "swapped_mean": "swapped\nmean MiB",
    "guest_swapped_mean": "guest-\nswapped\nmean MiB",
    "shared_saved_mean": "shared\nsaved\nmean MiB",
    "swapped_in": "swap-in\nMiB",
    "latency_mean": "latency\nmean %",
    "latency_max": "latency\nworst %",
    "throughput_mean": "through-\nput",
    "latency_swapin_mean": "swap-in\nmean %",
    "latency_decompress_mean": "unzip\nmean %",
    "stall_mean": "stalled\nmean %",
    "guestSwapWait_mean": "guest\npaging\nmean %",
    "cacheMissWait_mean": "cache\nmiss\nmean %",
    "blocked_mean": "blocked\nmean %",
}


def summary_output(results: Any, width: int) -> list[RenderableType]:
    """The per-VM summary as tables that fit ``width`` columns, then the host line."""
    from memsim.results.summary import worst_first

    summary = results.summary()
    columns = [c for c in SUMMARY_COLUMNS if c in summary.vms.columns]
    rows = [
        [str(name)]
        + [f"{row[c]:.3g}" if c == "throughput_mean" else f"{row[c]:,.1f}" for c in columns]
        for name, row in summary.vms.loc[worst_first(summary.vms)].iterrows()
    ]
    headers = ["vm (worst first)", *(SUMMARY_COLUMNS[c] for c in columns)]
    parts: list[RenderableType] = list(fitted_tables(f"{results.name}: VMs", headers, rows, width))
    host = summary.host.iloc[0]
    facts = ", ".join(f"{key.replace('_', ' ')} {value:,.0f}" for key, value in host.items())
    parts.append(f"host: {facts}")
    return parts


def file_record(
    file: Path, scenario: Any = None, errors: list[Any] | None = None
) -> dict[str, Any]:
    """``memsim validate --json``'s entry for one file: valid (``scenario``) or its errors."""
    if scenario is None:
        located = [
            {"file": e.file, "line": e.line, "column": e.col, "path": e.path, "message": e.message}
            for e in errors or []
        ]
        return {"file": str(file), "ok": False, "warnings": [], "errors": located}
    return {
        "file": str(file),
        "ok": True,
        "vms": len(scenario.machines()),
        "duration": scenario.duration,
        "warnings": scenario.warnings,
        "errors": [],
    }
