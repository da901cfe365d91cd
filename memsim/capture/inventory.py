"""VM inventories: RVTools ``vInfo``/``vMemory`` exports and PowerCLI ``Get-VM | Export-Csv``.

An inventory says what each VM is configured with — memory size, reservation, limit, shares,
guest OS and power state — but nothing of what its memory does. It seeds a scenario's VMs
(:mod:`memsim.capture.seed`) or tells a vCenter performance export the sizes it lacks
(:mod:`memsim.capture.vcenter_fit`). Formats, told apart by their columns:

* RVTools ``vMemory`` (CSV, or the ``vMemory`` sheet of an XLSX workbook): ``VM``,
  ``Powerstate``, ``Size MiB`` (``Size MB`` in RVTools 3), ``Reservation``, ``Limit`` (MiB,
  -1 unlimited), ``Level`` (low/normal/high/custom) and ``Shares``, ``OS according to the
  configuration file``;
* RVTools ``vInfo`` (CSV, or the ``vInfo`` sheet when the workbook has no ``vMemory``): ``VM``,
  ``Powerstate``, ``Memory`` (MiB), the OS columns; no reservation, limit or shares;
* PowerCLI ``Get-VM | Export-Csv``: ``Name``, ``PowerState``, ``MemoryMB`` or ``MemoryGB``,
  ``GuestId`` or ``Guest``; a ``#TYPE`` first line (Windows PowerShell) is skipped. Optional
  ``MemReservationMB``, ``MemLimitMB``, ``MemSharesLevel``, ``NumMemShares`` columns (from
  ``Get-VMResourceConfiguration``, joined by the user) are read when present.

Power states are vSphere's (``poweredOn``, ``poweredOff``, ``suspended``, any case). A cell
that cannot be read raises :class:`InventoryError` naming the file, the row (the line of a
CSV, the row of a sheet) and the column, and what is allowed.
"""

from __future__ import annotations

import csv
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from memsim.capture.fit import guest_family

__all__ = ["InventoryError", "InventoryVM", "guest_of", "read_inventory"]

#: Share levels vSphere names; ``custom`` means the ``Shares`` number is the setting.
LEVELS = ("low", "normal", "high")
POWER_STATES = {"poweredon": "on", "poweredoff": "off", "suspended": "suspended"}


class InventoryError(ValueError):
    """An inventory cell or file that cannot be read, with where it is and what is allowed."""


@dataclass(frozen=True)
class InventoryVM:
    """One VM as the inventory configures it (sizes in MiB).

    Attributes:
        name: The VM's name in vSphere.
        memory: Configured memory.
        reservation: Memory reservation (0 when none).
        limit: Memory limit, None when unlimited.
        shares: ``low``/``normal``/``high``, or the number of a ``custom`` level.
        guest: The guest OS as the inventory names it ("" when not told).
        power: ``on``, ``off`` or ``suspended``.
    """

    name: str
    memory: float
    reservation: float = 0.0
    limit: float | None = None
    shares: str | int = "normal"
    guest: str = ""
    power: str = "on"


@dataclass(frozen=True)
class _Layout:
    """Column names of one format: name, power, memory (and its MiB factor), the rest."""

    kind: str
    name: str
    power: str
    memory: tuple[str, float]
    reservation: str | None = None
    limit: str | None = None
    level: str | None = None
    shares: str | None = None
    guest: tuple[str, ...] = ()


_RV_OS = ("OS according to the configuration file", "OS according to the VMware Tools")


def _layout(columns: list[str], where: str) -> _Layout:
    """The format whose columns these are."""
    has = set(columns)
    if "VM" in has and has & {"Size MiB", "Size MB"}:
        size = "Size MiB" if "Size MiB" in has else "Size MB"
        return _Layout(
            "RVTools vMemory", "VM", "Powerstate", (size, 1.0), "Reservation", "Limit", "Level",
            "Shares", _RV_OS,
        )  # fmt: skip
    if "VM" in has and "Memory" in has:
        return _Layout("RVTools vInfo", "VM", "Powerstate", ("Memory", 1.0), guest=_RV_OS)
    if "Name" in has and has & {"MemoryMB", "MemoryGB"}:
        memory = ("MemoryMB", 1.0) if "MemoryMB" in has else ("MemoryGB", 1024.0)
        return _Layout(
            "PowerCLI Get-VM", "Name", "PowerState", memory, "MemReservationMB", "MemLimitMB",
            "MemSharesLevel", "NumMemShares", ("GuestId", "Guest"),
        )  # fmt: skip
    raise InventoryError(
        f"{where}: not an inventory this reads: expected an RVTools vMemory (VM, Size MiB) or "
        "vInfo (VM, Memory) export, or a PowerCLI Get-VM export (Name, MemoryMB or MemoryGB)"
    )


