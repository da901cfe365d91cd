"""Fixtures the test modules share; pytest finds this file and offers them to every test.

A helper becomes a fixture here when tests use it only inside their bodies and it needs the
test's own temporary folder: the fixture binds ``tmp_path``, so a test asks for the writer by
name instead of importing it and passing the folder along. Helpers that tests use at module
level (``parametrize`` arguments, hypothesis strategies, constants) stay plain imports from
``tests.support``, since fixtures exist only once a test runs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.sweep_fixtures import write_scenario


@pytest.fixture
def write_small_scenario(tmp_path: Path) -> Callable[..., Path]:
    """A writer of the sweep tests' small scenario (1 GiB host, 5 min) into ``tmp_path``.

    ``write_small_scenario()`` writes ``tmp_path / "small.yaml"`` and returns its path;
    ``write_small_scenario(block)`` appends a ``sweep:`` block first. Writing again replaces the
    file, so one test can try several blocks.
    """

    def write(sweep: str = "") -> Path:
        return write_scenario(tmp_path, sweep)

    return write
