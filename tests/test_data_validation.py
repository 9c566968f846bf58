"""Each validation error: the CLI exits non-zero, and the message names the file, row and column.

Broken inputs are copies of real files in ``tmp_path`` with one row edited. Rows are spreadsheet rows
for CSV (header = row 1, first record = row 2) and feature numbers for GIS layers (first feature = 1).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon

from siting.data import load_dataset
from siting.data import checks
from siting.data._read import Table
from siting.dates import to_jalali
from siting.errors import DataError, Problem

COUNTIES = "iran_counties.geojson"
PROVINCES = "iran_provinces.geojson"


def edit_geojson(path: Path, edit) -> None:
    """Edit a (small) GeoJSON file as a whole."""
    collection = json.loads(path.read_text(encoding="utf-8"))
    edit(collection)
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")


def edit_features(path: Path, number: int, edit) -> None:
    """Edit the properties of feature ``number`` (1-based) of a big GeoJSON file written one feature a line."""
    lines = path.read_text(encoding="utf-8").split("\n")
    features = [i for i, line in enumerate(lines) if line.startswith(('{ "type": "Feature"', '{"type": "Feature"'))]
    assert len(features) > 1
    index = features[number - 1]
    comma = lines[index].endswith(",")
    feature = json.loads(lines[index].rstrip(","))
    edit(feature["properties"])
    lines[index] = json.dumps(feature, ensure_ascii=False) + ("," if comma else "")
    path.write_text("\n".join(lines), encoding="utf-8")


def edit_text(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def edited_csv(path: Path, edit) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    result = edit(frame)
    (frame if result is None else result).to_csv(path, index=False)


def refused(run_amayesh, folder: Path, *args) -> list[str]:
    """Run ``amayesh data check`` on a folder that must be refused; returns the error lines."""
    result = run_amayesh("data", "check", folder, *args)
    assert result.exit_code == 2, result.output
    assert "nothing was written" in result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith("ERROR")]


def find(lines: list[str], file: str, row: int | None, column: str | None, text: str) -> str:
    """The one line naming this file, row and column and holding ``text``."""
    where = file + (f", row {row}" if row is not None else "") + (f", column '{column}'" if column else "")
    hits = [line for line in lines if line.startswith(f"ERROR: {where}: ") and text in line]
    assert hits, f"no error for {where} with '{text}' in:\n" + "\n".join(lines)
    return hits[0]


# --- the official folder: one duplicated code, one negative population, one garbled CRS ---------


def test_official_duplicate_county_code(official_copy, run_amayesh):
    folder = official_copy(COUNTIES)
    edit_features(folder / COUNTIES, 5, lambda p: p.update(county_code="0001"))  # feature 5 copies Arak's code
    lines = refused(run_amayesh, folder)
    find(lines, COUNTIES, 5, "county_code", "duplicate code '0001' (rows 1, 5)")


def test_official_negative_population(official_copy, run_amayesh):
    folder = official_copy(COUNTIES)

    def negative(properties):
        # Keep the county total adding up, so the negative value is the only problem.
        properties["pop_1395_urban"] += properties["pop_1395_rural"] + 5
        properties["pop_1395_rural"] = -5

    edit_features(folder / COUNTIES, 7, negative)
    lines = refused(run_amayesh, folder)
    assert len(lines) == 1
    find(lines, COUNTIES, 7, "pop_1395_rural", "value is negative")


CRS84 = '"name": "urn:ogc:def:crs:OGC:1.3:CRS84"'


def test_official_garbled_crs(official_copy, run_amayesh):
    name = "urn:ogc:def:crs:EPSG::99999x"
    folder = official_copy(COUNTIES)
    edit_text(folder / COUNTIES, CRS84, f'"name": "{name}"')
    lines = refused(run_amayesh, folder)
    find(lines, COUNTIES, None, None, f"the declared CRS '{name}' is not a known coordinate reference system")


def test_official_crs_3857_holding_degrees(official_copy, run_amayesh):
    folder = official_copy(COUNTIES)
    edit_text(folder / COUNTIES, CRS84, '"name": "EPSG:3857"')
    lines = refused(run_amayesh, folder)
    line = find(lines, COUNTIES, None, None, "coordinates fall outside Iran under the declared CRS EPSG:3857")
    assert "wrong or garbled" in line


def test_official_county_codes_stored_as_numbers(official_copy, run_amayesh):
    folder = official_copy(COUNTIES)

    path = folder / COUNTIES
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r'"county_code": "(\d+)"', lambda m: f'"county_code": {int(m.group(1))}', text), encoding="utf-8")
    lines = refused(run_amayesh, folder)
    find(lines, COUNTIES, None, "county_code", "codes are stored as numbers, so leading zeros are lost")
    find(lines, COUNTIES, 1, "county_code", "code should have 4 characters (leading zeros lost?)")  # 0001 → 1


def test_official_province_not_the_sum_of_its_counties(official_copy, run_amayesh):
    folder = official_copy(COUNTIES, PROVINCES)

    def inflate(properties):
        properties["pop_1395_urban"] += 1000
        properties["pop_1395_total"] += 1000

    edit_features(folder / PROVINCES, 3, inflate)  # province 02
    lines = refused(run_amayesh, folder)
    assert len(lines) == 2
    find(lines, PROVINCES, 3, "pop_1395_total", "province 02: pop_1395_total is 3,284,582 but its county units sum to 3,283,582")
    find(lines, PROVINCES, 3, "pop_1395_urban", "but its county units sum to")


def test_official_misnamed_column_hints_the_close_name(official_copy, run_amayesh):
    folder = official_copy(COUNTIES)

    edit_text(folder / COUNTIES, '"pop_1395_total":', '"pop_1395_totl":', count=-1)
    lines = refused(run_amayesh, folder)
    find(lines, COUNTIES, None, "pop_total", "required column is missing (found 'pop_1395_totl': misnamed?)")


def test_official_messages_name_the_files_own_columns(official_copy, run_amayesh):
    folder = official_copy(COUNTIES)

    edit_features(folder / COUNTIES, 5, lambda p: p.update(county_code="0001"))
    edit_features(folder / COUNTIES, 7, lambda p: p.update(pop_1395_rural=-5))
    lines = refused(run_amayesh, folder)
    find(lines, COUNTIES, 5, "county_code", "duplicate code '0001'")
    find(lines, COUNTIES, 7, "pop_1395_rural", "value is negative")


# --- the planner's contract: columns, codes, numbers, totals, parents ---------------------------


@pytest.fixture
def csv_folder(contract_folder):
    return contract_folder("csv")


def test_missing_column(csv_folder, run_amayesh):
    edited_csv(csv_folder / "counties.csv", lambda f: f.drop(columns=["pop_rural"]))
    lines = refused(run_amayesh, csv_folder)
    find(lines, "counties.csv", None, "pop_rural", "required column is missing")


def test_misnamed_column_hint_shows_the_close_name(csv_folder, run_amayesh):
    edited_csv(csv_folder / "counties.csv", lambda f: f.rename(columns={"pop_urban": "pop_urbn"}))
    lines = refused(run_amayesh, csv_folder)
    find(lines, "counties.csv", None, "pop_urban", "required column is missing (found 'pop_urbn': misnamed?)")


def test_settlements_missing_columns(csv_folder, run_amayesh):
    edited_csv(csv_folder / "settlements.csv", lambda f: f.rename(columns={"population": "populaton"}))
    lines = refused(run_amayesh, csv_folder)
    find(lines, "settlements.csv", None, "population", "found 'populaton'")


def test_duplicate_codes(csv_folder, run_amayesh):
    frame = pd.read_csv(csv_folder / "counties.csv", dtype=str)

    def duplicate(f):
        f.loc[5, "unit_code"] = f.loc[1, "unit_code"]

    edited_csv(csv_folder / "counties.csv", duplicate)
    lines = refused(run_amayesh, csv_folder)
    code = frame.loc[1, "unit_code"]
    find(lines, "counties.csv", 7, "unit_code", f"duplicate code '{code}' (rows 3, 7)")


@pytest.mark.parametrize(
    ("value", "message"),
    [("12a", "value is not a number"), ("n/a", "value is not a number"), ("", "value is missing"), ("12.5", "value is not a whole number")],
)
def test_bad_population_values(csv_folder, run_amayesh, value, message):
    edited_csv(csv_folder / "counties.csv", lambda f: f.__setitem__("pop_urban", f["pop_urban"].where(f.index != 3, value)))
    lines = refused(run_amayesh, csv_folder)
    find(lines, "counties.csv", 5, "pop_urban", message)


def test_negative_population(csv_folder, run_amayesh):
    edited_csv(csv_folder / "settlements.csv", lambda f: f.__setitem__("population", f["population"].where(f.index != 0, "-1")))
    lines = refused(run_amayesh, csv_folder)
    find(lines, "settlements.csv", 2, "population", "value is negative")


def test_county_total_not_urban_plus_rural_plus_nonsettled(csv_folder, run_amayesh):
    def off_by_one(f):
        f.loc[2, "pop_total"] = str(int(f.loc[2, "pop_total"]) + 1)

    edited_csv(csv_folder / "counties.csv", off_by_one)
    lines = refused(run_amayesh, csv_folder)
    find(lines, "counties.csv", 4, "pop_total", "pop_total does not equal pop_urban + pop_rural + pop_nonsettled")


def test_province_not_the_sum_of_its_counties(csv_folder, run_amayesh):
    def move_people(f):
        f.loc[1, "pop_rural"] = str(int(f.loc[1, "pop_rural"]) + 7)
        f.loc[1, "pop_total"] = str(int(f.loc[1, "pop_total"]) + 7)

    edited_csv(csv_folder / "provinces.csv", move_people)
    lines = refused(run_amayesh, csv_folder)
    code = pd.read_csv(csv_folder / "provinces.csv", dtype=str).loc[1, "unit_code"]
    find(lines, "provinces.csv", 3, "pop_rural", f"province {code}: pop_rural is")
    find(lines, "provinces.csv", 3, "pop_total", "but its county units sum to")


def test_unit_whose_parent_is_missing(csv_folder, run_amayesh):
    edited_csv(csv_folder / "counties.csv", lambda f: f.__setitem__("parent_code", f["parent_code"].where(f.index != 3, "99")))
    lines = refused(run_amayesh, csv_folder)
    find(lines, "counties.csv", 5, "parent_code", "parent province does not exist")


def test_settlement_in_an_unknown_unit(csv_folder, run_amayesh):
    edited_csv(csv_folder / "settlements.csv", lambda f: f.__setitem__("unit_code", f["unit_code"].where(f.index != 9, "9999")))
    lines = refused(run_amayesh, csv_folder)
    find(lines, "settlements.csv", 11, "unit_code", "unit code is not in the geography")


@pytest.mark.parametrize(("axis", "value", "message"), [("lon", "12.5", "below 43"), ("lat", "51.4", "above 40.5")])
def test_csv_coordinates_outside_iran(csv_folder, run_amayesh, axis, value, message):
    edited_csv(csv_folder / "counties.csv", lambda f: f.__setitem__(axis, f[axis].where(f.index != 0, value)))
    lines = refused(run_amayesh, csv_folder)
    find(lines, "counties.csv", 2, axis, message)


def test_persian_digits_and_separators_are_accepted(csv_folder, contract_layers):
    from siting.text import to_persian_digits

    def persian(f):
        f["unit_code"] = f["unit_code"].map(to_persian_digits)
        f["parent_code"] = f["parent_code"].map(to_persian_digits)
        f["pop_total"] = f["pop_total"].map(lambda v: to_persian_digits(f"{int(v):,}"))

    edited_csv(csv_folder / "counties.csv", persian)
    dataset = load_dataset(csv_folder)
    counties = dataset.level("county")
    assert sorted(counties["unit_code"]) == sorted(contract_layers["counties"]["unit_code"])
    assert counties["pop_total"].sum() == contract_layers["counties"]["pop_total"].sum()


@pytest.mark.filterwarnings("ignore:Could not parse column")
def test_rows_are_numbered_per_format(contract_folder, run_amayesh):
    """The same bad record is row 5 of a CSV (header is row 1) and feature 4 of a GIS layer."""
    csv = contract_folder("csv")
    edited_csv(csv / "counties.csv", lambda f: f.__setitem__("pop_rural", f["pop_rural"].where(f.index != 3, "x")))
    find(refused(run_amayesh, csv), "counties.csv", 5, "pop_rural", "value is not a number")

    gis = contract_folder("geojson")
    edit_geojson(gis / "counties.geojson", lambda c: c["features"][3]["properties"].update(pop_rural="x"))
    find(refused(run_amayesh, gis), "counties.geojson", 4, "pop_rural", "value is not a number")


def test_every_problem_is_reported_at_once(csv_folder, run_amayesh):
    def break_several(f):
        f.loc[0, "pop_urban"] = "x"
        f.loc[4, "pop_rural"] = "-3"
        f.loc[8, "unit_code"] = f.loc[9, "unit_code"]

    edited_csv(csv_folder / "counties.csv", break_several)
    lines = refused(run_amayesh, csv_folder)
    find(lines, "counties.csv", 2, "pop_urban", "not a number")
    find(lines, "counties.csv", 6, "pop_rural", "negative")
    find(lines, "counties.csv", 11, "unit_code", "duplicate code")


# --- codes read as numbers ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["gpkg", "geojson"])
def test_codes_stored_as_numbers(contract_layers, write_layer, tmp_path, run_amayesh, fmt):
    folder = tmp_path / "numbers"
    folder.mkdir()
    provinces = contract_layers["provinces"]
    counties = contract_layers["counties"].copy()
    counties["unit_code"] = counties["unit_code"].astype(int)  # 0001 → 1
    write_layer(provinces, folder / f"provinces.{fmt}")
    write_layer(counties, folder / f"counties.{fmt}")
    lines = refused(run_amayesh, folder)
    line = find(lines, f"counties.{fmt}", None, "unit_code", "codes are stored as numbers")
    assert "leading zeros are lost" in line and "store them as text" in line


# --- geometries ---------------------------------------------------------------------------------


def _replace_geometry(folder: Path, position: int, ring: list[tuple[float, float]]) -> Polygon:
    """Put a polygon of the given ring (unit square coordinates, ~10 km) at a county's centre."""
    path = folder / "counties.geojson"
    frame = gpd.read_file(path)
    centre = frame.geometry.iloc[position].centroid
    polygon = Polygon([(centre.x + 0.1 * x, centre.y + 0.1 * y) for x, y in ring])
    frame.loc[frame.index[position], "geometry"] = polygon
    path.unlink()
    frame.to_file(path)
    return polygon


