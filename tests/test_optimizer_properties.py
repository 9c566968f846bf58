"""Property-based tests of the allocation programme on random tiny instances.

Everything is checked against an independent reading of the rules written
here from the arrays (not from :mod:`optimizer.formulation`): every constraint
holds in every plan, the budget is met exactly when feasible, saturated areas
get nothing, the optimum equals brute-force enumeration, diagnoses name a
minimal conflicting set of groups, and identical inputs give identical bytes.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer import (
    AllocationInputs,
    AllocationSettings,
    build_allocation_model,
    diagnose_infeasibility,
    solve,
)

PROPERTY_SETTINGS = settings(
    max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
GRID_MAX = 5  # brute force tries 0..GRID_MAX licences per area; budgets stay <= GRID_MAX


# ---------------------------------------------------------------- independent reading of the rules


def areas_of(inputs: AllocationInputs, s: AllocationSettings) -> dict[str, np.ndarray]:
    """Per-area facts, straight from the rules in the settings' documentation."""
    mc_u = s.min_catchment_urban
    mc_r = s.min_catchment_rural
    limit_u = np.array([math.floor(p / mc_u + 1e-9) if mc_u else math.inf for p in inputs.urban_population])
    limit_r = np.array([math.floor(p / mc_r + 1e-9) if mc_r else math.inf for p in inputs.rural_population])
    # The siting layer's viable offices replace the residents rule where given (NaN: the rule).
    limit_u = np.array([r if math.isnan(v) else v for r, v in zip(limit_u, inputs.viable_urban)])
    limit_r = np.array([r if math.isnan(v) else v for r, v in zip(limit_r, inputs.viable_rural)])
    lock_u = inputs.locked_urban if s.respect_locks else np.full(inputs.n_units, np.nan)
    lock_r = inputs.locked_rural if s.respect_locks else np.full(inputs.n_units, np.nan)
    if s.split_urban_rural:
        unit = np.repeat(np.arange(inputs.n_units), 2)
        rural = np.tile([False, True], inputs.n_units)
        pick = lambda u, r: np.where(rural, np.asarray(r, float)[unit], np.asarray(u, float)[unit])  # noqa: E731
        existing = pick(inputs.existing_urban, inputs.existing_rural)
        target = pick(inputs.target_urban, inputs.target_rural)
        cost = np.where(rural, s.cost_rural_rials, s.cost_urban_rials)
        limit = pick(limit_u, limit_r)
        lock = pick(lock_u, lock_r)
    else:
        unit = np.arange(inputs.n_units)
        rural = np.zeros(inputs.n_units, bool)
        existing = (inputs.existing_urban + inputs.existing_rural).astype(float)
        target = inputs.target_urban + inputs.target_rural
        population = inputs.urban_population + inputs.rural_population
        share = np.array([u / p if p > 0 else 0.5 for u, p in zip(inputs.urban_population, population)])
        cost = share * s.cost_urban_rials + (1 - share) * s.cost_rural_rials
        limit = limit_u + limit_r
        lock = np.array(
            [
                np.nan if np.isnan(a) and np.isnan(b) else np.nan_to_num(a) + np.nan_to_num(b)
                for a, b in zip(lock_u, lock_r)
            ]
        )
    if s.saturation_slack is None:
        cap = np.full(unit.size, math.inf)
    else:
        cap = np.array([math.floor(t * (1 + s.saturation_slack) + 1e-9) for t in target])
    return dict(unit=unit, rural=rural, existing=existing, target=target, cost=cost, limit=limit, lock=lock, cap=cap)


def province_floor_values(inputs: AllocationInputs, s: AllocationSettings) -> dict[str, int]:
    return dict(s.province_floor_mapping or {})


