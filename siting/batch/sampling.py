"""Seeded samples that stay valid: Latin hypercubes, Dirichlet weights, perturbed AHP judgements.

Weights that sum to 1 are not independent inputs, so they are never sampled one by one
(SALib #610): a Dirichlet draw keeps them on the simplex, and perturbed AHP judgements are
redrawn until Saaty's consistency ratio is within the scenario's limit.
"""

from __future__ import annotations

import numpy as np

from siting.errors import ScenarioError
from siting.scenario import Scenario

# Judgements and weights are rounded so the scenario YAML stays readable and ids do not hang
# on the last bit of a float.
_DECIMALS = 6


def latin_hypercube(ranges: dict[str, tuple[float, float]], n: int, seed: int) -> list[dict[str, float | int]]:
    """``n`` Latin-hypercube points over ``ranges`` (name → (low, high)); integer bounds give integers.

    Uses :class:`scipy.stats.qmc.LatinHypercube` with ``seed``; integers are rounded half up
    within the bounds.
    """
    from scipy.stats import qmc

    names = list(ranges)
    low = np.array([ranges[k][0] for k in names], dtype=float)
    high = np.array([ranges[k][1] for k in names], dtype=float)
    unit = qmc.LatinHypercube(d=len(names), seed=np.random.default_rng(seed)).random(n)
    points = qmc.scale(unit, low, high)
    integer = np.array([float(ranges[k][0]).is_integer() and float(ranges[k][1]).is_integer() for k in names])
    points = np.where(integer, np.clip(np.floor(points + 0.5), low, high), np.round(points, _DECIMALS))
    return [{name: (int(v) if integer[j] else float(v)) for j, (name, v) in enumerate(zip(names, row))} for row in points]


def base_weights(scenario: Scenario) -> "np.ndarray":
    """The base scenario's weights, in indicator order, as :func:`siting.scoring.derive_weights` derives them."""
    from siting.catalogue import load_catalogue
    from siting.scoring import derive_weights

    table, _ = derive_weights(scenario, load_catalogue(scenario.catalogue), list(scenario.indicators))
    return table["weight"].to_numpy(float)


def dirichlet_weights(scenario: Scenario, n: int, concentration: float, seed: int, where: str) -> list[dict]:
    """``n`` direct-weight overrides drawn from Dirichlet(concentration × base weights).

    The mean of the draws is the committee's weights; ``concentration`` sets how close the
    draws stay to them (variance of w_i ≈ w_i (1 − w_i) / (concentration + 1)).
    """
    from siting.errors import WeightsError

    try:
        centre = base_weights(scenario)
    except (WeightsError, ScenarioError) as exc:
        raise ScenarioError(f"{where}: the base scenario's weights cannot be derived: {exc}") from None
    # A zero weight would make a degenerate Dirichlet parameter; a tiny floor keeps it near zero.
    alpha = concentration * np.maximum(centre, 1e-6)
    draws = np.random.default_rng(seed).dirichlet(alpha, size=n)
    draws = np.round(draws, _DECIMALS)
    draws = draws / draws.sum(axis=1, keepdims=True)
    ids = list(scenario.indicators)
    return [{"weights.method": "direct",
             "weights.values": {i: round(float(w), _DECIMALS) for i, w in zip(ids, row)}} for row in draws]


def _perturb(matrix: np.ndarray, spread: float, rng: np.random.Generator) -> np.ndarray:
    """Multiply each upper judgement by exp(N(0, spread)), keep Saaty's 1/9..9 scale, mirror reciprocally."""
    n = len(matrix)
    rows, cols = np.triu_indices(n, k=1)
    upper = np.clip(matrix[rows, cols] * np.exp(rng.normal(0.0, spread, len(rows))), 1 / 9, 9)
    upper = np.round(upper, 4)
    out = np.ones_like(matrix, dtype=float)
    out[rows, cols] = upper
    out[cols, rows] = np.round(1.0 / upper, 4)
    return out


def _consistent_draw(matrix: np.ndarray, labels: list[str], spread: float, max_cr: float, rng: np.random.Generator,
                     max_tries: int, where: str) -> np.ndarray:
    from siting.weights import ahp_weights

    for _ in range(max_tries):
        candidate = _perturb(matrix, spread, rng)
        if ahp_weights(candidate, labels, check=False).consistency_ratio <= max_cr:
            return candidate
    raise ScenarioError(f"{where}: no perturbed matrix within the consistency limit (CR ≤ {max_cr:g}) after {max_tries} "
                        "draws: lower 'spread' or revise the base judgements")


def perturbed_ahp(scenario: Scenario, n: int, spread: float, seed: int, max_tries: int, where: str) -> list[dict]:
    """``n`` overrides of the AHP judgements (one matrix, or every stakeholder's), each under ``ahp.max_cr``.

    Raises
    ------
    ScenarioError
        If the base does not weigh by AHP, or no consistent draw is found within ``max_tries``.
    """
    settings = scenario.weights
    if settings.method not in ("ahp", "group_ahp") or settings.ahp is None:
        raise ScenarioError(f"{where}: the base scenario weighs by '{settings.method}'; perturbed judgements need weights.method 'ahp' or 'group_ahp'")
    ahp = settings.ahp
    rng = np.random.default_rng(seed)
    labels = list(ahp.indicators)
    out = []
    for _ in range(n):
        if ahp.matrix is not None:
            matrix = _consistent_draw(np.asarray(ahp.matrix, float), labels, spread, ahp.max_cr, rng, max_tries, where)
            out.append({"weights.ahp.matrix": matrix.tolist()})
        else:
            out.append({"weights.ahp.stakeholders": {
                name: _consistent_draw(np.asarray(m, float), labels, spread, ahp.max_cr, rng, max_tries, f"{where} ({name})").tolist()
                for name, m in ahp.stakeholders.items()}})
    return out


def stakeholder_scenarios(scenario: Scenario, where: str) -> list[tuple[str, dict]]:
    """One override per stakeholder: weigh by that stakeholder's own AHP matrix alone."""
    ahp = scenario.weights.ahp
    if scenario.weights.method != "group_ahp" or ahp is None or not ahp.stakeholders:
        raise ScenarioError(f"{where}: stakeholder scenarios need a base with weights.method 'group_ahp' and ahp.stakeholders")
    return [(name, {"weights.method": "ahp", "weights.ahp.matrix": [list(map(float, row)) for row in matrix],
                    "weights.ahp.stakeholders": None}) for name, matrix in ahp.stakeholders.items()]
