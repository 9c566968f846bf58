"""Print maps for the committee: a national map and one map per province.

Each map is an A4 or A3 landscape page with a Persian and English title, the
scenario, a classed legend, a scale bar, a north arrow, the source line and the
date in the Jalali and Gregorian calendars. The national map carries an inset of
Tehran province. Maps are drawn in an Albers equal-area projection centred on
Iran, so that the area of each unit on paper is true to its area on the ground.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from siting.errors import AmayeshError
from siting.report import labels as L
from siting.report.classes import METRICS, Classes, classify_all
from siting.report.fonts import pdf_safe, rc_params
from siting.report.run import RunData

PAPER = {"A4": (11.69, 8.27), "A3": (16.54, 11.69)}  # inches, landscape
DPI = 300
IRAN_CRS = "+proj=aea +lat_1=27 +lat_2=37 +lat_0=32 +lon_0=54 +datum=WGS84 +units=m +no_defs"
SIMPLIFY_M = 500.0  # province maps: well below what A3 paper shows at 1:1,500,000
SIMPLIFY_NATIONAL_M = 1500.0  # national maps: A4 is about 1:8,000,000 (a millimetre is 8 km)
TEHRAN = "23"
MORATORIUM_COLOUR = "#8b0000"
BOUNDARY_COLOUR = "#333333"
FORMATS = ("png", "pdf")
POINT_MIN, POINT_RANGE = 30.0, 390.0  # circle areas (pt², on A4) of units that have no polygon


@dataclass(frozen=True)
class MapStyle:
    """How maps look: paper, digits, classification and the date they carry.

    ``breaks`` maps a variable of :data:`METRICS` to user-defined class limits
    (used with ``scheme='user'``). ``date`` defaults to today.
    """

    paper: str = "A4"
    persian_digits: bool = True
    scheme: str = "quantiles"
    breaks: dict[str, list[float]] = field(default_factory=dict)
    k: int = 5
    date: dt.date | None = None

    def __post_init__(self) -> None:
        if self.paper not in PAPER:
            raise AmayeshError(f"unknown paper size '{self.paper}': choose {' or '.join(PAPER)}")

    @property
    def size(self) -> tuple[float, float]:
        """Figure size in inches."""
        return PAPER[self.paper]

    @property
    def scale(self) -> float:
        """Font scale: 1 on A4, √2 on A3."""
        return self.size[0] / PAPER["A4"][0]

    @property
    def today(self) -> dt.date:
        """The date printed on the map."""
        return self.date or dt.date.today()


@dataclass(frozen=True)
class MapData:
    """A run's layers projected and simplified for print, with the classes of each variable."""

    units: gpd.GeoDataFrame
    provinces: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    classes: dict[str, Classes]
    polygons: bool
    national_units: gpd.GeoDataFrame | None = None
    national_provinces: gpd.GeoDataFrame | None = None


def prepare(run: RunData, style: MapStyle = MapStyle()) -> MapData:
    """Project the run's layers to the Iran Albers CRS, simplify them and class the variables.

    Simplification keeps shared edges shared (coverage simplification) at a tolerance
    well below what A3 paper shows at the province scale.
    """
    units = run.units.to_crs(IRAN_CRS)
    provinces = run.provinces.to_crs(IRAN_CRS)
    national_units, national_provinces = units, provinces
    if run.polygons:
        projected = units.geometry.values
        units = units.set_geometry(shapely.coverage_simplify(projected, SIMPLIFY_M))
        national_units = units.set_geometry(shapely.coverage_simplify(projected, SIMPLIFY_NATIONAL_M))
        polygonal = provinces.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
        if polygonal.all():
            projected = provinces.geometry.values
            provinces = provinces.set_geometry(shapely.coverage_simplify(projected, SIMPLIFY_M))
            national_provinces = provinces.set_geometry(shapely.coverage_simplify(projected, SIMPLIFY_NATIONAL_M))
    if "name_fa" not in provinces.columns:
        names = run.allocation.groupby("province_code")["name_fa"].first()
        provinces = provinces.assign(name_fa=provinces["province_code"].map(names))
    if not run.polygons:  # the embedded default: circles sized by population (area ∝ population)
        share = units["pop_total"].to_numpy(float) / max(float(units["pop_total"].max()), 1.0)
        units = units.assign(marker_size=POINT_MIN + POINT_RANGE * np.sqrt(share))
        national_units = units
    sites = _sites(run)
    classes = classify_all(units, style.scheme, style.breaks, style.k)
    return MapData(units=units, provinces=provinces, sites=sites, classes=classes, polygons=run.polygons,
                   national_units=national_units, national_provinces=national_provinces)


