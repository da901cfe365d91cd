"""The HTML report: self-contained, with figures, summaries and the scenario."""

import re
from pathlib import Path

from memsim.report.html import report_figures, write_report
from memsim.results import load_results
from memsim.results.summary import worst_first
from tests.support.synthetic_results import make_results


def test_report_is_self_contained(tmp_path: Path) -> None:
    path = write_report(make_results(3), tmp_path)
    html = path.read_text()
    assert html.count('src="data:image/png;base64,') == 7
    assert not re.search(r'(src|href)="https?://', html)  # no network
    headings = ("Who paid, and how", "Host memory", "Reclamation activity", "Page sharing")
    for heading in (*headings, "VM memory by layer", "VM counters"):
        assert f"<h3>{heading}</h3>" in html
    for alt in re.findall(r'alt="([^"]*)"', html):
        assert len(alt.split()) >= 6  # says what the figure shows, not just its title
    assert ":data:" not in html and "``" not in html and ":func:" not in html
    figures = ("host_memory", "reclamation", "sharing", "performance", "vms")
    for png in (*figures, "who_paid", "composition"):
        assert (tmp_path / "figures" / f"{png}.png").read_bytes().startswith(b"\x89PNG")
        assert f'href="figures/{png}.png"' in html


def test_report_tables(tmp_path: Path) -> None:
    html = write_report(make_results(3), tmp_path).read_text()
    assert "peak consumed (MiB)" in html and "consumed_peak" not in html  # labelled columns
    assert "time in soft (s)" in html and "peak sharing savings (MiB)" in html
    assert "host.advanced.Mem.IdleTax = 75" in html  # scheduled event
    assert "768MiB" in html and "unlimited" in html  # VM limits as written
    assert "high -&gt; soft" in html  # recorded events, escaped


def test_report_with_absent_columns(tmp_path: Path) -> None:
    results = make_results(2, drop=("state", "latency", "throughput", "swapped", "private"))
    html = write_report(results, tmp_path).read_text()
    assert "mean latency (%)" not in html  # no summary column without the counter
    assert html.count("data:image/png") == 7


def test_many_vms_are_paged(tmp_path: Path) -> None:
    results = make_results(45)
    entries = report_figures(results)
    vm_pages = [e for e in entries if e.slug.startswith("vms")]
    assert [e.slug for e in vm_pages] == ["vms_01", "vms_02", "vms_03"]
    worst = worst_first(results.summary().vms)
    assert vm_pages[0].title == f"VM counters {worst[0]} … {worst[19]}"
    assert vm_pages[-1].title == f"VM counters {worst[40]} … {worst[44]}"
    layers = [e.slug for e in entries if e.slug.startswith("composition")]
    assert layers == ["composition_01", "composition_02", "composition_03"]
    assert [e.slug for e in entries if e.slug.startswith("who_paid")] == [
        "who_paid_01",
        "who_paid_02",
    ]
    assert all(e.caption for e in entries)


def test_rerender_from_saved_results(tmp_path: Path) -> None:
    out = make_results(2).save(tmp_path / "run", report=False)
    write_report(load_results(out), out)
    assert "synthetic" in (out / "report.html").read_text()
