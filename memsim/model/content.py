"""What the model needs of page contents: the protocol a content model implements.

Guests write content ids into their pages (docs/model.md §2: sharing finds pages with equal
contents). Which ids they write is the workload's business (``memsim.workload.content``
implements it with hashed ids per guest family, VM and hotness rank); the model only asks for
them through this protocol, so the engine injects the content model and the model imports no
workload.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray

__all__ = ["PageContents"]


class PageContents(Protocol):
    """Content ids of every VM's pages.

    Attributes:
        family: per VM, the key of its guest family (VMs of one family share family pages).
    """

    family: NDArray[np.uint64]

    def contents(
        self, owner: NDArray[np.int64], rank: NDArray[np.int64]
    ) -> tuple[NDArray[np.uint64], NDArray[np.bool_], NDArray[np.bool_]]:
        """Contents written at hotness rank ``rank`` of VM ``owner``; which are family pages;
        which are unique to the VM (0 is the zero page)."""
        ...

    def fresh(self, n: int) -> NDArray[np.uint64]:
        """``n`` new contents for pages the guest rewrites (never 0)."""
        ...
