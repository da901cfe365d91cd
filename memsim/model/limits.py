"""Memory limits as hard ceilings (docs/model.md §6, vSphere API ``ResourceAllocationInfo.limit``).

A VM's use of host memory "will not exceed this limit, even if there are available resources".
The quantity bounded is what the VM holds in host memory for its guest pages — vCenter's
``consumed`` less the compression cache: its private pages plus its charge for shared frames.
Three rules make the ceiling exact:

1. **Never granted above it.** :meth:`Ceilings.headroom` caps every allocation of a limited VM
   (:meth:`memsim.model.host.Host.grant`).
2. **A VM at its limit pays for each new page with one of its own, in the same step.** Before a
   limited VM backs pages it lacks room for, it reclaims that many of its own pages by the
   hypervisor path — share, compress, swap (:func:`make_room`), within the swap device's
   bandwidth for the step. The balloon takes the growth over time: the scheduler sets the
   balloon of a VM whose guest wants more than its limit so that the guest sees no more than
   the limit (:func:`limit_balloon`).
3. **Drift is corrected at the end of every instant.** A VM's charge for shared frames moves
   when *other* VMs share or break sharing (vCenter charges a frame shared by N pages 1/N to
   each). Whatever a VM holds above its ceiling at the end of an instant is reclaimed from its
   own pages at once (:func:`enforce`): those are a few pages of accounting, not guest demand,
   so they do not wait for the device (model choice).

A lowered limit cannot take effect instantly: the VM is reclaimed toward it as fast as the
balloon and the swap device allow. Meanwhile its ceiling is the least it has held since the
change, so nothing is granted above what it holds and the ceiling only falls until it reaches
the limit (:meth:`Ceilings.follow`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from memsim.model.arrays import Index, Vec
from memsim.model.reclaim.pipeline import reclaim, swap_shared

if TYPE_CHECKING:
    from memsim.model.host import Host
    from memsim.model.reclaim.swap import Swapper


class Ceilings:
    """The most host memory each VM may hold now (pages), from its limit.

    Args:
        limit: per VM, its limit in pages (its configured size when unlimited).
        size: per VM, its configured size in pages.
    """

    def __init__(self, limit: Index, size: Index) -> None:
        self.limit, self.size = limit, size
        self.ceiling = limit.astype(np.float64)

    @property
    def limited(self) -> NDArray[np.bool_]:
        """VMs whose limit is below their configured size."""
        return self.limit < self.size

    def headroom(self, use: Vec) -> Vec:
        """Pages each VM may still be granted: its ceiling less what it holds (inf if unlimited)."""
        room = np.floor(self.ceiling - use + 1e-9)
        return np.where(self.limited, np.maximum(room, 0.0), np.inf)

    def set_limit(self, vm: int, pages: int, use: float) -> None:
        """A new limit for VM ``vm``: at once if raised, followed down if lowered."""
        self.limit[vm] = pages
        self.ceiling[vm] = max(float(pages), min(float(self.ceiling[vm]), use))

    def follow(self, use: Vec) -> None:
        """End of an instant: a ceiling above the limit falls to what the VM holds."""
        self.ceiling = np.maximum(self.limit, np.minimum(self.ceiling, use))

    def power_on(self, vm: int) -> None:
        """A VM starts with its ceiling at its limit."""
        self.ceiling[vm] = float(self.limit[vm])


def make_room(host: Host, swapper: Swapper, want: Index) -> None:
    """Let limited VMs reclaim their own pages for the ``want`` pages they are about to back.

    Each VM whose ``want`` exceeds its headroom gives up the difference from its own private
    pages (share, compress, swap), never from memory within its touched reservation, within
    what the swap device can still take this step.
    """
    if not host.ceilings.limited.any():
        return
    gap = want - host.ceilings.headroom(host.limited_use())
    gap = np.where(np.isfinite(gap), np.maximum(gap, 0.0), 0.0)
    short = np.minimum(gap, host.reclaimable()).astype(np.int64)
    if short.any():
        reclaim(short, host.sharing, host.compressor, swapper)


def make_room_for(host: Host, swapper: Swapper, pages: Index, owner: Index) -> None:
    """:func:`make_room` for backing ``pages`` of ``owner`` (:meth:`Host.demand`), with the
    demand counted only when some VM is limited (nothing else can need room)."""
    if host.ceilings.limited.any():
        make_room(host, swapper, host.demand(pages, owner))


CORRECTION_ROUNDS = 4
"""Rounds of :func:`enforce` per instant: swapping a shared page frees only its charge and
moves other VMs' charges, so a round may leave a fraction of a page to take."""


def enforce(host: Host, swapper: Swapper) -> None:
    """End of an instant: reclaim at once what any VM holds above its ceiling, then let
    ceilings that follow a lowered limit fall to what their VMs hold.

    Private pages go first, each freeing exactly one page; a VM with no private page left
    gives up shared ones (swapped out, dropping its share of their frames).
    """
    if not host.ceilings.limited.any():
        return
    for _ in range(CORRECTION_ROUNDS):
        over = host.limited_use() - host.ceilings.ceiling
        over = np.where(host.on & host.ceilings.limited, np.ceil(over - 1e-9), 0.0)
        goal = np.minimum(np.maximum(over, 0.0), host.reclaimable()).astype(np.int64)
        if not goal.any():
            break
        left = reclaim(goal, host.sharing, host.compressor, swapper, budgeted=False)
        if left.any():
            swap_shared(left, host.sharing, swapper)
    host.ceilings.follow(host.limited_use())


def limit_balloon(size: Index, limit: Index, demand: Index) -> Index:
    """Balloon size that leaves the guest of a limited VM no more memory than its limit.

    When the guest wants more than its limit, the balloon takes the rest of its configured
    memory: the guest then pages its own data rather than the hypervisor swapping at random
    (the usual sight on a host with limits: ballooning on an idle host).
    """
    return np.where((limit < size) & (demand > limit), size - limit, 0)
