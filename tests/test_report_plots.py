"""Figure content: axes labels, series and state bands present (not pixels)."""

from itertools import pairwise

import matplotlib
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from memsim.report import plots
from memsim.report.style import COLORS, STATE_COLORS, TimeScale, state_runs
from tests.support.synthetic_results import make_results

THRESHOLDS = tuple(f"threshold_{s}" for s in ("high", "clear", "soft", "hard", "low"))


def _labels(ax) -> set[str]:
    return {line.get_label() for line in ax.get_lines()} | {c.get_label() for c in ax.collections}


def _band_colors(ax) -> set[str]:
    return {to_hex(p.get_facecolor()) for p in ax.patches} & {
        to_hex(c) for c in STATE_COLORS.values()
    }


def _legend_texts(ax: Axes) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None
    return [t.get_text() for t in legend.get_texts()]


def _texts(fig: Figure) -> str:
    return " ".join(t.get_text() for ax in fig.axes for t in ax.texts)


def test_no_pyplot_state() -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    fig = plots.host_memory(make_results(2))
    assert isinstance(fig, Figure) and plt.get_fignums() == before
    assert matplotlib.get_backend()  # any backend works; nothing switched


def test_host_memory_content() -> None:
    fig = plots.host_memory(make_results(2))
    top, bottom = fig.axes[:2]
    assert top.get_ylabel() == "host memory (MiB)"
    assert bottom.get_xlabel() == "time (min)"
    legend = set(_legend_texts(top))
    assert {"VM private", "shared frames", "compression cache", "overhead", "free"} <= legend
    assert "managed" in legend
    assert (
        _band_colors(top)
        == _band_colors(bottom)
        == {to_hex(STATE_COLORS[s]) for s in ("clear", "soft", "hard", "low")}
    )
    assert len(bottom.get_lines()) == 1 + 5  # free and five thresholds
    assert {"high", "clear", "soft", "hard", "low"} <= {t.get_text() for t in bottom.texts}
    figure_legend = {t.get_text() for t in fig.legends[0].get_texts()}
    assert "state: low" in figure_legend


def test_reclamation_content() -> None:
    fig = plots.reclamation(make_results(2))
    sizes, swap, compression, cow = fig.axes[:4]
    assert {"balloon", "balloon target", "swapped", "compressed"} <= _labels(sizes)
    assert {"swap in", "swap out"} <= _labels(swap)
    assert {"compression", "decompression"} <= _labels(compression)
    assert _labels(cow) >= {"COW breaks"}
    balloon = next(line for line in sizes.get_lines() if line.get_label() == "balloon")
    assert to_hex(balloon.get_color()) == to_hex(COLORS["balloon"])
    assert all(_band_colors(ax) for ax in fig.axes[:4])


def test_sharing_content() -> None:
    fig = plots.sharing(make_results(2))
    ax = fig.axes[0]
    assert {"shared", "shared frames\n(sharedcommon)", "zero pages"} <= _labels(ax)
    assert "saved\n(shared − sharedcommon)" in _labels(ax)
    assert ax.get_ylabel() == "MiB"


def test_performance_highlights_worst_vms() -> None:
    fig = plots.performance(make_results(12))
    latency, throughput = fig.axes[:2]
    assert latency.get_ylabel() == "latency (%)"
    assert len(latency.get_lines()) == len(throughput.get_lines()) == 12
    legend = _legend_texts(latency)
    assert legend[0] == "vm-12" and legend[-1] == "other VMs" and len(legend) == 8


def test_vm_grid_content() -> None:
    fig = plots.vm_grid(make_results(5))
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == [f"vm-{i}" for i in range(1, 6)]
    legend = {t.get_text() for t in fig.legends[0].get_texts()}
    expected = {"consumed", "granted", "active", "entitlement", "balloon", "swapped"}
    assert expected | {"compressed", "reservation", "limit"} <= legend
    # vm-1 has a 256 MiB reservation, vm-2 a 768 MiB limit, vm-3 neither
    levels = [
        {
            float(np.asarray(line.get_ydata())[0])
            for line in ax.get_lines()
            if line.get_linestyle() == "-."
        }
        for ax in panels[:3]
    ]
    assert levels == [{256.0}, {768.0}, set()]


def test_vm_grid_pages() -> None:
    results = make_results(30)
    fig = plots.vm_grid(results, ["vm-21", "vm-22"])
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["vm-21", "vm-22"]


ABSENT = (
    "private",
    "sharedcommon",
    "cacheSize",
    "compressed",
    "zipSaved",
    "cowBreaks",
    "compressionRate",
    "decompressionRate",
    "latency",
    "throughput",
    "state",
    "swapinRate",
    "swapoutRate",
    "shared",
    "sharedSaved",
    "zero",
    *THRESHOLDS,
)


@pytest.mark.parametrize(
    "draw", [plots.host_memory, plots.reclamation, plots.sharing, plots.performance, plots.vm_grid]
)
def test_figures_with_absent_counters(draw) -> None:
    fig = draw(make_results(2, drop=ABSENT))
    assert isinstance(fig, Figure)
    for ax in fig.axes:
        assert not _band_colors(ax)  # no state recorded, no bands
        for line in ax.get_lines():
            assert line.get_label() not in ABSENT


def test_absent_panels_say_so() -> None:
    results = make_results(2, drop=ABSENT)
    assert "compression rates: not recorded" in _texts(plots.reclamation(results))
    assert "latency: not recorded" in _texts(plots.performance(results))
    assert "page sharing: not recorded" in _texts(plots.sharing(results))


def test_time_scale_and_state_runs() -> None:
    assert TimeScale(300).unit == "s" and TimeScale(3600).unit == "min"
    assert TimeScale(86400).label == "time (h)"
    host = make_results(1).host["state"]
    runs = state_runs(host)
    assert runs[0][0] == "high" and runs[0][1] == 0.0
    assert runs[-1][2] == 3600.0  # last sample lasts one interval
    assert all(a[2] == b[1] for a, b in pairwise(runs))


@pytest.mark.parametrize(
    ("method", "panels"),
    [
        ("host_memory", 2),
        ("reclamation", 4),
        ("sharing", 1),
        ("performance", 2),
        ("who_paid", 2),
        ("composition", 2),
        ("vms", 2),
    ],
)
@pytest.mark.parametrize("layout", [None, "constrained"])
def test_every_plot_method_draws_into_a_given_ax(method: str, panels: int, layout) -> None:
    """``ax=`` puts a figure's panels in the place of the caller's axes, beside its own plot."""
    results = make_results(2)
    fig = Figure(figsize=(14, 6), layout=layout)
    mine, theirs = fig.subplots(1, 2)
    mine.plot([0, 1], [1, 0], label="mine")
    drawn = getattr(results.plot, method)(ax=theirs)
    assert drawn is fig
    assert theirs not in fig.axes and mine in fig.axes  # replaced, the caller's kept
    (place,) = fig.subfigs
    visible = [ax for ax in place.axes if ax.get_visible()]
    assert len(visible) >= panels
    mine_box, place_box = mine.get_position(), place.bbox.transformed(fig.transFigure.inverted())
    assert place_box.x0 >= mine_box.x1 - 1e-9  # the panels sit where the replaced axes was
    fig.canvas.draw()  # renders under either layout


def test_ax_must_be_a_subplot() -> None:
    fig = Figure()
    with pytest.raises(ValueError, match="subplot"):
        make_results(2).plot.sharing(ax=fig.add_axes((0.1, 0.1, 0.8, 0.8)))
