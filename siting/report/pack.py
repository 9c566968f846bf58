"""The committee pack of a plan run, and single exports, written atomically into one folder.

``write_pack`` writes ``pack.pdf`` (maps, tables, counterfactual, parameters),
``pack.xlsx``, ``results.gpkg`` and ``map.html``; :func:`export` reads a run folder
and writes the pack or one format into an output folder that appears complete or
not at all (:func:`siting.outputs.output_folder`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from siting.errors import AmayeshError
from siting.outputs import output_folder
from siting.reproducible import gdal_date
from siting.report import pages
from siting.report.classes import CORE_METRICS, METRICS
from siting.report.fonts import pdf_safe, rc_params
from siting.report.print_maps import MapStyle, national_map, prepare, province_codes, province_map, write_maps
from siting.report.run import RunData, read_run
from siting.report.tables import by_county, by_province, write_workbook
from siting.report.web_map import write_web_map

FORMATS = ("png", "pdf", "html", "xlsx", "gpkg")
PACK_FILES = ("pack.pdf", "pack.xlsx", "results.gpkg", "map.html")
# No creation date: the pack of a run is the same bytes whenever it is written (the date it is for is printed on it).
PDF_METADATA = {"Title": "Amayesh committee pack", "Creator": "Amayesh", "CreationDate": None}


@dataclass(frozen=True)
class ExportOptions:
    """What every export shares: the map style, which provinces get maps, an online basemap."""

    style: MapStyle = field(default_factory=MapStyle)
    provinces: tuple[str, ...] | None = None
    basemap: bool = False
    metric: str = "new_licences"


def _provinces(run: RunData, options: ExportOptions) -> list[str]:
    known = province_codes(run)
    if options.provinces is None:
        return known
    unknown = sorted(set(options.provinces) - set(run.units["province_code"]))
    if unknown:
        raise AmayeshError(f"no unit of this run is in province(s) {', '.join(unknown)}")
    return [code for code in options.provinces if code in known] if known else []


def national_metrics(run: RunData) -> list[str]:
    """The variables of the pack's national maps: the four of every run, and the counter share of a visits-rule run."""
    return [metric for metric in METRICS if metric in CORE_METRICS or metric in run.units.columns]


