"""The village-scale MCLP path: Lagrangian upper bounds, the smoothed LP dual and large-neighbourhood search."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

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


# ---------------------------------------------------------------- decomposition by components

def block_instance(rng: np.random.Generator, blocks: int) -> tuple[np.ndarray, np.ndarray]:
    """Coverage made of independent blocks (several components), with random weights."""
    parts = []
    for _ in range(blocks):
        n, m = int(rng.integers(1, 6)), int(rng.integers(1, 4))
        parts.append(rng.random((n, m)) < rng.uniform(0.3, 0.8))
    C = sp.block_diag([sp.csr_matrix(b) for b in parts], format="csr").toarray().astype(bool)
    return C, rng.integers(0, 25, C.shape[0]).astype(float)


def test_components_follow_the_blocks():
    from siting.locate.decompose import coverage_components

    C = np.zeros((5, 6), dtype=bool)
    C[0, [0, 1]] = C[1, 1] = True      # sites 0, 1 with groups 0, 1
    C[2, [2, 3]] = C[3, 3] = True      # sites 2, 3 with groups 2, 3
    C[4, 4] = True                      # site 4 with group 4; site 5 covers nothing
    parts = coverage_components(sp.csr_matrix(C))
    assert [sorted(s.tolist()) for s, _ in parts] == [[0, 1], [2, 3], [4]]
    assert [sorted(g.tolist()) for _, g in parts] == [[0, 1], [2, 3], [4]]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(0, 60))
def test_component_bound_holds_for_every_price_serial_or_threaded(seed, price):
    from siting.locate.decompose import solve_by_components

    rng = np.random.default_rng(seed)
    C, w = block_instance(rng, int(rng.integers(2, 5)))
    p = int(rng.integers(0, C.shape[1] + 1))
    args = (sp.csr_matrix(C), w, np.zeros(len(w), bool), p, price, HighsSolver())
    serial, threaded = solve_by_components(*args), solve_by_components(*args, workers=3)
    assert serial.bound >= brute_force_mclp(C, w, p) - 1e-6
    # components solved three at a time give the same bound and the same sites
    assert threaded.bound == pytest.approx(serial.bound)
    assert sorted(threaded.chosen.tolist()) == sorted(serial.chosen.tolist())
    assert threaded.proven and serial.proven


@pytest.mark.parametrize("loose", [False, True])
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_decomposed_solve_matches_brute_force(loose, seed):
    # forced on tiny models. With loose=True the LP and component bounds are made 100 weaker (still valid
    # upper bounds), so a gap is left and the fall-back to branch and bound on the whole model must close it
    import dataclasses

    from siting.locate import decompose

    rng = np.random.default_rng(seed)
    C, w = block_instance(rng, int(rng.integers(2, 5)))
    p = int(rng.integers(1, C.shape[1] + 1))
    must = np.zeros(len(w), dtype=bool)
    if rng.random() < 0.3:
        must[rng.integers(len(w))] = C[rng.integers(len(w))].any()
    plans = [S for S in itertools.combinations(range(C.shape[1]), p) if C[:, list(S)].any(axis=1)[must].all()]
    if not plans:
        return
    best = max(w[C[:, list(S)].any(axis=1)].sum() for S in plans)
    real_split, real_lp = decompose.solve_by_components, HighsSolver.solve_relaxation
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(mclp_module, "DECOMPOSE_MIN_NNZ", 0)
        mp.setattr(mclp_module, "DECOMPOSE_MAX_SITE_SHARE", 1.0)
        if loose:
            mp.setattr(mclp_module, "solve_by_components",
                       lambda *a, **k: dataclasses.replace(real_split(*a, **k), bound=real_split(*a, **k).bound + 100))
            mp.setattr(HighsSolver, "solve_relaxation",
                       lambda self, model: dataclasses.replace(real_lp(self, model),
                                                               objective=real_lp(self, model).objective + 100))
        r = solve_mclp(w, sp.csr_matrix(C), p, must_cover=must, heuristic_seconds=0)
    assert r.status == "optimal" and r.objective == pytest.approx(best)
    assert r.bound >= best - 1e-6
    assert len(r.selected) == p and r.covered[must].all()
    if loose and r.solver not in ("heuristic", "none"):
        assert r.solver == "highs"  # the gap was closed by the whole-model search


def test_fit_to_budget_drops_least_loss_and_keeps_must_cover():
    from siting.locate.mclp import _fit_to_budget

    C = sp.csr_matrix(np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]], dtype=bool))
    w = np.array([10.0, 1.0, 5.0, 2.0])
    must = np.array([False, True, False, False])
    # site 1 loses least (1) but is the only cover of a must-cover group: site 2 (5) goes instead
    assert _fit_to_budget(C, w, must, np.array([0, 1, 2]), 2).tolist() == [0, 1]
    assert _fit_to_budget(C, w, np.zeros(4, bool), np.array([0, 1, 2]), 2).tolist() == [0, 2]
    # too few: the best missing site is added
    assert _fit_to_budget(C, w, np.zeros(4, bool), np.array([1]), 2).tolist() == [0, 1]


def test_mid_size_model_is_solved_by_components(monkeypatch):
    inst = synthetic_instance(6000, 700, seed=7)
    cov = planar_within_radius(inst.demand_xy, inst.site_xy, 30.0)
    w = inst.population.astype(float)
    whole = solve_mclp(w, cov, inst.p)  # 24,474 entries: below DECOMPOSE_MIN_NNZ, one MIP
    monkeypatch.setattr(mclp_module, "DECOMPOSE_MIN_NNZ", 20_000)
    r = solve_mclp(w, cov, inst.p)
    assert "decomposition" not in whole.stats
    assert r.stats["decomposition"]["components"] >= 2
    assert r.stats["decomposition"]["workers"] == (os.cpu_count() or 1)
    assert r.status == whole.status == "optimal"
    assert r.objective == whole.objective


@pytest.mark.parametrize("price_factor", [0.5, 1.5])
def test_a_wrong_budget_price_is_corrected_by_repricing(monkeypatch, price_factor):
    # the LP's budget dual scaled: the components' plans then use fewer (dearer sites) or more sites than p, and
    # the Polyak re-pricing must find a price whose bound proves the optimum, with no whole-model search
    import dataclasses

    inst = synthetic_instance(6000, 700, seed=7)
    cov = planar_within_radius(inst.demand_xy, inst.site_xy, 30.0)
    w = inst.population.astype(float)
    whole = solve_mclp(w, cov, inst.p)
    real_lp = HighsSolver.solve_relaxation
    monkeypatch.setattr(mclp_module, "DECOMPOSE_MIN_NNZ", 20_000)
    monkeypatch.setattr(HighsSolver, "solve_relaxation", lambda self, model: dataclasses.replace(
        out := real_lp(self, model), row_dual=out.row_dual * price_factor))
    r = solve_mclp(w, cov, inst.p)
    prices = r.stats["decomposition"]["prices"]
    assert r.status == "optimal" and r.objective == whole.objective
    assert r.solver == "highs-components"
    assert 1 < len(prices) <= 1 + mclp_module.REPRICE_ROUNDS
    # each step moves the price toward the right one (the LP's dual) from the side it started on
    assert (np.diff(prices) > 0).all() if price_factor < 1 else (np.diff(prices) < 0).all()


def test_decomposition_stops_at_the_requested_gap(monkeypatch):
    # a bound 0.001 % above the components' plan: proven neither optimal nor worth a whole-model search at 0.01 %
    import dataclasses

    from siting.locate import decompose

    inst = synthetic_instance(6000, 700, seed=7)
    cov = planar_within_radius(inst.demand_xy, inst.site_xy, 30.0)
    w = inst.population.astype(float)
    real_split = decompose.solve_by_components
    monkeypatch.setattr(mclp_module, "DECOMPOSE_MIN_NNZ", 20_000)
    monkeypatch.setattr(mclp_module, "solve_by_components",
                        lambda *a, **k: dataclasses.replace(d := real_split(*a, **k), bound=d.bound * 1.00001))
    sizes, real_solve = [], HighsSolver.solve
    monkeypatch.setattr(HighsSolver, "solve", lambda self, mip, *a: sizes.append(mip.n_cols) or real_solve(self, mip, *a))
    r = solve_mclp(w, cov, inst.p, solver=HighsSolver(mip_rel_gap=1e-4), heuristic_seconds=0.5)
    assert r.status == "gap_limit" and r.solver == "highs-components"
    assert len(sizes) == r.stats["decomposition"]["components"]  # the components only, not the whole model
    assert max(sizes) < r.stats["rows"] + r.stats["columns"]
    assert 0 < r.gap <= 1e-4 and r.bound >= r.objective


def test_threaded_components_keep_the_banner_off_stdout():
    # the first HiGHS objects of a process are made by worker threads at once: stdout must survive them
    import subprocess
    import sys

    script = (
        "import numpy as np, scipy.sparse as sp\n"
        "from siting.locate import HighsSolver\n"
        "from siting.locate.decompose import solve_by_components\n"
        "C = sp.block_diag([sp.csr_matrix(np.ones((3, 2), bool))] * 6, format='csr')\n"
        "d = solve_by_components(C, np.arange(18.0), np.zeros(18, bool), 4, 1.0, HighsSolver(), workers=4)\n"
        "print('bound', round(d.bound, 6))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    # each block: one site covers its three groups (weights 9b+3 in all), worth 9b+2 at price 1; U = 4·1 + Σ(9b+2)
    assert out.stdout.splitlines() == ["bound 151.0"]
