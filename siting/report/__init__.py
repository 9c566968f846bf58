"""Maps and the committee pack: print maps, the offline web map, tables and the pack of a plan run.

Read a run folder with :func:`read_run`, then draw with :mod:`siting.report.print_maps`
and :mod:`siting.report.web_map`, tabulate with :mod:`siting.report.tables`, or write
everything at once with :func:`siting.report.pack.write_pack`.
"""

from siting.report.run import RunData, read_run

__all__ = ["RunData", "read_run"]
