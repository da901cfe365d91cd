"""Results in a notebook: HTML tables, a tidy long table, units in attrs, plots into ``ax``."""

import pandas as pd
import pytest

from memsim.report.style import new_figure
from memsim.results.columns import UNITS, unit_of
from tests.support.synthetic_results import make_results


@pytest.fixture(scope="module")
def results():
    return make_results(3)


def test_html_reprs_are_tables(results) -> None:
    html = results._repr_html_()
    assert html.count("<table") == 2 and results.name in html
    assert results.summary()._repr_html_().count("<table") == 2


def test_long_is_tidy_and_complete(results) -> None:
    tidy = results.long()
    assert list(tidy.columns) == ["time", "vm", "counter", "value", "unit"]
    numeric_vm = results.vms.select_dtypes("number").shape[1]
    numeric_host = results.host.select_dtypes("number").shape[1]
    assert len(tidy) == len(results.vms) * numeric_vm + len(results.host) * numeric_host
    one = tidy[(tidy.vm == "vm-1") & (tidy.counter == "consumed")].set_index("time")["value"]
    pd.testing.assert_series_equal(one, results.vm("vm-1")["consumed"], check_names=False)
    assert set(tidy.loc[tidy.counter == "consumed", "unit"]) == {"MiB"}


def test_units_in_attrs(results) -> None:
    assert results.vms.attrs["units"]["consumed"] == "MiB"
    assert results.host.attrs["units"]["free"] == "MiB"
    summary = results.summary()
    assert summary.vms.attrs["units"]["latency_mean"] == "%"
    assert summary.host.attrs["units"]["time_high"] == "s"
    assert unit_of("active") == "MiB" and unit_of("activeSlowPct") == "%"
    assert all(unit for unit in UNITS.values())


def test_counter_plot_draws_into_the_given_axes(results) -> None:
    fig = new_figure(6, 3)
    left, right = fig.subplots(1, 2)
    assert results.plot.counter("consumed", ax=right) is right
    assert len(right.lines) == 3 and not left.lines
    assert right.get_ylabel() == "consumed (MiB)"
    host = results.plot.counter("free", [], ax=left)
    assert len(host.lines) == 1