def _sites(run: RunData) -> gpd.GeoDataFrame:
    if run.sites is None or run.sites.empty:
        return gpd.GeoDataFrame({"unit_code": []}, geometry=gpd.GeoSeries([], crs=4326)).to_crs(IRAN_CRS)
    new = run.sites[run.sites["kind"].astype(str).str.lower() == "new"]
    points = gpd.GeoDataFrame(new, geometry=gpd.points_from_xy(new["lon"], new["lat"]), crs=4326)
    codes = run.units.set_index("unit_code")["province_code"]
    points["province_code"] = points["unit_code"].map(codes)
    return points.to_crs(IRAN_CRS)


def national_map(run: RunData, metric: str = "new_licences", style: MapStyle = MapStyle(), data: MapData | None = None):
    """The national map of one variable, with an inset of Tehran province.

    Parameters
    ----------
    run
        The plan run.
    metric
        A key of :data:`~siting.report.classes.METRICS`.
    style
        Paper, digits, classification and date.
    data
        The output of :func:`prepare` (computed when not given; pass it when drawing many maps).

    Returns
    -------
    matplotlib.figure.Figure
    """
    data = data or prepare(run, style)
    _check_metric(metric, data)
    import matplotlib.pyplot as plt

    with plt.rc_context(rc_params()):
        fig, ax, side = _page(style)
        classes = data.classes[metric]
        units = data.units if data.national_units is None else data.national_units
        provinces = data.provinces if data.national_provinces is None else data.national_provinces
        _choropleth(ax, units, classes, data.polygons, style)
        _moratorium(ax, units, data.polygons, style)
        _boundaries(ax, provinces, 0.6 * style.scale, data.polygons)
        _frame(ax, units.total_bounds, margin=(0.03, 0.02, 0.03, 0.09), spare="left")
        _place_labels(ax, provinces, "name_fa", 6.0 * style.scale)
        if (data.units["province_code"] == TEHRAN).any() and run.level == "county":
            _tehran_inset(ax, data, classes, style)
        _north_arrow(ax, style)
        _scale_bar(ax, style)
        where_fa, where_en = "کل کشور", "Iran"
        _header(fig, run, metric, where_fa, where_en, style)
        _sidebar(side, run, data.units, classes, metric, style, sites=False)
        _footer(fig, run, style)
    return fig


def province_map(run: RunData, province_code: str, metric: str = "new_licences", style: MapStyle = MapStyle(), data: MapData | None = None):
    """The map of one province's units, its neighbours in grey, proposed sites and a locator.

    Raises
    ------
    AmayeshError
        If the province has no unit in the run.
    """
    data = data or prepare(run, style)
    _check_metric(metric, data)
    units = data.units[data.units["province_code"] == province_code]
    if units.empty:
        known = ", ".join(sorted(data.units["province_code"].unique()))
        raise AmayeshError(f"province '{province_code}' has no unit in this run (provinces: {known})")
    import matplotlib.pyplot as plt

    with plt.rc_context(rc_params()):
        fig, ax, side = _page(style)
        classes = data.classes[metric]
        margin = (0.06, 0.06, 0.06, 0.12)
        x0, x1, y0, y1 = _view(units.total_bounds, margin, _box(ax))
        others = data.provinces[data.provinces["province_code"] != province_code].cx[x0:x1, y0:y1]
        if data.polygons and len(others):
            others.plot(ax=ax, facecolor="#f2f2f2", edgecolor="#bdbdbd", linewidth=0.5 * style.scale)
        mask = (data.units["province_code"] == province_code).to_numpy()
        _choropleth(ax, units, _subset(classes, mask), data.polygons, style, edge=0.5)
        _moratorium(ax, units, data.polygons, style)
        own = data.provinces[data.provinces["province_code"] == province_code]
        _boundaries(ax, own, 1.4 * style.scale, data.polygons)
        sites = data.sites[data.sites.get("province_code", pd.Series(dtype=object)) == province_code]
        if len(sites):
            ax.scatter(sites.geometry.x, sites.geometry.y, marker="^", s=14 * style.scale**2, c="black",
                       edgecolors="white", linewidths=0.4, zorder=5)
        _frame(ax, units.total_bounds, margin=margin)
        values = units[metric].map(lambda v: L.number(v, int(METRICS[metric]["decimals"]), style.persian_digits))
        _place_labels(ax, units.assign(label=units["name_fa"] + "\n" + values), "label", 6.0 * style.scale, clip=True,
                      min_area_mm2=45 * style.scale**2)
        _north_arrow(ax, style)
        _scale_bar(ax, style)
        name = own["name_fa"].iloc[0] if len(own) and "name_fa" in own else province_code
        name_en = own["name_en"].iloc[0] if len(own) and "name_en" in own else province_code
        _header(fig, run, metric, f"استان {name}", f"{name_en} province", style)
        _sidebar(side, run, units, _subset(classes, mask), metric, style, sites=len(sites) > 0, all_classes=classes)
        _locator(side, data.provinces if data.national_provinces is None else data.national_provinces, province_code, data.polygons)
        _footer(fig, run, style)
    return fig


