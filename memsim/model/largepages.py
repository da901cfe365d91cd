"""Large pages: 2 MiB regions of guest memory, each backed by one machine page (docs/model.md §2).

With a hardware MMU, ESX backs guest memory with 2 MiB pages when it can
(``Mem.AllocGuestLargePage`` = 1, [KB 1021095]). memsim models it per *region*: 512 consecutive
guest pages of a VM.

* **Locality.** Guest memory has locality: the hotness order fills guest memory one region at a
  time (:func:`memsim.model.layout.region_layout`), so a guest using 32 MiB touches 16 regions,
  not every region of its VM.
* **Backing.** The first touch of a region that is wholly untouched, in a VM that backs new
  memory with large pages (:attr:`LargePages.wanted`) while the host allows it
  (:attr:`LargePages.allowed`), backs the whole region with one large page: all its pages
  become private at once (the untouched ones zero-filled). Any other first touch backs one
  4 KiB page.
* **A large page is neither shared nor swapped.** The scanner still hashes its sub-pages; they
  are shared when the large page is *broken* (:meth:`LargePages.break_regions`): when the
  profile says so for the whole host (docs/model.md §1), or when a region's pages are chosen
  for swap-out or ballooned. A broken region stays made of 4 KiB pages (memsim does not
  promote pages back; model choice).
"""

from __future__ import annotations

import numpy as np

from memsim.model import backing_kernels
from memsim.model.arrays import Index, Mask
from memsim.model.layout import LARGE_PAGE
from memsim.model.pages import GuestMemory, PageState
from memsim.model.segments import distinct, pack, repeat_ranges, unpack

__all__ = ["LARGE_PAGE", "LargePages"]


class LargePages:
    """Which 2 MiB regions of every VM are large pages now.

    Args:
        gm: the guest pages.
    """

    def __init__(self, gm: GuestMemory) -> None:
        self.gm = gm
        per_vm = -(-gm.sizes // LARGE_PAGE)
        self.first = np.zeros(len(per_vm) + 1, dtype=np.int64)  #: first region of each VM
        np.cumsum(per_vm, out=self.first[1:])
        self.large = np.zeros(int(self.first[-1]), dtype=bool)  #: region is a large page now
        #: scratch of :func:`~memsim.model.backing_kernels.large_regions`, -1 between calls
        self._status = np.full(int(self.first[-1]), -1, dtype=np.int16)
        self.count = np.zeros(gm.n_vms, dtype=np.int64)  #: large pages of each VM now
        self.broken = np.zeros(gm.n_vms, dtype=np.int64)  #: cumulative large pages broken
        #: the VM backs new memory with large pages (``large_pages``, set at power-on)
        self.wanted = np.zeros(gm.n_vms, dtype=bool)
        #: the host hands out large pages now (False while the profile breaks them)
        self.allowed = True

    # -- where ------------------------------------------------------------------------------
    def region_of(self, pages: Index, owner: Index) -> Index:
        """Global region index of each global page of VM ``owner``."""
        return self.first[owner] + (pages - self.gm.offsets[owner]) // LARGE_PAGE

    def pages_of(self, regions: Index, owner: Index) -> tuple[Index, Index]:
        """Every page of ``regions`` (of VMs ``owner``): global pages and their VMs."""
        gm = self.gm
        lo = (regions - self.first[owner]) * LARGE_PAGE
        hi = np.minimum(lo + LARGE_PAGE, gm.sizes[owner])
        vm, local = repeat_ranges(owner, lo, hi)
        return gm.offsets[vm] + local, vm

    def in_large(self, pages: Index, owner: Index) -> Mask:
        """Whether each page lies in a region that is a large page now."""
        if not self.count.any():
            return np.zeros(len(pages), dtype=bool)
        return self.large[self.region_of(pages, owner)]

    # -- backing ----------------------------------------------------------------------------
    def _regions(self, pages: Index, owner: Index, fresh: Mask) -> tuple[Index, Index] | None:
        """Which ``fresh`` (untouched) pages are backed with their whole region now, and what
        each page costs (:func:`~memsim.model.backing_kernels.large_regions`); None when no
        region can be: no VM backs new memory with large pages, or the host hands none out."""
        if not (self.allowed and self.wanted.any()):
            return None
        gm = self.gm
        return backing_kernels.large_regions(
            pages,
            owner,
            fresh,
            gm.offsets,
            gm.sizes,
            self.first,
            self.wanted,
            gm.state,
            self._status,
        )

    def cost(self, pages: Index, owner: Index, fresh: Mask) -> Index:
        """Machine pages each of ``pages`` needs when first touched (``fresh``): a whole
        region's pages for the first page of a region backed whole (in array order), 0 for the
        other pages of that region, 1 otherwise (also for pages that are not fresh)."""
        regions = self._regions(pages, owner, fresh)
        return np.ones(len(pages), dtype=np.int64) if regions is None else regions[1]

    def back_fresh(self, pages: Index, owner: Index) -> None:
        """Back untouched ``pages``: whole regions as large pages where :meth:`cost` says so,
        single 4 KiB pages elsewhere."""
        gm = self.gm
        regions = self._regions(pages, owner, np.ones(len(pages), dtype=bool))
        if regions is None:
            gm.set_state(pages, PageState.PRIVATE, owner)
            return
        region, cost = regions
        whole = region >= 0
        gm.set_state(pages[~whole], PageState.PRIVATE, owner[~whole])
        lead = whole & (cost > 0)  # the first page of each region backed whole
        if not lead.any():
            return
        order = np.argsort(region[lead])
        new, new_owner = region[lead][order], owner[lead][order]
        members, member_vm = self.pages_of(new, new_owner)
        gm.set_state(members, PageState.PRIVATE, member_vm)
        self.large[new] = True
        self.count += np.bincount(new_owner, minlength=gm.n_vms)

    # -- breaking ---------------------------------------------------------------------------
    def break_regions(self, regions: Index, owner: Index) -> tuple[Index, Index]:
        """Break the large pages among ``regions`` into 4 KiB pages; returns their pages."""
        regions, owner = unpack(distinct(pack(regions, owner)))  # a region has one owner
        keep = self.large[regions]
        regions, owner = regions[keep], owner[keep]
        self.large[regions] = False
        broke = np.bincount(owner, minlength=self.gm.n_vms)
        self.count -= broke
        self.broken += broke
        return self.pages_of(regions, owner)

    def regions_of_vms(self, vms: Index) -> tuple[Index, Index]:
        """The large pages of ``vms`` now: region indices and their VMs."""
        vms = vms[self.count[vms] > 0]
        lo = np.zeros(len(vms), dtype=np.int64)
        owner, local = repeat_ranges(vms, lo, self.first[vms + 1] - self.first[vms])
        regions = self.first[owner] + local
        keep = self.large[regions]
        return regions[keep], owner[keep]

    def release(self, vm: int) -> None:
        """Power-off: the VM's large pages go back to the host."""
        sl = slice(int(self.first[vm]), int(self.first[vm + 1]))
        self.large[sl] = False
        self.count[vm] = 0
