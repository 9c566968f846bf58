"""Tests for siting.weights: direct, rank-based and AHP weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.errors import AmayeshError, WeightsError
from siting.weights import (
    SAATY_RANDOM_INDEX,
    ahp_weights,
    direct_weights,
    group_ahp,
    rank_order_centroid,
    rank_sum,
)

# Saaty (1977) "A scaling method for priorities in hierarchical structures",
# J. Math. Psychology 15, 234-281, and Saaty (1980) "The Analytic Hierarchy
# Process", ch. 2: relative wealth of nations (judged, 1970s).
# Published: eigenvector .427 .230 .021 .052 .052 .123 .094, lambda_max = 7.61,
# C.R. = 0.08.
NATIONS = ["US", "USSR", "China", "France", "UK", "Japan", "W. Germany"]
NATIONS_MATRIX = [
    [1, 4, 9, 6, 6, 5, 5],
    [1 / 4, 1, 7, 5, 5, 3, 4],
    [1 / 9, 1 / 7, 1, 1 / 5, 1 / 5, 1 / 7, 1 / 5],
    [1 / 6, 1 / 5, 5, 1, 1, 1 / 3, 1 / 3],
    [1 / 6, 1 / 5, 5, 1, 1, 1 / 3, 1 / 3],
    [1 / 5, 1 / 3, 7, 3, 3, 1, 2],
    [1 / 5, 1 / 4, 5, 3, 3, 1 / 2, 1],
]

# Saaty (2008) "Decision making with the analytic hierarchy process",
# Int. J. Services Sciences 1(1), 83-98: "Which drink is consumed more in the US?"
# Published derived scale: .177 .019 .042 .116 .190 .129 .327.
DRINKS = ["coffee", "wine", "tea", "beer", "sodas", "milk", "water"]
DRINKS_MATRIX = [
    [1, 9, 5, 2, 1, 1, 1 / 2],
    [1 / 9, 1, 1 / 3, 1 / 9, 1 / 9, 1 / 9, 1 / 9],
    [1 / 5, 3, 1, 1 / 3, 1 / 4, 1 / 3, 1 / 9],
    [1 / 2, 9, 3, 1, 1 / 2, 1, 1 / 3],
    [1, 9, 4, 2, 1, 2, 1 / 2],
    [1, 9, 3, 1, 1 / 2, 1, 1 / 3],
    [2, 9, 9, 3, 2, 3, 1],
]


def consistent_matrix(weights: np.ndarray) -> np.ndarray:
    """a[i, j] = w_i / w_j: perfectly consistent by construction."""
    return weights[:, None] / weights[None, :]


# --- direct weights -----------------------------------------------------------


def test_direct_weights_normalise_percentages():
    weights = direct_weights({"population": 50, "distance": 30, "poverty": 20})
    assert weights.to_dict() == pytest.approx({"population": 0.5, "distance": 0.3, "poverty": 0.2})
    assert weights.name == "weight"


def test_direct_weights_allow_zero_for_some_indicators():
    assert direct_weights({"a": 0, "b": 2}).tolist() == [0.0, 1.0]


def test_direct_weights_refuse_negative_naming_indicator():
    with pytest.raises(WeightsError, match=r"negative.*'distance' = -3"):
        direct_weights({"population": 5, "distance": -3})


def test_direct_weights_refuse_all_zero():
    with pytest.raises(WeightsError, match="All weights are zero"):
        direct_weights({"a": 0, "b": 0})


@pytest.mark.parametrize("bad", [float("nan"), "high", None, float("inf")])
def test_direct_weights_refuse_non_numbers_naming_indicator(bad):
    with pytest.raises(WeightsError, match="'b'"):
        direct_weights({"a": 1, "b": bad})


def test_direct_weights_refuse_empty():
    with pytest.raises(WeightsError, match="No weights"):
        direct_weights({})


def test_weights_error_is_an_amayesh_error():
    assert issubclass(WeightsError, AmayeshError)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=12).filter(lambda xs: sum(xs) > 0))
def test_direct_weights_sum_to_one(values):
    weights = direct_weights({f"i{k}": v for k, v in enumerate(values)})
    assert weights.sum() == pytest.approx(1.0)
    assert (weights >= 0).all()


# --- rank-based weights -------------------------------------------------------


def test_roc_weights_published_n3_n4():
    # Barron & Barrett (1996) "Decision quality using ranked attribute weights",
    # Management Science 42(11): ROC weights for n = 3 and n = 4.
    assert rank_order_centroid({"a": 1, "b": 2, "c": 3}).tolist() == pytest.approx(
        [0.6111, 0.2778, 0.1111], abs=5e-5
    )
    assert rank_order_centroid({"a": 1, "b": 2, "c": 3, "d": 4}).tolist() == pytest.approx(
        [0.5208, 0.2708, 0.1458, 0.0625], abs=5e-5
    )


def test_rank_sum_weights_n4():
    # w_i = 2 (n + 1 - i) / (n (n + 1)) = 2 (5 - i) / 20 → 0.4, 0.3, 0.2, 0.1.
    assert rank_sum({"a": 1, "b": 2, "c": 3, "d": 4}).tolist() == pytest.approx([0.4, 0.3, 0.2, 0.1])


def test_rank_weights_follow_the_indicator_not_the_input_order():
    weights = rank_order_centroid({"poverty": 3, "population": 1, "distance": 2})
    assert weights["population"] == pytest.approx(0.6111, abs=5e-5)
    assert weights["poverty"] == pytest.approx(0.1111, abs=5e-5)


def test_roc_ties_share_the_mean_of_their_positions():
    # b and c tie for places 2-3: each gets (0.2778 + 0.1111) / 2 = 0.1944.
    weights = rank_order_centroid({"a": 1, "b": 2, "c": 2})
    assert weights.tolist() == pytest.approx([11 / 18, 7 / 36, 7 / 36])


def test_rank_sum_ties_share_the_mean_of_their_positions():
    # n = 4, positions 2 and 3 weigh 0.3 and 0.2: tied b, c get 0.25 each.
    weights = rank_sum({"a": 1, "b": 2, "c": 2, "d": 4})
    assert weights.tolist() == pytest.approx([0.4, 0.25, 0.25, 0.1])


def test_only_the_order_of_ranks_matters():
    competition = rank_order_centroid({"a": 1, "b": 2, "c": 2, "d": 4})
    dense = rank_order_centroid({"a": 1, "b": 2, "c": 2, "d": 3})
    pd.testing.assert_series_equal(competition, dense)
    assert rank_sum({"a": 1, "b": 7}).tolist() == pytest.approx([2 / 3, 1 / 3])


@pytest.mark.parametrize("bad", [0, -1, "first", float("nan")])
def test_ranks_must_be_numbers_from_one(bad):
    with pytest.raises(WeightsError, match="'b'"):
        rank_order_centroid({"a": 1, "b": bad})


def test_ranks_refuse_empty():
    with pytest.raises(WeightsError, match="No ranks"):
        rank_sum({})


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 8), min_size=1, max_size=10))
def test_rank_weights_sum_to_one_and_never_favour_a_worse_rank(ranks):
    mapping = {f"i{k}": r for k, r in enumerate(ranks)}
    for scheme in (rank_order_centroid, rank_sum):
        weights = scheme(mapping)
        assert weights.sum() == pytest.approx(1.0)
        by_rank = pd.DataFrame({"rank": pd.Series(mapping), "weight": weights}).sort_values("rank")
        assert (np.diff(by_rank["weight"].to_numpy()) <= 1e-12).all()


# --- AHP ----------------------------------------------------------------------


def test_ahp_reproduces_saaty_wealth_of_nations():
    result = ahp_weights(NATIONS_MATRIX, NATIONS)
    published = [0.427, 0.230, 0.021, 0.052, 0.052, 0.123, 0.094]
    assert result.weights.tolist() == pytest.approx(published, abs=5e-4)
    assert round(result.lambda_max, 2) == 7.61
    assert round(result.consistency_ratio, 2) == 0.08
    assert result.random_index == 1.32
    assert result.weights.sum() == pytest.approx(1.0)


def test_ahp_reproduces_saaty_drink_consumption():
    result = ahp_weights(DRINKS_MATRIX, DRINKS)
    published = [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327]
    assert result.weights.tolist() == pytest.approx(published, abs=5e-4)
    # Derived here (the table gives no CR): lambda_max = 7.177,
    # CI = 0.177 / 6 = 0.0294, CR = 0.0294 / 1.32 = 0.022.
    assert result.consistency_ratio == pytest.approx(0.022, abs=5e-4)


def test_saaty_random_index_table():
    # Saaty's RI for n = 1..15 as widely reproduced (0.58 for n = 3, 1.59 for n = 15).
    assert len(SAATY_RANDOM_INDEX) == 15
    assert SAATY_RANDOM_INDEX[2] == 0.58 and SAATY_RANDOM_INDEX[3] == 0.90 and SAATY_RANDOM_INDEX[-1] == 1.59


def test_ahp_two_indicators_is_always_consistent():
    result = ahp_weights([[1, 3], [1 / 3, 1]], ["population", "distance"])
    assert result.weights.tolist() == pytest.approx([0.75, 0.25])
    assert result.consistency_ratio == 0.0


def test_ahp_single_indicator():
    result = ahp_weights([[1]], ["population"])
    assert result.weights.tolist() == [1.0]
    assert result.consistency_ratio == 0.0


def test_ahp_accepts_rounded_fractions():
    # Committee spreadsheets hold 0.33 for 1/3 or 0.13 for 1/8 (4 % off).
    result = ahp_weights([[1, 3], [0.33, 1]], ["a", "b"])
    assert result.weights["a"] == pytest.approx(0.75, abs=2e-3)
    assert ahp_weights([[1, 8], [0.13, 1]], ["a", "b"]).weights["a"] == pytest.approx(8 / 9, abs=5e-3)


def test_ahp_takes_labels_from_a_dataframe_and_reorders_it():
    frame = pd.DataFrame(NATIONS_MATRIX, index=NATIONS, columns=NATIONS)
    from_frame = ahp_weights(frame)
    assert list(from_frame.weights.index) == NATIONS
    shuffled = frame.loc[NATIONS[::-1], NATIONS[::-1]]
    reordered = ahp_weights(shuffled, NATIONS)
    pd.testing.assert_series_equal(reordered.weights, from_frame.weights)


def test_ahp_judgements_table_lists_pairs_worst_first():
    result = ahp_weights(NATIONS_MATRIX, NATIONS)
    table = result.judgements
    assert len(table) == 7 * 6 // 2
    assert (np.diff(table["factor"].to_numpy()) <= 0).all()
    assert (table["factor"] >= 1).all()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0.01, 100), min_size=1, max_size=15))
def test_consistent_matrix_recovers_its_weights(raw):
    weights = np.array(raw) / np.sum(raw)
    labels = [f"i{k}" for k in range(len(raw))]
    result = ahp_weights(consistent_matrix(weights), labels)
    assert result.weights.to_numpy() == pytest.approx(weights, rel=1e-6, abs=1e-12)
    assert result.consistency_ratio == pytest.approx(0.0, abs=1e-9)
    assert result.lambda_max == pytest.approx(len(raw), rel=1e-9)
    assert result.weights.sum() == pytest.approx(1.0)


def test_ahp_refuses_non_reciprocal_naming_pair_and_values():
    matrix = [[1, 2, 4], [0.4, 1, 2], [1 / 4, 1 / 2, 1]]
    expected = r"not reciprocal.*a\['pop', 'dist'\] = 2 but a\['dist', 'pop'\] = 0\.4 \(should be 1/2"
    with pytest.raises(WeightsError, match=expected):
        ahp_weights(matrix, ["pop", "dist", "poverty"])


@pytest.mark.parametrize(
    "matrix", [[[1, 2, 3], [0.5, 1, 2]], [1, 2, 3], [[[1]]]], ids=["2x3", "vector", "3d"]
)
def test_ahp_refuses_non_square(matrix):
    with pytest.raises(WeightsError, match="square"):
        ahp_weights(matrix, ["a", "b", "c"])


def test_ahp_refuses_label_count_mismatch():
    with pytest.raises(WeightsError, match="2 × 2 but 3 indicator labels"):
        ahp_weights([[1, 2], [0.5, 1]], ["a", "b", "c"])


@pytest.mark.parametrize("bad", [0.0, -2.0, float("nan"), float("inf")])
def test_ahp_refuses_non_positive_entries_naming_pair(bad):
    matrix = [[1, bad], [0.5, 1]]
    with pytest.raises(WeightsError, match=r"positive number.*\('a', 'b'\)"):
        ahp_weights(matrix, ["a", "b"])


def test_ahp_refuses_diagonal_other_than_one():
    with pytest.raises(WeightsError, match=r"itself must be 1.*'b' = 2"):
        ahp_weights([[1, 2], [0.5, 2]], ["a", "b"])


def test_ahp_refuses_non_numeric_and_unlabelled():
    with pytest.raises(WeightsError, match="numbers only"):
        ahp_weights([["1", "x"], ["y", "1"]], ["a", "b"])
    with pytest.raises(WeightsError, match="labels are needed"):
        ahp_weights([[1, 2], [0.5, 1]])
    with pytest.raises(WeightsError, match="unique"):
        ahp_weights([[1, 2], [0.5, 1]], ["a", "a"])


def test_ahp_refuses_dataframe_missing_an_indicator():
    frame = pd.DataFrame([[1, 2], [0.5, 1]], index=["a", "b"], columns=["a", "b"])
    with pytest.raises(WeightsError, match="no row or column for 'c'"):
        ahp_weights(frame, ["a", "c"])


def test_ahp_refuses_more_than_fifteen_indicators():
    weights = np.arange(1, 17, dtype=float)
    with pytest.raises(WeightsError, match="limited to 15"):
        ahp_weights(consistent_matrix(weights), [f"i{k}" for k in range(16)])


def inconsistent_matrix() -> np.ndarray:
    # Consistent with w = (.4, .3, .2, .1) except A vs D, reversed from 4 to 1/4.
    matrix = consistent_matrix(np.array([0.4, 0.3, 0.2, 0.1]))
    matrix[0, 3], matrix[3, 0] = 1 / 4, 4
    return matrix


def test_ahp_refuses_inconsistent_matrix_naming_worst_judgement():
    with pytest.raises(WeightsError) as caught:
        ahp_weights(inconsistent_matrix(), ["A", "B", "C", "D"])
    message = str(caught.value)
    assert "CR = 0.403 exceeds 0.1" in message
    # The reversed judgement comes first, with what the weights imply instead.
    first = message.split("Most inconsistent judgements:")[1].split(";")[0]
    assert "'A' over 'D': judged 1/4" in first
    assert "consistent with the weights ≈ 1/1.21" in first


def test_ahp_check_false_returns_inconsistent_result():
    result = ahp_weights(inconsistent_matrix(), ["A", "B", "C", "D"], check=False)
    assert result.consistency_ratio > 0.1
    assert tuple(result.judgements.loc[0, ["row", "column"]]) == ("A", "D")
    assert result.weights.sum() == pytest.approx(1.0)


def test_ahp_threshold_is_adjustable():
    result = ahp_weights(inconsistent_matrix(), ["A", "B", "C", "D"], max_cr=0.5)
    assert result.consistency_ratio == pytest.approx(0.4026, abs=1e-4)
    with pytest.raises(WeightsError, match="exceeds 0.05"):
        ahp_weights(NATIONS_MATRIX, NATIONS, max_cr=0.05)


def test_ahp_result_is_frozen():
    result = ahp_weights([[1, 3], [1 / 3, 1]], ["a", "b"])
    with pytest.raises(AttributeError):
        result.consistency_ratio = 1.0  # type: ignore[misc]


# --- group AHP ----------------------------------------------------------------

INDICATORS = ["population", "distance", "poverty", "internet"]
# Four provincial views, each consistent with its own weights.
PROVINCE_WEIGHTS = {
    "Sistan-Baluchestan": np.array([0.2, 0.4, 0.3, 0.1]),  # deprived
    "Kohgiluyeh": np.array([0.25, 0.35, 0.3, 0.1]),  # deprived
    "Tehran": np.array([0.5, 0.1, 0.1, 0.3]),  # privileged
    "Isfahan": np.array([0.4, 0.2, 0.1, 0.3]),  # privileged
}


def province_matrices() -> dict[str, np.ndarray]:
    return {name: consistent_matrix(w) for name, w in PROVINCE_WEIGHTS.items()}


def test_group_ahp_of_consistent_views_is_the_geometric_mean_of_weights():
    # The geometric mean of matrices w_k,i / w_k,j is g_i / g_j with g the
    # geometric mean of the weight vectors: group weights = g / sum(g).
    result = group_ahp(province_matrices(), INDICATORS)
    stacked = np.stack(list(PROVINCE_WEIGHTS.values()))
    geometric = np.exp(np.log(stacked).mean(axis=0))
    assert result.weights.to_numpy() == pytest.approx(geometric / geometric.sum())
    assert result.group.consistency_ratio == pytest.approx(0.0, abs=1e-9)
    for name, weights in PROVINCE_WEIGHTS.items():
        assert result.individual[name].weights.to_numpy() == pytest.approx(weights)
        assert result.stakeholder_weights.loc[name].to_numpy() == pytest.approx(weights)


def test_group_ahp_reports_disagreement():
    result = group_ahp(province_matrices(), INDICATORS)
    group = result.weights.to_numpy()
    by_stakeholder = result.by_stakeholder
    assert list(by_stakeholder.index) == list(PROVINCE_WEIGHTS)
    for name, weights in PROVINCE_WEIGHTS.items():
        gaps = np.abs(weights - group)
        assert by_stakeholder.loc[name, "distance"] == pytest.approx(np.sqrt((gaps**2).sum()))
        assert by_stakeholder.loc[name, "max_difference"] == pytest.approx(gaps.max())
        assert by_stakeholder.loc[name, "max_difference_indicator"] == INDICATORS[int(gaps.argmax())]
    by_indicator = result.by_indicator
    assert list(by_indicator.index) == INDICATORS
    population = [w[0] for w in PROVINCE_WEIGHTS.values()]
    assert by_indicator.loc["population", "min"] == pytest.approx(0.2)
    assert by_indicator.loc["population", "range"] == pytest.approx(0.3)
    assert by_indicator.loc["population", "std"] == pytest.approx(np.std(population))
    assert by_indicator.loc["population", "cv"] == pytest.approx(np.std(population) / np.mean(population))
    # Deprived provinces stress distance, privileged ones population: distance splits them most.
    assert by_indicator["range"].idxmax() in {"population", "distance"}


def test_group_ahp_of_identical_views_has_no_disagreement():
    matrices = {"a": NATIONS_MATRIX, "b": NATIONS_MATRIX}
    result = group_ahp(matrices, NATIONS)
    assert result.by_stakeholder["distance"].tolist() == pytest.approx([0, 0], abs=1e-12)
    assert result.by_indicator["std"].tolist() == pytest.approx([0] * 7, abs=1e-12)
    alone = ahp_weights(NATIONS_MATRIX, NATIONS)
    assert result.group.consistency_ratio == pytest.approx(alone.consistency_ratio)


def test_group_ahp_aggregate_is_reciprocal_element_wise_geometric_mean():
    matrices = {"a": NATIONS_MATRIX, "b": consistent_matrix(np.arange(1, 8.0))}
    result = group_ahp(matrices, NATIONS)
    aggregate = result.group.matrix.to_numpy()
    expected = np.sqrt(np.asarray(NATIONS_MATRIX) * consistent_matrix(np.arange(1, 8.0)))
    assert aggregate == pytest.approx(expected)
    assert aggregate * aggregate.T == pytest.approx(np.ones((7, 7)))


def test_group_ahp_accepts_dataframes_in_any_order():
    frames = {
        name: pd.DataFrame(m, index=INDICATORS, columns=INDICATORS) for name, m in province_matrices().items()
    }
    frames["Tehran"] = frames["Tehran"].loc[INDICATORS[::-1], INDICATORS[::-1]]
    result = group_ahp(frames)
    expected = group_ahp(province_matrices(), INDICATORS)
    pd.testing.assert_series_equal(result.weights, expected.weights)


def test_group_ahp_names_the_stakeholder_with_an_invalid_matrix():
    matrices = province_matrices()
    matrices["Tehran"] = matrices["Tehran"].copy()
    matrices["Tehran"][0, 1] = 7.0
    with pytest.raises(WeightsError, match=r"Stakeholder 'Tehran': .*not reciprocal"):
        group_ahp(matrices, INDICATORS)


def test_group_ahp_names_the_inconsistent_stakeholder_unless_unchecked():
    matrices = province_matrices()
    matrices["Isfahan"] = inconsistent_matrix()
    with pytest.raises(WeightsError, match=r"Stakeholder 'Isfahan': .*too inconsistent"):
        group_ahp(matrices, INDICATORS)
    result = group_ahp(matrices, INDICATORS, check=False)
    assert result.by_stakeholder.loc["Isfahan", "consistency_ratio"] == pytest.approx(0.4026, abs=1e-4)
    assert result.by_stakeholder.loc["Tehran", "consistency_ratio"] == pytest.approx(0.0, abs=1e-9)


def test_group_ahp_refuses_no_matrices_and_mismatched_sizes():
    with pytest.raises(WeightsError, match="No stakeholder matrices"):
        group_ahp({}, INDICATORS)
    with pytest.raises(WeightsError, match="Stakeholder 'small'"):
        group_ahp({"big": consistent_matrix(np.ones(4)), "small": consistent_matrix(np.ones(3))}, INDICATORS)
