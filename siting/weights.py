"""Indicator weights: given directly, derived from ranks, or from AHP judgements.

Every function returns weights as a ``pd.Series`` indexed by indicator name that
sums to 1. Ranks follow the committee's convention: 1 is the most important
indicator. AHP (Saaty's analytic hierarchy process) turns a pairwise comparison
matrix ``a[i, j]`` ("how many times more important is *i* than *j*", on Saaty's
1–9 scale) into weights and refuses judgements that contradict each other too
much; :func:`group_ahp` combines several stakeholders' matrices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from siting.errors import WeightsError

# Saaty's random consistency index RI for n = 1..15 criteria: the mean consistency
# index of random reciprocal matrices on the 1–9 scale (Saaty 1980, extended to
# n = 15 in later editions). Index 0 is n = 1.
SAATY_RANDOM_INDEX: tuple[float, ...] = (
    0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41,
    1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59,
)  # fmt: skip
DEFAULT_MAX_CR = 0.1
# Relative tolerance on a[i, j] * a[j, i] == 1. Fractions typed to two decimals
# are off by up to 4 % (0.13 for 1/8); a mistyped judgement is off far more.
RECIPROCAL_TOLERANCE = 0.05
# How many offending entries an error message lists.
_LISTED = 5


# eq=False: field-wise == on pandas objects is ambiguous, so results compare by identity.
@dataclass(frozen=True, eq=False)
class AhpResult:
    """Weights derived from one pairwise comparison matrix.

    Attributes
    ----------
    weights
        Normalised principal eigenvector, indexed by indicator; sums to 1.
    matrix
        The comparison matrix as used, labelled on both axes.
    lambda_max
        Principal eigenvalue (equals n for a perfectly consistent matrix).
    consistency_index
        CI = (lambda_max - n) / (n - 1); 0 for n <= 2.
    random_index
        Saaty's RI for this n.
    consistency_ratio
        CR = CI / RI; 0 for n <= 2, where every reciprocal matrix is consistent.
    judgements
        One row per pair (``row`` over ``column``, upper triangle): the ``given``
        judgement, the one ``consistent`` with the weights (w_row / w_column) and
        ``factor`` = how many times they differ (>= 1). Sorted worst first.
    """

    weights: pd.Series
    matrix: pd.DataFrame
    lambda_max: float
    consistency_index: float
    random_index: float
    consistency_ratio: float
    judgements: pd.DataFrame


@dataclass(frozen=True, eq=False)
class GroupAhpResult:
    """Weights of a group of stakeholders, and how far they disagree.

    Attributes
    ----------
    group
        AHP result of the aggregated matrix (element-wise geometric mean of the
        stakeholders' judgements, AIJ).
    individual
        Each stakeholder's own AHP result, by stakeholder name.
    stakeholder_weights
        Stakeholders × indicators: each stakeholder's own weights.
    by_stakeholder
        Per stakeholder: ``consistency_ratio`` of its own matrix, ``distance``
        (Euclidean distance of its weights from the group weights),
        ``max_difference`` (largest absolute weight difference) and
        ``max_difference_indicator`` (where it occurs).
    by_indicator
        Per indicator: ``group_weight`` and the spread of the stakeholders'
        weights: ``min``, ``max``, ``range``, ``std`` (population) and ``cv``
        (std / mean).
    """

    group: AhpResult
    individual: Mapping[str, AhpResult]
    stakeholder_weights: pd.DataFrame
    by_stakeholder: pd.DataFrame
    by_indicator: pd.DataFrame

    @property
    def weights(self) -> pd.Series:
        """The group weights (shortcut for ``group.weights``)."""
        return self.group.weights


def _listing(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_LISTED])
    more = len(items) - _LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def _numeric_series(mapping: Mapping[str, float] | pd.Series, what: str) -> pd.Series:
    """Indicator → number as a float Series; refuses empty, non-numeric, non-finite."""
    series = pd.Series(mapping, dtype=object) if not isinstance(mapping, pd.Series) else mapping
    if series.empty:
        raise WeightsError(f"No {what}s given: at least one indicator is needed.")
    if series.index.has_duplicates:
        twice = series.index[series.index.duplicated()].unique()
        raise WeightsError(f"Indicator(s) given more than one {what}: {_listing([repr(i) for i in twice])}.")
    numbers = pd.to_numeric(series, errors="coerce").astype(float)
    bad = ~np.isfinite(numbers.to_numpy())
    if bad.any():
        shown = [f"{name!r} = {series[name]!r}" for name in series.index[bad]]
        raise WeightsError(f"The {what} of every indicator must be a finite number; got {_listing(shown)}.")
    return numbers


def direct_weights(mapping: Mapping[str, float] | pd.Series) -> pd.Series:
    """Weights given directly by the planner, normalised to sum 1.

    Parameters
    ----------
    mapping
        Indicator → non-negative weight, on any scale (e.g. percentages).

    Raises
    ------
    WeightsError
        If a weight is negative or not a number, or all weights are zero.
    """
    weights = _numeric_series(mapping, "weight")
    negative = weights[weights < 0]
    if not negative.empty:
        shown = [f"{name!r} = {value:g}" for name, value in negative.items()]
        raise WeightsError(f"Weights cannot be negative: {_listing(shown)}.")
    total = weights.sum()
    if total <= 0:
        raise WeightsError("All weights are zero: at least one indicator needs a positive weight.")
    return (weights / total).rename("weight")


def _weights_from_ranks(ranks: Mapping[str, float] | pd.Series, positional: np.ndarray) -> pd.Series:
    """Give each indicator the positional weight of its rank, averaging over ties.

    Tied indicators occupy a block of consecutive positions; each gets the mean
    of the block's positional weights, so the total stays 1.
    """
    numbers = _numeric_series(ranks, "rank")
    below_one = numbers[numbers < 1]
    if not below_one.empty:
        shown = [f"{name!r} = {value:g}" for name, value in below_one.items()]
        raise WeightsError(f"Ranks start at 1 (the most important indicator); got {_listing(shown)}.")
    first = numbers.rank(method="min").to_numpy(dtype=int)
    last = numbers.rank(method="max").to_numpy(dtype=int)
    cumulative = np.concatenate([[0.0], np.cumsum(positional)])
    block_mean = (cumulative[last] - cumulative[first - 1]) / (last - first + 1)
    return pd.Series(block_mean, index=numbers.index, name="weight")


def rank_order_centroid(ranks: Mapping[str, float] | pd.Series) -> pd.Series:
    """Rank-order centroid (ROC) weights: w_i = (1/n) * sum_{k=i..n} 1/k.

    Only the order of the ranks matters (1 = most important; gaps are closed).
    Tied indicators share the mean ROC weight of the positions they span, e.g.
    ranks 1, 2, 2 give w = 0.611, 0.194, 0.194.

    Raises
    ------
    WeightsError
        If a rank is below 1 or not a number, or no rank is given.
    """
    n = len(ranks)
    inverse = 1.0 / np.arange(1, n + 1)
    positional = np.cumsum(inverse[::-1])[::-1] / max(n, 1)
    return _weights_from_ranks(ranks, positional)


def rank_sum(ranks: Mapping[str, float] | pd.Series) -> pd.Series:
    """Rank-sum weights: w_i = 2 (n + 1 - i) / (n (n + 1)).

    Ranks and ties are handled as in :func:`rank_order_centroid`.

    Raises
    ------
    WeightsError
        If a rank is below 1 or not a number, or no rank is given.
    """
    n = len(ranks)
    position = np.arange(1, n + 1)
    positional = 2.0 * (n + 1 - position) / max(n * (n + 1), 1)
    return _weights_from_ranks(ranks, positional)


def _format_judgement(value: float) -> str:
    """Show a judgement as Saaty writes it: 5, or 1/5 for its reciprocal."""
    if value >= 1 or f"{1 / value:.3g}" == "1":
        return f"{value:.3g}"
    return f"1/{1 / value:.3g}"


def _comparison_matrix(
    matrix: ArrayLike | pd.DataFrame, labels: Sequence[str] | None
) -> tuple[np.ndarray, list[str]]:
    """Validate a pairwise comparison matrix; return it as floats with its labels."""
    if labels is not None and len(set(labels)) != len(labels):
        raise WeightsError(f"Indicator labels must be unique; got {list(labels)}.")
    if isinstance(matrix, pd.DataFrame):
        labels = list(matrix.columns) if labels is None else list(labels)
        if len(set(labels)) != len(labels):
            raise WeightsError(f"Indicator labels must be unique; got {labels}.")
        missing = [f"{name!r}" for name in labels if name not in matrix.index or name not in matrix.columns]
        if missing:
            raise WeightsError(f"The comparison matrix has no row or column for {_listing(missing)}.")
        if matrix.shape != (len(labels), len(labels)):
            raise WeightsError(
                f"The comparison matrix must have exactly one row and one column per indicator "
                f"({len(labels)}); it is {matrix.shape[0]} × {matrix.shape[1]}."
            )
        matrix = matrix.loc[labels, labels]
    if labels is None:
        raise WeightsError(
            "Indicator labels are needed for a comparison matrix given without row/column names."
        )
    labels = [str(name) for name in labels]
    try:
        values = np.asarray(matrix, dtype=float)
    except (TypeError, ValueError) as error:
        raise WeightsError(f"The comparison matrix must hold numbers only ({error}).") from error
    if values.ndim != 2 or values.shape[0] != values.shape[1]:
        shape = " × ".join(str(size) for size in values.shape)
        raise WeightsError(f"The comparison matrix must be square (n × n); its shape is {shape}.")
    n = values.shape[0]
    if n == 0:
        raise WeightsError("The comparison matrix is empty: at least one indicator is needed.")
    if n != len(labels):
        raise WeightsError(
            f"The comparison matrix is {n} × {n} but {len(labels)} indicator labels were given."
        )
    if n > len(SAATY_RANDOM_INDEX):
        raise WeightsError(
            f"AHP is limited to {len(SAATY_RANDOM_INDEX)} indicators (Saaty's random index table); "
            f"got {n}. Group the indicators into a hierarchy."
        )

    def pairs(mask: np.ndarray) -> list[str]:
        rows, cols = np.nonzero(mask)
        return [f"({labels[i]!r}, {labels[j]!r}) = {values[i, j]:g}" for i, j in zip(rows, cols)]

    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        raise WeightsError(f"Every judgement must be a positive number; got {_listing(pairs(bad))}.")
    off_diagonal = ~np.isclose(np.diag(values), 1.0, rtol=0, atol=RECIPROCAL_TOLERANCE)
    if off_diagonal.any():
        shown = [f"{labels[i]!r} = {values[i, i]:g}" for i in np.nonzero(off_diagonal)[0]]
        raise WeightsError(
            f"An indicator compared with itself must be 1; the diagonal has {_listing(shown)}."
        )
    product = values * values.T
    not_reciprocal = np.triu(np.abs(product - 1.0) > RECIPROCAL_TOLERANCE, k=1)
    if not_reciprocal.any():
        rows, cols = np.nonzero(not_reciprocal)
        shown = [
            f"a[{labels[i]!r}, {labels[j]!r}] = {values[i, j]:g} but a[{labels[j]!r}, {labels[i]!r}] = "
            f"{values[j, i]:g} (should be 1/{values[i, j]:g} = {1 / values[i, j]:.3g})"
            for i, j in zip(rows, cols)
        ]
        raise WeightsError(f"The comparison matrix is not reciprocal: {_listing(shown)}.")
    return values, labels


def _principal_eigen(values: np.ndarray) -> tuple[np.ndarray, float]:
    """Perron eigenvalue and eigenvector (normalised to sum 1) of a positive matrix."""
    eigenvalues, eigenvectors = np.linalg.eig(values)
    top = int(np.argmax(eigenvalues.real))
    vector = eigenvectors[:, top]
    # The Perron vector is real up to a complex phase; dividing by its sum removes it.
    vector = np.abs((vector / vector.sum()).real)
    return vector / vector.sum(), float(eigenvalues[top].real)


def _judgement_table(values: np.ndarray, weights: np.ndarray, labels: list[str]) -> pd.DataFrame:
    rows, cols = np.triu_indices(len(labels), k=1)
    given = values[rows, cols]
    consistent = weights[rows] / weights[cols]
    factor = np.exp(np.abs(np.log(given / consistent)))
    table = pd.DataFrame(
        {
            "row": np.asarray(labels, dtype=object)[rows],
            "column": np.asarray(labels, dtype=object)[cols],
            "given": given,
            "consistent": consistent,
            "factor": factor,
        }
    )
    return table.sort_values("factor", ascending=False, kind="stable").reset_index(drop=True)


def ahp_weights(
    matrix: ArrayLike | pd.DataFrame,
    labels: Sequence[str] | None = None,
    *,
    max_cr: float = DEFAULT_MAX_CR,
    check: bool = True,
) -> AhpResult:
    """Weights from a pairwise comparison matrix by Saaty's eigenvector method.

    Parameters
    ----------
    matrix
        n × n positive reciprocal matrix, ``a[i, j]`` = importance of indicator i
        over j. A DataFrame may carry the labels on both axes.
    labels
        Indicator names in matrix order (taken from a DataFrame's columns if
        omitted).
    max_cr
        Largest acceptable consistency ratio (Saaty's customary 0.1).
    check
        If False, an inconsistent matrix is returned rather than refused.

    Raises
    ------
    WeightsError
        If the matrix is not square, has a non-positive entry, a diagonal entry
        other than 1 or a pair that is not reciprocal (within 5 %), has more than
        15 indicators, or (when ``check``) its CR exceeds ``max_cr``; the last
        message names the most inconsistent judgements.
    """
    values, labels = _comparison_matrix(matrix, labels)
    n = len(labels)
    weights, lambda_max = _principal_eigen(values)
    random_index = SAATY_RANDOM_INDEX[n - 1]
    if n <= 2:
        consistency_index = consistency_ratio = 0.0
    else:
        # Round-off can put lambda_max a hair below n; CI < 0 has no meaning.
        consistency_index = max(0.0, (lambda_max - n) / (n - 1))
        consistency_ratio = consistency_index / random_index
    judgements = _judgement_table(values, weights, labels)
    if check and consistency_ratio > max_cr:
        worst = judgements.head(3)
        shown = "; ".join(
            f"{pair.row!r} over {pair.column!r}: judged {_format_judgement(pair.given)}, "
            f"consistent with the weights ≈ {_format_judgement(pair.consistent)}"
            for pair in worst.itertuples()
        )
        raise WeightsError(
            f"The AHP judgements are too inconsistent: consistency ratio CR = {consistency_ratio:.3f} "
            f"exceeds {max_cr:g} (lambda_max = {lambda_max:.3f}, n = {n}). "
            f"Most inconsistent judgements: {shown}. Revise these comparisons."
        )
    return AhpResult(
        weights=pd.Series(weights, index=labels, name="weight"),
        matrix=pd.DataFrame(values, index=labels, columns=labels),
        lambda_max=lambda_max,
        consistency_index=consistency_index,
        random_index=random_index,
        consistency_ratio=consistency_ratio,
        judgements=judgements,
    )


def group_ahp(
    matrices: Mapping[str, ArrayLike | pd.DataFrame],
    labels: Sequence[str] | None = None,
    *,
    max_cr: float = DEFAULT_MAX_CR,
    check: bool = True,
) -> GroupAhpResult:
    """Group weights from several stakeholders' comparison matrices (AIJ).

    The stakeholders' judgements are aggregated entry by entry with the
    geometric mean, which keeps the aggregate reciprocal; its eigenvector gives
    the group weights. Each stakeholder's own weights are reported beside them.

    Parameters
    ----------
    matrices
        Stakeholder name → comparison matrix over the same indicators.
    labels
        Indicator names in matrix order (taken from the first DataFrame's
        columns if omitted).
    max_cr, check
        As in :func:`ahp_weights`, applied to every stakeholder's matrix and to
        the aggregate.

    Raises
    ------
    WeightsError
        If no matrix is given, or a matrix is invalid or (when ``check``) too
        inconsistent; the message names the stakeholder.
    """
    if not matrices:
        raise WeightsError("No stakeholder matrices given: group AHP needs at least one.")
    if labels is None:
        first = next(iter(matrices.values()))
        if isinstance(first, pd.DataFrame):
            labels = list(first.columns)
    individual: dict[str, AhpResult] = {}
    for name, matrix in matrices.items():
        try:
            individual[name] = ahp_weights(matrix, labels, max_cr=max_cr, check=check)
        except WeightsError as error:
            raise WeightsError(f"Stakeholder {name!r}: {error}") from error
    labels = list(next(iter(individual.values())).weights.index)
    stacked = np.stack([result.matrix.to_numpy() for result in individual.values()])
    aggregate = np.exp(np.log(stacked).mean(axis=0))
    try:
        group = ahp_weights(aggregate, labels, max_cr=max_cr, check=check)
    except WeightsError as error:
        raise WeightsError(f"Group (geometric-mean) matrix: {error}") from error

    stakeholder_weights = pd.DataFrame(
        {name: result.weights for name, result in individual.items()}
    ).T.rename_axis(index="stakeholder", columns="indicator")
    differences = stakeholder_weights - group.weights
    absolute = differences.abs()
    by_stakeholder = pd.DataFrame(
        {
            "consistency_ratio": [result.consistency_ratio for result in individual.values()],
            "distance": np.sqrt((differences**2).sum(axis=1)).to_numpy(),
            "max_difference": absolute.max(axis=1).to_numpy(),
            "max_difference_indicator": absolute.idxmax(axis=1).to_numpy(),
        },
        index=stakeholder_weights.index,
    )
    spread = stakeholder_weights.std(axis=0, ddof=0)
    by_indicator = pd.DataFrame(
        {
            "group_weight": group.weights,
            "min": stakeholder_weights.min(axis=0),
            "max": stakeholder_weights.max(axis=0),
            "range": stakeholder_weights.max(axis=0) - stakeholder_weights.min(axis=0),
            "std": spread,
            "cv": spread / stakeholder_weights.mean(axis=0),
        }
    ).rename_axis(index="indicator")
    return GroupAhpResult(
        group=group,
        individual=MappingProxyType(individual),
        stakeholder_weights=stakeholder_weights,
        by_stakeholder=by_stakeholder,
        by_indicator=by_indicator,
    )
