"""Current (1400) counties, with 1395 census figures apportioned by area.

Census population exists only for the 429 counties of 1395. Each 1400 county
gets, from every 1395 county it overlaps, that county's figures times the share
of the 1395 county's area it covers (areal weighting, in an equal-area
projection centred on Iran). The results are estimates and flagged
``is_estimate``; provinces keep their census figures, and counties still sum to
them up to rounding and the slivers where the two layers' coastlines differ.
"""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd

from siting.data import checks
from siting.data._read import read_table
from siting.data.dataset import Dataset, locate_rows
from siting.data.units import IRAN_EQUAL_AREA, POPULATION_COLUMNS, UNIT_COLUMNS
from siting.errors import DataError, Problem
from siting.text import normalize_fa

COUNTIES_1400 = "iran_counties_1400.geojson"


def to_1400(dataset: Dataset) -> Dataset:
    """Replace a dataset's 1395 counties by the 1400 counties of its official folder."""
    from pathlib import Path

    folder = dataset.metadata.get("folder")
    if dataset.metadata.get("source") != "official" or folder is None or not (Path(folder) / COUNTIES_1400).exists():
        raise DataError([Problem(COUNTIES_1400, "the 1400 vintage needs an official data folder holding this file")])
    table = read_table(Path(folder) / COUNTIES_1400)
    problems = list(table.problems) + checks.required_columns(table, ["county_id_1400", "name_fa", "province_code"])
    if any(p.severity == "error" for p in problems):
        raise DataError(problems)
    codes, found = checks.codes(table, "county_id_1400")
    parents, found_parents = checks.codes(table, "province_code", 2, unique=False)
    geometry, found_geometry = checks.geometries(table)
    problems += found + found_parents + found_geometry
    if any(p.severity == "error" for p in problems):
        raise DataError(problems)
    new = gpd.GeoDataFrame(
        {"unit_code": codes.to_numpy(), "parent_code": parents.to_numpy(), "name_fa": table.frame["name_fa"].map(normalize_fa).to_numpy(),
         "name_en": table.frame.get("name_en")},
        geometry=geometry.to_numpy(), crs=4326,
    )
    old = dataset.level("county")
    estimates = apportion(old, new, POPULATION_COLUMNS + ["pop_1390"])
    new = new.join(estimates)
    new["level"] = "county"
    new["province_code"] = new["parent_code"]
    new["area_km2"] = new.geometry.to_crs(IRAN_EQUAL_AREA).area / 1e6
    points = new.geometry.representative_point()
    new["lon"], new["lat"] = points.x, points.y
    new["seat_lon"], new["seat_lat"] = new["lon"], new["lat"]
    new["is_estimate"] = True
    units = pd.concat([dataset.units[dataset.units["level"] != "county"], new[UNIT_COLUMNS]], ignore_index=True)
    metadata = {**dataset.metadata, "vintage": 1400, "files_read": [*dataset.metadata.get("files_read", []), COUNTIES_1400],
                "note": dataset.metadata.get("note", "") + "; 1400 counties: 1395 figures apportioned by area (estimates)"}
    moved = replace(dataset, units=gpd.GeoDataFrame(units, geometry="geometry", crs=4326), metadata=metadata)
    settlements, _ = locate_rows(dataset.settlements.assign(unit_code=None), moved)
    registers = {}
    for name in ("offices", "applications", "parks"):
        frame = getattr(dataset, name)
        registers[name] = None if frame is None else locate_rows(frame.assign(unit_code=None), moved)[0]
    return replace(moved, settlements=settlements.dropna(subset=["unit_code"]).reset_index(drop=True), **registers)


def apportion(source: gpd.GeoDataFrame, target: gpd.GeoDataFrame, columns: list[str]) -> pd.DataFrame:
    """Areal weighting of ``source`` columns onto ``target`` polygons (index of ``target``)."""
    source_area = source.to_crs(IRAN_EQUAL_AREA)
    target_area = target.to_crs(IRAN_EQUAL_AREA)
    source_area["_source"] = np.arange(len(source_area))
    target_area["_target"] = np.arange(len(target_area))
    pieces = gpd.overlay(source_area[["_source", "geometry"]], target_area[["_target", "geometry"]], how="intersection", keep_geom_type=True)
    share = pieces.area.to_numpy() / source_area.area.to_numpy()[pieces["_source"].to_numpy()]
    values = source[columns].to_numpy(float)[pieces["_source"].to_numpy()] * share[:, None]
    summed = pd.DataFrame(values, columns=columns).groupby(pieces["_target"].to_numpy()).sum(min_count=1)
    summed = summed.reindex(np.arange(len(target))).fillna(0.0)
    summed.index = target.index
    return summed.round(0)
