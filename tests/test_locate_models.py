"""MCLP, LSCP and p-median: hand-checked optima, brute force, rules, capacities, honest statuses."""

from __future__ import annotations

import itertools

import numpy as np
import pulp
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.errors import AmayeshError, InfeasibleError
from siting.locate import (
    HighsSolver,
    LocationInputError,
    PulpSolver,
    TreeNeighbours,
    planar_within_radius,
    solve_lscp,
    solve_mclp,
    solve_pmedian,
)
from siting.locate.pulp_backend import SOLUTION_OPTIMAL, solution_status
from siting.locate.synthetic import synthetic_instance

# ---------------------------------------------------------------- hand-checkable instances

# Settlements on a line at km 0, 10, 20, 30, 40, 50; candidates at the same places; radius 10 km.
LINE = np.arange(6) * 10.0
LINE_POP = np.array([100, 5, 50, 50, 5, 100], dtype=float)
LINE_D = np.abs(LINE[:, None] - LINE[None, :])


def test_mclp_by_hand():
    # one site: best is km 10 (covers 0,10,20 = 155) or km 40 (30,40,50 = 155); two sites: 310 (all)
    r1 = solve_mclp(LINE_POP, LINE_D, 1, service_radius=10.0)
    assert r1.objective == 155 and r1.status == "optimal" and r1.selected.tolist() in ([1], [4])
    r2 = solve_mclp(LINE_POP, LINE_D, 2, service_radius=10.0)
    assert r2.objective == 310 and r2.selected.tolist() == [1, 4]
    assert r2.covered.all()
    # an existing office at km 0 covers 0 and 10; one new site then takes 30,40,50 → 100+5+50+100+5 = 260
    r3 = solve_mclp(LINE_POP, LINE_D, 1, service_radius=10.0, existing_sites=[0])
    assert r3.objective == 260 and r3.selected.tolist() == [4] and r3.existing.tolist() == [0]
    # only km 20 and km 50 allowed as new sites: 20 covers 10,20,30 (105) vs 50 covers 40,50 (105) — tie
    r4 = solve_mclp(LINE_POP, LINE_D, 1, service_radius=10.0, candidate_mask=[0, 0, 1, 0, 0, 1])
    assert r4.objective == 105 and r4.selected.tolist()[0] in (2, 5)
    # must cover km 30 with one site: km 20, 30 or 40; best is 40 (30+40+50 = 155)
    r5 = solve_mclp(LINE_POP, LINE_D, 1, service_radius=10.0, must_cover=[3])
    assert r5.objective == 155 and r5.selected.tolist() == [4]


def test_lscp_by_hand():
    r = solve_lscp(LINE_D, service_radius=10.0)
    assert r.objective == 2 and r.status == "optimal" and r.covered.all()
    # every settlement above 60 people: km 0 and 50 → still two sites (30 km radius would need one)
    r2 = solve_lscp(LINE_D, weights=LINE_POP, must_cover=LINE_POP > 60, service_radius=10.0)
    assert r2.objective == 2 and r2.covered[[0, 5]].all()
    r3 = solve_lscp(LINE_D, weights=LINE_POP, must_cover=LINE_POP > 60, service_radius=25.0)
    assert r3.objective == 2
    r4 = solve_lscp(LINE_D, service_radius=30.0)
    assert r4.objective == 1 and r4.selected.tolist() in ([2], [3])
    r5 = solve_lscp(LINE_D, service_radius=10.0, existing_sites=[1])
    assert r5.objective == 1 and r5.selected.tolist() == [4]


def test_pmedian_by_hand():
    # one site: weighted 1-median of the line. Cost at km x = Σ pop |x - km|
    cost = LINE_D @ LINE_POP
    r1 = solve_pmedian(LINE_POP, LINE_D, 1)
    assert r1.objective == pytest.approx(cost.min()) and r1.status == "optimal"
    # two sites: the big end settlements each get one
    r2 = solve_pmedian(LINE_POP, LINE_D, 2)
    best = min(LINE_POP @ LINE_D[:, [a, b]].min(axis=1) for a, b in itertools.combinations(range(6), 2))
    assert r2.objective == pytest.approx(best)
    np.testing.assert_allclose(r2.distance, LINE_D[:, r2.selected].min(axis=1))
    # existing at km 0, one new: 50 (serves 30? no: 30 → 20 from 50 vs 30 from 0)
    r3 = solve_pmedian(LINE_POP, LINE_D, 1, existing_sites=[0])
    best3 = min(LINE_POP @ LINE_D[:, [0, b]].min(axis=1) for b in range(1, 6))
    assert r3.objective == pytest.approx(best3) and r3.existing.tolist() == [0]


# ---------------------------------------------------------------- brute force on random instances

