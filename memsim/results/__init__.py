"""Run results: counters as DataFrames, saving and loading run folders, esxtop CSV.

See DESIGN.md §4.2 for the run folder and docs/model.md §7 for the counters.
"""

from memsim.results.results import Results, Summary, load_results
from memsim.results.store import OutputExistsError

__all__ = ["OutputExistsError", "Results", "Summary", "load_results"]
