"""vCenter performance data in the long form of PowerCLI ``Get-Stat | Export-Csv``.

One row per value: ``Value, Timestamp, MetricId, Unit, Entity, IntervalSecs, Instance``. Metric
ids are the registry's (:mod:`memsim.counters`, ``mem.consumed.average`` …); sizes are KB,
rates KBps, ``mem.latency.average`` percent, ``mem.state.latest`` the ESXi 6.x state number
(0 high … 4 low). The host's rows name the host as ``Entity``, a VM's rows the VM; ``Instance``
is empty (memory counters are aggregate). Timestamps are ISO 8601, UTC.

Writing lets the scripts and dashboards made for vCenter exports read simulated data; reading
turns such an export back into an :class:`~memsim.capture.esxtop.EsxtopCapture` (the same frames
in memsim's names), so :mod:`memsim.capture.compare` works on it too. Not done: configured
memory, reservations and limits are not performance counters, so an export alone does not make
a scenario (pair it with an inventory).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from memsim import counters
from memsim.capture.esxtop import STATE_NUMBERS, EsxtopCapture
from memsim.results.atomic import atomic_write

if TYPE_CHECKING:
    from memsim.results.results import Results

__all__ = ["COLUMNS", "read_vcenter", "vcenter_table", "write_vcenter"]

COLUMNS = ("Value", "Timestamp", "MetricId", "Unit", "Entity", "IntervalSecs", "Instance")
#: Start of an export of a run without ``start:`` (simulated time 0).
EXPORT_START = datetime(2000, 1, 1)


def _metrics(scope: counters.Scope) -> dict[str, str]:
    table = counters.VM if scope == "vm" else counters.HOST
    return {name: c.vcenter for name, c in table.items() if c.vcenter}


def _unit(metric: str) -> tuple[str, float]:
    """The vCenter unit of a metric and the factor from memsim's (MiB, MiB/s, %, number)."""
    if metric.startswith("mem.state."):
        return "number", 1.0
    if metric.startswith("mem.latency."):
        return "percent", 1.0
    if "Rate" in metric:
        return "KBps", 1024.0
    return "KB", 1024.0


def _rows(
    frame: pd.DataFrame, entity: str, scope: counters.Scope, start: datetime, interval: float
) -> pd.DataFrame:
    parts = []
    for name, metric in _metrics(scope).items():
        if name not in frame:
            continue
        unit, factor = _unit(metric)
        values = frame[name].map(STATE_NUMBERS) if name == "state" else frame[name] * factor
        stamps = [
            (start + timedelta(seconds=float(t))).strftime("%Y-%m-%dT%H:%M:%SZ")
            for t in frame.index
        ]
        parts.append(
            pd.DataFrame(
                {
                    "Value": values.to_numpy(float),
                    "Timestamp": stamps,
                    "MetricId": metric,
                    "Unit": unit,
                    "Entity": entity,
                    "IntervalSecs": int(interval),
                    "Instance": "",
                }
            )
        )
    return pd.concat(parts) if parts else pd.DataFrame(columns=list(COLUMNS))


def vcenter_table(
    results: Results, host: str = "memsim", start: datetime | None = None
) -> pd.DataFrame:
    """The run as ``Get-Stat`` long-form rows (host first, then each VM).

    Timestamps count from ``start``, else the scenario's ``start:``, else 2000-01-01.
    """
    start = start or results.start or EXPORT_START
    times = results.host.index.to_numpy(float)
    interval = float(np.median(np.diff(times))) if len(times) > 1 else 20.0
    parts = [_rows(results.host, host, "host", start, interval)]
    parts += [_rows(results.vm(vm), vm, "vm", start, interval) for vm in results.vm_names]
    return pd.concat(parts, ignore_index=True)[list(COLUMNS)]


def write_vcenter(
    results: Results, path: Path | str, host: str = "memsim", start: datetime | None = None
) -> None:
    """Write the run as an ``Export-Csv`` of ``Get-Stat`` (every cell quoted, as PowerShell);
    ``start`` as :func:`vcenter_table`'s."""
    table = vcenter_table(results, host, start)
    atomic_write(Path(path), lambda p: table.to_csv(p, index=False, quoting=1))


#: Host metrics read from an export that memsim does not record (memsim name → metric id).
HOST_READ_ONLY = {"kernel": "mem.sysUsage.average"}


