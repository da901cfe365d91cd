"""Fuzzing the loader with mutated scenario text (hypothesis): whatever the text, loading ends
with a scenario or a ScenarioError whose every message names the file, never another exception.

The CI budget is fixed (``MEMSIM_FUZZ_EXAMPLES``, default 300 inputs); README.md gives the
command of the longer run.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memsim.scenario import ScenarioError, loads
from memsim.scenario.budget import check_fits

ROOT = Path(__file__).parent.parent
SOURCES = sorted((ROOT / "scenarios").glob("*.yaml")) + [
    ROOT / "tests" / "data" / "scenarios" / "valid.yaml"
]
TEXTS = {path: path.read_text(encoding="utf-8") for path in SOURCES}
EXAMPLES = int(os.environ.get("MEMSIM_FUZZ_EXAMPLES", "300"))

SNIPPETS = [
    ":",
    " ",
    "\n",
    "\t",
    "-",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "'",
    '"',
    "#",
    "&a ",
    "*a",
    "!!",
    "? ",
    "|",
    ">",
    "%",
    "~",
    "null",
    "true",
    "0",
    "-1",
    "1e999",
    "1e7000000",
    "nan",
    ".inf",
    "GiB",
    "ms",
    "min",
    "50%",
    "1PiB",
    "9" * 50,
    "\x00",
    "\ufeff",
    "é",
    "---\n",
    "&b [*b]",
    "{a: 1}: 2\n",
    "? [x]\n: 1\n",
    "count: 10000000",
    "step: 1e-9s",
    "at: null",
    "trace: /etc/passwd",
    "vms.web.workload.active: 1%",
    "set: {}",
    "  - at: 0s\n",
]


@st.composite
def mutated(draw: st.DrawFn) -> tuple[Path, str]:
    """A shipped scenario with a few insertions, deletions, line copies and swaps."""
    path = draw(st.sampled_from(SOURCES))
    text = TEXTS[path]
    for _ in range(draw(st.integers(1, 6))):
        where = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "copy-line", "swap-lines", "replace"]))
        if kind == "insert":
            text = text[:where] + draw(st.sampled_from(SNIPPETS)) + text[where:]
        elif kind == "delete":
            text = text[:where] + text[where + draw(st.integers(1, 40)) :]
        elif kind == "replace":
            word = draw(st.text(min_size=1, max_size=8))
            text = text[:where] + word + text[where + len(word) :]
        else:
            lines = text.split("\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            if kind == "copy-line":
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return path, text


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated())
def test_mutated_text_loads_or_is_refused_with_located_errors(case: tuple[Path, str]) -> None:
    path, text = case
    try:
        scenario = loads(text, source=path)
    except ScenarioError as exc:
        assert exc.errors
        for item in exc.errors:
            assert item.file in (str(path), "--set") and item.line >= 0 and item.message
        return
    try:  # a valid scenario's estimate never fails either
        check_fits(scenario, available=1 << 40)
    except ScenarioError as exc:
        assert "--allow-large" in str(exc)
