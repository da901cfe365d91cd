"""CLI commands ``memsim import vcenter`` and ``memsim import inventory``.

Registered on the ``import`` group by :mod:`memsim.cli` (``import esxtop`` is in
:mod:`memsim.cli_runs`); argument handling only, the work is :mod:`memsim.capture.importer`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from memsim.cli_common import QuietOption, UsageError, out, user_errors

__all__ = ["import_inventory", "import_vcenter"]

HostMemoryOption = Annotated[
    str,
    typer.Option(
        "--host-memory", help="The host's memory, e.g. 256GiB (the file does not say it)."
    ),
]
OutputOption = Annotated[Path, typer.Option("-o", "--output", help="Scenario YAML to write.")]
ForceOption = Annotated[bool, typer.Option(help="Overwrite an existing scenario file.")]


def _host_memory(text: str) -> int:
    from memsim.units import parse_size

    try:
        size = parse_size(text)
    except ValueError as exc:
        raise UsageError(f"--host-memory: {exc}") from None
    if size <= 0:
        raise UsageError("--host-memory: the host's memory must be more than 0")
    return size


def _check_output(output: Path, force: bool) -> None:
    if output.exists() and not force:
        raise UsageError(f"{output} exists; pass --force to overwrite it")


def _say_overcommit(configured_mib: float, host_memory: int, vms: int) -> None:
    ratio = configured_mib * 2**20 / host_memory
    out.print(
        f"overcommit: {configured_mib / 1024:,.1f} GiB configured on {vms} powered-on VMs / "
        f"{host_memory / 2**30:,.1f} GiB host memory = {ratio:.2f}",
        markup=False,
    )


def import_vcenter(
    export: Annotated[
        Path, typer.Argument(metavar="CSV", help="vCenter Get-Stat | Export-Csv long form.")
    ],
    output: OutputOption,
    host_memory: HostMemoryOption,
    inventory: Annotated[
        Path | None,
        typer.Option(
            "--inventory",
            help="RVTools vMemory/vInfo or PowerCLI Get-VM export with the VMs' sizes.",
        ),
    ] = None,
    force: ForceOption = False,
    quiet: QuietOption = False,
) -> None:
    """Write a warm-starting scenario and per-VM traces from a vCenter performance export."""
    with user_errors():
        from memsim.capture.importer import import_vcenter as run_import

        _check_output(output, force)
        size = _host_memory(host_memory)
        try:
            path, capture = run_import(export, output, size, inventory)
        except (OSError, ValueError) as exc:
            raise UsageError(str(exc)) from None
    if not quiet:
        out.print(f"wrote {path} and its traces/", markup=False)
        memory = [float(s["memory"]) for s in capture.settings.values()]
        _say_overcommit(sum(memory), size, len(memory))


def import_inventory(
    inventory: Annotated[
        Path,
        typer.Argument(
            metavar="FILE", help="RVTools vMemory/vInfo (CSV or XLSX) or PowerCLI Get-VM CSV."
        ),
    ],
    output: OutputOption,
    host_memory: HostMemoryOption,
    duration: Annotated[str, typer.Option(help="The scenario's duration.")] = "1h",
    force: ForceOption = False,
    quiet: QuietOption = False,
) -> None:
    """Seed a scenario's VMs (memory, reservation, limit, shares, guest) from an inventory."""
    with user_errors():
        from memsim.capture.importer import import_inventory as run_import
        from memsim.capture.seed import powered_on
        from memsim.units import parse_duration

        _check_output(output, force)
        size = _host_memory(host_memory)
        try:
            parse_duration(duration)
        except ValueError as exc:
            raise UsageError(f"--duration: {exc}") from None
        try:
            path, kind, vms = run_import(inventory, output, size, duration)
        except (OSError, ValueError) as exc:
            raise UsageError(str(exc)) from None
    if not quiet:
        running = powered_on(vms)
        out.print(f"read {len(vms)} VMs from a {kind} export; wrote {path}", markup=False)
        _say_overcommit(sum(vm.memory for vm in running), size, len(running))
