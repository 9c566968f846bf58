"""The planner's data contract (docs/data-contract.md): each format, CRS handling, the manifest.

Contract folders are written from a small subset of the real data (Markazi, Qom, Alborz: 3 provinces,
19 counties) by the ``contract_folder`` fixture.
"""

from __future__ import annotations

import json

import numpy as np
import geopandas as gpd
import pandas as pd
import pytest
import shapely
import yaml

from siting.data import data_fingerprint, load_dataset, summary
from siting.errors import DataError



def _expected(contract_layers) -> dict:
    provinces, counties = contract_layers["provinces"], contract_layers["counties"]
    return {
        "province_units": len(provinces),
        "county_units": len(counties),
        "province_population_total": int(provinces["pop_total"].sum()),
        "county_population_total": int(counties["pop_total"].sum()),
        "county_population_urban": int(counties["pop_urban"].sum()),
        "county_population_rural": int(counties["pop_rural"].sum()),
        "settlements": len(contract_layers["settlements"]),
    }


def test_subset_is_what_the_tests_expect(contract_layers):
    facts = _expected(contract_layers)
    assert facts["province_units"] == 3 and facts["county_units"] == 19
    assert facts["province_population_total"] == facts["county_population_total"]
    assert "0001" in set(contract_layers["counties"]["unit_code"])  # leading zeros to keep


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "fgb", "csv"])
def test_each_format_loads_the_same_figures(contract_folder, contract_layers, fmt):
    folder = contract_folder(fmt)
    dataset = load_dataset(folder)
    facts = summary(dataset)
    for key, value in _expected(contract_layers).items():
        assert facts[key] == value, key
    assert facts["source"] == str(folder)
    assert facts["population_source"] == "planner's files"
    assert dataset.warnings == ()
    counties = dataset.level("county")
    assert "0001" in set(counties["unit_code"]) and counties["unit_code"].map(type).eq(str).all()
    assert set(counties["province_code"]) == {"00", "25", "30"}
    arak = counties.set_index("unit_code").loc["0001"]
    assert arak["name_fa"] == "اراک" and arak["parent_code"] == "00"
    if fmt == "csv":
        assert counties.geometry.isna().all()
        assert counties["area_km2"].isna().all()
        points = contract_layers["counties"].set_index("unit_code").geometry.representative_point()
        assert np.allclose(counties.set_index("unit_code")["lon"], points.x.reindex(counties["unit_code"]), atol=1e-5)
    else:
        assert counties.geometry.is_valid.all()
        real = contract_layers["counties"].set_index("unit_code")
        area = counties.set_index("unit_code")["area_km2"]
        # Areas are computed in the Iran equal-area projection, like the shared data's area_km2.
        assert np.allclose(area, real.geometry.to_crs(
            "+proj=aea +lat_1=27 +lat_2=37 +lat_0=32 +lon_0=54 +datum=WGS84").area.reindex(area.index) / 1e6, rtol=1e-3)


def test_shapefile_folder_loads(contract_folder, contract_layers):
    dataset = load_dataset(contract_folder("shp"))
    assert summary(dataset)["county_units"] == len(contract_layers["counties"])


def test_shapefile_with_short_field_names_loads(contract_layers, write_layer, tmp_path):
    """A Shapefile holding only fields of ≤ 10 characters (pop_nonsettled is optional) loads, CRS from its .prj."""
    folder = tmp_path / "shp"
    folder.mkdir()
    provinces = contract_layers["provinces"].drop(columns="pop_nonsettled")
    provinces["pop_total"] = provinces["pop_urban"] + provinces["pop_rural"]
    write_layer(provinces, folder / "provinces.shp")
    assert (folder / "provinces.prj").exists()
    dataset = load_dataset(folder)
    assert dataset.levels == ["province"]
    loaded = dataset.level("province")
    assert list(loaded["unit_code"]) == ["00", "25", "30"]
    assert loaded["pop_total"].sum() == provinces["pop_total"].sum()
    assert loaded.crs.to_epsg() == 4326


def test_geoparquet_folder_loads(contract_folder, contract_layers):
    dataset = load_dataset(contract_folder("parquet"))
    assert summary(dataset)["county_population_total"] == _expected(contract_layers)["county_population_total"]