def pdf_contents(run: RunData, options: ExportOptions) -> list[tuple[str, str, int]]:
    """The sections of ``pack.pdf`` as (Persian, English, number of pages)."""
    units = len(run.allocation) + 1
    moratorium = max(len(run.moratorium), 1)
    level_fa = "شهرستان" if run.level == "county" else "استان"
    sections = [
        ("نقشه‌های کشوری", "National maps", len(national_metrics(run))),
        ("مقایسه با صدور به ترتیب نوبت", "Counterfactual", 1),
        ("تخصیص به تفکیک استان", "Allocation by province", -(-(run.allocation["province_code"].nunique() + 1) // pages.ROWS_PER_PAGE)),
        (f"تخصیص به تفکیک {level_fa}", f"Allocation by {run.level}", -(-units // pages.ROWS_PER_PAGE)),
        ("فهرست ممنوعیت", "Moratorium list", -(-moratorium // pages.ROWS_PER_PAGE)),
        ("پارامترها و وزن‌ها", "Parameters and weights", pages.parameters_page_count(run)),
    ]
    provinces = _provinces(run, options)
    if provinces:
        sections.append(("نقشه‌های استانی", "Province maps", len(provinces)))
    return sections


def pdf_page_count(run: RunData, options: ExportOptions = ExportOptions()) -> int:
    """Number of pages :func:`write_pdf_pack` writes (cover included)."""
    return 1 + sum(n for _, _, n in pdf_contents(run, options))


def write_pdf_pack(run: RunData, path: Path | str, options: ExportOptions = ExportOptions()) -> Path:
    """Write ``pack.pdf``: cover, national maps, counterfactual, tables, parameters, province maps."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    path = Path(path)
    style = options.style
    data = prepare(run, style)
    sections = pdf_contents(run, options)
    contents = [(fa, f"{en} ({n} p.)") for fa, en, n in sections]
    provinces = by_province(run)
    names = provinces.set_index("province_code")["province_fa"]
    setting = run.moratorium.get("setting", pd.Series("", index=run.moratorium.index)).astype(str)
    moratorium = run.moratorium.assign(province_fa=run.moratorium["province_code"].map(names),
                                       setting_text=setting.map({"urban": "شهری", "rural": "روستایی"}).fillna(setting))
    total = {"province_fa": "جمع کل · Total"} | provinces.drop(columns=["province_code", "province_fa", "province_en"]).sum(numeric_only=True).to_dict()
    total["pressure"] = total["applications"] / max(total["new_licences"], 1)
    total["population_per_office_after"] = total["pop_total"] / max(total["existing_offices"] + total["new_licences"], 1)
    level_fa = "شهرستان" if run.level == "county" else "استان"
    counties = by_county(run)
    counties["moratorium_parts"] = pages.moratorium_parts(counties)
    summed = [c.key for c in pages.COUNTY_COLUMNS if c.kind == "int" and c.key not in ("rank",)]
    county_total = {"province_fa": "جمع کل · Total"} | counties[summed].sum(min_count=1).to_dict()

    def figures():
        yield pages.cover_page(run, style, contents)
        for metric in national_metrics(run):
            yield national_map(run, metric, style, data)
        yield pages.counterfactual_page(run, style)
        yield from pages.table_pages(provinces, pages.PROVINCE_COLUMNS, run, style, "تخصیص مجوز به تفکیک استان",
                                     "Allocation by province", total=total)
        yield from pages.table_pages(counties, pages.COUNTY_COLUMNS, run, style, f"تخصیص مجوز به تفکیک {level_fa}",
                                     f"Allocation by {run.level}", total=county_total, note=pages.COUNTY_NOTE)
        yield from pages.table_pages(moratorium, pages.MORATORIUM_COLUMNS, run, style, "فهرست واحدهای ممنوع (اشباع)",
                                     "Moratorium list (saturated units)")
        yield from pages.parameters_pages(run, style)
        for code in _provinces(run, options):
            yield province_map(run, code, options.metric, style, data)

    with plt.rc_context(rc_params()), PdfPages(path, metadata=PDF_METADATA) as pdf:
        for figure in figures():
            pdf_safe(figure)
            pdf.savefig(figure)
            plt.close(figure)
    return path


def result_layers(run: RunData) -> dict[str, gpd.GeoDataFrame]:
    """Every result layer for the planners' GIS, in EPSG:4326."""
    layers: dict[str, gpd.GeoDataFrame] = {}
    indicators = run.scores.drop(columns=[c for c in run.scores.columns if c in run.units.columns and c != "unit_code"])
    units = run.units.merge(indicators, on="unit_code", how="left")
    layers["units"] = units
    provinces = run.provinces[["province_code", "geometry"]].merge(by_province(run), on="province_code", how="left")
    layers["provinces"] = gpd.GeoDataFrame(provinces, geometry="geometry", crs=run.provinces.crs)
    layers["moratorium"] = units[units["moratorium"] | units["moratorium_partial"]]
    for name in ("sites", "coverage"):
        frame = getattr(run, name)
        if frame is not None:
            located = frame.dropna(subset=["lon", "lat"])
            layers[name] = gpd.GeoDataFrame(located, geometry=gpd.points_from_xy(located["lon"], located["lat"]), crs=4326)
    for name in ("offices", "industrial_parks"):
        if name in run.layers:
            layers[name] = run.layers[name]
    if "applications" in run.layers:
        points = run.layers["applications"]
        if "application_id" in points.columns:
            extra = run.applications.drop(columns=[c for c in run.applications.columns if c in points.columns and c != "application_id"])
            points = points.merge(extra, on="application_id", how="left")
        layers["applications"] = points
    return layers


def write_results_gpkg(run: RunData, path: Path | str) -> Path:
    """Write ``results.gpkg`` with every layer of :func:`result_layers`."""
    path = Path(path)
    with gdal_date(run.stamp):  # GDAL would stamp each layer with the time of writing
        for name, layer in result_layers(run).items():
            frame = layer.copy()
            for column in frame.columns:
                if column != frame.geometry.name and frame[column].dtype == object:
                    frame[column] = frame[column].astype("string")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                frame.to_file(path, layer=name, driver="GPKG", mode="a" if path.exists() else "w")
    return path


def write_pack(run: RunData, folder: Path, options: ExportOptions = ExportOptions()) -> list[Path]:
    """Write the four pack files into an existing folder."""
    folder = Path(folder)
    written = [write_pdf_pack(run, folder / "pack.pdf", options), write_workbook(run, folder / "pack.xlsx"),
               write_results_gpkg(run, folder / "results.gpkg")]
    written.append(write_web_map(run, folder / "map.html", offline=not options.basemap, basemap=options.basemap,
                                 scheme=options.style.scheme, breaks=options.style.breaks, k=options.style.k,
                                 persian_digits=options.style.persian_digits, date=options.style.today, metric=options.metric))
    return written


def write_format(run: RunData, folder: Path, fmt: str, options: ExportOptions = ExportOptions()) -> list[Path]:
    """Write one format into an existing folder: maps as PNG or PDF, or map.html, pack.xlsx, results.gpkg."""
    if fmt not in FORMATS:
        raise AmayeshError(f"unknown export format '{fmt}': choose one of {', '.join(FORMATS)}")
    folder = Path(folder)
    if fmt in ("png", "pdf"):
        return write_maps(run, folder, fmt, options.style, options.metric, _provinces(run, options))
    if fmt == "html":
        return [write_web_map(run, folder / "map.html", offline=not options.basemap, basemap=options.basemap,
                              scheme=options.style.scheme, breaks=options.style.breaks, k=options.style.k,
                              persian_digits=options.style.persian_digits, date=options.style.today, metric=options.metric)]
    if fmt == "xlsx":
        return [write_workbook(run, folder / "pack.xlsx")]
    return [write_results_gpkg(run, folder / "results.gpkg")]


def export(run_folder: Path | str, out: Path | str | None = None, fmt: str | None = None, options: ExportOptions = ExportOptions(),
           replace: bool = False) -> list[Path]:
    """Read a run folder and write the pack (``fmt=None``) or one format into ``out`` (default ``RUN/export``).

    Returns
    -------
    list[Path]
        The files written, at their final place.

    Raises
    ------
    OutputExistsError
        If ``out`` holds files and ``replace`` is false (checked before any work).
    DataError
        If the run folder is incomplete or invalid.
    """
    run_folder = Path(run_folder)
    if not run_folder.is_dir():
        raise AmayeshError(f"{run_folder} is not a run folder (run `amayesh plan --out {run_folder}` first)")
    out = Path(out) if out is not None else run_folder / "export"
    if fmt is not None and fmt not in FORMATS:
        raise AmayeshError(f"unknown export format '{fmt}': choose one of {', '.join(FORMATS)}")
    with output_folder(out, replace=replace) as staging:
        run = read_run(run_folder)
        written = write_pack(run, staging, options) if fmt is None else write_format(run, staging, fmt, options)
        relative = [path.relative_to(staging) for path in written]
    return [out / path for path in relative]


def describe(paths: list[Path]) -> pd.DataFrame:
    """File names and sizes, for the command's report."""
    return pd.DataFrame({"file": [p.name for p in paths], "bytes": [p.stat().st_size for p in paths]})
