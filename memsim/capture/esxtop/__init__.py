"""esxtop batch CSV, both ways: real captures in, runs out as esxtop would log them.

``esxtop -b`` writes a PDH-CSV 4.0 file: a header row whose first cell is
``"(PDH-CSV 4.0) (UTC)(0)"`` and whose other cells name counters as
``\\\\host\\Object(instance)\\Counter``, then one row per sample with a ``MM/DD/YYYY HH:MM:SS``
timestamp. Memory lives in the host object ``Memory`` and the per-group object
``Group Memory(<gid>:<name>)`` (esxtop names and their vSphere counterparts: docs/model.md §7).

The reader tolerates the quirks of real files (trailing commas, unquoted glitchy cells,
user-world groups named ``name.<pid>``, ``-1`` for unlimited, negative share levels) and reads
only the memory columns (pandas ``usecols``), so a capture of hours and 17,000 columns costs
seconds. A VM's recorded active and used memory replay as a workload trace (``trace: {file: …,
vm: …}``). The writer lets tools made for esxtop output (perfmon, esxplot, Graphite feeders)
read memsim runs; reading an export back gives the run's counters (a tested round trip).
"""

from memsim.capture.esxtop.format import (
    HOST_COUNTERS,
    PDH_HEADER,
    STATE_NUMBERS,
    TIME_FORMAT,
    VM_COUNTERS,
    EsxtopCapture,
)
from memsim.capture.esxtop.read import read_esxtop
from memsim.capture.esxtop.write import esxtop_table, write_esxtop

__all__ = [
    "HOST_COUNTERS",
    "PDH_HEADER",
    "STATE_NUMBERS",
    "TIME_FORMAT",
    "VM_COUNTERS",
    "EsxtopCapture",
    "esxtop_table",
    "read_esxtop",
    "write_esxtop",
]
