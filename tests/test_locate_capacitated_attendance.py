"""Capacitated attendance (siting.locate.attendance): each office receives at most C visits.

Against brute force on small instances — every choice of sites and, single-sourced, every assignment
of settlements to open offices; with splitting, a linear programme per choice of sites solved by
scipy — and a hypothesis property that every plan satisfies every constraint, computed here from
the assignment the model returns."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from siting.locate.attendance import solve_attendance
from siting.locate.decay import Decay, decay_weights

DECAY = Decay(kind="linear", cutoff=25.0)


def _instance(seed: int, n: int, m: int):
    rng = np.random.default_rng(seed)
    distance = rng.uniform(0, 30, (n, m))  # some pairs beyond the 25 km cutoff bring no visits
    weights = rng.integers(1, 20, n).astype(float)
    return weights, distance


def _visits(weights, distance):
    return weights[:, None] * decay_weights(distance, DECAY)


def brute_force(weights, distance, p, existing, capacity, split):
    n, m = distance.shape
    visits = _visits(weights, distance)
    candidates = [j for j in range(m) if j not in existing]
    best = 0.0
    for size in range(min(p, len(candidates)) + 1):
        for chosen in itertools.combinations(candidates, size):
            open_ = sorted(set(existing) | set(chosen))
            if split:
                # max Σ v_ij x_ij, Σ_j x_ij ≤ 1, Σ_i v_ij x_ij ≤ C, 0 ≤ x ≤ 1 over open offices
                k = len(open_)
                v = visits[:, open_]
                rows, rhs = [], []
                for i in range(n):
                    row = np.zeros(n * k)
                    row[i * k:(i + 1) * k] = 1
                    rows.append(row), rhs.append(1)
                for j in range(k):
                    row = np.zeros(n * k)
                    row[j::k] = v[:, j]
                    rows.append(row), rhs.append(capacity)
                if k:
                    found = linprog(-v.ravel(), A_ub=np.array(rows), b_ub=rhs, bounds=(0, 1), method="highs")
                    best = max(best, -found.fun)
                continue
            for assignment in itertools.product([-1, *open_], repeat=n):
                load = np.zeros(m)
                value = 0.0
                for i, j in enumerate(assignment):
                    if j >= 0 and visits[i, j] > 0:
                        load[j] += visits[i, j]
                        value += visits[i, j]
                if (load <= capacity + 1e-9).all():
                    best = max(best, value)
    return best


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("split", [False, True])
def test_against_brute_force(seed, split):
    weights, distance = _instance(seed, 5, 4)
    existing = [0] if seed % 2 else []
    capacity = float(np.quantile(_visits(weights, distance).sum(axis=0), 0.3))
    r = solve_attendance(weights, sp.csr_matrix(distance), 2, DECAY, existing_sites=np.array(existing, dtype=int),
                         capacities=capacity, allow_split=split)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(brute_force(weights, distance, 2, existing, capacity, split), rel=1e-7, abs=1e-9)


def test_capacity_costs_visits_and_splitting_recovers_some():
    weights, distance = _instance(11, 8, 5)
    D = sp.csr_matrix(distance)
    free = solve_attendance(weights, D, 2, DECAY)
    tight = solve_attendance(weights, D, 2, DECAY, capacities=15.0)
    shared = solve_attendance(weights, D, 2, DECAY, capacities=15.0, allow_split=True)
    assert tight.objective <= shared.objective + 1e-9 <= free.objective + 2e-9
    assert tight.objective < free.objective


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.integers(0, 10_000), st.integers(2, 7), st.integers(2, 5), st.integers(0, 3), st.floats(5, 60))
def test_every_plan_satisfies_every_constraint(seed, n, m, p, capacity):
    weights, distance = _instance(seed, n, m)
    existing = np.array([0]) if seed % 3 == 0 else np.array([], dtype=int)
    p = min(p, m - len(existing))
    r = solve_attendance(weights, sp.csr_matrix(distance), p, DECAY, existing_sites=existing, capacities=capacity)
    assert r.status == "optimal"
    visits = _visits(weights, distance)
    open_ = set(r.selected.tolist()) | set(existing.tolist())
    assert len(r.selected) == p and not set(r.selected) & set(existing)
    load = np.zeros(m)
    for i, j in enumerate(r.assignment):
        if j >= 0:
            assert j in open_ and visits[i, j] > 0  # only open offices in reach
            load[j] += visits[i, j]
    assert (load <= capacity + 1e-6).all()
    # the objective is the visits of the returned assignment, computed here independently
    assert r.objective == pytest.approx(sum(visits[i, j] for i, j in enumerate(r.assignment) if j >= 0), rel=1e-9, abs=1e-9)
    assert r.objective <= r.bound + 1e-6


def test_capacitated_attendance_on_a_real_province(shared_data):
    """Isfahan's settlements with the (SYNTHETIC) existing offices: every office within its visits."""
    from _pipeline import cached_prepare
    from siting.locate.distances import haversine_km
    from siting.locate.frames import attendance_from_frames
    from siting.scenario import Scenario

    dataset = cached_prepare(Scenario(indicators=["rural_population"]), str(shared_data))
    province = dataset.units.set_index("unit_code")["province_code"]
    settlements = dataset.settlements[dataset.settlements["unit_code"].map(province).eq("10").to_numpy()].reset_index(drop=True)
    offices = dataset.offices
    offices = offices[offices["unit_code"].map(province).eq("10").to_numpy() & offices["status"].eq("active").to_numpy()]
    existing = offices[["lon", "lat"]].dropna().reset_index(drop=True)
    decay = Decay(kind="exponential", cutoff=30.0, beta=0.1)
    capacity = 40_000.0
    r = attendance_from_frames(settlements, settlements, 10, decay, existing=existing, capacities=capacity)
    free = attendance_from_frames(settlements, settlements, 10, decay, existing=existing)
    assert r.status == "optimal" and r.objective <= free.objective + 1e-6
    sites = np.concatenate([existing[["lon", "lat"]].to_numpy(), settlements[["lon", "lat"]].to_numpy()])
    people = settlements["population"].to_numpy(float)
    served = r.assignment >= 0
    km = haversine_km(settlements["lon"].to_numpy()[served], settlements["lat"].to_numpy()[served],
                      sites[r.assignment[served], 0], sites[r.assignment[served], 1])
    visits = people[served] * decay_weights(km, decay)
    assert (visits > 0).all()
    load = np.bincount(r.assignment[served], weights=visits, minlength=len(sites))
    assert load.max() <= capacity * (1 + 1e-9)
    assert visits.sum() == pytest.approx(r.objective, rel=1e-9)
