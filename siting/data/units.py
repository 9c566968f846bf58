"""Administrative units: the province → county hierarchy (a district level can be added).

All levels live in one frame with a ``level`` column; a unit's parent is a
unit of the level above. Codes are text: SCI codes are 2-digit provinces and
4-digit counties (``PPCC``).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from siting.data import checks
from siting.data._read import Table
from siting.errors import Problem
from siting.text import normalize_fa

LEVELS = ("province", "county")  # ordered from the top; add "district" here
CODE_WIDTHS = {"province": 2, "county": 4, "district": 6}
UNIT_COLUMNS = [
    "unit_code",
    "level",
    "parent_code",
    "province_code",
    "name_fa",
    "name_en",
    "pop_total",
    "pop_urban",
    "pop_rural",
    "pop_nonsettled",
    "pop_1390",
    "area_km2",
    "lon",
    "lat",
    "seat_lon",
    "seat_lat",
    "is_estimate",
    "geometry",
]
POPULATION_COLUMNS = ["pop_total", "pop_urban", "pop_rural", "pop_nonsettled"]
REQUIRED = ["unit_code", "name_fa", "pop_total", "pop_urban", "pop_rural"]
# Plausibility bounds, so that a typo (an extra run of zeros) is refused rather than planned on.
# Iran's 1395 census counted 79,926,270 people; no projection for the coming decades reaches 100 million.
COUNTRY_POPULATION_CEILING = 100_000_000
# The densest county, Tehran, holds about 11,000 residents per km² (1395); ten times Manhattan's is not a county.
DENSITY_CEILING_PER_KM2 = 250_000
# Equal-area projection centred on Iran: the one the shared data's areas use.
IRAN_EQUAL_AREA = "+proj=aea +lat_1=27 +lat_2=37 +lat_0=32 +lon_0=54 +datum=WGS84 +units=m +no_defs"


def parent_level(level: str) -> str | None:
    index = LEVELS.index(level)
    return LEVELS[index - 1] if index > 0 else None


def parse_units(table: Table, level: str, official_codes: bool = False) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Validate and convert one level's table (columns already in contract names).

    ``official_codes`` enforces SCI codes: fixed width per level, and a child's
    code starting with its parent's.
    """
    frame = table.frame
    required = list(REQUIRED)
    if parent_level(level) is not None:
        required.append("parent_code")
    has_geometry = isinstance(frame, gpd.GeoDataFrame)
    if not has_geometry:
        required += ["lon", "lat"]
    problems = checks.required_columns(table, required)
    if not problems and len(frame) == 0:
        problems.append(Problem(table.name, f"holds no {level} units: the file has a header but no rows"))
    if problems:
        return gpd.GeoDataFrame(), problems
    out = pd.DataFrame(index=frame.index)
    width = CODE_WIDTHS.get(level) if official_codes else None
    out["unit_code"], found = checks.codes(table, "unit_code", width)
    problems += found
    out["level"] = level
    if parent_level(level) is not None:
        parent_width = CODE_WIDTHS.get(parent_level(level)) if official_codes else None
        out["parent_code"], found = checks.codes(table, "parent_code", parent_width, unique=False)
        problems += found
        if official_codes:
            prefix_ok = [str(c).startswith(str(p)) for c, p in zip(out["unit_code"], out["parent_code"])]
            problems += checks._rows(table, ~np.array(prefix_ok), "unit_code", "code does not start with its parent's code")
    else:
        out["parent_code"] = None
    out["name_fa"] = frame["name_fa"].map(normalize_fa)
    out["name_en"] = frame["name_en"] if "name_en" in frame else None
    for column in POPULATION_COLUMNS:
        if column in frame:
            out[column], found = checks.numbers(table, column, integer=True, required=column != "pop_nonsettled")
            problems += found
        else:
            out[column] = 0.0
    problems += checks.totals_add_up(
        table, out["pop_total"], [out["pop_urban"], out["pop_rural"], out["pop_nonsettled"]],
        "pop_total", ["pop_urban", "pop_rural", "pop_nonsettled"],
    )
    problems += _implausible_population(table, out)
    if "pop_1390" in frame:
        out["pop_1390"], found = checks.numbers(table, "pop_1390", required=False)
        problems += found
    else:
        out["pop_1390"] = np.nan
    out["is_estimate"] = False
    if has_geometry:
        geometry, found = checks.geometries(table, codes=out["unit_code"])
        problems += found
        geo = gpd.GeoDataFrame(out, geometry=geometry.values, crs=4326)
        points = geo.geometry.representative_point()
        geo["lon"], geo["lat"] = points.x, points.y
        if "area_km2" in frame:
            geo["area_km2"], found = checks.numbers(table, "area_km2", required=False)
            problems += found
        else:
            geo["area_km2"] = geo.geometry.to_crs(IRAN_EQUAL_AREA).area / 1e6
    else:
        for axis, (low, high) in {"lon": (43, 64.5), "lat": (24, 40.5)}.items():
            out[axis], found = checks.numbers(table, axis, non_negative=False, low=low, high=high)
            problems += found
        if "area_km2" in frame:
            out["area_km2"], found = checks.numbers(table, "area_km2", required=False)
            problems += found
        else:
            out["area_km2"] = np.nan
        geo = gpd.GeoDataFrame(out, geometry=[None] * len(out), crs=4326)
    problems += _implausible_density(table, geo)
    geo["province_code"] = geo["unit_code"] if level == "province" else None
    # The seat (administrative centre) defaults to the representative point until a seat list says otherwise.
    geo["seat_lon"], geo["seat_lat"] = geo["lon"], geo["lat"]
    return geo[UNIT_COLUMNS], problems


