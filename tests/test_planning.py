"""``amayesh plan`` and :func:`siting.planning.make_plan` on the 429 real 1395 counties.

The office register and the applications are the SYNTHETIC ones
``prepare_dataset`` generates (seed 1393). The two end-to-end runs that check
determinism load the data themselves; the other runs reuse it through
:func:`cached_prepare` (``prepare_dataset`` memoised), so the module loads it once more.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from optimizer import GROUP_TITLES
from siting.pipeline import ALLOCATION_COLUMNS, APPLICATION_COLUMNS
from siting.errors import InfeasibleError, ScenarioError
from siting.planning import make_plan
from siting.scenario import DEFAULT_SCENARIO, Scenario
from siting.scoring import score_units

BUDGET = 2000
COUNTIES_1395 = 429
LIGHT = {"sensitivity": {"draws": 20, "spread": 0.2, "top_k": 50, "seed": 7}}
SUMMARY_KEYS = {"status", "objective", "bound", "gap", "solver", "licences_allocated",
                "need_covered_share", "speculative_share", "counterfactual", "data", "scenario", "versions"}
MIN_CATCHMENT = {"urban": 5000, "rural": 3000}  # the default scenario's plan block
SLACK = 0.1


# --------------------------------------------------------------------------- helpers

from _pipeline import cached_prepare, fast_data, invoke  # noqa: E402,F401  (fast_data is a fixture)


def scenario_dict(plan: dict | None = None, **changes) -> dict:
    """The default scenario with light sensitivity, ``plan`` merged into its plan block."""
    raw = yaml.safe_load(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    raw.update(LIGHT)
    raw.update(changes)
    raw["plan"] = {**raw["plan"], **(plan or {})}
    return raw


def write_yaml(path: Path, payload: dict) -> Path:
    path.write_text(yaml.safe_dump(payload, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def assert_nothing_written(out: Path) -> None:
    assert not out.exists(), f"{out} was left behind"
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.partial")]
    assert not leftovers, f"staging folders left behind: {leftovers}"


def read_codes(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"unit_code": str, "province_code": str, "plan_unit": str, "resident_unit_code": str})


def room(table: pd.DataFrame, part: str) -> pd.Series:
    """New licences a part may take: up to its saturation cap and its minimum catchment, less what exists."""
    cap = np.floor(table[f"target_{part}"] * (1 + SLACK))
    viable = np.floor(table[f"pop_{part}"] / MIN_CATCHMENT[part])
    return np.maximum(np.minimum(cap, viable) - table[f"existing_{part}"], 0)


def floors_over_budget(scores: pd.DataFrame) -> dict[str, int]:
    """Province floors that each fit their province's room (90% of it) but together need more than the budget."""
    by_province = (room(scores, "urban") + room(scores, "rural")).groupby(scores["province_code"]).sum()
    floors: dict[str, int] = {}
    for province, space in by_province.sort_values(ascending=False).items():
        floors[province] = int(0.9 * space)
        if sum(floors.values()) > BUDGET + 20:
            return floors
    raise AssertionError("the provinces cannot hold the budget at all")


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def light_scenario(tmp_path_factory) -> Path:
    return write_yaml(tmp_path_factory.mktemp("scenarios") / "light.yaml", scenario_dict())


@pytest.fixture(scope="module")
def plan_run(shared_data, light_scenario, tmp_path_factory) -> Path:
    """One full ``amayesh plan`` on the real data (real loading and register generation)."""
    out = tmp_path_factory.mktemp("plan") / "run"
    result = invoke("plan", "--scenario", light_scenario, "--data", shared_data, "--out", out)
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" in result.output and "first-come-first-served" in result.output
    return out


