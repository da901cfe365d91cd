"""Units at the edge of memsim: sizes, durations and fractions as people write them.

Scenario files say ``4GiB``, ``30min`` or ``75%``; the simulator counts 4 KiB pages and
seconds. This module converts between the two and nothing else.

* Sizes take ``B``, ``KiB``, ``MiB``, ``GiB``, ``TiB``; ``KB``, ``MB``, ``GB``, ``TB`` mean the
  same binary units, as in the vSphere client. A bare number is MiB, the unit of every vSphere
  memory setting (``sched.mem.max``, ``sched.mem.maxmemctl``). Units are case-insensitive.
* Durations take ``ms``, ``s``, ``min``, ``h``, ``d``; a bare number is seconds.
* Fractions take ``"75%"`` or ``0.75`` and lie in [0, 1].

Every parser raises :class:`ValueError` with a message that says what is allowed, so the
scenario loader can show it next to the offending line.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from fractions import Fraction

__all__ = [
    "GIB",
    "KIB",
    "MAX_BYTES",
    "MAX_SECONDS",
    "MIB",
    "PAGE_MIB",
    "PAGE_SIZE",
    "PIB",
    "TIB",
    "describe",
    "format_duration",
    "format_fraction",
    "format_size",
    "mib",
    "pages",
    "parse_duration",
    "parse_fraction",
    "parse_size",
]

PAGE_SIZE = 4096
KIB = 1 << 10
MIB = 1 << 20
GIB = 1 << 30
TIB = 1 << 40
PIB = 1 << 50
PAGE_MIB = PAGE_SIZE / MIB
"""MiB in one 4 KiB page: counters in pages times this are MiB."""

MAX_BYTES = PIB
"""Largest size accepted anywhere: far above any ESXi host (24 TiB in vSphere 8)."""
MAX_SECONDS = 10 * 365 * 86400
"""Longest duration accepted: ten years of simulated time."""

_SIZE_UNITS = {"b": 1, "kib": KIB, "mib": MIB, "gib": GIB, "tib": TIB}
_SIZE_UNITS |= {"kb": KIB, "mb": MIB, "gb": GIB, "tb": TIB, "pib": PIB, "pb": PIB}
_SIZE_NAMES = {KIB: "KiB", MIB: "MiB", GIB: "GiB", TIB: "TiB"}
_SIZE_HELP = "use B, KiB, MiB, GiB or TiB (KB, MB, GB, TB mean the same), or a bare number of MiB"

_DURATION_UNITS = {
    "ms": Fraction(1, 1000),
    "s": Fraction(1),
    "min": Fraction(60),
    "h": Fraction(3600),
    "d": Fraction(86400),
}
_DURATION_HELP = "use ms, s, min, h or d, or a bare number of seconds"

_MAX_EXPONENT_DIGITS = 4
"""Most digits of a written number's decimal exponent (``1e9999``)."""
_MAX_TEXT = 200
"""Longest text of one quantity."""
_MAX_BITS = 128
"""Largest integer (in bits) accepted as a quantity; larger ones are refused unconverted."""

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_QUANTITY = re.compile(rf"^\s*(?P<number>{_NUMBER})\s*(?P<unit>[^\d\s.+-][^\s]*)?\s*$")