def _implausible_population(table: Table, units: pd.DataFrame) -> list[Problem]:
    ceiling = COUNTRY_POPULATION_CEILING
    problems = checks._rows(table, units["pop_total"] > ceiling, "pop_total",
                            f"population exceeds {ceiling:,}, more than all of Iran (1395 census: 79,926,270)",
                            "code " + units["unit_code"].astype(str) + ": " + units["pop_total"].map("{:,.0f}".format))
    total = units["pop_total"].sum()
    if not problems and total > ceiling:
        problems.append(Problem(table.name, f"the units' populations sum to {total:,.0f}, more than all of Iran "
                                            f"(at most {ceiling:,}): is a unit counted twice, or a figure in the wrong unit?",
                                column=table.label("pop_total")))
    return problems


def _implausible_density(table: Table, units: pd.DataFrame) -> list[Problem]:
    density = units["pop_total"] / units["area_km2"].where(units["area_km2"] > 0)
    return checks._rows(table, density > DENSITY_CEILING_PER_KM2, "pop_total",
                        f"more than {DENSITY_CEILING_PER_KM2:,} residents per km² is not plausible for a unit",
                        "code " + units["unit_code"].astype(str) + ": " + density.map("{:,.0f} per km²".format))


def assign_province_codes(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Fill ``province_code`` down the hierarchy, one level at a time.

    Without a province level (a planner's counties-only layer) the level below
    provinces names its province in ``parent_code`` (the data contract), so the
    province ceilings and floors still apply province by province.
    """
    units = units.copy()
    is_province = units["level"] == "province"
    units.loc[is_province, "province_code"] = units.loc[is_province, "unit_code"]
    for level in LEVELS[1:]:
        at_level = units["level"] == level
        if parent_level(level) == "province" and not is_province.any():
            units.loc[at_level, "province_code"] = units.loc[at_level, "parent_code"]
            continue
        province_of = units.dropna(subset=["province_code"]).set_index("unit_code")["province_code"]
        units.loc[at_level, "province_code"] = units.loc[at_level, "parent_code"].map(province_of)
    return units


def check_hierarchy(
    units: gpd.GeoDataFrame, tables: dict[str, Table], tolerance: float = 0.5, partial: set[str] = frozenset()
) -> list[Problem]:
    """Parents exist and each parent's population equals the sum of its children's.

    For a level in ``partial`` (it covers only part of its parents, as the
    embedded default's counties do) children may sum to less than the parent.
    """
    problems: list[Problem] = []
    for level in LEVELS[1:]:
        children = units[units["level"] == level]
        parents = units[units["level"] == parent_level(level)]
        if children.empty or parents.empty:
            continue
        table = tables[level]
        orphan = ~children["parent_code"].isin(set(parents["unit_code"]))
        problems += checks._rows(table, orphan.to_numpy(), "parent_code", f"parent {parent_level(level)} does not exist")
        sums = children.groupby("parent_code")[POPULATION_COLUMNS].sum()
        parent_table = tables[parent_level(level)]
        joined = parents.set_index("unit_code")[POPULATION_COLUMNS]
        for column in POPULATION_COLUMNS:
            child_sum = sums[column].reindex(joined.index)
            has_children = child_sum.notna()
            excess = joined[column] - child_sum.fillna(0)
            mismatch = has_children & ((excess < -tolerance) if level in partial else (excess.abs() > tolerance))
            for position in np.flatnonzero(mismatch.to_numpy()):
                code = joined.index[position]
                problems.append(
                    Problem(
                        parent_table.name,
                        f"{parent_level(level)} {code}: {parent_table.label(column)} is {joined[column].iloc[position]:,.0f} "
                        f"but its {level} units sum to {child_sum.iloc[position]:,.0f}",
                        parent_table.row(position),
                        parent_table.label(column),
                    )
                )
        childless = ~joined.index.isin(sums.index) if level not in partial else np.zeros(len(joined), bool)
        for position in np.flatnonzero(childless):
            problems.append(
                Problem(parent_table.name, f"{parent_level(level)} {joined.index[position]} has no {level} units",
                        parent_table.row(position), "unit_code", "warning")
            )
    return problems


def units_at(units: gpd.GeoDataFrame, level: str) -> gpd.GeoDataFrame:
    """The units of one level, indexed 0..n-1, in code order."""
    return units[units["level"] == level].sort_values("unit_code").reset_index(drop=True)
