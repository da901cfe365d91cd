"""The generated table of published results (memsim/validation.py)."""

from __future__ import annotations

from memsim.validation import Row, swap_cache_pair, table


def test_the_ssd_swap_cache_beats_disk_and_the_row_says_by_how_much() -> None:
    """VALIDATION.md V7: the same swapping load runs faster with a host SSD swap cache."""
    (row,) = swap_cache_pair()
    ssd, disk = (float(x) for x in row.memsim.split(":")[0].split()[1::2])
    assert ssd > disk
    gain = ssd / disk - 1.0
    assert row.met == (0.195 <= gain <= 0.405)  # the shown figures are rounded
    assert row.not_met and f"{disk:.0%}" in row.not_met


def test_a_row_not_met_shows_its_reason() -> None:
    rows = [Row("V0", "a", "b", "c", False, "why"), Row("V0", "a", "b", "c", True)]
    text = table(rows)
    assert "**not met**: why" in text and text.rstrip().endswith("| yes |")