def save_map(fig, path: Path | str, close: bool = True) -> Path:
    """Write a map as PNG (300 dpi) or vector PDF, chosen by the file suffix.

    The page size is the figure's (A4 or A3 landscape): nothing is cropped.
    """
    import matplotlib.pyplot as plt

    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise AmayeshError(f"maps are written as {' or '.join(FORMATS)}, not '{path.suffix}'")
    if suffix == "pdf":
        pdf_safe(fig)
    with plt.rc_context(rc_params()):
        fig.savefig(path, dpi=DPI, format=suffix, metadata=_metadata(suffix))
    if close:
        plt.close(fig)
    return path


def _metadata(fmt: str) -> dict:
    # No creation date (PDF) and no matplotlib version string (PNG): a map is the same bytes whenever drawn.
    if fmt == "pdf":
        return {"Creator": "Amayesh", "Title": L.TITLE_EN, "CreationDate": None}
    return {"Software": "Amayesh"}


def province_codes(run: RunData) -> list[str]:
    """The provinces that get a map of their own: every province of a county-level run."""
    if run.level != "county":
        return []
    return sorted(run.units["province_code"].dropna().unique())


def write_maps(
    run: RunData,
    folder: Path,
    fmt: str = "png",
    style: MapStyle = MapStyle(),
    metric: str = "new_licences",
    provinces: list[str] | None = None,
) -> list[Path]:
    """Write the national map and one map per province into ``folder``.

    Files are ``national.<fmt>`` and ``province-<code>-<name_en>.<fmt>``.
    """
    if fmt not in FORMATS:
        raise AmayeshError(f"maps are written as {' or '.join(FORMATS)}, not '{fmt}'")
    data = prepare(run, style)
    folder = Path(folder)
    written = [save_map(national_map(run, metric, style, data), folder / f"national.{fmt}")]
    for code in province_codes(run) if provinces is None else provinces:
        written.append(save_map(province_map(run, code, metric, style, data), folder / province_file(run, code, fmt)))
    return written


def province_file(run: RunData, code: str, fmt: str) -> str:
    """``province-23-tehran.png``: file name of a province map."""
    names = run.provinces.set_index("province_code")["name_en"] if "name_en" in run.provinces else pd.Series(dtype=object)
    slug = "".join(ch if ch.isalnum() else "-" for ch in str(names.get(code, "")).lower()).strip("-")
    return f"province-{code}-{slug}.{fmt}" if slug else f"province-{code}.{fmt}"


# --- page furniture -----------------------------------------------------------------------------------------


def _check_metric(metric: str, data: MapData | None = None) -> None:
    if metric not in METRICS:
        raise AmayeshError(f"unknown map variable '{metric}': choose one of {', '.join(METRICS)}")
    if data is not None and metric not in data.classes:
        raise AmayeshError(f"map variable '{metric}' is not in this run (counter_share needs a plan with plan.viability_rule: visits)")


def _page(style: MapStyle):
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=style.size, dpi=100)
    ax = fig.add_axes((0.015, 0.08, 0.685, 0.775))
    ax.set_axis_off()
    side = fig.add_axes((0.715, 0.08, 0.27, 0.775))
    side.set_axis_off()
    side.set_xlim(0, 1)
    side.set_ylim(0, 1)
    return fig, ax, side


