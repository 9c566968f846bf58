"""Tests of the infeasibility diagnosis: right groups, right amounts, readable messages."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer import AllocationInputs, AllocationSettings, Diagnosis, diagnose_infeasibility, plan_allocation
from siting.errors import InfeasibleError


def county_inputs(n: int = 20, **overrides: object) -> AllocationInputs:
    """``n`` counties in provinces A and B, plenty of room everywhere unless overridden."""
    base = dict(
        unit_code=[f"C{i:02d}" for i in range(n)],
        province_code=["A" if i < n // 2 else "B" for i in range(n)],
        score=np.linspace(0.5, 1.5, n),
        urban_population=np.full(n, 2_000_000.0),
        rural_population=np.full(n, 600_000.0),
        existing_urban=np.full(n, 10),
        existing_rural=np.full(n, 2),
        target_urban=np.full(n, 200.0),
        target_rural=np.full(n, 100.0),
    )
    base.update(overrides)
    return AllocationInputs(**base)


def scenario(**overrides: object) -> AllocationSettings:
    base = dict(budget_licences=100, saturation_slack=0.1, enforce_parks=True)
    base.update(overrides)
    return AllocationSettings(**base)


def only_conflict(diagnosis: Diagnosis):
    assert not diagnosis.feasible
    assert len(diagnosis.conflicts) == 1
    return diagnosis.conflicts[0]


def test_feasible_scenario_has_no_conflict():
    diagnosis = diagnose_infeasibility(county_inputs(), scenario())
    assert diagnosis.feasible and diagnosis.conflicts == () and diagnosis.groups == ()


def test_province_floors_against_the_budget_reads_like_the_issue():
    settings = scenario(budget_licences=2_000, budget_mode="at_most", province_floor={"A": 1_200, "B": 1_110})
    conflict = only_conflict(diagnose_infeasibility(county_inputs(), settings))
    assert conflict.groups == ("budget", "province_floor")
    assert conflict.relaxation == pytest.approx(310)
    assert "The budget is 2,000 licences, province floors need 2,310 licences" in conflict.message
    assert "relaxing them by 310 licence(s)" in conflict.message


def test_exact_budget_is_said_to_be_exact():
    settings = scenario(budget_licences=2_000, province_floor={"A": 1_200, "B": 1_110})
    conflict = only_conflict(diagnose_infeasibility(county_inputs(), settings))
    assert "the budget is exactly 2,000 licences" in conflict.message.lower()


def test_budget_larger_than_the_room_under_saturation_caps():
    inputs = county_inputs(4, target_urban=np.full(4, 12.0), target_rural=np.full(4, 2.0))
    # Room per unit: floor(12 * 1.1) - 10 = 3 urban, floor(2 * 1.1) - 2 = 0 rural -> 12 in all.
    conflict = only_conflict(diagnose_infeasibility(inputs, scenario(budget_licences=20)))
    assert conflict.groups == ("budget", "saturation_cap")
    assert conflict.relaxation == pytest.approx(8)
    assert "saturation caps leave room for 12 new licences" in conflict.message


def test_industrial_park_in_a_saturated_unit():
    n = 6
    inputs = county_inputs(
        n,
        existing_urban=[0, 10, 10, 10, 10, 10],
        existing_rural=[0, 2, 2, 2, 2, 2],
        target_urban=[0.0, 200, 200, 200, 200, 200],
        target_rural=[0.0, 100, 100, 100, 100, 100],
        has_industrial_park=[True, False, False, False, False, False],
    )
    diagnosis = diagnose_infeasibility(inputs, scenario(budget_licences=10))
    conflict = only_conflict(diagnosis)
    assert conflict.groups == ("saturation_cap", "industrial_parks")
    assert conflict.relaxation == pytest.approx(1)
    assert "C00" in conflict.message
    assert "industrial parks need a first office in 1 unit(s) without one (C00)" in conflict.message
    assert "Saturation caps leave room for 0 new licences in C00 (urban), C00 (rural)" in conflict.message
    with pytest.raises(InfeasibleError) as caught:
        plan_allocation(inputs, scenario(budget_licences=10))
    assert caught.value.diagnosis.groups == ("saturation_cap", "industrial_parks")
    assert str(caught.value) == diagnosis.message


def test_locked_decision_beyond_viability_names_the_unit():
    n = 4
    inputs = county_inputs(
        n,
        urban_population=[50_000.0, 2e6, 2e6, 2e6],
        existing_urban=[4, 10, 10, 10],
        locked_urban=[3.0, np.nan, np.nan, np.nan],
    )
    settings = scenario(budget_licences=10, min_catchment_urban=10_000, min_catchment_rural=2_000)
    conflict = only_conflict(diagnose_infeasibility(inputs, settings))
    assert conflict.groups == ("viability", "locked")
    assert conflict.relaxation == pytest.approx(2)  # room floor(50,000 / 10,000) - 4 = 1, locked 3
    assert "C00 (urban)" in conflict.message
    assert "locked decisions fix 3 licences in C00 (urban)" in conflict.message


def test_rural_share_without_rural_room():
    n = 4
    inputs = county_inputs(n, target_rural=np.full(n, 1.0))  # rural parts already above their cap
    conflict = only_conflict(diagnose_infeasibility(inputs, scenario(budget_licences=10, rural_share_min=0.3)))
    assert set(conflict.groups) == {"budget", "saturation_cap", "rural_share"}
    assert "at least 30% of the new licences must be rural" in conflict.message
    assert conflict.relaxation == pytest.approx(3, abs=1e-6)


def test_loan_budget_smaller_than_licence_budget():
    settings = scenario(budget_licences=12, loan_budget_rials=2_000e6, cost_urban_rials=200e6, cost_rural_rials=200e6)
    conflict = only_conflict(diagnose_infeasibility(county_inputs(), settings))
    assert conflict.groups == ("budget", "loan_budget")
    assert "the loan budget of 2,000,000,000 rials pays for at most 10 offices" in conflict.message
    assert conflict.relaxation == pytest.approx(2)
    rials = [amount for group, _, amount in conflict.violated_rows if group == "loan_budget"]
    assert not rials or rials[0] == pytest.approx(400e6)


def test_province_floor_above_province_ceiling():
    settings = scenario(budget_licences=10, budget_mode="at_most", province_ceiling_share=0.3, province_floor={"A": 5})
    conflict = only_conflict(diagnose_infeasibility(county_inputs(), settings))
    assert conflict.groups == ("province_floor", "province_ceiling")
    assert "province ceilings allow at most 3 licences per province" in conflict.message
    assert conflict.relaxation == pytest.approx(2)


def test_violations_of_the_overall_relaxation_are_reported():
    settings = scenario(budget_licences=2_000, budget_mode="at_most", province_floor={"A": 1_200, "B": 1_110})
    diagnosis = diagnose_infeasibility(county_inputs(), settings)
    assert diagnosis.total_relaxation == pytest.approx(310)
    assert sum(diagnosis.violations.values()) == pytest.approx(310)
    assert set(diagnosis.violations) <= {"budget", "province_floor"}


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(2, 6),
    victim=st.integers(0, 5),
    split=st.booleans(),
    budget=st.integers(1, 8),
    kind=st.sampled_from(["park", "lock", "floor"]),
)
def test_injected_conflict_is_named(n, victim, split, budget, kind):
    """A feasible scenario plus one injected conflict: the diagnosis names the injected group."""
    victim %= n
    existing_u = np.full(n, 10)
    existing_r = np.full(n, 2)
    target_u = np.full(n, 200.0)
    target_r = np.full(n, 100.0)
    parks = np.zeros(n, bool)
    locked = np.full(n, np.nan)
    floors = None
    if kind == "park":  # an unserved park unit whose targets are zero: caps forbid any office
        existing_u[victim] = existing_r[victim] = 0
        target_u[victim] = target_r[victim] = 0.0
        parks[victim] = True
        expected = {"industrial_parks", "saturation_cap"}
    elif kind == "lock":  # a lock above the room left under the cap (split or not)
        target_u[victim] = 10.0  # cap floor(11) - 10 = 1 (whole unit: floor(11) - 12 < 0)
        target_r[victim] = 0.0
        locked[victim] = 3.0
        budget = max(budget, 3)  # the budget itself can absorb the lock
        expected = {"locked", "saturation_cap"}
    else:  # province floor above the whole budget
        floors = {"A": budget + 1}
        expected = {"province_floor", "budget"}
    inputs = county_inputs(
        n,
        province_code=["A"] * n,
        existing_urban=existing_u,
        existing_rural=existing_r,
        target_urban=target_u,
        target_rural=target_r,
        has_industrial_park=parks,
        locked_urban=locked,
    )
    settings_ = scenario(budget_licences=budget, budget_mode="at_most", province_floor=floors, split_urban_rural=split)
    diagnosis = diagnose_infeasibility(inputs, settings_)
    assert set(diagnosis.groups) == expected
