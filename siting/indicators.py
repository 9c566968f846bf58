"""Built-in siting indicators, computed per unit at any level of the hierarchy.

Each built-in takes the dataset, the units of one level and its parameters and
returns a Series indexed like those units. Settlements, offices, parks and
applications are lifted to the level through the unit hierarchy, so the same
computation serves counties and provinces. Distances are geodesic (great
circle), nearest neighbours found with a KD-tree on unit vectors.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from siting.data.dataset import Dataset
from siting.errors import ScenarioError
from siting.locate.distances import haversine_km, unit_vectors

Builtin = Callable[[Dataset, pd.DataFrame, dict], pd.Series]
BUILTINS: dict[str, Builtin] = {}
# Indicators that measure demand for licences rather than need for offices.
SPECULATIVE = {"applications_per_10k"}


def builtin(name: str) -> Callable[[Builtin], Builtin]:
    def register(function: Builtin) -> Builtin:
        BUILTINS[name] = function
        return function

    return register


def ancestor_codes(units: pd.DataFrame, codes: pd.Series, level: str) -> pd.Series:
    """Map unit codes at or below ``level`` to their ancestor at ``level`` (NaN if none)."""
    parent = dict(zip(units["unit_code"], units["parent_code"]))
    level_of = dict(zip(units["unit_code"], units["level"]))
    mapping: dict[str, str | None] = {}
    for code in pd.unique(codes.dropna()):
        current = code
        while current is not None and level_of.get(current) not in (None, level):
            current = parent.get(current)
        mapping[code] = current if level_of.get(current) == level else None
    return codes.map(mapping)


def _counts(dataset: Dataset, units: pd.DataFrame, frame: pd.DataFrame | None, mask: pd.Series | None = None) -> pd.Series:
    if frame is None or len(frame) == 0:
        return pd.Series(0.0, index=units.index)
    rows = frame if mask is None else frame[mask]
    level = units["level"].iloc[0]
    lifted = ancestor_codes(dataset.units, rows["unit_code"], level)
    counts = lifted.value_counts()
    return units["unit_code"].map(counts).fillna(0).astype(float).set_axis(units.index)


def active_offices(dataset: Dataset) -> pd.DataFrame | None:
    """Offices that serve the public now (active or suspended but not cancelled or unopened)."""
    offices = dataset.offices
    if offices is None:
        return None
    return offices[offices["status"].isin(["active", "suspended"])]


def existing_offices(dataset: Dataset, units: pd.DataFrame, setting: str | None = None) -> pd.Series:
    """Open offices per unit (urban, rural or all)."""
    offices = active_offices(dataset)
    mask = None if setting is None or offices is None else offices["setting"] == setting
    return _counts(dataset, units, offices, mask)


def _settlements_at(dataset: Dataset, units: pd.DataFrame) -> pd.DataFrame:
    settlements = dataset.settlements
    level = units["level"].iloc[0]
    return settlements.assign(level_code=ancestor_codes(dataset.units, settlements["unit_code"], level).to_numpy())


def _weighted_mean(values: np.ndarray, weights: np.ndarray, groups: np.ndarray, units: pd.DataFrame) -> pd.Series:
    frame = pd.DataFrame({"g": groups, "vw": values * weights, "w": weights})
    sums = frame.groupby("g")[["vw", "w"]].sum()
    mean = sums["vw"] / sums["w"].replace(0, np.nan)
    return units["unit_code"].map(mean).set_axis(units.index)


def nearest_site(lon: np.ndarray, lat: np.ndarray, target_lon: np.ndarray, target_lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest target of each point (-1 when there is none) and its great-circle distance in km."""
    if len(target_lon) == 0:
        return np.full(len(lon), -1), np.full(len(lon), np.inf)
    _, nearest = cKDTree(unit_vectors(target_lon, target_lat)).query(unit_vectors(lon, lat))
    return nearest, haversine_km(lon, lat, target_lon[nearest], target_lat[nearest])


def nearest_km(lon: np.ndarray, lat: np.ndarray, target_lon: np.ndarray, target_lat: np.ndarray) -> np.ndarray:
    """Great-circle distance in km from each point to its nearest target (inf when there is none)."""
    return nearest_site(lon, lat, target_lon, target_lat)[1]


@builtin("total_population")
def total_population(dataset: Dataset, units: pd.DataFrame, params: dict) -> pd.Series:
    return units["pop_total"].astype(float)


@builtin("urban_population")
def urban_population(dataset: Dataset, units: pd.DataFrame, params: dict) -> pd.Series:
    return units["pop_urban"].astype(float)


@builtin("rural_population")
def rural_population(dataset: Dataset, units: pd.DataFrame, params: dict) -> pd.Series:
    return units["pop_rural"].astype(float)


@builtin("density")
def density(dataset: Dataset, units: pd.DataFrame, params: dict) -> pd.Series:
    """People per km² (NaN where the area is unknown, as for the embedded default's points)."""
    return units["pop_total"] / units["area_km2"].replace(0, np.nan)


@builtin("growth_1390_1395")
def growth(dataset: Dataset, units: pd.DataFrame, params: dict) -> pd.Series:
    """Population growth 1390→1395 where the unit kept its boundaries (NaN for new counties)."""
    return units["pop_total"] / units["pop_1390"].replace(0, np.nan) - 1.0


@builtin("settlement_count")
def settlement_count(dataset: Dataset, units: pd.DataFrame, params: dict) -> pd.Series:
    return _counts(dataset, units, dataset.settlements)


