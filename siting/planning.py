"""The plan: scores and needs → allocation integer programme → screened applications.

:func:`make_plan` turns a :class:`~siting.scoring.ScoreResult` into the inputs of
:func:`optimizer.plan_allocation`, solves it and derives everything
``amayesh plan`` writes: the allocation table, the moratorium list, every
application's decision, the register audit and the first-come-first-served
counterfactual.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer import AllocationInputs, AllocationResult, AllocationSettings, GapShareFloor, plan_allocation
from optimizer.binding import area_licences, unspent_facts
from optimizer.formulation import area_table, formulate
from siting.data.dataset import Dataset
from siting.errors import ScenarioError
from siting.indicators import ancestor_codes
from siting.notes import Note, note_text
from siting.scenario import PlanSettings, Scenario
from siting.scoring import ScoreResult
from siting.viability import MARKET_COLUMNS, unit_markets
from siting.speculation import (
    SPECULATIVE_REASONS,
    Rules,
    first_come_first_served,
    outcome_measures,
    reference_date,
    register_audit,
    screen_applications,
)


@dataclass(frozen=True)
class Plan:
    result: AllocationResult
    allocation: pd.DataFrame
    applications: pd.DataFrame
    moratorium: pd.DataFrame
    audit: pd.DataFrame
    headline: dict


def allocation_settings(plan: PlanSettings, scores: pd.DataFrame) -> AllocationSettings:
    """The optimiser's settings from a scenario's ``plan`` block."""
    floor = None
    if plan.province_floor is not None:
        rule = plan.province_floor
        if rule.mode == "explicit":
            if not rule.licences:
                raise ScenarioError("plan.province_floor: mode 'explicit' needs 'licences' by province code")
            floor = dict(rule.licences)
        else:
            provinces = rule.provinces
            if provinces is None:
                # The deprived tier's provinces: those holding most of the deprived units.
                deprived = scores[scores["tier"] == "deprived"]
                provinces = sorted(deprived["province_code"].value_counts().index[: max(1, scores["province_code"].nunique() // 3)])
            floor = GapShareFloor(provinces=frozenset(provinces), fraction=rule.fraction)
    return AllocationSettings(
        budget_licences=plan.budget_licences,
        budget_mode=plan.budget_mode,
        loan_budget_rials=plan.loan_budget_rials,
        cost_urban_rials=plan.cost_urban_rials,
        cost_rural_rials=plan.cost_rural_rials,
        saturation_slack=plan.saturation_slack,
        min_catchment_urban=plan.min_catchment_urban,
        min_catchment_rural=plan.min_catchment_rural,
        province_floor=floor,
        province_ceiling_share=plan.province_ceiling_share,
        rural_share_min=plan.rural_share_min,
        enforce_parks=plan.enforce_parks,
    )


def allocation_inputs(dataset: Dataset, scored: ScoreResult, plan: PlanSettings, markets: pd.DataFrame | None = None) -> AllocationInputs:
    """Per-unit arrays for the optimiser from the scores and the registers (and the viable offices of
    :func:`viability_limits` when the visits rule is used)."""
    table = scored.scores
    codes = table["unit_code"].to_numpy()
    unknown = sorted(set(plan.locks) - set(codes))
    if unknown:
        raise ScenarioError(f"plan.locks names units that are not {scored.level} units of the data: {unknown}")
    locked_urban = np.full(len(codes), np.nan)
    locked_rural = np.full(len(codes), np.nan)
    position = {code: i for i, code in enumerate(codes)}
    for code, lock in plan.locks.items():
        i = position[code]
        if lock.total is not None:
            if lock.urban is not None or lock.rural is not None:
                raise ScenarioError(f"plan.locks.{code}: give 'total' or 'urban'/'rural', not both")
            rural_first = table["pop_rural"].iloc[i] > table["pop_urban"].iloc[i]
            locked_rural[i], locked_urban[i] = (lock.total, 0) if rural_first else (0, lock.total)
        else:
            locked_urban[i] = lock.urban if lock.urban is not None else 0
            locked_rural[i] = lock.rural if lock.rural is not None else 0
    parks = np.zeros(len(codes), bool)
    if dataset.parks is not None and len(dataset.parks):
        park_units = set(ancestor_codes(dataset.units, dataset.parks["unit_code"], scored.level).dropna())
        parks = np.isin(codes, list(park_units))
    return AllocationInputs(
        unit_code=codes,
        province_code=table["province_code"].to_numpy(),
        score=need_weights(table["score"].to_numpy(float)),
        urban_population=table["pop_urban"].to_numpy(float),
        rural_population=table["pop_rural"].to_numpy(float),
        existing_urban=table["existing_urban"].to_numpy(int),
        existing_rural=table["existing_rural"].to_numpy(int),
        target_urban=table["target_urban"].to_numpy(float),
        target_rural=table["target_rural"].to_numpy(float),
        has_industrial_park=parks,
        locked_urban=locked_urban,
        locked_rural=locked_rural,
        viable_urban=None if markets is None else markets["viable_urban"].reindex(codes).to_numpy(float),
        viable_rural=None if markets is None else markets["viable_rural"].reindex(codes).to_numpy(float),
    )


def need_weights(scores: np.ndarray) -> np.ndarray:
    """Non-negative weights for the optimiser that keep the scores' order and differences.

    Scores from z-score normalisation can be negative; they are shifted so the
    lowest unit keeps a small positive weight (1 % of the score range), since a
    zero weight would leave its room unused while licences stay unspent.
    """
    low = scores.min() if len(scores) else 0.0
    if low >= 0:
        return scores
    spread = scores.max() - low
    return scores - low + 0.01 * (spread if spread > 0 else 1.0)


def caps(inputs: AllocationInputs, settings: AllocationSettings) -> pd.DataFrame:
    """Saturation cap and viability limit per unit and part, exactly as the optimiser applies them (its area table)."""
    areas = area_table(inputs, settings)
    table = pd.DataFrame({"unit": areas.unit_index, "kind": areas.kind, "cap": areas.cap_limit, "viable": areas.viability_limit})
    out = {}
    for value in ("cap", "viable"):
        wide = table.pivot(index="unit", columns="kind", values=value).reindex(range(len(inputs.unit_code)))
        out[f"{value}_urban"], out[f"{value}_rural"] = wide["urban"].to_numpy(), wide["rural"].to_numpy()
    return pd.DataFrame(out, index=inputs.unit_code)


def viability_limits(dataset: Dataset, scenario: Scenario, scored: ScoreResult) -> tuple[pd.DataFrame | None, Note]:
    """The market-based viable offices per unit and part (``plan.viability_rule: visits``), and the rule as a note.

    Returns ``(None, note)`` under the residents rule: the optimiser then applies the minimum catchments.
    """
    plan = scenario.plan
    if plan.viability_rule == "residents":
        return None, Note("viability_residents", {"urban": plan.min_catchment_urban or 0, "rural": plan.min_catchment_rural or 0})

    d = scenario.site.decay
    markets = unit_markets(dataset, scored.scores, scored.level, d.rule(),
                           list(plan.viability_networks), plan.visits_per_resident, plan.min_visits_urban,
                           plan.min_visits_rural)
    note = Note("viability_visits", {"visits_per_resident": plan.visits_per_resident, "networks": list(plan.viability_networks),
                                     "decay": d.kind, "cutoff_km": d.cutoff_km, "min_urban": plan.min_visits_urban,
                                     "min_rural": plan.min_visits_rural,
                                     "median_share": float(np.median(markets["counter_share"]))})
    return markets, note


def make_plan(dataset: Dataset, scenario: Scenario, scored: ScoreResult) -> Plan:
    """Solve the allocation and screen applications; see the module docstring."""
    plan = scenario.plan
    notes = []
    if plan.rural_share_min and scored.scores["pop_rural"].sum() == 0:
        # The embedded default has no rural population: a rural share cannot be met there.
        plan = plan.model_copy(update={"rural_share_min": None})
        notes.append(Note("rural_share_off"))
    if dataset.metadata.get("converted_offices"):
        from siting.conversion import licences_no_longer_needed

        counts = dataset.metadata["converted_offices"]
        filled = licences_no_longer_needed(dataset, scored.scores, scored.level)
        notes.append(Note("converted", {"total": sum(counts.values()), "networks": dict(counts),
                                        "urban": filled["urban"], "rural": filled["rural"]}))
    markets, viability_note = viability_limits(dataset, scenario, scored)
    notes.append(viability_note)
    inputs = allocation_inputs(dataset, scored, plan, markets)
    if scored.scores["score"].min() < 0:
        notes.append(Note("scores_shifted"))
    settings = allocation_settings(plan, scored.scores)
    result = plan_allocation(inputs, settings, solver=plan.solver, time_limit=plan.time_limit_seconds,
                             mip_gap=plan.mip_gap if plan.mip_gap is not None else 1e-9, threads=1)
    if not result.has_plan:
        raise ScenarioError(f"no plan: the solver stopped with status '{result.status}' before finding a feasible plan; "
                            "raise plan.time_limit_seconds")
    table = scored.scores.set_index("unit_code")
    cap = caps(inputs, settings).reindex(table.index)
    saturated_urban = table["existing_urban"] >= cap["cap_urban"]
    saturated_rural = table["existing_rural"] >= cap["cap_rural"]
    saturated = saturated_urban & saturated_rural
    new_urban = result.new_urban if result.new_urban is not None else result.new_total
    new_rural = result.new_rural if result.new_rural is not None else np.zeros_like(result.new_total)
    allocation = table[["name_fa", "name_en", "province_code", "score", "rank", "tier", "existing_offices", "target_offices",
                        "gap", "existing_urban", "existing_rural", "target_urban", "target_rural", "pop_total", "pop_urban",
                        "pop_rural"]].copy()
    # The cap binds each part on its own: a total cap beside total offices reads as a breach wherever one
    # part is over its cap and the other still takes licences, so the parts are kept beside the totals.
    allocation["cap_urban"] = cap["cap_urban"]
    allocation["cap_rural"] = cap["cap_rural"]
    allocation["cap"] = cap["cap_urban"] + cap["cap_rural"]
    allocation["viable_urban"] = cap["viable_urban"]
    allocation["viable_rural"] = cap["viable_rural"]
    if markets is not None:
        allocation = allocation.join(markets[list(MARKET_COLUMNS)])
    allocation["moratorium"] = saturated
    allocation["moratorium_urban"] = saturated_urban
    allocation["moratorium_rural"] = saturated_rural
    allocation["new_licences"] = result.new_total
    allocation["new_urban"] = new_urban
    allocation["new_rural"] = new_rural

    rules = Rules(plan.no_transfer_years, plan.open_within_months, plan.licence_years)
    today = reference_date(dataset.offices, dataset.applications)
    moratorium_codes = {(code, "urban") for code in table.index[saturated_urban]} | {
        (code, "rural") for code in table.index[saturated_rural]}
    applications = dataset.applications if dataset.applications is not None else pd.DataFrame(
        columns=["application_id", "applicant_hash", "unit_code", "setting", "application_date", "veteran", "education", "resident_unit_code"])
    applications = applications.assign(plan_unit=ancestor_codes(dataset.units, applications["unit_code"], scored.level).to_numpy())
    screened = screen_applications(applications, allocation, dataset.offices, moratorium_codes, rules, today)
    counts = screened.groupby("plan_unit")["decision"].value_counts().unstack(fill_value=0)
    allocation["applications"] = screened["plan_unit"].value_counts().reindex(allocation.index).fillna(0).astype(int)
    allocation["applications_fitting"] = counts.get("granted", pd.Series(dtype=int)).reindex(allocation.index).fillna(0).astype(int)
    allocation["applications_speculative"] = screened.loc[screened["speculative"], "plan_unit"].value_counts().reindex(allocation.index).fillna(0).astype(int)
    offices_after = allocation["existing_offices"] + allocation["new_licences"]
    allocation["population_per_office_after"] = (allocation["pop_total"] / offices_after.replace(0, np.nan)).round(0)

    parts = []
    for part, flag in (("urban", saturated_urban), ("rural", saturated_rural)):
        rows = table.loc[flag, ["name_fa", "name_en", "province_code"]].copy()
        rows["setting"] = part
        rows["existing_offices"] = table.loc[flag, f"existing_{part}"]
        rows["target_offices"] = table.loc[flag, f"target_{part}"]
        rows["cap"] = cap.loc[flag, f"cap_{part}"]
        parts.append(rows)
    moratorium = pd.concat(parts).rename_axis("unit_code").reset_index().sort_values(["unit_code", "setting"], kind="stable")
    moratorium["reason"] = [f"{e} {p} offices already at or above the cap of {c:.0f} (target {t})" for e, p, c, t in
                            zip(moratorium["existing_offices"], moratorium["setting"], moratorium["cap"], moratorium["target_offices"])]
    audit = register_audit(dataset.offices, rules, today)

    licences = int(allocation["new_licences"].sum())
    if plan.budget_licences is not None and licences < plan.budget_licences:
        formulation = formulate(inputs, settings)
        notes.append(Note("unspent", unspent_facts(formulation, area_licences(formulation, result), plan.budget_licences)))
    plan_speculative = int(screened.loc[screened["decision"] == "granted", "speculative"].sum())
    fcfs = first_come_first_served(screened, licences)
    plan_independent = [f"flag_{name}" for name in SPECULATIVE_REASONS if name != "zero_allocation"]
    fcfs_speculative = int(fcfs[plan_independent].any(axis=1).sum())
    headline = {
        "reference_date": today.isoformat(),
        "notes": [note_text(note, "en") for note in notes],
        "notes_fa": [note_text(note, "fa") for note in notes],
        "plan": outcome_measures(allocation["new_urban"], allocation["new_rural"], allocation, moratorium_codes,
                                 plan_speculative),
        "fcfs": outcome_measures(_per_unit(fcfs, "urban"), _per_unit(fcfs, "rural"), allocation, moratorium_codes,
                                 fcfs_speculative),
        "applications": int(len(screened)),
        "applications_speculative": int(screened["speculative"].sum()),
        "applications_granted": int((screened["decision"] == "granted").sum()),
        "licences_without_applicant": int(licences - (screened["decision"] == "granted").sum()),
    }
    return Plan(result=result, allocation=allocation.reset_index(), applications=screened, moratorium=moratorium,
                audit=audit, headline=headline)


def _per_unit(applications: pd.DataFrame, setting: str) -> pd.Series:
    return applications.loc[applications["setting"].fillna("urban") == setting, "plan_unit"].value_counts()