def describe(value: object) -> str:
    """Name a value for an error message: its YAML spelling for scalars, its kind otherwise.

    Examples:
        >>> describe(True), describe("4 GiBs"), describe([1])
        ('true', "'4 GiBs'", 'a list')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str | int | float):
        return repr(value) if isinstance(value, str) else str(value)
    return f"a {type(value).__name__}"


def _split(value: object, what: str, example: str) -> tuple[Fraction, str]:
    """Split a scalar into an exact number and a unit, checking it is finite.

    Args:
        value: A number or a string such as ``"4 GiB"``.
        what: The kind of quantity, for messages ("size", "duration").
        example: An example of a correct value, for messages.

    Returns:
        The number as an exact fraction and the unit ("" when absent).

    Raises:
        ValueError: If the value is not a number with an optional unit, or is NaN or infinite.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"expected a {what} like {example!r}, got {describe(value)}")
    if isinstance(value, float) and math.isinf(value):
        raise ValueError(f"{what} is too large (the number overflows), got {value}")
    if isinstance(value, float) and math.isnan(value):
        raise ValueError(f"{what} must be a number, got NaN")
    if isinstance(value, int) and value.bit_length() > _MAX_BITS:
        raise ValueError(f"{what} is too large (a number of {value.bit_length()} bits)")
    if not isinstance(value, str):
        return Fraction(value), ""
    if len(value) > _MAX_TEXT:
        raise ValueError(f"expected a {what} like {example!r}, got {len(value)} characters")
    match = _QUANTITY.match(value)
    if match is None:
        if value.strip().lower().lstrip("+-") in {"nan", "inf", "infinity", ".nan", ".inf"}:
            raise ValueError(f"{what} must be a finite number, got {value!r}")
        raise ValueError(f"expected a {what} like {example!r}, got {value!r}")
    _check_magnitude(match["number"], what)
    return Fraction(match["number"]), match["unit"] or ""


def _check_magnitude(number: str, what: str) -> None:
    """Refuse a written number with an absurd exponent, before building it exactly.

    ``1e7000000`` would make an exact fraction of seven million digits; an exponent of at most
    four digits keeps the fraction small, and the range check that follows refuses it.
    """
    exponent = number.lower().partition("e")[2].lstrip("+-")
    if len(exponent.lstrip("0")) > _MAX_EXPONENT_DIGITS:
        raise ValueError(f"{what} {number!r} is out of range (exponent too large)")


def _unknown_unit(unit: str, value: str, units: Iterable[str], what: str, hint: str) -> str:
    """Build the message for an unknown unit, with a close match when there is one."""
    close = difflib.get_close_matches(unit.lower(), list(units), n=1, cutoff=0.6)
    suggestion = f"; did you mean '{_canonical(close[0])}'?" if close else ""
    return f"unknown {what} unit {unit!r} in {value!r}{suggestion} ({hint})"


def _canonical(unit: str) -> str:
    """Spell a lower-case unit the way the documentation does."""
    return {"b": "B", "kib": "KiB", "mib": "MiB", "gib": "GiB", "tib": "TiB"}.get(
        unit, unit.upper() if unit.endswith("b") else unit
    )


def _check_range(amount: Fraction, value: object, what: str, limit: Fraction, shown: str) -> None:
    """Reject negative and absurdly large quantities."""
    if amount < 0:
        raise ValueError(f"{what} must not be negative, got {describe(value)}")
    if amount > limit:
        raise ValueError(f"{what} {describe(value)} is too large (at most {shown})")


def parse_size(value: object) -> int:
    """Parse a memory size into bytes.

    Args:
        value: ``"4GiB"``, ``"512 MiB"``, ``"1.5GB"`` (binary), ``"100B"``, or a number of MiB.

    Returns:
        The size in bytes, rounded to the nearest byte.

    Raises:
        ValueError: For a bad unit, a negative, non-finite or larger-than-1-PiB size.

    Examples:
        >>> parse_size("4GiB"), parse_size(256), parse_size("1.5 GB")
        (4294967296, 268435456, 1610612736)
    """
    number, unit = _split(value, "size", "4GiB")
    if unit and unit.lower() not in _SIZE_UNITS:
        raise ValueError(_unknown_unit(unit, str(value), _SIZE_UNITS, "size", _SIZE_HELP))
    amount = number * _SIZE_UNITS[unit.lower() or "mib"]
    _check_range(amount, value, "size", Fraction(MAX_BYTES), "1 PiB")
    return round(amount)


