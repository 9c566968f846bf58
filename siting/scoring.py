"""Scores: indicators → normalisation → weights → composite score, rank, tier, need.

:func:`score_units` is the one entry point: it computes the scenario's
indicators for the units of the planning level, normalises them honouring each
indicator's direction, derives the weights (direct, ranks, AHP, group AHP),
combines them by weighted sum or TOPSIS, ranks and tiers the units, derives the
need (target offices from standards against existing offices) and runs the
seeded weight-sensitivity analysis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from siting import mcda
from siting.catalogue import Indicator, load_catalogue
from siting.data.dataset import Dataset
from siting.errors import ScenarioError
from siting.indicators import BUILTINS, SPECULATIVE, existing_offices
from siting.scenario import Scenario, did_you_mean
from siting.weights import ahp_weights, direct_weights, group_ahp, rank_order_centroid, rank_sum


@dataclass(frozen=True)
class ScoreResult:
    """Everything a scoring run produces, aligned on the level's units."""

    level: str
    units: pd.DataFrame  # unit_code, names, province_code, populations, geometry columns
    raw: pd.DataFrame  # indicator values, by indicator id
    normalized: pd.DataFrame
    weights: pd.DataFrame  # indicator, label_fa, label_en, weight, method, cr
    scores: pd.DataFrame  # the scores.csv table
    sensitivity: pd.DataFrame
    filled: dict[str, int]  # indicator id -> number of missing values filled with the median
    group_ahp: pd.DataFrame | None = None  # each stakeholder's weights and the spread per indicator


def planning_level(dataset: Dataset, requested: str = "auto") -> str:
    """The level to score and plan at: the data's own choice unless the scenario names one."""
    if requested != "auto":
        if requested not in dataset.levels:
            raise ScenarioError(f"level '{requested}' is not in the data (it has {dataset.levels})")
        return requested
    return dataset.metadata.get("plan_level") or dataset.levels[-1]


def compute_indicators(dataset: Dataset, units: pd.DataFrame, catalogue: dict[str, Indicator], ids: list[str], params: dict[str, dict]) -> pd.DataFrame:
    """Raw indicator values for ``units`` (one column per indicator id)."""
    columns = {}
    for indicator_id in ids:
        indicator = catalogue[indicator_id]
        if indicator.column is not None:
            if indicator.column not in units:
                raise ScenarioError(f"indicator '{indicator_id}' reads column '{indicator.column}', which the units table does not have")
            columns[indicator_id] = pd.to_numeric(units[indicator.column], errors="coerce")
        else:
            merged = {**indicator.params, **params.get(indicator_id, {})}
            columns[indicator_id] = BUILTINS[indicator.compute](dataset, units, merged).astype(float)
    return pd.DataFrame(columns, index=units.index)


def derive_weights(scenario: Scenario, catalogue: dict[str, Indicator], ids: list[str]) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Weights per indicator and, for group AHP, each stakeholder's weights and disagreement."""
    settings = scenario.weights
    cr = np.nan
    group_table = None
    if settings.method == "direct":
        weights = direct_weights(settings.values)
    elif settings.method in ("rank_order_centroid", "rank_sum"):
        ranks = settings.ranks or {i: catalogue[i].rank for i in ids if catalogue[i].rank is not None}
        missing = [i for i in ids if i not in ranks]
        if missing:
            raise ScenarioError(f"no rank for indicator(s) {missing}: set weights.ranks in the scenario or 'rank' in the catalogue")
        ranks = {i: ranks[i] for i in ids}
        weights = rank_order_centroid(ranks) if settings.method == "rank_order_centroid" else rank_sum(ranks)
    elif settings.method == "ahp":
        result = ahp_weights(settings.ahp.matrix, settings.ahp.indicators, max_cr=settings.ahp.max_cr)
        weights, cr = result.weights, result.consistency_ratio
    else:
        result = group_ahp(settings.ahp.stakeholders, settings.ahp.indicators, max_cr=settings.ahp.max_cr)
        weights, cr = result.group.weights, result.group.consistency_ratio
        # stakeholder_weights is stakeholder × indicator: one row per indicator, beside its spread
        group_table = result.stakeholder_weights.T.join(result.by_indicator)
    unknown = sorted(set(weights.index) - set(ids))
    unweighted = sorted(set(ids) - set(weights.index))
    if unknown or unweighted:
        raise ScenarioError(
            "weights and indicators disagree: "
            + (f"weights for indicators not in the scenario: {unknown}. " if unknown else "")
            + (f"indicators with no weight: {unweighted}." if unweighted else "")
        )
    weights = weights.reindex(ids)
    table = pd.DataFrame({
        "indicator": ids,
        "label_fa": [catalogue[i].label_fa for i in ids],
        "label_en": [catalogue[i].label_en for i in ids],
        "direction": [catalogue[i].direction for i in ids],
        "weight": weights.to_numpy(),
        "method": settings.method,
        "cr": cr,
    })
    return table, group_table


