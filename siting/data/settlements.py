"""Settlements: points with a population and the unit that holds them."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from siting.data import checks
from siting.data._read import Table
from siting.errors import Problem
from siting.text import normalize_fa

SETTLEMENT_COLUMNS = [
    "settlement_code",
    "name_fa",
    "name_en",
    "population",
    "unit_code",
    "lon",
    "lat",
    "is_county_seat",
]


def point_columns(table: Table, required: bool = True) -> tuple[pd.DataFrame, list[Problem]]:
    """``lon``/``lat`` from point geometry or from columns, range-checked for Iran."""
    frame = table.frame
    out = pd.DataFrame(index=frame.index)
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.notna().any():
        points = frame.geometry
        not_point = points.notna() & (points.geom_type != "Point")
        problems = checks._rows(table, not_point, "geometry", "geometry must be a point")
        centroid = points.where(~not_point).centroid if not_point.any() else points
        out["lon"], out["lat"] = centroid.x, centroid.y
        return out, problems
    problems = []
    for axis, (low, high) in {"lon": (43, 64.5), "lat": (24, 40.5)}.items():
        if axis not in frame:
            if required:
                problems += checks.required_columns(table, [axis])
            out[axis] = np.nan
            continue
        out[axis], found = checks.numbers(table, axis, non_negative=False, required=required, low=low, high=high)
        problems += found
    return out, problems


def parse_settlements(table: Table) -> tuple[pd.DataFrame, list[Problem]]:
    """Validate and convert a settlements table (columns in contract names)."""
    problems = checks.required_columns(table, ["settlement_code", "name_fa", "population", "unit_code"])
    if problems:
        return pd.DataFrame(columns=SETTLEMENT_COLUMNS), problems
    frame = table.frame
    out = pd.DataFrame(index=frame.index)
    out["settlement_code"], found = checks.codes(table, "settlement_code")
    problems += found
    out["name_fa"] = frame["name_fa"].map(normalize_fa)
    out["name_en"] = frame["name_en"] if "name_en" in frame else None
    out["population"], found = checks.numbers(table, "population", integer=True)
    problems += found
    out["unit_code"], found = checks.codes(table, "unit_code", unique=False)
    problems += found
    points, found = point_columns(table)
    problems += found
    out[["lon", "lat"]] = points
    if "is_county_seat" in frame:
        out["is_county_seat"], found = checks.booleans(table, "is_county_seat")
        problems += found
    else:
        out["is_county_seat"] = False
    return pd.DataFrame(out[SETTLEMENT_COLUMNS]).reset_index(drop=True), problems