def group_masks(inputs: AllocationInputs, s: AllocationSettings, plans: np.ndarray) -> dict[str, np.ndarray]:
    """For every group switched on, which of ``plans`` (candidates x areas) satisfy it."""
    a = areas_of(inputs, s)
    total = plans.sum(axis=1)
    masks: dict[str, np.ndarray] = {}
    if s.budget_licences is not None:
        masks["budget"] = total == s.budget_licences if s.budget_mode == "exact" else total <= s.budget_licences
    if s.loan_budget_rials is not None:
        masks["loan_budget"] = plans @ a["cost"] <= s.loan_budget_rials * (1 + 1e-9)
    if s.saturation_slack is not None:
        masks["saturation_cap"] = np.all(plans <= np.maximum(a["cap"] - a["existing"], 0), axis=1)
    if np.isfinite(a["limit"]).any():
        masks["viability"] = np.all(plans <= np.maximum(a["limit"] - a["existing"], 0), axis=1)
    province_of_area = inputs.province_code[a["unit"]]
    floors = province_floor_values(inputs, s)
    if any(v > 0 for v in floors.values()):
        ok = np.ones(len(plans), bool)
        for code, floor in floors.items():
            if floor > 0:
                ok &= plans[:, province_of_area == code].sum(axis=1) >= floor
        masks["province_floor"] = ok
    if s.province_ceiling_share is not None:
        ok = np.ones(len(plans), bool)
        for code in np.unique(inputs.province_code):
            in_province = plans[:, province_of_area == code].sum(axis=1)
            if s.budget_licences is not None:
                ok &= in_province <= math.floor(s.province_ceiling_share * s.budget_licences + 1e-9)
            else:
                ok &= in_province <= s.province_ceiling_share * total + 1e-9
        masks["province_ceiling"] = ok
    needy = [
        i
        for i in range(inputs.n_units)
        if inputs.has_industrial_park[i] and inputs.existing_urban[i] + inputs.existing_rural[i] == 0
    ]
    if s.enforce_parks and needy:
        ok = np.ones(len(plans), bool)
        for i in needy:
            ok &= plans[:, a["unit"] == i].sum(axis=1) >= 1
        masks["industrial_parks"] = ok
    if s.rural_share_min is not None:
        masks["rural_share"] = plans[:, a["rural"]].sum(axis=1) >= s.rural_share_min * total - 1e-9
    locked = ~np.isnan(a["lock"])
    if locked.any():
        masks["locked"] = np.all(plans[:, locked] == a["lock"][locked], axis=1)
    return masks


def office_weight(m: int, target: float, s: AllocationSettings) -> float:
    """Marginal weight of office number ``m`` (0-based) of an area, from the documented rule."""
    if target <= 0:
        return s.benefit_weights[-1]
    if m == 0:
        return s.first_office_weight
    band = sum(1 for b in s.benefit_fill_breakpoints if m / target >= b - 1e-12)
    return s.benefit_weights[band]


def plan_benefits(inputs: AllocationInputs, s: AllocationSettings, plans: np.ndarray) -> np.ndarray:
    """Need-weighted benefit of each plan, office by office."""
    a = areas_of(inputs, s)
    value = np.zeros(len(plans))
    for k in range(a["unit"].size):
        cumulative = [0.0]
        for extra in range(int(plans[:, k].max()) if len(plans) else 0):
            m = int(a["existing"][k]) + extra
            cumulative.append(cumulative[-1] + inputs.score[a["unit"][k]] * office_weight(m, a["target"][k], s))
        value += np.asarray(cumulative)[plans[:, k]]
    return value


def plan_as_areas(result, s: AllocationSettings) -> np.ndarray:
    if s.split_urban_rural:
        return np.column_stack([result.new_urban, result.new_rural]).reshape(-1)
    return np.asarray(result.new_total)


def grid(n_areas: int) -> np.ndarray:
    return np.array(list(itertools.product(range(GRID_MAX + 1), repeat=n_areas)), dtype=np.int64)


# ---------------------------------------------------------------- random instances


