"""Units: parsing sizes, durations and fractions as users write them, and back."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from memsim.units import (
    GIB,
    KIB,
    MAX_BYTES,
    MAX_SECONDS,
    MIB,
    PAGE_SIZE,
    format_duration,
    format_fraction,
    format_size,
    mib,
    pages,
    parse_duration,
    parse_fraction,
    parse_size,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4GiB", 4 * GIB),
        ("512 MiB", 512 * MIB),
        ("1.5 GB", 1536 * MIB),
        ("100B", 100),
        ("8kib", 8 * KIB),
        (256, 256 * MIB),
        (0.5, MIB // 2),
        ("1e3MiB", 1000 * MIB),
        ("1PiB", MAX_BYTES),
    ],
)
def test_parse_size(text: object, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("4 GiBs", "unknown size unit 'GiBs' in '4 GiBs'; did you mean 'GiB'?"),
        ("-4GiB", "must not be negative"),
        ("2PiB", "too large"),
        (10**30, "too large"),
        (float("inf"), "too large"),
        (float("nan"), "must be a number"),
        ("nan", "finite"),
        (True, "expected a size like '4GiB', got true"),
        ([1], "got a list"),
        ("four", "expected a size"),
    ],
)
def test_parse_size_rejects(value: object, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_size(value)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30s", 30.0), ("5min", 300.0), ("1h", 3600.0), ("1d", 86400.0), ("250ms", 0.25), (30, 30.0)],
)
def test_parse_duration(text: object, expected: float) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("5m", "ambiguous unit 'm'"),
        ("5mins", "did you mean 'min'?"),
        ("-1s", "must not be negative"),
        ("11y", "use ms, s, min, h or d"),
        (MAX_SECONDS + 1, "too large"),
    ],
)
def test_parse_duration_rejects(value: object, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(value)
    assert message in str(info.value)


def test_parse_fraction() -> None:
    assert parse_fraction("75%") == 0.75
    assert parse_fraction(0.75) == 0.75
    assert parse_fraction(1) == 1.0
    with pytest.raises(ValueError, match="write '75%'"):
        parse_fraction(75)
    with pytest.raises(ValueError, match="between 0% and 100%"):
        parse_fraction("150%")
    with pytest.raises(ValueError, match="like '75%'"):
        parse_fraction("3 MiB")


def test_pages_and_mib() -> None:
    assert pages(PAGE_SIZE * 3 + 1) == 3
    assert mib(256) == 1.0


@given(st.integers(min_value=0, max_value=MAX_BYTES))
def test_size_round_trip(size: int) -> None:
    assert parse_size(format_size(size)) == size


@given(st.floats(min_value=0, max_value=MAX_SECONDS, allow_nan=False))
def test_duration_round_trip(seconds: float) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


@given(st.floats(min_value=0, max_value=1, allow_nan=False))
def test_fraction_round_trip(fraction: float) -> None:
    assert parse_fraction(format_fraction(fraction)) == fraction


@given(st.integers(min_value=0, max_value=2**20), st.sampled_from(["B", "KiB", "MiB", "GiB"]))
def test_written_sizes_parse_exactly(count: int, unit: str) -> None:
    factor = {"B": 1, "KiB": KIB, "MiB": MIB, "GiB": GIB}[unit]
    assert parse_size(f"{count} {unit}") == count * factor
    assert not math.isnan(parse_size(f"{count}{unit}"))


def test_format_examples() -> None:
    assert format_size(256 * MIB) == "256MiB"
    assert format_size(0) == "0MiB"
    assert format_duration(1800.0) == "30min"
    assert format_duration(12.5) == "12.5s"
    assert format_fraction(0.07) == "7%"
