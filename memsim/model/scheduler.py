"""The memory scheduler: entitlements, then reclamation targets by free-memory state.

Every ``Mem.BalancePeriod`` and at once when free memory crosses a threshold (docs/model.md §1, §6):

1. each powered-on VM's entitlement by min-funding revocation with the idle memory tax
   (:mod:`memsim.model.entitlement`), dividing managed − overheads − the free target
   (:meth:`Host.free_target`, the one definition reclamation follows too: the threshold at
   which the host climbs out of soft — minFree, not ``esxi6``'s 400 % high threshold); what
   the host took from a VM it regains only at its sampled activity;
2. reclamation targets from consumed − entitlement and from limits, split by state:

   ===========  ===========================================================================
   high, clear  no reclamation, except a VM above its limit (balloon, then swap); balloons
                deflate only as far as the entitlement allows
   soft         balloon toward the entitlement (starting ``Memsim.BalloonMargin`` above the
                soft threshold); swap only what the balloon cannot take (no Tools, at its
                maximum, driver stuck)
   hard, low    compress and swap the whole excess now; ballooning continues where the
                profile says so (``Memsim.BalloonInHard``)
   ===========  ===========================================================================

A VM whose guest wants more than its limit is ballooned so that the guest sees no more than its
limit, whatever the state (:func:`memsim.model.limits.limit_balloon`). Memory within the touched
reservation is never reclaimed: the entitlement never falls below it, and balloon and swap
targets stop at :meth:`Host.reclaimable`.

:func:`schedule` is pure: it reads the host and the drivers and returns its decisions; the
engine applies them. Between two runs, :func:`follow_growth` keeps the swap goal of a VM that
grows in line with its consumption every step, so a growing VM is reclaimed as it grows rather
than once per ``Mem.BalancePeriod``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from memsim.model.arrays import Index, Vec
from memsim.model.entitlement import entitlement
from memsim.model.host import Host
from memsim.model.limits import limit_balloon
from memsim.model.pages import PageState
from memsim.model.reclaim.balloon import Balloons
from memsim.model.states import MemState


@dataclass
class Targets:
    """What the scheduler decided, per VM (pages)."""

    entitlement: Vec  #: allocation under min-funding revocation (SZTGT)
    balloon: Index  #: balloon size to aim for (MCTLTGT)
    swap: Index  #: pages to take by compression and swapping now


def schedule(
    host: Host,
    balloons: Balloons,
    active_fraction: Vec,
    demand: Index,
    settings: dict[str, float],
) -> Targets:
    """Entitlements and reclamation targets for the host's current state.

    Args:
        host: the host (state, consumption, thresholds).
        balloons: the balloon drivers (current sizes, maxima, stuck flags).
        active_fraction: estimated active fraction of each VM (sampled).
        demand: pages each VM wants (its workload's footprint target).
        settings: resolved advanced settings.
    """
    vms, on = host.vms, host.on
    consumed = host.consumed()
    ent = _entitlements(host, active_fraction, demand, settings)

    state = host.state
    b = balloons.size
    excess = np.where(on, consumed - ent, 0.0)
    over_limit = np.where(on, host.limited_use() - vms.limit, 0.0)
    if not host.balloon_pressure(settings["Memsim.BalloonMargin"]):
        want_b = b + np.minimum(excess, 0.0)
    elif state >= MemState.HARD and not settings["Memsim.BalloonInHard"]:
        want_b = b.astype(float)
    else:
        want_b = b + excess
    want_b = np.maximum(want_b, b + over_limit)
    room = host.reclaimable()
    want_b = np.minimum(want_b, b + room)
    # the limit balloon takes free guest memory first; its maximum keeps out of the reservation
    want_b = np.maximum(want_b, limit_balloon(vms.size, vms.limit, demand))
    balloon = np.clip(np.round(want_b), 0, balloons.maximum).astype(np.int64)
    balloon = np.where(on, balloon, 0)

    can_take = np.where(balloons.stuck | ~balloons.tools, 0, balloon - b)
    if state >= MemState.HARD:
        swap = np.maximum(excess, over_limit)
    else:
        swap = np.where(state == MemState.SOFT, excess, 0.0)
        swap = np.maximum(swap, over_limit) - np.maximum(can_take, 0)
    swap = np.minimum(swap, room - np.maximum(balloon - b, 0))
    swap = np.where(on, np.maximum(np.floor(swap), 0), 0).astype(np.int64)
    return Targets(ent, balloon, swap)


def _entitlements(
    host: Host, active_fraction: Vec, demand: Index, settings: dict[str, float]
) -> Vec:
    """Each VM's entitlement in pages (powered-off VMs: their size).

    A VM is entitled to no more than its limit, its size and what its guest wants (the larger
    of its touched pages and its workload's demand). What the host took from it (its balloon,
    its compressed and swapped pages) it regains only as far as the host sees it active: the
    bound is then at most what it consumes plus room at its sampled activity; memory it has
    never had (a guest still growing) it is entitled to as its guest asks (docs/model.md §6).
    The touched reservation is the floor.
    """
    vms, on = host.vms, host.on
    lower = host.protected().astype(float)
    wants = np.minimum(np.minimum(vms.limit, vms.size), np.maximum(host.touched(), demand))
    taken = vms.size - host.gm.count(PageState.UNTOUCHED) - host.granted()
    seen = np.maximum(host.consumed() + active_fraction * vms.size, wants - taken)
    upper = np.maximum(np.minimum(wants, seen), lower)
    available = host.managed - float(host.overhead().sum() + host.pending.sum())
    available -= host.free_target()
    ent = np.zeros(vms.n)
    idx = np.flatnonzero(on)
    ent[idx] = entitlement(
        vms.shares[idx],
        active_fraction[idx] * vms.size[idx],
        lower[idx],
        upper[idx],
        max(available, 0.0),
        settings["Mem.IdleTax"] / 100.0,
    )
    return np.where(on, ent, vms.size.astype(float))


def follow_growth(host: Host, balloons: Balloons, goal: Index) -> Index:
    """The swap goal of this step: what each VM now consumes above its entitlement, where the
    host compresses and swaps it (hard and low; in soft, VMs whose balloon cannot take it).

    The scheduler fixed the goal when it last ran; a VM that has grown since holds more, and
    the goal follows it at once (never into the touched reservation). Pages reclaimed since
    lowered its consumption as they lowered the goal, so the larger of the two stands.
    """
    state = host.state
    if state < MemState.SOFT:
        return goal
    unable = balloons.stuck | ~balloons.tools
    swapping = host.on & ((state >= MemState.HARD) | unable)
    excess = np.minimum(host.consumed() - host.entitlement, host.reclaimable())
    now = np.where(swapping, np.floor(np.maximum(excess, 0)), 0).astype(np.int64)
    return np.maximum(goal, now)
