"""The regional Lagrangian bound (siting.locate.regions) and the bound's own process (siting.locate._bound_worker)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import siting.locate._bound_worker as worker_module
import siting.locate.mclp as mclp_module
from siting.locate import HighsSolver, planar_within_radius, solve_mclp
from siting.locate.lagrange import mclp_dual_smoothed, mclp_lagrangian
from siting.locate.mip import relative_gap
from siting.locate.regions import coverage_regions, regional_bound, regional_prices
from siting.locate.synthetic import synthetic_instance
from tests.test_locate_large import brute_force_mclp, small_cover

SOLVER = HighsSolver(time_limit=5.0)


#: a small cover (tests.test_locate_large.small_cover: any λ, clipped, never trusted), region size and seed
cover_with_regions = st.tuples(small_cover(), st.integers(1, 3), st.integers(0, 99)).map(
    lambda t: (*t[0][:3], t[0][3], np.zeros(len(t[0][1]), dtype=bool), t[1], t[2]))


@settings(max_examples=120, deadline=None)
@given(cover_with_regions)
def test_regions_partition_the_reachable_groups(case):
    C, _, _, _, _, per, seed = case
    parts = coverage_regions(sp.csr_matrix(C), per, seed)
    groups = np.concatenate([g for _, g in parts]) if parts else np.zeros(0, int)
    assert sorted(groups.tolist()) == np.flatnonzero(C.any(axis=1)).tolist()
    for sites, region_groups in parts:
        # a region holds exactly the sites covering one of its groups
        assert sites.tolist() == np.flatnonzero(C[region_groups].any(axis=0)).tolist()
    assert [len(s) for s, _ in parts] == sorted(len(s) for s, _ in parts)


@settings(max_examples=120, deadline=None)
@given(cover_with_regions)
def test_prices_split_theta_and_the_region_lps_add_up_to_the_lagrangian(case):
    C, w, p, lam, must, per, seed = case
    R = sp.csr_matrix(C)
    parts = coverage_regions(R, per, seed)
    theta = 7.5
    costs, caps = regional_prices(R, w, lam, theta, parts)
    total = np.zeros(C.shape[1])
    for (sites, _), cost in zip(parts, costs):
        assert (cost >= 0).all()
        total[sites] += cost
    used = C.any(axis=0)
    assert total[used] == pytest.approx(np.full(used.sum(), theta))
    if 0 < p < C.shape[1]:
        rb = regional_bound(R, w, must, p, lam, SOLVER, sites_per_region=per, seed=seed)
        assert rb.lp_bound == pytest.approx(mclp_lagrangian(R, w, p, lam)[0], abs=1e-6)


@settings(max_examples=120, deadline=None)
@given(cover_with_regions)
def test_the_regional_bound_holds_and_is_never_weaker_than_the_lagrangian(case):
    C, w, p, lam, must, per, seed = case
    R = sp.csr_matrix(C)
    rb = regional_bound(R, w, must, p, lam, SOLVER, sites_per_region=per, seed=seed)
    assert rb.bound >= brute_force_mclp(C, w, p) - 1e-6
    assert rb.bound <= mclp_lagrangian(R, w, p, lam)[0] + 1e-6


def test_the_regional_bound_is_stronger_than_the_lp_on_a_country_shaped_instance():
    inst = synthetic_instance(3000, 600, seed=1)
    C = sp.csr_matrix(planar_within_radius(inst.demand_xy, inst.site_xy, 30.0), dtype=bool)
    w = inst.population.astype(float)
    dual = mclp_dual_smoothed(C, w, inst.p)
    # no time limit: every region is solved however loaded the machine is (about 3 s in all here)
    rb = regional_bound(C, w, np.zeros(C.shape[0], dtype=bool), inst.p, dual.multipliers, HighsSolver())
    exact = solve_mclp(w, C, inst.p)
    assert exact.status == "optimal"
    assert rb.lp_bound == pytest.approx(dual.bound)
    assert exact.objective - 1e-6 <= rb.bound < dual.bound  # valid, and strictly tighter than the LP
    assert rb.solved == rb.regions > 1


def test_regions_not_reached_by_the_deadline_keep_their_lp_term():
    inst = synthetic_instance(2000, 400, seed=1)
    C = sp.csr_matrix(planar_within_radius(inst.demand_xy, inst.site_xy, 30.0), dtype=bool)
    w = inst.population.astype(float)
    dual = mclp_dual_smoothed(C, w, inst.p)
    rb = regional_bound(C, w, np.zeros(C.shape[0], dtype=bool), inst.p, dual.multipliers, SOLVER, deadline=0.0)
    assert rb.solved == 0 and rb.bound == pytest.approx(rb.lp_bound)


def _large_path(monkeypatch):
    """The path used above LARGE_MODEL_NNZ, forced on a model HiGHS proves: its result, checked against the optimum."""
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
    return r


def test_the_large_path_computes_its_bound_in_another_process(monkeypatch):
    found = _large_path(monkeypatch).stats["bound"]
    assert found["process"] == "separate"
    # how many regions the 2 s leave time for depends on the machine's load: the regions' effect is tested above
    assert found["regions"] > 1
    assert found["bound"] <= found["lp_bound"] + 1e-6


@pytest.mark.parametrize("executable", ["/nonexistent/python", "/bin/false"])
def test_a_bound_process_that_cannot_run_falls_back_to_this_one(monkeypatch, executable):
    monkeypatch.setattr(worker_module.sys, "executable", executable)
    found = _large_path(monkeypatch).stats["bound"]
    assert found["process"] == "same" and found["process_error"]


@pytest.fixture
def bound_jobs(monkeypatch):
    """Every bound process the MCLP starts, recorded."""
    jobs = []
    real_start = mclp_module.start_village_bound

    def recording_start(*args, **kwargs):
        jobs.append(real_start(*args, **kwargs))
        return jobs[-1]

    monkeypatch.setattr(mclp_module, "start_village_bound", recording_start)
    return jobs


def test_the_bound_process_is_stopped_when_the_search_fails(monkeypatch, bound_jobs):
    def failing_search(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(mclp_module, "lns_cover", failing_search)
    with pytest.raises(KeyboardInterrupt):
        _large_path(monkeypatch)
    assert len(bound_jobs) == 1 and bound_jobs[0]._proc is not None
    assert bound_jobs[0]._proc.poll() is not None  # the child was killed, not left running


def test_the_bound_process_is_stopped_when_the_plan_needs_no_bound(monkeypatch, bound_jobs):
    # two separate clusters and two sites: the plan covers everyone, optimal without any bound
    C = sp.csr_matrix(np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 1]], dtype=bool))
    monkeypatch.setattr(mclp_module, "LARGE_MODEL_NNZ", 0)
    r = solve_mclp(np.array([5.0, 4.0, 3.0, 2.0]), C, 2, heuristic_seconds=1.0, reduce=False)
    assert r.status == "optimal" and r.objective == 14.0
    assert len(bound_jobs) == 1 and bound_jobs[0]._proc is not None
    assert bound_jobs[0]._proc.poll() is not None
