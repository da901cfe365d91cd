"""Regenerate the README's scenario-gallery figures: ``python docs/gallery/make.py``.

Each figure is one of memsim's standard plots of a walk-through scenario, saved small (PNG,
under 100 KB) so the README stays light.
"""

from __future__ import annotations

from pathlib import Path

import memsim

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent

FIGURES = {
    # file name: (scenario, how to plot its results)
    "overcommit-50.png": ("overcommit-50", lambda r: r.plot.reclamation()),
    "ballooning-in-soft.png": ("walkthrough-ballooning-in-soft", lambda r: r.plot.host_memory()),
    "compression-and-swap-in-hard.png": (
        "walkthrough-compression-and-swap-in-hard",
        lambda r: r.plot.vms(),
    ),
    "limit-on-idle-host.png": (
        "walkthrough-limit-on-idle-host",
        lambda r: r.plot.vms(["limited", "neighbour"]),
    ),
    "large-pages.png": ("walkthrough-large-pages", lambda r: r.plot.sharing()),
}


def main() -> None:
    """Run each scenario once and write its figure next to this file."""
    for name, (scenario, plot) in FIGURES.items():
        results = memsim.run(ROOT / "scenarios" / f"{scenario}.yaml")
        figure = plot(results)
        figure.savefig(OUT / name, dpi=64, bbox_inches="tight")
        print(f"{name}: {(OUT / name).stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
