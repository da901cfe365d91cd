"""The outcome of one run: counters over time as pandas DataFrames, plus a manifest.

``Results.vms`` has one row per VM per recording interval (index ``time`` in seconds, column
``vm``); ``Results.host`` one row per interval; ``Results.events`` one row per event. Counter
names are the vSphere ``mem.*`` names without the prefix (docs/model.md §7, DESIGN.md §4.2):
sizes in MiB, rates in MiB/s, ``latency`` in %, ``throughput`` relative (0–1). A column is
present only if the model computes it; nothing here invents missing counters.

The manifest is the run's identity card: the resolved scenario, the expanded machine list, seed,
versions, wall time. Reports and exports read the scenario from the manifest only, so results
loaded back from disk render exactly like fresh ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from memsim.results import store
from memsim.results.columns import units_for
from memsim.results.summary import host_summary, vm_summary
from memsim.units import parse_duration

__all__ = ["EVENT_COLUMNS", "Results", "Summary", "load_results", "use_report"]

EVENT_COLUMNS = ("time", "kind", "vm", "detail")


@dataclass
class _Report:
    """The report layer's entry points, wired in by :mod:`memsim.api` (:func:`use_report`)."""

    figures: Callable[[Results], Any] | None = None
    writer: Callable[[Results, Path], object] | None = None


_REPORT = _Report()
_NOT_WIRED = "figures and reports need the report layer: import memsim.api (or memsim) first"


def use_report(
    figures: Callable[[Results], Any], writer: Callable[[Results, Path], object]
) -> None:
    """Wire the report layer in: what ``Results.plot`` returns and what ``save`` writes.

    Results are data and import no report (DESIGN.md §2); :mod:`memsim.api`, where the layers
    are composed, calls this once.
    """
    _REPORT.figures, _REPORT.writer = figures, writer


class Summary(NamedTuple):
    """Summary tables of a run: ``vms`` indexed by VM name, ``host`` with one row.

    Each table's ``attrs["units"]`` gives the unit of its columns; in a notebook the summary
    shows as two HTML tables.
    """

    vms: pd.DataFrame
    host: pd.DataFrame

    def _repr_html_(self) -> str:
        host = self.host.T.to_html(float_format=lambda x: f"{x:,.2f}", na_rep="–")
        vms = self.vms.to_html(float_format=lambda x: f"{x:,.2f}", na_rep="–")
        return f"<h4>Host</h4>{host}<h4>VMs</h4>{vms}"


