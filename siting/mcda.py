"""Composite need scores from indicator values: normalise, weight, rank, tier.

Units (counties, settlements) are rows and indicators are columns. Every score
here measures *need*: a higher score means a unit deserves new licences more.
An indicator's direction says how it relates to need: ``"benefit"`` means more
of it means more need (a higher score), ``"cost"`` means more of it means less.
Missing values are refused, never imputed: the planner decides how to fill them.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Literal

import mapclassify
import numpy as np
import pandas as pd

from siting.errors import WeightsError
from siting.weights import direct_weights

Direction = Literal["benefit", "cost"]
NormalizeMethod = Literal["minmax", "zscore", "standard"]
TierMethod = Literal["quantiles", "natural_breaks"]
PerturbMethod = Literal["dirichlet", "uniform"]
DEFAULT_TIER_LABELS = ("privileged", "middle", "deprived")
# How many offending cells or names an error message lists.
_LISTED = 5


def _listing(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_LISTED])
    more = len(items) - _LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def _indicator_values(values: pd.DataFrame, indicators: Sequence[str], given_for: str) -> pd.DataFrame:
    """The indicator columns as finite floats; ``given_for`` names what lists the indicators.

    Raises WeightsError for a column missing on either side, a value that is not
    a number, or NaN/inf (naming the indicator and row labels).
    """
    missing = [f"{name!r}" for name in indicators if name not in values.columns]
    if missing:
        raise WeightsError(f"Indicator column(s) missing from the data: {_listing(missing)}.")
    listed = set(indicators)
    unlisted = [f"{name!r}" for name in values.columns if name not in listed]
    if unlisted:
        raise WeightsError(
            f"Column(s) with no {given_for}: {_listing(unlisted)}. Give one or drop the column."
        )
    if values.empty:
        raise WeightsError("The data has no rows: at least one unit is needed.")
    if values.index.has_duplicates:
        twice = [f"{label!r}" for label in values.index[values.index.duplicated()].unique()]
        raise WeightsError(f"Row labels must be unique; repeated: {_listing(twice)}.")
    numbers = values.apply(pd.to_numeric, errors="coerce").astype(float)
    bad = ~np.isfinite(numbers.to_numpy())
    if bad.any():
        rows, cols = np.nonzero(bad)
        shown = [
            f"{values.columns[j]!r} at row {values.index[i]!r} ({values.iat[i, j]!r})"
            for i, j in zip(rows, cols)
        ]
        raise WeightsError(
            "Indicator values must be finite numbers (missing values are not filled in): "
            f"{_listing(shown)}."
        )
    return numbers


def _benefit_mask(direction: Mapping[str, Direction], columns: pd.Index) -> np.ndarray:
    """True for benefit indicators, in column order; refuses unknown directions."""
    unknown = [f"{name!r} = {kind!r}" for name, kind in direction.items() if kind not in ("benefit", "cost")]
    if unknown:
        raise WeightsError(f"Direction must be 'benefit' or 'cost'; got {_listing(unknown)}.")
    return np.array([direction[name] == "benefit" for name in columns])


def _aligned_weights(weights: Mapping[str, float] | pd.Series, columns: pd.Index) -> np.ndarray:
    """Weights normalised to sum 1, in column order; every column needs one."""
    normalised = direct_weights(weights)
    missing = [f"{name!r}" for name in normalised.index if name not in columns]
    if missing:
        raise WeightsError(f"Indicator column(s) missing from the data: {_listing(missing)}.")
    unweighted = [f"{name!r}" for name in columns if name not in normalised.index]
    if unweighted:
        raise WeightsError(
            f"Column(s) with no weight: {_listing(unweighted)}. Give 0 to ignore an indicator."
        )
    return normalised.reindex(columns).to_numpy()


def normalize(
    values: pd.DataFrame,
    method: NormalizeMethod,
    direction: Mapping[str, Direction],
    standards: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Put indicators on a common need scale, higher = more need.

    Parameters
    ----------
    values
        Units × indicators; every column must appear in ``direction``.
    method
        ``"minmax"``: (x - min) / (max - min) for benefit, (max - x) / (max - min)
        for cost, in [0, 1]; a constant column maps to 0 (it tells units apart
        in nothing). ``"zscore"``: (x - mean) / std with the population std
        (ddof=0), negated for cost; a constant column maps to 0.
        ``"standard"``: share of the national standard, capped at 1: x / s for
        benefit, s / x for cost (a cost value of 0 meets any standard: 1).
    direction
        Indicator → ``"benefit"`` or ``"cost"``.
    standards
        Indicator → standard (positive); required for ``"standard"``, which
        also requires non-negative values.

    Raises
    ------
    WeightsError
        If an indicator is missing from ``values`` or ``direction`` (or
        ``standards``), a value is NaN or not a number (naming indicator and
        row), or the method is unknown.
    """
    numbers = _indicator_values(values, list(direction), "direction (benefit/cost)")
    benefit = _benefit_mask(direction, numbers.columns)
    x = numbers.to_numpy()
    if method == "minmax":
        low, high = x.min(axis=0), x.max(axis=0)
        span = high - low
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = np.where(benefit, x - low, high - x) / span
        result = np.where(span > 0, scaled, 0.0)
    elif method == "zscore":
        mean, std = x.mean(axis=0), x.std(axis=0, ddof=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(benefit, x - mean, mean - x) / std
        result = np.where(std > 0, z, 0.0)
    elif method == "standard":
        standard = _standards(standards, numbers)
        _refuse_negative(numbers, "Standard-based normalisation")
        # s / x overflows to inf for a tiny cost value; the cap makes that 1.
        with np.errstate(divide="ignore", over="ignore"):
            share = np.where(benefit, x / standard, standard / x)
        result = np.minimum(np.where(~benefit & (x == 0), 1.0, share), 1.0)
    else:
        raise WeightsError(f"Unknown normalisation method {method!r}; use 'minmax', 'zscore' or 'standard'.")
    return pd.DataFrame(result, index=numbers.index, columns=numbers.columns)


def _refuse_negative(numbers: pd.DataFrame, needed_by: str) -> None:
    """Ratio-based methods need non-negative values; name each offending cell."""
    rows, cols = np.nonzero(numbers.to_numpy() < 0)
    if len(rows):
        shown = [
            f"{numbers.columns[j]!r} at row {numbers.index[i]!r} ({numbers.iat[i, j]:g})"
            for i, j in zip(rows, cols)
        ]
        raise WeightsError(f"{needed_by} needs non-negative indicator values: {_listing(shown)}.")


def _standards(standards: Mapping[str, float] | None, numbers: pd.DataFrame) -> np.ndarray:
    """Standards in column order; each must be a positive finite number."""
    if standards is None:
        raise WeightsError(
            "Standard-based normalisation needs a standard for every indicator; none were given."
        )
    missing = [f"{name!r}" for name in numbers.columns if name not in standards]
    if missing:
        raise WeightsError(f"No standard given for indicator(s): {_listing(missing)}.")
    given = pd.Series({name: standards[name] for name in numbers.columns}, dtype=object)
    standard = pd.to_numeric(given, errors="coerce").astype(float)
    invalid = ~(standard > 0) | ~np.isfinite(standard)
    bad = [f"{name!r} = {given[name]!r}" for name in standard.index[invalid]]
    if bad:
        raise WeightsError(f"Standards must be positive numbers: {_listing(bad)}.")
    return standard.to_numpy(dtype=float)


def weighted_sum(normalized: pd.DataFrame, weights: Mapping[str, float] | pd.Series) -> pd.Series:
    """Composite score: sum of weight × normalised value (weights rescaled to sum 1).

    Raises
    ------
    WeightsError
        If a weighted indicator is missing from the data, a column has no
        weight, a weight is invalid or a value is NaN.
    """
    normalised_weights = direct_weights(weights)
    numbers = _indicator_values(normalized, list(normalised_weights.index), "weight")
    w = normalised_weights.reindex(numbers.columns).to_numpy()
    return pd.Series(numbers.to_numpy() @ w, index=numbers.index, name="score")


def topsis(
    values: pd.DataFrame,
    weights: Mapping[str, float] | pd.Series,
    direction: Mapping[str, Direction],
) -> pd.Series:
    """TOPSIS closeness coefficient (Hwang & Yoon 1981), in [0, 1], higher = more need.

    Values are vector-normalised (x / sqrt(sum x²) per indicator), weighted, and
    each unit's Euclidean distances to the ideal (best on every indicator: max
    for benefit, min for cost) and anti-ideal are combined as
    d⁻ / (d⁺ + d⁻). A unit that is both ideal and anti-ideal (all weighted
    indicators constant) gets 0.5. Values must be non-negative: vector
    normalisation assumes a ratio scale.

    Raises
    ------
    WeightsError
        As :func:`normalize` and :func:`weighted_sum`, or for a negative value.
    """
    numbers = _indicator_values(values, list(direction), "direction (benefit/cost)")
    benefit = _benefit_mask(direction, numbers.columns)
    w = _aligned_weights(weights, numbers.columns)
    x = numbers.to_numpy()
    _refuse_negative(numbers, "TOPSIS")
    norm = np.sqrt((x**2).sum(axis=0))
    weighted = np.divide(x, norm, out=np.zeros_like(x), where=norm > 0) * w
    best, worst = weighted.max(axis=0), weighted.min(axis=0)
    ideal = np.where(benefit, best, worst)
    anti_ideal = np.where(benefit, worst, best)
    to_ideal = np.sqrt(((weighted - ideal) ** 2).sum(axis=1))
    to_anti_ideal = np.sqrt(((weighted - anti_ideal) ** 2).sum(axis=1))
    total = to_ideal + to_anti_ideal
    closeness = np.divide(to_anti_ideal, total, out=np.full_like(total, 0.5), where=total > 0)
    return pd.Series(closeness, index=numbers.index, name="closeness")


def _finite_scores(scores: pd.Series) -> np.ndarray:
    if scores.empty:
        raise WeightsError("No scores given: at least one unit is needed.")
    if scores.index.has_duplicates:
        twice = [f"{label!r}" for label in scores.index[scores.index.duplicated()].unique()]
        raise WeightsError(f"Unit labels must be unique; repeated: {_listing(twice)}.")
    numbers = pd.to_numeric(scores, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(numbers)
    if bad.any():
        shown = [repr(label) for label in scores.index[bad]]
        raise WeightsError(f"Scores must be finite numbers; missing or invalid for {_listing(shown)}.")
    return numbers


def _label_positions(index: pd.Index) -> np.ndarray:
    """Position of each label in ascending label order (the tie-break)."""
    positions = np.empty(len(index), dtype=int)
    positions[index.argsort()] = np.arange(len(index))
    return positions


def rank_scores(scores: pd.Series) -> pd.Series:
    """Rank units by score: 1 = highest score = most need.

    Ties are broken deterministically by index label, ascending, so every unit
    has a distinct rank 1..n and reruns give the same order.

    Raises
    ------
    WeightsError
        If a score is NaN or the index repeats a label.
    """
    numbers = _finite_scores(scores)
    order = np.lexsort((_label_positions(scores.index), -numbers))
    ranks = np.empty(len(numbers), dtype=int)
    ranks[order] = np.arange(1, len(numbers) + 1)
    return pd.Series(ranks, index=scores.index, name="rank")


def tiers(
    scores: pd.Series,
    method: TierMethod = "quantiles",
    k: int = 3,
    labels: Sequence[str] = DEFAULT_TIER_LABELS,
) -> pd.Series:
    """Group units into ``k`` tiers by class breaks on their scores.

    ``labels`` run from the lowest scores to the highest, so by default the
    highest-need units are ``"deprived"``. ``"quantiles"`` puts about n/k units
    in each tier (mapclassify.Quantiles); ``"natural_breaks"`` uses the exact
    Fisher–Jenks optimum (mapclassify.FisherJenks) rather than the randomised
    NaturalBreaks, so results never depend on a seed; it costs O(k n²), about
    a quarter of a second for 430 counties. Equal scores always share a tier.

    Returns
    -------
    pd.Series
        Ordered categorical of tier labels, indexed like ``scores``.

    Raises
    ------
    WeightsError
        If ``labels`` do not match ``k``, a score is NaN, or tied scores leave
        fewer than ``k`` distinct classes.
    """
    if k < 2:
        raise WeightsError(f"At least 2 tiers are needed; got k = {k}.")
    if len(labels) != k or len(set(labels)) != k:
        raise WeightsError(f"Give {k} distinct tier labels (lowest score first); got {list(labels)}.")
    numbers = _finite_scores(scores)
    distinct = len(np.unique(numbers))
    if distinct < k:
        raise WeightsError(f"Cannot form {k} tiers from {distinct} distinct score(s); use fewer tiers.")
    with warnings.catch_warnings():
        # mapclassify warns when ties merge quantile breaks (checked below) and
        # when numba is absent (FisherJenks then runs in pure Python, still exact).
        warnings.filterwarnings("ignore", message="Not enough unique values", category=UserWarning)
        warnings.filterwarnings("ignore", message="Numba not installed", category=UserWarning)
        if method == "quantiles":
            classifier = mapclassify.Quantiles(numbers, k=k)
        elif method == "natural_breaks":
            classifier = mapclassify.FisherJenks(numbers, k=k)
        else:
            raise WeightsError(f"Unknown tier method {method!r}; use 'quantiles' or 'natural_breaks'.")
    if len(classifier.bins) < k:
        raise WeightsError(
            f"Tied scores leave only {len(classifier.bins)} distinct quantile classes, not {k}; "
            "use 'natural_breaks' or fewer tiers."
        )
    codes = np.asarray(classifier.yb, dtype=int)
    tier = pd.Categorical.from_codes(codes, categories=list(labels), ordered=True)
    return pd.Series(tier, index=scores.index, name="tier")


def _perturbed_weights(
    weights: np.ndarray, n_draws: int, spread: float, rng: np.random.Generator, method: PerturbMethod
) -> np.ndarray:
    """n_draws × indicators weight vectors around ``weights``, each summing to 1.

    Zero weights stay zero: an indicator left out by the committee is not
    brought back by noise.
    """
    draws = np.tile(weights, (n_draws, 1))
    positive = weights > 0
    if spread == 0 or positive.sum() < 2:
        return draws  # renormalising a single positive weight always gives it back
    if method == "dirichlet":
        # Dirichlet(c·w) has mean w and Var(w_i) = w_i (1 - w_i) / (c + 1); choose
        # c so that the weights' coefficient of variation averages ``spread``.
        w = weights[positive]
        mean_cv_at_c0 = np.sqrt((1 - w) / w).mean()
        concentration = (mean_cv_at_c0 / spread) ** 2 - 1
        if concentration <= 0:
            raise WeightsError(
                f"spread = {spread:g} is too large for these weights; with Dirichlet draws it must be "
                f"below {mean_cv_at_c0:.3g}."
            )
        draws[:, positive] = rng.dirichlet(concentration * w, size=n_draws)
    elif method == "uniform":
        if spread >= 1:
            raise WeightsError(
                f"With uniform noise spread must be below 1 (weights stay positive); got {spread:g}."
            )
        noisy = weights * rng.uniform(1 - spread, 1 + spread, size=(n_draws, len(weights)))
        draws = noisy / noisy.sum(axis=1, keepdims=True)
    else:
        raise WeightsError(f"Unknown perturbation method {method!r}; use 'dirichlet' or 'uniform'.")
    return draws


def weight_sensitivity(
    normalized: pd.DataFrame,
    weights: Mapping[str, float] | pd.Series,
    top_k: int,
    n_draws: int = 1000,
    spread: float = 0.2,
    seed: int = 0,
    method: PerturbMethod = "dirichlet",
) -> pd.DataFrame:
    """How robust each unit's weighted-sum rank is to uncertain weights.

    Draws ``n_draws`` weight vectors around ``weights`` and rescores every unit
    for each. ``method="dirichlet"`` draws from a Dirichlet centred exactly on
    the weights, with a concentration chosen so that the perturbed weights'
    coefficient of variation averages ``spread``; ``method="uniform"``
    multiplies each weight by an independent U(1 - spread, 1 + spread) factor
    and renormalises. Zero weights stay zero. Ranks break ties as
    :func:`rank_scores` does.

    Returns
    -------
    pd.DataFrame
        Per unit (same index): ``score`` and ``rank`` with the given weights,
        ``top_k_share`` (share of draws with rank <= top_k), ``median_rank``,
        ``rank_p05`` and ``rank_p95`` (5th and 95th percentiles of the rank,
        taken as observed ranks, i.e. the inverted-CDF quantile).

    Raises
    ------
    WeightsError
        As :func:`weighted_sum`, or for ``top_k`` outside 1..units, ``n_draws``
        below 1, a negative ``spread`` or one too large for the method.
    """
    normalised_weights = direct_weights(weights)
    numbers = _indicator_values(normalized, list(normalised_weights.index), "weight")
    w = normalised_weights.reindex(numbers.columns).to_numpy()
    base_scores = pd.Series(numbers.to_numpy() @ w, index=numbers.index, name="score")
    n_units = len(numbers)
    if not 1 <= top_k <= n_units:
        raise WeightsError(f"top_k must be between 1 and the number of units ({n_units}); got {top_k}.")
    if n_draws < 1:
        raise WeightsError(f"n_draws must be at least 1; got {n_draws}.")
    if not spread >= 0:
        raise WeightsError(f"spread must be zero or positive; got {spread}.")
    rng = np.random.default_rng(seed)
    draws = _perturbed_weights(w, n_draws, spread, rng, method)
    # Columns in ascending label order, so a stable sort breaks ties by label.
    by_label = numbers.index.argsort()
    scores = draws @ numbers.to_numpy()[by_label].T
    order = np.argsort(-scores, axis=1, kind="stable")
    ranks_by_label = np.empty_like(order)
    np.put_along_axis(ranks_by_label, order, np.arange(1, n_units + 1)[np.newaxis, :], axis=1)
    ranks = np.empty_like(ranks_by_label)
    ranks[:, by_label] = ranks_by_label
    p05, median, p95 = np.quantile(ranks, [0.05, 0.5, 0.95], axis=0, method="inverted_cdf")
    return pd.DataFrame(
        {
            "score": base_scores,
            "rank": rank_scores(base_scores),
            "top_k_share": (ranks <= top_k).mean(axis=0),
            "median_rank": median.astype(int),
            "rank_p05": p05.astype(int),
            "rank_p95": p95.astype(int),
        },
        index=numbers.index,
    )
