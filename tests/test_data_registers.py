"""The registers a planner brings: offices, licence applications, industrial parks.

Registers sit in a contract folder of real geography (the ``contract_folder`` subset: Markazi, Qom,
Alborz) and are placed by unit code or by coordinates (assigned to the county polygon holding them).
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest

from siting.data import load_dataset
from siting.data.registers import SALT_VARIABLE, hash_id
from siting.errors import DataError

SALT = "a-test-salt"


@pytest.fixture
def geography(contract_folder):
    return contract_folder("gpkg", name="geography")


@pytest.fixture(scope="module")
def places(shared_data) -> pd.DataFrame:
    """One real place per county of the subset, with the county that holds it."""
    cities = pd.read_csv(shared_data / "iran_cities.csv", dtype=str)
    cities = cities[cities["province_code"].isin(["00", "25", "30"]) & (cities["county_assign"] == "within")]
    return cities.drop_duplicates("county_code")[["county_code", "lon", "lat", "name_fa"]].reset_index(drop=True)


def _offices(n: int, **columns) -> pd.DataFrame:
    frame = pd.DataFrame({"licence_id": [f"L{i:03d}" for i in range(n)], "setting": "urban", "status": "active", "issue_date": "1395/03/01"})
    for name, values in columns.items():
        frame[name] = values
    return frame


def _errors(folder) -> list[str]:
    with pytest.raises(DataError) as info:
        load_dataset(folder)
    return [str(p) for p in info.value.problems if p.severity == "error"]


# --- offices ------------------------------------------------------------------------------------


def test_offices_by_coordinates_are_assigned_to_the_polygon_holding_them(geography, places):
    assert len(places) >= 15
    _offices(len(places), lon=places["lon"], lat=places["lat"]).to_csv(geography / "offices.csv", index=False)
    offices = load_dataset(geography).offices
    assert list(offices["unit_code"]) == list(places["county_code"])
    assert offices["lon"].tolist() == places["lon"].astype(float).tolist()


def test_offices_by_unit_code_and_mixed_rows(geography, places):
    first = places.iloc[0]
    frame = _offices(
        3,
        unit_code=["3001", None, "2501"],
        lon=[None, first["lon"], first["lon"]],  # a given unit code wins over coordinates
        lat=[None, first["lat"], first["lat"]],
    )
    frame.to_csv(geography / "offices.csv", index=False)
    offices = load_dataset(geography).offices
    assert list(offices["unit_code"]) == ["3001", first["county_code"], "2501"]


def test_office_fields_are_parsed(geography):
    frame = _offices(
        3,
        unit_code=["0001", "0001", "2501"],
        setting=["Urban", "rural", "urban"],
        status=["active", "not_opened", "Suspended"],
        issue_date=["۱۳۹۰/۰۶/۰۷", "2011-08-29", "29/08/2011"],
        opening_date=["1390/08/01", "", "1390/12/29"],
        last_renewal_date=["1400/01/01", "", ""],
        transfer_dates=["1395/01/01;1392/05/05", "", ""],
        violations=["2", "", "0"],
        is_municipal=["بله", "خیر", "false"],
        holder_hash=["h1", "h2", "h3"],
    )
    frame.to_csv(geography / "offices.csv", index=False)
    offices = load_dataset(geography).offices
    assert offices["issue_date"].tolist() == [dt.date(2011, 8, 29)] * 3
    assert offices["opening_date"].tolist()[0] == dt.date(2011, 10, 23)
    assert offices["opening_date"].tolist()[1] is None
    assert offices["transfer_dates"].iloc[0] == (dt.date(2013, 7, 27), dt.date(2016, 3, 20))  # sorted
    assert offices["setting"].tolist() == ["urban", "rural", "urban"]
    assert offices["status"].tolist() == ["active", "not_opened", "suspended"]
    assert offices["violations"].tolist() == [2, 0, 0]
    assert offices["is_municipal"].tolist() == [True, False, False]
    assert not offices["synthetic"].any()


def test_offices_as_geopackage_points(geography, places, write_layer):
    frame = _offices(len(places))
    points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(places["lon"].astype(float), places["lat"].astype(float)), crs=4326)
    write_layer(points, geography / "offices.gpkg")
    offices = load_dataset(geography).offices
    assert list(offices["unit_code"]) == list(places["county_code"])


def test_office_errors_name_file_row_and_column(geography, places):
    tabriz = (46.2919, 38.08)  # in Iran, outside the three provinces of the geography
    frame = _offices(
        7,
        unit_code=["0001", "9999", None, None, "0001", "0001", "0001"],
        lon=[None, None, tabriz[0], None, None, None, None],
        lat=[None, None, tabriz[1], None, None, None, None],
        status=["active", "active", "active", "active", "closed", "active", "active"],
        setting=["urban", "urban", "urban", "urban", "urban", "town", "urban"],
        opening_date=["", "", "", "", "", "", "1390/01/01"],
        issue_date=["1395/01/01"] * 6 + ["1391/01/01"],
    )
    frame.loc[6, "licence_id"] = "L000"  # duplicate of row 2
    frame.to_csv(geography / "offices.csv", index=False)
    errors = _errors(geography)
    expected = [
        "offices.csv, row 5, column 'unit_code': row has neither a unit code nor coordinates",
        "offices.csv, row 6, column 'status': value must be one of",
        "offices.csv, row 7, column 'setting': value must be one of",
        "offices.csv, row 8, column 'opening_date': office opened before its licence was issued",
        "offices.csv, row 8, column 'licence_id': duplicate code 'L000' (rows 2, 8)",
    ]
    for text in expected:
        assert any(text in line for line in errors), (text, errors)


def test_offices_outside_the_geography(geography):
    """Location problems are checked once the rows themselves are valid."""
    frame = _offices(2, unit_code=["9999", None], lon=[None, 46.2919], lat=[None, 38.08])
    frame.to_csv(geography / "offices.csv", index=False)
    errors = _errors(geography)
    assert any("offices.csv, row 2, column 'unit_code': unit code is not in the geography" in e for e in errors), errors
    assert any("offices.csv, row 3, column 'lon': point lies in no unit of the geography" in e for e in errors), errors


def test_offices_missing_required_columns(geography):
    _offices(2, unit_code=["0001", "0001"]).drop(columns=["issue_date"]).to_csv(geography / "offices.csv", index=False)
    errors = _errors(geography)
    assert errors == ["ERROR: offices.csv, column 'issue_date': required column is missing"]


# --- applications -------------------------------------------------------------------------------


def _applications(ids: list[str], **columns) -> pd.DataFrame:
    frame = pd.DataFrame({"application_id": [f"A{i}" for i in range(len(ids))], "national_id": ids, "application_date": "1402/06/01"})
    for name, values in columns.items():
        frame[name] = values
    return frame


IDS = ["0012345678", "۰۰۱۲۳۴۵۶۷۸", "001-234567-8", "4432109876"]


def test_national_ids_are_hashed_with_the_salt_and_never_kept(geography, monkeypatch, places):
    monkeypatch.setenv(SALT_VARIABLE, SALT)
    first = places.iloc[0]
    _applications(
        IDS,
        unit_code=["0001", "2501", None, "3001"],
        lon=[None, None, first["lon"], None],
        lat=[None, None, first["lat"], None],
        veteran=["yes", "no", "1", ""],
        education=["Bachelor", "master", "", "diploma"],
        resident_unit_code=["0001", "", "2501", "3001"],
        setting=["urban", "rural", "", "urban"],
    ).to_csv(geography / "applications.csv", index=False)
    applications = load_dataset(geography).applications
    assert "national_id" not in applications.columns
    assert applications["applicant_hash"].tolist() == [hash_id("0012345678", SALT)] * 3 + [hash_id("4432109876", SALT)]
    assert len(applications["applicant_hash"].iloc[0]) == 20
    text = applications.astype(str).to_csv()
    assert "0012345678" not in text and "4432109876" not in text and "234567" not in text
    assert applications["unit_code"].tolist() == ["0001", "2501", first["county_code"], "3001"]
    assert applications["veteran"].tolist() == [True, False, True, False]
    assert applications["education"].tolist()[:2] == ["bachelor", "master"]
    assert applications["resident_unit_code"].tolist()[0] == "0001"
    assert applications["application_date"].iloc[0] == dt.date(2023, 8, 23)


def test_the_hash_depends_on_the_salt():
    assert hash_id("0012345678", "one") != hash_id("0012345678", "two")
    assert hash_id("۰۰۱۲۳۴۵۶۷۸", "one") == hash_id("0012345678", "one") == hash_id("001-234567-8", "one")


def test_clear_ids_without_a_salt_are_refused(geography, run_amayesh, monkeypatch):
    monkeypatch.delenv(SALT_VARIABLE, raising=False)
    _applications(IDS, unit_code="0001").to_csv(geography / "applications.csv", index=False)
    errors = _errors(geography)
    assert len(errors) == 1
    assert errors[0].startswith("ERROR: applications.csv, column 'national_id': holds national ids in clear")
    assert SALT_VARIABLE in errors[0]
    result = run_amayesh("data", "check", geography)
    assert result.exit_code == 2
    assert SALT_VARIABLE in result.stderr
    assert "0012345678" not in result.output  # the ids are not echoed


def test_already_hashed_applicants_need_no_salt(geography, monkeypatch):
    monkeypatch.delenv(SALT_VARIABLE, raising=False)
    frame = _applications(["x"] * 2, unit_code="0001").drop(columns="national_id")
    frame["applicant_hash"] = ["abc123", "def456"]
    frame.to_csv(geography / "applications.csv", index=False)
    assert load_dataset(geography).applications["applicant_hash"].tolist() == ["abc123", "def456"]


def test_application_errors(geography, monkeypatch):
    monkeypatch.setenv(SALT_VARIABLE, SALT)
    _applications(
        ["1", "", "3"],
        unit_code=["0001", "0001", "0001"],
        education=["phd", "", ""],
        veteran=["maybe", "", ""],
        application_date=["1402/01/01", "1402/01/01", ""],
    ).to_csv(geography / "applications.csv", index=False)
    errors = _errors(geography)
    expected = [
        "applications.csv, row 2, column 'education': value must be one of",
        "applications.csv, row 2, column 'veteran': value must be true/false",
        "applications.csv, row 3, column 'national_id': applicant id is missing",
        "applications.csv, row 4, column 'application_date': date is missing",
    ]
    for text in expected:
        assert any(text in line for line in errors), (text, errors)


# --- industrial parks ---------------------------------------------------------------------------


def test_parks_by_unit_code_and_by_coordinates(geography, places):
    frame = pd.DataFrame(
        {
            "park_id": ["P1", "P2", "P3"],
            "name_fa": ["شهرك صنعتي البرز", "شهرک صنعتی قم", "شهرک صنعتی اراک"],
            "unit_code": ["3001", None, None],
            "lon": [None, places["lon"].iloc[1], places["lon"].iloc[2]],
            "lat": [None, places["lat"].iloc[1], places["lat"].iloc[2]],
        }
    )
    frame.to_csv(geography / "industrial_parks.csv", index=False)
    parks = load_dataset(geography).parks
    assert parks["unit_code"].tolist() == ["3001", places["county_code"].iloc[1], places["county_code"].iloc[2]]
    assert parks["name_fa"].iloc[0] == "شهرک صنعتی البرز"  # normalised


def test_parks_errors(geography):
    pd.DataFrame({"park_id": ["P1", "P1"], "name_fa": ["a", "b"], "unit_code": ["0001", "0001"]}).to_csv(
        geography / "industrial_parks.csv", index=False
    )
    errors = _errors(geography)
    assert any("industrial_parks.csv, row 3, column 'park_id': duplicate code 'P1'" in e for e in errors), errors
    pd.DataFrame({"park_id": ["P1"], "name_fa": ["a"]}).to_csv(geography / "industrial_parks.csv", index=False)
    errors = _errors(geography)
    assert any("needs a 'unit_code' column or 'lon'/'lat' columns" in e for e in errors), errors


def test_registers_are_counted_by_the_cli(geography, run_amayesh, monkeypatch):
    monkeypatch.setenv(SALT_VARIABLE, SALT)
    _offices(4, unit_code="0001").to_csv(geography / "offices.csv", index=False)
    _applications(IDS[:2], unit_code="2501").to_csv(geography / "applications.csv", index=False)
    result = run_amayesh("data", "check", geography)
    assert result.exit_code == 0, result.output
    assert "offices      4" in result.stdout
    assert "applications 2" in result.stdout
    assert "parks        none loaded" in result.stdout
    assert "SYNTHETIC" not in result.stdout
