"""Active-memory estimation by statistical sampling ([OSDI02] §5.3, docs/model.md §6).

Every ``Mem.SamplePeriod`` ESX watches n = ``Memsim.SampleSize`` (100) random pages of each VM
and takes f = touched / n. Since a uniformly random page is in the working set with probability
active/configured, the count of touched samples is Binomial(n, active/configured); memsim draws
it directly, which is exactly the sampling distribution (standard deviation √(f(1 − f)/n)).

Two exponentially weighted moving averages are kept, a fast and a slow one; the estimate is their
maximum, so it follows increases quickly and decreases slowly. (ESX also keeps a fast average
that includes the running period's samples, esxtop's %ACTVN; memsim samples once per period, so
it would equal the fast one and is not kept.) Gains are ``Memsim.ActiveFastGain`` and
``Memsim.ActiveSlowGain`` (model choice: not published; defaults reach a step up within two
periods and decay over several minutes, VALIDATION.md V5).

At power-on the averages start from ``Memsim.ActiveAtPowerOn`` (model choice, 0 %: the value
ESX starts from is not published, and a VM that has just powered on has touched nothing yet; a
start near 100 % would make an idle VM look fully active for minutes and, under the idle memory
tax, hand it memory it does not use). Boot zeroing counts as touching the pages it writes
(:meth:`memsim.model.guest.Guests.touched_since_sample`), so a guest that zeroes its memory at
boot is sampled as fully active while it does: the boot spike of [OSDI02] Fig. 7 comes from the
workload, not from the start value (docs/model.md §6).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from memsim.model.arrays import Vec


class ActivityEstimator:
    """Per-VM sampled estimate of the active fraction f.

    Args:
        n_vms: number of VMs.
        samples: pages sampled per VM per period.
        fast_gain: weight of a new period in the fast average.
        slow_gain: weight of a new period in the slow average.
    """

    def __init__(self, n_vms: int, samples: int, fast_gain: float, slow_gain: float) -> None:
        self.samples = samples
        self.fast_gain = fast_gain
        self.slow_gain = slow_gain
        self.start = 0.0  #: the averages' value at power-on (``Memsim.ActiveAtPowerOn`` / 100)
        self.fast = np.ones(n_vms)
        self.slow = np.ones(n_vms)
        self.last = np.ones(n_vms)  #: the last period's raw sample f

    def reset(self, vms: NDArray[np.int64]) -> None:
        """VMs powering on start from :attr:`start`; their samples then raise the estimate."""
        for arr in (self.fast, self.slow, self.last):
            arr[vms] = self.start

    def start_at(self, vms: NDArray[np.int64], fraction: Vec) -> None:
        """Warm start: the averages of ``vms`` begin at a captured active ``fraction``."""
        for arr in (self.fast, self.slow, self.last):
            arr[vms] = fraction

    def sample(self, true_fraction: Vec, rng: np.random.Generator) -> Vec:
        """Close a sampling period: draw f and update the averages.

        Args:
            true_fraction: the working set's share of configured memory in the period.
            rng: the run's generator.

        Returns:
            The period's sampled fractions.
        """
        p = np.clip(true_fraction, 0.0, 1.0)
        f = rng.binomial(self.samples, p) / self.samples
        self.last = f
        self.fast += self.fast_gain * (f - self.fast)
        self.slow += self.slow_gain * (f - self.slow)
        return f

    @property
    def estimate(self) -> Vec:
        """Active fraction used for the idle memory tax: max of the averages."""
        return np.maximum(self.fast, self.slow)
