"""Vectorised 64-bit mixing used for page hashes and deterministic content ids.

TPS hashes each page's contents to 64 bits (docs/model.md §2). memsim identifies contents by a
uint64 id, so a page's hash is a mix of its id, truncated to ``Memsim.HashBits`` bits; a short
hash makes false matches (equal hash, different contents) happen, which the full compare must
catch.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from memsim.model.arrays import U64

_C1 = np.uint64(0x9E3779B97F4A7C15)
_C2 = np.uint64(0xBF58476D1CE4E5B9)
_C3 = np.uint64(0x94D049BB133111EB)


@njit(cache=True)
def mix64_scalar(x: np.uint64) -> np.uint64:
    """splitmix64 finaliser of one value: a bijection of uint64 with good avalanche (wrapping
    arithmetic)."""
    z = x + _C1
    z = (z ^ (z >> np.uint64(30))) * _C2
    z = (z ^ (z >> np.uint64(27))) * _C3
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def _mix64(x: U64) -> U64:
    out = np.empty_like(x)
    for i in range(len(x)):
        out[i] = mix64_scalar(x[i])
    return out


def mix64(x: U64 | int) -> U64:
    """:func:`mix64_scalar` of every element (compiled: one pass, no temporaries and no
    overflow-warning context, which costs more than the mixing on small arrays)."""
    a = np.asarray(x, dtype=np.uint64)
    out = _mix64(a.ravel())
    return out[0] if a.ndim == 0 else out.reshape(a.shape)


def combine(a: U64 | int, b: U64 | int) -> U64:
    """Mix two uint64 values into one (order matters)."""
    with np.errstate(over="ignore"):
        return mix64(mix64(a) ^ (np.asarray(b, dtype=np.uint64) * _C2))


@njit(cache=True)
def combine_scalar(a: np.uint64, b: np.uint64) -> np.uint64:
    """:func:`combine` of two values, for compiled kernels (the same bits)."""
    return mix64_scalar(mix64_scalar(a) ^ (b * _C2))


_UNIT = 1.0 / (1 << 53)


def unit_interval(x: U64) -> NDArray[np.float64]:
    """Map uint64 values to floats in [0, 1), uniformly for well-mixed inputs."""
    return (x >> np.uint64(11)).astype(np.float64) * _UNIT


@njit(cache=True)
def unit_interval_scalar(x: np.uint64) -> float:
    """:func:`unit_interval` of one value, for compiled kernels (the same float)."""
    return np.float64(x >> np.uint64(11)) * _UNIT


PAGE_HASH_KEY = np.uint64(0x5851F42D4C957F2D)


def page_hash(content: U64, bits: int) -> U64:
    """Hash of page contents truncated to ``bits`` bits (1–64)."""
    return mix64(content ^ PAGE_HASH_KEY) & hash_mask(bits)


@njit(cache=True)
def page_hash_scalar(content: np.uint64, mask: np.uint64) -> np.uint64:
    """:func:`page_hash` of one page's contents, truncated by ``mask`` (:func:`hash_mask`), for
    compiled kernels."""
    return mix64_scalar(content ^ PAGE_HASH_KEY) & mask


def hash_mask(bits: int) -> np.uint64:
    """The low ``bits`` bits set (all 64 for ``bits`` ≥ 64)."""
    return np.uint64((1 << min(bits, 64)) - 1)
