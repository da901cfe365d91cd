"""Make the vCenter and inventory fixtures of this folder (made here, not captured).

Run from the repository root: ``python tests/data/vcenter/make_fixtures.py``. Deterministic
(seeded); the files it writes are committed, so tests do not run it. See README.md.
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
HOST = "esx01.lab.local"
START = datetime(2026, 12, 2, 9, 0, 0)
SAMPLES = 15  # 5 minutes of the realtime interval
INTERVAL = 20

#: name, memory MiB, reservation, limit (-1 none), level, shares, OS id, power, and the first
#: sample's granted, active, shared, zero, balloon, swapped, compressed (MiB)
VMS = [
    ("sql01", 16384, 8192, -1, "high", 327680, "windows2019srv_64Guest", "poweredOn",
     15800, 5200, 900, 300, 0, 0, 0),
    ("web01", 8192, 0, -1, "normal", 81920, "ubuntu64Guest", "poweredOn",
     5900, 900, 1300, 800, 1400, 250, 120),
    ("app01", 8192, 0, 6144, "normal", 81920, "rhel8_64Guest", "poweredOn",
     5400, 1600, 700, 400, 900, 300, 60),
    ("dc01", 4096, 0, -1, "low", 20480, "windows2019srv_64Guest", "poweredOn",
     3300, 300, 1200, 900, 600, 0, 0),
    ("old-test", 4096, 0, -1, "normal", 40960, "other3xLinux64Guest", "poweredOff",
     0, 0, 0, 0, 0, 0, 0),
]  # fmt: skip


def _stamp(t: datetime) -> str:
    """How Windows PowerShell's Export-Csv writes a DateTime (en-US culture)."""
    return f"{t.month}/{t.day}/{t:%Y} {t:%I:%M:%S %p}".replace(" 0", " ", 1)


def _vm_series(vm: tuple, rng: np.random.Generator) -> dict[str, np.ndarray]:
    _, memory, *_, granted, active, shared, zero, balloon, swapped, compressed = vm
    walk = np.cumsum(rng.normal(0, 1, SAMPLES))
    g = np.clip(granted + 20 * walk, 0, memory - balloon - swapped - compressed)
    series = {
        "mem.granted.average": g,
        "mem.active.average": np.clip(active + 60 * np.cumsum(rng.normal(0, 1, SAMPLES)), 50, g),
        "mem.shared.average": np.full(SAMPLES, float(shared)),
        "mem.zero.average": np.full(SAMPLES, float(zero)),
        "mem.vmmemctl.average": np.full(SAMPLES, float(balloon)),
        "mem.vmmemctltarget.average": np.full(SAMPLES, float(balloon)),
        "mem.swapped.average": np.full(SAMPLES, float(swapped)),
        "mem.swaptarget.average": np.full(SAMPLES, float(swapped)),
        "mem.compressed.average": np.full(SAMPLES, float(compressed)),
        "mem.overhead.average": np.full(SAMPLES, 40.0 + memory / 256),
        "mem.entitlement.average": g + 0.6 * (memory - g),
        "mem.swapinRate.average": np.abs(rng.normal(0, 0.2, SAMPLES)) * (swapped > 0),
        "mem.swapoutRate.average": np.zeros(SAMPLES),
        "mem.latency.average": np.abs(rng.normal(0, 0.3, SAMPLES)) * (swapped > 0),
    }
    # consumed: granted less what sharing saves (a shared page counts 1/N; zero pages ~0)
    series["mem.consumed.average"] = g - 0.9 * zero - 0.5 * (shared - zero)
    return series


def _unit(metric: str) -> str:
    if metric.startswith("mem.state"):
        return "number"
    if metric.startswith("mem.latency"):
        return "%"
    return "KBps" if "Rate" in metric else "KB"


def write_stats(path: Path) -> None:
    """A PowerCLI ``Get-Stat -Realtime | Export-Csv`` of the host and its powered-on VMs."""
    rng = np.random.default_rng(14)
    rows = []
    per_vm = {vm[0]: _vm_series(vm, rng) for vm in VMS if vm[7] == "poweredOn"}
    total = {m: sum(s[m] for s in per_vm.values()) for m in next(iter(per_vm.values()))}
    host = {
        "mem.consumed.average": total["mem.consumed.average"] + 1800.0,
        "mem.shared.average": total["mem.shared.average"],
        "mem.zero.average": total["mem.zero.average"],
        "mem.vmmemctl.average": total["mem.vmmemctl.average"],
        "mem.swapused.average": total["mem.swapped.average"],
        "mem.compressed.average": total["mem.compressed.average"],
        "mem.overhead.average": total["mem.overhead.average"],
        "mem.sysUsage.average": np.full(SAMPLES, 1800.0),
        "mem.lowfreethreshold.average": np.full(SAMPLES, 648.0),
        "mem.state.latest": np.array([1.0] * 10 + [0.0] * 5),
    }
    entities = [(HOST, "HostSystem-host-12", host)]
    entities += [(n, f"VirtualMachine-vm-{101 + i}", s) for i, (n, s) in enumerate(per_vm.items())]
    for entity, entity_id, series in entities:
        for metric, values in series.items():
            for k in reversed(range(SAMPLES)):  # Get-Stat lists the newest sample first
                value = values[k] if metric.startswith("mem.state") else values[k] * 1024
                rows.append(
                    [f"{value:.0f}", _stamp(START + timedelta(seconds=INTERVAL * k)), metric,
                     _unit(metric), f"{metric.split('.')[1]} ({metric.split('.')[2]})", entity,
                     entity_id, str(INTERVAL), "", f"/VIServer=vc01.lab.local:443/{entity_id}/"]
                )  # fmt: skip
        # a CPU metric with an instance, as real exports have: ignored by the reader
        rows.append(["2350", _stamp(START), "cpu.usagemhz.average", "MHz", "CPU usage in MHz",
                     entity, entity_id, str(INTERVAL), "0", ""])  # fmt: skip
    with open(path, "w", newline="") as fh:
        fh.write("#TYPE VMware.VimAutomation.ViCore.Impl.V1.Stat.FloatSampleImpl\n")
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(["Value", "Timestamp", "MetricId", "Unit", "Description", "Entity",
                         "EntityId", "IntervalSecs", "Instance", "Uid"])  # fmt: skip
        writer.writerows(rows)


