"""Reading a plan run folder: the contract of `amayesh plan`, and clear errors naming what is wrong."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from _run_fixture import points_run, shared_run
from siting.errors import AmayeshError, DataError
from siting.report.run import read_run, speculative_pressure



@pytest.fixture(scope="module")
def run():
    return read_run(shared_run())


@pytest.fixture()
def copy(tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(shared_run(), folder)
    return folder


def test_reads_every_file_of_the_contract(run):
    assert len(run.allocation) == len(run.units) == 429
    assert run.allocation["new_licences"].sum() == 2000
    assert run.units["unit_code"].iloc[0] == "0001"  # codes stay text with their leading zeros
    assert run.polygons and run.level == "county" and run.synthetic
    assert run.scenario_name_fa.startswith("سناریو")
    assert run.parameters["plan"]["budget_licences"] == 2000  # scenario.yaml
    assert run.created == "2024-03-19"
    assert set(run.layers) == {"units", "provinces", "offices", "applications", "industrial_parks"}
    assert len(run.provinces) == 31 and "province_code" in run.provinces  # written as unit_code by the plan
    assert run.units["moratorium"].dtype == bool
    assert set(run.applications["decision"]) <= {"granted", "waitlisted", "refused"}
    assert run.sites is not None and run.coverage is not None
    assert run.units.crs.to_epsg() == 4326


def test_units_carry_gap_moratorium_reason_and_pressure(run):
    units = run.units.set_index("unit_code")
    closed = units[units["moratorium"]]
    assert closed["moratorium_reason"].str.contains("(urban)", regex=False).all()
    assert closed["moratorium_reason"].str.contains("(rural)", regex=False).all()  # one reason per setting, joined
    listed = units.index.isin(run.moratorium["unit_code"])
    assert units.loc[~listed, "moratorium_reason"].isna().all()
    assert (units["moratorium_partial"] == (listed & ~units["moratorium"])).all()
    assert units["moratorium_partial"].any()
    expected = units["applications"] / units["new_licences"].clip(lower=1)
    pd.testing.assert_series_equal(units["pressure"], expected, check_names=False)


def test_pressure_of_a_unit_without_licences_is_its_applications():
    result = speculative_pressure(pd.Series([6, 6, 0]), pd.Series([0, 3, 0]))
    assert result.tolist() == [6.0, 2.0, 0.0]


def test_not_a_folder(tmp_path):
    with pytest.raises(AmayeshError, match="not a run folder"):
        read_run(tmp_path / "missing")


def test_missing_files_are_all_named(copy):
    (copy / "allocation.csv").unlink()
    (copy / "summary.json").unlink()
    with pytest.raises(DataError) as caught:
        read_run(copy)
    files = {p.file for p in caught.value.problems}
    assert {"allocation.csv", "summary.json"} <= files
    assert "was `amayesh plan` interrupted?" in str(caught.value)


@pytest.mark.parametrize(("command", "kept"), [("site", ("sites.csv", "coverage.csv", "summary.json", "scenario.yaml")),
                                             ("score", ("scores.csv", "weights.csv", "summary.json", "scenario.yaml"))])
def test_a_folder_of_another_command_is_named_as_such(copy, tmp_path, command, kept):
    other = tmp_path / command
    other.mkdir()
    for name in kept:
        shutil.copyfile(copy / name, other / name)
    with pytest.raises(AmayeshError, match=f"was written by `amayesh {command}`, not `amayesh plan`") as caught:
        read_run(other)
    assert not isinstance(caught.value, DataError)


def test_sites_and_coverage_are_optional(copy):
    (copy / "sites.csv").unlink()
    (copy / "coverage.csv").unlink()
    run = read_run(copy)
    assert run.sites is None and run.coverage is None


def test_bad_values_are_reported_with_row_and_column(copy):
    frame = pd.read_csv(copy / "allocation.csv", dtype=str)
    frame.loc[4, "moratorium"] = "maybe"
    frame.loc[7, "new_licences"] = "2.5"
    frame.to_csv(copy / "allocation.csv", index=False)
    applications = pd.read_csv(copy / "applications.csv", dtype=str)
    applications.loc[0, "decision"] = "approved"
    applications.to_csv(copy / "applications.csv", index=False)
    with pytest.raises(DataError) as caught:
        read_run(copy)
    found = {(p.file, p.row, p.column) for p in caught.value.problems}
    assert ("allocation.csv", 6, "moratorium") in found
    assert ("allocation.csv", 9, "new_licences") in found
    assert ("applications.csv", 2, "decision") in found


def test_missing_column_and_unknown_unit(copy):
    scores = pd.read_csv(copy / "scores.csv", dtype=str)
    scores.drop(columns=["gap"]).to_csv(copy / "scores.csv", index=False)
    allocation = pd.read_csv(copy / "allocation.csv", dtype=str)
    allocation.loc[0, "unit_code"] = "9999"
    allocation.to_csv(copy / "allocation.csv", index=False)
    with pytest.raises(DataError) as caught:
        read_run(copy)
    messages = [str(p) for p in caught.value.problems]
    assert any("scores.csv" in m and "'gap'" in m for m in messages)
    assert any("9999" in m and "layers.gpkg" in m for m in messages)


def test_summary_without_counterfactual(copy):
    summary = json.loads((copy / "summary.json").read_text(encoding="utf-8"))
    del summary["counterfactual"]
    (copy / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    with pytest.raises(DataError, match="counterfactual"):
        read_run(copy)


def test_point_units_of_the_embedded_default():
    run = read_run(points_run())
    assert not run.polygons
    assert (run.units.geometry.geom_type == "Point").all()
