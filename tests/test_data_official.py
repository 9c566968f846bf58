"""The official folder (shared/data/iran) and its 1400 vintage, loaded through siting.data."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from siting.data import data_fingerprint, load_dataset, summary
from siting.errors import DataError

NATIONAL_1395 = {"pop_total": 79_926_270, "pop_urban": 59_146_847, "pop_rural": 20_730_625, "pop_nonsettled": 48_798}
POPULATION = list(NATIONAL_1395)


@pytest.fixture(scope="module")
def provinces(official_dataset):
    return official_dataset.level("province")


@pytest.fixture(scope="module")
def counties(official_dataset):
    return official_dataset.level("county")


def test_counts_and_national_totals(official_dataset, provinces, counties):
    assert official_dataset.levels == ["province", "county"]
    assert len(provinces) == 31
    assert len(counties) == 429
    for column, total in NATIONAL_1395.items():
        assert provinces[column].sum() == total, column
        assert counties[column].sum() == total, column
    facts = summary(official_dataset)
    assert facts["province_units"] == 31 and facts["county_units"] == 429
    assert facts["county_population_total"] == facts["province_population_total"] == 79_926_270
    assert facts["offices"] is None and facts["synthetic_registers"] is False


def test_every_province_equals_the_sum_of_its_counties(provinces, counties):
    sums = counties.groupby("parent_code")[POPULATION].sum()
    joined = provinces.set_index("unit_code")[POPULATION]
    assert sorted(sums.index) == sorted(joined.index)
    pd.testing.assert_frame_equal(sums.loc[joined.index], joined, check_names=False, check_index_type=False)


def test_every_county_adds_up(counties):
    parts = counties["pop_urban"] + counties["pop_rural"] + counties["pop_nonsettled"]
    assert (counties["pop_total"] == parts).all()
    assert (counties[POPULATION] >= 0).all().all()


def test_every_county_joins(official_dataset, provinces, counties):
    province_codes = set(provinces["unit_code"])
    assert set(counties["parent_code"]) == province_codes  # no orphan, no childless province
    assert (counties["province_code"] == counties["parent_code"]).all()
    assert all(code.startswith(parent) for code, parent in zip(counties["unit_code"], counties["parent_code"]))
    # The labour table joins every county.
    assert counties["active_population"].notna().all()
    assert counties["unemployment_rate"].between(0, 1).all()
    # Every place lies in a known county, every county with a seat inside or on its polygon.
    assert set(official_dataset.settlements["unit_code"]) <= set(counties["unit_code"])
    seats = shapely.points(counties["seat_lon"], counties["seat_lat"])
    assert (shapely.distance(counties.geometry.to_numpy(), seats) < 0.02).all()  # degrees


def test_codes_are_text_with_leading_zeros(provinces, counties):
    assert all(isinstance(code, str) and len(code) == 4 and code.isdigit() for code in counties["unit_code"])
    assert all(isinstance(code, str) and len(code) == 2 for code in provinces["unit_code"])
    arak = counties.set_index("unit_code").loc["0001"]
    assert arak["name_fa"] == "اراک" and arak["parent_code"] == "00"
    assert counties["unit_code"].is_unique
    tehran = counties.set_index("unit_code").loc["2301"]
    assert tehran["name_fa"] == "تهران"


def test_names_are_normalised(official_dataset):
    names = pd.concat([official_dataset.units["name_fa"], official_dataset.settlements["name_fa"].dropna()])
    assert not names.str.contains("[يكى]").any()
    assert not names.str.contains("[۰-۹]").any()


def test_geometry_and_areas(official_dataset, provinces, counties):
    assert official_dataset.units.crs.to_epsg() == 4326
    assert official_dataset.units.geometry.is_valid.all()
    assert counties["area_km2"].sum() == pytest.approx(1_620_487, rel=1e-5)  # land area (README)
    assert provinces["area_km2"].sum() == pytest.approx(1_620_487, rel=1e-5)
    assert not counties["is_estimate"].any()


def test_1390_census(provinces):
    assert provinces["pop_1390"].sum() == 75_149_669


def test_settlements_leave_out_possible_duplicates(official_dataset, shared_data):
    raw = pd.read_csv(shared_data / "iran_cities.csv", dtype=str)
    flagged = (raw["possible_duplicate"] == "True").sum()
    assert flagged == 22
    assert len(official_dataset.settlements) == len(raw) - flagged
    assert not official_dataset.settlements["settlement_code"].isin(raw.loc[raw["possible_duplicate"] == "True", "geonameid"]).any()
    warnings = [str(w) for w in official_dataset.warnings]
    assert warnings == ["WARNING: iran_cities.csv: 22 rows flagged possible_duplicate left out"]
    # GeoNames place population, summed by county, follows the census urban population.
    by_county = official_dataset.settlements.groupby("unit_code")["population"].sum()
    urban = official_dataset.level("county").set_index("unit_code")["pop_urban"]
    assert np.corrcoef(by_county.reindex(urban.index).fillna(0), urban)[0, 1] > 0.99
    # Places named like a county seat of the Iran Post list are flagged (the post list has 485 seats).
    assert 300 <= official_dataset.settlements["is_county_seat"].sum() <= 485


def test_sci_indicators(official_dataset):
    sci = official_dataset.sci_indicators
    assert len(sci) == 25_505
    assert sci["province_code"].nunique() == 31
    assert sci["year"].between(2014, 2023).all()


def test_metadata(official_dataset, shared_data):
    metadata = official_dataset.metadata
    assert metadata["source"] == "official"
    assert metadata["vintage"] == 1395
    assert metadata["plan_level"] == "county"
    assert "SCI" in metadata["population_source"]
    assert metadata["folder"] == str(shared_data)


def test_fingerprint_identifies_the_data(official_dataset):
    from dataclasses import replace

    fingerprint = data_fingerprint(official_dataset)
    assert len(fingerprint) == 64 and fingerprint == data_fingerprint(official_dataset)
    settlements = official_dataset.settlements.copy()
    settlements.loc[0, "population"] += 1
    assert data_fingerprint(replace(official_dataset, settlements=settlements)) != fingerprint


def test_counties_file_alone_is_an_official_folder(official_copy):
    dataset = load_dataset(official_copy("iran_counties.geojson"))
    assert dataset.levels == ["county"]
    assert len(dataset.level("county")) == 429
    assert dataset.level("county")["pop_total"].sum() == 79_926_270
    assert len(dataset.settlements) == 0


# --- the 1400 vintage ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dataset_1400(shared_data):
    return load_dataset(shared_data, vintage=1400)


def test_1400_has_469_counties_flagged_as_estimates(dataset_1400, provinces):
    counties = dataset_1400.level("county")
    assert len(counties) == 469
    assert counties["is_estimate"].all()
    assert not dataset_1400.level("province")["is_estimate"].any()
    assert counties["unit_code"].is_unique
    assert set(counties["parent_code"]) == set(provinces["unit_code"])
    assert dataset_1400.metadata["vintage"] == 1400
    assert "estimates" in dataset_1400.metadata["note"]


def test_1400_counties_sum_to_the_national_total(dataset_1400, provinces):
    counties = dataset_1400.level("county")
    for column in ("pop_total", "pop_urban", "pop_rural"):
        national = NATIONAL_1395[column]
        assert abs(counties[column].sum() - national) <= 0.001 * national, column
    # Provinces keep their census figures.
    pd.testing.assert_frame_equal(
        dataset_1400.level("province").set_index("unit_code")[POPULATION], provinces.set_index("unit_code")[POPULATION]
    )
    by_province = counties.groupby("parent_code")["pop_total"].sum()
    census = provinces.set_index("unit_code")["pop_total"]
    assert ((by_province.reindex(census.index) - census).abs() <= 0.01 * census).all()


def test_1400_unchanged_counties_keep_their_population(dataset_1400, counties, shared_data):
    """A 1400 county that is one 1395 county (≥ 99 % of it, no other 1400 county from it) gets ~its census figure."""
    layer = gpd.read_file(shared_data / "iran_counties_1400.geojson", columns=["county_id_1400", "county_code_1395_maxoverlap", "maxoverlap_share"], ignore_geometry=True)
    new = dataset_1400.level("county").merge(layer, left_on="unit_code", right_on="county_id_1400")
    one_to_one = new[(new["maxoverlap_share"] >= 0.99) & ~new["county_code_1395_maxoverlap"].duplicated(keep=False)]
    assert len(one_to_one) > 300
    census = counties.set_index("unit_code")["pop_total"].reindex(one_to_one["county_code_1395_maxoverlap"]).to_numpy()
    ratio = one_to_one["pop_total"].to_numpy() / census
    assert (np.abs(ratio - 1) < 0.05).mean() > 0.95


def test_1400_relocates_settlements(dataset_1400):
    codes = set(dataset_1400.level("county")["unit_code"])
    assert set(dataset_1400.settlements["unit_code"]) <= codes
    assert len(dataset_1400.settlements) > 2600


def test_1400_needs_an_official_folder(contract_folder):
    with pytest.raises(DataError, match="1400 vintage needs an official data folder"):
        load_dataset(contract_folder("csv"), vintage=1400)


def test_unknown_vintage_is_refused(shared_data):
    with pytest.raises(DataError, match="unknown county vintage 1390"):
        load_dataset(shared_data, vintage=1390)
