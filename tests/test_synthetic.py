"""The seeded synthetic register generator and its calibration, on the real 1395 counties."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from siting.data import load_dataset, summary
from siting.data.synthetic import NATIONAL_POPULATION_1395, TEHRAN_MUNICIPAL_OFFICES, Calibration, generate_registers

TEHRAN_COUNTY = "2301"


@pytest.fixture(scope="module")
def registers(official_dataset):
    return generate_registers(official_dataset, seed=1393)


@pytest.fixture(scope="module")
def offices(registers):
    return registers[0]


@pytest.fixture(scope="module")
def applications(registers):
    return registers[1]


@pytest.fixture(scope="module")
def counties(official_dataset):
    return official_dataset.level("county").set_index("unit_code")


def _per_county(frame: pd.DataFrame, counties: pd.DataFrame) -> pd.Series:
    return frame["unit_code"].value_counts().reindex(counties.index).fillna(0)


def test_same_seed_same_frames(official_dataset, registers):
    again = generate_registers(official_dataset, seed=1393)
    for first, second in zip(registers, again):
        pd.testing.assert_frame_equal(first, second)
    other = generate_registers(official_dataset, seed=7)
    assert not other[0]["unit_code"].equals(registers[0]["unit_code"])
    assert not other[1]["applicant_hash"].equals(registers[1]["applicant_hash"])


def test_offices_total(offices):
    assert len(offices) == Calibration().offices == 10_200
    assert offices["licence_id"].is_unique


def test_122_municipal_offices_in_tehran_county(offices, counties):
    assert counties.loc[TEHRAN_COUNTY, "name_fa"] == "تهران"
    municipal = offices[offices["is_municipal"]]
    assert len(municipal) == TEHRAN_MUNICIPAL_OFFICES == 122
    assert set(municipal["unit_code"]) == {TEHRAN_COUNTY}
    assert (municipal["setting"] == "urban").all()


def test_urban_share_of_offices_above_urban_population_share(offices, counties):
    office_share = (offices["setting"] == "urban").mean()
    population_share = counties["pop_urban"].sum() / counties["pop_total"].sum()
    assert population_share == pytest.approx(0.74, abs=0.01)
    assert office_share > population_share + 0.05
    # Rural offices only where people live in villages.
    rural = offices[offices["setting"] == "rural"]
    assert (counties.loc[rural["unit_code"], "pop_rural"] > 0).all()


def test_largest_cities_are_saturated(offices, counties):
    """Urban offices per urban inhabitant are higher in the largest cities than in small ones."""
    urban = _per_county(offices[offices["setting"] == "urban"], counties)
    largest = counties["pop_urban"].nlargest(10).index
    small = counties.index[counties["pop_urban"] < counties["pop_urban"].median()]
    per_capita_large = urban[largest].sum() / counties.loc[largest, "pop_urban"].sum()
    per_capita_small = urban[small].sum() / counties.loc[small, "pop_urban"].sum()
    assert per_capita_large > 1.5 * per_capita_small


def test_applications_concentrate_in_saturated_counties(offices, applications, counties):
    existing = _per_county(offices, counties)
    pending = _per_county(applications, counties)
    saturated = existing.nlargest(len(existing) // 10).index
    others = existing.index[(existing > 0) & ~existing.index.isin(saturated)]
    ratio_saturated = pending[saturated].sum() / existing[saturated].sum()
    ratio_others = pending[others].sum() / existing[others].sum()
    assert ratio_saturated > 2 * ratio_others


def test_every_row_is_synthetic(registers):
    for frame in registers:
        assert len(frame) and frame["synthetic"].eq(True).all()


def test_speculative_patterns(offices, applications):
    assert not applications["applicant_hash"].is_unique  # some apply in several units
    holders = set(offices.loc[offices["transfer_dates"] != "", "holder_hash"])
    assert applications["applicant_hash"].isin(holders).any()  # some transferred a licence before
    unopened = set(offices.loc[offices["status"] == "not_opened", "holder_hash"])
    assert applications["applicant_hash"].isin(unopened).any()
    assert set(offices["status"]) == {"active", "not_opened", "suspended", "cancelled"}
    assert (offices["status"] == "active").mean() > 0.8


def test_dates_are_jalali_and_before_the_register_day(offices, applications):
    from siting.dates import parse_date

    today = Calibration().today
    issued = offices["issue_date"].map(parse_date)
    assert offices["issue_date"].str.match(r"^1[34]\d\d/\d\d/\d\d$").all()
    assert issued.max() <= today and issued.min() >= dt.date(2006, 1, 1)
    assert applications["application_date"].map(parse_date).max() <= today


def test_calibration_is_honoured(official_dataset):
    calibration = Calibration(offices=600, applications=200, parks=10)
    offices, applications, parks = generate_registers(official_dataset, seed=1, calibration=calibration)
    assert (len(offices), len(applications), len(parks)) == (600, 200, 10)
    assert offices["is_municipal"].sum() == 122


def test_counts_scale_to_the_population_a_source_covers(contract_folder):
    """A geography holding 7 % of Iran's people gets 7 % of the national counts (zero parks here is fine)."""
    dataset = load_dataset(contract_folder("csv"))
    share = dataset.level("county")["pop_total"].sum() / NATIONAL_POPULATION_1395
    offices, applications, parks = generate_registers(dataset, seed=3, calibration=Calibration(parks=5))
    assert len(offices) == round(10_200 * share)
    assert len(applications) == round(6_000 * share)
    assert len(parks) == 0
    assert not offices["is_municipal"].any()  # no Tehran county in this geography
    empty = generate_registers(dataset, calibration=Calibration(offices=0, applications=0, parks=0))
    assert [len(frame) for frame in empty] == [0, 0, 0]