def _header(fig, run: RunData, metric: str, where_fa: str, where_en: str, style: MapStyle) -> None:
    s = style.scale
    level_fa, level_en = L.LEVEL_FA[run.level], L.LEVEL_EN[run.level]
    scenario_fa, scenario_en = L.scenario_lines(run.summary, style.persian_digits)
    fig.text(0.985, 0.955, L.TITLE_FA, ha="right", va="center", fontsize=15 * s, fontweight="bold")
    fig.text(0.985, 0.915, f"{METRICS[metric]['fa']} به تفکیک {level_fa} — {where_fa}", ha="right", va="center", fontsize=11 * s)
    fig.text(0.985, 0.878, scenario_fa, ha="right", va="center", fontsize=9 * s, color="#444444")
    fig.text(0.015, 0.955, L.TITLE_EN, ha="left", va="center", fontsize=12 * s, fontweight="bold")
    fig.text(0.015, 0.915, f"{METRICS[metric]['en']} by {level_en} — {where_en}", ha="left", va="center", fontsize=10 * s)
    fig.text(0.015, 0.878, scenario_en, ha="left", va="center", fontsize=9 * s, color="#444444")
    fig.add_artist(_rule(fig, 0.86))


def _rule(fig, y: float):
    from matplotlib.lines import Line2D

    return Line2D([0.015, 0.985], [y, y], transform=fig.transFigure, color="#999999", linewidth=0.6)


def _footer(fig, run: RunData, style: MapStyle) -> None:
    s = style.scale
    source_fa, source_en = L.source_lines(run.summary, style.persian_digits)
    created = run.created
    fig.add_artist(_rule(fig, 0.068))
    fig.text(0.985, 0.052, source_fa, ha="right", va="center", fontsize=6.5 * s)
    fig.text(0.015, 0.034, source_en, ha="left", va="center", fontsize=6.5 * s)
    fig.text(0.985, 0.016, L.date_line_fa(style.today, style.persian_digits), ha="right", va="center", fontsize=6.5 * s)
    fig.text(0.015, 0.016, f"{L.date_line_en(style.today)}. Plan run of {created[:16].replace('T', ' ')}. Amayesh",
             ha="left", va="center", fontsize=6.5 * s)


def _box(ax) -> float:
    """Width/height ratio of an axes on paper."""
    position = ax.get_position(original=True)
    return (position.width * ax.figure.get_figwidth()) / (position.height * ax.figure.get_figheight())


def _view(bounds: np.ndarray, margin: tuple[float, float, float, float], box: float, spare: str = "centre") -> tuple[float, float, float, float]:
    """Map limits (x0, x1, y0, y1) showing ``bounds`` with margins (left, right, top, bottom) as shares of the extent.

    The limits are widened in one direction so that a metre is as long across as up on
    an axes of width/height ``box``; ``spare='left'`` puts the added width on the left
    (room for an inset).
    """
    x0, y0, x1, y1 = bounds
    width, height = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    left, right = x0 - margin[0] * width, x1 + margin[1] * width
    bottom, top = y0 - margin[3] * height, y1 + margin[2] * height
    width, height = right - left, top - bottom
    if width / height < box:
        extra = height * box - width
        share = 1.0 if spare == "left" else 0.5
        left, right = left - share * extra, right + (1 - share) * extra
    else:
        extra = (width / box - height) / 2
        bottom, top = bottom - extra, top + extra
    return left, right, bottom, top


def _frame(ax, bounds: np.ndarray, margin: tuple[float, float, float, float], box: float | None = None,
           spare: str = "centre") -> None:
    """Set the axes' limits to :func:`_view` of ``bounds``, with equal scales across and up."""
    left, right, bottom, top = _view(bounds, margin, _box(ax) if box is None else box, spare)
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.set_aspect("equal", adjustable="box")


def _subset(classes: Classes, mask: np.ndarray) -> Classes:
    """The same classes (limits and colours) counted over a subset of the units."""
    from dataclasses import replace

    own = classes.classes[mask]
    counts = tuple(int(n) for n in np.bincount(own[own >= 0], minlength=len(classes.bins)))
    return replace(classes, classes=own, counts=counts)