def _read_rows(path: Path) -> pd.DataFrame:
    """The export's rows, with a ``line`` column (the file's line number) for messages.

    A ``#TYPE …`` first line (Windows PowerShell's Export-Csv) is skipped; rows of an
    ``Instance`` are left out (memory counters are aggregate).
    """
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        skip = 1 if fh.readline().startswith("#TYPE") else 0
    try:
        frame = pd.read_csv(
            path, skiprows=skip, dtype=str, keep_default_na=False, encoding="utf-8-sig"
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not a readable CSV ({exc})") from None
    missing = [c for c in ("Value", "Timestamp", "MetricId", "Entity") if c not in frame]
    if missing:
        raise ValueError(
            f"{path}: not a Get-Stat export (missing {', '.join(missing)}; expected columns "
            f"{', '.join(COLUMNS)})"
        )
    frame = frame.assign(line=np.arange(len(frame)) + skip + 2)
    if "Instance" in frame:
        frame = frame[frame["Instance"].str.strip() == ""]
    return frame


def _parsed(frame: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Values as floats and timestamps as seconds from the first; a bad cell is an error at
    its line."""
    if frame.empty:
        raise ValueError(f"{path}: no samples")
    values = pd.to_numeric(frame["Value"].str.strip(), errors="coerce")
    stamps = pd.to_datetime(frame["Timestamp"].str.strip(), utc=True, errors="coerce")
    for column, parsed, allowed in (
        ("Value", values, "a number"),
        ("Timestamp", stamps, "a date and time such as 2026-12-02T09:00:20Z"),
    ):
        bad = parsed.isna().to_numpy()
        if bad.any():
            row = frame.iloc[int(np.argmax(bad))]
            raise ValueError(
                f"{path} line {row['line']}, column {column}: {row[column][:40]!r} is not {allowed}"
            )
    return frame.assign(
        Value=values.to_numpy(float), time=(stamps - stamps.min()).dt.total_seconds()
    ), stamps.min()


def read_vcenter(path: Path | str, host: str | None = None) -> EsxtopCapture:
    """Read a ``Get-Stat`` long-form export into memsim's counter names.

    Args:
        path: The CSV (memsim's export, or PowerCLI's with its ``Description``, ``EntityId``
            and ``Uid`` columns and a ``#TYPE`` line).
        host: Which entity is the host; by default the one with ``mem.state``,
            ``mem.lowfreethreshold`` or ``mem.sysUsage`` rows. An export without one holds
            VMs only (the host frame then has no counters).

    Raises:
        ValueError: A column of :data:`COLUMNS` is missing, or a Value or Timestamp does not
            parse (naming the line).
    """
    path = Path(path)
    frame, start = _parsed(_read_rows(path), path)
    if host is None:
        marks = frame[frame["MetricId"].isin(["mem.state.latest", *HOST_MARKS])]
        host = str(marks["Entity"].iloc[0]) if not marks.empty else ""
    host_frame = _wide(frame[frame["Entity"] == host], "host")
    if host_frame.empty:
        host_frame = pd.DataFrame(index=pd.Index(np.unique(frame["time"]), name="time"))
    if "state" in host_frame:
        names = {n: s for s, n in STATE_NUMBERS.items()}
        host_frame["state"] = host_frame["state"].map(
            lambda v: names.get(int(v)) if v == v else None
        )
    vms = [
        _wide(frame[frame["Entity"] == vm], "vm").assign(vm=vm)
        for vm in dict.fromkeys(frame["Entity"])
        if vm != host
    ]
    vms = [vm for vm in vms if len(vm)]
    vm_frame = pd.concat(vms) if vms else pd.DataFrame(columns=["vm"])
    times = host_frame.index.to_numpy(float)
    return EsxtopCapture(
        host_name=host,
        start=start.to_pydatetime().replace(tzinfo=None),
        interval=float(np.median(np.diff(times))) if len(times) > 1 else 20.0,
        host=host_frame,
        vms=vm_frame[["vm", *[c for c in vm_frame.columns if c != "vm"]]],
        settings={
            vm: {"memory": None, "reservation": None, "limit": None, "shares": None}
            for vm in vm_frame["vm"].unique()
        },
    )


HOST_MARKS = ("mem.lowfreethreshold.average", "mem.sysUsage.average")


def _wide(rows: pd.DataFrame, scope: counters.Scope) -> pd.DataFrame:
    """One entity's rows as a frame indexed by ``time``, columns in memsim's names (MiB)."""
    names = {metric: name for name, metric in _metrics(scope).items()}
    if scope == "host":
        names |= {metric: name for name, metric in HOST_READ_ONLY.items()}
    rows = rows[rows["MetricId"].isin(names)]
    wide = rows.pivot_table(index="time", columns="MetricId", values="Value", aggfunc="last")
    out = pd.DataFrame(index=pd.Index(wide.index.to_numpy(float), name="time"))
    for metric, name in names.items():
        if metric in wide:
            _, factor = _unit(metric)
            out[name] = wide[metric].to_numpy(float) / factor
    return out