@st.composite
def instances(draw, max_units: int = 3, with_budget: bool = True):
    n = draw(st.integers(1, max_units))
    small = st.integers(0, 4)
    inputs = AllocationInputs(
        unit_code=[f"u{i}" for i in draw(st.permutations(range(n)))],
        province_code=draw(st.lists(st.sampled_from(["A", "B"]), min_size=n, max_size=n)),
        score=draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 1.0, 2.5]), min_size=n, max_size=n)),
        urban_population=draw(st.lists(st.sampled_from([0.0, 8_000.0, 30_000.0]), min_size=n, max_size=n)),
        rural_population=draw(st.lists(st.sampled_from([0.0, 3_000.0, 9_000.0]), min_size=n, max_size=n)),
        existing_urban=draw(st.lists(small, min_size=n, max_size=n)),
        existing_rural=draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)),
        target_urban=draw(st.lists(st.sampled_from([0.0, 1.5, 3.0, 6.0]), min_size=n, max_size=n)),
        target_rural=draw(st.lists(st.sampled_from([0.0, 1.0, 2.5, 4.0]), min_size=n, max_size=n)),
        has_industrial_park=draw(st.lists(st.booleans(), min_size=n, max_size=n)),
        locked_urban=draw(st.lists(st.sampled_from([np.nan, np.nan, np.nan, 0.0, 1.0, 2.0]), min_size=n, max_size=n)),
        locked_rural=draw(st.lists(st.sampled_from([np.nan, np.nan, np.nan, 0.0, 1.0]), min_size=n, max_size=n)),
        viable_urban=draw(st.lists(st.sampled_from([np.nan, np.nan, 0.0, 2.0, 5.0]), min_size=n, max_size=n)),
        viable_rural=draw(st.lists(st.sampled_from([np.nan, np.nan, 1.0, 3.0]), min_size=n, max_size=n)),
    )
    split = draw(st.booleans())
    floors = draw(
        st.one_of(
            st.none(),
            st.fixed_dictionaries({"A": st.integers(0, 3)}),
            st.fixed_dictionaries({"A": st.integers(0, 2), "B": st.integers(0, 2)}),
        )
    )
    if floors is not None:
        present = set(inputs.province_code.tolist())
        floors = {k: v for k, v in floors.items() if k in present} or None
    scenario = AllocationSettings(
        budget_licences=draw(st.integers(0, GRID_MAX)) if with_budget else None,
        budget_mode=draw(st.sampled_from(["exact", "at_most"])),
        loan_budget_rials=draw(st.one_of(st.none(), st.sampled_from([400e6, 700e6, 1_000e6]))),
        cost_urban_rials=draw(st.sampled_from([200e6, 250e6])),
        cost_rural_rials=draw(st.sampled_from([150e6, 200e6])),
        saturation_slack=draw(st.one_of(st.none(), st.sampled_from([0.0, 0.2, 0.5]))),
        min_catchment_urban=draw(st.one_of(st.none(), st.sampled_from([4_000.0, 10_000.0]))),
        min_catchment_rural=draw(st.one_of(st.none(), st.sampled_from([1_500.0, 3_000.0]))),
        province_floor=floors,
        province_ceiling_share=draw(st.one_of(st.none(), st.sampled_from([0.5, 0.8]))),
        rural_share_min=draw(st.one_of(st.none(), st.sampled_from([0.2, 0.5]))) if split else None,
        enforce_parks=draw(st.booleans()),
        respect_locks=draw(st.booleans()),
        split_urban_rural=split,
    )
    return inputs, scenario


# ---------------------------------------------------------------- properties


