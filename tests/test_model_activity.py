"""Active-memory sampling (docs/model.md §6, VALIDATION.md V5)."""

from __future__ import annotations

import numpy as np

from memsim.model.activity import ActivityEstimator


def test_single_period_spread_is_binomial() -> None:
    est = ActivityEstimator(20_000, 100, 0.6, 0.15)
    f = est.sample(np.full(20_000, 0.3), np.random.default_rng(1))
    assert abs(f.mean() - 0.3) < 0.005
    assert abs(f.std() - np.sqrt(0.3 * 0.7 / 100)) < 0.003


def test_rises_within_two_periods_and_decays_slowly() -> None:
    est = ActivityEstimator(1, 10_000, 0.6, 0.15)
    rng = np.random.default_rng(2)
    for _ in range(20):
        est.sample(np.array([0.1]), rng)
    est.sample(np.array([0.8]), rng)
    est.sample(np.array([0.8]), rng)
    assert est.estimate[0] > 0.65
    for _ in range(20):
        est.sample(np.array([0.8]), rng)
    est.sample(np.array([0.1]), rng)
    est.sample(np.array([0.1]), rng)
    assert est.estimate[0] > 0.5  # the slow average holds it up
    for _ in range(30):
        est.sample(np.array([0.1]), rng)
    assert est.estimate[0] < 0.15
