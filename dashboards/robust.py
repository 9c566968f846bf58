"""Robustness of a plan to the weights, from the scenario's seeded weight draws.

The draws are those :func:`siting.mcda.weight_sensitivity` uses for ``sensitivity.csv`` (same seed,
spread and Dirichlet method), regenerated here so that each can be re-scored and, on request,
re-planned.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from siting import mcda
from siting.pipeline import PlanRun
from siting.scenario import Scenario


def weight_draws(run: PlanRun, n: int | None = None) -> pd.DataFrame:
    """The scenario's seeded weight draws (draws × indicators), the first ``n`` of ``sensitivity.draws``."""
    settings = run.scenario.sensitivity
    weights = run.scored.weights.set_index("indicator")["weight"].astype(float)
    total = max(settings.draws, 1)
    rng = np.random.default_rng(settings.seed)
    draws = mcda._perturbed_weights(weights.to_numpy(), total, settings.spread, rng, "dirichlet")
    frame = pd.DataFrame(draws, columns=weights.index)
    return frame.head(n) if n is not None else frame


def draw_ranks(run: PlanRun, draws: pd.DataFrame) -> pd.DataFrame:
    """Rank of every unit under every draw (draws × units), weighted sum of the normalised indicators."""
    normalized = run.scored.normalized[list(draws.columns)]
    scores = draws.to_numpy() @ normalized.to_numpy().T
    order = np.argsort(-scores, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, scores.shape[1] + 1)[None, :], axis=1)
    return pd.DataFrame(ranks, columns=normalized.index)


def rank_acceptability(run: PlanRun, top: int = 10, positions: int = 10) -> pd.DataFrame:
    """Share of draws in which each of the ``top`` counties holds rank 1…``positions`` (rows: counties)."""
    ranks = draw_ranks(run, weight_draws(run))
    leaders = run.scored.scores.sort_values("rank").head(top)["unit_code"].tolist()
    table = pd.DataFrame({f"{p}": (ranks[leaders] == p).mean(axis=0).to_numpy() for p in range(1, positions + 1)}, index=leaders)
    table[f">{positions}"] = 1 - table.sum(axis=1)
    return table


def critical_indicator(run: PlanRun, top: int = 10, resolution: float = 0.01) -> pd.DataFrame:
    """Per indicator: the smallest relative change of its weight (others renormalised) that changes the top-``top`` set.

    Sorted most critical first (smallest change); ``inf`` when no change up to ±100 % does it.
    """
    normalized = run.scored.normalized
    base = run.scored.weights.set_index("indicator")["weight"].astype(float)
    values = normalized[list(base.index)].to_numpy()

    def top_set(w: np.ndarray) -> frozenset:
        scores = values @ (w / w.sum())
        return frozenset(np.argsort(-scores, kind="stable")[:top])

    reference = top_set(base.to_numpy())
    steps = np.arange(resolution, 1.0 + 1e-9, resolution)
    rows = []
    for i, name in enumerate(base.index):
        found = (np.inf, 0)
        for step in steps:
            for sign in (-1, 1):
                w = base.to_numpy().copy()
                w[i] *= 1 + sign * step
                if w[i] < 0 or w.sum() <= 0:
                    continue
                if top_set(w) != reference:
                    found = (float(step), sign)
                    break
            if np.isfinite(found[0]):
                break
        rows.append({"indicator": name, "relative_change": found[0], "direction": found[1], "weight": float(base[name])})
    return pd.DataFrame(rows).sort_values("relative_change", kind="stable", ignore_index=True)


def licence_probability(run: PlanRun, n: int, replan: Callable[[Scenario], pd.DataFrame | None],
                        progress: Callable[[float], None] | None = None) -> pd.DataFrame:
    """Re-plan the first ``n`` seeded weight draws: per unit the share of draws giving it licences, and mean licences.

    ``replan(scenario)`` returns an allocation table (None when a draw has no plan; such draws are counted in
    ``draws_without_plan`` and left out of the shares).
    """
    from dashboards.explain import with_weights

    draws = weight_draws(run, n)
    codes = run.plan.allocation["unit_code"]
    received = pd.Series(0.0, index=codes)
    licences = pd.Series(0.0, index=codes)
    planned = 0
    for k, (_, weights) in enumerate(draws.iterrows()):
        table = replan(with_weights(run.scenario, weights.to_dict()))
        if progress:
            progress((k + 1) / len(draws))
        if table is None:
            continue
        planned += 1
        counts = table.set_index("unit_code")["new_licences"].reindex(codes).fillna(0)
        received += (counts > 0).astype(float)
        licences += counts
    out = pd.DataFrame({"probability": received / max(planned, 1), "mean_licences": licences / max(planned, 1)})
    out.attrs["draws"] = int(len(draws))
    out.attrs["draws_without_plan"] = int(len(draws) - planned)
    return out.rename_axis("unit_code").reset_index()
