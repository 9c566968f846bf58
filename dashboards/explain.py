"""Why this county: score contributions, offices, targets and caps, the binding constraint, and the
smallest change of one weight that changes its allocation.

The binding constraint is read from the optimiser's own formulation
(:func:`optimizer.formulation.formulate` on :func:`siting.planning.allocation_inputs`), so the
explanation names exactly the rows the solver saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from optimizer.formulation import EQ, GE, LE, formulate
from siting.pipeline import PlanRun
from siting.planning import allocation_inputs, allocation_settings
from siting.scenario import Scenario
from siting.text import to_persian_digits

GROUP_WORDS = {
    "budget": ("the national licence budget is spent: other counties' need came first",
               "بودجه ملی مجوز تمام شده است: نیاز شهرستان‌های دیگر مقدم بود"),
    "loan_budget": ("the loan budget is spent", "بودجه وام تمام شده است"),
    "saturation_cap": ("its saturation cap (existing + new ≤ target × (1 + slack))",
                       "سقف اشباع آن (موجود + جدید ≤ هدف × (۱ + حاشیه))"),
    "viability": ("its minimum catchment (residents per office)", "حداقل جمعیت هر دفتر (پایداری)"),
    "province_floor": ("its province's floor", "کف استانی"),
    "province_ceiling": ("its province's ceiling (share of the budget)", "سقف استانی (سهم از بودجه)"),
    "industrial_parks": ("the industrial-park rule (at least one office)", "قاعده شهرک صنعتی (دست‌کم یک دفتر)"),
    "rural_share": ("the national minimum rural share", "حداقل سهم روستایی ملی"),
    "locked": ("a committee lock", "قفل کارگروه"),
}


def contributions(run: PlanRun, unit_code: str) -> pd.DataFrame:
    """Per indicator: raw value, normalised value, weight and contribution (weight × normalised) to the score."""
    scores = run.scored.scores.set_index("unit_code")
    row = scores.loc[unit_code]
    weights = run.scored.weights.set_index("indicator")
    out = pd.DataFrame({
        "indicator": weights.index,
        "label_fa": weights["label_fa"].to_numpy(),
        "label_en": weights["label_en"].to_numpy(),
        "raw": [float(row[f"raw_{i}"]) for i in weights.index],
        "normalized": [float(row[i]) for i in weights.index],
        "weight": weights["weight"].to_numpy(float),
    })
    out["contribution"] = out["weight"] * out["normalized"]
    out["share"] = out["contribution"] / out["contribution"].sum() if out["contribution"].sum() else 0.0
    return out.sort_values("contribution", ascending=False, ignore_index=True)


@dataclass(frozen=True)
class Binding:
    """The constraint rows tight at a unit's allocation."""

    groups: tuple[str, ...]  # tight groups touching this unit, most specific first
    rows: pd.DataFrame  # group, row, part, activity, rhs, sense


def _new_by_area(run: PlanRun, areas) -> np.ndarray:
    allocation = run.plan.allocation.set_index("unit_code")
    codes = run.scored.scores["unit_code"].to_numpy()
    urban = allocation["new_urban"].reindex(codes).to_numpy(float)
    rural = allocation["new_rural"].reindex(codes).to_numpy(float)
    total = allocation["new_licences"].reindex(codes).to_numpy(float)
    return np.where(areas.kind == "urban", urban[areas.unit_index],
                    np.where(areas.kind == "rural", rural[areas.unit_index], total[areas.unit_index]))


def binding(run: PlanRun, unit_code: str) -> Binding:
    """Which constraint groups are tight for ``unit_code`` in the plan (cap, viability, floor, ceiling, budget…)."""
    plan = run.scenario.plan
    if plan.rural_share_min and run.scored.scores["pop_rural"].sum() == 0:
        plan = plan.model_copy(update={"rural_share_min": None})
    # The plan's own viability limits (the visits rule's come from the siting layer, recorded in the allocation).
    markets = run.plan.allocation.set_index("unit_code")[["viable_urban", "viable_rural"]] if plan.viability_rule == "visits" else None
    inputs = allocation_inputs(run.dataset, run.scored, plan, markets)
    settings = allocation_settings(plan, run.scored.scores)
    formulation = formulate(inputs, settings)
    areas = formulation.areas
    new = _new_by_area(run, areas)
    unit = int(np.flatnonzero(inputs.unit_code == unit_code)[0])
    mine = np.flatnonzero(areas.unit_index == unit)
    rows = []
    for group in formulation.groups:
        touching = np.unique(group.entry_row[np.isin(group.entry_area, mine)])
        if not len(touching):
            continue
        activity = group.activity(new)
        for r in touching:
            lhs, rhs, sense = float(activity[r]), float(group.row_rhs[r]), int(group.row_sense[r])
            tight = abs(lhs - rhs) < 0.5 if sense in (LE, GE, EQ) else False
            if tight:
                areas_in_row = group.entry_area[group.entry_row == r]
                part = ",".join(sorted(set(areas.kind[np.intersect1d(areas_in_row, mine)])))
                rows.append({"group": group.name, "row": str(group.row_label[r]), "part": part, "activity": lhs, "rhs": rhs,
                             "sense": {LE: "≤", GE: "≥", EQ: "="}[sense]})
    table = pd.DataFrame(rows, columns=["group", "row", "part", "activity", "rhs", "sense"])
    order = ["locked", "saturation_cap", "viability", "industrial_parks", "province_floor", "province_ceiling",
             "loan_budget", "rural_share", "budget"]
    groups = tuple(g for g in order if g in set(table["group"]))
    return Binding(groups, table)