def need(dataset: Dataset, units: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Target offices from the standards, existing offices and the gap (negative: saturated)."""
    standards = scenario.need
    # Half up, as a planner rounds (numpy's round goes to the even number).
    target_urban = np.floor(units["pop_urban"].to_numpy(float) / standards.urban_residents_per_office + 0.5)
    target_rural = np.floor(units["pop_rural"].to_numpy(float) / standards.rural_residents_per_office + 0.5)
    populated = units["pop_total"].to_numpy(float) > 0
    # Every populated unit needs a minimum, placed where its people mostly live.
    shortfall = np.where(populated, np.maximum(standards.min_target_per_unit - (target_urban + target_rural), 0), 0)
    rural_heavy = units["pop_rural"].to_numpy(float) > units["pop_urban"].to_numpy(float)
    target_rural = target_rural + np.where(rural_heavy, shortfall, 0)
    target_urban = target_urban + np.where(rural_heavy, 0, shortfall)
    existing_urban = existing_offices(dataset, units, "urban").to_numpy()
    existing_rural = existing_offices(dataset, units, "rural").to_numpy()
    out = pd.DataFrame({
        "target_urban": target_urban.astype(int),
        "target_rural": target_rural.astype(int),
        "existing_urban": existing_urban.astype(int),
        "existing_rural": existing_rural.astype(int),
    }, index=units.index)
    out["target_offices"] = out["target_urban"] + out["target_rural"]
    out["existing_offices"] = out["existing_urban"] + out["existing_rural"]
    out["gap"] = out["target_offices"] - out["existing_offices"]
    return out


def score_units(dataset: Dataset, scenario: Scenario) -> ScoreResult:
    """Score the units of the planning level under a scenario (see the module docstring)."""
    catalogue = load_catalogue(scenario.catalogue)
    ids = list(scenario.indicators)
    unknown = [i for i in ids if i not in catalogue]
    if unknown:
        hints = "".join(did_you_mean(i, list(catalogue), f"; '{i}': ", "") for i in unknown)
        raise ScenarioError(f"indicator(s) {unknown} are not in the catalogue{hints}; known: {sorted(catalogue)}")
    speculative = [i for i in ids if catalogue[i].speculative or i in SPECULATIVE]
    if speculative and not scenario.allow_speculative_indicators:
        raise ScenarioError(
            f"indicator(s) {speculative} measure demand for licences, not need for offices: scoring on them would "
            "reward speculation. Remove them, or set allow_speculative_indicators: true to override explicitly."
        )
    level = planning_level(dataset, scenario.level if scenario.level != "auto" else scenario.plan.level)
    units = dataset.level(level)
    raw = compute_indicators(dataset, units, catalogue, ids, scenario.indicator_params)
    filled = {}
    for column in raw.columns:
        missing = raw[column].isna() | ~np.isfinite(raw[column])
        if not missing.any():
            continue
        if scenario.missing_values == "refuse" or missing.all():
            codes = units.loc[missing, "unit_code"].head(5).tolist()
            raise ScenarioError(f"indicator '{column}' has no value for {int(missing.sum())} unit(s), e.g. {codes}")
        # Median filling keeps a unit with an unknown value in the middle rather than at an extreme.
        raw.loc[missing, column] = raw.loc[~missing, column].median()
        filled[column] = int(missing.sum())
    direction = {i: catalogue[i].direction for i in ids}
    standards = {i: scenario.standards.get(i, catalogue[i].standard) for i in ids}
    if scenario.normalization == "standard":
        lacking = [i for i, s in standards.items() if s is None]
        if lacking:
            raise ScenarioError(f"standard-based normalisation needs a standard for {lacking} (catalogue 'standard' or scenario 'standards')")
    indexed = raw.set_axis(units["unit_code"].to_numpy())
    normalized = mcda.normalize(indexed, scenario.normalization, direction, standards if scenario.normalization == "standard" else None)
    weights, group_table = derive_weights(scenario, catalogue, ids)
    weight_series = weights.set_index("indicator")["weight"]
    if scenario.aggregation == "weighted_sum":
        score = mcda.weighted_sum(normalized, weight_series)
    else:
        score = mcda.topsis(indexed, weight_series, direction)
    rank = mcda.rank_scores(score)
    tier = mcda.tiers(score, method=scenario.tiers.method, k=scenario.tiers.k)
    needs = need(dataset, units, scenario)
    sensitivity = mcda.weight_sensitivity(
        normalized, weight_series, top_k=min(scenario.sensitivity.top_k, len(units)),
        n_draws=scenario.sensitivity.draws, spread=scenario.sensitivity.spread, seed=scenario.sensitivity.seed,
    ) if scenario.sensitivity.draws > 0 else None
    table = pd.DataFrame({
        "unit_code": units["unit_code"].to_numpy(),
        "name_fa": units["name_fa"].to_numpy(),
        "name_en": units["name_en"].to_numpy(),
        "province_code": units["province_code"].to_numpy(),
        "pop_total": units["pop_total"].to_numpy(),
        "pop_urban": units["pop_urban"].to_numpy(),
        "pop_rural": units["pop_rural"].to_numpy(),
    })
    for i in ids:
        table[i] = normalized[i].to_numpy()
    for i in ids:
        table[f"raw_{i}"] = raw[i].to_numpy()
    table["score"] = score.to_numpy()
    table["rank"] = rank.to_numpy()
    table["tier"] = tier.to_numpy()
    for column in ("target_offices", "target_urban", "target_rural", "existing_offices", "existing_urban", "existing_rural", "gap"):
        table[column] = needs[column].to_numpy()
    if sensitivity is not None:
        table["top_k_share"] = sensitivity["top_k_share"].to_numpy()
        table["median_rank"] = sensitivity["median_rank"].to_numpy()
    return ScoreResult(level=level, units=units, raw=raw, normalized=normalized, weights=weights,
                       scores=table, sensitivity=sensitivity, filled=filled, group_ahp=group_table)