@st.composite
def covering_case(draw):
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(2, 13)), int(rng.integers(2, 8))
    C = rng.random((n, m)) < rng.uniform(0.1, 0.6)
    if draw(st.booleans()):
        C[n // 2:] = C[: n - n // 2]
    w = rng.integers(0, 20, n).astype(float)
    existing = rng.choice(m, size=int(rng.integers(0, 2)), replace=False)
    mask = rng.random(m) < 0.85
    must = rng.random(n) < 0.15
    return C, w, existing, mask, must, rng


def _covered(C, S):
    S = list(S)
    return C[:, S].any(axis=1) if S else np.zeros(len(C), dtype=bool)


@settings(max_examples=80, deadline=None)
@given(covering_case())
def test_mclp_matches_brute_force(case):
    C, w, existing, mask, must, rng = case
    cand = [j for j in range(C.shape[1]) if mask[j] and j not in existing]
    p = int(rng.integers(0, len(cand) + 1))
    plans = [S for S in itertools.combinations(cand, p) if _covered(C, list(existing) + list(S))[must].all()]
    if not plans:
        with pytest.raises(InfeasibleError):
            solve_mclp(w, sp.csr_matrix(C), p, existing_sites=existing, candidate_mask=mask, must_cover=must)
        return
    best = max(w[_covered(C, list(existing) + list(S))].sum() for S in plans)
    r = solve_mclp(w, sp.csr_matrix(C), p, existing_sites=existing, candidate_mask=mask, must_cover=must)
    assert r.status == "optimal" and r.objective == best
    assert len(r.selected) == p and set(r.selected) <= set(cand)  # every chosen site is a candidate
    assert set(r.existing) == set(existing)
    # coverage recomputed independently agrees with the model's
    assert (r.covered == _covered(C, list(existing) + list(r.selected))).all()
    assert r.covered[must].all()
    # the unreduced model gives the same optimum
    assert solve_mclp(w, sp.csr_matrix(C), p, existing_sites=existing, candidate_mask=mask,
                      must_cover=must, reduce=False).objective == best


@settings(max_examples=80, deadline=None)
@given(covering_case())
def test_lscp_matches_brute_force(case):
    C, w, existing, mask, _, rng = case
    required = rng.random(C.shape[0]) < 0.7
    cand = [j for j in range(C.shape[1]) if mask[j] and j not in existing]
    best = next((q for q in range(len(cand) + 1) for S in itertools.combinations(cand, q)
                 if _covered(C, list(existing) + list(S))[required].all()), None)
    if best is None:
        with pytest.raises(InfeasibleError) as exc:
            solve_lscp(C, must_cover=required, existing_sites=existing, candidate_mask=mask)
        assert len(exc.value.diagnosis["uncoverable"]) > 0
        return
    r = solve_lscp(C, must_cover=required, existing_sites=existing, candidate_mask=mask)
    assert r.status == "optimal" and r.objective == best and len(r.selected) == best
    assert set(r.selected) <= set(cand)
    assert _covered(C, list(existing) + list(r.selected))[required].all()
    assert (r.covered == _covered(C, list(existing) + list(r.selected))).all()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1), st.booleans())
def test_pmedian_matches_brute_force(seed, ties):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(3, 14)), int(rng.integers(2, 9))
    xy, sxy = rng.random((n, 2)), rng.random((m, 2))
    if ties:
        xy, sxy = np.round(xy * 3) / 3, np.round(sxy * 3) / 3
    D = np.linalg.norm(xy[:, None] - sxy[None], axis=2)
    w = rng.integers(1, 10, n).astype(float)
    existing = rng.choice(m, size=int(rng.integers(0, 2)), replace=False)
    cand = [j for j in range(m) if j not in existing]
    p = int(rng.integers(1, len(cand) + 1)) if cand else 0
    best = min(w @ D[:, list(existing) + list(S)].min(axis=1) for S in itertools.combinations(cand, p))
    r = solve_pmedian(w, D, p, existing_sites=existing, k_initial=int(rng.integers(1, 4)))
    assert r.status == "optimal"
    assert r.objective == pytest.approx(best, rel=1e-9, abs=1e-9)
    assert set(r.selected) <= set(cand) and set(r.existing) == set(existing)
    np.testing.assert_allclose(r.distance, D[:, r.open_sites].min(axis=1))


def test_pmedian_must_cover_within_radius():
    rng = np.random.default_rng(11)
    xy = rng.random((12, 2)) * 10
    D = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    w = rng.integers(1, 50, 12).astype(float)
    must = np.zeros(12, dtype=bool)
    must[[0, 7]] = True
    p = 2
    feasible = [S for S in itertools.combinations(range(12), p) if (D[np.ix_(must, S)].min(axis=1) <= 1.5).all()]
    best = min(w @ D[:, S].min(axis=1) for S in feasible)
    r = solve_pmedian(w, D, p, must_cover=must, service_radius=1.5)
    assert r.objective == pytest.approx(best) and r.covered[must].all()
    with pytest.raises(InfeasibleError):
        solve_pmedian(w, D, 1, must_cover=[0, 7], service_radius=0.01)


