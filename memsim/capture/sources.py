"""Which kind of capture a file is: an esxtop batch CSV or a vCenter ``Get-Stat`` export.

Both read into an :class:`~memsim.capture.esxtop.EsxtopCapture`, so a run compares with
either (``memsim check RUN --capture FILE``). The first cell tells them apart: esxtop's is
``(PDH-CSV 4.0) …``; anything else is read as a vCenter export, whose reader names the
columns it expected when it is not one either.
"""

from __future__ import annotations

from pathlib import Path

from memsim.capture.esxtop import EsxtopCapture, read_esxtop
from memsim.capture.vcenter import read_vcenter

__all__ = ["capture_kind", "read_capture"]


def capture_kind(path: Path | str) -> str:
    """``esxtop`` or ``vcenter``, from the file's first cell.

    Raises:
        OSError: The file cannot be opened.
    """
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        first = fh.read(64).lstrip('"')
    return "esxtop" if first.startswith("(PDH-CSV") else "vcenter"


def read_capture(path: Path | str) -> EsxtopCapture:
    """Read an esxtop capture or a vCenter export, whichever the file is."""
    return read_esxtop(path) if capture_kind(path) == "esxtop" else read_vcenter(path)
