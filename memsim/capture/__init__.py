"""Captures of real hosts in and out: esxtop batch CSVs, and what a run looks like beside them.

:mod:`~memsim.capture.esxtop` reads and writes esxtop batch files (one module for both, so the
counter names have one definition); :mod:`~memsim.capture.scenario` turns a capture into a
warm-starting scenario; :mod:`~memsim.capture.compare` puts a run beside the capture it came
from. The layer sits beside ``workload`` and ``results``: it knows neither the engine nor the
report.
"""