def parse_duration(value: object) -> float:
    """Parse a duration into seconds.

    Args:
        value: ``"30s"``, ``"5min"``, ``"1h"``, ``"1d"``, ``"250ms"``, or a number of seconds.

    Returns:
        The duration in seconds.

    Raises:
        ValueError: For a bad unit, a negative, non-finite or longer-than-ten-years duration.

    Examples:
        >>> parse_duration("5min"), parse_duration(30), parse_duration("250ms")
        (300.0, 30.0, 0.25)
    """
    number, unit = _split(value, "duration", "30min")
    unit = unit.lower()
    if unit == "m":
        raise ValueError(f"ambiguous unit 'm' in {value!r}: write 'min' for minutes or 'ms'")
    if unit and unit not in _DURATION_UNITS:
        raise ValueError(
            _unknown_unit(unit, str(value), _DURATION_UNITS, "duration", _DURATION_HELP)
        )
    amount = number * _DURATION_UNITS[unit or "s"]
    _check_range(amount, value, "duration", Fraction(MAX_SECONDS), "10 years")
    return float(amount)


def parse_fraction(value: object) -> float:
    """Parse a fraction in [0, 1] written as a percentage or a plain number.

    Args:
        value: ``"75%"`` or ``0.75``.

    Returns:
        The fraction as a float.

    Raises:
        ValueError: If the value is not a number or percentage, or lies outside [0, 1].
    """
    number, unit = _split(value, "fraction", "75%")
    if unit not in {"", "%"}:
        raise ValueError(f"expected a fraction like '75%' or 0.75, got {value!r}")
    if unit == "%":
        number /= 100
    elif number > 1:
        raise ValueError(
            f"{describe(value)} is not a fraction between 0 and 1; write '{value}%' "
            f"for a percentage"
        )
    if not 0 <= number <= 1:
        raise ValueError(f"fraction must lie between 0% and 100%, got {describe(value)}")
    return float(number)


def pages(size: float) -> int:
    """Number of whole 4 KiB pages in ``size`` bytes (rounded down): the one rounding of a
    size to pages, everywhere."""
    return int(size // PAGE_SIZE)


def mib(page_count: float) -> float:
    """Convert a number of 4 KiB pages into MiB."""
    return page_count * PAGE_SIZE / MIB


def format_size(size: int) -> str:
    """Spell a size in bytes with the largest binary unit that divides it exactly.

    The result parses back to the same number of bytes: ``parse_size(format_size(b)) == b``.

    Examples:
        >>> format_size(256 * MIB), format_size(1536 * MIB), format_size(1000)
        ('256MiB', '1536MiB', '1000B')
    """
    for factor in (TIB, GIB, MIB, KIB):
        if size % factor == 0 and (size or factor == MIB):
            return f"{size // factor}{_SIZE_NAMES[factor]}"
    return f"{size}B"


def format_duration(seconds: float) -> str:
    """Spell a duration with the largest unit that divides it exactly.

    The result parses back to the same float: ``parse_duration(format_duration(s)) == s``.

    Examples:
        >>> format_duration(1800.0), format_duration(0.25), format_duration(12.5)
        ('30min', '250ms', '12.5s')
    """
    units = ("d", "h", "min", "s") if seconds >= 1 else ("ms", "s")
    for unit in units:
        count = Fraction(seconds) / _DURATION_UNITS[unit]
        if count.denominator == 1 and (count or unit == "s"):
            return f"{count.numerator}{unit}"
    return f"{seconds!r}s"


def format_fraction(fraction: float) -> str:
    """Spell a fraction as the shortest percentage that parses back to the same float.

    Examples:
        >>> format_fraction(0.75), format_fraction(0.07)
        ('75%', '7%')
    """
    for digits in range(17):
        text = f"{fraction * 100:.{digits}f}"
        text = (text.rstrip("0").rstrip(".") if "." in text else text) + "%"
        if parse_fraction(text) == fraction:
            return text
    return repr(fraction)
