"""The ESX host of a scenario: memory, CPU, release profile, swap device, advanced settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from memsim.scenario.advanced import PROFILES, SETTINGS, Profile, check_setting
from memsim.scenario.errors import issues
from memsim.scenario.types import (
    AutoSize,
    Bandwidth,
    Duration,
    Frozen,
    Shorthand,
    Size,
    UnlimitedSize,
)
from memsim.units import MIB, format_size

__all__ = ["SWAP_DEVICES", "Host", "Swap"]

SWAP_DEVICES = {"disk": ("8ms", "100MiB/s"), "ssd": ("0.2ms", "500MiB/s")}
"""Latency and bandwidth of the named swap devices, as written (docs/model.md §8)."""


class Swap(Shorthand):
    """The host's swap device (docs/model.md §5, §8).

    Written ``disk`` (8 ms, 100 MiB/s), ``ssd`` (0.2 ms, 500 MiB/s), or
    ``{latency: 5ms, bandwidth: 200MiB/s}`` (device ``custom``). Values given next to a named
    device override its figures.

    Attributes:
        device: ``disk``, ``ssd`` or ``custom``.
        latency: Seconds per swap-in of a page.
        bandwidth: Bytes per second the device moves.
        capacity: Bytes the device holds for swap files; None = unlimited. Each powered-on VM
            needs a swap file of its configured memory less its reservation (docs/model.md §5).
    """

    shorthand_key = "device"
    shorthand_words = ("disk", "ssd")
    device: Literal["disk", "ssd", "custom"] = "disk"
    latency: Duration = 0.008
    bandwidth: Bandwidth = 100 * MIB
    capacity: UnlimitedSize = None

    @classmethod
    def complete(cls, data: dict[str, Any]) -> dict[str, Any]:
        """The swap settings with the device's defaults filled in."""
        custom = "latency" in data or "bandwidth" in data
        device = data.setdefault("device", "custom" if custom else "disk")
        latency, bandwidth = SWAP_DEVICES.get(device, SWAP_DEVICES["disk"])
        return {"latency": latency, "bandwidth": bandwidth} | data

    @field_validator("bandwidth")
    @classmethod
    def _moves_pages(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be more than 0 (a device that moves nothing cannot swap)")
        return value


class Host(Frozen):
    """The ESX host.

    Attributes:
        memory: Physical memory in bytes.
        vmkernel: Memory used by the hypervisor itself; None = the profile's estimate.
        cpu_ghz: Total CPU in GHz, which sets the page-sharing scan rate (docs/model.md §2).
        profile: ESX release whose thresholds and defaults apply (docs/model.md §1).
        swap: The swap device.
        swap_cache: Size of the host swap cache on SSD (vSphere 5+, docs/model.md §5).
        advanced: Advanced settings by their ESXi names, overriding the profile's defaults.
    """

    memory: Size = Field(gt=0, description="physical memory")
    vmkernel: AutoSize = Field(None, description="memory used by the hypervisor; auto = estimate")
    cpu_ghz: float = Field(8.0, gt=0, le=100_000, description="total CPU in GHz")
    profile: Profile = Field("classic", description="ESX release: " + " | ".join(PROFILES))
    swap: Swap = Field(default_factory=Swap, description="disk | ssd | {latency:, bandwidth:}")
    swap_cache: Size = Field(0, description="host swap cache on SSD")
    advanced: dict[str, float] = Field(
        default_factory=dict,
        description="advanced settings by name, e.g. Mem.IdleTax: 75",
        json_schema_extra={"propertyNames": {"enum": list(SETTINGS)}},
    )

    @field_validator("advanced", mode="before")
    @classmethod
    def _booleans_as_numbers(cls, value: object) -> object:
        if isinstance(value, Mapping):
            return {k: int(v) if isinstance(v, bool) else v for k, v in value.items()}
        return value

    @field_validator("advanced")
    @classmethod
    def _known_settings(cls, value: dict[str, float]) -> dict[str, float]:
        found = [((name,), check_setting(name, v)) for name, v in value.items()]
        problems = [(path, message) for path, message in found if message is not None]
        if problems:
            raise issues(*problems)
        return value

    @model_validator(mode="after")
    def _vmkernel_fits(self) -> Host:
        if self.vmkernel_bytes() < self.memory:
            return self
        limit = format_size(self.memory)
        if self.vmkernel is not None:
            raise issues((("vmkernel",), f"must be less than the host's memory {limit}"))
        estimate = format_size(self.vmkernel_bytes())
        message = f"{limit} is less than the VMkernel's estimated {estimate}; give host.vmkernel"
        raise issues((("memory",), message))

    def vmkernel_bytes(self) -> int:
        """Memory the VMkernel uses: as given, or estimated as 150 MiB plus 1.5 % of the host's
        memory (model choice: roughly what small and large ESXi hosts show)."""
        if self.vmkernel is not None:
            return self.vmkernel
        return int(150 * MIB + 0.015 * self.memory)
