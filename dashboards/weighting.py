"""Weights editing helpers: AHP matrices from the upper triangle, live consistency, the judgements that
most reduce an inconsistent matrix's CR, and several stakeholders' aggregate.

Weights and consistency come from :mod:`siting.weights` (Saaty's eigenvector, group AHP by AIJ).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from siting.weights import AhpResult, ahp_weights, group_ahp

SAATY = (1 / 9, 1 / 8, 1 / 7, 1 / 6, 1 / 5, 1 / 4, 1 / 3, 1 / 2, 1, 2, 3, 4, 5, 6, 7, 8, 9)


def saaty_label(value: float) -> str:
    """``5`` or ``1/5``."""
    return f"{value:g}" if value >= 1 else f"1/{1 / value:g}"


def parse_judgement(text: str) -> float:
    """A judgement typed as ``3``, ``1/3``, ``0.25`` (Persian digits accepted); ValueError otherwise."""
    from siting.text import normalize_digits

    cleaned = normalize_digits(str(text)).strip().replace("٫", ".").replace("÷", "/")
    if "/" in cleaned:
        top, bottom = cleaned.split("/", 1)
        value = float(top) / float(bottom)
    else:
        value = float(cleaned)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"'{text}' is not a positive judgement")
    return value


def matrix_from_upper(indicators: list[str], upper: dict[tuple[str, str], float]) -> list[list[float]]:
    """The full reciprocal matrix from judgements ``a[i, j]`` for i before j (missing pairs: 1)."""
    n = len(indicators)
    values = np.ones((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            value = float(upper.get((indicators[i], indicators[j]), 1.0))
            values[i, j], values[j, i] = value, 1 / value
    return values.tolist()


def upper_from_matrix(indicators: list[str], matrix: list[list[float]] | None) -> dict[tuple[str, str], float]:
    """The upper triangle of a matrix as ``{(row, column): judgement}``."""
    n = len(indicators)
    out = {}
    for i in range(n):
        for j in range(i + 1, n):
            out[(indicators[i], indicators[j])] = float(matrix[i][j]) if matrix is not None else 1.0
    return out


def consistency(indicators: list[str], matrix: list[list[float]]) -> AhpResult:
    """AHP weights and CR of a matrix, not refused when inconsistent (for the live display)."""
    return ahp_weights(matrix, indicators, check=False)


def improving_judgements(indicators: list[str], matrix: list[list[float]], top: int = 3) -> pd.DataFrame:
    """Judgements whose revision most reduces CR: per pair, CR after setting it to the Saaty value nearest
    to what the other judgements imply (w_i / w_j), best first.
    """
    base = consistency(indicators, matrix)
    values = np.asarray(matrix, dtype=float)
    weights = base.weights.reindex(indicators).to_numpy()
    rows = []
    n = len(indicators)
    for i in range(n):
        for j in range(i + 1, n):
            implied = weights[i] / weights[j]
            candidate = min(SAATY, key=lambda s: abs(np.log(s) - np.log(implied)))
            if np.isclose(candidate, values[i, j]):
                continue
            trial = values.copy()
            trial[i, j], trial[j, i] = candidate, 1 / candidate
            cr = consistency(indicators, trial.tolist()).consistency_ratio
            rows.append({"row": indicators[i], "column": indicators[j], "given": saaty_label(values[i, j]),
                         "suggested": saaty_label(candidate), "cr_after": cr, "cr_reduction": base.consistency_ratio - cr})
    table = pd.DataFrame(rows, columns=["row", "column", "given", "suggested", "cr_after", "cr_reduction"])
    return table.sort_values("cr_reduction", ascending=False, kind="stable").head(top).reset_index(drop=True)


def aggregate(indicators: list[str], matrices: dict[str, list[list[float]]]):
    """Group AHP of several stakeholders (geometric mean of judgements), inconsistent ones kept for display."""
    return group_ahp(matrices, indicators, check=False)
