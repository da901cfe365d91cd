"""numpy's float sum, compiled: the same additions in the same order, so the same bits.

``ndarray.sum`` of float64 adds by *pairwise summation*: below 8 values one after another,
up to 128 values in eight interleaved running sums combined as a tree, and above that by
splitting the array in two halves (rounded down to a multiple of 8) and adding their sums.
A compiled kernel that sums its own vectors this way — the entitlement's bisection
(:mod:`memsim.model.entitlement`) sums one vector per step of the search — gives the bits
numpy would have given; ``tests/test_model_pairwise.py`` checks that against numpy itself.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from memsim.model.arrays import Vec

_UNROLL = 8
_BLOCK = 128


@njit(cache=True)
def pairwise_sum(a: Vec) -> float:
    """``a.sum()`` for a float64 vector, bit for bit.

    The halving is walked with an explicit stack (numba's cache cannot hold a recursive
    function): each part is split until it fits a block, and two sums are added as soon as
    both halves of a part are known, in numpy's order.
    """
    depth = 64  # halving 2**63 values takes fewer levels
    lo, size, stage = np.empty(depth, np.int64), np.empty(depth, np.int64), np.empty(depth, np.int8)
    sums = np.empty(depth)
    top, known = 0, 0
    lo[0], size[0], stage[0] = 0, len(a), 0
    while top >= 0:
        n = size[top]
        half = n // 2 - (n // 2) % _UNROLL
        if n <= _BLOCK:
            sums[known] = _block(a, lo[top], n)
            known += 1
            top -= 1
        elif stage[top] < 2:
            first = stage[top] == 0
            stage[top] += 1
            top += 1
            lo[top] = lo[top - 1] if first else lo[top - 1] + half
            size[top], stage[top] = (half if first else n - half), 0
        else:
            known -= 1
            sums[known - 1] += sums[known]
            top -= 1
    return 0.0 + sums[0]


@njit(cache=True)
def _block(a: Vec, lo: int, n: int) -> float:
    """The sum of ``a[lo:lo + n]`` as numpy adds it for n ≤ 128: in order below 8 values,
    else eight interleaved running sums added as a tree, then the rest in order."""
    if n < _UNROLL:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r = a[lo : lo + _UNROLL].copy()
    i = _UNROLL
    while i < n - n % _UNROLL:
        for j in range(_UNROLL):
            r[j] += a[lo + i + j]
        i += _UNROLL
    res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    while i < n:
        res += a[lo + i]
        i += 1
    return res
