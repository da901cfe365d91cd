"""The who-paid and memory-composition figures: layers add up, worst VMs first."""

from pathlib import Path

import numpy as np
import pytest

from memsim import api
from memsim.report import cost
from memsim.results import Results
from memsim.results.summary import worst_first

SCENARIOS = Path(__file__).parents[1] / "scenarios"


@pytest.fixture(scope="module")
def pressed() -> object:
    return api.run(SCENARIOS / "walkthrough-compression-and-swap-in-hard.yaml")


def test_layers_stay_within_configured_memory(pressed) -> None:
    results = pressed
    for name in results.vm_names:
        frame = results.vm(name)
        stack = cost.layers(frame)
        assert stack is not None
        assert list(stack.columns) == [label for label, _, _ in cost.LAYERS]
        assert (stack >= 0).all().all()
        total = stack.sum(axis=1)
        assert (total <= frame["memory"] + 1e-6).all()
        np.testing.assert_allclose(stack["ballooned"], frame["vmmemctl"])
    assert any(cost.layers(results.vm(n))["swapped (host)"].max() > 0 for n in results.vm_names)


def test_layers_need_their_counters(pressed) -> None:
    frame = pressed.vm(pressed.vm_names[0]).drop(columns=["granted"])
    assert cost.layers(frame) is None


def test_who_paid_lists_worst_first_at_the_top(pressed) -> None:
    results = pressed
    fig = cost.who_paid(results)
    left = fig.axes[0]
    labels = [t.get_text() for t in left.get_yticklabels()]
    assert labels == worst_first(results.summary().vms)
    low, high = left.get_ylim()
    assert low > high  # first row drawn at the top
    assert fig.axes[0].get_legend() is not None


def test_who_paid_says_what_is_missing(pressed) -> None:
    causes = [c for c in pressed.vms if c.startswith("latency_")]
    vms = pressed.vms.drop(columns=["vmmemctl", "compressed", "swapped", "guestSwapped", *causes])
    fig = cost.who_paid(Results(None, vms, pressed.host, pressed.events, pressed.manifest))
    assert "not recorded" in " ".join(t.get_text() for ax in fig.axes for t in ax.texts)


def test_composition_draws_one_panel_per_vm_with_a_legend(pressed) -> None:
    results = pressed
    names = worst_first(results.summary().vms)
    fig = cost.composition(results, names)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == names
    assert {t.get_text() for t in fig.legends[0].get_texts()} == {
        name for name, _, _ in cost.LAYERS
    }
