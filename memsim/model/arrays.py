"""The array types of the domain core: one name for each kind of numpy vector.

The model is numpy struct-of-arrays (DESIGN.md §2): per-VM or per-page vectors of page counts
and page numbers (:data:`Index`), of shares, seconds and rates (:data:`Vec`), of content ids and
hashes (:data:`U64`) and of flags (:data:`Mask`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["U64", "Index", "Mask", "Vec"]

Index = NDArray[np.int64]
"""Page counts, page numbers, VM numbers."""
Vec = NDArray[np.float64]
"""Shares, fractions, seconds, rates."""
U64 = NDArray[np.uint64]
"""Content ids and hashes."""
Mask = NDArray[np.bool_]
"""Flags, one per VM or per page."""
