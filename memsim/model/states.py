"""Free-memory states, their thresholds per profile, and the transitions with hysteresis.

docs/model.md §1: the host drops to a lower state when free memory falls below that state's
threshold and climbs back to the next higher state only once free memory exceeds the *higher*
state's threshold (plus an optional margin, ``Memsim.StateHysteresis``). So each band between
two thresholds belongs to the state the host came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from memsim.units import MIB, PAGE_SIZE


class MemState(IntEnum):
    """Host memory states, numbered as ESXi 6.x numbers them (0 high … 4 low)."""

    HIGH = 0
    CLEAR = 1
    SOFT = 2
    HARD = 3
    LOW = 4


STATES = tuple(state.name.lower() for state in MemState)
"""The states' names, highest first, as results, claims and esxtop spell them."""


def min_free_mib(managed_mib: float) -> float:
    """ESXi 5+ minFree sliding scale ([Denneman], [Epping]; docs/model.md §1).

    6 % of the first 4 GiB, 4 % of the next 8 GiB, 2 % of the next 16 GiB, 1 % of the rest.
    """
    bands = ((4096.0, 0.06), (8192.0, 0.04), (16384.0, 0.02), (float("inf"), 0.01))
    left, total = managed_mib, 0.0
    for width, pct in bands:
        part = min(left, width)
        total += part * pct
        left -= part
        if left <= 0:
            break
    return total


@dataclass(frozen=True)
class Thresholds:
    """Free-memory thresholds in pages; ``clear`` is only used by the ``esxi6`` profile.

    Attributes:
        min_free: minFree (the ``esxi5``/``esxi6`` base; the high threshold elsewhere).
        levels: threshold of each state, indexed by :class:`MemState`.
        margin: extra fraction required on the way up.
    """

    min_free: int
    levels: tuple[int, int, int, int, int]
    margin: float = 0.0

    @property
    def has_clear(self) -> bool:
        """Whether the profile has the ``clear`` state (``esxi6``)."""
        return self.levels[MemState.CLEAR] != self.levels[MemState.HIGH]

    def next_state(self, state: MemState, free: int) -> MemState:
        """State after observing ``free`` pages, starting from ``state`` (one call settles)."""
        levels = self.levels
        order = [s for s in MemState if self.has_clear or s != MemState.CLEAR]
        i = order.index(state)
        # fall through every threshold we are below
        while i + 1 < len(order) and free < levels[order[i + 1]]:
            i += 1
        # climb while free exceeds the higher state's threshold (with margin)
        while i > 0 and free > levels[order[i - 1]] * (1.0 + self.margin):
            i -= 1
        return order[i]


def thresholds(
    profile: str, host_pages: int, managed_pages: int, settings: dict[str, float]
) -> Thresholds:
    """Thresholds for ``profile`` (docs/model.md §1 table).

    Args:
        profile: ``classic`` | ``esx41`` | ``esxi5`` | ``esxi6``.
        host_pages: host physical memory, pages (``classic`` percentages apply to it).
        managed_pages: memory managed by the VMkernel, pages (minFree applies to it).
        settings: resolved advanced settings.
    """
    margin = settings.get("Memsim.StateHysteresis", 0.0) / 100.0
    if profile == "classic":
        pct = (6.0, 6.0, 4.0, 2.0, 1.0)
        levels = tuple(int(round(host_pages * p / 100.0)) for p in pct)
        return Thresholds(levels[0], levels, margin)  # type: ignore[arg-type]
    forced = settings.get("Mem.MemMinFreePct", 0.0)
    if profile == "esx41":
        base = managed_pages * settings.get("Mem.MinFreePct", 6.0) / 100.0
    elif forced:
        base = managed_pages * forced / 100.0
    else:
        base = min_free_mib(managed_pages * PAGE_SIZE / MIB) * MIB / PAGE_SIZE
    factors = (4.0, 1.0, 0.64, 0.32, 0.16) if profile == "esxi6" else (1.0, 1.0, 0.64, 0.32, 0.16)
    levels = tuple(int(round(base * f)) for f in factors)
    return Thresholds(int(round(base)), levels, margin)  # type: ignore[arg-type]
