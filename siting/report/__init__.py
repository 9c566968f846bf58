"""Maps and the committee pack of a plan run: print maps, the offline web map, tables, the pack.

Read a run folder with :func:`read_run`; draw with :func:`national_map`, :func:`province_map`
and :func:`save_map` (PNG 300 dpi or vector PDF, A4/A3), :func:`web_map` and
:func:`render_html` (self-contained HTML); tabulate with :func:`write_workbook`; or write
everything into an output folder at once with :func:`export` (see ``docs/maps.md``).
"""

from siting.report.pack import ExportOptions, export, write_pack, write_pdf_pack, write_results_gpkg
from siting.report.print_maps import MapStyle, national_map, prepare, province_map, save_map, write_maps
from siting.report.run import RunData, read_run
from siting.report.tables import by_county, by_province, write_workbook
from siting.report.web_map import render_html, web_map, write_web_map

__all__ = [
    "ExportOptions", "MapStyle", "RunData", "by_county", "by_province", "export", "national_map", "prepare",
    "province_map", "read_run", "render_html", "save_map", "web_map", "write_maps", "write_pack", "write_pdf_pack",
    "write_results_gpkg", "write_web_map", "write_workbook",
]
