"""Capacity search: how many VMs of a group fit before latency passes a bound?

The answer is the largest ``count`` of the group for which every run (every seed) keeps every
VM's latency under the bound. Latency is judged per VM as its mean over the run (the
``worst_mean_latency`` metric) or, with ``peak=True``, as the highest value recorded
(``peak_latency``). The search probes 1, 2, 4, … until a count fails or ``max_count`` is
reached, then bisects between the last count that passed and the first that failed; each
probe is a small sweep over the seeds. It assumes latency does not fall as VMs are added.
All probes share the same seeds, so counts are compared under the same random numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from memsim.scenario import ErrorItem, Scenario, ScenarioError, apply_overrides, load
from memsim.sweep.executors import connect
from memsim.sweep.grid import Axis, plan
from memsim.sweep.runner import execute

__all__ = ["Capacity", "capacity"]


@dataclass(frozen=True)
class Capacity:
    """The answer of a capacity search and its evidence.

    Attributes:
        vm: The VM group searched.
        count: Largest count that kept latency under the bound (0: not even one VM).
        bound: The latency bound, in %.
        metric: ``worst_mean_latency`` (per-VM mean) or ``peak_latency`` (highest recorded).
        capped: True if ``max_count`` itself passed: the true capacity may be higher.
        evidence: One row per probed count: count, runs, failed runs, worst and mean of the
            metric over seeds, passed.
    """

    vm: str
    count: int
    bound: float
    metric: str
    capped: bool
    evidence: pd.DataFrame


def capacity(
    scenario: Scenario | str | Path,
    vm: str,
    max_latency: float,
    *,
    seeds: int = 1,
    max_count: int = 64,
    peak: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    probed: Callable[[int, bool], None] | None = None,
) -> Capacity:
    """Find the largest count of a VM group that keeps every VM's latency under a bound.

    Args:
        scenario: The scenario or its file; ``vm`` must be a VM or group as written in it.
            Its ``sweep:`` block, if any, is ignored.
        vm: Name of the VM group whose ``count`` varies.
        max_latency: The bound, in % (5.0 for 5 %).
        seeds: Runs per probed count; all must pass.
        max_count: Largest count tried.
        peak: Judge the highest latency recorded instead of each VM's mean over the run.
        workers: Run probes on a local dask cluster of this many processes.
        scheduler: Run probes on the dask cluster at this address.
        client: Run probes on this connected ``distributed.Client``.
        probed: Called with (count, passed) after each probe.

    Raises:
        ScenarioError: If ``vm`` is not in the scenario or a count makes it invalid.
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    names = [machine.name for machine in scenario.vms]
    if vm not in names:
        message = f"no VM or group named '{vm}' in the scenario: {', '.join(names)}"
        raise ScenarioError([ErrorItem("--vm", 0, 0, "", message)])
    if scenario.sweep is not None:  # the search is its own sweep
        scenario = apply_overrides(scenario, {"sweep": None})
    metric = "peak_latency" if peak else "worst_mean_latency"
    results: dict[int, dict[str, Any]] = {}
    with connect(workers, scheduler, client=client) as executor:

        def passes(count: int) -> bool:
            sweep = plan(scenario, [Axis(f"vms.{vm}.count", (count,))], seeds=seeds)
            table = execute(sweep, None, executor=executor)
            results[count] = _evidence(count, table, metric, max_latency)
            if probed is not None:
                probed(count, results[count]["passed"])
            return bool(results[count]["passed"])

        good, bad = _search(passes, max_count)
    evidence = pd.DataFrame([results[c] for c in sorted(results)])
    return Capacity(vm, good, max_latency, metric, bad is None, evidence)


def _search(passes: Callable[[int], bool], max_count: int) -> tuple[int, int | None]:
    """Largest passing count in 1..max_count (0 if none) and the smallest failing one seen."""
    good, bad, count = 0, None, 1
    while count <= max_count:
        if not passes(count):
            bad = count
            break
        good = count
        count = max_count if count < max_count < 2 * count else 2 * count
    while bad is not None and bad - good > 1:
        middle = (good + bad) // 2
        good, bad = (middle, bad) if passes(middle) else (good, middle)
    return good, bad


def _evidence(count: int, table: pd.DataFrame, metric: str, bound: float) -> dict[str, Any]:
    ok = table[table["status"] == "ok"]
    failed = int((table["status"] != "ok").sum())
    worst = float(ok[metric].max()) if len(ok) else float("nan")
    passed = failed == 0 and len(ok) > 0 and worst < bound
    return {
        "count": count,
        "runs": len(table),
        "failed": failed,
        f"{metric}_max": worst,
        f"{metric}_mean": float(ok[metric].mean()) if len(ok) else float("nan"),
        "passed": passed,
    }
