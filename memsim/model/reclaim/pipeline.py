"""Taking memory from a VM without its help: share before swap, compress before swap.

When the scheduler asks for pages of a VM by hypervisor reclamation (docs/model.md §1, §4, §5), the
host picks random victims among the VM's private pages and, for each, tries in turn:

0. a victim inside a large page breaks that large page first (a large page is never swapped);
   the broken region's pages the scanner has already hashed are shared at once
   (docs/model.md §2);
1. **share** it — a victim whose contents match a shared frame or a hint is shared instead
   (zero pages written at boot are the common case: "share before swap", [OSDI02] §6.3);
2. **compress** it — if it compresses to 2 KiB or less and the compression cache has room
   (evicting the oldest entries to swap when the cache is full);
3. **swap** it out.

The pace is the swap device's step budget (:meth:`Swapper.refill`): everything reclaimed in
one step, by the scheduler's goals and by VMs at their limit making room
(:mod:`memsim.model.limits`), draws on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from memsim.model.arrays import Index
from memsim.model.pages import PageState
from memsim.model.reclaim.compression import Compressor
from memsim.model.reclaim.sharing import PageSharing
from memsim.model.reclaim.swap import Swapper

if TYPE_CHECKING:
    from memsim.model.host import Host


def reclaim_goal(host: Host, swapper: Swapper, goal: Index) -> Index:
    """One step toward the scheduler's ``goal``, never into a touched reservation: the goal
    was set up to a period ago, and the VM may have lost pages since (docs/model.md §6)."""
    return reclaim(np.minimum(goal, host.reclaimable()), host.sharing, host.compressor, swapper)


def reclaim(
    goal: Index,
    sharing: PageSharing,
    compressor: Compressor,
    swapper: Swapper,
    budgeted: bool = True,
) -> Index:
    """Reclaim toward ``goal`` pages per VM; returns the goal left.

    Args:
        goal: pages to take from each VM.
        sharing: the TPS state (share before swap).
        compressor: the compression caches (compress before swap).
        swapper: the swap device; its step budget bounds the victims.
        budgeted: False for an accounting correction (:func:`memsim.model.limits.enforce`):
            no budget, and no sharing, so that each victim frees exactly one page of the VM's
            use (sharing a page frees only part of one, and moves other VMs' charges).
    """
    total = int(goal.sum())
    cap = swapper.budget if budgeted else total
    want = goal if total <= cap else np.floor(goal * cap / max(total, 1)).astype(np.int64)
    pages, owner, rank = swapper.victims(want)
    sharing.break_pages(pages, owner, share=budgeted)
    if budgeted:
        swapper.budget -= len(pages)
        still = sharing.gm.state[pages] == PageState.PRIVATE  # not shared by the break
        sharing.share(pages[still], owner[still])
    private = sharing.gm.state[pages] == PageState.PRIVATE
    to_swap, swap_owner = compressor.compress(pages[private], owner[private])
    swapper.swap_out(to_swap, swap_owner)  # includes evicted pages: still reclaimed
    sharing.gm.expose(owner[private], rank[private], +1)
    return np.maximum(goal - np.bincount(owner, minlength=len(goal)), 0)


def swap_shared(goal: Index, sharing: PageSharing, swapper: Swapper) -> None:
    """Swap out up to ``goal`` random shared pages of each VM, dropping its share of their
    frames: what is left to take from a VM that has no private page left."""
    pages, owner, rank = swapper.victims(goal, PageState.SHARED)
    sharing.unshare(pages, owner)
    swapper.swap_out(pages, owner)
    sharing.gm.expose(owner, rank, +1)
