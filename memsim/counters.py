"""The counter registry: every recorded counter defined once, for the recorder, claims and docs.

A counter is one column of ``Results.vms`` (per VM, ``scope="vm"``) or ``Results.host``
(``scope="host"``): its name, unit and meaning, and the names other tools give it, the esxtop
memory panel column (``GRANT``), the esxtop batch (perfmon CSV) counter (``Memory Granted Size
MBytes``) and the vCenter performance metric id (``mem.granted.average``) where one exists
(docs/model.md §7). Names follow vSphere's ``mem.*`` counters without the prefix; counters
vSphere lacks take esxtop-inspired names, and memsim's own additions have no foreign name.

Everything that names counters reads this module: the recorder's columns (a test checks that a
run records exactly these), the units of :mod:`memsim.results.columns`, the counters a claim may
test (:mod:`memsim.scenario.claims`) and ``docs/counters.md`` (:func:`markdown`, checked by a
test). To add a counter, add one :class:`Counter` line below and compute it in the observer.

The module imports nothing but the standard library, so every layer may read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "COUNTERS", "HOST", "HOST_COUNTERS", "LATENCY_CAUSES", "STALL_CAUSES", "VM", "VM_COUNTERS",
    "WAIT_COUNTERS", "Counter", "Scope", "batch_names", "markdown", "unit",
]  # fmt: skip

Scope = Literal["vm", "host"]


@dataclass(frozen=True)
class Counter:
    """One recorded counter.

    Attributes:
        name: The column name in ``Results.vms`` / ``Results.host`` and the parquet files.
        unit: ``MiB``, ``MiB/s``, ``%``, ``s``, ``0-1``, ``count`` or ``state name``.
        scope: ``vm`` (a column of the per-VM table) or ``host``.
        description: What it measures, in a line.
        esxtop: The esxtop memory panel column, when esxtop shows it.
        batch: The esxtop batch-mode (PDH-CSV) counter name, when esxtop logs it.
        vcenter: The vCenter performance metric id, when vCenter has it.
        when: The condition under which it is recorded, when not always.
    """

    name: str
    unit: str
    scope: Scope
    description: str
    esxtop: str | None = None
    batch: str | None = None
    vcenter: str | None = None
    when: str | None = None


def _vm(name: str, unit: str, description: str, **names: str) -> Counter:
    return Counter(name, unit, "vm", description, **names)


def _host(name: str, unit: str, description: str, **names: str) -> Counter:
    return Counter(name, unit, "host", description, **names)


#: What a VM waits on, with how reports name it; together the causes make ``stall``
#: (docs/model.md §8). :mod:`memsim.model.cost` reads it.
STALL_CAUSES = {
    "swapin": "swap-in",
    "decompress": "decompression",
    "guestPaging": "guest paging",
    "cacheMiss": "page-cache misses",
    "blocked": "blocked on allocation",
}
#: The causes vCenter's ``mem.latency`` counts: waiting on swap-in and decompression only.
LATENCY_CAUSES = ("swapin", "decompress")
#: The counter (%) recording each cause's part of ``stall``.
WAIT_COUNTERS = {
    "swapin": "latency_swapin",
    "decompress": "latency_decompress",
    "guestPaging": "guestSwapWait",
    "cacheMiss": "cacheMissWait",
    "blocked": "blocked",
}

_MIB = "MiB"
_RATE = "MiB/s"
_PC = "%"

#: Per-VM counters, in the order of the ``vms`` table's columns.
_VM_TABLE = (
    _vm("time", "s", "start of the recording interval"),
    _vm("memory", _MIB, "configured memory", esxtop="MEMSZ", batch="Memory Size MBytes"),
    _vm("reservation", _MIB, "memory reservation"),
    _vm("limit", _MIB, "memory limit (NaN when unlimited)"),
    _vm(
        "consumed", _MIB, "host memory backing the VM; a page shared by N counts 1/N",
        batch="Memory Consumed Size MBytes", vcenter="mem.consumed.average",
    ),
    _vm(
        "granted", _MIB, "guest memory backed by host memory",
        esxtop="GRANT", batch="Memory Granted Size MBytes", vcenter="mem.granted.average",
    ),
    _vm(
        "active", _MIB, "active memory estimate (%ACTV x memory)",
        esxtop="%ACTV", batch="% Active Estimate", vcenter="mem.active.average",
    ),
    _vm(
        "touched", _MIB,
        "guest memory touched in the last sampling period, as sampled (that period's f x memory)",
        esxtop="TCHD", batch="Touched MBytes",
    ),
    _vm("held", _MIB, "guest pages touched that still hold data (in any backing)"),
    _vm(
        "activeSlowPct", _PC, "slow moving average of the sampled active share of memory",
        esxtop="%ACTVS", batch="% Active Slow Estimate",
    ),
    _vm(
        "activeFastPct", _PC, "fast moving average of the sampled active share of memory",
        esxtop="%ACTVF", batch="% Active Fast Estimate",
    ),
    _vm(
        "shared", _MIB, "guest memory backed by shared frames",
        esxtop="SHRD", batch="Shared MBytes", vcenter="mem.shared.average",
    ),
    _vm(
        "zero", _MIB, "of the shared memory, zero pages",
        esxtop="ZERO", batch="Zero MBytes", vcenter="mem.zero.average",
    ),
    _vm(
        "sharedSaved", _MIB, "memory saved by sharing",
        esxtop="SHRDSVD", batch="Shared Saved MBytes",
    ),
    _vm(
        "cowHint", _MIB, "private guest memory hinted for sharing: scanned, no match yet",
        esxtop="COWH", batch="Copy On Write Hint MBytes",
    ),
    _vm(
        "vmmemctl", _MIB, "balloon size",
        esxtop="MCTLSZ", batch="Memctl MBytes", vcenter="mem.vmmemctl.average",
    ),
    _vm(
        "vmmemctltarget", _MIB, "balloon target",
        esxtop="MCTLTGT", batch="Memctl Target MBytes", vcenter="mem.vmmemctltarget.average",
    ),
    _vm("tools", "0-1", "VMware Tools (the balloon driver) runs: 1, else 0",
        esxtop="MCTL?", batch="Memctl?"),
    _vm("vmmemctlmax", _MIB, "balloon maximum", esxtop="MCTLMAX", batch="Memctl Max MBytes"),
    _vm("guestSwapped", _MIB, "guest data the guest paged out to its own swap"),
    _vm(
        "swapped", _MIB, "host-swapped memory (in the swap file or the host cache)",
        esxtop="SWCUR", batch="Swapped MBytes", vcenter="mem.swapped.average",
    ),
    _vm(
        "swaptarget", _MIB, "host swap target",
        esxtop="SWTGT", batch="Swap Target MBytes", vcenter="mem.swaptarget.average",
    ),
    _vm(
        "swapinRate", _RATE, "host swap-in",
        esxtop="SWR/s", batch="Swap Read MBytes/sec", vcenter="mem.swapinRate.average",
    ),
    _vm(
        "swapoutRate", _RATE, "host swap-out",
        esxtop="SWW/s", batch="Swap Written MBytes/sec", vcenter="mem.swapoutRate.average",
    ),
    _vm(
        "llSwapInRate", _RATE, "host swap-in from the SSD host cache",
        esxtop="LLSWR/s", batch="Llswap Read MBytes/sec", vcenter="mem.llSwapInRate.average",
    ),
    _vm(
        "llSwapOutRate", _RATE, "host swap-out to the SSD host cache",
        esxtop="LLSWW/s", batch="Llswap Written MBytes/sec", vcenter="mem.llSwapOutRate.average",
    ),
    _vm(
        "compressed", _MIB, "guest memory held compressed",
        vcenter="mem.compressed.average",
    ),
    _vm(
        "cacheSize", _MIB, "compression cache size: the whole host pages its slots take",
        esxtop="CACHESZ", batch="Compressed Memory MBytes",
    ),
    _vm(
        "cacheUsed", _MIB, "compression cache used: the 1 and 2 KiB slots holding pages",
        esxtop="CACHEUSD", batch="Used Compressed Memory MBytes",
    ),
    _vm(
        "zipSaved", _MIB, "host memory saved by compression",
        vcenter="mem.zipSaved.latest",
    ),
    _vm(
        "compressionRate", _RATE, "compression",
        esxtop="ZIP/s", batch="Compression MBytes/sec", vcenter="mem.compressionRate.average",
    ),
    _vm(
        "decompressionRate", _RATE, "decompression",
        esxtop="UNZIP/s", batch="Decompression MBytes/sec",
        vcenter="mem.decompressionRate.average",
    ),
    _vm("cowBreaks", "count", "copy-on-write breaks in the interval"),
    _vm(
        "overhead", _MIB, "virtualisation overhead",
        esxtop="OVHD", batch="Overhead MBytes", vcenter="mem.overhead.average",
    ),
    _vm(
        "entitlement", _MIB, "memory entitlement",
        esxtop="SZTGT", batch="Target Size MBytes", vcenter="mem.entitlement.average",
    ),
    _vm(
        "latency", _PC,
        "share of the interval waiting on swap-in and decompression only "
        "(latency_swapin + latency_decompress)",
        batch="% Memory Latency", vcenter="mem.latency.average",
    ),
    _vm("throughput", "0-1", "share of the interval's work done (1 - stall/100)"),
    _vm("blocked", _PC, "share of the interval unable to allocate; a part of stall, not latency"),
    _vm(
        "stall", _PC,
        "share of the interval stalled, all causes (capped at 100): latency_swapin + "
        "latency_decompress + guestSwapWait + cacheMissWait + blocked",
    ),
    _vm("guestSwapinRate", _RATE, "guest paging in from its own swap"),
    _vm("guestSwapoutRate", _RATE, "guest paging out to its own swap (balloon pressure)"),
    _vm("cacheMissRate", _RATE, "dataset re-reads from the guest's disk (page-cache misses)"),
    _vm("latency_swapin", _PC, "latency from host swap-in"),
    _vm("latency_decompress", _PC, "latency from decompression"),
    _vm("guestSwapWait", _PC, "share of the interval waiting on guest paging inside a balloon; "
        "a part of stall, not latency"),
    _vm("cacheMissWait", _PC, "share of the interval waiting on dataset re-reads from the "
        "guest's disk (page-cache misses); a part of stall, not latency"),
)  # fmt: skip

#: Host counters, in the order of the ``host`` table's columns.
_HOST_TABLE = (
    _host("time", "s", "start of the recording interval"),
    _host("state", "state name", "free-memory state: high, clear, soft, hard, low",
          batch="Kernel State", vcenter="mem.state.latest"),
    _host("free", _MIB, "free memory", esxtop="PMEM free", batch="Free MBytes"),
    _host("minFree", _MIB, "minFree, the free memory the VMkernel keeps",
          esxtop="VMKMEM minfree", batch="Kernel MinFree MBytes",
          vcenter="mem.lowfreethreshold.average"),
    _host("managed", _MIB, "VMkernel-managed memory", esxtop="VMKMEM managed",
          batch="Kernel Managed MBytes"),
    _host("reserved", _MIB, "managed memory reserved: reservation + overhead of admitted VMs",
          esxtop="VMKMEM rsvd", batch="Kernel Reserved MBytes"),
    _host("unreserved", _MIB, "managed memory not reserved (what admission control offers)",
          esxtop="VMKMEM ursvd", batch="Kernel Unreserved MBytes"),
    _host("consumed", _MIB, "managed memory in use (managed - free)",
          vcenter="mem.consumed.average"),
    _host("private", _MIB, "machine memory backing pages privately"),
    _host("shared", _MIB, "guest memory backed by shared frames, all VMs",
          esxtop="PSHARE shared", batch="PShare Shared MBytes", vcenter="mem.shared.average"),
    _host("sharedcommon", _MIB, "machine memory holding shared frames",
          esxtop="PSHARE common", batch="PShare Common MBytes",
          vcenter="mem.sharedcommon.average"),
    _host("sharedSaved", _MIB, "memory saved by sharing (shared - sharedcommon)",
          esxtop="PSHARE saving", batch="PShare Savings MBytes"),
    _host("zero", _MIB, "of the shared memory, zero pages", vcenter="mem.zero.average"),
    _host("vmmemctl", _MIB, "balloon size, all VMs", esxtop="MEMCTL curr",
          batch="Memctl Current MBytes", vcenter="mem.vmmemctl.average"),
    _host("vmmemctltarget", _MIB, "balloon target, powered-on VMs", esxtop="MEMCTL target",
          batch="Memctl Target MBytes"),
    _host("swapped", _MIB, "host-swapped memory, all VMs", esxtop="SWAP curr",
          batch="Swap Used MBytes", vcenter="mem.swapused.average"),
    _host("swaptarget", _MIB, "host swap target, powered-on VMs", esxtop="SWAP rclmtgt",
          batch="Swap Target MBytes"),
    _host("swapinRate", _RATE, "host swap-in, all VMs", esxtop="SWAP r/s",
          batch="Swap MBytes Read/sec", vcenter="mem.swapinRate.average"),
    _host("swapoutRate", _RATE, "host swap-out, all VMs", esxtop="SWAP w/s",
          batch="Swap MBytes Write/sec", vcenter="mem.swapoutRate.average"),
    _host("compressed", _MIB, "guest memory held compressed, all VMs", esxtop="ZIP zipped",
          batch="Total Compressed MBytes", vcenter="mem.compressed.average"),
    _host("zipSaved", _MIB, "host memory saved by compression", esxtop="ZIP saved",
          batch="Total Saved By Compression MBytes"),
    _host("cacheSize", _MIB, "compression caches in use, all VMs"),
    _host("overhead", _MIB, "virtualisation overhead, all VMs",
          vcenter="mem.overhead.average"),
    _host("falseMatches", "count", "hash matches whose contents differed, so far"),
    _host("threshold_high", _MIB, "free memory at which the state leaves high"),
    _host("threshold_soft", _MIB, "free memory at which the state enters soft"),
    _host("threshold_hard", _MIB, "free memory at which the state enters hard"),
    _host("threshold_low", _MIB, "free memory at which the state enters low"),
    _host("threshold_clear", _MIB, "free memory at which the state enters clear",
          when="profiles with a clear state"),
)  # fmt: skip

#: Every counter, per-VM then host.
COUNTERS: tuple[Counter, ...] = (*_VM_TABLE, *_HOST_TABLE)
#: Per-VM counters by name, in column order.
VM: dict[str, Counter] = {c.name: c for c in _VM_TABLE}
#: Host counters by name, in column order.
HOST: dict[str, Counter] = {c.name: c for c in _HOST_TABLE}
#: Names of the per-VM counters a claim may test (``time`` is the index, not a counter).
VM_COUNTERS: tuple[str, ...] = tuple(name for name in VM if name != "time")
#: Names of the host counters a claim may test.
HOST_COUNTERS: tuple[str, ...] = tuple(name for name in HOST if name != "time")


def unit(name: str) -> str | None:
    """The unit of a counter of either table; None when no counter has that name.

    A name in both tables has the same unit in both (a test checks it).
    """
    found = VM.get(name) or HOST.get(name)
    return found.unit if found else None


def batch_names(scope: Scope) -> dict[str, str]:
    """``{counter: esxtop batch counter}`` of a table, for the counters esxtop logs."""
    table = VM if scope == "vm" else HOST
    return {c.name: c.batch for c in table.values() if c.batch}


def _cell(value: str | None) -> str:
    return f"`{value}`" if value else ""


def markdown() -> str:
    """The counter tables of ``docs/counters.md`` (a test checks the file holds them)."""
    lines: list[str] = []
    for title, table in (("Per VM (`vms.parquet`)", VM), ("Host (`host.parquet`)", HOST)):
        lines += [
            f"### {title}",
            "",
            "| counter | unit | meaning | esxtop | esxtop batch | vCenter |",
            "|---|---|---|---|---|---|",
        ]
        for c in table.values():
            meaning = c.description + (f" (only for {c.when})" if c.when else "")
            row = (
                f"`{c.name}`",
                c.unit,
                meaning,
                _cell(c.esxtop),
                _cell(c.batch),
                _cell(c.vcenter),
            )
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # regenerate the tables of docs/counters.md
    print(markdown())