@pytest.fixture(scope="module")
def summary(plan_run) -> dict:
    return json.loads((plan_run / "summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def allocation(plan_run) -> pd.DataFrame:
    """allocation.csv, which carries the per-part targets and existing offices of scores.csv."""
    table = read_codes(plan_run / "allocation.csv")
    scores = read_codes(plan_run / "scores.csv").set_index("unit_code")
    parts = ["target_urban", "target_rural", "existing_urban", "existing_rural"]
    assert (table.set_index("unit_code")[parts] == scores.loc[table["unit_code"], parts]).all().all()
    return table


@pytest.fixture(scope="module")
def applications(plan_run) -> pd.DataFrame:
    return read_codes(plan_run / "applications.csv")


@pytest.fixture(scope="module")
def real(shared_data):
    scenario = Scenario.model_validate(scenario_dict())
    return cached_prepare(scenario, str(shared_data))


@pytest.fixture(scope="module")
def baseline(real):
    """The light default scenario planned through the API."""
    scenario = Scenario.model_validate(scenario_dict())
    scored = score_units(real, scenario)
    return scored, make_plan(real, scenario, scored)


# --------------------------------------------------------------------------- what amayesh plan writes

def test_plan_writes_every_file(plan_run):
    for name in ("allocation.csv", "applications.csv", "moratorium.csv", "register_audit.csv", "summary.json",
                 "scores.csv", "weights.csv", "layers.gpkg", "scenario.yaml"):
        assert (plan_run / name).is_file(), name
    assert (plan_run / "scenario.yaml").read_bytes() != b""


def test_output_tables_have_their_columns(plan_run, allocation, applications):
    assert list(read_codes(plan_run / "allocation.csv").columns) == ALLOCATION_COLUMNS
    assert list(applications.columns) == APPLICATION_COLUMNS
    assert list(read_codes(plan_run / "moratorium.csv").columns) == [
        "unit_code", "name_fa", "name_en", "province_code", "setting", "existing_offices", "target_offices", "cap", "reason"]
    assert list(read_codes(plan_run / "register_audit.csv").columns) == ["licence_id", "unit_code", "finding", "detail"]
    assert len(allocation) == COUNTIES_1395 and allocation["unit_code"].is_unique
    assert applications["application_id"].is_unique
    # dates are written in the Jalali calendar
    assert applications["application_date"].str.fullmatch(r"1[34]\d\d/\d\d/\d\d").all()


def test_summary(summary, allocation, applications, plan_run):
    assert SUMMARY_KEYS <= set(summary)
    assert summary["status"] == "optimal"
    assert summary["gap"] == pytest.approx(0, abs=1e-6)
    assert summary["objective"] == pytest.approx(summary["bound"], rel=1e-6)
    assert summary["solver"].startswith("HiGHS")
    timings = json.loads((plan_run / "timings.json").read_text(encoding="utf-8"))  # wall-clock figures: kept apart
    assert timings["build_seconds"] >= 0 and timings["solve_seconds"] >= 0 and "build_seconds" not in summary
    assert summary["licences_allocated"] == BUDGET == allocation["new_licences"].sum()
    assert summary["licences_urban"] + summary["licences_rural"] == BUDGET
    assert 0 < summary["need_covered_share"] <= 1
    counts = summary["applications"]
    assert counts["applications"] == len(applications)
    assert counts["applications_speculative"] == applications["speculative"].sum()
    assert counts["applications_granted"] == (applications["decision"] == "granted").sum()
    assert summary["speculative_share"] == pytest.approx(counts["applications_speculative"] / counts["applications"])
    assert len(summary["data"]["sha256"]) == 64 and len(summary["scenario"]["sha256"]) == 64
    assert summary["data"]["synthetic_registers"] is True
    assert {"amayesh", "pulp", "highspy", "pandas"} <= set(summary["versions"])
    assert summary["moratorium_units"] == allocation["moratorium"].sum()


def test_counterfactual_block(summary):
    block = summary["counterfactual"]
    assert {"plan", "fcfs", "explanation"} <= set(block)
    for side in ("plan", "fcfs"):
        assert {"licences", "licences_in_saturated_units", "licences_in_units_below_viability", "need_covered_share",
                "speculative_served"} <= set(block[side])
    assert block["plan"]["licences"] == block["fcfs"]["licences"] == BUDGET
    assert block["plan"]["need_covered_share"] == summary["need_covered_share"]


# --------------------------------------------------------------------------- the allocation obeys the rules

def test_allocation_adds_up(allocation):
    assert (allocation["new_licences"] == allocation["new_urban"] + allocation["new_rural"]).all()
    assert (allocation[["new_urban", "new_rural"]] >= 0).all(axis=None)
    assert (allocation["moratorium"] == (allocation["moratorium_urban"] & allocation["moratorium_rural"])).all()


def test_no_licence_in_a_saturated_part(allocation, plan_run):
    assert allocation["moratorium_urban"].any() and allocation["moratorium_rural"].any()
    assert (allocation.loc[allocation["moratorium_urban"], "new_urban"] == 0).all()
    assert (allocation.loc[allocation["moratorium_rural"], "new_rural"] == 0).all()
    assert (allocation.loc[allocation["moratorium"], "new_licences"] == 0).all()
    moratorium = read_codes(plan_run / "moratorium.csv")
    listed = set(zip(moratorium["unit_code"], moratorium["setting"]))
    flagged = {(c, "urban") for c in allocation.loc[allocation["moratorium_urban"], "unit_code"]} | {
        (c, "rural") for c in allocation.loc[allocation["moratorium_rural"], "unit_code"]}
    assert listed == flagged
    assert (moratorium["existing_offices"] >= moratorium["cap"]).all()


@pytest.mark.parametrize("part, minimum", [("urban", 5000), ("rural", 3000)])
def test_saturation_caps_and_viability_respected(allocation, part, minimum):
    new, existing = allocation[f"new_{part}"], allocation[f"existing_{part}"]
    cap = np.floor(allocation[f"target_{part}"] * 1.1)
    viable = np.floor(allocation[f"pop_{part}"] / minimum)
    room = np.maximum(np.minimum(cap, viable) - existing, 0)
    assert (new <= room).all(), allocation.loc[new > room, ["unit_code", f"new_{part}", f"existing_{part}"]]
    served = new > 0  # every part that gets a licence keeps at least the minimum catchment per office
    assert (allocation.loc[served, f"pop_{part}"] / (existing + new)[served] >= minimum).all()


def test_province_ceiling_and_rural_share(allocation):
    assert allocation.groupby("province_code")["new_licences"].sum().max() <= 0.15 * BUDGET
    assert allocation["new_rural"].sum() >= 0.3 * BUDGET


def test_plan_beats_first_come_first_served(summary):
    plan, fcfs = summary["counterfactual"]["plan"], summary["counterfactual"]["fcfs"]
    assert plan["licences_in_saturated_units"] == 0 < fcfs["licences_in_saturated_units"]
    assert plan["licences_in_units_below_viability"] == 0
    assert plan["need_covered_share"] > fcfs["need_covered_share"]
    assert plan["speculative_served"] == 0 < fcfs["speculative_served"]


# --------------------------------------------------------------------------- applications

def test_granted_applications_fit_the_allocation(applications, allocation):
    granted = applications[applications["decision"] == "granted"]
    assert len(granted) > 0
    assert not granted["speculative"].any()
    slots = pd.concat([
        allocation.set_index("unit_code")["new_urban"].rename("urban"),
        allocation.set_index("unit_code")["new_rural"].rename("rural"),
    ], axis=1).stack()
    counts = granted.groupby(["plan_unit", "setting"]).size()
    assert (counts <= slots.reindex(counts.index)).all()
    assert (slots.reindex(counts.index) > 0).all()
    moratorium = allocation.set_index("unit_code")
    for (unit, setting) in counts.index:
        assert not moratorium.loc[unit, f"moratorium_{setting}"]


def test_decisions_and_reasons(applications):
    assert set(applications["decision"]) == {"granted", "waitlisted", "refused"}
    assert (applications.loc[applications["speculative"], "decision"] == "refused").all()
    assert applications["reason"].notna().all()
    queued = applications["decision"] != "refused"
    assert applications.loc[queued, "queue_position"].notna().all()
    assert applications.loc[~queued, "queue_position"].isna().all()
    saturated = applications["reason"].str.contains("saturated")
    assert saturated.any() and (applications.loc[saturated, "decision"] == "refused").all()


def test_veterans_ahead_in_every_queue(applications):
    queued = applications[applications["decision"] != "refused"]
    checked = 0
    for _, queue in queued.groupby(["plan_unit", "setting"]):
        assert sorted(queue["queue_position"]) == list(range(1, len(queue) + 1))
        veterans, others = queue[queue["veteran"]], queue[~queue["veteran"]]
        if len(veterans) and len(others):
            assert veterans["queue_position"].max() < others["queue_position"].min()
            checked += 1
    assert checked > 5


def test_same_applicant_in_two_units_is_flagged(applications):
    units = applications.groupby("applicant_hash")["plan_unit"].transform("nunique")
    multi = applications[units > 1]
    assert len(multi) > 0
    assert (multi["decision"] == "refused").all() and multi["speculative"].all()
    assert multi["reason"].str.contains("several units").all()
    single = applications[units == 1]
    assert not single["reason"].str.contains("several units").any()


# --------------------------------------------------------------------------- safety of outputs and errors

def test_existing_output_folder_is_refused_and_untouched(shared_data, light_scenario, tmp_path, fast_data):
    out = tmp_path / "previous"
    out.mkdir()
    (out / "allocation.csv").write_text("a planner's earlier plan\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = invoke("plan", "--scenario", light_scenario, "--data", shared_data, "--out", out)
    assert result.exit_code != 0
    assert "already exists" in result.output and "--replace" in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".previous.partial")]


INFEASIBLE = {
    "exact budget beyond the caps": (
        {"budget_licences": 20_000, "budget_mode": "exact"}, ["budget", ("saturation_cap", "viability")], "20,000"),
    "province floors over the budget": (
        {"province_ceiling_share": None, "province_floor": "over budget"}, ["budget", "province_floor"], None),
}


@pytest.mark.parametrize("case", list(INFEASIBLE))
def test_infeasible_scenario_is_explained_and_writes_nothing(case, shared_data, tmp_path, fast_data, baseline):
    plan, groups, amount = INFEASIBLE[case]
    if plan.get("province_floor") == "over budget":
        floors = floors_over_budget(baseline[0].scores)
        plan = {**plan, "province_floor": {"mode": "explicit", "licences": floors}}
        amount = f"{sum(floors.values()):,}"
    path = write_yaml(tmp_path / "infeasible.yaml", scenario_dict(plan=plan))
    out = tmp_path / "out"
    result = invoke("plan", "--scenario", path, "--data", shared_data, "--out", out)
    assert result.exit_code != 0
    assert "No plan satisfies every constraint" in result.output
    for group in groups:  # a tuple: either group may be named (both limit the room)
        titles = [GROUP_TITLES[g] for g in (group if isinstance(group, tuple) else (group,))]
        assert any(title in result.output for title in titles), (titles, result.output)
    assert amount in result.output
    assert_nothing_written(out)


def test_infeasible_error_carries_the_diagnosis(real, baseline):
    scored = baseline[0]
    floors = {"mode": "explicit", "licences": floors_over_budget(scored.scores)}
    scenario = Scenario.model_validate(scenario_dict(plan={"province_ceiling_share": None, "province_floor": floors}))
    with pytest.raises(InfeasibleError) as error:
        make_plan(real, scenario, scored)
    diagnosis = error.value.diagnosis
    assert diagnosis is not None and not diagnosis.feasible
    named = {group for conflict in diagnosis.conflicts for group in conflict.groups}
    assert {"budget", "province_floor"} <= named


# --------------------------------------------------------------------------- locks

def test_locks_are_honoured(real, baseline):
    scored, made = baseline
    before = made.allocation.set_index("unit_code")
    parts = scored.scores.set_index("unit_code")
    got_some = before[(before["new_urban"] > 0) & (before["new_rural"] > 0)].index
    # a county the unlocked plan leaves out although it has room for an urban office
    left_out = before.index[(before["new_licences"] == 0) & (room(parts, "urban") > 0)]
    assert len(got_some) > 2 and len(left_out) > 0
    zeroed, split, added = got_some[0], got_some[1], left_out[0]
    locks = {
        zeroed: {"total": 0},
        split: {"urban": int(before.loc[split, "new_urban"]) - 1, "rural": int(before.loc[split, "new_rural"])},
        added: {"urban": 1},
    }
    scenario = Scenario.model_validate(scenario_dict(plan={"locks": locks}))
    after = make_plan(real, scenario, scored).allocation.set_index("unit_code")
    assert after.loc[zeroed, "new_licences"] == 0
    assert after.loc[split, "new_urban"] == locks[split]["urban"] and after.loc[split, "new_rural"] == locks[split]["rural"]
    assert after.loc[added, "new_urban"] == 1 and after.loc[added, "new_rural"] == 0
    assert after["new_licences"].sum() == BUDGET


def test_locks_on_unknown_units_or_both_forms_are_refused(real, baseline):
    scored, _ = baseline
    scenario = Scenario.model_validate(scenario_dict(plan={"locks": {"9999": {"total": 1}}}))
    with pytest.raises(ScenarioError, match="9999"):
        make_plan(real, scenario, scored)
    scenario = Scenario.model_validate(scenario_dict(plan={"locks": {"0001": {"total": 1, "urban": 1}}}))
    with pytest.raises(ScenarioError, match="0001"):
        make_plan(real, scenario, scored)


# --------------------------------------------------------------------------- determinism and the embedded default

def test_same_inputs_give_byte_identical_outputs(shared_data, light_scenario, plan_run, tmp_path):
    out = tmp_path / "again"
    result = invoke("plan", "--scenario", light_scenario, "--data", shared_data, "--out", out)
    assert result.exit_code == 0, result.output
    for name in ("allocation.csv", "applications.csv", "moratorium.csv", "register_audit.csv", "scores.csv"):
        assert (out / name).read_bytes() == (plan_run / name).read_bytes(), name


def test_embedded_default_runs_without_rural_share(embedded_offline, tmp_path):
    out = tmp_path / "embedded"
    result = invoke("plan", "--out", out)
    assert result.exit_code == 0, result.output
    assert "rural share constraint switched off" in result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "optimal" and summary["level"] == "province"
    assert any("rural share" in note for note in summary["notes"])
    assert summary["data"]["source"] == "embedded" and summary["licences_rural"] == 0
    assert 0 < summary["licences_allocated"] <= BUDGET  # the default leaves unplaceable licences unspent


def test_unspent_licences_note_is_true_under_zscore(real):
    scenario = Scenario.model_validate(scenario_dict(normalization="zscore", sensitivity={"draws": 0}))
    scored = score_units(real, scenario)
    made = make_plan(real, scenario, scored)
    table = made.allocation  # it carries each part's target and existing offices
    room_left = room(table, "urban") - table["new_urban"] + room(table, "rural") - table["new_rural"]
    claims_full = any("at its saturation cap or minimum catchment" in note for note in made.headline["notes"])
    assert claims_full or table["new_licences"].sum() == BUDGET
    if claims_full:
        assert room_left.sum() == 0, f"{int(room_left.sum())} licences of room left, {int((scored.scores['score'] <= 0).sum())} counties scored <= 0"