@builtin("seat_distance_km")
def seat_distance(dataset: Dataset, units: pd.DataFrame, params: dict) -> pd.Series:
    """Population-weighted distance from a unit's settlements to its seat (dispersion)."""
    places = _settlements_at(dataset, units)
    seats = units.set_index("unit_code")[["seat_lon", "seat_lat"]].reindex(places["level_code"])
    distance = haversine_km(places["lon"].to_numpy(float), places["lat"].to_numpy(float),
                            seats["seat_lon"].to_numpy(float), seats["seat_lat"].to_numpy(float))
    return _weighted_mean(distance, places["population"].to_numpy(float), places["level_code"].to_numpy(), units).fillna(0.0)


@builtin("office_distance_km")
def office_distance(dataset: Dataset, units: pd.DataFrame, params: dict) -> pd.Series:
    """Population-weighted distance from settlements to the nearest open office (access)."""
    offices = active_offices(dataset)
    places = _settlements_at(dataset, units)
    located = offices.dropna(subset=["lon", "lat"]) if offices is not None else pd.DataFrame(columns=["lon", "lat"])
    distance = nearest_km(places["lon"].to_numpy(float), places["lat"].to_numpy(float),
                           located["lon"].to_numpy(float), located["lat"].to_numpy(float))
    cap = float(params.get("cap_km", 200.0))  # a unit with no office anywhere near reads as the cap
    return _weighted_mean(np.minimum(distance, cap), places["population"].to_numpy(float), places["level_code"].to_numpy(), units).fillna(cap)


@builtin("share_without_office")
def share_without_office(dataset: Dataset, units: pd.DataFrame, params: dict) -> pd.Series:
    """Share of settlement population with no open office within ``radius_km``."""
    radius = float(params.get("radius_km", 15.0))
    offices = active_offices(dataset)
    places = _settlements_at(dataset, units)
    located = offices.dropna(subset=["lon", "lat"]) if offices is not None else pd.DataFrame(columns=["lon", "lat"])
    distance = nearest_km(places["lon"].to_numpy(float), places["lat"].to_numpy(float),
                           located["lon"].to_numpy(float), located["lat"].to_numpy(float))
    return _weighted_mean((distance > radius).astype(float), places["population"].to_numpy(float),
                          places["level_code"].to_numpy(), units).fillna(1.0)


def _per_10k(count: pd.Series, population: pd.Series) -> pd.Series:
    return (count / population.replace(0, np.nan) * 10_000).fillna(0.0)


@builtin("offices_per_10k")
def offices_per_10k(dataset: Dataset, units: pd.DataFrame, params: dict) -> pd.Series:
    return _per_10k(existing_offices(dataset, units), units["pop_total"])


@builtin("urban_offices_per_10k")
def urban_offices_per_10k(dataset: Dataset, units: pd.DataFrame, params: dict) -> pd.Series:
    return _per_10k(existing_offices(dataset, units, "urban"), units["pop_urban"])


@builtin("rural_offices_per_10k")
def rural_offices_per_10k(dataset: Dataset, units: pd.DataFrame, params: dict) -> pd.Series:
    return _per_10k(existing_offices(dataset, units, "rural"), units["pop_rural"])


_LABOUR = {
    "unemployment_rate": ("unemployed", "active_population"),
    "share_active_higher_education": ("share_active_higher_education", "active_population"),
    "share_active_illiterate": ("share_active_illiterate", "active_population"),
}


def _labour(name: str) -> Builtin:
    def compute(dataset: Dataset, units: pd.DataFrame, params: dict) -> pd.Series:
        counties = dataset.units[dataset.units["level"] == "county"]
        if "active_population" not in counties or counties["active_population"].isna().all():
            raise ScenarioError(f"indicator '{name}' needs the county labour-force file (iran_county_labour_1395.csv)")
        if units["level"].iloc[0] == "county":
            return units[name].astype(float)
        numerator, weight = _LABOUR[name]
        lifted = ancestor_codes(dataset.units, counties["unit_code"], units["level"].iloc[0]).to_numpy()
        if numerator == "unemployed":
            sums = counties.groupby(lifted)[["unemployed", "active_population"]].sum()
            rate = sums["unemployed"] / sums["active_population"]
            return units["unit_code"].map(rate).set_axis(units.index)
        return _weighted_mean(counties[numerator].to_numpy(float), counties[weight].to_numpy(float), lifted, units)

    compute.__doc__ = f"County labour force: {name} (provinces: weighted by active population)."
    return compute


for _name in _LABOUR:
    BUILTINS[_name] = _labour(_name)


@builtin("sci")
def sci(dataset: Dataset, units: pd.DataFrame, params: dict) -> pd.Series:
    """An SCI provincial indicator (latest year, or ``year``) carried down to the province's units."""
    table = dataset.sci_indicators
    indicator_id = params.get("indicator_id")
    if table is None or indicator_id is None:
        raise ScenarioError("SCI indicators need the official folder's iran_province_indicators_sci.csv and an 'indicator_id' parameter")
    rows = table[(table["indicator_id"] == indicator_id) & table["value"].notna()]
    if rows.empty:
        raise ScenarioError(f"SCI indicator '{indicator_id}' is not in the SCI file")
    year = params.get("year", rows["year"].max())
    by_province = rows[rows["year"] == year].set_index("province_code")["value"]
    return units["province_code"].map(by_province).astype(float).set_axis(units.index)


@builtin("industrial_parks")
def industrial_parks(dataset: Dataset, units: pd.DataFrame, params: dict) -> pd.Series:
    return _counts(dataset, units, dataset.parks)


@builtin("applications_per_10k")
def applications_per_10k(dataset: Dataset, units: pd.DataFrame, params: dict) -> pd.Series:
    """Pending licence applications per 10,000 people: demand for licences, not need for offices."""
    return _per_10k(_counts(dataset, units, dataset.applications), units["pop_total"])
