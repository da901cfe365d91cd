"""Helper modules the tests share (imported as ``tests.support.<module>``).

- ``helpers``: small scenarios from YAML text and started, not yet run, simulations.
- ``synthetic_results``: plausible :class:`memsim.results.Results` built without the engine.
- ``sweep_fixtures``: a small, fast scenario file for the sweep tests (the
  ``write_small_scenario`` fixture of ``tests/conftest.py`` writes it).
- ``malformed_catalogue``: the generated catalogue of malformed scenario files.
"""
