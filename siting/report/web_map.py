"""The interactive map (folium): one self-contained HTML file that works with no network.

Layers a planner switches in the layer control:

- four choropleths (one at a time): new licences, need score, gap, speculative pressure
  (applications per allocated licence), each with its classed legend. They share one
  GeoJSON layer, restyled on switching, so the geometry is in the file once;
- overlays: province boundaries, moratorium units (hatched and outlined), proposed
  new sites, existing offices, applications (coloured by decision), industrial parks,
  and an online basemap when asked for.

Tooltips and popups are in Persian and English. With ``offline=True`` (the default)
Leaflet, jQuery and the Persian font are inlined and nothing is fetched.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import OrderedDict
from pathlib import Path
from typing import Iterator

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from siting.report import labels as L
from siting.report.labels import DECISION_FA, SETTING_FA, STATUS_FA, TIER_FA
from siting.report.classes import METRICS, Classes, classify_all
from siting.report.fonts import webfont_data_uri
from siting.report.offline import check_offline, inline_assets
from siting.report.run import RunData

SIMPLIFY_DEGREES = 0.01  # Visvalingam area ~1 km²: invisible below zoom 10
GRID_DEGREES = 0.0001
DECISION_COLOURS = {"granted": "#1a9641", "waitlisted": "#fdae61", "refused": "#d7191c"}
MORATORIUM_COLOUR = "#8b0000"
OSM_TILES = "OpenStreetMap"


def _tier(tiers: pd.Series, persian: bool) -> pd.Series:
    """Tiers as written by the plan: numbers or words (deprived, middle, privileged)."""
    numbers = pd.to_numeric(tiers, errors="coerce")
    words = tiers.astype(str).map(lambda t: f"{TIER_FA.get(t, t)} · {t}" if t in TIER_FA else t)
    return pd.Series(np.where(numbers.notna(), _fmt(numbers.fillna(0), 0, persian), words), index=tiers.index)


def _layer_name(metric: str) -> str:
    return f"{METRICS[metric]['fa']} · {METRICS[metric]['en']}"


def web_map(
    run: RunData,
    scheme: str = "quantiles",
    breaks: dict[str, list[float]] | None = None,
    k: int = 5,
    persian_digits: bool = True,
    basemap: bool = False,
    date: dt.date | None = None,
    metric: str = "new_licences",
):
    """Build the interactive map of a run.

    Parameters
    ----------
    run
        The plan run.
    scheme, breaks, k
        Classification of the choropleths (see :func:`siting.report.classes.classify`).
    persian_digits
        Write numbers in tooltips and legends with Persian digits.
    basemap
        Add an OpenStreetMap tile layer (needs the internet when viewed).
    date
        Date printed in the title box (today by default).
    metric
        The choropleth shown first.

    Returns
    -------
    folium.Map
    """
    import folium

    units = _web_units(run)
    classes = classify_all(units, scheme, breaks, k)
    props = _unit_properties(units, classes, run, persian_digits)
    minx, miny, maxx, maxy = run.units.total_bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=5, tiles=None, zoom_control="bottomleft",
                   control_scale=True, prefer_canvas=False)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    if basemap:
        folium.TileLayer(OSM_TILES, name="نقشه پایه · Basemap (online)", overlay=True, control=True, show=True).add_to(m)
    switches = {name: folium.FeatureGroup(name=_layer_name(name), overlay=False, show=(name == metric)) for name in classes}
    for group in switches.values():
        group.add_to(m)
    unit_layer = _unit_layer(props, run.polygons, metric)
    unit_layer.add_to(m)
    _provinces_layer(run, persian_digits).add_to(m)
    moratorium = props[props["moratorium_flag"] | props["partial_flag"]]
    if len(moratorium):
        _moratorium_layer(moratorium, run.polygons).add_to(m)
    for layer in _point_layers(run, persian_digits):
        layer.add_to(m)
    folium.LayerControl(position="topleft", collapsed=False).add_to(m)
    _furniture(m, run, classes, switches, unit_layer, metric, persian_digits, date or dt.date.today())
    number_elements(m)
    return m


def _elements(root) -> Iterator:
    """Every element under ``root``, depth first, children in the order they were added (a figure's
    header, html and script sections after its children)."""
    from branca.element import Element

    stack, seen = [root], set()
    while stack:
        element = stack.pop()
        if id(element) in seen:
            continue
        seen.add(id(element))
        yield element
        sections = [getattr(element, name, None) for name in ("header", "html", "script")]
        below = list(element._children.values()) + [s for s in sections if isinstance(s, Element)]
        stack.extend(reversed(below))


def number_elements(m) -> None:
    """Give every element of the map an id numbered in tree order instead of branca's random one.

    branca names each element after 16 random bytes and the names are the page's JavaScript
    variables (``map_3f2a…``, ``geo_json_…``), so the same map rendered twice differed on every
    line. Numbered in tree order, the page is a function of the map's content; children stay keyed
    by their (new) names, as ``add_child`` keys them.
    """
    root = m.get_root()
    elements = list(_elements(root))
    old = {id(element): element.get_name() for element in elements}
    for number, element in enumerate(elements):
        element._id = f"{number:05d}"
    for element in elements:
        element._children = OrderedDict(
            (child.get_name() if key == old[id(child)] else key, child) for key, child in element._children.items())


def render_html(m, offline: bool = True) -> str:
    """The map as one HTML page; with ``offline`` every library is inlined and nothing is fetched.

    Raises
    ------
    AmayeshError
        If ``offline`` and the page would still fetch something (e.g. a basemap).
    """
    html = m.get_root().render()
    if offline:
        html = inline_assets(html)
        check_offline(html)
    return html


def write_web_map(run: RunData, path: Path | str, offline: bool = True, **options) -> Path:
    """Write ``map.html`` for a run (see :func:`web_map` for ``options``)."""
    path = Path(path)
    html = render_html(web_map(run, **options), offline=offline and not options.get("basemap", False))
    path.write_text(html, encoding="utf-8")
    return path


# --- data ---------------------------------------------------------------------------------------------------


def _web_units(run: RunData) -> gpd.GeoDataFrame:
    units = run.units.copy()
    if run.polygons:
        geometry = shapely.coverage_simplify(units.geometry.values, SIMPLIFY_DEGREES)
        units = units.set_geometry(shapely.set_precision(geometry, GRID_DEGREES))
    return units


def _fmt(values: pd.Series, decimals: int, persian: bool) -> pd.Series:
    return values.map(lambda v: L.number(float(v), decimals, persian))


def _parts(units: pd.DataFrame, what: str, persian: bool) -> pd.Series:
    """``urban / rural`` figures of one quantity (``existing``, ``target``, ``cap``, ``new``); "–" where a run lacks them."""
    def part(setting: str) -> pd.Series:
        column = f"{what}_{setting}"
        return _fmt(units[column] if column in units else pd.Series(np.nan, index=units.index), 0, persian)

    return part("urban") + " / " + part("rural")


def _unit_properties(units: gpd.GeoDataFrame, classes: dict[str, Classes], run: RunData, persian: bool) -> gpd.GeoDataFrame:
    """Display strings (Persian and English) and the colour of each choropleth, per unit."""
    provinces = run.provinces.set_index("province_code")
    province_fa = units["province_code"].map(provinces["name_fa"]) if "name_fa" in provinces else units["province_code"]
    province_en = units["province_code"].map(provinces["name_en"]) if "name_en" in provinces else units["province_code"]
    gap = units["gap"].astype(float)
    gap_fa, gap_en = _fmt(gap.clip(lower=0), 0, persian), _fmt(gap.clip(lower=0), 0, False)
    rank_fa, rank_en = _fmt(units["rank"], 0, persian), _fmt(units["rank"], 0, False)
    reason = units["moratorium_reason"].fillna("").astype(str)
    moratorium = units["moratorium"].astype(bool).to_numpy()
    partial = units.get("moratorium_partial", pd.Series(False, index=units.index)).astype(bool).to_numpy()
    closed_urban = units.get("moratorium_urban", pd.Series(False, index=units.index)).astype(bool).to_numpy()
    closed_rural = units.get("moratorium_rural", pd.Series(False, index=units.index)).astype(bool).to_numpy()
    new = units["new_licences"].to_numpy()
    conditions = [moratorium | (partial & (new == 0)), new > 0, gap.to_numpy() <= 0]
    reason_fa = np.select(
        conditions,
        ["ممنوعیت صدور مجوز جدید (اشباع): " + reason, "کمبود " + gap_fa + " دفتر نسبت به هدف؛ رتبه نیاز " + rank_fa,
         "بدون کمبود: دفاتر موجود به هدف رسیده است"],
        "کمبود " + gap_fa + " دفتر، پایین‌تر از سهمیه این دوره",
    )
    reason_en = np.select(
        conditions,
        ["Moratorium (saturated): " + reason, "Gap of " + gap_en + " offices to the target; need rank " + rank_en,
         "No gap: existing offices meet the target"],
        "Gap of " + gap_en + " offices, below this round's cut",
    )
    props = gpd.GeoDataFrame(
        {
            "unit_code": units["unit_code"],
            "name": units["name_fa"].fillna("") + " · " + units["name_en"].fillna(""),
            "province": province_fa.fillna("") + " · " + province_en.fillna(""),
            "population": _fmt(units["pop_total"], 0, persian),
            "existing": _fmt(units["existing_offices"], 0, persian),
            "target": _fmt(units["target_offices"], 0, persian),
            "new": _fmt(units["new_licences"], 0, persian),
            "urban_rural": _parts(units, "new", persian),
            "existing_parts": _parts(units, "existing", persian),
            "target_parts": _parts(units, "target", persian),
            "cap_parts": _parts(units, "cap", persian),
            "score": _fmt(units["score"], 3, persian),
            "rank_tier": rank_fa + " / " + _tier(units["tier"], persian),
            "gap": _fmt(gap, 0, persian),
            "applications": _fmt(units["applications"], 0, persian) + " / " + _fmt(units["applications_speculative"], 0, persian),
            "pressure": _fmt(units["pressure"], 1, persian),
            "moratorium": np.select(
                [moratorium, partial & closed_urban, partial & closed_rural, partial],
                ["بله، شهری و روستایی · yes, urban and rural", "فقط شهری · urban only", "فقط روستایی · rural only",
                 "فقط شهری یا روستایی · urban or rural only"], "خیر · no"),
            "reason_fa": reason_fa,
            "reason_en": reason_en,
            "moratorium_flag": moratorium,
            "partial_flag": partial,
            # Radius (px) of a unit drawn as a circle (no polygons): area proportional to population.
            "r": np.round(4 + 12 * np.sqrt(units["pop_total"].to_numpy(float) / max(float(units["pop_total"].max()), 1.0)), 1),
        },
        geometry=units.geometry.values,
        crs=units.crs,
    )
    for metric, found in classes.items():
        props[f"c_{metric}"] = found.colour_of()
    return props


UNIT_FIELDS = {
    "name": "نام · Name",
    "province": "استان · Province",
    "population": "جمعیت ۱۳۹۵ · Population 2016",
    "existing": "دفاتر موجود · Existing offices",
    "target": "هدف · Target",
    "new": "مجوز جدید · New licences",
}
POPUP_FIELDS = {
    **UNIT_FIELDS,
    # Each part on its own: the cap binds urban and rural offices separately, so totals alone can read as a breach.
    "existing_parts": "موجود شهری / روستایی · Existing urban / rural",
    "target_parts": "هدف شهری / روستایی · Target urban / rural",
    "cap_parts": "سقف شهری / روستایی · Cap urban / rural",
    "urban_rural": "مجوز جدید شهری / روستایی · New urban / rural",
    "score": "امتیاز نیاز · Need score",
    "rank_tier": "رتبه / سطح · Rank / tier",
    "gap": "کمبود · Gap",
    "applications": "درخواست / سوداگرانه · Applications / speculative",
    "pressure": "درخواست به ازای مجوز · Applications per licence",
    "moratorium": "ممنوعیت · Moratorium",
    "reason_fa": "دلیل",
    "reason_en": "Reason",
}


def _unit_layer(props: gpd.GeoDataFrame, polygons: bool, metric: str):
    import folium

    colour = f"c_{metric}"
    data = collection(props, [c for c in props.columns if c not in ("geometry", "moratorium_flag", "partial_flag")])
    tooltip = folium.GeoJsonTooltip(fields=list(UNIT_FIELDS), aliases=list(UNIT_FIELDS.values()), class_name="amayesh-tip")
    popup = folium.GeoJsonPopup(fields=list(POPUP_FIELDS), aliases=list(POPUP_FIELDS.values()), class_name="amayesh-popup")
    style = {"color": "#ffffff", "weight": 0.6, "fillOpacity": 0.8}
    if polygons:
        return folium.GeoJson(data, name="units", control=False, tooltip=tooltip, popup=popup,
                              style_function=lambda f: {**style, "fillColor": f["properties"][colour]})
    marker = folium.CircleMarker(radius=7, fill=True, weight=1)
    return folium.GeoJson(data, name="units", control=False, tooltip=tooltip, popup=popup, marker=marker,
                          style_function=lambda f: {"color": "#555555", "weight": 1, "fillOpacity": 0.9,
                                                    "fillColor": f["properties"][colour], "radius": f["properties"]["r"]})


def _provinces_layer(run: RunData, persian: bool):
    import folium

    provinces = run.provinces.copy()
    provinces["name"] = provinces.get("name_fa", provinces["province_code"]).fillna("") + " · " + provinces.get(
        "name_en", provinces["province_code"]).fillna("")
    provinces = provinces[["province_code", "name", "geometry"]]
    name = "مرز استان‌ها · Province boundaries"
    if provinces.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all():
        geometry = shapely.coverage_simplify(provinces.geometry.values, SIMPLIFY_DEGREES)
        lines = provinces.set_geometry(shapely.set_precision(shapely.boundary(geometry), GRID_DEGREES))
        return folium.GeoJson(lines, name=name, interactive=False,
                              style_function=lambda f: {"color": "#222222", "weight": 1.6, "fill": False})
    name = "مراکز استان‌ها · Province centres"
    return folium.GeoJson(provinces, name=name, show=False, marker=folium.CircleMarker(radius=3, fill=True),
                          tooltip=folium.GeoJsonTooltip(fields=["name"], aliases=["استان · Province"], class_name="amayesh-tip"),
                          style_function=lambda f: {"color": "#222222", "fillColor": "#ffffff", "fillOpacity": 1, "weight": 1})


def _moratorium_layer(props: gpd.GeoDataFrame, polygons: bool):
    import folium

    data = collection(props.assign(full=props["moratorium_flag"].astype(int)),
                      ["unit_code", "name", "existing", "reason_fa", "reason_en", "full", "r"])
    name = "ممنوعیت مجوز جدید (هاشور) · Moratorium (hatched)"
    tooltip = folium.GeoJsonTooltip(fields=["name", "existing", "reason_fa", "reason_en"],
                                    aliases=["نام · Name", "دفاتر موجود · Existing offices", "دلیل", "Reason"],
                                    class_name="amayesh-tip")
    if polygons:
        return folium.GeoJson(data, name=name, tooltip=tooltip, style_function=lambda f: (
            {"color": MORATORIUM_COLOUR, "weight": 2, "fill": True, "fillOpacity": 1, "className": "amayesh-moratorium"}
            if f["properties"]["full"] else {"color": MORATORIUM_COLOUR, "weight": 2, "dashArray": "5 4", "fill": False}))
    return folium.GeoJson(data, name=name, tooltip=tooltip, marker=folium.CircleMarker(radius=10, fill=False),
                          style_function=lambda f: {"color": MORATORIUM_COLOUR, "weight": 3 if f["properties"]["full"] else 1.5,
                                                    "dashArray": None if f["properties"]["full"] else "4 3", "fill": False,
                                                    "radius": f["properties"]["r"] + 4})


def _points(frame: pd.DataFrame | gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if isinstance(frame, gpd.GeoDataFrame):
        points = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
        return points.set_geometry(shapely.set_precision(points.geometry.values, 0.00001))
    located = frame.dropna(subset=["lon", "lat"])
    geometry = shapely.set_precision(shapely.points(located[["lon", "lat"]].to_numpy(float)), 0.00001)
    return gpd.GeoDataFrame(located.drop(columns=["lon", "lat"]), geometry=geometry, crs=4326)


def collection(frame: gpd.GeoDataFrame, columns: list[str]) -> str:
    """A GeoJSON FeatureCollection as text, built column-wise (fast for tens of thousands of points)."""
    if frame.empty:
        return '{"type":"FeatureCollection","features":[]}'
    geometry = pd.Series(shapely.to_geojson(frame.geometry.values), index=frame.index)
    records = frame[columns].to_json(orient="records", lines=True, force_ascii=False).split("\n")
    properties = pd.Series([r for r in records if r], index=frame.index)
    ids = pd.Series(np.arange(len(frame)).astype(str), index=frame.index)
    features = '{"type":"Feature","id":"' + ids + '","properties":' + properties + ',"geometry":' + geometry + "}"
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"


def _codes(values: pd.Series) -> tuple[pd.Series, list[str]]:
    """Small integer codes for a text column, and the texts in code order (a JS lookup table)."""
    codes, uniques = pd.factorize(values.fillna("").astype(str))
    return pd.Series(codes, index=values.index), [str(u) for u in uniques]


def _lookup_tooltip(fields: list[tuple[str, str, list[str] | None]], style: str | None = None):
    """JS that binds a bilingual tooltip; ``fields`` are (property, label, lookup table or None)."""
    from folium.utilities import JsCode

    tables = {prop: table for prop, _, table in fields if table is not None}
    rows = " + ".join(
        f"'<tr><th>{label}</th><td>' + "
        + (f"T[{json.dumps(prop)}][p[{json.dumps(prop)}]]" if prop in tables else f"p[{json.dumps(prop)}]")
        + " + '</td></tr>'"
        for prop, label, _ in fields
    )
    restyle = f"layer.setStyle({style});" if style else ""
    return JsCode(
        "function (feature, layer) { var T = " + json.dumps(tables, ensure_ascii=False) + "; var p = feature.properties; "
        + restyle + " layer.bindTooltip('<table>' + " + rows + " + '</table>', {className: 'amayesh-tip', sticky: true}); }"
    )


def _point_layers(run: RunData, persian: bool) -> list:
    import folium

    layers = []
    names = run.units.set_index("unit_code")["name_fa"] + " · " + run.units.set_index("unit_code")["name_en"].fillna("")
    if run.sites is not None and len(run.sites):
        sites = _points(run.sites)
        kind = sites["kind"].astype(str).str.lower()
        unit, units_table = _codes(sites["unit_code"].map(names).fillna(sites["unit_code"]))
        sites = sites.assign(
            u=unit, k=(kind == "new").astype(int), c=_fmt(sites["population_covered"], 0, persian), s=sites["site_code"].astype(str),
        )
        layers.append(folium.GeoJson(
            collection(sites, ["s", "u", "k", "c"]), name="محل‌های پیشنهادی · Proposed sites",
            marker=folium.CircleMarker(radius=3.5, fill=True, color="#ffffff", weight=1, fill_color="#000000", fill_opacity=1),
            on_each_feature=_lookup_tooltip([
                ("s", "محل · Site", None), ("u", "شهرستان · Unit", units_table),
                ("k", "نوع · Kind", ["دفتر موجود · existing office", "دفتر جدید · new office"]),
                ("c", "جمعیت تحت پوشش · Population covered", None)])))
    offices = run.layers.get("offices")
    if offices is not None and len(offices):
        offices = _points(offices)
        empty = pd.Series("", index=offices.index)
        setting = offices.get("setting", empty).astype(str)
        status = offices.get("status", empty).astype(str)
        what, what_table = _codes(setting.map(SETTING_FA).fillna(setting) + " · " + setting + " — "
                                  + status.map(STATUS_FA).fillna(status) + " · " + status)
        unit, units_table = _codes(offices.get("unit_code", empty).map(names).fillna(""))
        offices = offices.assign(i=offices.get("licence_id", empty).astype(str), w=what, u=unit)
        layers.append(folium.GeoJson(
            collection(offices, ["i", "w", "u"]), name="دفاتر موجود · Existing offices", show=False,
            marker=folium.CircleMarker(radius=2.5, fill=True, color="#4d4d4d", weight=0.5, fill_color="#bdbdbd", fill_opacity=0.9),
            on_each_feature=_lookup_tooltip([("i", "مجوز · Licence", None), ("u", "شهرستان · Unit", units_table),
                                             ("w", "وضعیت · Status", what_table)])))
    applications = _applications(run)
    if applications is not None and len(applications):
        decision, decisions = _codes(applications["decision"])
        reason, reasons = _codes(applications["reason"])
        colours = [DECISION_COLOURS.get(d, "#777777") for d in decisions]
        labels = [f"{DECISION_FA.get(d, d)} · {d}" for d in decisions]
        applications = applications.assign(d=decision, r=reason)
        style = "{color: " + json.dumps(colours) + "[p.d], fillColor: " + json.dumps(colours) + "[p.d]}"
        layers.append(folium.GeoJson(
            collection(applications, ["i", "d", "r", "t"]), name="درخواست‌ها (بر پایه تصمیم) · Applications by decision",
            show=False, marker=folium.CircleMarker(radius=3, fill=True, weight=0.5, fill_opacity=0.85),
            on_each_feature=_lookup_tooltip([("i", "درخواست · Application", None), ("d", "تصمیم · Decision", labels),
                                             ("r", "دلیل · Reason", reasons), ("t", "تاریخ · Date", None)], style=style)))
    parks = run.layers.get("industrial_parks")
    if parks is not None and len(parks):
        parks = _points(parks)
        empty = pd.Series("", index=parks.index)
        label = parks.get("name_fa", parks.get("park_id", empty)).fillna("").astype(str)
        unit, units_table = _codes(parks.get("unit_code", empty).map(names).fillna(""))
        parks = parks.assign(n=label, u=unit)
        layers.append(folium.GeoJson(
            collection(parks, ["n", "u"]), name="شهرک‌های صنعتی · Industrial parks", show=False,
            marker=folium.CircleMarker(radius=4, fill=True, color="#54278f", weight=1, fill_color="#9e9ac8", fill_opacity=0.9),
            on_each_feature=_lookup_tooltip([("n", "نام · Name", None), ("u", "شهرستان · Unit", units_table)])))
    return layers


def _applications(run: RunData) -> gpd.GeoDataFrame | None:
    points = run.layers.get("applications")
    if points is None or points.empty:
        return None
    points = _points(points)
    empty = pd.Series("", index=points.index)
    if "application_id" in points.columns:
        table = run.applications.drop_duplicates("application_id").set_index("application_id")
        ids = points["application_id"].astype(str)
        decision = ids.map(table["decision"]).fillna(points.get("decision", empty)).astype(str)
        reason = ids.map(table["reason"]).fillna("").astype(str)
        date = ids.map(table["application_date"]).fillna("").astype(str)
    else:
        ids, reason, date = empty, empty, empty
        decision = points.get("decision", empty).astype(str)
    return points.assign(i=ids, decision=decision.str.lower(), reason=reason, t=date)[["i", "decision", "reason", "t", "geometry"]]


# --- page furniture -----------------------------------------------------------------------------------------

_CSS = """
@font-face { font-family: 'Vazirmatn'; src: url(@FONT@) format('woff2'); font-weight: normal; font-style: normal; }
html body, html body .leaflet-container, html body .leaflet-container * { font-family: 'Vazirmatn', Tahoma, 'DejaVu Sans', sans-serif; }
.leaflet-control-attribution { font-size: 10px; max-width: 70%; direction: ltr; }
.leaflet-container { background: #ffffff; }
.amayesh-box { background: rgba(255,255,255,0.93); padding: 8px 12px; border-radius: 6px; box-shadow: 0 1px 5px rgba(0,0,0,0.4);
  font-size: 13px; line-height: 1.5; max-width: 360px; }
.amayesh-title { direction: rtl; text-align: right; }
.amayesh-title h1 { font-size: 16px; margin: 0 0 2px 0; }
.amayesh-title .en { direction: ltr; text-align: left; color: #444; font-size: 12px; }
.amayesh-title .synthetic { color: #b30000; font-weight: bold; }
.amayesh-legend { direction: rtl; text-align: right; }
.amayesh-legend .block { display: none; }
.amayesh-legend .block.active { display: block; }
.amayesh-legend .row { display: flex; align-items: center; gap: 8px; margin: 2px 0; }
.amayesh-legend .swatch { width: 22px; height: 14px; border: 1px solid #777; flex: none; }
.amayesh-legend .hatch { background: repeating-linear-gradient(45deg, #ffffff 0 3px, @MORATORIUM@ 3px 4.5px); border: 2px solid @MORATORIUM@; }
.amayesh-legend .en { color: #444; font-size: 11px; }
.amayesh-tip table, .amayesh-popup table { direction: rtl; text-align: right; }
.amayesh-tip th, .amayesh-popup th { padding-left: 8px; color: #333; font-weight: normal; }
.leaflet-control-layers { direction: rtl; text-align: right; font-size: 13px; }
path.amayesh-moratorium { fill: url(#amayesh-hatch) !important; fill-opacity: 1 !important; }
"""

_HATCH_SVG = """<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>
<pattern id="amayesh-hatch" patternUnits="userSpaceOnUse" width="8" height="8" patternTransform="rotate(45)">
<line x1="0" y1="0" x2="0" y2="8" stroke="%s" stroke-width="2.2" stroke-opacity="0.85"/></pattern></defs></svg>"""


def _legend_html(classes: dict[str, Classes], metric: str, persian: bool, level_fa: str, moratorium_count: int,
                 partial_count: int = 0) -> str:
    blocks = []
    for name, found in classes.items():
        rows = "".join(
            f'<div class="row"><span class="swatch" style="background:{colour}"></span>'
            f"<span>{text} ({L.number(count, 0, persian)} {level_fa})</span></div>"
            for colour, text, count in zip(found.colours, found.labels(persian, separator=" تا "), found.counts)
        )
        scheme = {"quantiles": "چندک · quantiles", "natural_breaks": "شکست‌های طبیعی · natural breaks", "user": "طبقه‌های کاربر · user breaks"}[found.scheme]
        blocks.append(
            f'<div class="block{" active" if name == metric else ""}" data-metric="{name}">'
            f'<b>{METRICS[name]["fa"]}</b><div class="en">{METRICS[name]["en"]}</div>'
            f'<div class="en">{scheme}</div>{rows}</div>'
        )
    hatch = (f'<div class="row"><span class="swatch hatch"></span><span>ممنوعیت مجوز جدید ({L.number(moratorium_count, 0, persian)})'
             f'<br><span class="en">moratorium (saturated)</span></span></div>')
    if partial_count:
        hatch += (f'<div class="row"><span class="swatch" style="border:2px dashed {MORATORIUM_COLOUR};background:#fff"></span>'
                  f'<span>ممنوعیت فقط شهری یا روستایی ({L.number(partial_count, 0, persian)})'
                  f'<br><span class="en">moratorium: urban or rural only</span></span></div>')
    return f'<div class="amayesh-box amayesh-legend">{"".join(blocks)}{hatch}</div>'


def _title_html(run: RunData, persian: bool, date: dt.date) -> str:
    scenario_fa, scenario_en = L.scenario_lines(run.summary, persian)
    synthetic = ('<div class="synthetic">ثبت دفاتر و درخواست‌ها مصنوعی است<br>'
                 '<span class="en">SYNTHETIC registers: not real offices or applicants</span></div>') if run.synthetic else ""
    return (
        '<div class="amayesh-box amayesh-title">'
        f"<h1>{L.TITLE_FA}</h1><div>{scenario_fa}</div><div>{L.date_line_fa(date, persian)}</div>"
        f'<div class="en">{L.TITLE_EN}<br>{scenario_en}<br>{L.date_line_en(date)}</div>{synthetic}</div>'
    )


def _furniture(m, run: RunData, classes: dict[str, Classes], switches: dict, unit_layer, metric: str, persian: bool, date: dt.date) -> None:
    """Fonts and CSS, the hatch pattern, title and legend boxes, attribution, and the choropleth switch."""
    from branca.element import Element, MacroElement
    from jinja2 import Template

    css = _CSS.replace("@FONT@", webfont_data_uri()).replace("@MORATORIUM@", MORATORIUM_COLOUR)
    root = m.get_root()
    root.header.add_child(Element(f"<style>{css}</style>"))
    root.html.add_child(Element(_HATCH_SVG % MORATORIUM_COLOUR))
    source_fa, source_en = L.source_lines(run.summary, persian)
    level_fa = L.LEVEL_FA[run.level]
    config = {
        "title": _title_html(run, persian, date),
        "legend": _legend_html(classes, metric, persian, level_fa, int(run.units["moratorium"].sum()),
                               int(run.units["moratorium_partial"].sum())),
        "attribution": f"{source_en} · <span dir='rtl'>{source_fa}</span>",
    }

    class Furniture(MacroElement):
        _template = Template(
            """{% macro script(this, kwargs) %}
            (function () {
              var map = {{ this.map.get_name() }};
              var units = {{ this.units.get_name() }};
              var config = {{ this.config }};
              var groups = { {% for metric, group in this.switches.items() %}{{ metric|tojson }}: {{ group.get_name() }}, {% endfor %} };
              map.attributionControl.setPrefix(false);
              map.attributionControl.addAttribution(config.attribution);
              function box(html, position) {
                var control = L.control({position: position});
                control.onAdd = function () {
                  var div = L.DomUtil.create('div');
                  div.innerHTML = html;
                  L.DomEvent.disableClickPropagation(div);
                  L.DomEvent.disableScrollPropagation(div);
                  return div;
                };
                control.addTo(map);
                return control;
              }
              box(config.title, 'topright');
              var legend = box(config.legend, 'bottomright');
              function show(metric) {
                units.setStyle(function (feature) { return {fillColor: feature.properties['c_' + metric]}; });
                legend.getContainer().querySelectorAll('.block').forEach(function (block) {
                  block.classList.toggle('active', block.getAttribute('data-metric') === metric);
                });
              }
              map.on('baselayerchange', function (event) {
                for (var metric in groups) {
                  if (groups[metric] === event.layer) { show(metric); }
                }
              });
            })();
            {% endmacro %}"""
        )

        def __init__(self) -> None:
            super().__init__()
            self._name = "AmayeshFurniture"
            # Elements, not their names: names are given when the map is numbered (number_elements).
            self.map = m
            self.units = unit_layer
            self.switches = switches
            self.config = json.dumps(config, ensure_ascii=False)

    m.add_child(Furniture())
