"""Placing licences on settlements: after the plan (per unit) and standalone (national)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import yaml
import pytest

from siting.locate.distances import haversine_km
from siting.pipeline import prepare_dataset
from siting.placement import place_allocation, site_national
from siting.planning import make_plan
from siting.scenario import Scenario, SiteSettings, load_scenario
from siting.scoring import score_units


@pytest.fixture(scope="module")
def planned(shared_data):
    scenario, _ = load_scenario()
    scenario = scenario.model_copy(update={"sensitivity": scenario.sensitivity.model_copy(update={"draws": 0})})
    dataset = prepare_dataset(scenario, str(shared_data))
    scored = score_units(dataset, scenario)
    made = make_plan(dataset, scenario, scored)
    placed = place_allocation(dataset, made.allocation, scored.level, scenario.site)
    return dataset, made, placed, scenario


def test_every_licence_is_placed_in_its_own_unit(planned):
    dataset, made, placed, _ = planned
    per_unit = placed.sites.groupby("unit_code")["new_offices"].sum()
    allocated = made.allocation.set_index("unit_code")["new_licences"]
    allocated = allocated[allocated > 0]
    assert per_unit.sum() == allocated.sum() == 2000
    pd.testing.assert_series_equal(per_unit.sort_index(), allocated.sort_index(), check_names=False, check_dtype=False)
    settlement_unit = dataset.settlements.set_index(dataset.settlements["settlement_code"].astype(str))["unit_code"]
    listed = placed.sites[placed.sites["kind"] == "new"]
    assert (listed["site_code"].map(settlement_unit) == listed["unit_code"]).all()  # sites lie in their county
    assert placed.sites["site_code"].is_unique


def test_coverage_agrees_with_an_independent_computation(planned):
    dataset, _, placed, scenario = planned
    coverage = placed.coverage
    assert len(coverage) == len(dataset.settlements)
    offices = dataset.offices[dataset.offices["status"].isin(["active", "suspended"])].dropna(subset=["lon", "lat"])
    open_lon = np.r_[offices["lon"].to_numpy(float), placed.sites["lon"].to_numpy(float)]
    open_lat = np.r_[offices["lat"].to_numpy(float), placed.sites["lat"].to_numpy(float)]
    sample = coverage.sample(200, random_state=1)
    brute = haversine_km(sample["lon"].to_numpy()[:, None], sample["lat"].to_numpy()[:, None], open_lon[None, :], open_lat[None, :]).min(axis=1)
    assert np.allclose(sample["distance_km"], brute, atol=1e-3)
    assert (coverage["covered"] == (coverage["distance_km"] <= scenario.site.radius_km)).all()
    facts = placed.summary
    assert facts["share_covered_after"] >= facts["share_covered_before"]
    assert facts["population_covered_after"] == pytest.approx(coverage.loc[coverage["covered"], "population"].sum())
    assert facts["statuses"].get("optimal", 0) >= 380


def test_national_mclp_lscp_and_pmedian(planned):
    dataset, _, _, _ = planned
    # One province keeps the three models quick; its existing offices stay open.
    small = dataset.settlements[dataset.settlements["unit_code"].str.startswith("16")]
    subset = replace(dataset, settlements=small.reset_index(drop=True))
    mclp = site_national(subset, SiteSettings(model="mclp", radius_km=10), p=5)
    assert len(mclp.sites) == 5 and mclp.summary["status"] == "optimal"
    assert set(mclp.sites["site_code"]) <= set(small["settlement_code"].astype(str))
    assert mclp.summary["objective"] == pytest.approx(mclp.coverage.loc[mclp.coverage["covered"], "population"].sum())
    lscp = site_national(subset, SiteSettings(model="lscp", radius_km=10), p=None)
    assert lscp.coverage["covered"].all() and lscp.summary["status"] == "optimal"
    pmedian = site_national(subset, SiteSettings(model="pmedian", radius_km=10), p=3)
    assert len(pmedian.sites) == 3 and pmedian.summary["status"] in ("optimal", "gap_limit")


def test_site_command_writes_its_files(shared_data, tmp_path, run_amayesh):
    out = tmp_path / "sites"
    result = run_amayesh("site", "--data", shared_data, "--out", out, "--p", "20", "--radius-km", "15")
    assert result.exit_code == 0, result.output
    sites = pd.read_csv(out / "sites.csv", dtype={"site_code": str, "unit_code": str})
    coverage = pd.read_csv(out / "coverage.csv", dtype={"settlement_code": str, "unit_code": str})
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert len(sites) == 20 and summary["status"] == "optimal" and summary["gap"] == 0
    assert summary["data"]["synthetic_registers"] is True
    assert len(coverage) == summary["settlements"]
    again = run_amayesh("site", "--data", shared_data, "--out", out, "--p", "20")
    assert again.exit_code != 0 and "not empty" in again.stderr
    # the folder's scenario.yaml is the scenario that ran, options included: it reproduces the run byte for byte
    kept = yaml.safe_load((out / "scenario.yaml").read_text(encoding="utf-8"))
    assert kept["site"]["p"] == 20 and kept["site"]["radius_km"] == 15.0
    rerun = run_amayesh("site", "--scenario", out / "scenario.yaml", "--data", shared_data, "--out", tmp_path / "rerun")
    assert rerun.exit_code == 0, rerun.output
    for name in ("sites.csv", "coverage.csv", "scenario.yaml"):
        assert (tmp_path / "rerun" / name).read_bytes() == (out / name).read_bytes(), name
    assert summary["scenario"]["sha256"] == json.loads((tmp_path / "rerun" / "summary.json").read_text())["scenario"]["sha256"]


def test_command_line_options_are_validated_before_anything_runs(tmp_path, run_amayesh):
    for command, option, value in (("site", "--time-limit", "-3"), ("site", "--time-limit", "0"),
                                   ("plan", "--time-limit", "-1"), ("plan", "--mip-gap", "-0.1")):
        result = run_amayesh(command, "--out", tmp_path / "out", option, value)
        assert result.exit_code == 2 and f"Invalid value for '{option}'" in result.output, (command, option, result.output)
        assert not (tmp_path / "out").exists()


def test_site_settings_are_validated():
    with pytest.raises(Exception, match="radius_km"):
        Scenario.model_validate({"indicators": ["rural_population"], "site": {"radius_km": -1}})