def _choropleth(ax, units: gpd.GeoDataFrame, classes: Classes, polygons: bool, style: MapStyle, edge: float = 0.25) -> None:
    colours = classes.colour_of()
    if polygons:
        units.plot(ax=ax, color=list(colours), edgecolor="white", linewidth=edge * style.scale)
    else:
        points = units.geometry.representative_point()
        ax.scatter(points.x, points.y, s=_marker_sizes(units, style), c=list(colours), edgecolors="#555555",
                   linewidths=0.4, zorder=3)


def _marker_sizes(units: gpd.GeoDataFrame, style: MapStyle) -> np.ndarray:
    """Circle areas in pt² of units drawn as points (see :func:`prepare`)."""
    sizes = units["marker_size"].to_numpy(float) if "marker_size" in units.columns else np.full(len(units), POINT_MIN)
    return sizes * style.scale**2


def _moratorium(ax, units: gpd.GeoDataFrame, polygons: bool, style: MapStyle) -> None:
    """Hatch the units closed to every new licence; outline (dashed) those closed to urban or rural ones only."""
    partial = units[units["moratorium_partial"]] if "moratorium_partial" in units.columns else units.iloc[:0]
    units = units[units["moratorium"]]
    if len(partial) and polygons:
        partial.plot(ax=ax, facecolor="none", edgecolor=MORATORIUM_COLOUR, linewidth=0.9 * style.scale,
                     linestyle=(0, (3, 1.5)), zorder=3)
    elif len(partial):
        points = partial.geometry.representative_point()
        ax.scatter(points.x, points.y, s=_marker_sizes(partial, style) * 2.2, facecolors="none", edgecolors=MORATORIUM_COLOUR,
                   linewidths=1.0 * style.scale, linestyle=(0, (2, 1.5)), zorder=4)
    if units.empty:
        return
    if polygons:
        import matplotlib as mpl

        with mpl.rc_context({"hatch.linewidth": 0.5 * style.scale}):
            units.plot(ax=ax, facecolor="none", edgecolor=MORATORIUM_COLOUR, hatch="//////", linewidth=0.7 * style.scale, zorder=3)
    else:
        points = units.geometry.representative_point()
        ax.scatter(points.x, points.y, s=_marker_sizes(units, style) * 2.2, facecolors="none", edgecolors=MORATORIUM_COLOUR,
                   linewidths=2.0 * style.scale, zorder=4)


def _boundaries(ax, provinces: gpd.GeoDataFrame, width: float, polygons: bool) -> None:
    if polygons and provinces.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all():
        provinces.boundary.plot(ax=ax, color=BOUNDARY_COLOUR, linewidth=width, zorder=4)


def _place_labels(ax, frame: gpd.GeoDataFrame, column: str, size: float, clip: bool = False, min_area_mm2: float = 0.0,
                  width_in: float | None = None) -> None:
    """Persian labels at each feature's representative point, with a white halo.

    Features smaller on paper than ``min_area_mm2`` get no label, and a label that would
    overlap one already placed (larger features first) is left out; ``width_in`` is the
    axes' width on paper (needed for insets, whose position is set at draw time).
    """
    if column not in frame or frame.empty:
        return
    mm = _metres_per_mm(ax, width_in)
    polygons = frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    if polygons:
        area = frame.geometry.area.to_numpy() / mm**2
        frame = frame.iloc[np.argsort(-area, kind="stable")]
        frame = frame[np.sort(area)[::-1] >= min_area_mm2]
    points = frame.geometry.representative_point()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    point_mm = 25.4 / 72
    # Point units: the label goes under the circle (offsets in points), not on it.
    below = np.zeros(len(frame)) if polygons else np.sqrt(POINT_MIN + POINT_RANGE) / 2 * size / 6.0 + 2.0
    placed: list[tuple[float, float, float, float]] = []
    for x, y, text, offset in zip(points.x, points.y, frame[column], np.broadcast_to(below, len(frame))):
        if not isinstance(text, str) or not text or not (x0 <= x <= x1 and y0 <= y <= y1):
            continue
        lines = text.split("\n")
        half_w = 0.5 * max(len(line) for line in lines) * 0.5 * size * point_mm * mm
        half_h = 0.5 * len(lines) * 1.2 * size * point_mm * mm
        centre = y - (offset * point_mm * mm + half_h if offset else 0.0)
        box = (x - half_w, x + half_w, centre - half_h, centre + half_h)
        if any(box[0] < b[1] and b[0] < box[1] and box[2] < b[3] and b[2] < box[3] for b in placed):
            continue
        placed.append(box)
        _halo_text(ax, x, y, text, offset=offset, fontsize=size, ha="center", va="top" if offset else "center", zorder=6,
                   linespacing=1.0, clip_on=clip)


