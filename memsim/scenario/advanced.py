"""Registry of advanced settings: ESXi's own ``Mem.*`` options and memsim's model choices.

A scenario sets them under ``host.advanced`` by their real names (``Mem.IdleTax: 0``) and events
change them at run time (``set: {host.advanced.Mem.IdleTax: 75}``) — those that may change: each
setting says whether it is fixed for a run, and why (:attr:`Setting.fixed`). The same allow-list
says which VM and workload keys events may change (:data:`RUNTIME_KEYS`). Defaults depend on the
host's profile (docs/model.md §1), because ESX releases changed some of them. ``Memsim.*`` settings
are where the sources are silent and memsim picks an adjustable behaviour ("model choice" in
docs/model.md). This module is pure data plus a lookup; it imports nothing heavy.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "PROFILES",
    "RUNTIME_KEYS",
    "RUNTIME_SETTINGS",
    "SETTINGS",
    "Profile",
    "Setting",
    "check_setting",
    "defaults",
]

Profile = Literal["classic", "esx41", "esxi5", "esxi6"]
PROFILES: tuple[Profile, ...] = ("classic", "esx41", "esxi5", "esxi6")


@dataclass(frozen=True)
class Setting:
    """One advanced setting.

    Attributes:
        description: What it controls, with its unit.
        minimum: Smallest allowed value.
        maximum: Largest allowed value.
        default: Value unless a profile overrides it.
        integer: Whether only whole numbers are allowed (ESXi options are integers).
        per_profile: Defaults that differ by profile.
        fixed: Why the setting cannot change while a run goes on; empty when it can.
    """

    description: str
    minimum: float
    maximum: float
    default: float
    integer: bool = True
    per_profile: dict[Profile, float] = field(default_factory=dict)
    fixed: str = ""

    def default_for(self, profile: Profile) -> float:
        """The default value under ``profile``."""
        return self.per_profile.get(profile, self.default)


SETTINGS: dict[str, Setting] = {
    "Mem.IdleTax": Setting(
        "idle memory tax rate τ in %; idle memory costs 1/(1 − τ) times active memory "
        "(docs/model.md §6)",
        0, 99, 75,
    ),
    "Mem.SamplePeriod": Setting(
        "seconds between active-memory samples of each VM (docs/model.md §6)",
        1, 3600, 60, per_profile={"classic": 30},
    ),
    "Mem.BalancePeriod": Setting(
        "seconds between recomputations of entitlements and reclamation targets (docs/model.md §1)",
        1, 3600, 15,
    ),
    "Mem.ShareScanTime": Setting(
        "minutes for the page-sharing scanner to visit all of a VM's memory (docs/model.md §2)",
        1, 6000, 60,
    ),
    "Mem.ShareScanGHz": Setting(
        "page-sharing scan rate in MiB/s per GHz of host CPU, system-wide; 0 disables "
        "(docs/model.md §2)",
        0, 1000, 4,
    ),
    "Mem.ShareForceSalting": Setting(
        "0: all VMs share; 1: VMs share when their sched.mem.pshare.salt matches (unset = 0); "
        "2: salt defaults to the VM's own id, so sharing is within a VM; default 2 for esxi5 (the "
        "2015 patches) and esxi6, 0 before (docs/model.md §2)",
        0, 2, 0, per_profile={"esxi5": 2, "esxi6": 2},
        fixed="ESXi applies salting when a VM powers on; compare runs instead",
    ),
    "Mem.CtlMaxPercent": Setting(
        "largest balloon as % of a VM's configured memory (docs/model.md §3)",
        0, 100, 65,
    ),
    "Mem.MemZipEnable": Setting(
        "1 enables memory compression before swapping (ESX 4.1+, docs/model.md §4)",
        0, 1, 1, per_profile={"classic": 0},
    ),
    "Mem.MemZipMaxPct": Setting(
        "largest compression cache as % of a VM's configured memory (docs/model.md §4)",
        0, 100, 10,
    ),
    "Mem.MinFreePct": Setting(
        "free-memory threshold of the high state in % of host memory (esx41, docs/model.md §1)",
        0, 50, 6,
    ),
    "Mem.MemMinFreePct": Setting(
        "forces minFree to this % of managed memory; 0 uses the sliding scale (ESXi 5+, "
        "docs/model.md §1)",
        0, 50, 0,
    ),
    "Mem.AllocGuestLargePage": Setting(
        "1 backs guest memory with 2 MiB pages when possible (docs/model.md §2)",
        0, 1, 1, per_profile={"classic": 0},
        fixed="a VM's backing is chosen when it powers on; compare runs instead",
    ),
    "Memsim.HashBits": Setting(
        "bits of the page-content hash; fewer bits cause false matches that the full "
        "compare rejects (model choice)",
        1, 64, 64,
        fixed="the page-sharing table is built for one hash width",
    ),
    "Memsim.StateHysteresis": Setting(
        "extra margin in % of a threshold before the host climbs to a higher free-memory "
        "state (model choice, docs/model.md §1)",
        0, 100, 0,
    ),
    "Memsim.BalloonMargin": Setting(
        "ballooning starts this % above the soft threshold, since it takes time "
        "(model choice, docs/model.md §1)",
        0, 100, 25,
    ),
    "Memsim.BalloonInHard": Setting(
        "1 keeps ballooning in the hard and low states (sources disagree, docs/model.md §1)",
        0, 1, 1, per_profile={"esxi6": 0},
    ),
    "Memsim.SampleSize": Setting(
        "guest pages watched per VM each sample period (docs/model.md §6)",
        1, 10000, 100,
    ),
    "Memsim.ActiveFastGain": Setting(
        "gain of the fast moving average of active memory (model choice, docs/model.md §6)",
        0.01, 1, 0.6, integer=False,
    ),
    "Memsim.ActiveSlowGain": Setting(
        "gain of the slow moving average of active memory (model choice, docs/model.md §6)",
        0.001, 1, 0.15, integer=False,
    ),
    "Memsim.ActiveAtPowerOn": Setting(
        "% of configured memory the active estimate starts from at power-on (model choice: "
        "not published; a powered-on VM has touched nothing yet, docs/model.md §6)",
        0, 100, 0, integer=False,
    ),
    "Memsim.CompressRate": Setting(
        "MiB/s of guest memory the host can compress (CPU; model choice: not published, a page "
        "in about twice the time of decompressing it, one core, docs/model.md §4)",
        1, 1e6, 100, integer=False,
    ),
    "Memsim.DecompressLatency": Setting(
        "µs to decompress one page on access (docs/model.md §8)",
        0, 1e6, 20, integer=False,
    ),
    "Memsim.GuestSwapLatency": Setting(
        "µs for the guest to page one page back in from its own swap (docs/model.md §8)",
        0, 1e6, 8000, integer=False,
    ),
    "Memsim.GuestMemMapPct": Setting(
        "% of a guest's configured memory its kernel keeps in per-page structures, whatever "
        "the balloon takes (Linux mem_map: a struct page of about 64 bytes per 4 KiB page; "
        "[OSDI02] §3.2 names these structures as ballooning's cost, docs/model.md §8)",
        0, 50, 1.6, integer=False,
    ),
    "Memsim.TouchRate": Setting(
        "MiB/s a guest's footprint grows by when its workload asks for more memory",
        0.1, 1e6, 32, integer=False,
    ),
    "Memsim.ZeroRate": Setting(
        "MiB/s a guest zeroes its memory at boot (boot: zero)",
        1, 1e6, 256, integer=False,
    ),
    "Memsim.ShareScanPeriod": Setting(
        "seconds between page-sharing scanner batches (the rate is Mem.ShareScanTime's)",
        1, 600, 10, integer=False,
    ),
    "Memsim.ShareScanClear": Setting(
        "times the page-sharing scan rates (Mem.ShareScanTime per VM and the Mem.ShareScanGHz "
        "cap) while an esxi6 host is in clear or below, where ESXi calls TPS actively; model "
        "choice: the sources say only 'actively', 4 scans a VM in a quarter of "
        "Mem.ShareScanTime (docs/model.md §1)",
        1, 100, 4, integer=False,
    ),
    "Memsim.TouchPeriod": Setting(
        "seconds in which the guest touches each working-set page about once",
        1, 3600, 30, integer=False,
    ),
}  # fmt: skip

RUNTIME_KEYS: dict[str, frozenset[str]] = {
    "host": frozenset(),  # only host.advanced.<setting>, by RUNTIME_SETTINGS
    "vm": frozenset({"limit", "reservation", "shares", "tools", "maxmemctl"}),
    "workload": frozenset(
        {
            "footprint",
            "active",
            "writes",
            "churn",
            "cache",
            "heap",
            "dataset",
            "compressible",
            "content",
        }
    ),
}
"""Scenario keys that events may change while the run goes on (the allow-list), per kind of
target. Everything else shapes the run itself (hardware, identity, schedule, what is fixed at
power-on such as salt, pshare, large pages and the balloon driver) and is set in the file."""

RUNTIME_SETTINGS: tuple[str, ...] = tuple(n for n, s in SETTINGS.items() if not s.fixed)
"""Advanced settings that events may change while the run goes on."""


def defaults(profile: Profile) -> dict[str, float]:
    """Every advanced setting at its default for ``profile``."""
    return {name: float(s.default_for(profile)) for name, s in SETTINGS.items()}


def check_setting(name: str, value: float) -> str | None:
    """Check a setting's name and value.

    Args:
        name: The setting's name, e.g. ``"Mem.IdleTax"``.
        value: The value to give it.

    Returns:
        None when the setting exists and the value is allowed, else a message that says why
        not and what is allowed.
    """
    setting = SETTINGS.get(name)
    if setting is None:
        close = difflib.get_close_matches(name, list(SETTINGS), n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(SETTINGS)}"
        return f"unknown advanced setting '{name}'; {hint}"
    if setting.integer and value != int(value):
        return f"{name} takes a whole number, got {value:g}"
    if not setting.minimum <= value <= setting.maximum:
        return (
            f"{name} must lie between {setting.minimum:g} and {setting.maximum:g}, "
            f"got {value:g} ({setting.description})"
        )
    return None