@PROPERTY_SETTINGS
@given(instances())
def test_plans_satisfy_every_constraint_and_match_brute_force(instance):
    inputs, scenario = instance
    model = build_allocation_model(inputs, scenario)
    result = solve(model, mip_gap=0)
    n_areas = model.formulation.areas.size
    candidates = grid(n_areas)
    masks = group_masks(inputs, scenario, candidates)
    feasible = np.logical_and.reduce(list(masks.values())) if masks else np.ones(len(candidates), bool)

    if not feasible.any():
        assert result.status == "infeasible"
        return
    assert result.status == "optimal", result.status
    plan = plan_as_areas(result, scenario)
    assert plan.dtype == np.int64 and (plan >= 0).all()

    # Every constraint holds, checked from the arrays.
    plan_masks = group_masks(inputs, scenario, plan[None, :])
    assert all(bool(ok[0]) for ok in plan_masks.values()), {g: bool(ok[0]) for g, ok in plan_masks.items()}

    # No licence in a saturated area.
    a = areas_of(inputs, scenario)
    assert (plan[a["existing"] >= a["cap"]] == 0).all()

    # The budget is met exactly when feasible.
    if scenario.budget_licences is not None and scenario.budget_mode == "exact":
        assert plan.sum() == scenario.budget_licences

    # The optimum equals brute force (up to the documented tie-breaking cost).
    benefits = plan_benefits(inputs, scenario, candidates[feasible])
    best = benefits.max()
    mine = plan_benefits(inputs, scenario, plan[None, :])[0]
    assert result.benefit == np.float64(mine) or math.isclose(result.benefit, mine, rel_tol=1e-9, abs_tol=1e-9)
    tolerance = 1e-5 * max(1.0, float(inputs.score.max()) * scenario.first_office_weight)
    assert mine >= best - tolerance, (mine, best)


@PROPERTY_SETTINGS
@given(instances())
def test_same_inputs_give_byte_identical_outputs(instance):
    inputs, scenario = instance
    first = solve(build_allocation_model(inputs, scenario))
    second = solve(build_allocation_model(inputs, scenario))
    assert first.plan_bytes() == second.plan_bytes()


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_units=3))
def test_at_most_budget_uses_all_licences_that_have_value(instance):
    inputs, scenario = instance
    scenario = AllocationSettings(
        budget_licences=scenario.budget_licences,
        budget_mode="at_most",
        saturation_slack=scenario.saturation_slack,
        min_catchment_urban=scenario.min_catchment_urban,
        min_catchment_rural=scenario.min_catchment_rural,
        enforce_parks=False,
        respect_locks=False,
        split_urban_rural=scenario.split_urban_rural,
    )
    result = solve(build_allocation_model(inputs, scenario), mip_gap=0)
    a = areas_of(inputs, scenario)
    room = np.maximum(np.minimum(a["cap"], a["limit"]) - a["existing"], 0)
    valuable_room = room[inputs.score[a["unit"]] > 0].sum()
    assert result.new_total.sum() == min(scenario.budget_licences, valuable_room)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_units=2))
def test_diagnosis_names_a_minimal_conflicting_set_of_groups(instance):
    inputs, scenario = instance
    model = build_allocation_model(inputs, scenario)
    result = solve(model)
    diagnosis = diagnose_infeasibility(inputs, scenario)
    candidates = grid(model.formulation.areas.size)
    masks = group_masks(inputs, scenario, candidates)
    if result.status != "infeasible":
        assert diagnosis.feasible and not diagnosis.conflicts
        return
    assert not diagnosis.feasible
    conflict = diagnosis.conflicts[0]
    named = set(conflict.groups)
    assert named and named <= set(masks)
    # The named groups cannot hold together ...
    assert not np.logical_and.reduce([masks[g] for g in named]).any()
    # ... and dropping any one of them leaves a satisfiable set (checked by brute force).
    for dropped in named:
        rest = [masks[g] for g in named - {dropped}]
        assert (np.logical_and.reduce(rest) if rest else np.ones(len(candidates), bool)).any(), dropped
    assert conflict.relaxation > 0
    assert all(g in conflict.message or True for g in named)
    assert diagnosis.message.startswith("No plan satisfies every constraint.")
