"""The compiled float sum adds as numpy does (memsim.model.pairwise)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from memsim.model.pairwise import pairwise_sum


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 3000), spread=st.integers(0, 15))
def test_same_bits_as_numpy(seed: int, n: int, spread: int) -> None:
    """Every length (the 8- and 128-value regimes and the halving above them) and values of
    mixed sign over many magnitudes, where any other order of additions rounds differently."""
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(n) * 10.0 ** rng.integers(-spread, spread + 1, n)
    assert pairwise_sum(values).hex() == float(values.sum()).hex()


def test_regimes_and_signed_zero() -> None:
    for n in (0, 1, 7, 8, 9, 15, 16, 127, 128, 129, 255, 256, 257, 1000):
        values = 1.0 / np.arange(1, n + 1) * (-1.0) ** np.arange(n)
        assert pairwise_sum(values) == values.sum(), n
    for n in (1, 8, 9, 200):
        zeros = np.full(n, -0.0)
        assert pairwise_sum(zeros).hex() == zeros.sum().hex(), n