def _halo_text(ax, x: float, y: float, text: str, offset: float = 0.0, **options) -> None:
    """Text over a white halo, ``offset`` points below (x, y). The halo is a separate outline, so the
    text itself stays text in a PDF (searchable, extracted by ``pdftotext``); text drawn with path
    effects becomes outlines."""
    from matplotlib import patheffects

    stroke = [patheffects.withStroke(linewidth=2.0, foreground="white")]
    where = {"xy": (x, y), "xytext": (0, -offset), "textcoords": "offset points"}
    if "transform" in options:
        where = {"xy": (x, y), "xycoords": options.pop("transform")}
    ax.annotate(text, color="white", path_effects=stroke, **where, **options)
    ax.annotate(text, **where, **options)


def _metres_per_mm(ax, width_in: float | None = None) -> float:
    """Ground metres per paper millimetre of a map axes ``width_in`` inches wide (read when not given)."""
    x0, x1 = ax.get_xlim()
    if width_in is None:
        width_in = ax.get_position(original=True).width * ax.figure.get_figwidth()
    return (x1 - x0) / (width_in * 25.4)


def _tehran_inset(ax, data: MapData, classes: Classes, style: MapStyle) -> None:
    mask = (data.units["province_code"] == TEHRAN).to_numpy()
    units = data.units[mask]
    bounds = (0.0, 0.0, 0.33, 0.30)
    inset = ax.inset_axes(bounds)
    position = ax.get_position(original=True)
    box = (bounds[2] * position.width * ax.figure.get_figwidth()) / (bounds[3] * position.height * ax.figure.get_figheight())
    for spine in inset.spines.values():
        spine.set_edgecolor("#555555")
    _choropleth(inset, units, _subset(classes, mask), data.polygons, style, edge=0.5)
    _moratorium(inset, units, data.polygons, style)
    _frame(inset, units.total_bounds, margin=(0.05, 0.05, 0.16, 0.05), box=box)
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_xlabel("")
    inset.set_ylabel("")
    width_in = bounds[2] * position.width * ax.figure.get_figwidth()
    _place_labels(inset, units, "name_fa", 5.0 * style.scale, clip=True, min_area_mm2=40 * style.scale**2, width_in=width_in)
    _halo_text(inset, 0.97, 0.965, "استان تهران", transform=inset.transAxes, ha="right", va="top",
               fontsize=7.5 * style.scale, fontweight="bold")
    _halo_text(inset, 0.03, 0.965, "Tehran province", transform=inset.transAxes, ha="left", va="top", fontsize=6.5 * style.scale)
    inset.set_facecolor("white")
    inset.patch.set_alpha(1.0)
    x0, y0, x1, y1 = units.total_bounds
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="#222222", linewidth=0.8, zorder=7))


def _north_arrow(ax, style: MapStyle) -> None:
    """A north arrow in the bottom margin, left of the scale bar, turned to true north at the map's centre."""
    from matplotlib.patches import Polygon
    from pyproj import Transformer

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    to_geo = Transformer.from_crs(IRAN_CRS, 4326, always_xy=True)
    to_map = Transformer.from_crs(4326, IRAN_CRS, always_xy=True)
    lon, lat = to_geo.transform((x0 + x1) / 2, (y0 + y1) / 2)
    nx, ny = to_map.transform(lon, lat + 0.5)
    cx, cy = to_map.transform(lon, lat)
    angle = np.arctan2(nx - cx, ny - cy)  # clockwise from the map's up
    size = 0.04 * (y1 - y0)
    bx = x1 - 0.04 * (x1 - x0) - _nice_length(x1 - x0) - 0.05 * (x1 - x0)
    by = y0 + 0.025 * (y1 - y0)
    rot = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]])
    left = np.array([[0, size], [-0.35 * size, -0.35 * size], [0, 0]]) @ rot.T + [bx, by]
    right = np.array([[0, size], [0.35 * size, -0.35 * size], [0, 0]]) @ rot.T + [bx, by]
    ax.add_patch(Polygon(left, closed=True, facecolor="black", edgecolor="black", linewidth=0.6, zorder=8))
    ax.add_patch(Polygon(right, closed=True, facecolor="white", edgecolor="black", linewidth=0.6, zorder=8))
    tip = np.array([0, size * 1.12]) @ rot.T + [bx, by]
    ax.text(tip[0], tip[1], "N  شمال", ha="center", va="bottom", fontsize=7 * style.scale, zorder=8)


