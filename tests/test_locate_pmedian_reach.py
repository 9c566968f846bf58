"""p-median: the Lagrangian reach caps and the sites they force open keep every better plan."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.locate import solve_pmedian
from siting.locate.distances import MatrixNeighbours
from siting.locate.lagrange import pmedian_dual_smoothed
from siting.locate.pmedian import _Lists, _reach_limits, _row_positions, _sole_sites


def _instance(seed: int, n: int, m: int):
    rng = np.random.default_rng(seed)
    xy = rng.random((n, 2)) * 100
    sites = rng.choice(n, m, replace=False)
    D = np.linalg.norm(xy[:, None] - xy[sites][None], axis=2)
    w = np.floor(rng.lognormal(3.0, 1.2, n)) + 1
    return D, w


def _all_plans(m: int, p: int) -> np.ndarray:
    combos = np.array(list(itertools.combinations(range(m), p)))
    plans = np.zeros((len(combos), m), dtype=bool)
    plans[np.arange(len(combos))[:, None], combos] = True
    return plans


def _costs(D: np.ndarray, w: np.ndarray, plans: np.ndarray) -> np.ndarray:
    masked = np.where(plans[:, None, :], D[None], np.inf)  # plan × settlement × site
    return masked.min(axis=2) @ w


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 4))
def test_every_plan_cheaper_than_the_upper_bound_stays_within_reach(seed, p):
    D, w = _instance(seed, 30, 10)
    n, m = D.shape
    plans = _all_plans(m, p)
    cost = _costs(D, w, plans)
    upper = float(np.quantile(cost, 0.1))  # some plan's cost, as the search would give
    L = _Lists(MatrixNeighbours(D), np.zeros(m, dtype=bool), np.full(n, m))
    lb = pmedian_dual_smoothed(L.lists, w, np.full(n, np.inf), np.zeros(m, bool), np.ones(m, bool), p,
                               w * D.min(axis=1), time_limit=5.0)
    assert lb.bound <= cost.min() + 1e-6 * cost.min()
    reach = _reach_limits(lb, w, upper, np.ones(m, bool), p)
    capped = _Lists(MatrixNeighbours(D), np.zeros(m, dtype=bool), np.full(n, m), reach)
    forced = _sole_sites(capped)
    usable = np.zeros((n, m), dtype=bool)
    rows, _ = _row_positions(capped.lists.indptr)
    usable[rows, capped.lists.indices] = True
    for plan in plans[cost <= upper]:
        masked = np.where(plan[None], D, np.inf)
        served_by = masked.argmin(axis=1)
        assert np.all(masked.min(axis=1) <= reach.limit + 1e-9), "a better plan serves a settlement beyond its reach"
        assert usable[np.arange(n), served_by].all(), "a better plan uses a pair the capped lists dropped"
        assert plan[forced].all(), "a better plan leaves a forced site closed"


def test_pmedian_with_reach_fixing_matches_enumeration():
    # 40 instances with an integrality gap often enough that the residual model after reach fixing runs
    reach_used = 0
    for seed in range(40):
        D, w = _instance(1000 + seed, 60, 14)
        p = 4
        cost = _costs(D, w, _all_plans(14, p))
        r = solve_pmedian(w, D, p, k_initial=3, heuristic_seconds=0.0, ils_seconds=0.0)
        assert r.status == "optimal"
        assert r.objective == pytest.approx(cost.min(), rel=1e-9)
        np.testing.assert_allclose(r.distance, D[:, r.open_sites].min(axis=1))
        reach_used += "fixed_open_by_reach" in r.stats
    assert reach_used >= 5, "too few instances exercised the reach-capped residual model"


def test_the_reach_cap_removes_pairs_and_forces_sites():
    # the property above would hold for an infinite reach; here the cap must bite
    D, w = _instance(7, 30, 10)
    n, m = D.shape
    cost = _costs(D, w, _all_plans(m, 3))
    L = _Lists(MatrixNeighbours(D), np.zeros(m, dtype=bool), np.full(n, m))
    lb = pmedian_dual_smoothed(L.lists, w, np.full(n, np.inf), np.zeros(m, bool), np.ones(m, bool), 3,
                               w * D.min(axis=1), time_limit=5.0)
    reach = _reach_limits(lb, w, cost.min(), np.ones(m, bool), 3)
    capped = _Lists(MatrixNeighbours(D), np.zeros(m, dtype=bool), np.full(n, m), reach)
    assert capped.lists.nnz < L.lists.nnz / 2
    assert capped.closed.all()
    # the site penalties drop pairs the distance limit alone keeps
    within = int((L.lists.data <= reach.limit[_row_positions(L.lists.indptr)[0]]).sum())
    assert capped.lists.nnz < within
    forced = _sole_sites(capped)
    assert forced.any()
    best = _all_plans(m, 3)[np.argmin(cost)]
    assert best[forced].all()  # the optimum opens them
