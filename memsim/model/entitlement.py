"""Entitlement by min-funding revocation with the idle memory tax, vectorised over VMs.

[OSDI02] §5, docs/model.md §6, DESIGN.md §3. A VM's shares-per-page ratio, charging idle pages k
times as much as active ones (k = 1/(1 − τ), τ = ``Mem.IdleTax``), is

    ρ = S / (P·(f + k(1 − f))) = S / (kP − (k − 1)A)   for P ≥ A,   and S / P for P < A,

with S shares, P pages allocated, A = fP active pages. Memory is revoked first from the VM with
the smallest ρ, so at the allocation reached every VM that is not held by a bound has the same
ρ = λ. Writing x = S/λ, a VM's allocation is

    P(x) = x                      for x < A
    P(x) = (x + (k − 1)A) / k     for x ≥ A,

clamped to the VM's bounds. ``x`` scales with a common factor t = 1/λ, and Σ P is monotone in t,
so a bisection on t over all VMs at once finds the allocation whose sum is the memory available
(water-filling; one compiled search, no Python loop over VMs or steps).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from memsim.model.arrays import Vec
from memsim.model.pairwise import pairwise_sum


def allocation(t: float | Vec, shares: Vec, active: Vec, k: float) -> Vec:
    """Unclamped allocation P(S·t) of every VM at the common level ``t`` = 1/λ."""
    x = shares * t
    return np.where(x < active, x, (x + (k - 1.0) * active) / k)


def entitlement(
    shares: Vec,
    active: Vec,
    lower: Vec,
    upper: Vec,
    available: float,
    idle_tax: float,
    iterations: int = 100,
) -> Vec:
    """Allocation of ``available`` pages among VMs by min-funding revocation.

    Args:
        shares: shares of each VM (> 0).
        active: estimated active pages of each VM.
        lower: pages each VM keeps whatever happens (touched reservation).
        upper: pages each VM can use at most (min of limit, configured, demand); ≥ lower.
        available: pages to divide (managed − overheads − free target).
        idle_tax: τ in [0, 1).
        iterations: most bisection steps on the allocation price (fewer once it converges).

    Returns:
        Pages entitled to each VM: Σ = available when demand exceeds it (and lower bounds fit),
        else every VM gets its ``upper``.
    """
    shares = np.asarray(shares, dtype=float)
    lower = np.asarray(lower, dtype=float)
    upper = np.maximum(np.asarray(upper, dtype=float), lower)
    if len(shares) == 0:
        return np.zeros(0)
    if upper.sum() <= available:
        return upper.copy()
    if lower.sum() >= available:
        return lower.copy()
    k = 1.0 / (1.0 - idle_tax)
    active = np.minimum(np.asarray(active, dtype=float), upper)
    # P(S·t) ≥ S·t / k for every VM, so t = k·max(upper/S) reaches every upper bound.
    hi = k * float(np.max(upper / shares)) + 1.0
    level = _bisect(shares, active, lower, upper, float(available), k, hi, iterations)
    return np.clip(allocation(level, shares, active, k), lower, upper)


@njit(cache=True)
def _bisect(
    shares: Vec,
    active: Vec,
    lower: Vec,
    upper: Vec,
    available: float,
    k: float,
    hi: float,
    iterations: int,
) -> float:
    """The level ``t`` in (0, hi] at which the clamped allocations sum to ``available``, by
    bisection (compiled: the arithmetic of :func:`allocation` and ``np.clip`` per VM and
    numpy's sum, :func:`~memsim.model.pairwise.pairwise_sum`, so the same bits)."""
    lo = 0.0
    clamped = np.empty(len(shares))
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        for i in range(len(shares)):
            x = shares[i] * mid
            p = x if x < active[i] else (x + (k - 1.0) * active[i]) / k
            clamped[i] = min(max(p, lower[i]), upper[i])
        if pairwise_sum(clamped) < available:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * hi:
            break
    return hi
