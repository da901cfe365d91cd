"""Claims of a scenario's ``expect:`` block: what the results should show (DESIGN.md §4.1).

::

    expect:
      - at: 29min                       # or: at: end, or: during: [0s, 60min]
        vm: win-idle
        consumed: {approx: 179MiB, tol: 3%}
      - during: [0s, end]
        host: {state: {not: low}}
      - during: [10min, end]            # the mean over the window instead of every record
        mean: true
        vm: web-1
        throughput: {min: 0.9}
      - during: [10min, 20min]          # at some moment in the window
        any: true
        host: {state: soft}

A claim picks a time (the last record at or before ``at``) or a window, a VM or the host, and
one condition per counter: ``{approx: X, tol: T}`` (T a fraction, default 5 %, or a size),
``{min: X}``, ``{max: X}``, ``{not: V}``, ``{equals: V}``, or a bare value meaning equals.
Sizes compare in MiB; ``5%`` is 5 (the unit of ``latency``). Claims are checked by
:mod:`memsim.scenario.claims.check`.

Relations. A condition may compare a counter with another value instead of a constant:
``relative_to: REF`` tests the ratio counter / reference, ``minus: REF`` the difference
counter − reference. ``REF`` names what differs: ``vm`` (another VM; ``host`` for the host
table), ``counter`` (another counter) and ``at`` (another time, e.g. before an event); what it
does not name is the claim's own. In a window, each record is compared with the reference at the
same time (or with the one reference value when ``at`` is given)::

    - at: 55min
      vm: linux-dbench
      throughput: {relative_to: {at: 29min}, min: 1.3}    # 30 % more than before the change
    - at: end
      vm: web-2
      consumed: {minus: {vm: web-1}, approx: 0, tol: 5MiB}

The equal-ρ rule of min-funding revocation with the idle memory tax ([OSDI02] §5.4): every VM
not held by a bound has the same A + k·I, A its active memory, I = P − A its idle memory, P its
allocation (``consumed`` by default, or ``entitlement``), k = 1/(1 − τ) from ``Mem.IdleTax`` in
effect at that time (or ``k:`` given)::

    - at: 55min
      equal_rho: {vms: [win-idle, linux-dbench], tol: 10%}   # also: k: 4, allocation: entitlement

It holds when the largest and smallest A + k·I differ by at most ``tol`` (a fraction of their
mean, default 10 %, or a size).
"""

from memsim.scenario.claims.claim import Claim
from memsim.scenario.claims.conditions import (
    HOST_COUNTERS,
    VM_COUNTERS,
    Condition,
    EqualRho,
    Reference,
    Tolerance,
)

__all__ = [
    "HOST_COUNTERS", "VM_COUNTERS", "Claim", "Condition", "EqualRho", "Reference", "Tolerance",
]  # fmt: skip