def test_unreadable_geoparquet_is_a_clean_error(tmp_path, run_amayesh):
    folder = tmp_path / "parquet"
    folder.mkdir()
    (folder / "provinces.parquet").write_bytes(b"not parquet at all")
    result = run_amayesh("data", "check", folder)
    assert result.exit_code == 2
    assert "provinces.parquet" in result.stderr


def test_other_crs_is_reprojected_with_a_warning(contract_layers, write_layer, tmp_path):
    folder = tmp_path / "utm"
    folder.mkdir()
    write_layer(contract_layers["provinces"].to_crs(32639), folder / "provinces.gpkg")  # UTM zone 39N, metres
    write_layer(contract_layers["counties"].to_crs(32639), folder / "counties.gpkg")
    dataset = load_dataset(folder)
    assert [str(w) for w in dataset.warnings] == [
        "WARNING: provinces.gpkg: reprojected from EPSG:32639 to EPSG:4326",
        "WARNING: counties.gpkg: reprojected from EPSG:32639 to EPSG:4326",
    ]
    assert dataset.units.crs.to_epsg() == 4326
    original = contract_layers["counties"].set_index("unit_code").geometry
    loaded = dataset.level("county").set_index("unit_code").geometry.reindex(original.index)
    assert shapely.hausdorff_distance(loaded.to_numpy(), original.to_numpy()).max() < 1e-6


def test_settlements_as_points(contract_folder, contract_layers, write_layer):
    import geopandas as gpd

    folder = contract_folder("gpkg", settlements=False)
    table = contract_layers["settlements"]
    points = gpd.GeoDataFrame(
        table.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(table["lon"].astype(float), table["lat"].astype(float)),
        crs=4326,
    )
    write_layer(points, folder / "settlements.gpkg")
    settlements = load_dataset(folder).settlements
    assert len(settlements) == len(table)
    assert np.allclose(settlements["lon"], table["lon"].astype(float))
    assert settlements["population"].sum() == table["population"].astype(int).sum()


def test_one_level_is_enough(contract_layers, write_layer, tmp_path):
    folder = tmp_path / "counties-only"
    folder.mkdir()
    write_layer(contract_layers["counties"], folder / "counties.geojson")
    dataset = load_dataset(folder)
    assert dataset.levels == ["county"]
    assert len(dataset.level("county")) == 19


def test_partial_levels_may_sum_to_less(contract_folder):
    """metadata.json may declare a level partial (as the embedded default does): children may sum to less."""
    folder = contract_folder("csv", settlements=False)
    counties = pd.read_csv(folder / "counties.csv", dtype=str)
    counties.drop(index=3).to_csv(folder / "counties.csv", index=False)
    with pytest.raises(DataError, match="but its county units sum to"):
        load_dataset(folder)
    (folder / "metadata.json").write_text(json.dumps({"partial_levels": ["county"]}), encoding="utf-8")
    dataset = load_dataset(folder)
    assert len(dataset.level("county")) == 18


def test_folder_without_geography_is_refused(tmp_path):
    with pytest.raises(DataError, match="holds no geography"):
        load_dataset(tmp_path)
    with pytest.raises(DataError, match="data folder not found"):
        load_dataset(tmp_path / "missing")


def test_unsupported_file_is_refused(tmp_path):
    from siting.data._read import read_table

    (tmp_path / "counties.xlsx").write_bytes(b"")
    with pytest.raises(DataError, match="unsupported file type '.xlsx'"):
        read_table(tmp_path / "counties.xlsx")


def test_csv_that_is_not_utf8_is_refused(contract_folder):
    folder = contract_folder("csv")
    text = (folder / "counties.csv").read_text(encoding="utf-8")
    (folder / "counties.csv").write_bytes(text.replace("ی", "ي").encode("cp1256"))  # Windows Arabic code page
    with pytest.raises(DataError, match="cannot be read as UTF-8 CSV") as info:
        load_dataset(folder)
    assert info.value.problems[0].file == "counties.csv"
    lines = text.splitlines()
    first_bad = next(i for i, line in enumerate(lines, start=1) if any(ord(ch) > 127 for ch in line))
    assert info.value.problems[0].row == first_bad
    assert "reads as Windows-1256" in info.value.problems[0].message and "'CSV UTF-8'" in info.value.problems[0].message