def _read_table(path: Path) -> tuple[pd.DataFrame, str, int]:
    """The table of the file, how rows are named in messages, and the first data row's number."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            sheets = pd.read_excel(path, sheet_name=None, dtype=str, engine="openpyxl")
        except ImportError:
            raise InventoryError(
                f"{path}: reading XLSX needs openpyxl (pip install 'memsim[xlsx]'), or export "
                "the sheet as CSV"
            ) from None
        except (ValueError, OSError, KeyError, zipfile.BadZipFile) as exc:
            raise InventoryError(f"{path}: not a readable XLSX workbook ({exc})") from None
        sheet = next((s for s in ("vMemory", "vInfo") if s in sheets), next(iter(sheets), None))
        if sheet is None:
            raise InventoryError(f"{path}: the workbook has no sheets")
        return sheets[sheet].fillna(""), f"{path} sheet {sheet} row", 2
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as fh:
        first = fh.readline()
        skip = 1 if first.startswith("#TYPE") else 0
        sample = first if not skip else fh.readline()
    try:
        sep = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        sep = ","
    try:
        table = pd.read_csv(
            path, sep=sep, skiprows=skip, dtype=str, keep_default_na=False, encoding="utf-8-sig"
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InventoryError(f"{path}: not a readable CSV ({exc})") from None
    return table, f"{path} line", skip + 2


def _number(text: str, where: str, what: str) -> float:
    try:
        value = float(text.replace(",", "")) if text.strip() else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InventoryError(f"{where}: {text[:40]!r} is not {what}")
    return value


def _shares(row: dict[str, str], layout: _Layout, where: str) -> str | int:
    """The share level, or the number of a ``custom`` level (for the whole VM, as memsim's
    numbers are: normal is 10 per MiB of memory, docs/model.md §6)."""
    level = row.get(layout.level or "", "").strip().lower()
    if level in LEVELS:
        return level
    number = row.get(layout.shares or "", "").strip()
    if level == "custom" or (not level and number):
        value = _number(number, f"{where}, column {layout.shares!r}", "a number of shares")
        if value <= 0 or value != int(value):
            raise InventoryError(
                f"{where}, column {layout.shares!r}: shares must be a whole number > 0"
            )
        return int(value)
    if level:
        raise InventoryError(
            f"{where}, column {layout.level!r}: {level!r} is not a share level "
            "(low, normal, high or custom)"
        )
    return "normal"


def _vm(row: dict[str, str], layout: _Layout, where: str) -> InventoryVM:
    name = row[layout.name].strip()
    if not name:
        raise InventoryError(f"{where}, column {layout.name!r}: the VM has no name")
    column, factor = layout.memory
    memory = _number(row[column], f"{where}, column {column!r}", "a memory size") * factor
    if memory <= 0:
        raise InventoryError(f"{where}, column {column!r}: memory must be > 0")
    power_text = row.get(layout.power, "poweredOn").strip() or "poweredOn"
    power = POWER_STATES.get(power_text.lower())
    if power is None:
        raise InventoryError(
            f"{where}, column {layout.power!r}: {power_text!r} is not a power state "
            "(poweredOn, poweredOff or suspended)"
        )
    extra: dict[str, Any] = {}
    if layout.reservation and row.get(layout.reservation, "").strip():
        where_r = f"{where}, column {layout.reservation!r}"
        extra["reservation"] = _number(row[layout.reservation], where_r, "a size in MiB")
        if not 0 <= extra["reservation"] <= memory:
            raise InventoryError(f"{where_r}: the reservation must be 0 … the memory size")
    if layout.limit and row.get(layout.limit, "").strip():
        limit = _number(row[layout.limit], f"{where}, column {layout.limit!r}", "a size in MiB")
        extra["limit"] = None if limit < 0 else limit
    guest = next((row[c].strip() for c in layout.guest if row.get(c, "").strip()), "")
    shares = _shares(row, layout, where)
    return InventoryVM(name, memory, shares=shares, guest=guest, power=power, **extra)


def read_inventory(path: Path | str) -> tuple[str, list[InventoryVM]]:
    """Read an inventory file (see the module docstring).

    Returns:
        The format's name (``RVTools vMemory`` …) and the VMs, templates left out.

    Raises:
        InventoryError: The file is not an inventory, or a cell is not what its column allows.
    """
    path = Path(path)
    if not path.is_file():
        raise InventoryError(f"{path}: no such file")
    table, rows, first = _read_table(path)
    table.columns = [str(c).strip() for c in table.columns]
    layout = _layout(list(table.columns), str(path))
    vms = []
    for i, row in enumerate(table.to_dict("records")):
        if str(row.get("Template", "")).strip().lower() == "true":
            continue
        vms.append(_vm({k: str(v) for k, v in row.items()}, layout, f"{rows} {first + i}"))
    if not vms:
        raise InventoryError(f"{path}: no VMs")
    names = [vm.name for vm in vms]
    if len(set(names)) < len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise InventoryError(f"{path}: VM names appear more than once: {', '.join(twice)}")
    return layout.kind, vms


def guest_of(vm: InventoryVM) -> str | None:
    """The guest family (``windows``/``linux``) the inventory's OS names, or None."""
    return guest_family(vm.guest) if vm.guest else None