def _nice_length(extent_m: float) -> float:
    """A round scale-bar length near a quarter of the map width, in metres."""
    target = extent_m / 4
    magnitude = 10 ** np.floor(np.log10(target))
    for step in (5, 2, 1):
        if step * magnitude <= target:
            return float(step * magnitude)
    return float(magnitude)


def _scale_bar(ax, style: MapStyle) -> None:
    """A scale bar in kilometres at the bottom right, four alternating segments."""
    from matplotlib.patches import Rectangle

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length(x1 - x0)
    height = 0.008 * (y1 - y0)
    right = x1 - 0.04 * (x1 - x0)
    left = right - length
    base = y0 + 0.04 * (y1 - y0)
    for i in range(4):
        ax.add_patch(Rectangle((left + i * length / 4, base), length / 4, height, facecolor="black" if i % 2 == 0 else "white",
                               edgecolor="black", linewidth=0.5, zorder=8))
    size = 6.5 * style.scale
    km = length / 1000
    for value, x in ((0, left), (km / 2, left + length / 2), (km, right)):
        text = L.number(value, 0 if value == int(value) else 1, style.persian_digits)
        ax.text(x, base + 1.8 * height, text, ha="center", va="bottom", fontsize=size, zorder=8)
    ax.text(right, base - 1.2 * height, "کیلومتر  km", ha="right", va="top", fontsize=size, zorder=8)


def _sidebar(side, run: RunData, units: gpd.GeoDataFrame, classes: Classes, metric: str, style: MapStyle,
             sites: bool, all_classes: Classes | None = None) -> None:
    """Legend and key numbers, right-aligned for a Persian reader."""
    from matplotlib.patches import Patch
    from matplotlib.lines import Line2D

    s = style.scale
    persian = style.persian_digits
    level_fa, level_en = L.LEVEL_FA[run.level], L.LEVEL_EN[run.level]
    y = 1.0
    side.text(1.0, y, METRICS[metric]["fa"], ha="right", va="top", fontsize=9.5 * s, fontweight="bold", transform=side.transAxes)
    y -= 0.045
    side.text(1.0, y, METRICS[metric]["en"], ha="right", va="top", fontsize=8 * s, color="#333333", transform=side.transAxes)
    y -= 0.04
    scheme_fa = {"quantiles": "چندک", "natural_breaks": "شکست‌های طبیعی (جنکس)", "user": "طبقه‌های کاربر"}[classes.scheme]
    side.text(1.0, y, f"طبقه‌بندی: {scheme_fa} · {L.digits(str(classes.scheme), False)}",
              ha="right", va="top", fontsize=6.5 * s, color="#555555", transform=side.transAxes)
    y -= 0.035
    handles, texts = [], []
    for colour, text, count in zip(classes.colours, classes.labels(persian, separator=" تا "), classes.counts):
        handles.append(Patch(facecolor=colour, edgecolor="#777777", linewidth=0.4))
        texts.append(f"{text}   ({L.number(count, 0, persian)} {level_fa})")
    if (classes.classes < 0).any():
        handles.append(Patch(facecolor="#d9d9d9", edgecolor="#777777", linewidth=0.4))
        texts.append("بدون داده  no data")
    polygons = units.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    if polygons:
        handles.append(Patch(facecolor="white", edgecolor=MORATORIUM_COLOUR, hatch="//////", linewidth=0.8))
    else:
        handles.append(Line2D([], [], marker="o", linestyle="none", markersize=9, markerfacecolor="none",
                              markeredgecolor=MORATORIUM_COLOUR, markeredgewidth=2))
    texts.append(f"ممنوعیت مجوز جدید (اشباع)   ({L.number(int(units['moratorium'].sum()), 0, persian)})\nmoratorium: saturated {level_en}")
    partial = int(units["moratorium_partial"].sum()) if "moratorium_partial" in units.columns else 0
    if partial and polygons:
        handles.append(Patch(facecolor="white", edgecolor=MORATORIUM_COLOUR, linestyle=(0, (3, 1.5)), linewidth=0.9))
    elif partial:
        handles.append(Line2D([], [], marker="o", linestyle="none", markersize=9, markerfacecolor="none",
                              markeredgecolor=MORATORIUM_COLOUR, markeredgewidth=1))
    if partial:
        texts.append(f"ممنوعیت فقط شهری یا روستایی   ({L.number(partial, 0, persian)})\nmoratorium: urban or rural only")
    if polygons:
        handles.append(Line2D([], [], color=BOUNDARY_COLOUR, linewidth=1.2))
        texts.append("مرز استان  province boundary")
    if sites:
        handles.append(Line2D([], [], marker="^", linestyle="none", color="black", markersize=6))
        texts.append("محل پیشنهادی دفتر جدید\nproposed new office site")
    legend = side.legend(handles, texts, loc="upper right", bbox_to_anchor=(1.0, y), frameon=False, markerfirst=False,
                         fontsize=7.5 * s, handlelength=2.2, handleheight=1.3, labelspacing=0.55, borderaxespad=0.0,
                         alignment="right")
    for text in legend.get_texts():
        text.set_horizontalalignment("right")
    side.add_artist(legend)
    _key_numbers(side, run, units, style)


