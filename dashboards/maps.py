"""Simplified geometries and the dashboard's folium maps, with no CDN.

The county polygons are simplified once per dataset (:func:`simplified_units`) so that 429 counties
draw in well under a second and a half. :func:`choropleth` builds a folium map whose JavaScript and
CSS are served by the dashboard itself (``app/static/web``, see :mod:`dashboards.assets`) and whose
legend is drawn outside the map (:func:`legend_rows`): streamlit-folium links d3 from a CDN as soon as
a branca colour map is on the map, so there never is one.
"""

from __future__ import annotations

import html
import json

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from siting.report.classes import Classes, classify
from siting.report.labels import number

SIMPLIFY_DEGREES = 0.01
STATIC = "app/static/web"
LOCAL_JS = [("leaflet", f"/{STATIC}/leaflet.js"), ("jquery", f"/{STATIC}/jquery-3.7.1.min.js")]
LOCAL_CSS = [("leaflet_css", f"/{STATIC}/leaflet.css")]


def simplified_units(units: gpd.GeoDataFrame, tolerance: float = SIMPLIFY_DEGREES) -> gpd.GeoDataFrame:
    """``unit_code``, names, ``province_code`` and a simplified geometry (points where there are no polygons).

    Coordinates are rounded to 4 decimals (about 10 m), which with the simplification keeps the
    GeoJSON of 429 counties near half a megabyte.
    """
    frame = gpd.GeoDataFrame(units[["unit_code", "name_fa", "name_en", "province_code"]].copy(),
                             geometry=units.geometry if "geometry" in units and units.geometry.notna().all()
                             else gpd.points_from_xy(units["lon"], units["lat"]), crs=4326)
    geometry = frame.geometry.to_numpy()
    polygonal = np.isin(shapely.get_type_id(geometry), (3, 6))
    geometry = np.where(polygonal, shapely.simplify(geometry, tolerance, preserve_topology=True), geometry)
    frame = frame.set_geometry(shapely.set_precision(geometry, 1e-4), crs=4326)
    return frame.reset_index(drop=True)


def classes_for(values: pd.Series, metric: str) -> Classes:
    """Five quantile classes with the report's palettes (``metric``: a key of the report's METRICS)."""
    return classify(values.astype(float), metric, "quantiles", k=5)


def _localise(m: folium.Map) -> None:
    """Point every element's JS/CSS at the dashboard's own static files (none from a CDN)."""
    def walk(element):
        yield element
        for child in getattr(element, "_children", {}).values():
            yield from walk(child)

    for element in walk(m):
        if hasattr(element, "default_js"):
            element.default_js = LOCAL_JS if element is m else []
        if hasattr(element, "default_css"):
            element.default_css = LOCAL_CSS if element is m else []


def choropleth(geo: gpd.GeoDataFrame, values: pd.Series, metric: str, lang: str = "en",
               value_label: str = "", selected: str | None = None, decimals: int | None = None) -> tuple[folium.Map, Classes]:
    """A folium map of ``values`` (indexed by ``unit_code``) over ``geo``; clicking a unit returns its feature.

    Names are HTML-escaped: the data may come from a planner's file.
    """
    classes = classes_for(values.reindex(geo["unit_code"]).reset_index(drop=True), metric)
    colours = classes.colour_of()
    persian = lang == "fa"
    digits = classes.decimals if decimals is None else decimals
    shown = values.reindex(geo["unit_code"]).to_numpy(float)
    props = pd.DataFrame({
        "unit_code": geo["unit_code"].to_numpy(),
        "name": [html.escape(str(fa if persian else en)) for fa, en in zip(geo["name_fa"], geo["name_en"])],
        "value": [number(v, digits, persian) for v in shown],
        "fill": colours,
    })
    features = gpd.GeoDataFrame(props, geometry=geo.geometry.to_numpy(), crs=4326)
    bounds = features.total_bounds
    m = folium.Map(location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2], zoom_start=5, tiles=None,
                   control_scale=True, prefer_canvas=True)
    is_point = bool(np.isin(shapely.get_type_id(features.geometry.to_numpy()), (0, 4)).all())

    def style(feature: dict) -> dict:
        code = feature["properties"]["unit_code"]
        return {"fillColor": feature["properties"]["fill"], "color": "#000000" if code == selected else "#555555",
                "weight": 2.5 if code == selected else 0.4, "fillOpacity": 0.8, "radius": 6}

    layer = folium.GeoJson(
        json.loads(features.to_json(drop_id=True)), name=value_label or metric, style_function=style,
        highlight_function=lambda _: {"weight": 2, "color": "#000000"},
        marker=folium.CircleMarker(radius=6) if is_point else None,
        tooltip=folium.GeoJsonTooltip(fields=["unit_code", "name", "value"], aliases=["", "", value_label], labels=False),
    )
    layer.add_to(m)
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    _localise(m)
    return m, classes


def legend_rows(classes: Classes, lang: str = "en") -> list[tuple[str, str, int]]:
    """``(colour, label, count)`` per class, for a legend drawn outside the map."""
    labels = classes.labels(persian_digits=lang == "fa", separator=" تا " if lang == "fa" else " – ")
    return list(zip(classes.colours, labels, classes.counts))


def legend_html(classes: Classes, title: str, lang: str = "en") -> str:
    """A small HTML legend (colour squares, class limits, counts) from our own strings only."""
    rows = "".join(
        f'<span style="display:inline-block;margin:0 8px 4px 0"><span style="display:inline-block;width:14px;height:14px;'
        f'background:{colour};border:1px solid #777;vertical-align:middle"></span> {html.escape(label)} '
        f'<span style="color:#777">({html.escape(number(count, 0, lang == "fa"))})</span></span>'
        for colour, label, count in legend_rows(classes, lang))
    return f'<div style="font-size:0.85rem"><b>{html.escape(title)}</b><br>{rows}</div>'


def payload_bytes(m: folium.Map) -> int:
    """Size of what streamlit-folium sends for ``m`` (its Leaflet script, mostly the GeoJSON)."""
    from streamlit_folium import _generate_leaflet_string

    m.render()
    script, _ = _generate_leaflet_string(m)
    return len(script.encode("utf-8"))


def clicked_code(state: dict | None) -> str | None:
    """The ``unit_code`` of the feature last clicked on an ``st_folium`` map, if any."""
    if not state:
        return None
    drawing = state.get("last_active_drawing")
    if isinstance(drawing, dict):
        code = (drawing.get("properties") or {}).get("unit_code")
        return str(code) if code is not None else None
    return None
