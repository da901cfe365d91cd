"""Min-funding revocation with the idle memory tax (docs/model.md §6, DESIGN.md §3)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from memsim.model.entitlement import allocation, entitlement


def test_worked_example_from_design() -> None:
    # two VMs, equal shares, A = 10 and 198 MiB, 343 MiB available, tax 75 % -> ~101 and 242
    p = entitlement(
        shares=np.array([1.0, 1.0]),
        active=np.array([10.0, 198.0]),
        lower=np.zeros(2),
        upper=np.array([256.0, 256.0]),
        available=343.0,
        idle_tax=0.75,
    )
    assert np.allclose(p, [101.0, 242.0], atol=0.5)


def test_no_tax_divides_by_shares() -> None:
    p = entitlement(
        np.array([1.0, 2.0, 1.0]),
        np.array([5.0, 5.0, 90.0]),
        np.zeros(3),
        np.full(3, 1000.0),
        400.0,
        0.0,
    )
    assert np.allclose(p, [100.0, 200.0, 100.0])


def rho(shares: np.ndarray, active: np.ndarray, p: np.ndarray, k: float) -> np.ndarray:
    """Shares per page with idle pages charged k times ([OSDI02] §5)."""
    with np.errstate(divide="ignore"):
        idle_charged = shares / (k * p - (k - 1) * active)
    return np.where(p < active, shares / np.maximum(p, 1e-9), idle_charged)


def reference(shares, active, lower, upper, available, tax):  # type: ignore[no-untyped-def]
    """Plain min-funding revocation: take one page at a time from the VM of smallest ρ."""
    k = 1.0 / (1.0 - tax)
    p = upper.astype(float).copy()
    while p.sum() > available:
        r = rho(shares, np.minimum(active, upper), p, k)
        r[p <= lower] = np.inf
        if np.isinf(r).all():
            break
        p[int(np.argmin(r))] -= 1
    return p


vm_count = st.integers(2, 5)


@st.composite
def cases(draw):  # type: ignore[no-untyped-def]
    n = draw(vm_count)
    shares = np.array(draw(st.lists(st.integers(1, 40), min_size=n, max_size=n)), dtype=float)
    upper = np.array(draw(st.lists(st.integers(10, 80), min_size=n, max_size=n)), dtype=float)
    lower = np.array([draw(st.integers(0, int(u) // 3)) for u in upper], dtype=float)
    active = np.array([draw(st.integers(0, int(u))) for u in upper], dtype=float)
    available = float(draw(st.integers(int(lower.sum()), int(upper.sum()))))
    tax = draw(st.sampled_from([0.0, 0.25, 0.5, 0.75, 0.9]))
    return shares, active, lower, upper, available, tax


@settings(max_examples=150, deadline=None)
@given(cases())
def test_sum_and_bounds(case) -> None:  # type: ignore[no-untyped-def]
    shares, active, lower, upper, available, tax = case
    p = entitlement(shares, active, lower, upper, available, tax)
    assert np.all(p >= lower - 1e-6) and np.all(p <= upper + 1e-6)
    assert abs(p.sum() - min(available, upper.sum())) < 1e-3 * max(available, 1.0)


@settings(max_examples=150, deadline=None)
@given(cases(), st.data())
def test_more_shares_never_less_memory(case, data) -> None:  # type: ignore[no-untyped-def]
    shares, active, lower, upper, available, tax = case
    i = data.draw(st.integers(0, len(shares) - 1))
    before = entitlement(shares, active, lower, upper, available, tax)[i]
    more = shares.copy()
    more[i] *= data.draw(st.floats(1.0, 5.0))
    after = entitlement(more, active, lower, upper, available, tax)[i]
    assert after >= before - 1e-6


@settings(max_examples=80, deadline=None)
@given(cases())
def test_agrees_with_page_by_page_revocation(case) -> None:  # type: ignore[no-untyped-def]
    shares, active, lower, upper, available, tax = case
    fast = entitlement(shares, active, lower, upper, available, tax)
    slow = reference(shares, active, lower, upper, available, tax)
    # page granularity: every other VM's rounding (< 1 page each) can land on one VM
    assert np.all(np.abs(fast - slow) <= len(shares) + 1e-6), (fast, slow)


def numpy_bisection(shares, active, lower, upper, available, tax):  # type: ignore[no-untyped-def]
    """The vectorised numpy bisection the compiled search replaced (same steps, same stop)."""
    k = 1.0 / (1.0 - tax)
    active = np.minimum(active, upper)

    def total(t: float) -> float:
        return float(np.clip(allocation(t, shares, active, k), lower, upper).sum())

    hi, lo = k * float(np.max(upper / shares)) + 1.0, 0.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if total(mid) < available else (lo, mid)
        if hi - lo <= 1e-12 * hi:
            break
    return np.clip(allocation(hi, shares, active, k), lower, upper)


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300), tax=st.sampled_from([0, 0.75]))
def test_compiled_search_gives_numpys_bits(seed: int, n: int, tax: float) -> None:
    """Up to 300 VMs (numpy's sum changes regime at 8 and 128 values), real-valued inputs:
    the compiled bisection returns the very floats of the numpy one."""
    rng = np.random.default_rng(seed)
    upper = rng.uniform(1, 1e6, n)
    lower = upper * rng.uniform(0, 0.3, n)
    active = upper * rng.uniform(0, 1, n)
    shares = rng.choice([500.0, 1000.0, 2000.0, 1234.5], n)
    available = float(rng.uniform(lower.sum(), upper.sum()))
    args = (shares, active, lower, upper, available, tax)
    assert entitlement(*args).tobytes() == numpy_bisection(*args).tobytes()


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 300), tax=st.sampled_from([0, 0.75]))
def test_compiled_search_ties_like_numpy(seed: int, n: int, tax: float) -> None:
    """Whole pages, as the host passes them, and ``available`` on a plateau: over a range of
    levels every VM sits at a bound (some at their upper, the others at their lower), so the
    clamped sum equals ``available`` exactly there. The search must stop at the plateau's
    low end, where the result sums exactly to ``available`` (a ``<=`` would climb to its high
    end, one VM a hair above its lower bound), with the very floats of the numpy search."""
    rng = np.random.default_rng(seed)
    shares = rng.choice([500.0, 1000.0, 2000.0], n)
    k = 1.0 / (1.0 - tax)
    active = np.floor(shares * 1000.0 * rng.uniform(0, 2, n))
    at_level = allocation(1000.0, shares, active, k)
    ratio = rng.uniform(0.2, 0.9, n)
    capped = np.arange(n) < max(1, n // 2)
    upper = np.where(capped, np.floor(at_level * ratio), np.ceil(at_level / ratio) + 2**20)
    lower = np.where(capped, np.floor(upper * 0.1), np.ceil(at_level / ratio))
    available = float(np.where(capped, upper, lower).sum())
    args = (shares, active, lower, upper, available, tax)
    fast = entitlement(*args)
    assert fast.tobytes() == numpy_bisection(*args).tobytes()
    assert fast.sum() == available
