"""Small, fast scenarios for the sweep tests: a 1 GiB host, two or three small VMs, 5 min.

Tests write it through the ``write_small_scenario`` fixture (``tests/conftest.py``).
"""

from __future__ import annotations

from pathlib import Path

SMALL = """\
name: small
duration: 5min
seed: 7
step: 1s
record_every: 30s
host:
  memory: 1GiB
  vmkernel: 200MiB
  profile: esxi5
vms:
  - name: web
    count: 1
    memory: 256MiB
    workload: {footprint: 200MiB, active: 100MiB}
  - name: db
    memory: 384MiB
    guest: linux
    workload: {boot: lazy, footprint: 300MiB, active: 250MiB}
"""


def write_scenario(folder: Path, sweep: str = "", name: str = "small.yaml") -> Path:
    """Write the small scenario (with an optional ``sweep:`` block) and return its path."""
    path = folder / name
    path.write_text(SMALL + sweep, encoding="utf-8")
    return path