# ---------------------------------------------------------------- capacities


def _pulp_capacitated_reference(model, C, D, w, cap, p, existing, required=None):
    """An independent single-sourcing model, written plainly with PuLP and solved by CBC."""
    n, m = (C if C is not None else D).shape
    sense = pulp.LpMaximize if model == "mclp" else pulp.LpMinimize
    prob = pulp.LpProblem("ref", sense)
    allowed = [(i, j) for i in range(n) for j in range(m)
               if (C is None or C[i, j]) and w[i] <= cap[j]]
    x = {(i, j): prob.add_variable(f"x_{i}_{j}", 0, 1, pulp.LpBinary) for i, j in allowed}
    y = {j: prob.add_variable(f"y_{j}", 0, 1, pulp.LpBinary) for j in range(m)}
    if model == "mclp":
        prob += pulp.lpSum(w[i] * x[i, j] for i, j in allowed)
    elif model == "lscp":
        prob += pulp.lpSum(y[j] for j in range(m) if j not in existing)
    else:
        prob += pulp.lpSum(w[i] * D[i, j] * x[i, j] for i, j in allowed)
    for i in range(n):
        terms = [x[i, j] for j in range(m) if (i, j) in x]
        if model == "mclp":
            prob += pulp.lpSum(terms) <= 1
        elif model == "lscp":
            if required[i]:
                prob += pulp.lpSum(terms) == 1
        else:
            prob += pulp.lpSum(terms) == 1
    for (i, j), v in x.items():
        prob += v <= y[j]
    for j in range(m):
        prob += pulp.lpSum(w[i] * x[i, jj] for i, jj in allowed if jj == j) <= cap[j] * y[j]
    for j in existing:
        prob += y[j] == 1
    if model != "lscp":
        prob += pulp.lpSum(y[j] for j in range(m) if j not in existing) == p
    outcome = prob.solve(pulp.HiGHS(msg=False))
    assert solution_status(prob, outcome) == SOLUTION_OPTIMAL
    return pulp.value(prob.objective)


def _served(r, n_sites, w):
    load = np.zeros(n_sites)
    ok = r.assignment >= 0
    np.add.at(load, r.assignment[ok], w[ok])
    return load


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_capacitated_models_respect_capacities_and_match_reference(seed):
    rng = np.random.default_rng(seed)
    n, m = 9, 5
    xy, sxy = rng.random((n, 2)) * 10, rng.random((m, 2)) * 10
    D = np.linalg.norm(xy[:, None] - sxy[None], axis=2)
    C = D <= 5.0
    w = rng.integers(5, 40, n).astype(float)
    cap = rng.integers(40, 90, m).astype(float)
    existing = [0]
    # MCLP
    r = solve_mclp(w, sp.csr_matrix(C), 2, existing_sites=existing, capacities=cap)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(_pulp_capacitated_reference("mclp", C, None, w, cap, 2, existing))
    assert (_served(r, m, w) <= cap + 1e-9).all()
    assert all(C[i, r.assignment[i]] for i in np.flatnonzero(r.assignment >= 0))
    assert set(r.assignment[r.assignment >= 0]) <= set(r.open_sites)
    # p-median (all pairs: k_capacitated ≥ m)
    big = np.full(m, w.sum())
    big[:3] = cap[:3]
    try:
        ref = _pulp_capacitated_reference("pmedian", None, D, w, big, 2, existing)
    except AssertionError:
        ref = None
    if ref is not None:
        r2 = solve_pmedian(w, D, 2, existing_sites=existing, capacities=big)
        assert r2.objective == pytest.approx(ref, rel=1e-7)
        assert (_served(r2, m, w) <= big + 1e-9).all() and (r2.assignment >= 0).all()
    # LSCP: every settlement within 6 km, capacities
    C6 = D <= 6.0
    req = C6.any(axis=1)
    try:
        ref3 = _pulp_capacitated_reference("lscp", C6, None, w, np.full(m, 120.0), 0, existing, req)
    except AssertionError:
        ref3 = None
    if ref3 is not None:
        r3 = solve_lscp(sp.csr_matrix(C6), weights=w, must_cover=req, existing_sites=existing,
                        capacities=np.full(m, 120.0))
        assert r3.objective == pytest.approx(ref3)
        assert (_served(r3, m, w) <= 120.0 + 1e-9).all() and (r3.assignment[req] >= 0).all()
        assert 0 in r3.open_sites


# ---------------------------------------------------------------- solvers, statuses, errors