def _key_numbers(side, run: RunData, units: gpd.GeoDataFrame, style: MapStyle) -> None:
    s = style.scale
    persian = style.persian_digits
    level_fa = L.LEVEL_FA[run.level]
    lines = [
        (f"مجوزهای جدید: {L.number(units['new_licences'].sum(), 0, persian)}", f"new licences: {units['new_licences'].sum():,}"),
        (f"دفاتر موجود: {L.number(units['existing_offices'].sum(), 0, persian)}", f"existing offices: {units['existing_offices'].sum():,}"),
        (f"{level_fa}های دارای مجوز جدید: {L.number(int((units['new_licences'] > 0).sum()), 0, persian)} از {L.number(len(units), 0, persian)}",
         f"units with new licences: {int((units['new_licences'] > 0).sum())} of {len(units)}"),
        (f"درخواست‌ها: {L.number(units['applications'].sum(), 0, persian)}", f"applications: {units['applications'].sum():,}"),
    ]
    y = 0.42
    side.text(1.0, y, "اعداد کلیدی  ·  key figures", ha="right", va="top", fontsize=8 * s, fontweight="bold", transform=side.transAxes)
    y -= 0.045
    for fa, en in lines:
        side.text(1.0, y, fa, ha="right", va="top", fontsize=7.5 * s, transform=side.transAxes)
        side.text(1.0, y - 0.03, en, ha="right", va="top", fontsize=6.3 * s, color="#555555", transform=side.transAxes)
        y -= 0.068
    if run.synthetic:
        side.text(1.0, y - 0.005, "ثبت دفاتر و درخواست‌ها مصنوعی است\nSYNTHETIC registers: not real offices",
                  ha="right", va="top", fontsize=7 * s, color="#b30000", fontweight="bold", transform=side.transAxes,
                  bbox={"boxstyle": "round,pad=0.3", "facecolor": "#fff0f0", "edgecolor": "#b30000", "linewidth": 0.6})


def _locator(side, provinces: gpd.GeoDataFrame, code: str, polygons: bool) -> None:
    """A small map of Iran with the province in dark grey, at the bottom left of the sidebar."""
    ax = side.inset_axes((0.0, 0.0, 0.42, 0.30))
    ax.set_axis_off()
    if polygons and provinces.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all():
        colours = np.where(provinces["province_code"] == code, "#333333", "#dddddd")
        provinces.plot(ax=ax, color=list(colours), edgecolor="white", linewidth=0.2)
    else:
        points = provinces.geometry.representative_point()
        colours = np.where(provinces["province_code"] == code, "#333333", "#bbbbbb")
        ax.scatter(points.x, points.y, s=6, c=list(colours))
    ax.set_aspect("equal")
