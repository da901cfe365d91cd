"""Comparison reports: runs of the same VMs overlaid, labelled by what differs."""

from pathlib import Path

from memsim.report import compare
from memsim.report.html import write_comparison
from tests.support.synthetic_results import make_results


def test_labels_from_names_then_differences() -> None:
    assert compare.run_labels([{"name": "a"}, {"name": "b"}], ["x", "y"]) == ["a", "b"]
    manifests = [
        {"name": "s", "seed": 1, "scenario": {"host": {"advanced": {"Mem.IdleTax": 0}}}},
        {"name": "s", "seed": 1, "scenario": {"host": {"advanced": {"Mem.IdleTax": 75}}}},
    ]
    labels = compare.run_labels(manifests, ["x", "y"])
    assert labels == ["host.advanced.Mem.IdleTax=0", "host.advanced.Mem.IdleTax=75"]
    assert compare.run_labels([{"name": "s"}, {"name": "s"}], ["x", "y"]) == ["x", "y"]


def test_overlays() -> None:
    runs = [("small", make_results(3)), ("large", make_results(4, scale=1.5))]
    assert compare.common_vms(runs) == ["vm-1", "vm-2", "vm-3", "vm-4"]
    fig = compare.host_overlay(runs)
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert "free (MiB)" in labels and "swapped (MiB)" in labels
    assert all(len(ax.get_lines()) == 2 for ax in fig.axes)
    grid = compare.vm_overlay(runs, ["vm-3", "vm-4"], "consumed")
    panels = [ax for ax in grid.axes if ax.get_visible()]
    assert [len(ax.get_lines()) for ax in panels] == [2, 1]  # vm-4 only in the second run
    legend = {t.get_text() for t in grid.legends[0].get_texts()}
    assert legend == {"small", "large"}


def test_comparison_report(tmp_path: Path) -> None:
    runs = [("a", make_results(2)), ("b", make_results(2, drop=("latency",)))]
    html = write_comparison(runs, tmp_path).read_text()
    assert html.count("data:image/png") == 3  # host, consumed, latency
    assert (tmp_path / "figures" / "vms_latency.png").exists()
    summaries = compare.summaries(runs)
    assert list(summaries.host.index) == ["a", "b"]
    assert summaries.vms.index.names == ["run", "vm"]
