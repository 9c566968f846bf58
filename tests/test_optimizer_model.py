"""Unit tests of the allocation inputs, formulation, model and solve (hand-made instances)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pulp
import pytest

from optimizer import (
    AllocationInputs,
    AllocationSettings,
    GapShareFloor,
    build_allocation_model,
    formulate,
    plan_allocation,
    solve,
)
from optimizer.formulation import benefit_segments
from optimizer.solve import _highs_status
from siting.errors import DataError, InfeasibleError, ScenarioError

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_allocation.py"


def make_inputs(n: int = 3, **overrides: object) -> AllocationInputs:
    """Small instance: units "U0".. in provinces A/B, unserved rural parts."""
    base = dict(
        unit_code=[f"U{i}" for i in range(n)],
        province_code=["A" if i % 2 == 0 else "B" for i in range(n)],
        score=np.linspace(1.0, 2.0, n),
        urban_population=np.full(n, 40_000.0),
        rural_population=np.full(n, 20_000.0),
        existing_urban=np.full(n, 4),
        existing_rural=np.zeros(n, dtype=int),
        target_urban=np.full(n, 5.0),
        target_rural=np.full(n, 4.0),
    )
    base.update(overrides)
    return AllocationInputs(**base)


def loose(**overrides: object) -> AllocationSettings:
    """Settings with every optional group off, budget of 5 exactly."""
    base = dict(budget_licences=5, saturation_slack=None, enforce_parks=False)
    base.update(overrides)
    return AllocationSettings(**base)


# ---------------------------------------------------------------- validation


def test_inputs_are_read_only_and_typed():
    inputs = make_inputs()
    assert inputs.n_units == 3
    assert inputs.existing_urban.dtype == np.int64
    assert np.isnan(inputs.locked_urban).all()
    assert not inputs.has_industrial_park.any()
    with pytest.raises(ValueError):
        inputs.score[0] = 5.0


def test_inputs_report_every_bad_column_with_units():
    with pytest.raises(DataError) as caught:
        make_inputs(score=[1.0, -1.0, 2.0], existing_rural=[0, 1.5, 0], unit_code=["a", "a", "b"])
    text = str(caught.value)
    assert "column 'score'" in text and "negative value in unit(s) a" in text
    assert "duplicate unit codes: a" in text
    columns = {p.column for p in caught.value.problems}
    assert columns == {"score", "existing_rural", "unit_code"}


def test_inputs_reject_wrong_length():
    with pytest.raises(DataError, match="1-D array of 3 values"):
        make_inputs(score=[1.0, 2.0])


def test_locked_values_must_be_whole():
    with pytest.raises(DataError, match="locked"):
        make_inputs(locked_urban=[np.nan, 1.5, np.nan])


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(benefit_weights=(1.0, 2.0, 0.5, 0.4, 0.1)), "non-increasing"),
        (dict(benefit_fill_breakpoints=(0.5, 0.25)), "strictly increasing"),
        (dict(first_office_weight=0.5), "first_office_weight"),
        (dict(rural_share_min=0.3, split_urban_rural=False), "split_urban_rural"),
        (dict(province_floor=GapShareFloor(), budget_licences=None), "needs budget_licences"),
        (dict(budget_licences=-1), "budget_licences"),
        (dict(province_ceiling_share=1.5), "province_ceiling_share"),
        (dict(budget_mode="some"), "budget_mode"),
    ],
)
def test_settings_errors_are_clear(kwargs, fragment):
    with pytest.raises(ScenarioError, match=fragment):
        AllocationSettings(**kwargs)


def test_unknown_province_in_floor_is_a_scenario_error():
    with pytest.raises(ScenarioError, match="unknown province"):
        formulate(make_inputs(), loose(province_floor={"Z": 1}))


def test_unbounded_scenario_is_refused():
    with pytest.raises(ScenarioError, match="nothing limits"):
        formulate(make_inputs(), loose(budget_licences=None))


# ---------------------------------------------------------------- formulation


def test_first_office_of_unserved_area_is_worth_most_and_benefit_is_concave():
    inputs = make_inputs(1, score=[1.0], existing_urban=[0], target_urban=[8.0], target_rural=[0.0])
    settings = loose()
    formulation = formulate(inputs, settings)
    segments = formulation.segments
    urban = segments.area == 0
    coefs = segments.coef[urban]
    assert coefs[0] == pytest.approx(1.0)  # first office (weight 2.0) is the largest, normalised to 1
    assert np.all(np.diff(coefs) <= 0)
    assert np.all(np.diff(segments.start[urban]) > 0)
    # Marginal value of the k-th office equals the piecewise definition.
    marginal = np.diff([segments.value(np.array([k, 0])) for k in range(10)])
    weights = settings.benefit_weights
    expected = [2.0, weights[0], weights[1], weights[1], weights[2], weights[2], weights[3], weights[3], weights[4]]
    assert marginal * formulation.benefit_scale == pytest.approx(expected)


def test_served_area_fifth_office_worth_less_than_first_in_unserved():
    inputs = make_inputs(2, score=[1.0, 1.0], existing_urban=[0, 4], target_urban=[8.0, 8.0])
    segments, _ = benefit_segments(formulate(inputs, loose()).areas, inputs.score, loose())
    unserved_first = segments.value(np.array([1, 0, 0, 0]))
    served_fifth = segments.value(np.array([0, 0, 1, 0]))  # office number 5 of unit 1
    assert unserved_first > served_fifth


def test_saturated_areas_get_a_zero_upper_bound():
    inputs = make_inputs(2, existing_urban=[6, 2], target_urban=[5.0, 5.0])
    model = build_allocation_model(inputs, loose(saturation_slack=0.1))
    assert model.saturated.tolist() == [True, False, False, False]
    saturated_x = model.emitted.x[0]
    assert saturated_x.upBound == 0
    assert model.emitted.x[2].upBound == 3  # floor(5 * 1.1) - 2


def test_viability_bound():
    inputs = make_inputs(1, urban_population=[25_000.0], existing_urban=[1])
    model = build_allocation_model(inputs, loose(min_catchment_urban=10_000))
    assert model.emitted.x[0].upBound == 1  # floor(25,000 / 10,000) - 1
    assert model.emitted.x[1].upBound in (None, float("inf"))  # PuLP 3 says None, PuLP 4 inf


def test_unsplit_units_use_summed_parts():
    inputs = make_inputs(1, locked_urban=[1.0], locked_rural=[np.nan])
    formulation = formulate(
        inputs, loose(split_urban_rural=False, min_catchment_urban=10_000, min_catchment_rural=5_000)
    )
    areas = formulation.areas
    assert areas.size == 1
    assert areas.existing[0] == 4 and areas.target[0] == 9.0
    assert areas.viability_limit[0] == 4 + 4
    assert areas.locked[0] == 1.0


def test_constraint_groups_are_named_and_switchable():
    inputs = make_inputs(has_industrial_park=[True, False, False], existing_urban=[0, 4, 4])
    everything = AllocationSettings(
        budget_licences=5,
        loan_budget_rials=2e9,
        saturation_slack=0.2,
        min_catchment_urban=5_000,
        min_catchment_rural=2_000,
        province_floor={"A": 1},
        province_ceiling_share=0.8,
        rural_share_min=0.2,
        enforce_parks=True,
    )
    model = build_allocation_model(inputs, everything)
    assert model.constraint_groups == (
        "budget",
        "loan_budget",
        "saturation_cap",
        "viability",
        "province_floor",
        "province_ceiling",
        "industrial_parks",
        "rural_share",
    )
    assert build_allocation_model(inputs, loose()).constraint_groups == ("budget",)
    names = {c.name for c in model.problem.constraints()}
    assert "budget_000000" in names and "industrial_parks_000000" in names


# ---------------------------------------------------------------- solving


def test_hand_example_goes_to_unserved_rural_areas_first():
    inputs = make_inputs()
    result = plan_allocation(inputs, loose(budget_licences=3))
    assert result.status == "optimal"
    assert result.new_rural.tolist() == [1, 1, 1]
    assert result.new_urban.tolist() == [0, 0, 0]
    assert result.new_total.tolist() == [1, 1, 1]
    assert result.gap == pytest.approx(0.0, abs=1e-9)
    assert result.best_bound >= result.objective
    assert result.build_seconds >= 0 and result.solve_seconds >= 0
    assert result.solver == "HiGHS" and result.solver_version.count(".") == 2


def test_ties_break_towards_earlier_unit_codes():
    inputs = make_inputs(3, score=[1.0, 1.0, 1.0], unit_code=["C", "A", "B"])
    result = plan_allocation(inputs, loose(budget_licences=1))
    assert result.new_rural.tolist() == [0, 1, 0]  # unit "A" comes first in code order


def test_locked_units_keep_their_allocation_and_the_rest_is_reoptimised():
    inputs = make_inputs(locked_urban=[2.0, np.nan, np.nan], locked_rural=[0.0, np.nan, np.nan])
    result = plan_allocation(inputs, loose(budget_licences=5))
    assert result.new_urban[0] == 2 and result.new_rural[0] == 0
    assert result.new_total.sum() == 5
    # Rural marginals: U1 first office 1.5 * 2.0, U2 first 2.0 * 2.0, U2 second 2.0 * 0.8
    # beat every urban office (areas at 4 of 5: weight 0.4).
    assert result.new_rural[1:].tolist() == [1, 2]


def test_at_most_budget_leaves_zero_score_units_alone():
    inputs = make_inputs(score=[0.0, 0.0, 1.0])
    result = plan_allocation(inputs, loose(budget_licences=5, budget_mode="at_most", saturation_slack=0.0))
    assert result.new_total.tolist() == [0, 0, 5]


def test_unsplit_result_has_only_totals():
    result = plan_allocation(make_inputs(), loose(split_urban_rural=False, budget_licences=4))
    assert result.new_urban is None and result.new_rural is None
    assert result.new_total.sum() == 4


def test_infeasible_plan_raises_with_diagnosis():
    inputs = make_inputs()
    with pytest.raises(InfeasibleError) as caught:
        plan_allocation(inputs, loose(budget_licences=2, province_floor={"A": 3}))
    diagnosis = caught.value.diagnosis
    assert set(diagnosis.groups) == {"budget", "province_floor"}
    assert "province floors need 3 licences" in str(caught.value)


def test_solve_without_raise_reports_infeasible_status():
    model = build_allocation_model(make_inputs(), loose(budget_licences=2, province_floor={"A": 3}))
    result = solve(model)
    assert result.status == "infeasible"
    assert result.new_total is None and result.objective is None and not result.has_plan


def test_solver_options_are_validated():
    model = build_allocation_model(make_inputs(), loose())
    with pytest.raises(ScenarioError, match="unknown solver"):
        solve(model, solver="gurobi")
    with pytest.raises(ScenarioError, match="time_limit"):
        solve(model, time_limit=0)


def test_cbc_fallback_gives_the_same_plan():
    # PuLP 3.3 bundles CBC; PuLP 4 needs the ~600 MB `cbc` extra, so the PuLP 4 run deselects this test (Makefile).
    inputs = make_inputs()
    settings = loose(budget_licences=4, saturation_slack=0.5)
    highs = solve(build_allocation_model(inputs, settings), mip_gap=0)
    cbc = solve(build_allocation_model(inputs, settings), solver="cbc")
    assert cbc.status == "optimal" and cbc.solver == "CBC"
    assert cbc.benefit == pytest.approx(highs.benefit, rel=1e-6)


def _fake_highs(status_name: str, primal_status: int) -> SimpleNamespace:
    import highspy

    return SimpleNamespace(
        getModelStatus=lambda: getattr(highspy.HighsModelStatus, status_name),
        getInfo=lambda: SimpleNamespace(primal_solution_status=primal_status),
    )


@pytest.mark.parametrize(
    "status_name, primal, expected",
    [
        ("kOptimal", 2, ("optimal", True)),
        ("kTimeLimit", 2, ("time_limit_feasible", True)),
        ("kTimeLimit", 0, ("time_limit_no_solution", False)),
        ("kInfeasible", 0, ("infeasible", False)),
        ("kUnbounded", 0, ("unbounded", False)),
        ("kSolveError", 0, ("error", False)),
    ],
)
def test_highs_status_is_read_from_the_solver_not_pulp(status_name, primal, expected):
    assert _highs_status(_fake_highs(status_name, primal)) == expected


def test_time_limited_run_is_never_called_optimal():
    spec = importlib.util.spec_from_file_location("bench_allocation", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    model = build_allocation_model(bench.synthetic_inputs(429), bench.benchmark_settings())
    result = solve(model, time_limit=1e-3)
    assert result.status in ("optimal", "time_limit_feasible", "time_limit_no_solution")
    if result.status == "optimal":  # finished within the limit: the proof must be there
        assert result.gap is not None and result.gap <= 1e-4


def test_thread_count_can_change_between_solves():
    model = build_allocation_model(make_inputs(), loose())
    results = [solve(model, threads=threads) for threads in (None, 1, 2, None)]
    assert [r.status for r in results] == ["optimal"] * 4
    assert len({r.plan_bytes() for r in results}) == 1
    assert results[0].solver_status == "kOptimal"


def test_bench_instance_is_solved_to_proven_optimality():
    spec = importlib.util.spec_from_file_location("bench_allocation", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    inputs = bench.synthetic_inputs(429)
    result = plan_allocation(inputs, bench.benchmark_settings())
    assert result.status == "optimal"
    assert result.gap == pytest.approx(0.0, abs=1e-7)
    assert result.new_total.sum() == 2_000
    assert result.new_rural.sum() >= 0.3 * 2_000
    assert np.all(result.new_total >= 0)
    assert result.new_total.dtype == np.int64


def test_pulp_problem_is_a_maximisation_with_integer_licences():
    model = build_allocation_model(make_inputs(), loose())
    assert model.problem.sense == pulp.LpMaximize
    assert all(x.cat == "Integer" for x in model.emitted.x)
    assert all(y.cat == "Continuous" for y in model.emitted.segment_vars)
