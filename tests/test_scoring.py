"""``amayesh score`` and :func:`siting.scoring.score_units` on the 429 real 1395 counties.

The office register and applications are the SYNTHETIC ones ``prepare_dataset``
generates (seed 1393) because the real folder has none. The real data is loaded
once per module: the end-to-end runs that check determinism load it themselves,
the others go through :func:`cached_prepare`, which memoises ``prepare_dataset``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from siting.errors import ScenarioError
from siting.scenario import DEFAULT_CATALOGUE, DEFAULT_SCENARIO, Scenario, load_scenario
from siting.scoring import score_units

COUNTIES_1395 = 429
DEFAULT_INDICATORS = ["offices_per_10k", "office_distance_km", "rural_population", "share_without_office",
                      "seat_distance_km", "urban_population"]
SCORE_COLUMNS = ["unit_code", "name_fa", "name_en", "province_code", *DEFAULT_INDICATORS, "score", "rank", "tier",
                 "target_offices", "existing_offices", "gap"]
LIGHT = {"sensitivity": {"draws": 20, "spread": 0.2, "top_k": 50, "seed": 7}}
# A consistent judgement matrix (CR ≈ 0.03): rural population ≻ access ≻ supply.
AHP_INDICATORS = ["rural_population", "office_distance_km", "offices_per_10k"]
AHP_MATRIX = [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]


# --------------------------------------------------------------------------- helpers

from _pipeline import cached_prepare, fast_data, invoke  # noqa: E402,F401  (fast_data is a fixture)


def scenario_dict(**changes) -> dict:
    """The default scenario as a dict, with light sensitivity and ``changes`` merged in (one level deep)."""
    raw = yaml.safe_load(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    for key, value in {**LIGHT, **changes}.items():
        if isinstance(value, dict) and isinstance(raw.get(key), dict):
            raw[key] = {**raw[key], **value}
        else:
            raw[key] = value
    return raw


def write_yaml(path: Path, payload: dict) -> Path:
    path.write_text(yaml.safe_dump(payload, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def scenario_object(**changes) -> Scenario:
    return Scenario.model_validate(scenario_dict(**changes))


def assert_nothing_written(out: Path) -> None:
    assert not out.exists(), f"{out} was left behind"
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.partial")]
    assert not leftovers, f"staging folders left behind: {leftovers}"


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def light_scenario(tmp_path_factory) -> Path:
    return write_yaml(tmp_path_factory.mktemp("scenarios") / "light.yaml", scenario_dict())


@pytest.fixture(scope="module")
def score_run(shared_data, light_scenario, tmp_path_factory) -> Path:
    """One full ``amayesh score`` run on the real data (real loading and register generation)."""
    out = tmp_path_factory.mktemp("score") / "run"
    result = invoke("score", "--scenario", light_scenario, "--data", shared_data, "--out", out)
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" in result.output
    return out


@pytest.fixture(scope="module")
def real(shared_data):
    """The real counties with generated registers, loaded once for the API-level tests."""
    return cached_prepare(scenario_object(), str(shared_data))


@pytest.fixture(scope="module")
def scores(score_run) -> pd.DataFrame:
    return pd.read_csv(score_run / "scores.csv", dtype={"unit_code": str, "province_code": str})


# --------------------------------------------------------------------------- amayesh score end to end

def test_score_writes_every_file(score_run):
    for name in ("scores.csv", "weights.csv", "sensitivity.csv", "summary.json", "scenario.yaml"):
        assert (score_run / name).is_file(), name
    summary = json.loads((score_run / "summary.json").read_text(encoding="utf-8"))
    assert summary["level"] == "county" and summary["units"] == COUNTIES_1395
    assert summary["data"]["synthetic_registers"] is True
    assert len(summary["data"]["sha256"]) == 64 and len(summary["scenario"]["sha256"]) == 64


def test_scores_csv_columns_and_values(scores):
    assert set(SCORE_COLUMNS) <= set(scores.columns), sorted(set(SCORE_COLUMNS) - set(scores.columns))
    assert len(scores) == COUNTIES_1395 and scores["unit_code"].is_unique
    assert scores["unit_code"].str.fullmatch(r"\d{4}").all()  # leading zeros kept
    assert scores["name_fa"].notna().all() and scores["name_en"].notna().all()
    assert scores["province_code"].nunique() == 31
    for indicator in DEFAULT_INDICATORS:  # min–max normalised, higher = more need
        assert scores[indicator].between(0, 1).all(), indicator
        assert scores[indicator].min() == pytest.approx(0) and scores[indicator].max() == pytest.approx(1)
    assert scores["score"].between(0, 1).all()
    assert sorted(scores["rank"]) == list(range(1, COUNTIES_1395 + 1))
    by_rank = scores.sort_values("rank")
    assert by_rank["score"].is_monotonic_decreasing
    assert set(scores["tier"]) == {"deprived", "middle", "privileged"}
    assert set(by_rank["tier"].head(20)) == {"deprived"} and set(by_rank["tier"].tail(20)) == {"privileged"}
    assert (scores["gap"] == scores["target_offices"] - scores["existing_offices"]).all()
    assert (scores["existing_offices"] > 0).any() and (scores["gap"] > 0).any()


def test_score_is_the_weighted_sum_of_the_normalised_indicators(score_run, scores):
    weights = pd.read_csv(score_run / "weights.csv").set_index("indicator")["weight"]
    recomputed = scores[list(weights.index)].to_numpy() @ weights.to_numpy()
    np.testing.assert_allclose(scores["score"], recomputed, atol=1e-12)


def test_weights_csv(score_run):
    weights = pd.read_csv(score_run / "weights.csv")
    assert {"indicator", "weight", "method", "cr"} <= set(weights.columns)
    assert weights["indicator"].tolist() == DEFAULT_INDICATORS
    assert weights["weight"].sum() == pytest.approx(1)
    assert set(weights["method"]) == {"rank_order_centroid"}
    assert weights["cr"].isna().all()  # no consistency ratio outside AHP
    # rank-order centroid of 6 ranks: w1 = (1 + 1/2 + ... + 1/6) / 6
    assert weights.loc[0, "weight"] == pytest.approx(sum(1 / k for k in range(1, 7)) / 6)
    assert weights["weight"].is_monotonic_decreasing


def test_two_runs_give_byte_identical_scores(shared_data, light_scenario, score_run, tmp_path):
    out = tmp_path / "again"
    result = invoke("score", "--scenario", light_scenario, "--data", shared_data, "--out", out)
    assert result.exit_code == 0, result.output
    for name in ("scores.csv", "weights.csv", "sensitivity.csv"):
        assert (out / name).read_bytes() == (score_run / name).read_bytes(), name


def test_ranks_do_not_depend_on_row_order(real):
    scenario = scenario_object()
    first = score_units(real, scenario).scores
    shuffled = dataclasses.replace(real, units=real.units.sample(frac=1, random_state=3))
    second = score_units(shuffled, scenario).scores
    pd.testing.assert_frame_equal(first.set_index("unit_code").sort_index(), second.set_index("unit_code").sort_index())


# --------------------------------------------------------------------------- indicators a scenario may not use

def test_speculative_indicator_is_refused(real):
    scenario = scenario_object(indicators=[*DEFAULT_INDICATORS, "applications_per_10k"],
                               weights={"method": "rank_order_centroid", "ranks": {i: r for r, i in enumerate(
                                   [*DEFAULT_INDICATORS, "applications_per_10k"], start=1)}})
    with pytest.raises(ScenarioError, match="applications_per_10k") as error:
        score_units(real, scenario)
    assert "allow_speculative_indicators" in str(error.value) and "speculation" in str(error.value)


def test_speculative_indicator_is_allowed_when_asked(real):
    ids = [*DEFAULT_INDICATORS, "applications_per_10k"]
    scenario = scenario_object(indicators=ids, allow_speculative_indicators=True,
                               weights={"method": "rank_order_centroid", "ranks": {i: r for r, i in enumerate(ids, start=1)}})
    result = score_units(real, scenario)
    assert "applications_per_10k" in result.scores.columns
    assert (result.raw["applications_per_10k"] > 0).any()  # the synthetic applications are counted


def test_speculative_indicator_refused_by_the_cli(shared_data, tmp_path, fast_data):
    ids = ["rural_population", "applications_per_10k"]
    path = write_yaml(tmp_path / "speculative.yaml", scenario_dict(indicators=ids, weights={"method": "rank_sum", "ranks": {ids[0]: 1, ids[1]: 2}}))
    out = tmp_path / "out"
    result = invoke("score", "--scenario", path, "--data", shared_data, "--out", out)
    assert result.exit_code != 0
    assert "applications_per_10k" in result.output and "allow_speculative_indicators" in result.output
    assert_nothing_written(out)


def test_unknown_indicator_is_a_clear_scenario_error(real):
    with pytest.raises(ScenarioError, match=r"\['no_such_indicator'\] are not in the catalogue"):
        score_units(real, scenario_object(indicators=["rural_population", "no_such_indicator"]))
    with pytest.raises(ScenarioError, match=r"'rural_populaton': did you mean 'rural_population'\?") as info:
        score_units(real, scenario_object(indicators=["rural_populaton", "no_such_indicator"]))
    assert "'no_such_indicator': did you mean" not in str(info.value)


def test_indicator_reading_a_missing_column_is_a_clear_scenario_error(real, tmp_path):
    catalogue = yaml.safe_load(DEFAULT_CATALOGUE.read_text(encoding="utf-8"))
    catalogue["indicators"].append({"id": "planner_field", "label_fa": "شاخص برنامه‌ریز", "label_en": "Planner's field",
                                     "column": "my_special_column", "direction": "benefit", "rank": 2})
    path = write_yaml(tmp_path / "catalogue.yaml", catalogue)
    scenario = scenario_object(catalogue=str(path), indicators=["rural_population", "planner_field"],
                               weights={"method": "rank_sum", "ranks": {"rural_population": 1, "planner_field": 2}})
    with pytest.raises(ScenarioError) as error:
        score_units(real, scenario)
    assert "planner_field" in str(error.value) and "my_special_column" in str(error.value)
    # the same entry pointing at a column the units do have works
    catalogue["indicators"][-1]["column"] = "unemployment_rate"
    write_yaml(path, catalogue)
    result = score_units(real, scenario)
    assert result.raw["planner_field"].notna().all()


def test_indicator_without_weight_is_a_clear_scenario_error(real):
    scenario = scenario_object(indicators=["rural_population", "total_population"])  # total_population has no catalogue rank
    with pytest.raises(ScenarioError, match="total_population"):
        score_units(real, scenario)


# --------------------------------------------------------------------------- AHP and group AHP end to end

def ahp_scenario(**ahp) -> dict:
    method = "group_ahp" if "stakeholders" in ahp else "ahp"
    return scenario_dict(indicators=AHP_INDICATORS, weights={"method": method, "ahp": {"indicators": AHP_INDICATORS, **ahp}})


def test_ahp_scenario_end_to_end(shared_data, tmp_path, fast_data):
    path = write_yaml(tmp_path / "ahp.yaml", ahp_scenario(matrix=AHP_MATRIX))
    out = tmp_path / "out"
    result = invoke("score", "--scenario", path, "--data", shared_data, "--out", out)
    assert result.exit_code == 0, result.output
    weights = pd.read_csv(out / "weights.csv").set_index("indicator")
    assert set(weights["method"]) == {"ahp"}
    assert weights["weight"].sum() == pytest.approx(1)
    # Saaty's eigenvector of this matrix: 0.637, 0.258, 0.105; CR 0.033
    np.testing.assert_allclose(weights.loc[AHP_INDICATORS, "weight"], [0.637, 0.258, 0.105], atol=2e-3)
    assert weights["cr"].iloc[0] == pytest.approx(0.033, abs=0.005)
    scores = pd.read_csv(out / "scores.csv", dtype={"unit_code": str})
    recomputed = scores[AHP_INDICATORS].to_numpy() @ weights.loc[AHP_INDICATORS, "weight"].to_numpy()
    np.testing.assert_allclose(scores["score"], recomputed, atol=1e-12)


def test_inconsistent_ahp_exits_naming_the_pair(shared_data, tmp_path, fast_data):
    cyclic = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]  # a ≻ b ≻ c ≻ a
    path = write_yaml(tmp_path / "bad-ahp.yaml", ahp_scenario(matrix=cyclic))
    out = tmp_path / "out"
    result = invoke("score", "--scenario", path, "--data", shared_data, "--out", out)
    assert result.exit_code != 0
    assert "consistency ratio" in result.output
    assert "'rural_population' over 'office_distance_km'" in result.output
    assert_nothing_written(out)


def test_group_ahp_end_to_end(shared_data, tmp_path, fast_data):
    planner = AHP_MATRIX
    governor = [[1, 1 / 2, 3], [2, 1, 4], [1 / 3, 1 / 4, 1]]  # access ≻ rural population ≻ supply
    path = write_yaml(tmp_path / "group.yaml", ahp_scenario(stakeholders={"planner": planner, "governor": governor}))
    out = tmp_path / "out"
    result = invoke("score", "--scenario", path, "--data", shared_data, "--out", out)
    assert result.exit_code == 0, result.output
    weights = pd.read_csv(out / "weights.csv").set_index("indicator")
    assert set(weights["method"]) == {"group_ahp"} and weights["cr"].iloc[0] < 0.1
    group = pd.read_csv(out / "group_ahp.csv").set_index("indicator")
    # one row per indicator: each stakeholder's weight beside the group weight and the spread
    assert list(group.index) == AHP_INDICATORS
    assert {"planner", "governor", "group_weight", "min", "max", "range"} <= set(group.columns)
    assert group.notna().all(axis=None), group
    np.testing.assert_allclose(group["group_weight"], weights.loc[AHP_INDICATORS, "weight"])
    np.testing.assert_allclose(group["min"], group[["planner", "governor"]].min(axis=1))
    # the group weight of each indicator lies between the stakeholders' own weights
    for indicator in AHP_INDICATORS:
        low, high = sorted(group.loc[indicator, ["planner", "governor"]])
        assert low - 1e-9 <= weights.loc[indicator, "weight"] <= high + 1e-9


def test_group_ahp_with_an_inconsistent_stakeholder_names_them(real):
    scenario = Scenario.model_validate(ahp_scenario(stakeholders={
        "planner": AHP_MATRIX, "governor": [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]}))
    with pytest.raises(Exception, match="governor"):
        score_units(real, scenario)


# --------------------------------------------------------------------------- invalid scenario files

INVALID = {
    "unknown field": ({"weight": {"method": "direct"}}, "weight"),
    "unknown nested field": ({"need": {"urban_residents_per_ofice": 9000}}, "need.urban_residents_per_ofice"),
    "wrong type": ({"need": {"urban_residents_per_office": "lots"}}, "need.urban_residents_per_office"),
    "bad method": ({"weights": {"method": "magic"}}, "weights.method"),
    "bad normalisation": ({"normalization": "log"}, "normalization"),
    "no indicators": ({"indicators": []}, "indicators"),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_scenario_exits_naming_the_field(case, tmp_path):
    changes, field = INVALID[case]
    path = write_yaml(tmp_path / "bad.yaml", scenario_dict(**changes))
    out = tmp_path / "out"
    result = invoke("score", "--scenario", path, "--out", out)
    assert result.exit_code != 0
    assert "invalid scenario" in result.output and f"{field}:" in result.output, result.output
    assert "bad.yaml" in result.output
    assert_nothing_written(out)


def test_scenario_that_is_not_yaml(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed\n", encoding="utf-8")
    out = tmp_path / "out"
    result = invoke("score", "--scenario", path, "--out", out)
    assert result.exit_code != 0 and "not valid YAML" in result.output
    assert_nothing_written(out)


def test_missing_scenario_file(tmp_path):
    result = invoke("score", "--scenario", tmp_path / "nowhere.yaml", "--out", tmp_path / "out")
    assert result.exit_code != 0 and "not found" in result.output
    assert_nothing_written(tmp_path / "out")


def test_default_scenario_is_valid():
    scenario, path = load_scenario()
    assert path == DEFAULT_SCENARIO and scenario.indicators == DEFAULT_INDICATORS


# --------------------------------------------------------------------------- need

def test_need_targets_follow_the_standards(real):
    scenario = scenario_object(need={"urban_residents_per_office": 10_000, "rural_residents_per_office": 5_000,
                                     "min_target_per_unit": 0}, sensitivity={"draws": 0})
    table = score_units(real, scenario).scores
    assert (table["target_urban"] == np.floor(table["pop_urban"] / 10_000 + 0.5)).all()
    assert (table["target_rural"] == np.floor(table["pop_rural"] / 5_000 + 0.5)).all()
    assert (table["target_offices"] == table["target_urban"] + table["target_rural"]).all()
    assert (table["gap"] == table["target_offices"] - table["existing_offices"]).all()
    # existing offices: the register's open offices (active or suspended) in each county
    offices = real.offices[real.offices["status"].isin(["active", "suspended"])]
    counted = offices.groupby("unit_code").size().reindex(table["unit_code"]).fillna(0).astype(int).to_numpy()
    assert (table["existing_offices"].to_numpy() == counted).all()
    assert (table["existing_offices"] == table["existing_urban"] + table["existing_rural"]).all()
    assert (table["gap"] < 0).any() and (table["gap"] > 0).any()  # saturated and deprived counties both exist


def test_need_minimum_per_populated_unit(real):
    # with a very high standard most counties round to no office at all: the minimum of one applies,
    # placed where most of the county's people live
    need = {"urban_residents_per_office": 400_000, "rural_residents_per_office": 300_000, "min_target_per_unit": 1}
    table = score_units(real, scenario_object(need=need, sensitivity={"draws": 0})).scores
    standard = np.floor(table["pop_urban"] / 400_000 + 0.5) + np.floor(table["pop_rural"] / 300_000 + 0.5)
    assert (table["target_offices"] == np.maximum(standard, 1)).all()
    small = table[standard == 0]
    assert len(small) > 100
    rural_heavy = small["pop_rural"] > small["pop_urban"]
    assert rural_heavy.any() and (~rural_heavy).any()
    assert (small.loc[rural_heavy, "target_rural"] == 1).all() and (small.loc[rural_heavy, "target_urban"] == 0).all()
    assert (small.loc[~rural_heavy, "target_urban"] == 1).all() and (small.loc[~rural_heavy, "target_rural"] == 0).all()
    # the default standards: every county already needs at least one office
    default = score_units(real, scenario_object(sensitivity={"draws": 0})).scores
    assert (default["target_offices"] == np.floor(default["pop_urban"] / 8000 + 0.5) + np.floor(default["pop_rural"] / 6000 + 0.5)).all()
    assert (default["target_offices"] >= 1).all()


# --------------------------------------------------------------------------- invariant: more rural people, no lower score

def _with_more_rural(dataset, code: str, extra: float):
    units = dataset.units.copy()
    row = (units["unit_code"] == code) & (units["level"] == "county")
    units.loc[row, "pop_rural"] += extra
    units.loc[row, "pop_total"] += extra
    return dataclasses.replace(dataset, units=units)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(0, COUNTIES_1395 - 1), extra=st.floats(1, 2_000_000),
       normalization=st.sampled_from(["minmax", "zscore", "standard"]))
def test_more_rural_population_never_lowers_the_score(real, position, extra, normalization):
    scenario = scenario_object(normalization=normalization, sensitivity={"draws": 0})
    base = _baseline(real, normalization)
    code = base["unit_code"].iloc[position]
    after = score_units(_with_more_rural(real, code, extra), scenario).scores.set_index("unit_code")
    before = base.set_index("unit_code")
    assert after.loc[code, "score"] >= before.loc[code, "score"] - 1e-12
    assert after.loc[code, "raw_rural_population"] == pytest.approx(before.loc[code, "raw_rural_population"] + extra)


_BASELINES: dict[str, pd.DataFrame] = {}


def _baseline(real, normalization: str) -> pd.DataFrame:
    if normalization not in _BASELINES:
        scenario = scenario_object(normalization=normalization, sensitivity={"draws": 0})
        _BASELINES[normalization] = score_units(real, scenario).scores
    return _BASELINES[normalization]


def test_more_rural_population_raises_the_rural_indicator_of_the_largest_county(real):
    # direct check at the top of the range: the county with the most rural people stays at 1
    base = score_units(real, scenario_object(sensitivity={"draws": 0})).scores.set_index("unit_code")
    code = base["raw_rural_population"].idxmax()
    after = score_units(_with_more_rural(real, code, 100_000), scenario_object(sensitivity={"draws": 0})).scores.set_index("unit_code")
    assert after.loc[code, "rural_population"] == 1.0 and after.loc[code, "score"] >= base.loc[code, "score"]
    others = after.index != code  # everyone else's rural indicator can only fall as the maximum grows
    assert (after.loc[others, "rural_population"] <= base.loc[others, "rural_population"] + 1e-12).all()