def test_pulp_solvers_agree_with_direct_highs():
    inst = synthetic_instance(300, 60, seed=3)
    cov = planar_within_radius(inst.demand_xy, inst.site_xy, 30.0)
    a = solve_mclp(inst.population, cov, inst.p)
    b = solve_mclp(inst.population, cov, inst.p, solver=PulpSolver(pulp.HiGHS(msg=False)))
    c = solve_lscp(cov, must_cover=np.diff(cov.tocsr().indptr) > 0, solver=PulpSolver(pulp.HiGHS(msg=False)))
    d = solve_lscp(cov, must_cover=np.diff(cov.tocsr().indptr) > 0)
    assert a.objective == b.objective and a.status == b.status == "optimal"
    assert c.objective == d.objective and c.status == "optimal"


def test_thread_count_can_change_between_solves():
    inst = synthetic_instance(2000, 400, seed=1)
    cov = planar_within_radius(inst.demand_xy, inst.site_xy, 30.0)
    a = solve_mclp(inst.population, cov, inst.p)
    b = solve_mclp(inst.population, cov, inst.p, solver=HighsSolver(threads=1))
    assert a.status == b.status == "optimal" and a.objective == b.objective and b.solver == "highs"


def test_time_limit_is_reported_honestly(monkeypatch):
    import siting.locate.mclp as mclp_module

    inst = synthetic_instance(10000, 1000, seed=1)
    cov = planar_within_radius(inst.demand_xy, inst.site_xy, 30.0)
    # decomposed, its small components can all be proven even in 0.3 s on an idle machine: whatever the status, it
    # must match the bound
    r = solve_mclp(inst.population, cov, inst.p, solver=HighsSolver(time_limit=0.3), heuristic_seconds=0.0)
    assert (r.status == "optimal" and r.gap == 0 and r.bound == pytest.approx(r.objective)) or (
        r.status == "time_limit" and r.gap > 0 and r.bound > r.objective)
    # as one model HiGHS needs seconds to prove it: the clock stops it, and the result says so
    monkeypatch.setattr(mclp_module, "DECOMPOSE_MIN_NNZ", 10**12)
    r = solve_mclp(inst.population, cov, inst.p, solver=HighsSolver(time_limit=0.3), heuristic_seconds=0.0)
    assert r.status == "time_limit"
    assert r.gap > 0 and r.bound > r.objective
    assert "gap" in r.summary()


def test_existing_offices_stay_open_everywhere():
    inst = synthetic_instance(400, 80, seed=5)
    cov = planar_within_radius(inst.demand_xy, inst.site_xy, 30.0)
    existing = np.array([3, 17, 40])
    for r in (
        solve_mclp(inst.population, cov, 5, existing_sites=existing),
        solve_lscp(cov, must_cover=np.diff(cov.indptr) > 0, existing_sites=existing),
        solve_pmedian(inst.population, TreeNeighbours(inst.demand_xy, inst.site_xy), 5, existing_sites=existing),
    ):
        assert set(existing) <= set(r.open_sites.tolist())
        assert not set(existing) & set(r.selected.tolist())
        assert r.status == "optimal"


def test_tree_source_equals_dense_matrix():
    inst = synthetic_instance(500, 100, seed=9)
    D = np.linalg.norm(inst.demand_xy[:, None] - inst.site_xy[None], axis=2)
    a = solve_pmedian(inst.population, D, inst.p)
    b = solve_pmedian(inst.population, TreeNeighbours(inst.demand_xy, inst.site_xy), inst.p)
    assert a.status == b.status == "optimal"
    assert a.objective == pytest.approx(b.objective, rel=1e-9)


def test_user_errors():
    with pytest.raises(LocationInputError):
        solve_mclp(LINE_POP, LINE_D, 7, service_radius=10.0)  # p > candidates
    with pytest.raises(LocationInputError):
        solve_mclp(-LINE_POP, LINE_D, 1, service_radius=10.0)
    with pytest.raises(LocationInputError):
        solve_mclp(LINE_POP, LINE_D, 1)  # dense distances without a radius
    with pytest.raises(LocationInputError):
        solve_pmedian(LINE_POP, LINE_D, 1, must_cover=[0])  # must-cover needs a radius
    with pytest.raises(InfeasibleError):
        solve_lscp(LINE_D, service_radius=10.0, candidate_mask=[1, 0, 0, 0, 0, 0])
    with pytest.raises(InfeasibleError):
        solve_mclp(LINE_POP, LINE_D, 1, service_radius=10.0, must_cover=[0, 5])
    assert issubclass(LocationInputError, AmayeshError)


def test_results_are_frozen():
    r = solve_mclp(LINE_POP, LINE_D, 1, service_radius=10.0)
    with pytest.raises(Exception):
        r.objective = 0  # type: ignore[misc]
    with pytest.raises(ValueError):
        r.selected[0] = 3
