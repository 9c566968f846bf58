"""The official data folder, in the layout of ``shared/data/iran``.

Files (see that folder's README): ``iran_counties.geojson`` (required),
``iran_provinces.geojson``, ``iran_county_labour_1395.csv``, ``iran_cities.csv``,
``iran_cities_post.csv``, ``iran_province_indicators_sci.csv``,
``iran_counties_1400.geojson``. Each is renamed to the data contract and goes
through the same checks as a planner's files.

``iran_county_population.csv`` and ``iran_province_population.csv`` repeat the
layers' attributes without geometry. The layers are what is planned on; the
tables, when present, must agree with them code by code (same units, same
census figures, same province), or the folder is refused: a truncated,
duplicated or edited copy beside the layer means the folder is not what it
claims to be.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from siting.data import checks
from siting.data._read import Table, read_table
from siting.data.settlements import parse_settlements
from siting.data.units import parse_units
from siting.errors import Problem
from siting.text import join_key

COUNTIES = "iran_counties.geojson"
PROVINCES = "iran_provinces.geojson"
LABOUR = "iran_county_labour_1395.csv"
CITIES = "iran_cities.csv"
POST = "iran_cities_post.csv"
SCI = "iran_province_indicators_sci.csv"
COUNTIES_1400 = "iran_counties_1400.geojson"
COUNTY_TABLE = "iran_county_population.csv"
PROVINCE_TABLE = "iran_province_population.csv"
# The figures the attribute tables repeat from the layers: a copy that disagrees is refused.
CROSS_CHECKED = ("pop_total", "pop_urban", "pop_rural", "pop_nonsettled")

_CENSUS = {
    "pop_1395_total": "pop_total",
    "pop_1395_urban": "pop_urban",
    "pop_1395_rural": "pop_rural",
    "pop_1395_nonsettled": "pop_nonsettled",
}
LABOUR_COLUMNS = {
    "active_1395": "active_population",
    "unemployed_1395": "unemployed",
    "unemployment_rate_1395": "unemployment_rate",
    "share_active_higher_edu_1395": "share_active_higher_education",
    "share_active_illiterate_1395": "share_active_illiterate",
}


def is_official_folder(folder: Path) -> bool:
    return (folder / COUNTIES).exists()


def load_official(folder: Path) -> dict:
    """Read and validate an official folder; returns the parts of a dataset and the problems."""
    problems: list[Problem] = []
    counties_table = read_table(folder / COUNTIES).renamed({"county_code": "unit_code", "province_code": "parent_code", **_CENSUS})
    problems += counties_table.problems
    counties, found = parse_units(counties_table, "county", official_codes=True)
    problems += found
    tables = {"county": counties_table}
    parts: dict = {"counties": counties, "tables": tables}
    if (folder / PROVINCES).exists():
        provinces_table = read_table(folder / PROVINCES).renamed({"province_code": "unit_code", "pop_1390_total": "pop_1390", **_CENSUS})
        problems += provinces_table.problems
        provinces, found = parse_units(provinces_table, "province", official_codes=True)
        problems += found
        tables["province"] = provinces_table
        parts["provinces"] = provinces
    for name, level, units in ((COUNTY_TABLE, "county", counties), (PROVINCE_TABLE, "province", parts.get("provinces"))):
        if (folder / name).exists() and units is not None and len(units):
            problems += _agrees_with_layer(read_table(folder / name), level, units)
    if (folder / LABOUR).exists():
        tables["labour"] = read_table(folder / LABOUR)
        parts["labour"], found = _labour(tables["labour"])
        problems += found
    if (folder / CITIES).exists():
        tables["settlements"] = read_table(folder / CITIES)
        parts["settlements"], found = _cities(tables["settlements"])
        problems += found
    if (folder / POST).exists():
        parts["seats"], found = _seats(read_table(folder / POST))
        problems += found
    if (folder / SCI).exists():
        parts["sci_indicators"], found = _sci(read_table(folder / SCI))
        problems += found
    parts["problems"] = problems
    known = (COUNTIES, PROVINCES, COUNTY_TABLE, PROVINCE_TABLE, LABOUR, CITIES, POST, SCI)
    parts["files_read"] = [name for name in known if (folder / name).exists()]
    return parts


def _agrees_with_layer(table: Table, level: str, units: pd.DataFrame) -> list[Problem]:
    """Problems where an attribute table disagrees with its layer (``units`` as parsed from the layer)."""
    code = f"{level}_code"
    required = [code, *(f"pop_1395_{c.removeprefix('pop_')}" for c in CROSS_CHECKED)] + (["province_code"] if level == "county" else [])
    problems = checks.required_columns(table, required)
    if problems:
        return problems
    if len(table.frame) == 0:
        return [Problem(table.name, f"holds no rows, but the layer has {len(units)} {level} units")]
    codes, problems = checks.codes(table, code)
    layer = units.set_index("unit_code")
    problems += checks._rows(table, codes.notna() & ~codes.isin(layer.index), code, f"{level} is not in the layer", codes)
    missing = sorted(set(layer.index) - set(codes.dropna()))
    if missing:
        listed = ", ".join(missing[:10]) + (", …" if len(missing) > 10 else "")
        problems.append(Problem(table.name, f"{len(missing)} {level} unit(s) of the layer are missing from this table: {listed}",
                                column=code, rows=len(missing)))
    known = codes.isin(layer.index).to_numpy()
    matched = layer.reindex(codes.where(known))
    pairs = [(c, f"pop_1395_{c.removeprefix('pop_')}") for c in CROSS_CHECKED]
    if level == "county":
        pairs.append(("parent_code", "province_code"))
    for ours, theirs in pairs:
        if ours == "parent_code":
            values = table.frame[theirs].map(lambda v: v.strip() if isinstance(v, str) else v)
            differs = known & (values.to_numpy() != matched[ours].to_numpy())
        else:
            values, found = checks.numbers(table, theirs, integer=True)
            problems += found
            differs = known & (np.abs(values.to_numpy() - matched[ours].to_numpy(dtype=float)) > 0.5)
        shown = [f"{code}: here {_plain(here)}, layer {_plain(there)}"
                 for code, here, there in zip(codes.astype(str), values, matched[ours].to_numpy())]
        problems += checks._rows(table, differs, theirs, "disagrees with the layer", pd.Series(shown))
    return problems


def _plain(value: object) -> str:
    """A figure as a planner wrote it: 60214, not 60214.0."""
    return f"{value:,.0f}" if isinstance(value, (int, float, np.number)) and not pd.isna(value) else str(value)


def _labour(table: Table) -> tuple[pd.DataFrame, list[Problem]]:
    problems = checks.required_columns(table, ["county_code", *LABOUR_COLUMNS])
    if problems:
        return pd.DataFrame(), problems
    out = pd.DataFrame(index=table.frame.index)
    out["unit_code"], found = checks.codes(table, "county_code", 4)
    problems += found
    for source, target in LABOUR_COLUMNS.items():
        high = 1.0 if "rate" in source or "share" in source else None
        out[target], found = checks.numbers(table, source, high=high)
        problems += found
    return out.reset_index(drop=True), problems


def _cities(table: Table) -> tuple[pd.DataFrame, list[Problem]]:
    """GeoNames places; rows flagged ``possible_duplicate`` are left out (README of the folder)."""
    frame = table.frame
    problems: list[Problem] = []
    if "possible_duplicate" in frame:
        duplicate, found = checks.booleans(table, "possible_duplicate")
        problems += found
    else:
        duplicate = pd.Series(False, index=frame.index)
    renamed = table.renamed({"geonameid": "settlement_code", "population_geonames": "population", "county_code": "unit_code"})
    settlements, found = parse_settlements(renamed)
    problems += found
    if duplicate.any():
        problems.append(Problem(table.name, f"{int(duplicate.sum())} rows flagged possible_duplicate left out", severity="warning"))
    return settlements[~duplicate.to_numpy()].reset_index(drop=True), problems


def _seats(table: Table) -> tuple[pd.DataFrame, list[Problem]]:
    """County seats from the Iran Post list, keyed by 1395 county code."""
    problems = checks.required_columns(table, ["name_fa", "is_county_seat", "lat", "lon", "county_code_1395"])
    if problems:
        return pd.DataFrame(), problems
    seat, found = checks.booleans(table, "is_county_seat")
    problems += found
    lon, found_lon = checks.numbers(table, "lon", non_negative=False, required=False)
    lat, found_lat = checks.numbers(table, "lat", non_negative=False, required=False)
    problems += found_lon + found_lat
    codes, found = checks.codes(table, "county_code_1395", 4, unique=False)
    problems += [p for p in found if p.message != "code is empty"]
    seats = pd.DataFrame({"unit_code": codes, "name_key": table.frame["name_fa"].map(join_key), "lon": lon, "lat": lat})
    return seats[seat.to_numpy() & lon.notna().to_numpy() & codes.notna().to_numpy()].reset_index(drop=True), problems


def _sci(table: Table) -> tuple[pd.DataFrame, list[Problem]]:
    columns = ["province_code", "indicator_id", "indicator_name", "year", "value"]
    problems = checks.required_columns(table, columns)
    if problems:
        return pd.DataFrame(columns=columns), problems
    out = pd.DataFrame(index=table.frame.index)
    out["province_code"], found = checks.codes(table, "province_code", 2, unique=False)
    problems += found
    out["indicator_id"] = table.frame["indicator_id"]
    out["indicator_name"] = table.frame["indicator_name"]
    out["indicator_group"] = table.frame.get("indicator_group")
    out["year"], found = checks.numbers(table, "year", integer=True)
    problems += found
    out["value"], found = checks.numbers(table, "value", non_negative=False, required=False)
    problems += found
    return out.reset_index(drop=True), problems


def pick_seats(counties: pd.DataFrame, seats: pd.DataFrame, settlements: pd.DataFrame | None) -> pd.DataFrame:
    """Each county's seat: the post-list seat named like the county, else its only or first seat,
    else its most populous settlement, else its representative point."""
    counties = counties.copy()
    seats = seats.assign(matches_name=seats["name_key"].to_numpy() == counties.set_index("unit_code")["name_fa"].map(join_key).reindex(seats["unit_code"]).to_numpy())
    chosen = seats.sort_values(["unit_code", "matches_name"], ascending=[True, False]).drop_duplicates("unit_code").set_index("unit_code")
    lon = counties["unit_code"].map(chosen["lon"])
    lat = counties["unit_code"].map(chosen["lat"])
    if settlements is not None and len(settlements):
        largest = settlements.sort_values("population", ascending=False).drop_duplicates("unit_code").set_index("unit_code")
        lon = lon.fillna(counties["unit_code"].map(largest["lon"]))
        lat = lat.fillna(counties["unit_code"].map(largest["lat"]))
    counties["seat_lon"] = lon.fillna(counties["lon"]).to_numpy(dtype=float)
    counties["seat_lat"] = lat.fillna(counties["lat"]).to_numpy(dtype=float)
    return counties


def mark_seat_settlements(settlements: pd.DataFrame, seats: pd.DataFrame) -> pd.DataFrame:
    """Flag settlements whose name matches a post-list county seat of their county."""
    seat_keys = set(zip(seats["unit_code"], seats["name_key"]))
    keys = list(zip(settlements["unit_code"], settlements["name_fa"].map(join_key)))
    settlements = settlements.copy()
    settlements["is_county_seat"] = np.fromiter((k in seat_keys for k in keys), dtype=bool, count=len(keys))
    return settlements
