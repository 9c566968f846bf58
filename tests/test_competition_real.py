"""The other networks on the real data: their register, conversion scenarios and the competitor-aware site models."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from siting.data import load_dataset
from siting.data.registers import NETWORKS
from siting.data.synthetic import TEHRAN_MUNICIPAL_OFFICES, generate_other_offices
from siting.errors import DataError
from siting.pipeline import prepare_dataset, run_plan
from siting.scenario import apply_overrides, load_scenario

BASE = {"registers.synthetic_other_networks": True, "site.place_after_plan": False}


@pytest.fixture(scope="module")
def scenarios():
    scenario, path = load_scenario(None)
    base = apply_overrides(scenario, BASE)
    return base, apply_overrides(base, {"plan.convert_networks": ["police10", "municipal"]}), path


def test_the_synthetic_networks_are_seeded_labelled_and_calibrated(official_dataset):
    first, again = generate_other_offices(official_dataset, seed=7), generate_other_offices(official_dataset, seed=7)
    pd.testing.assert_frame_equal(first, again)
    assert first["synthetic"].all() and set(first["network"]) == set(NETWORKS)
    tehran = official_dataset.level("county").query("name_en == 'Tehran'")["unit_code"].iloc[0]
    assert (first.query("network == 'municipal'")["unit_code"] == tehran).sum() == TEHRAN_MUNICIPAL_OFFICES
    assert not first.equals(generate_other_offices(official_dataset, seed=8))


def test_a_bad_network_row_is_named(contract_folder):
    folder = contract_folder("gpkg", settlements=False)
    pd.DataFrame({"office_id": ["A", "B"], "network": ["police10", "kiosk"], "unit_code": ["0001", "0002"]}).to_csv(
        folder / "other_offices.csv", index=False)
    with pytest.raises(DataError) as info:
        load_dataset(folder)
    assert "other_offices.csv, row 3, column 'network': value must be one of ['municipal', 'police10', 'post', 'rural_ict']" in str(info.value)


def test_a_valid_network_register_loads(contract_folder):
    folder = contract_folder("gpkg", settlements=False)
    pd.DataFrame({"office_id": ["A", "B"], "network": ["Police10", "rural_ict"], "unit_code": ["0001", "2501"],
                  "capacity": ["80", ""]}).to_csv(folder / "other_offices.csv", index=False)
    other = load_dataset(folder).other_offices
    assert other["network"].tolist() == ["police10", "rural_ict"] and other["capacity"].isna().tolist() == [False, True]


def test_conversion_counts_the_converted_offices_as_existing(shared_data, scenarios):
    base, converted, path = scenarios
    before, after = prepare_dataset(base, str(shared_data)), prepare_dataset(converted, str(shared_data))
    counts = after.metadata["converted_offices"]
    assert set(counts) == {"police10", "municipal"}
    assert len(after.offices) == len(before.offices) + sum(counts.values())
    big = {"plan.budget_licences": 9000}  # beyond every cap: the plan is the room left under the caps
    plan_before = run_plan(before, apply_overrides(base, big), path, scenario_text="before")
    plan_after = run_plan(after, apply_overrides(converted, big), path, scenario_text="after")
    total_before = plan_before.summary["licences_allocated"]
    total_after = plan_after.summary["licences_allocated"]
    assert total_after < total_before  # converted offices fill need: fewer licences are issued
    new_before = plan_before.plan.allocation.set_index("unit_code")["new_urban"]
    new_after = plan_after.plan.allocation.set_index("unit_code")["new_urban"]
    assert (new_after <= new_before).all()  # no county gets more urban licences for having more offices
    note = next(n for n in plan_after.plan.headline["notes"] if "converted to counter offices" in n)
    assert f"{sum(counts.values()):,} offices of other networks" in note and "licences no longer needed" in note
    assert plan_after.summary["data"]["converted_offices"] == counts


def test_conversion_limited_to_provinces(shared_data, scenarios):
    base, _, _ = scenarios
    tehran_only = apply_overrides(base, {"plan.convert_networks": ["municipal"], "plan.convert_provinces": ["23"]})
    dataset = prepare_dataset(tehran_only, str(shared_data))
    converted = dataset.offices[dataset.offices["licence_id"].str.startswith("CONV-")]
    assert len(converted) == dataset.metadata["converted_offices"]["municipal"] >= TEHRAN_MUNICIPAL_OFFICES
    province_of = dataset.units.set_index("unit_code")["province_code"]
    assert set(converted["unit_code"].map(province_of)) == {"23"}


def test_conversion_without_a_register_is_explained(shared_data):
    scenario = apply_overrides(load_scenario(None)[0], {"plan.convert_networks": ["police10"]})
    from siting.errors import ScenarioError

    with pytest.raises(ScenarioError, match="needs the register of the other networks"):
        prepare_dataset(scenario, str(shared_data))


def test_attendance_and_market_share_on_the_real_settlements(shared_data, tmp_path, run_amayesh):
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("indicators: [rural_population, office_distance_km]\n"
                        "registers: {synthetic_other_networks: true}\n"
                        "site: {p: 25, min_candidate_population: 20000, decay: {kind: power, cutoff_km: 25, beta: 1.5, d0_km: 2}}\n",
                        encoding="utf-8")
    figures = {}
    for model in ("attendance", "max_share"):
        out = tmp_path / model
        result = run_amayesh("site", "--scenario", scenario, "--data", shared_data, "--out", out, "--model", model)
        assert result.exit_code == 0, result.output
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        assert summary["status"] == "optimal" and summary["new_sites"] == 25
        figures[model] = summary
    assert figures["attendance"]["objective"] >= figures["attendance"]["visits_before"]
    share = figures["max_share"]
    assert share["share"] > share["share_before"] and share["competitor_offices"] > 0
    assert "market share against" in result.output
