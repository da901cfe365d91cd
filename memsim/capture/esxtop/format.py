"""The esxtop batch format: counter names, column order, and a capture in memsim's names.

The one definition of how memsim's counters are spelled in esxtop (docs/model.md §7,
docs/counters.md); :mod:`.read` and :mod:`.write` use it both ways.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from memsim.counters import batch_names
from memsim.scenario.traces import ESXTOP_TIME_FORMAT

PDH_HEADER = "(PDH-CSV 4.0) (UTC)(0)"
TIME_FORMAT = ESXTOP_TIME_FORMAT

#: ``Kernel State`` numbers as ESXi 6.x prints them (docs/model.md §1): the numbering a capture
#: is read with, and an ``esxi6`` run written with.
STATE_NUMBERS = {"high": 0, "clear": 1, "soft": 2, "hard": 3, "low": 4}
#: ``Kernel State`` numbers of the releases without the clear state (ESX 3 to ESXi 5.x).
STATE_NUMBERS_NO_CLEAR = {"high": 0, "soft": 1, "hard": 2, "low": 3}


def state_numbers(profile: str | None) -> dict[str, int]:
    """The ``Kernel State`` numbering of a profile's release: esxtop numbers the states it has,
    from 0 for high, so soft is 2 on ESXi 6.x (``esxi6``, or no profile) and 1 before it."""
    return STATE_NUMBERS if profile in (None, "esxi6") else STATE_NUMBERS_NO_CLEAR


_VM_BATCH = batch_names("vm")

#: memsim host counter → esxtop ``Memory`` counter: the registry's (:mod:`memsim.counters`).
HOST_COUNTERS = {k: v for k, v in batch_names("host").items() if k != "state"}

#: The order of esxtop's host ``Memory`` columns (ESXi 6.x).
HOST_ORDER = (
    "Memory Overcommit (1 Minute Avg)", "Memory Overcommit (5 Minute Avg)",
    "Memory Overcommit (15 Minute Avg)", "Machine MBytes", "Kernel MBytes", "NonKernel MBytes",
    "Free MBytes", "Kernel Managed MBytes", "Kernel MinFree MBytes", "Kernel Reserved MBytes",
    "Kernel Unreserved MBytes", "Kernel State", "PShare Shared MBytes", "PShare Common MBytes",
    "PShare Savings MBytes", "Swap Used MBytes", "Swap Target MBytes", "Swap MBytes Read/sec",
    "Swap MBytes Write/sec", "Total Compressed MBytes", "Total Saved By Compression MBytes",
    "Memctl Current MBytes", "Memctl Target MBytes", "Memctl Max MBytes",
)  # fmt: skip

#: The order of esxtop's per-group columns (``Group Memory`` of ESXi 6.x; ``Group Cpu`` first).
VM_ORDER = (
    "Members", "% Swap Wait", "% Memory Latency", "Alloc Min", "Alloc Max", "Alloc Shares",
    "Alloc Min Limited",
    "Memory Size MBytes", "Memory Granted Size MBytes", "Memory Consumed Size MBytes",
    "Target Size MBytes", "Touched MBytes", "Touched Write MBytes", "% Active Estimate",
    "% Active Slow Estimate", "% Active Fast Estimate", "% Active Next Estimate", "Memctl?",
    "Memctl MBytes", "Memctl Target MBytes", "Memctl Max MBytes", "Swapped MBytes",
    "Swap Target MBytes", "Swap Read MBytes/sec", "Swap Written MBytes/sec",
    "Llswap Read MBytes/sec", "Llswap Written MBytes/sec", "Zero MBytes", "Shared MBytes",
    "Shared Saved MBytes", "Copy On Write Hint MBytes", "Overhead MBytes",
    "Compressed Memory MBytes", "Used Compressed Memory MBytes", "Compression MBytes/sec",
    "Decompression MBytes/sec",
)  # fmt: skip

#: Host counters read from a capture but not recorded by memsim (written derived, if at all).
HOST_READ_ONLY = {
    "machine": "Machine MBytes",
    "kernel": "Kernel MBytes",
    "nonkernel": "NonKernel MBytes",
}

#: Per-VM columns read from a capture that memsim does not record (none since ``Memctl?`` is
#: the registry's ``tools``).
VM_READ_ONLY: dict[str, str] = {}

#: Working-set estimates esxtop gives in % of the VM's memory size (``active`` is MiB in
#: memsim; the slow and fast estimates are % in both).
VM_PERCENTS = {k: _VM_BATCH[k] for k in ("active", "activeSlowPct", "activeFastPct")}

#: Group Cpu counter for memory latency (% of time stalled on swap-in or decompression).
LATENCY_COUNTER = _VM_BATCH["latency"]
#: Group Cpu counter for the time waiting on host swap-in (memsim's ``latency_swapin``).
SWAP_WAIT_COUNTER = "% Swap Wait"
#: esxtop's ``% Active Next Estimate``: the fast average including the running period, which
#: is the fast one in memsim (it samples once per period, docs/model.md §6).
NEXT_ESTIMATE = ("activeFastPct", "% Active Next Estimate")

#: memsim per-VM counter → esxtop ``Group Memory`` counter, from the registry. ``cacheSize`` is
#: the host memory held by the VM's compression cache (esxtop's per-VM "Compressed Memory").
VM_COUNTERS = {k: v for k, v in _VM_BATCH.items() if k not in VM_PERCENTS and k != "latency"}

#: Columns esxtop writes as whole numbers (host MBytes totals are truncated to whole MB);
#: every other cell has two decimals, as esxtop writes them.
WHOLE = {
    "Kernel State", "Memctl?", "Alloc Min", "Alloc Max", "Alloc Shares", "Members", "Link Up?",
    "% Active Estimate", "% Active Slow Estimate", "% Active Fast Estimate",
    "% Active Next Estimate",
}  # fmt: skip

#: Symbolic ``Alloc Shares`` levels (model choice: ESXi prints every group here as -3, the
#: default, so -3 is read as normal; unknown negative values also fall back to normal).
SHARE_LEVELS = {-2: "low", -3: "normal", -4: "high"}

CELL = re.compile(
    r"^\\\\(?P<host>[^\\]*)\\(?P<object>[^\\(]+)(?:\((?P<instance>.*)\))?\\(?P<counter>[^\\]+)$"
)
USER_WORLD = re.compile(r"^.+\.\d+$")


@dataclass(frozen=True)
class EsxtopCapture:
    """An esxtop batch capture read into memsim's counter names (docs/model.md §7).

    Attributes:
        host_name: The host name in the counter paths.
        start: Timestamp of the first sample.
        interval: Seconds between samples (5 s, esxtop's default, for a single sample).
        host: Host counters indexed by ``time`` (s from the first sample); ``state`` from
            ``Kernel State`` (ESXi 6.x numbering), ``machine`` from ``Machine MBytes``.
        vms: Per-VM counters indexed by ``time`` with a ``vm`` column; ``active`` is
            ``% Active Estimate`` × memory size; ``limit`` NaN when unlimited.
        settings: Per VM: ``memory``, ``reservation``, ``limit`` (MiB, None = unlimited) and
            ``shares`` (a number, or ``low``/``normal``/``high``), from the last sample.
        worlds: Host memory the user worlds hold (MiB per sample), when the capture has them.
    """

    host_name: str
    start: datetime
    interval: float
    host: pd.DataFrame
    vms: pd.DataFrame
    settings: dict[str, dict[str, Any]]
    worlds: pd.Series | None = None
