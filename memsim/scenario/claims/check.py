"""Checking a scenario's ``expect:`` claims against the results of a run.

Each claim (:class:`memsim.scenario.Claim`) picks records — the last one at or before ``at``
(``end``: the last record), or all records in a ``during`` window — from ``results.vms`` (rows of
one VM) or ``results.host``, and tests one counter per condition. Every test gives one
:class:`ClaimResult`. Sizes are in MiB on both sides.

To add a kind of test, add a function to :data:`TESTS`; to add a kind of claim, add a
branch to :func:`evaluate_claim`.

Relations (``relative_to``, ``minus``) turn the counter's values into ratios or differences to a
reference before the tests run; ``equal_rho`` claims check the idle-memory-tax rule. Both are
computed in :mod:`memsim.scenario.claims.relations`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Protocol

import pandas as pd

from memsim.results.summary import state_timeline
from memsim.scenario.claims import Claim, Condition
from memsim.scenario.claims.relations import describe_relation, equal_rho_results, related
from memsim.units import format_duration

__all__ = ["TESTS", "ClaimResult", "ResultsLike", "evaluate", "evaluate_claim", "unit"]


class ResultsLike(Protocol):
    """What claims are checked against: the two counter tables of :class:`Results`."""

    @property
    def vms(self) -> pd.DataFrame:
        """Per-VM counters indexed by time, with a ``vm`` column."""
        ...

    @property
    def host(self) -> pd.DataFrame:
        """Host counters indexed by time."""
        ...


@dataclass(frozen=True)
class ClaimResult:
    """The outcome of one test of one claim.

    Attributes:
        claim: The claim in words, e.g. ``at 29min, win-idle consumed ≈ 179 ± 3%``.
        measured: What the results show (the worst value in a window), or None if nothing.
        passed: Whether the test holds.
        detail: Why not, or what was compared.
        not_met: The scenario's reason why the model does not reach this result, if any.
    """

    claim: str
    measured: float | str | None
    passed: bool
    detail: str = ""
    not_met: str | None = None


Outcome = tuple[Any, bool, str]
"""What a test returns: the value to show, whether it passed, a detail."""


def _numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce")


def _approx(values: pd.Series, condition: Condition) -> Outcome:
    expected = float(condition.approx or 0.0)
    tolerance = condition.tol.allows(expected) if condition.tol else abs(expected) * 0.05
    miss = (_numbers(values) - expected).abs()
    worst = values.iloc[int(miss.to_numpy().argmax())]
    return worst, bool((miss <= tolerance + 1e-9).all()), f"within ±{tolerance:.4g}"


def _bound(which: str) -> Callable[[pd.Series, Condition], Outcome]:
    def test(values: pd.Series, condition: Condition) -> Outcome:
        limit = float(getattr(condition, which))
        numbers = _numbers(values)
        worst = numbers.min() if which == "min" else numbers.max()
        passed = worst >= limit - 1e-9 if which == "min" else worst <= limit + 1e-9
        side = "lowest" if which == "min" else "highest"
        return float(worst), bool(passed), f"{side} of {len(values)} record(s)"

    return test


def _same(value: Any, expected: Any) -> bool:
    if isinstance(expected, float):
        return bool(pd.notna(pd.to_numeric(value, errors="coerce")) and float(value) == expected)
    return str(value) == str(expected)


def _not(values: pd.Series, condition: Condition) -> Outcome:
    hits = [v for v in values if _same(v, condition.not_)]
    shown = hits[0] if hits else ", ".join(sorted({str(v) for v in values}))
    return shown, not hits, f"{len(hits)} of {len(values)} records are {condition.not_}"


def _equals(values: pd.Series, condition: Condition) -> Outcome:
    misses = [v for v in values if not _same(v, condition.equals)]
    shown = misses[0] if misses else values.iloc[-1]
    return shown, not misses, f"{len(misses)} of {len(values)} records differ"


TESTS: dict[str, Callable[[pd.Series, Condition], Outcome]] = {
    "approx": _approx,
    "min": _bound("min"),
    "max": _bound("max"),
    "not": _not,
    "equals": _equals,
}
"""Tests by the condition keyword that selects them."""

_SYMBOLS = {"approx": "≈", "min": "≥", "max": "≤", "not": "≠", "equals": "="}


def unit(counter: str) -> str:
    """The unit a counter is recorded in (DESIGN.md §4.2), for messages."""
    if counter in ("latency",):
        return "%"
    if counter in ("state", "throughput"):
        return ""
    return "MiB/s" if counter.endswith("Rate") else "MiB"


def _when(claim: Claim) -> str:
    def spell(t: float | str) -> str:
        return t if isinstance(t, str) else format_duration(t)

    if claim.during is not None:
        mean = "mean " if claim.mean else "at some moment " if claim.any else ""
        return f"{mean}during {spell(claim.during[0])}–{spell(claim.during[1])}"
    return f"at {spell(claim.at if claim.at is not None else 'end')}"


def _describe(claim: Claim, counter: str, test: str, condition: Condition) -> str:
    value = condition.tests()[test]
    shown = f"{value:g}{unit(counter)}" if isinstance(value, float) else str(value)
    tolerance = f" ± {condition.tol or '5%'}" if test == "approx" else ""
    if condition.relative_to is not None or condition.minus is not None:
        relation = describe_relation(claim, counter, condition)
        if condition.relative_to is not None and isinstance(value, float):
            shown = f"{value:g}"
        return f"{_when(claim)}, {relation} {_SYMBOLS[test]} {shown}{tolerance}"
    return f"{_when(claim)}, {claim.target} {counter} {_SYMBOLS[test]} {shown}{tolerance}"


def _records(claim: Claim, results: ResultsLike, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """The rows a claim is about: one VM's or the host's, at a time or in a window."""
    if frame is None:
        frame = results.host if claim.vm is None else results.vms[results.vms["vm"] == claim.vm]
    if frame.empty:
        return frame
    times = frame.index.to_numpy(dtype=float)
    end = float(times.max())

    def seconds(t: float | str) -> float:
        return end if t == "end" else float(t)

    if claim.during is not None:
        start, stop = (seconds(t) for t in claim.during)
        return frame[(times >= start - 1e-9) & (times <= stop + 1e-9)]
    at = seconds(claim.at if claim.at is not None else "end")
    before = times[times <= at + 1e-9]
    return frame[times == before.max()] if before.size else frame.iloc[:0]


def evaluate_claim(claim: Claim, results: ResultsLike) -> list[ClaimResult]:
    """Check one claim: one result per counter and test.

    Args:
        claim: The claim.
        results: The run's results.

    Returns:
        One :class:`ClaimResult` per test; a test whose records or column are missing fails
        and says why.
    """
    if claim.equal_rho is not None:
        text, gap, passed, detail = equal_rho_results(
            claim, claim.equal_rho, results, _records, _when(claim)
        )
        return [ClaimResult(text, gap, passed, detail)]
    records = _records(claim, results)
    out = []
    for counter, condition in claim.conditions.items():
        rows = records
        if claim.vm is None and counter == "state":
            # every state change is in the event log: a dip between samples counts too
            timeline = state_timeline(results.host, getattr(results, "events", None))
            if timeline is not None:
                rows = _records(claim, results, timeline.to_frame("state"))
        for test in condition.tests():
            text = _describe(claim, counter, test, condition)
            if counter not in rows.columns:
                out.append(ClaimResult(text, None, False, f"the results have no '{counter}'"))
            elif rows.empty:
                out.append(ClaimResult(text, None, False, f"no records of {claim.target} then"))
            else:
                values, note = related(rows[counter], counter, condition, claim, results)
                if values is None:
                    out.append(ClaimResult(text, None, False, note))
                    continue
                if claim.mean:
                    numbers = _numbers(values)
                    note = f"mean of {len(numbers)} record(s)" + (f"; {note}" if note else "")
                    values = pd.Series([numbers.mean()])
                if claim.any:
                    measured, passed, detail = _any_record(values, TESTS[test], condition)
                else:
                    measured, passed, detail = TESTS[test](values, condition)
                detail = f"{detail}; {note}" if note else detail
                out.append(ClaimResult(text, _plain(measured), passed, detail))
    return out


def _any_record(values: pd.Series, test: Any, condition: Condition) -> Outcome:
    """Pass when some record passes: the first that does, else the last record's outcome."""
    outcomes = [test(values.iloc[[i]], condition) for i in range(len(values))]
    passing = [o for o in outcomes if o[1]]
    chosen = passing[0] if passing else outcomes[-1]
    return chosen[0], bool(passing), f"{len(passing)} of {len(outcomes)} record(s) pass"


def _plain(value: Any) -> float | str:
    """A measured value as a float or a string (not a numpy scalar)."""
    number = pd.to_numeric(value, errors="coerce")
    return str(value) if pd.isna(number) else float(number)


def evaluate(claims: Iterable[Claim], results: ResultsLike) -> list[ClaimResult]:
    """Check claims against results; see :func:`evaluate_claim`."""
    return [
        replace(result, not_met=claim.not_met)
        for claim in claims
        for result in evaluate_claim(claim, results)
    ]
