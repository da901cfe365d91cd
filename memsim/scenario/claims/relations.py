"""Relation claims: counters compared with another VM, counter or time, and the equal-ρ rule.

Used by :mod:`memsim.scenario.claims.check` (syntax in :mod:`memsim.scenario.claims`):

* ``relative_to: REF`` / ``minus: REF`` in a condition turn the claim's values into ratios or
  differences to a reference (:func:`related`), before the usual ``approx``/``min``/``max`` tests;
* ``equal_rho: {vms: [...], tol: ...}`` checks that min-funding revocation with the idle memory
  tax left every named VM with the same A + k·I ([OSDI02] §5.4; :func:`evaluate_equal_rho`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from memsim.scenario.claims import Claim, Condition
from memsim.scenario.claims.conditions import EqualRho, Reference
from memsim.units import format_duration

__all__ = ["describe_relation", "equal_rho_results", "idle_tax_at", "related"]


def _numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce")


def _spell_ref(ref: Reference, claim: Claim, counter: str) -> str:
    vm = ref.vm or claim.target
    at = (
        ""
        if ref.at is None
        else f" at {ref.at if isinstance(ref.at, str) else format_duration(ref.at)}"
    )
    return f"{vm} {ref.counter or counter}{at}"


def describe_relation(claim: Claim, counter: str, condition: Condition) -> str:
    """``web-1 consumed / web-2 consumed`` for a relation, else ``web-1 consumed``."""
    subject = f"{claim.target} {counter}"
    if condition.relative_to is not None:
        return f"{subject} / {_spell_ref(condition.relative_to, claim, counter)}"
    if condition.minus is not None:
        return f"{subject} − {_spell_ref(condition.minus, claim, counter)}"
    return subject


def _frame(results: Any, vm: str | None) -> pd.DataFrame:
    if vm is None or vm == "host":
        return results.host
    return results.vms[results.vms["vm"] == vm]


def _at(frame: pd.DataFrame, at: float | str) -> pd.DataFrame:
    """The last record of ``frame`` at or before ``at`` (``end``: the last record)."""
    if frame.empty:
        return frame
    times = frame.index.to_numpy(dtype=float)
    t = float(times.max()) if at == "end" else float(at)
    before = times[times <= t + 1e-9]
    return frame[times == before.max()] if before.size else frame.iloc[:0]


def related(
    values: pd.Series, counter: str, condition: Condition, claim: Claim, results: Any
) -> tuple[pd.Series | None, str]:
    """The claim's values as ratios or differences to the condition's reference.

    Returns:
        The values to test (unchanged without a relation; None if the reference is missing)
        and a note for the detail column.
    """
    ref = condition.relative_to if condition.relative_to is not None else condition.minus
    if ref is None:
        return values, ""
    vm = ref.vm if ref.vm is not None else claim.vm
    frame = _frame(results, vm)
    name = ref.counter or counter
    if name not in frame.columns:
        return None, f"the results have no '{name}' for {vm or 'host'}"
    if ref.at is not None:
        rows = _at(frame, ref.at)
        if rows.empty:
            return None, "no reference record then"
        other = pd.Series(float(_numbers(rows[name]).iloc[-1]), index=values.index)
    else:
        other = _numbers(frame[name]).groupby(level=0).last().reindex(values.index)
    if other.isna().any():
        return None, "the reference has no records at the same times"
    mine = _numbers(values)
    if condition.relative_to is not None:
        if (other == 0).any():
            return None, "the reference is 0: no ratio"
        return mine / other, f"reference {float(other.iloc[-1]):g}"
    return mine - other, f"reference {float(other.iloc[-1]):g}"


def idle_tax_at(results: Any, t: float) -> float | None:
    """τ (a fraction) in effect at time ``t``: the scenario's setting, then its events."""
    scenario = getattr(results, "scenario", None)
    if scenario is None:
        return None
    tau = float(scenario.settings().get("Mem.IdleTax", 75))
    for event in sorted(scenario.events, key=lambda e: e.at):
        if event.at <= t + 1e-9:
            for key, value in event.set.items():
                if key.endswith("Mem.IdleTax"):
                    tau = float(value)
    return tau / 100.0


def equal_rho_results(
    claim: Claim,
    rule: EqualRho,
    results: Any,
    records: Callable[[Claim, Any], pd.DataFrame],
    when: str,
) -> tuple[str, float | None, bool, str]:
    """Check A + k·I agree across the rule's VMs at each record the claim picks.

    A is ``active`` (capped at the allocation), I = P − A with P the rule's allocation counter,
    k = 1/(1 − τ). Returns (claim text, worst spread in MiB, passed, detail).
    """
    text = f"{when}, equal ρ: A + k·I of {', '.join(rule.vms)} agree ± {rule.tol or '10%'}"
    columns = {}
    for vm in rule.vms:
        rows = records(claim.model_copy(update={"vm": vm, "equal_rho": None}), results)
        if rows.empty or "active" not in rows.columns or rule.allocation not in rows.columns:
            return text, None, False, f"no records of {vm} then"
        columns[vm] = rows[["active", rule.allocation]].groupby(level=0).last()
    worst: tuple[float, float, str] | None = None
    passed = True
    for t in columns[rule.vms[0]].index:
        if rule.k is not None:
            k = rule.k
        else:
            tau = idle_tax_at(results, float(t))
            if tau is None:
                return text, None, False, "give k: (the results carry no scenario)"
            k = 1.0 / (1.0 - tau)
        cost = []
        for vm in rule.vms:
            if t not in columns[vm].index:
                return text, None, False, f"no record of {vm} at {float(t):g}s"
            a, p = (float(v) for v in columns[vm].loc[t])
            a = min(a, p)
            cost.append(a + k * (p - a))
        gap = max(cost) - min(cost)
        mean = sum(cost) / len(cost)
        allowed = rule.tol.allows(mean) if rule.tol is not None else 0.10 * abs(mean)
        passed = passed and gap <= allowed + 1e-9
        if worst is None or gap - allowed > worst[0] - worst[1]:
            worst = (gap, allowed, f"k={k:g}: " + ", ".join(f"{c:.1f}" for c in cost) + " MiB")
    if worst is None:
        return text, None, False, "no records then"
    return text, worst[0], passed, f"{worst[2]}; spread allowed {worst[1]:g}"
