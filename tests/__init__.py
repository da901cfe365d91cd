"""memsim's tests: a package, so test modules import their shared helpers as ``tests.support``.

pytest finds ``tests/conftest.py`` (shared fixtures) by itself; helpers that tests use at module
level (in ``parametrize``, hypothesis strategies, constants) are plain modules in
``tests/support/``, imported by their full name (``from tests.support.helpers import started``),
never by a bare one that resolves only while ``tests/`` happens to be on ``sys.path``.
"""
