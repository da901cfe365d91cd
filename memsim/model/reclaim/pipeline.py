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

The pace is physical: in one step the host compresses at most what its CPU rate allows
(:meth:`Compressor.refill`, ``Memsim.CompressRate``) and writes to the swap device at most its
bandwidth (:meth:`Swapper.refill`), evictions from a full compression cache included; a victim
neither can take stays where it is for the next step. Everything reclaimed in one step, by the
scheduler's goals and by VMs at their limit making room (:mod:`memsim.model.limits`), draws on
these budgets.
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
    cap = max(swapper.budget, 0) + compressor.budget if budgeted else total
    want = goal if total <= cap else np.floor(goal * cap / max(total, 1)).astype(np.int64)
    pages, owner, rank = swapper.victims(want)
    sharing.break_pages(pages, owner, share=budgeted)
    shared = np.zeros(len(pages), dtype=bool)
    if budgeted:
        # not shared by the break, and not SOLO (such a page can find no partner)
        still = sharing.shareable(pages)
        sharing.share(pages[still], owner[still])
        shared = sharing.gm.state[pages] != PageState.PRIVATE
    pages, owner, rank, done = pages[~shared], owner[~shared], rank[~shared], owner[shared]
    zipped, ev_pages, ev_owner = compressor.compress(
        pages, owner, max(swapper.budget, 0) if budgeted else None
    )
    rest = ~zipped
    room = max(swapper.budget - len(ev_pages), 0) if budgeted else len(pages)
    out = rest & (np.cumsum(rest) <= room)  # the others stay private for the next step
    swapper.swap_out(np.concatenate([ev_pages, pages[out]]), np.concatenate([ev_owner, owner[out]]))
    if budgeted:
        swapper.budget -= len(ev_pages) + int(out.sum())
    taken = zipped | out
    sharing.gm.expose(owner[taken], rank[taken], +1)
    reclaimed = np.concatenate([done, owner[taken]])
    return np.maximum(goal - np.bincount(reclaimed, minlength=len(goal)), 0)


def swap_shared(goal: Index, sharing: PageSharing, swapper: Swapper) -> None:
    """Swap out up to ``goal`` random shared pages of each VM, dropping its share of their
    frames: what is left to take from a VM that has no private page left."""
    pages, owner, rank = swapper.victims(goal, PageState.SHARED)
    sharing.unshare(pages, owner)
    swapper.swap_out(pages, owner)
    sharing.gm.expose(owner, rank, +1)
