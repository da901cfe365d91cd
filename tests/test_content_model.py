"""The content model's compiled pass (memsim/workload/content.py) against the vectorised
formulation it replaced: the same ids, family and unique flags, bit for bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from memsim.model.hashing import combine, combine_scalar, mix64, unit_interval
from memsim.model.hashing import unit_interval_scalar as unit_scalar
from memsim.workload.content import _DUP, _FAMILY, _UNIQUE, _WRITE, ContentModel


def _contents_vectorised(model: ContentModel, owner: np.ndarray, rank: np.ndarray):  # type: ignore[no-untyped-def]
    r = rank.astype(np.uint64)
    fam = combine(model.family[owner] ^ _FAMILY, r)
    is_shared = unit_interval(fam) < model.shared[owner]
    own = combine(model.vm_key[owner], r)
    u = unit_interval(own)
    rest = np.maximum(1.0 - model.shared[owner], 1e-12)
    is_zero = ~is_shared & (u < model.zero[owner] / rest)
    is_dup = ~is_shared & ~is_zero & (u < (model.zero[owner] + model.duplicate[owner]) / rest)
    pool = (mix64(own) % model.dup_pool[owner].astype(np.uint64)).astype(np.uint64)
    dup = combine(model.vm_key[owner] ^ _DUP, pool)
    unique = combine(model.vm_key[owner] ^ _UNIQUE, r)
    out = np.where(is_shared, mix64(fam), np.where(is_dup, dup, unique))
    out = np.where(is_zero, np.uint64(0), out)
    out = np.where((out == 0) & ~is_zero, np.uint64(1), out).astype(np.uint64)
    return out, is_shared, ~is_shared & ~is_zero & ~is_dup


mix = st.tuples(st.floats(0, 0.5), st.floats(0, 1), st.floats(0, 0.5))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), mixes=st.lists(mix, min_size=1, max_size=4))
def test_compiled_contents_equal_the_vectorised_mixes(seed: int, mixes: list) -> None:  # type: ignore[type-arg]
    families = ["windows", "linux", "windows", "solaris"][: len(mixes)]
    model = ContentModel(seed, families)
    for vm, (zero, shared, duplicate) in enumerate(mixes):
        model.set_mix(vm, zero, shared, duplicate, footprint=1000 + 77 * vm)
    rng = np.random.default_rng(seed)
    owner = rng.integers(0, len(mixes), 500)
    rank = rng.integers(0, 2**20, 500)
    got = model.contents(owner, rank)
    want = _contents_vectorised(model, owner, rank)
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def test_scalar_mixes_equal_the_vectorised_ones() -> None:
    x = np.random.default_rng(3).integers(0, 2**63, 200, dtype=np.uint64) * np.uint64(3)
    y = x[::-1].copy()
    assert np.array_equal(
        np.array([combine_scalar(a, b) for a, b in zip(x, y, strict=True)], dtype=np.uint64),
        combine(x, y),
    )
    assert np.array_equal(np.array([unit_scalar(a) for a in x]), unit_interval(x))


def test_compiled_fresh_writes_equal_the_vectorised_mix() -> None:
    model = ContentModel(7, ["linux"])
    model.fresh(5)  # the ids go on from where the last write stopped
    ids = np.arange(5, 5 + 300, dtype=np.uint64)
    want = combine(np.full(300, np.uint64(7) ^ _WRITE, dtype=np.uint64), ids) | np.uint64(1)
    got = model.fresh(300)
    assert got.dtype == np.uint64 and np.array_equal(got, want)