def test_csv_that_is_neither_utf8_nor_windows_1256_gets_no_code_page_hint(tmp_path):
    from siting.data._read import read_table

    (tmp_path / "counties.csv").write_bytes(b"unit_code,name\n0101,ok\n0102,\x85\x80\n")  # '…€' in Windows-1256
    with pytest.raises(DataError) as info:
        read_table(tmp_path / "counties.csv")
    problem = info.value.problems[0]
    assert problem.row == 3 and "0x85 is not UTF-8" in problem.message and "Windows-1256" not in problem.message


@pytest.mark.parametrize(("separator", "name"), [(";", "semicolon"), ("\t", "tab")])
def test_csv_with_another_separator_is_named(tmp_path, separator, name):
    from siting.data._read import read_table

    (tmp_path / "offices.csv").write_text(f"licence_id{separator}unit_code\nL1{separator}0101\n", encoding="utf-8")
    with pytest.raises(DataError, match=f"looks {name}-separated; save it as comma-separated CSV") as info:
        read_table(tmp_path / "offices.csv")
    assert info.value.problems[0].row == 1
    # one column named with a separator-free header is a table, not a mistake
    (tmp_path / "codes.csv").write_text("unit_code\n0101\n", encoding="utf-8")
    assert list(read_table(tmp_path / "codes.csv").frame.columns) == ["unit_code"]


def test_two_formats_of_one_file_are_refused_not_picked(contract_folder):
    folder = contract_folder("gpkg")
    counties = next(folder.glob("counties.*"))
    gpd.read_file(counties).to_file(folder / "counties.geojson", driver="GeoJSON")
    with pytest.raises(DataError, match=r"counties\.gpkg and counties\.geojson are both in"):
        load_dataset(folder)
    (folder / "counties.geojson").unlink()
    load_dataset(folder)
    pd.DataFrame({"licence_id": ["L1"], "unit_code": ["x"]}).to_csv(folder / "offices.csv", index=False)
    pd.DataFrame({"licence_id": ["L1"], "unit_code": ["x"]}).to_parquet(folder / "offices.parquet")
    with pytest.raises(DataError, match="offices.csv and offices.parquet are both in .*: keep one") as info:
        load_dataset(folder)
    assert info.value.problems[0].file == "offices.csv"


def test_fingerprint_is_stable(contract_folder):
    folder = contract_folder("gpkg")
    assert data_fingerprint(load_dataset(folder)) == data_fingerprint(load_dataset(folder))


# --- the manifest (amayesh.yaml) ----------------------------------------------------------------


def _offices(codes: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "licence_id": [f"L{i}" for i in range(len(codes))],
            "unit_code": codes,
            "setting": "urban",
            "status": "active",
            "issue_date": "1398/01/15",
        }
    )


def test_manifest_points_to_geography_elsewhere(contract_folder, tmp_path):
    geography = contract_folder("gpkg", name="geography")
    registers = tmp_path / "registers"
    (registers / "1402").mkdir(parents=True)
    _offices(["0001", "2501", "3001"]).to_csv(registers / "1402" / "offices-1402.csv", index=False)
    manifest = {"geography": "../geography", "offices": "1402/offices-1402.csv", "note": "register of 1402"}
    (registers / "amayesh.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")

    dataset = load_dataset(registers)
    assert summary(dataset)["county_units"] == 19
    assert dataset.metadata["source"] == str(geography.resolve())
    assert dataset.metadata["registers_note"] == "register of 1402"
    assert list(dataset.offices["unit_code"]) == ["0001", "2501", "3001"]
    assert dataset.applications is None and dataset.parks is None


def test_manifest_beside_read_only_official_data(shared_data, tmp_path):
    (tmp_path / "amayesh.yaml").write_text(yaml.safe_dump({"geography": str(shared_data)}), encoding="utf-8")
    _offices(["0001", "2301"]).to_csv(tmp_path / "offices.csv", index=False)
    dataset = load_dataset(tmp_path)
    assert dataset.metadata["source"] == "official"
    assert len(dataset.level("county")) == 429
    assert len(dataset.offices) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("geograpy: ../x\n", r"unknown keys \['geograpy'\]"),
        ("geography: [unclosed\n", "is not valid YAML"),
        ("geography: ./nowhere\n", "data folder not found"),
    ],
)
def test_bad_manifest_is_refused(tmp_path, run_amayesh, text, message):
    (tmp_path / "amayesh.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        load_dataset(tmp_path)
    result = run_amayesh("data", "check", tmp_path)
    assert result.exit_code == 2