def test_self_touching_ring_is_repaired_with_a_warning(contract_folder, run_amayesh):
    folder = contract_folder("geojson")
    # The ring passes twice through (1, 1): two triangles touching at a vertex.
    polygon = _replace_geometry(folder, 3, [(0, 0), (2, 0), (1, 1), (2, 2), (0, 2), (1, 1), (0, 0)])
    assert not polygon.is_valid
    result = run_amayesh("data", "check", folder)
    assert result.exit_code == 0, result.output
    warning = [line for line in result.stderr.splitlines() if line.startswith("WARNING")]
    assert len(warning) == 1
    assert warning[0].startswith("WARNING: counties.geojson, row 4, column 'geometry': invalid geometry (Ring Self-intersection")
    assert warning[0].endswith("repaired")
    assert "UserWarning" not in result.stderr  # no library noise in a planner's output
    repaired = load_dataset(folder).level("county").geometry
    assert repaired.is_valid.all()
    assert shapely.area(repaired.to_numpy()).min() > 0


def test_bow_tie_is_refused(contract_folder, run_amayesh):
    folder = contract_folder("geojson")
    _replace_geometry(folder, 3, [(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
    lines = refused(run_amayesh, folder)
    line = find(lines, "counties.geojson", 4, "geometry", "invalid geometry (Self-intersection")
    assert "fix it in the source" in line


def test_missing_geometry_is_refused(contract_folder, run_amayesh):
    folder = contract_folder("geojson")
    edit_geojson(folder / "counties.geojson", lambda c: c["features"][2].update(geometry=None))
    lines = refused(run_amayesh, folder)
    find(lines, "counties.geojson", 3, "geometry", "geometry is missing or empty")


# --- CRS ----------------------------------------------------------------------------------------


def test_shapefile_without_prj_is_refused(contract_layers, write_layer, tmp_path, run_amayesh):
    folder = tmp_path / "noprj"
    folder.mkdir()
    write_layer(contract_layers["provinces"], folder / "provinces.shp")
    (folder / "provinces.prj").unlink()
    lines = refused(run_amayesh, folder)
    find(lines, "provinces.shp", None, None, "has no CRS (for a Shapefile: the .prj file is missing); expected EPSG:4326")


def test_geojson_with_a_nonsense_crs_name(contract_folder, run_amayesh):
    folder = contract_folder("geojson")
    edit_geojson(folder / "counties.geojson", lambda c: c.update(crs={"type": "name", "properties": {"name": "Iran Lambert??"}}))
    lines = refused(run_amayesh, folder)
    find(lines, "counties.geojson", None, None, "the declared CRS 'Iran Lambert??' is not a known coordinate reference system")


def test_geojson_declaring_3857_while_holding_degrees(contract_folder, run_amayesh):
    folder = contract_folder("geojson")
    edit_geojson(folder / "counties.geojson", lambda c: c.update(crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}))
    lines = refused(run_amayesh, folder)
    find(lines, "counties.geojson", None, None, "coordinates fall outside Iran under the declared CRS EPSG:3857")


def test_layer_in_the_wrong_utm_zone(contract_layers, write_layer, tmp_path, run_amayesh):
    """Metres of UTM 39N labelled as UTM 10N (California) land far from Iran: refused."""
    folder = tmp_path / "utm"
    folder.mkdir()
    wrong = contract_layers["provinces"].to_crs(32639).set_crs(32610, allow_override=True)
    write_layer(wrong, folder / "provinces.gpkg")
    lines = refused(run_amayesh, folder)
    find(lines, "provinces.gpkg", None, None, "coordinates fall outside Iran under the declared CRS EPSG:32610")


# --- dates --------------------------------------------------------------------------------------


def test_dates_that_do_not_parse(csv_folder, run_amayesh):
    offices = pd.DataFrame(
        {
            "licence_id": ["L1", "L2", "L3", "L4"],
            "unit_code": ["2501", "2501", "2501", "2501"],
            "setting": "urban",
            "status": "active",
            "issue_date": ["1390/06/07", "1390/13/01", "1390/12/31", "someday"],
            "opening_date": ["1390/07/01", "", "", "2011-02-29"],
            "transfer_dates": ["1391/01/01;1392/07/31", "", "", ""],
        }
    )
    offices.to_csv(csv_folder / "offices.csv", index=False)
    lines = refused(run_amayesh, csv_folder)
    find(lines, "offices.csv", 3, "issue_date", "'1390/13/01' is not a valid Jalali date")
    find(lines, "offices.csv", 4, "issue_date", "'1390/12/31' is not a valid Jalali date")
    find(lines, "offices.csv", 5, "issue_date", "'someday' is not a date")
    find(lines, "offices.csv", 5, "opening_date", "'2011-02-29' is not a valid Gregorian date")
    find(lines, "offices.csv", 2, "transfer_dates", "'1392/07/31' is not a valid Jalali date")


def test_dates_after_today_are_typos_not_the_reference_date(csv_folder, run_amayesh):
    tomorrow = to_jalali(dt.date.today() + dt.timedelta(days=1))
    offices = pd.DataFrame(
        {
            "licence_id": ["L1", "L2", "L3"],
            "unit_code": ["2501"] * 3,
            "setting": "urban",
            "status": "active",
            "issue_date": ["1390/06/07", tomorrow, to_jalali(dt.date.today())],
            "opening_date": ["1390/07/01", "", ""],
            "transfer_dates": [f"1391/01/01;{tomorrow}", "", ""],
        }
    )
    offices.to_csv(csv_folder / "offices.csv", index=False)
    lines = refused(run_amayesh, csv_folder)
    today = f"date is after today ({to_jalali(dt.date.today())})"
    find(lines, "offices.csv", 3, "issue_date", f"{today} ({tomorrow})")
    find(lines, "offices.csv", 2, "transfer_dates", f"{today} (1391/01/01;{tomorrow})")
    assert not [line for line in lines if "row 4" in line], lines  # today itself is not in the future


def test_unparseable_dates_beyond_the_first_twenty_are_counted(csv_folder, run_amayesh):
    offices = pd.DataFrame({"licence_id": [f"L{i}" for i in range(25)], "unit_code": "2501", "setting": "urban",
                            "status": "active", "issue_date": "1390/13/01"})
    offices.to_csv(csv_folder / "offices.csv", index=False)
    result = run_amayesh("data", "check", csv_folder)
    assert result.exit_code == 2
    assert ("ERROR: offices.csv, row 22, column 'issue_date': ... and 5 more rows like this from here on: dates that do "
            "not parse") in result.stderr
    assert "amayesh: 25 problem(s) in the input data" in result.stderr


def test_errors_of_a_file_come_in_row_order(csv_folder, run_amayesh):
    # each rule is checked over the whole file in turn; the planner reads the findings top to bottom
    offices = pd.DataFrame(
        {
            "licence_id": ["L1", "L2", "L3", "L3", "L5"],
            "unit_code": ["2501"] * 5,
            "setting": ["urban", "urban", "urban", "urban", "urban"],
            "status": ["active", "active", "active", "active", "dead"],
            "issue_date": ["1390/06/07", "1390/06/07", "1390/13/01", "1390/06/07", "1390/06/07"],
            "lon": ["51.4", "x", "51.4", "51.4", "51.4"],
            "lat": ["35.7"] * 5,
        }
    )
    offices.to_csv(csv_folder / "offices.csv", index=False)
    lines = [line for line in refused(run_amayesh, csv_folder) if line.startswith("ERROR: offices.csv, row ")]
    rows = [int(line.split(", row ")[1].split(",")[0]) for line in lines]
    assert rows == sorted(rows) and {3, 4, 5, 6} <= set(rows), lines


# --- the checks themselves ----------------------------------------------------------------------


def _table(frame: pd.DataFrame, name: str = "t.csv") -> Table:
    return Table(frame, Path(name), row_offset=2)


def test_long_lists_are_cut_with_a_count():
    table = _table(pd.DataFrame({"pop": ["-1"] * 25}))
    _, problems = checks.numbers(table, "pop")
    assert len(problems) == checks.MAX_ROWS_REPORTED + 1
    assert problems[0].row == 2 and problems[19].row == 21
    assert problems[-1].row == 22 and problems[-1].rows == 5
    assert problems[-1].message == "... and 5 more rows like this from here on: value is negative"


def test_numbers_take_thousands_commas_and_persian_separators_but_not_decimal_commas():
    table = _table(pd.DataFrame({"v": ["1,234,567", "51,42", "12,3456", "۵۱٫۴۲", "۱۲۳٬۴۵۶", None, "1,234.5", "1,2,3"]}))
    values, problems = checks.numbers(table, "v", required=False)
    numbers = values.tolist()
    assert [numbers[i] for i in (0, 3, 4, 6)] == [1234567.0, 51.42, 123456.0, 1234.5]
    assert values.isna().tolist() == [False, True, True, False, False, True, False, True]
    commas = [(p.row, p.message) for p in problems]
    assert commas == [(row, f"value has a comma that does not group thousands (decimals take a point: 51.42) ({text})")
                      for row, text in ((3, "51,42"), (4, "12,3456"), (9, "1,2,3"))]


def test_choices_booleans_and_code_widths():
    table = _table(pd.DataFrame({"status": ["Active", "closed", None], "flag": ["بله", "خیر", "maybe"], "code": ["0001", "12", "۰۰۰۲"]}))
    values, problems = checks.choices(table, "status", ["active", "suspended"])
    assert values.tolist()[:2] == ["active", "closed"]
    assert [(p.row, p.message.split(" [")[0]) for p in problems] == [(3, "value must be one of"), (4, "value is missing")]
    flags, problems = checks.booleans(table, "flag")
    assert flags.tolist() == [True, False, False]
    assert [(p.row, p.column) for p in problems] == [(4, "flag")]
    codes, problems = checks.codes(table, "code", width=4)
    assert codes.tolist() == ["0001", "12", "0002"]
    assert [(p.row, p.message) for p in problems] == [(3, "code should have 4 characters (leading zeros lost?)")]


def test_problem_and_data_error_text():
    problem = Problem("counties.csv", "value is negative", 5, "pop_rural")
    assert str(problem) == "ERROR: counties.csv, row 5, column 'pop_rural': value is negative"
    warning = Problem("x.gpkg", "reprojected", severity="warning")
    error = DataError([problem, warning])
    assert str(error).startswith("1 problem(s) in the input data:\n")
    assert "reprojected" not in str(error)
    assert error.problems == [problem, warning]