def write_inventories(folder: Path) -> None:
    """RVTools vMemory and vInfo CSVs and workbook, and a PowerCLI Get-VM CSV."""
    memory_head = ["VM", "Powerstate", "Template", "SRM Placeholder", "Size MiB",
                   "Memory Reservation Locked To Max", "Overhead", "Max", "Consumed",
                   "Consumed Overhead", "Private", "Shared", "Swapped", "Ballooned", "Active",
                   "Entitlement", "DRS Entitlement", "Level", "Shares", "Reservation", "Limit",
                   "Hot Add", "Annotation", "Datacenter", "Cluster", "Host", "Folder",
                   "OS according to the configuration file",
                   "OS according to the VMware Tools", "VM ID", "VM UUID", "VI SDK Server",
                   "VI SDK UUID"]  # fmt: skip
    info_head = ["VM", "Powerstate", "Template", "SRM Placeholder", "Config status", "DNS Name",
                 "CPUs", "Memory", "NICs", "Disks", "Host",
                 "OS according to the configuration file", "OS according to the VMware Tools",
                 "VM ID"]  # fmt: skip
    memory_rows, info_rows, cli_rows = [], [], []
    for i, (name, size, res, limit, level, shares, os_id, power, *_) in enumerate(VMS):
        on = power == "poweredOn"
        vm_id = f"vm-{101 + i}"
        memory_rows.append([
            name, power, "False", "False", size, "False", 40 + size // 256, size,
            size // 2 if on else 0, 30 if on else 0, size // 3 if on else 0,
            size // 8 if on else 0, 0, 0, size // 10 if on else 0, size // 2 if on else 0,
            size // 2 if on else 0, level, shares, res, limit, "False", "", "DC1", "Cluster1",
            HOST, "Servers", os_id, os_id if on else "", vm_id, f"4223-{i:04d}", "vc01.lab.local",
            "6d2c",
        ])  # fmt: skip
        info_rows.append([name, power, "False", "False", "green", f"{name}.lab.local", 4, size,
                          1, 2, HOST, os_id, os_id if on else "", vm_id])  # fmt: skip
        cli_rows.append([name, "PoweredOn" if on else "PoweredOff", "", f"{name}:{os_id}", 4, 1,
                         size, f"{size / 1024:g}", "HostSystem-host-12", HOST, os_id,
                         res, limit, level.capitalize(), shares])  # fmt: skip
    with open(folder / "RVTools_tabvMemory.csv", "w", newline="", encoding="utf-8-sig") as fh:
        csv.writer(fh).writerows([memory_head, *memory_rows])
    with open(folder / "RVTools_tabvInfo.csv", "w", newline="", encoding="utf-8-sig") as fh:
        csv.writer(fh).writerows([info_head, *info_rows])
    cli_head = ["Name", "PowerState", "Notes", "Guest", "NumCpu", "CoresPerSocket", "MemoryMB",
                "MemoryGB", "VMHostId", "VMHost", "GuestId", "MemReservationMB", "MemLimitMB",
                "MemSharesLevel", "NumMemShares"]  # fmt: skip
    with open(folder / "powercli-get-vm.csv", "w", newline="") as fh:
        fh.write("#TYPE VMware.VimAutomation.ViCore.Impl.V1.VM.UniversalVirtualMachineImpl\r\n")
        csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(
            [cli_head, *cli_rows]
        )
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "vInfo"
    for row in [info_head, *info_rows]:
        sheet.append(row)
    sheet = book.create_sheet("vMemory")
    for row in [memory_head, *memory_rows]:
        sheet.append(row)
    book.properties.created = datetime(2026, 12, 2, 9, 0, 0)  # reproducible bytes
    book.properties.modified = datetime(2026, 12, 2, 9, 0, 0)
    book.save(folder / "RVTools_export.xlsx")


if __name__ == "__main__":
    write_stats(HERE / "esx01-realtime.csv")
    write_inventories(HERE)