def with_units(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``attrs["units"]`` set from :mod:`memsim.results.columns`."""
    frame.attrs["units"] = units_for([frame.index.name, *frame.columns])
    return frame


def _time_indexed(frame: pd.DataFrame) -> pd.DataFrame:
    """Put ``time`` (seconds, float) in the index so that ``frame.plot()`` plots over time."""
    if frame.index.name != "time" and "time" in frame.columns:
        frame = frame.set_index("time")
    return frame.set_axis(frame.index.astype(float).rename("time"), axis=0)


def _events_frame(events: pd.DataFrame) -> pd.DataFrame:
    events = events.reset_index() if events.index.name == "time" else events.copy()
    for column in EVENT_COLUMNS:
        if column not in events.columns:
            events[column] = pd.Series(pd.NA, index=events.index, dtype="string")
    return events[[*EVENT_COLUMNS, *(c for c in events.columns if c not in EVENT_COLUMNS)]]


def _machine_record(vm: Any) -> dict[str, Any]:
    return {
        "name": vm.name,
        "memory": int(vm.memory),
        "reservation": int(vm.reservation),
        "limit": None if vm.limit is None else int(vm.limit),
        "shares": int(vm.shares),
        "vcpus": int(vm.vcpus),
    }


def scenario_manifest(scenario: Any) -> dict[str, Any]:
    """Manifest entries describing a scenario: its resolved form and its expanded machines."""
    resolved = scenario.model_dump(mode="json")
    return {
        "name": scenario.name,
        "seed": resolved.get("seed"),
        "scenario": resolved,
        "machines": [_machine_record(vm) for vm in scenario.machines()],
        "host_memory": int(scenario.host.memory),
    }


class Results:
    """Counters of one simulated run (DESIGN.md §4.2) and what is needed to reproduce it.

    Args:
        scenario: The :class:`memsim.scenario.Scenario` that was run, or ``None`` for results
            loaded from disk (the resolved scenario is then in ``manifest["scenario"]``).
        vms: Per-VM counters; ``time`` as index or column, a ``vm`` column.
        host: Host counters; ``time`` as index or column.
        events: Columns ``time, kind, vm, detail``.
        manifest: Run metadata (seed, wall time, ...). Missing scenario and environment entries
            are filled in from ``scenario`` and the running interpreter.

    Attributes:
        scenario: As given.
        vms: Per-VM counters indexed by ``time``.
        host: Host counters indexed by ``time``.
        events: Event log.
        manifest: Complete manifest (JSON-serialisable dict).
    """

    def __init__(
        self,
        scenario: Any,
        vms: pd.DataFrame,
        host: pd.DataFrame,
        events: pd.DataFrame,
        manifest: dict[str, Any],
    ) -> None:
        self.scenario = scenario
        self.vms = with_units(_time_indexed(vms))
        self.host = with_units(_time_indexed(host))
        self.events = _events_frame(events)
        base: dict[str, Any] = {"created": datetime.now(UTC).isoformat(timespec="seconds")}
        base.update(store.environment())
        if scenario is not None:
            base.update(scenario_manifest(scenario))
        self.manifest: dict[str, Any] = {**base, **manifest}

    @property
    def name(self) -> str:
        """Scenario name (names the output folder)."""
        return str(self.manifest.get("name", "run"))

    @property
    def vm_names(self) -> list[str]:
        """VM names in order of first appearance."""
        return list(pd.unique(self.vms["vm"])) if "vm" in self.vms else []

    @property
    def start(self) -> datetime | None:
        """Wall-clock time of the run's start (the scenario's ``start:``), or None."""
        written = self.manifest.get("scenario", {}).get("start")
        return None if written is None else datetime.fromisoformat(str(written))

    def clock(self, times: Any = None) -> pd.DatetimeIndex:
        """Real timestamps of simulated times: ``start`` + seconds (memsim.scenario.clock).

        Args:
            times: Seconds from the start (an index, series or array, or a frame whose
                index is ``time``); the host samples' times when omitted.

        Returns:
            A ``DatetimeIndex`` named ``clock``, one timestamp per time, so that
            ``results.host.set_axis(results.clock())`` plots over the wall clock.

        Raises:
            ValueError: The scenario has no ``start:``.
        """
        if self.start is None:
            raise ValueError(f"{self.name}: the scenario has no start:, so no clock times")
        if times is None:
            times = self.host.index
        elif isinstance(times, pd.DataFrame):
            times = times.index
        seconds = pd.to_timedelta(pd.Index(np.asarray(times, dtype=float)), unit="s")
        return pd.DatetimeIndex(pd.Timestamp(self.start) + seconds, name="clock")

    def vm(self, name: str) -> pd.DataFrame:
        """Counters of one VM, indexed by time."""
        return self.vms[self.vms["vm"] == name].drop(columns="vm")

    def summary(self) -> Summary:
        """Per-VM and per-host summary tables (see :mod:`memsim.results.summary`)."""
        duration = self.manifest.get("scenario", {}).get("duration")
        end = None if duration is None else parse_duration(duration)
        return Summary(
            with_units(vm_summary(self.vms, end)),
            with_units(host_summary(self.host, self.name, end, self.events)),
        )

    def long(self) -> pd.DataFrame:
        """Every counter as one tidy table: columns ``time, vm, counter, value, unit``.

        Per-VM counters carry their VM's name; host counters have ``vm`` = ``"host"``. Only
        numeric counters are included (the host ``state`` is in :attr:`host`). When the
        scenario has ``start:``, a ``clock`` column after ``time`` gives the real timestamp.
        """
        parts = []
        for frame, vm in ((self.vms, None), (self.host, "host")):
            numeric = frame.select_dtypes("number").reset_index()
            ids = ["time"] if vm else ["time", "vm"]
            if vm is None:
                numeric["vm"] = frame["vm"].to_numpy()
            melted = numeric.melt(id_vars=ids, var_name="counter", value_name="value")
            if vm:
                melted["vm"] = vm
            parts.append(melted[["time", "vm", "counter", "value"]])
        tidy = pd.concat(parts, ignore_index=True)
        units = {**self.vms.attrs.get("units", {}), **self.host.attrs.get("units", {})}
        tidy["unit"] = tidy["counter"].map(units).astype("string")
        tidy["vm"] = tidy["vm"].astype("string")
        if self.start is not None:
            tidy.insert(1, "clock", self.clock(tidy["time"]).to_numpy())
        return tidy

    def save(
        self,
        directory: Path | str,
        fmt: str = "parquet",
        report: bool = True,
        force: bool = False,
    ) -> Path:
        """Write the run folder of DESIGN.md §4.2, atomically.

        Args:
            directory: Output folder; created if needed.
            fmt: ``"parquet"``, or ``"csv"`` to add ``vms.csv`` and ``host.csv`` copies.
            report: Also write ``report.html`` and ``figures/*.png``.
            force: Write into a folder that already holds files (same-named files replaced).

        Returns:
            The output folder.

        Raises:
            OutputExistsError: ``directory`` is not empty and ``force`` is false.
        """
        writer = None
        if report:
            if _REPORT.writer is None:
                raise RuntimeError(_NOT_WIRED)
            writer = _REPORT.writer
        return store.save_results(self, directory, fmt=fmt, report=writer, force=force)

    @property
    def plot(self) -> Any:
        """Figures of this run: ``results.plot.host_memory()`` and friends.

        A :class:`memsim.report.accessor.PlotAccessor`: the figures of the HTML report, each
        a new ``Figure``.
        """
        if _REPORT.figures is None:
            raise RuntimeError(_NOT_WIRED)
        return _REPORT.figures(self)

    def _repr_html_(self) -> str:
        """In a notebook: what ran, then its summary tables."""
        head = f"<p><b>{escape(self.name)}</b>: {escape(repr(self)[1:-1])}</p>"
        return head + self.summary()._repr_html_()

    def __repr__(self) -> str:
        span = self.host.index.max() if len(self.host) else 0.0
        return (
            f"<Results {self.name!r}: {len(self.vm_names)} VMs, "
            f"{len(self.host)} samples over {span:g} s, {len(self.events)} events>"
        )


def load_results(directory: Path | str) -> Results:
    """Read a run folder written by :meth:`Results.save` back into :class:`Results`.

    The scenario object is not rebuilt: the resolved scenario is available as data in
    ``results.manifest["scenario"]``, and ``results.scenario`` is ``None``.

    Raises:
        FileNotFoundError: The folder or one of its files is missing.
        MixedResultsError: A file does not belong to the run the manifest describes.
    """
    return Results(None, *store.read_run(directory))
