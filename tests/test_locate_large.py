"""The village-scale MCLP path: Lagrangian upper bounds, the smoothed LP dual and large-neighbourhood search."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import siting.locate.mclp as mclp_module
from siting.locate import HighsSolver, planar_within_radius, solve_mclp
from siting.locate.heuristics import greedy_cover
from siting.locate.lagrange import mclp_dual_smoothed, mclp_lagrangian
from siting.locate.lns import lns_cover
from siting.locate.mip import relative_gap
from siting.locate.synthetic import synthetic_instance


def brute_force_mclp(C: np.ndarray, w: np.ndarray, p: int) -> float:
    return max(w[C[:, list(S)].any(axis=1)].sum() if S else 0.0 for S in itertools.combinations(range(C.shape[1]), p))


def lp_bound(C: sp.csr_matrix, w: np.ndarray, p: int) -> float:
    """The MCLP LP relaxation solved by HiGHS, independently of the Lagrangian code."""
    import highspy

    n, m = C.shape
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    A = sp.vstack([sp.hstack([-sp.csr_matrix(C, dtype=float), sp.identity(n)]),
                   sp.csr_matrix(np.r_[np.ones(m), np.zeros(n)][None, :])], format="csr")
    h.passModel(m + n, n + 1, A.nnz, 2, -1, 0.0, np.r_[np.zeros(m), w], np.zeros(m + n), np.ones(m + n),
                np.full(n + 1, -np.inf), np.r_[np.zeros(n), p], A.indptr.astype(np.int32),
                A.indices.astype(np.int32), A.data, np.zeros(m + n, dtype=np.int32))
    h.run()
    return float(h.getInfo().objective_function_value)


@st.composite
def small_cover(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    n, m = int(rng.integers(1, 12)), int(rng.integers(1, 7))
    C = rng.random((n, m)) < rng.uniform(0.1, 0.7)
    w = rng.integers(0, 30, n).astype(float)
    p = int(rng.integers(0, m + 1))
    lam = rng.uniform(-5, 35, n)  # outside [0, W] too: it must be clipped, not trusted
    return C, w, p, lam


@settings(max_examples=150, deadline=None)
@given(small_cover())
def test_every_lagrangian_is_an_upper_bound(case):
    C, w, p, lam = case
    value, s = mclp_lagrangian(sp.csr_matrix(C), w, p, lam)
    assert value >= brute_force_mclp(C, w, p) - 1e-9
    assert s.shape == (C.shape[1],)


@settings(max_examples=40, deadline=None)
@given(small_cover())
def test_smoothed_dual_bounds_the_optimum_and_is_exact_at_lambda(case):
    C, w, p, _ = case
    lb = mclp_dual_smoothed(sp.csr_matrix(C), w, p)
    assert lb.bound >= brute_force_mclp(C, w, p) - 1e-9
    # the reported bound is the exact Lagrangian at the reported multipliers
    assert lb.bound == pytest.approx(mclp_lagrangian(sp.csr_matrix(C), w, p, lb.multipliers)[0], abs=1e-6)


@pytest.mark.parametrize("n,m,seed", [(2000, 400, 1), (3000, 500, 2)])
def test_smoothed_dual_reaches_the_lp_bound(n, m, seed):
    inst = synthetic_instance(n, m, seed=seed)
    C = sp.csr_matrix(planar_within_radius(inst.demand_xy, inst.site_xy, 30.0), dtype=bool)
    w = inst.population.astype(float)
    lp = lp_bound(C, w, inst.p)
    lb = mclp_dual_smoothed(C, w, inst.p)
    assert lb.bound >= lp - 1e-6 * lp  # never below the LP optimum (it is a dual bound)
    assert relative_gap(lp, lb.bound) < 1e-4  # and close to it


def test_lns_keeps_the_site_count_and_never_loses_coverage():
    inst = synthetic_instance(3000, 500, seed=3)
    C = sp.csr_matrix(planar_within_radius(inst.demand_xy, inst.site_xy, 30.0), dtype=bool)
    w = inst.population.astype(float)
    rng = np.random.default_rng(0)
    must = np.zeros(C.shape[0], dtype=bool)
    must[rng.choice(np.flatnonzero(np.diff(C.indptr) > 0), 5, replace=False)] = True
    start = greedy_cover(C, w, inst.p, must=must)
    assert start is not None

    def covered(S):
        return (C[:, S].sum(axis=1).A1 > 0)

    better = lns_cover(C, w, start, 3.0, HighsSolver(time_limit=2.0), must=must, sites_per_move=60, seed=4)
    assert len(better) == len(start) == inst.p and len(set(better.tolist())) == inst.p
    assert w[covered(better)].sum() >= w[covered(start)].sum()
    assert covered(better)[must].all()


def test_lns_over_the_whole_model_finds_the_optimum():
    rng = np.random.default_rng(11)
    C = rng.random((14, 8)) < 0.3
    w = rng.integers(1, 50, 14).astype(float)
    p = 3
    start = np.array([0, 1, 2])
    best = lns_cover(sp.csr_matrix(C), w, start, 0.5, HighsSolver(), sites_per_move=100)
    assert w[C[:, best].any(axis=1)].sum() == brute_force_mclp(C, w, p)


def test_large_model_path_reports_a_valid_bound(monkeypatch):
    # the path used above LARGE_MODEL_NNZ coverage entries, forced on a model HiGHS can also prove
    inst = synthetic_instance(2000, 400, seed=5)
    cov = planar_within_radius(inst.demand_xy, inst.site_xy, 30.0)
    w = inst.population.astype(float)
    exact = solve_mclp(w, cov, inst.p)
    assert exact.status == "optimal"
    monkeypatch.setattr(mclp_module, "LARGE_MODEL_NNZ", 0)
    r = solve_mclp(w, cov, inst.p, heuristic_seconds=2.0)
    assert r.solver == "local-search+lagrangian"
    assert r.objective <= exact.objective + 1e-6 <= r.bound + 2e-6
    assert r.bound <= w[np.diff(sp.csr_matrix(cov).indptr) > 0].sum() + 1e-6  # never looser than the coverable population
    assert r.gap == pytest.approx(relative_gap(r.objective, r.bound)) or r.status == "optimal"
    assert r.status in ("optimal", "gap_limit", "time_limit")
    assert len(r.selected) == inst.p


def test_solvers_print_nothing_on_stdout():
    # HiGHS prints a copyright banner from C++ on a process's first Highs object; the CLI writes tables
    # to stdout, so neither the location models nor the allocation model may let it through
    import subprocess
    import sys

    code = (
        "import numpy as np, scipy.sparse as sp\n"
        "from siting.locate import solve_mclp\n"
        "r = solve_mclp(np.ones(3), sp.csr_matrix(np.eye(3, dtype=bool)), 1)\n"
        "assert r.status == 'optimal'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == ""
