"""Taking memory from a VM without its help: share before swap, compress before swap.

When the scheduler asks for pages of a VM by hypervisor reclamation (docs/model.md §1, §4, §5), the
host picks random victims among the VM's private pages and, for each, tries in turn:

1. **share** it — a victim whose contents match a shared frame or a hint is shared instead
   (zero pages written at boot are the common case: "share before swap", [OSDI02] §6.3);
2. **compress** it — if it compresses to 2 KiB or less and the compression cache has room
   (evicting the oldest entries to swap when the cache is full);
3. **swap** it out.

The pace is the swap device's write bandwidth, four times that when compression is on (most
victims then never reach the device; model choice).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from memsim.model.pages import PageState
from memsim.model.reclaim.compression import Compressor
from memsim.model.reclaim.sharing import PageSharing
from memsim.model.reclaim.swap import Swapper

Index = NDArray[np.int64]


def reclaim(
    goal: Index, dt: float, sharing: PageSharing, compressor: Compressor, swapper: Swapper
) -> Index:
    """Reclaim toward ``goal`` pages per VM for ``dt`` seconds; returns the goal left."""
    cap = int(swapper.device.bandwidth * dt) * (4 if compressor.enabled else 1)
    total = int(goal.sum())
    want = goal if total <= cap else np.floor(goal * cap / total).astype(np.int64)
    pages, owner, rank = swapper.victims(want)
    sharing.share(pages, owner)
    private = sharing.gm.state[pages] == PageState.PRIVATE
    to_swap, swap_owner = compressor.compress(pages[private], owner[private])
    swapper.swap_out(to_swap, swap_owner)  # includes evicted pages: still reclaimed
    sharing.gm.expose(owner[private], rank[private], +1)
    return np.maximum(goal - np.bincount(owner, minlength=len(goal)), 0)