def test_generated_registers_validate(official_dataset, registers):
    """What the generator writes loads through the register parsers (as `data generate` output does)."""
    dataset = official_dataset.with_registers(*registers)
    facts = summary(dataset)
    assert facts["synthetic_registers"] is True
    assert facts["offices"] == 10_200


def test_generated_folder_reloads_and_says_synthetic(shared_data, tmp_path, run_amayesh):
    out = tmp_path / "synthetic"
    result = run_amayesh("data", "generate", "--data", shared_data, "--out", out, "--seed", "5")
    assert result.exit_code == 0, result.output
    assert "(SYNTHETIC)" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "SYNTHETIC.txt", "amayesh.yaml", "applications.csv", "industrial_parks.csv", "offices.csv"
    ]
    check = run_amayesh("data", "check", out)
    assert check.exit_code == 0, check.output
    assert "registers are SYNTHETIC" in check.stdout
    assert "offices      10,200" in check.stdout
    dataset = load_dataset(out)
    assert dataset.synthetic_registers
    assert dataset.offices["synthetic"].all() and dataset.applications["synthetic"].all() and dataset.parks["synthetic"].all()
    assert "SYNTHETIC" in dataset.metadata["registers_note"] and "Seed 5" in dataset.metadata["registers_note"]
    municipal = dataset.offices[dataset.offices["is_municipal"]]
    assert len(municipal) == 122 and set(municipal["unit_code"]) == {TEHRAN_COUNTY}


def test_generator_on_the_embedded_default(embedded_offline):
    """With partial counties, registers go to provinces; Tehran province takes the municipal offices."""
    dataset = load_dataset("embedded")
    offices, applications, parks = generate_registers(dataset, seed=1, calibration=Calibration(offices=1000, applications=300, parks=20))
    coverage = dataset.level("province")["pop_total"].sum() / NATIONAL_POPULATION_1395
    assert len(offices) == round(1000 * coverage)  # GeoNames towns hold ~72 % of the census population
    provinces = set(dataset.level("province")["unit_code"])
    assert set(offices["unit_code"]) <= provinces and set(applications["unit_code"]) <= provinces
    assert (offices["setting"] == "urban").all()  # no rural population in GeoNames
    assert set(offices.loc[offices["is_municipal"], "unit_code"]) == {"23"}
