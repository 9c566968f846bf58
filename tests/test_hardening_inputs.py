"""Defective copies of the real data that used to pass or end in a traceback (issue 14).

Each test breaks one thing in a copy of ``../shared/data/iran`` (or of the contract subset) and runs
``amayesh data check`` or ``plan`` in-process: the tool must exit non-zero naming the file, the row or
feature (with its code) and the column, or plan correctly.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from siting.data import load_dataset
from siting.errors import DataError

COUNTIES = "iran_counties.geojson"
PROVINCES = "iran_provinces.geojson"
COUNTY_TABLE = "iran_county_population.csv"
PROVINCE_TABLE = "iran_province_population.csv"
LABOUR = "iran_county_labour_1395.csv"


def layer_code(shared_data: Path, number: int) -> str:
    """The county code of feature ``number`` (1-based) of the real layer."""
    return gpd.read_file(shared_data / COUNTIES, columns=["county_code"], ignore_geometry=True)["county_code"].iloc[number - 1]


def refused(run_amayesh, folder: Path, *args) -> list[str]:
    result = run_amayesh("data", "check", folder, *args)
    assert result.exit_code == 2, result.output
    assert "nothing was written" in result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith("ERROR")]


def edit_feature(path: Path, number: int, edit) -> None:
    """Edit feature ``number`` (1-based) of a GeoJSON file written one feature a line."""
    lines = path.read_text(encoding="utf-8").split("\n")
    features = [i for i, line in enumerate(lines) if line.startswith(('{ "type": "Feature"', '{"type": "Feature"'))]
    index = features[number - 1]
    comma = lines[index].endswith(",")
    feature = json.loads(lines[index].rstrip(","))
    edit(feature)
    lines[index] = json.dumps(feature, ensure_ascii=False) + ("," if comma else "")
    path.write_text("\n".join(lines), encoding="utf-8")


# --- geometry ----------------------------------------------------------------------------------


def test_a_point_county_is_refused_by_row_and_code(official_copy, run_amayesh):
    folder = official_copy(COUNTIES)
    edit_feature(folder / COUNTIES, 3, lambda f: f.update(geometry={"type": "Point", "coordinates": [50.0, 34.0]}))
    lines = refused(run_amayesh, folder)
    assert lines == ["ERROR: iran_counties.geojson, row 3, column 'geometry': a unit must be a Polygon or MultiPolygon "
                     "(found Point, code 0003)"]


def test_one_feature_outside_iran_is_named_not_blamed_on_the_crs(official_copy, shared_data, run_amayesh):
    folder = official_copy(COUNTIES)

    def shift(feature):  # move county 10 to the other side of the world: the rest of the layer is fine
        feature["geometry"] = {"type": "Polygon", "coordinates": [[[-70, 10], [-69, 10], [-69, 11], [-70, 10]]]}

    edit_feature(folder / COUNTIES, 10, shift)
    lines = refused(run_amayesh, folder)
    assert len(lines) == 1, lines
    assert lines[0].startswith("ERROR: iran_counties.geojson, row 10, column 'geometry': feature lies outside Iran")
    assert f"county_code {layer_code(shared_data, 10)} at lon" in lines[0] and "not a wrong CRS" in lines[0]
    assert "declared CRS" not in lines[0]


def test_the_whole_layer_in_another_crs_is_still_a_crs_error(official_copy, run_amayesh):
    folder = official_copy(COUNTIES)
    counties = gpd.read_file(folder / COUNTIES)
    counties.set_crs(3857, allow_override=True).to_file(folder / COUNTIES, driver="GeoJSON")  # degrees labelled metres
    lines = refused(run_amayesh, folder)
    assert lines == [f"ERROR: {COUNTIES}: coordinates fall outside Iran under the declared CRS EPSG:3857 for every feature: "
                     "the CRS is wrong or garbled (expected EPSG:4326 longitude/latitude)"]


# --- populations -------------------------------------------------------------------------------


def test_an_absurd_population_is_refused(official_copy, shared_data, run_amayesh):
    folder = official_copy(COUNTIES)

    def inflate(feature):
        p = feature["properties"]
        p["pop_1395_urban"] += 10**15  # keeps the total adding up, so plausibility is the only problem
        p["pop_1395_total"] += 10**15

    edit_feature(folder / COUNTIES, 8, inflate)
    lines = refused(run_amayesh, folder)
    assert any(line.startswith("ERROR: iran_counties.geojson, row 8, column 'pop_1395_total': population exceeds 100,000,000")
               and f"code {layer_code(shared_data, 8)}" in line for line in lines), lines


def test_an_implausible_density_is_refused(official_copy, run_amayesh):
    folder = official_copy(COUNTIES)

    def tiny(feature):  # Arak's 591,756 people on a hundredth of a square kilometre
        feature["properties"]["area_km2"] = 0.01

    edit_feature(folder / COUNTIES, 1, tiny)
    lines = refused(run_amayesh, folder)
    assert any("row 1, column 'pop_1395_total': more than 250,000 residents per km²" in line and "code 0001" in line
               for line in lines), lines


# --- empty tables ------------------------------------------------------------------------------


def test_header_only_counties_are_an_error(contract_folder, run_amayesh):
    folder = contract_folder("geojson")
    (folder / "provinces.geojson").unlink()
    (folder / "settlements.csv").unlink()
    (folder / "counties.geojson").unlink()
    (folder / "counties.csv").write_text("unit_code,parent_code,name_fa,pop_total,pop_urban,pop_rural,lon,lat\n", encoding="utf-8")
    lines = refused(run_amayesh, folder)
    assert lines == ["ERROR: counties.csv: holds no county units: the file has a header but no rows"]


@pytest.mark.parametrize("where", ["offices", "counties", "labour"])
def test_zero_byte_csvs_are_named(where, contract_folder, official_copy, run_amayesh):
    if where == "labour":
        folder = official_copy(COUNTIES, LABOUR)
        name = LABOUR
    else:
        folder = contract_folder("gpkg", settlements=False)
        name = f"{where}.csv"
        if where == "counties":
            (folder / "counties.gpkg").unlink()
    (folder / name).write_bytes(b"")
    lines = refused(run_amayesh, folder)
    assert len(lines) == 1 and lines[0].startswith(f"ERROR: {name}: is empty (0 bytes)"), lines


# --- the official folder's attribute tables --------------------------------------------------------


def test_the_real_tables_agree_with_the_layers(shared_data, run_amayesh):
    result = run_amayesh("data", "check", shared_data)
    assert result.exit_code == 0
    assert f"Checked: {COUNTY_TABLE}, {PROVINCE_TABLE} agree(s) with the layers" in result.output
    assert "Read: iran_counties.geojson, iran_provinces.geojson" in result.output


def _table_copy(official_copy, table: str, edit) -> Path:
    folder = official_copy(COUNTIES, PROVINCES, table)
    frame = pd.read_csv(folder / table, dtype=str, keep_default_na=False)
    edit(frame).to_csv(folder / table, index=False) if edit is not None else (folder / table).write_bytes(b"")
    return folder


@pytest.mark.parametrize("table", [COUNTY_TABLE, PROVINCE_TABLE])
def test_an_empty_table_beside_the_layer_is_refused(table, official_copy, run_amayesh):
    lines = refused(run_amayesh, _table_copy(official_copy, table, None))
    assert lines and all(line.startswith(f"ERROR: {table}") for line in lines)


def test_a_truncated_county_table_is_refused(official_copy, run_amayesh):
    lines = refused(run_amayesh, _table_copy(official_copy, COUNTY_TABLE, lambda f: f.head(400)))
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"ERROR: {COUNTY_TABLE}, column 'county_code': 29 county unit(s) of the layer are missing")


def test_a_duplicated_row_is_refused(official_copy, run_amayesh):
    lines = refused(run_amayesh, _table_copy(official_copy, COUNTY_TABLE, lambda f: pd.concat([f, f.iloc[[4]]])))
    assert any(line.startswith(f"ERROR: {COUNTY_TABLE}, row 431, column 'county_code': duplicate code") for line in lines), lines


def test_a_province_less_table_is_refused(official_copy, run_amayesh):
    lines = refused(run_amayesh, _table_copy(official_copy, COUNTY_TABLE, lambda f: f.drop(columns=["province_code"])))
    assert len(lines) == 1 and lines[0].startswith(f"ERROR: {COUNTY_TABLE}, column 'province_code': required column is missing")


def test_an_edited_figure_is_refused_by_row_and_code(official_copy, run_amayesh):
    def edit(frame):
        frame.loc[6, "pop_1395_rural"] = str(int(frame.loc[6, "pop_1395_rural"]) + 1000)
        return frame

    lines = refused(run_amayesh, _table_copy(official_copy, COUNTY_TABLE, edit))
    code = pd.read_csv(Path(__file__).parents[2] / "shared/data/iran" / COUNTY_TABLE, dtype=str)["county_code"][6]
    assert any(line.startswith(f"ERROR: {COUNTY_TABLE}, row 8, column 'pop_1395_rural': disagrees with the layer ({code}:")
               for line in lines), lines


# --- registers ---------------------------------------------------------------------------------


def test_unknown_units_in_a_register_count_every_row_and_name_the_codes(contract_folder):
    folder = contract_folder("gpkg", settlements=False)
    codes = [f"23{i:02d}" for i in range(1, 6)]  # five counties of a province outside the subset
    offices = pd.DataFrame({"licence_id": [f"L{i:05d}" for i in range(2100)], "setting": "urban", "status": "active",
                            "issue_date": "1395/03/01", "unit_code": [codes[i % 5] for i in range(2100)]})
    offices.to_csv(folder / "offices.csv", index=False)
    with pytest.raises(DataError) as info:
        load_dataset(folder)
    text = str(info.value)
    assert text.startswith("2,100 problem(s) in the input data")
    assert "offices.csv, row 2, column 'unit_code': unit code is not in the geography (2301)" in text
    assert ("offices.csv, row 22, column 'unit_code': ... and 2,080 more rows like this from here on: unit code is not in the "
            "geography, with 5 distinct value(s): 2301, 2302, 2303, 2304, 2305") in text


# --- a counties-only layer ----------------------------------------------------------------------


def test_a_counties_only_layer_keeps_its_provinces(contract_folder, tmp_path, run_amayesh):
    folder = contract_folder("gpkg")
    (folder / "provinces.gpkg").unlink()
    dataset = load_dataset(folder)
    counties = dataset.level("county")
    assert sorted(counties["province_code"].unique()) == ["00", "25", "30"]
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("indicators: [total_population, offices_per_10k]\n"
                        "weights: {method: direct, values: {total_population: 0.6, offices_per_10k: 0.4}}\n"
                        "plan: {budget_licences: 200, province_ceiling_share: 0.15}\nsite: {place_after_plan: false}\n",
                        encoding="utf-8")
    result = run_amayesh("plan", "--scenario", scenario, "--data", folder, "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    allocation = pd.read_csv(tmp_path / "run" / "allocation.csv", dtype={"province_code": str})
    per_province = allocation.groupby("province_code")["new_licences"].sum()
    assert len(per_province[per_province > 0]) == 3 and (per_province <= 30).all()
    assert per_province.sum() > 30  # one ceiling of 15 % per province, not one for a single nameless province
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    unspent = 200 - summary["licences_allocated"]
    assert unspent > 0
    note = next(n for n in summary["notes"] if "left unspent" in n)
    assert note.startswith(f"{unspent:,} of the 200 licences left unspent") and "province ceilings reached" in note


# --- which constraints a plan runs into ------------------------------------------------------------


def test_binding_constraints_explain_every_full_area(shared_data):
    """With a budget far beyond the caps, every area that got licences is full under its cap or catchment."""
    from optimizer.binding import area_licences, binding_by_area, tight_rows
    from optimizer.formulation import formulate
    from siting.planning import allocation_inputs, allocation_settings, make_plan
    from siting.scenario import apply_overrides, load_scenario
    from siting.scoring import score_units

    from siting.pipeline import prepare_dataset

    scenario = apply_overrides(load_scenario(None)[0], {"plan.budget_licences": 9000})
    dataset = prepare_dataset(scenario, str(shared_data))  # with the scenario's seeded SYNTHETIC registers
    scored = score_units(dataset, scenario)
    made = make_plan(dataset, scenario, scored)
    formulation = formulate(allocation_inputs(dataset, scored, scenario.plan),
                            allocation_settings(scenario.plan, scored.scores))
    licences = area_licences(formulation, made.result)
    assert licences.sum() == made.allocation["new_licences"].sum()
    areas = binding_by_area(formulation, licences)
    full = areas["licences"] >= areas["room"]
    assert full.all()  # 9,000 licences cannot be spent: every area is at its limit
    assert areas.loc[full, "binding"].str.contains("saturation caps|minimum catchments").all()
    rows = tight_rows(formulation, licences)
    assert not rows.loc[rows["group"] == "budget", "tight"].any()  # the budget itself is not what binds
    assert any("left unspent" in note and "all 858 areas are full" in note for note in made.headline["notes"])


# --- scenario files ------------------------------------------------------------------------------


def test_misspelt_scenario_fields_get_the_nearest_real_name(tmp_path, run_amayesh):
    from siting.scenario import DEFAULT_SCENARIO

    text = DEFAULT_SCENARIO.read_text(encoding="utf-8")
    text = text.replace("  budget_licences: 2000", "  budget_licenses: 2000")
    text = text.replace("sensitivity: {draws: 1000, spread: 0.2", "sensitivity: {draws: 1000, sprd: 0.2")
    (tmp_path / "typo.yaml").write_text(text + "zzz: 1\n", encoding="utf-8")
    out = tmp_path / "run"
    result = run_amayesh("plan", "--scenario", tmp_path / "typo.yaml", "--out", out)
    assert result.exit_code == 1
    assert "plan.budget_licenses: Extra inputs are not permitted (did you mean 'budget_licences'?)" in result.stderr
    assert "sensitivity.sprd: Extra inputs are not permitted (did you mean 'spread'?)" in result.stderr
    assert "  zzz: Extra inputs are not permitted\n" in result.stderr  # nothing near it: no guess
    assert not out.exists()


def test_misspelt_overrides_and_indicators_get_the_nearest_real_name(tmp_path, run_amayesh):
    from siting.errors import ScenarioError
    from siting.scenario import DEFAULT_SCENARIO, apply_overrides, load_scenario

    with pytest.raises(ScenarioError, match=r"\('budget_licenses' unknown; did you mean 'budget_licences'\?; known: level, budget_licences, "):
        apply_overrides(load_scenario(None)[0], {"plan.budget_licences": 3, "plan.budget_licenses": 3})
    text = DEFAULT_SCENARIO.read_text(encoding="utf-8").replace("  - rural_population\n", "  - rural_populaton\n")
    (tmp_path / "typo.yaml").write_text(text, encoding="utf-8")
    result = run_amayesh("plan", "--scenario", tmp_path / "typo.yaml", "--out", tmp_path / "run")
    assert result.exit_code == 1
    assert "'rural_populaton': did you mean 'rural_population'?" in result.stderr
    assert not (tmp_path / "run").exists()
