"""Tests for siting.mcda: normalisation, composite scores, ranks, tiers, sensitivity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from siting.errors import WeightsError
from siting.mcda import (
    _perturbed_weights,
    normalize,
    rank_scores,
    tiers,
    topsis,
    weight_sensitivity,
    weighted_sum,
)

# Hwang & Yoon (1981) "Multiple Attribute Decision Making", Springer, the
# fighter-aircraft example: max speed (Mach), ferry range (NM), max payload (lb),
# acquisition cost ($M, a cost attribute), reliability, manoeuvrability.
AIRCRAFT = pd.DataFrame(
    [
        [2.0, 1500, 20000, 5.5, 5, 9],
        [2.5, 2700, 18000, 6.5, 3, 5],
        [1.8, 2000, 21000, 4.5, 7, 7],
        [2.2, 1800, 20000, 5.0, 5, 5],
    ],
    index=["A1", "A2", "A3", "A4"],
    columns=["speed", "range", "payload", "cost", "reliability", "manoeuvrability"],
)
AIRCRAFT_DIRECTION = {c: "benefit" for c in AIRCRAFT.columns} | {"cost": "cost"}
AIRCRAFT_WEIGHTS = {
    "speed": 0.2, "range": 0.1, "payload": 0.1, "cost": 0.1, "reliability": 0.2, "manoeuvrability": 0.3,
}  # fmt: skip

COUNTIES = pd.DataFrame(
    {
        "population_per_office": [12000.0, 4000.0, 8000.0, 20000.0],
        "distance_km": [30.0, 5.0, 10.0, 0.0],
    },
    index=["Zahedan", "Shemiranat", "Yasuj", "Chabahar"],
)
COUNTY_DIRECTION = {"population_per_office": "benefit", "distance_km": "cost"}


# --- TOPSIS -------------------------------------------------------------------


def test_topsis_reproduces_hwang_yoon_fighter_aircraft():
    closeness = topsis(AIRCRAFT, AIRCRAFT_WEIGHTS, AIRCRAFT_DIRECTION)
    # Published C* = 0.643, 0.268, 0.613, 0.312 (computed there from 4-decimal
    # intermediates, so compare to 1e-3); order A1 > A3 > A4 > A2.
    assert closeness.tolist() == pytest.approx([0.643, 0.268, 0.613, 0.312], abs=1e-3)
    assert closeness.name == "closeness"
    assert list(rank_scores(closeness).sort_values().index) == ["A1", "A3", "A4", "A2"]


def test_topsis_constant_data_is_neutral():
    flat = pd.DataFrame({"a": [3.0, 3.0], "b": [1.0, 1.0]}, index=["x", "y"])
    closeness = topsis(flat, {"a": 1, "b": 1}, {"a": "benefit", "b": "cost"})
    assert closeness.tolist() == [0.5, 0.5]


def test_topsis_all_zero_column_contributes_nothing():
    data = pd.DataFrame({"a": [0.0, 0.0, 0.0], "b": [1.0, 2.0, 3.0]}, index=list("xyz"))
    closeness = topsis(data, {"a": 0.5, "b": 0.5}, {"a": "benefit", "b": "benefit"})
    assert closeness.tolist() == pytest.approx([0.0, 0.5, 1.0])


def test_topsis_refuses_negative_values_naming_cell():
    data = pd.DataFrame({"a": [1.0, -2.0]}, index=["Tabas", "Bam"])
    with pytest.raises(WeightsError, match=r"non-negative.*'a' at row 'Bam'"):
        topsis(data, {"a": 1}, {"a": "benefit"})


def test_topsis_refuses_weights_and_directions_that_disagree():
    with pytest.raises(WeightsError, match="no weight: 'cost'"):
        topsis(AIRCRAFT, {k: v for k, v in AIRCRAFT_WEIGHTS.items() if k != "cost"}, AIRCRAFT_DIRECTION)
    with pytest.raises(WeightsError, match="missing from the data: 'noise'"):
        topsis(AIRCRAFT, AIRCRAFT_WEIGHTS | {"noise": 0.1}, AIRCRAFT_DIRECTION)


# --- normalisation ------------------------------------------------------------


def test_minmax_honours_direction():
    result = normalize(COUNTIES, "minmax", COUNTY_DIRECTION)
    # population: (x - 4000) / 16000; distance (cost): (30 - x) / 30.
    assert result["population_per_office"].tolist() == pytest.approx([0.5, 0.0, 0.25, 1.0])
    assert result["distance_km"].tolist() == pytest.approx([0.0, 25 / 30, 20 / 30, 1.0])
    assert list(result.index) == list(COUNTIES.index)


def test_zscore_uses_population_std_and_honours_direction():
    result = normalize(COUNTIES, "zscore", COUNTY_DIRECTION)
    population = COUNTIES["population_per_office"]
    expected = (population - population.mean()) / population.std(ddof=0)
    assert result["population_per_office"].tolist() == pytest.approx(expected.tolist())
    distance = COUNTIES["distance_km"]
    expected_cost = -(distance - distance.mean()) / distance.std(ddof=0)
    assert result["distance_km"].tolist() == pytest.approx(expected_cost.tolist())
    assert result.mean().tolist() == pytest.approx([0, 0], abs=1e-12)


@pytest.mark.parametrize("method", ["minmax", "zscore"])
def test_constant_column_maps_to_zero(method):
    data = COUNTIES.assign(distance_km=7.0)
    assert normalize(data, method, COUNTY_DIRECTION)["distance_km"].tolist() == [0.0] * 4


def test_standard_based_caps_at_one_and_inverts_costs():
    standards = {"population_per_office": 10000, "distance_km": 10}
    result = normalize(COUNTIES, "standard", COUNTY_DIRECTION, standards)
    # benefit: min(x / 10000, 1); cost: min(10 / x, 1), and 1 for a distance of 0.
    assert result["population_per_office"].tolist() == pytest.approx([1.0, 0.4, 0.8, 1.0])
    assert result["distance_km"].tolist() == pytest.approx([1 / 3, 1.0, 1.0, 1.0])


def test_standard_based_needs_valid_standards_for_every_indicator():
    with pytest.raises(WeightsError, match="needs a standard"):
        normalize(COUNTIES, "standard", COUNTY_DIRECTION)
    with pytest.raises(WeightsError, match="No standard given for indicator.*'distance_km'"):
        normalize(COUNTIES, "standard", COUNTY_DIRECTION, {"population_per_office": 1})
    with pytest.raises(WeightsError, match="positive.*'distance_km' = 0"):
        normalize(COUNTIES, "standard", COUNTY_DIRECTION, {"population_per_office": 1, "distance_km": 0})


def test_standard_based_refuses_negative_values():
    data = COUNTIES.assign(distance_km=[1.0, -1.0, 2.0, 3.0])
    with pytest.raises(WeightsError, match="'distance_km' at row 'Shemiranat'"):
        normalize(data, "standard", COUNTY_DIRECTION, {"population_per_office": 1, "distance_km": 1})


def test_normalize_refuses_column_missing_from_data():
    direction = COUNTY_DIRECTION | {"internet_access": "cost"}
    with pytest.raises(WeightsError, match="missing from the data: 'internet_access'"):
        normalize(COUNTIES, "minmax", direction)


def test_normalize_refuses_column_without_direction():
    with pytest.raises(WeightsError, match=r"no direction \(benefit/cost\): 'distance_km'"):
        normalize(COUNTIES, "minmax", {"population_per_office": "benefit"})


def test_normalize_refuses_nan_naming_indicator_and_row():
    data = COUNTIES.copy()
    data.loc["Yasuj", "distance_km"] = np.nan
    with pytest.raises(WeightsError, match="'distance_km' at row 'Yasuj'"):
        normalize(data, "minmax", COUNTY_DIRECTION)


def test_normalize_refuses_text_naming_indicator_and_row():
    data = COUNTIES.astype(object)
    data.loc["Zahedan", "population_per_office"] = "n/a"
    with pytest.raises(WeightsError, match=r"'population_per_office' at row 'Zahedan' \('n/a'\)"):
        normalize(data, "zscore", COUNTY_DIRECTION)


def test_normalize_refuses_unknown_direction_and_method():
    with pytest.raises(WeightsError, match="'benefit' or 'cost'.*'distance_km' = 'less'"):
        normalize(COUNTIES, "minmax", {"population_per_office": "benefit", "distance_km": "less"})
    with pytest.raises(WeightsError, match="Unknown normalisation method 'rank'"):
        normalize(COUNTIES, "rank", COUNTY_DIRECTION)  # type: ignore[arg-type]


def test_normalize_refuses_empty_data():
    with pytest.raises(WeightsError, match="no rows"):
        normalize(COUNTIES.iloc[:0], "minmax", COUNTY_DIRECTION)


# --- weighted sum and ranks ---------------------------------------------------


def test_weighted_sum_by_hand():
    normalized = normalize(COUNTIES, "minmax", COUNTY_DIRECTION)
    # Weights 3:1 → 0.75, 0.25. Zahedan: 0.75 * 0.5 + 0.25 * 0 = 0.375.
    scores = weighted_sum(normalized, {"population_per_office": 3, "distance_km": 1})
    assert scores.tolist() == pytest.approx([0.375, 0.25 * 25 / 30, 0.1875 + 0.25 * 20 / 30, 1.0])
    assert scores.name == "score"


def test_weighted_sum_refuses_missing_weight_or_column():
    normalized = normalize(COUNTIES, "minmax", COUNTY_DIRECTION)
    with pytest.raises(WeightsError, match="no weight: 'distance_km'"):
        weighted_sum(normalized, {"population_per_office": 1})
    with pytest.raises(WeightsError, match="missing from the data: 'literacy'"):
        weighted_sum(normalized, {"population_per_office": 1, "distance_km": 1, "literacy": 1})


def test_rank_scores_highest_first_ties_by_label():
    scores = pd.Series([0.5, 0.9, 0.5, 0.1, 0.5], index=["Yazd", "Zabol", "Bam", "Ardakan", "Kerman"])
    ranks = rank_scores(scores)
    assert ranks.to_dict() == {"Zabol": 1, "Bam": 2, "Kerman": 3, "Yazd": 4, "Ardakan": 5}
    assert ranks.name == "rank"
    # The same regardless of input order.
    pd.testing.assert_series_equal(rank_scores(scores.iloc[::-1]).sort_index(), ranks.sort_index())


def test_rank_scores_refuses_nan_naming_unit():
    with pytest.raises(WeightsError, match="'Bam'"):
        rank_scores(pd.Series([0.1, np.nan], index=["Yazd", "Bam"]))


# --- tiers --------------------------------------------------------------------


def test_quantile_tiers_split_evenly_highest_is_deprived():
    scores = pd.Series(np.arange(1.0, 10.0), index=[f"c{i}" for i in range(9)])
    result = tiers(scores, "quantiles")
    assert result.tolist() == ["privileged"] * 3 + ["middle"] * 3 + ["deprived"] * 3
    assert list(result.cat.categories) == ["privileged", "middle", "deprived"]
    assert result.cat.ordered


def test_natural_breaks_find_clusters():
    values = [0.10, 0.12, 0.11, 0.50, 0.52, 0.90, 0.91, 0.93, 0.51]
    scores = pd.Series(values, index=[f"c{i}" for i in range(9)])
    result = tiers(scores, "natural_breaks")
    expected = ["privileged"] * 3 + ["middle"] * 2 + ["deprived"] * 3 + ["middle"]
    assert result.tolist() == expected
    # Exact (Fisher-Jenks), so no seed and always the same answer.
    assert tiers(scores, "natural_breaks").tolist() == expected


def test_tiers_custom_labels_and_k():
    scores = pd.Series([1.0, 2.0, 3.0, 4.0], index=list("abcd"))
    assert tiers(scores, k=2, labels=("low", "high")).tolist() == ["low", "low", "high", "high"]


@pytest.mark.parametrize("method", ["quantiles", "natural_breaks"])
def test_equal_scores_share_a_tier(method):
    scores = pd.Series([0.2, 0.5, 0.5, 0.9, 0.1, 0.7, 0.3, 0.8, 0.6], index=list("abcdefghi"))
    result = tiers(scores, method)
    assert result["b"] == result["c"]


def test_tiers_refuse_too_few_distinct_scores():
    with pytest.raises(WeightsError, match="3 tiers from 2 distinct"):
        tiers(pd.Series([1.0, 1.0, 2.0], index=list("abc")), "natural_breaks")
    tied = pd.Series([0.0] * 6 + [1.0, 2.0], index=list("abcdefgh"))
    with pytest.raises(WeightsError, match="Tied scores leave only 2"):
        tiers(tied, "quantiles")
    assert tiers(tied, "natural_breaks").tolist() == ["privileged"] * 6 + ["middle", "deprived"]


def test_tiers_refuse_bad_arguments():
    scores = pd.Series([1.0, 2.0, 3.0], index=list("abc"))
    with pytest.raises(WeightsError, match="Give 3 distinct tier labels"):
        tiers(scores, labels=("low", "high"))
    with pytest.raises(WeightsError, match="Unknown tier method 'jenks'"):
        tiers(scores, "jenks")  # type: ignore[arg-type]
    with pytest.raises(WeightsError, match="'b'"):
        tiers(pd.Series([1.0, np.nan, 3.0], index=list("abc")))


# --- sensitivity --------------------------------------------------------------


def sensitivity_data() -> tuple[pd.DataFrame, dict[str, float]]:
    rng = np.random.default_rng(7)
    counties = [f"county{i:02d}" for i in range(12)]
    normalized = pd.DataFrame(rng.random((12, 3)), columns=["a", "b", "c"], index=counties)
    return normalized, {"a": 0.5, "b": 0.3, "c": 0.2}


@pytest.mark.parametrize("method", ["dirichlet", "uniform"])
def test_sensitivity_is_seeded_and_consistent(method):
    normalized, weights = sensitivity_data()
    result = weight_sensitivity(normalized, weights, top_k=4, n_draws=500, seed=3, method=method)
    again = weight_sensitivity(normalized, weights, top_k=4, n_draws=500, seed=3, method=method)
    pd.testing.assert_frame_equal(result, again)
    # Each draw puts exactly top_k units in the top k.
    assert result["top_k_share"].sum() == pytest.approx(4)
    assert (result["rank_p05"] <= result["median_rank"]).all()
    assert (result["median_rank"] <= result["rank_p95"]).all()
    pd.testing.assert_series_equal(result["score"], weighted_sum(normalized, weights))
    pd.testing.assert_series_equal(result["rank"], rank_scores(result["score"]))
    assert list(result.index) == list(normalized.index)


def test_sensitivity_without_spread_matches_the_base_ranking():
    normalized, weights = sensitivity_data()
    result = weight_sensitivity(normalized, weights, top_k=3, n_draws=50, spread=0)
    assert result["top_k_share"].tolist() == (result["rank"] <= 3).astype(float).tolist()
    assert (result["median_rank"] == result["rank"]).all()


def test_sensitivity_dominant_unit_always_first_dominated_never_in_top_k():
    normalized, weights = sensitivity_data()
    normalized.loc["county00"] = 1.0
    normalized.loc["county01"] = 0.0
    result = weight_sensitivity(normalized, weights, top_k=5, n_draws=300, spread=0.5)
    assert result.loc["county00", "top_k_share"] == 1.0 and result.loc["county00", "rank_p95"] == 1
    assert result.loc["county01", "top_k_share"] == 0.0


def test_sensitivity_ties_follow_label_order():
    normalized = pd.DataFrame({"a": [1.0, 1.0, 0.0]}, index=["Qom", "Arak", "Sari"])
    result = weight_sensitivity(normalized, {"a": 1.0}, top_k=1, n_draws=10)
    assert result["top_k_share"].to_dict() == {"Qom": 0.0, "Arak": 1.0, "Sari": 0.0}


def test_dirichlet_draws_are_centred_with_the_requested_spread():
    weights = np.array([0.5, 0.3, 0.2, 0.0])
    draws = _perturbed_weights(weights, 20000, 0.2, np.random.default_rng(1), "dirichlet")
    assert draws.sum(axis=1) == pytest.approx(np.ones(20000))
    assert (draws[:, 3] == 0).all()  # a zero weight stays zero
    assert draws.mean(axis=0) == pytest.approx(weights, abs=3e-3)
    cv = draws[:, :3].std(axis=0) / weights[:3]
    assert cv.mean() == pytest.approx(0.2, abs=0.01)


def test_sensitivity_refuses_bad_arguments():
    normalized, weights = sensitivity_data()
    with pytest.raises(WeightsError, match="top_k must be between 1 and the number of units \\(12\\)"):
        weight_sensitivity(normalized, weights, top_k=13)
    with pytest.raises(WeightsError, match="n_draws"):
        weight_sensitivity(normalized, weights, top_k=2, n_draws=0)
    with pytest.raises(WeightsError, match="below 1"):
        weight_sensitivity(normalized, weights, top_k=2, spread=1.5, method="uniform")
    with pytest.raises(WeightsError, match="too large"):
        weight_sensitivity(normalized, weights, top_k=2, spread=5.0, method="dirichlet")
    with pytest.raises(WeightsError, match="Unknown perturbation method"):
        weight_sensitivity(normalized, weights, top_k=2, method="gauss")  # type: ignore[arg-type]
    with pytest.raises(WeightsError, match="no weight: 'c'"):
        weight_sensitivity(normalized, {"a": 1, "b": 1}, top_k=2)


# --- invariants ---------------------------------------------------------------


@st.composite
def scoring_problems(draw):
    """Non-negative units × indicators data, directions, weights, and one change."""
    n_units = draw(st.integers(2, 6))
    n_indicators = draw(st.integers(1, 4))
    cells = st.floats(0, 1000, allow_nan=False, allow_infinity=False)
    values = np.array(draw(st.lists(cells, min_size=n_units * n_indicators, max_size=n_units * n_indicators)))
    columns = [f"x{j}" for j in range(n_indicators)]
    units = [f"u{i}" for i in range(n_units)]
    data = pd.DataFrame(values.reshape(n_units, n_indicators), columns=columns, index=units)
    direction = {c: draw(st.sampled_from(["benefit", "cost"])) for c in columns}
    weights = {c: draw(st.floats(0, 1)) for c in columns}
    assume(sum(weights.values()) > 0)
    unit = draw(st.sampled_from(list(data.index)))
    column = draw(st.sampled_from(columns))
    increase = draw(st.floats(0.001, 1000))
    return data, direction, weights, unit, column, increase


def _raised(data: pd.DataFrame, unit: str, column: str, increase: float) -> pd.DataFrame:
    raised = data.copy()
    raised.loc[unit, column] += increase
    return raised


@pytest.mark.parametrize("method", ["minmax", "zscore", "standard"])
@settings(max_examples=150, deadline=None)
@given(problem=scoring_problems())
def test_raising_a_benefit_indicator_never_lowers_the_weighted_sum(method, problem):
    data, direction, weights, unit, column, increase = problem
    standards = {c: 500.0 for c in data.columns}
    raised = _raised(data, unit, column, increase)
    before = weighted_sum(normalize(data, method, direction, standards), weights)[unit]
    after = weighted_sum(normalize(raised, method, direction, standards), weights)[unit]
    if direction[column] == "benefit":
        assert after >= before - 1e-9
    else:
        assert after <= before + 1e-9


@settings(max_examples=200, deadline=None)
@given(problem=scoring_problems())
def test_raising_a_benefit_indicator_never_lowers_topsis_closeness(problem):
    data, direction, weights, unit, column, increase = problem
    before = topsis(data, weights, direction)[unit]
    after = topsis(_raised(data, unit, column, increase), weights, direction)[unit]
    if direction[column] == "benefit":
        assert after >= before - 1e-9
    else:
        assert after <= before + 1e-9
    assert 0.0 <= after <= 1.0


@settings(max_examples=100, deadline=None)
@given(problem=scoring_problems())
def test_minmax_and_standard_scores_stay_in_unit_interval(problem):
    data, direction, weights, *_ = problem
    for method in ("minmax", "standard"):
        normalized = normalize(data, method, direction, {c: 100.0 for c in data.columns})
        assert ((normalized >= 0) & (normalized <= 1)).all().all()
        scores = weighted_sum(normalized, weights)
        assert ((scores >= -1e-12) & (scores <= 1 + 1e-12)).all()