def unit_facts(run: PlanRun, unit_code: str) -> dict:
    """Existing urban/rural offices, targets, caps, new licences and rank of one unit."""
    scores = run.scored.scores.set_index("unit_code").loc[unit_code]
    allocation = run.plan.allocation.set_index("unit_code").loc[unit_code]
    # Caps and viability limits as the optimiser applied them (planning.caps), whatever the rule.
    cap_u, cap_r = allocation["cap_urban"], allocation["cap_rural"]
    via_u, via_r = allocation["viable_urban"], allocation["viable_rural"]
    return {
        "name_fa": scores["name_fa"], "name_en": scores["name_en"], "province_code": scores["province_code"],
        "score": float(scores["score"]), "rank": int(scores["rank"]), "tier": str(scores["tier"]),
        "pop_urban": float(scores["pop_urban"]), "pop_rural": float(scores["pop_rural"]),
        "urban": {"existing": int(scores["existing_urban"]), "target": int(scores["target_urban"]), "cap": float(cap_u),
                  "viability": float(via_u), "new": int(allocation["new_urban"])},
        "rural": {"existing": int(scores["existing_rural"]), "target": int(scores["target_rural"]), "cap": float(cap_r),
                  "viability": float(via_r), "new": int(allocation["new_rural"])},
        "new_licences": int(allocation["new_licences"]),
        "moratorium": bool(allocation["moratorium"]),
    }


def binding_words(found: Binding, facts: dict, lang: str = "en") -> list[str]:
    """The binding constraints in plain words."""
    if not found.groups:
        if lang == "fa":
            return ["هیچ قیدی برای این شهرستان فعال نیست: تخصیص آن را تابع هدف (نیاز با بازده نزولی) تعیین کرده است."]
        return ["No constraint is tight for this county: its allocation is where the need-weighted benefit "
                "(with diminishing returns) put it."]
    words = []
    for group in found.groups:
        en, fa = GROUP_WORDS[group]
        rows = found.rows[found.rows["group"] == group]
        detail = "; ".join(f"{r.row}: {r.activity:g} {r.sense} {r.rhs:g}" for r in rows.head(3).itertuples())
        if lang == "fa":
            words.append(f"{fa} ({to_persian_digits(detail)})")
        else:
            words.append(f"{en} ({detail})")
    return words


def with_weights(scenario: Scenario, weights: dict[str, float]) -> Scenario:
    """The scenario with direct weights ``weights`` and no Monte Carlo (for quick re-plans)."""
    raw = scenario.model_dump(mode="json")
    raw["weights"] = {"method": "direct", "values": {k: float(v) for k, v in weights.items()}}
    raw["sensitivity"] = {**raw["sensitivity"], "draws": 0}
    from siting.scenario import validate_scenario

    return validate_scenario(raw, "dashboard")


STEPS = (0.05, 0.1, 0.25, 0.5, 1.0)


def smallest_weight_change(run: PlanRun, unit_code: str, replan: Callable[[Scenario], pd.DataFrame | None],
                           steps: tuple[float, ...] = STEPS, refine: int = 2,
                           progress: Callable[[float], None] | None = None) -> dict | None:
    """The smallest relative change of one indicator's weight (others renormalised) that changes the unit's licences.

    ``replan(scenario)`` returns the allocation table of a scenario (None when it has no plan). Steps are
    tried from the smallest, every indicator up and down, then the first change is refined by bisection.

    Returns
    -------
    dict or None
        ``indicator``, ``direction`` (+1/−1), ``relative_change``, ``weight_before``, ``weight_after``,
        ``licences_before``, ``licences_after``; None when no step up to the largest changes it.
    """
    base = run.scored.weights.set_index("indicator")["weight"].astype(float)
    before = int(run.plan.allocation.set_index("unit_code").loc[unit_code, "new_licences"])
    trials = [(step, i, sign) for step in steps for i in base.index for sign in (-1, 1)
              if not (sign < 0 and step >= 1.0) and base[i] > 0]
    done = 0

    def licences_at(indicator: str, sign: int, step: float) -> int | None:
        weights = base.copy()
        weights[indicator] = base[indicator] * (1 + sign * step)
        weights = weights / weights.sum()
        table = replan(with_weights(run.scenario, weights.to_dict()))
        if table is None:
            return None
        return int(table.set_index("unit_code").loc[unit_code, "new_licences"])

    for step, indicator, sign in trials:
        done += 1
        if progress:
            progress(done / len(trials))
        after = licences_at(indicator, sign, step)
        if after is not None and after != before:
            position = steps.index(step)
            low, high = (steps[position - 1] if position else 0.0), step
            for _ in range(refine):
                middle = (low + high) / 2
                value = licences_at(indicator, sign, middle)
                if value is not None and value != before:
                    high, after = middle, value
                else:
                    low = middle
            weights = base.copy()
            weights[indicator] = base[indicator] * (1 + sign * high)
            weights = weights / weights.sum()
            return {"indicator": indicator, "direction": sign, "relative_change": high, "weight_before": float(base[indicator]),
                    "weight_after": float(weights[indicator]), "licences_before": before, "licences_after": after}
    return None
