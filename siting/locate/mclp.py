"""Maximal covering location problem (MCLP) with existing offices, rules, must-cover and capacities.

Formulation (uncapacitated; Church & ReVelle 1974), after the reductions of
:mod:`siting.locate.reduce`::

    maximise    Σ_g W_g z_g + W_0
    subject to  z_g − Σ_{j ∈ N_g} y_j ≤ 0      for every merged demand group g
                Σ_j y_j ≤ p
                z_g = 1                         for must-cover groups
                y_j ∈ {0, 1},  0 ≤ z_g ≤ 1

``W_0`` is the population already covered by existing offices (dropped rows);
groups are demand points with identical coverage sets (weights summed); ``j``
ranges over allowed candidate sites that survive column dominance. ``z`` need
not be integer: for integer ``y`` the optimum sets ``z_g = min(1, Σ y)``. The
budget is ``≤ p`` because reductions may leave fewer than ``p`` useful sites;
the plan is then padded to exactly ``p`` sites, which cannot lower coverage.

Capacitated variant (single sourcing: a settlement is served by one office)::

    maximise    Σ_{(i,j)} w_i x_ij
    subject to  Σ_j x_ij ≤ 1   (= 1 if i is must-cover)      for every demand i
                x_ij ≤ y_j                                    for every covering pair
                Σ_i w_i x_ij ≤ cap_j y_j                       for every site j
                Σ_{j new} y_j = p,  y_j = 1 for existing offices
                x, y ∈ {0, 1}

No row merging or dominance applies there (capacities make sites and
settlements distinguishable); only pairs with ``w_i ≤ cap_j`` are modelled.

Solving (uncapacitated, direct HiGHS): small models go to branch and bound
whole; mid-size ones whose coverage graph splits into components are solved by
Lagrangian decomposition over the components (:mod:`siting.locate.decompose`:
the LP that prices the budget runs while the heuristics do, then the components
are solved concurrently, one per core; the budget is re-priced when their plans
miss ``p``), falling back to the whole model only if a gap larger than the one
asked for is left; models too large for
branch and bound get swaps, large-neighbourhood search (:mod:`siting.locate.lns`)
and the smoothed LP-dual bound (:func:`siting.locate.lagrange.mclp_dual_smoothed`).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from siting.errors import InfeasibleError
from siting.locate._bound_worker import BoundJob, start_village_bound, village_bound
from siting.locate._cover_mip import cover_mip, cover_start
from siting.locate._highs import SEEDED_MIP_OPTIONS, HighsSolver, LpOutcome
from siting.locate._inputs import SiteSets, capacity_array, check_weights, coverage_matrix, row_mask
from siting.locate.decompose import coverage_components, solve_by_components
from siting.locate.evaluate import serving_site
from siting.locate.heuristics import greedy_cover, perturb_cover, swap_cover
from siting.locate.lns import lns_cover
from siting.locate.mip import OPTIMAL_GAP, MipModel, MipOutcome, MipSolver, relative_gap
from siting.locate.reduce import dominated_columns, merge_identical_rows, row_pair_work, rows_covered_by
from siting.locate.result import SitingResult

__all__ = ["MclpModel", "build_mclp", "solve_mclp"]

#: HiGHS options measured best for MCLP: our reductions replace HiGHS's presolve, which
#: costs more than the whole search here (2,000 × 400: 1.3 s → 0.27 s; 10,000 × 1,000:
#: 14–22 s → 7.5–10 s) and never finishes at 60,000 × 10,000.
HIGHS_OPTIONS = {"presolve": "off"}

#: HiGHS options for the LP relaxation that prices the decomposition's budget: unlike the
#: MIP, the LP gains from presolve (20,000 × 2,000: 0.81 s → 0.38 s, same duals).
RELAXATION_OPTIONS = {"presolve": "on"}

#: Above this many coverage entries (after reduction) HiGHS's root LP alone outlasts a
#: minute (60,000 × 10,000: simplex > 200 s, IPM 195 s), so no branch and bound is tried:
#: the plan comes from swaps and large-neighbourhood search (:mod:`siting.locate.lns`)
#: and the bound, in another process at the same time, from the smoothed LP dual
#: (:func:`~siting.locate.lagrange.mclp_dual_smoothed`) and the regional decomposition
#: (:mod:`siting.locate.regions`).
LARGE_MODEL_NNZ = 1_000_000

#: Swap + neighbourhood-search seconds for such large models when ``heuristic_seconds``
#: is not given; the bound runs beside the search for as long (its dual part is a
#: fixed amount of work, 14–17 s at 60,000 × 10,000; the regions get the rest), and
#: the whole path takes about 54 s there.
LARGE_MODEL_SEARCH_SECONDS = 50.0

#: Solver for each large-neighbourhood move: small MCLPs (a few hundred sites), capped so
#: that one hard neighbourhood cannot eat the search budget. Measured at 60,000 × 10,000:
#: presolve off covers 30,000 people more than presolve on over 25 s; over 28 s, the
#: seeded-MIP options end 0.171–0.177 % below the bound where HiGHS's defaults end
#: 0.191–0.198 %. One HiGHS thread: these small MIPs gain nothing from a second one
#: (42 s alone: 0.146 % below the LP bound with one thread, 0.153 % with HiGHS's
#: default of two), and the bound's process needs that core.
LNS_SOLVER = HighsSolver(time_limit=2.0, threads=1, options={**HIGHS_OPTIONS, **SEEDED_MIP_OPTIONS})

#: Free sites per neighbourhood move. Measured at 60,000 × 10,000 (seed 1) with the whole
#: 50 s path, gap at the end: 80 sites 0.117 %, 100 0.108 %, 130 0.105 %, 160 0.097 %,
#: 200 0.095 %, 250 0.116 %, 320 0.136 %; on seeds 2 and 3, 160 and 200 sites both end
#: at 0.07–0.09 %. (With the neighbourhoods built by scanning the whole matrix, 100 was best.)
LNS_SITES_PER_MOVE = 200

#: Solver for each region of the regional bound: 3 s per region, seeded with the swap
#: plan. Measured at 60,000 × 10,000 over 35 s: regions of ~120, ~150, ~200 and ~300
#: sites lowered the bound by 0.020 %, 0.017 %, 0.019 % and 0.014 % of the objective;
#: 1.5 s per region instead of 3 s, by as much as 3 s. Over the whole 50 s path, regions
#: of 120, 150 and 200 sites ended at gaps of 0.110 %, 0.108 % and 0.110 %
#: (``regions.regional_bound``'s default is 150). One HiGHS thread: the search has the other core.
REGION_SOLVER = HighsSolver(time_limit=3.0, threads=1, options={**HIGHS_OPTIONS, **SEEDED_MIP_OPTIONS})

#: From this many coverage entries (after reduction) a model whose coverage graph splits
#: into components is solved by Lagrangian decomposition (:mod:`siting.locate.decompose`):
#: 10,000 × 1,000 (58,861 entries, 209 components) 7.5–11 s → ~1 s. Below, HiGHS on the
#: whole model is already fast (2,000 × 400: 0.3 s) and the per-component calls cost more.
DECOMPOSE_MIN_NNZ = 30_000

#: ... unless the largest component holds more than this share of the sites.
DECOMPOSE_MAX_SITE_SHARE = 0.5

#: When the components' plans at the LP's budget price use more or fewer than ``p``
#: sites and leave a gap, the budget is re-priced (Polyak steps) up to this many times
#: before branch and bound on the whole model.
REPRICE_ROUNDS = 6

#: Skip column dominance when ``Σ_i |row i|²`` of the reduced matrix exceeds this.
DOMINANCE_WORK_LIMIT = 3_000_000_000


@dataclass(frozen=True)
class MclpModel:
    """An MCLP ready for a solver, with the maps back to the original data.

    Attributes
    ----------
    mip : MipModel
        Columns ``[y (len(sites)) | z (len(group_weight))]``.
    sites : ndarray of int
        Original site index of each ``y`` column.
    coverage : csr_matrix of bool
        Reduced coverage (groups × ``sites``).
    group_weight : ndarray
    group_must : ndarray of bool
    p : int
    stats : dict
    """

    mip: MipModel
    sites: np.ndarray
    coverage: sp.csr_matrix
    group_weight: np.ndarray
    group_must: np.ndarray
    p: int
    stats: dict[str, Any] = field(default_factory=dict)

    def start(self, chosen_cols: np.ndarray) -> np.ndarray:
        """Column vector of the MIP for the given chosen ``y`` columns."""
        y = np.zeros(len(self.sites))
        y[chosen_cols] = 1.0
        return cover_start(self.coverage, y)


def build_mclp(
    C: sp.csr_matrix,
    weights: np.ndarray,
    p: int,
    sites: SiteSets,
    must: np.ndarray,
    reduce: bool = True,
) -> MclpModel:
    """Reduce and assemble the uncapacitated MCLP (see the module docstring).

    Raises
    ------
    InfeasibleError
        A must-cover settlement has no allowed site or existing office in range.
    """
    n = C.shape[0]
    pre = rows_covered_by(C, sites.existing)
    allowed_cols = sites.candidates
    Ca = C[:, allowed_cols]
    reachable = np.diff(Ca.indptr) > 0
    bad = must & ~pre & ~reachable
    if bad.any():
        raise InfeasibleError(
            f"{int(bad.sum())} must-cover settlement(s) have no candidate site or existing office in range",
            diagnosis={"uncoverable_must_cover": np.flatnonzero(bad)},
        )
    keep_rows = ~pre & reachable & ((weights > 0) | must)
    stats: dict[str, Any] = {
        "demand": n, "sites": C.shape[1], "covered_by_existing": int(pre.sum()),
        "unreachable": int((~pre & ~reachable).sum()),
    }
    R = Ca[keep_rows]
    w = weights[keep_rows]
    mu = must[keep_rows]
    cols = np.arange(len(allowed_cols))
    if reduce and R.shape[0]:
        g = merge_identical_rows(R)
        R, w, mu = g.matrix, g.sum(w), g.any(mu)
        work = row_pair_work(R)
        stats["dominance_work"] = work
        if work <= DOMINANCE_WORK_LIMIT:
            dom = dominated_columns(R)
            cols = cols[~dom]
            R = R[:, ~dom]
            g = merge_identical_rows(R)
            R, w, mu = g.matrix, g.sum(w), g.any(mu)
        else:
            # still drop sites that cover no modelled row
            used = np.diff(R.tocsc().indptr) > 0
            cols, R = cols[used], R[:, used]
    stats.update(rows=int(R.shape[0]), columns=int(len(cols)), nnz=int(R.nnz))
    mip = cover_mip(R, w, mu, budget=p, offset=float(weights[pre].sum()))
    return MclpModel(mip, allowed_cols[cols], R, w, mu, int(p), stats)


def _group_value(model: MclpModel, chosen: np.ndarray) -> float:
    """Weight of the model's groups covered by the sites ``chosen`` (columns)."""
    return model.mip.objective(model.start(chosen)) - model.mip.offset


def _pad(chosen: np.ndarray, p: int, sites: SiteSets, C: sp.csr_matrix, weights: np.ndarray) -> np.ndarray:
    """Fill a plan up to ``p`` new sites with the allowed sites covering most population."""
    if len(chosen) >= p:
        return chosen
    score = C.T.astype(float) @ weights
    order = sites.candidates[np.argsort(-score[sites.candidates], kind="stable")]
    extra = order[~np.isin(order, chosen)][: p - len(chosen)]
    return np.sort(np.concatenate([chosen, extra]))


def _capacitated(
    C: sp.csr_matrix, weights: np.ndarray, p: int, sites: SiteSets, must: np.ndarray, cap: np.ndarray
) -> tuple[MipModel, np.ndarray, np.ndarray, np.ndarray]:
    """Assemble the capacitated MCLP; returns (model, open-able site list, pair rows, pair sites)."""
    cols = np.union1d(sites.candidates, sites.existing)
    Cs = C[:, cols].tocoo()
    ok = weights[Cs.row] <= cap[cols][Cs.col]
    pi, pj = Cs.row[ok].astype(np.int64), Cs.col[ok].astype(np.int64)
    n, k, e = C.shape[0], len(cols), len(pi)
    unreachable = must & (np.bincount(pi, minlength=n) == 0)
    if unreachable.any():
        raise InfeasibleError(
            f"{int(unreachable.sum())} must-cover settlement(s) have no site in range with enough capacity",
            diagnosis={"uncoverable_must_cover": np.flatnonzero(unreachable)},
        )
    ar = np.arange(e)
    is_ex = sites.is_existing[cols]
    # columns: y (k) | x (e)
    blocks = [
        # Σ_j x_ij ≤ 1 per demand
        sp.coo_matrix((np.ones(e), (pi, k + ar)), shape=(n, k + e)),
        # x_ij − y_j ≤ 0 per pair
        sp.coo_matrix((np.concatenate([np.ones(e), -np.ones(e)]),
                       (np.concatenate([ar, ar]), np.concatenate([k + ar, pj]))), shape=(e, k + e)),
        # Σ_i w_i x_ij − cap_j y_j ≤ 0 per site
        sp.coo_matrix((np.concatenate([weights[pi], -np.minimum(cap[cols], weights.sum() + 1.0)]),
                       (np.concatenate([pj, np.arange(k)]), np.concatenate([k + ar, np.arange(k)]))), shape=(k, k + e)),
        # new-site budget
        sp.coo_matrix((np.ones((~is_ex).sum()), (np.zeros((~is_ex).sum(), dtype=np.int64), np.flatnonzero(~is_ex))),
                      shape=(1, k + e)),
    ]
    A = sp.vstack(blocks, format="csr")
    row_lower = np.concatenate([np.where(must, 1.0, -np.inf), np.full(e + k, -np.inf), [float(p)]])
    row_upper = np.concatenate([np.ones(n), np.zeros(e + k), [float(p)]])
    mip = MipModel(
        c=np.concatenate([np.zeros(k), weights[pi]]),
        A=A, row_lower=row_lower, row_upper=row_upper,
        col_lower=np.concatenate([is_ex.astype(float), np.zeros(e)]),
        col_upper=np.ones(k + e),
        integer=np.ones(k + e, dtype=bool),
        maximize=True,
    )
    return mip, cols, pi, cols[pj]


def solve_mclp(
    weights: np.ndarray,
    coverage: np.ndarray | sp.spmatrix,
    p: int,
    *,
    existing_sites: np.ndarray | None = None,
    candidate_mask: np.ndarray | None = None,
    must_cover: np.ndarray | None = None,
    capacities: np.ndarray | float | None = None,
    service_radius: float | None = None,
    solver: MipSolver | None = None,
    reduce: bool = True,
    heuristic_seconds: float | None = None,
) -> SitingResult:
    """Choose ``p`` new sites maximising the population within the service standard.

    Parameters
    ----------
    weights : array_like, shape (n,)
        Population of each settlement (non-negative).
    coverage : sparse or dense matrix, shape (n, m)
        Boolean coverage (settlement ``i`` within reach of site ``j``), or distances
        with ``service_radius``, or the sparse output of
        :func:`~siting.locate.distances.within_radius` (stored pairs cover).
    p : int
        Number of new sites.
    existing_sites : array_like of int, optional
        Columns that are existing offices: always open, not counted in ``p``.
    candidate_mask : array_like of bool, shape (m,), optional
        Sites allowed to open (rules such as "population ≥ 5,000" or "county seat").
    must_cover : array_like of bool (n,) or indices, optional
        Settlements that must end up covered (or :class:`InfeasibleError`).
    capacities : array_like (m,) or float, optional
        Maximum population an office serves; switches to the assignment model.
    service_radius : float, optional
        Read ``coverage`` as distances and cover pairs within this radius.
    solver : MipSolver, optional
        Default :class:`~siting.locate.HighsSolver` (direct arrays, proven optimum).
    reduce : bool
        Apply the optimum-preserving reductions (off only for testing them).
    heuristic_seconds : float, optional
        Time for improving the greedy start (swaps, then iterated local search,
        or large-neighbourhood search on models too large for branch and bound,
        see ``LARGE_MODEL_NNZ``); default 0 where HiGHS solves the whole model
        at once; about as long as the LP that prices the budget where the model
        is solved by components (one second per 1.2 million coverage entries,
        at least 0.05 s: 0.2 s at 240,000);
        50 s for the large models, whose bound is computed meanwhile in another
        process; else growing with the model size, from 0.05 s to 15 s;
        0 = greedy only.

    Returns
    -------
    SitingResult
        ``objective`` = population covered (existing offices included).

    Raises
    ------
    InfeasibleError
        Must-cover settlements cannot all be covered with ``p`` new sites.
    LocationInputError
        Inconsistent inputs.
    """
    t0 = time.perf_counter()
    C, dist = coverage_matrix(coverage, service_radius)
    n, m = C.shape
    w = check_weights(weights, n)
    sites = SiteSets(m, existing_sites, candidate_mask, p)
    must = row_mask(must_cover, n, "must_cover")
    solver = solver if solver is not None else HighsSolver()
    relaxation_solver = solver
    if isinstance(solver, HighsSolver):
        relaxation_solver = solver.tuned(RELAXATION_OPTIONS)
        solver = solver.tuned(HIGHS_OPTIONS)
    cap = capacity_array(capacities, m)
    stats: dict[str, Any] = {}
    if cap is not None:
        mip, cols, pi, pj = _capacitated(C, w, p, sites, must, cap)
        build = time.perf_counter() - t0
        out = solver.solve(mip)
        return _capacitated_result(out, mip, cols, pi, pj, sites, C, dist, w, build, n)
    model = build_mclp(C, w, p, sites, must, reduce=reduce)
    stats.update(model.stats)
    start = None
    t_h = time.perf_counter()
    large = model.coverage.nnz > LARGE_MODEL_NNZ
    parts = None
    if isinstance(solver, HighsSolver) and DECOMPOSE_MIN_NNZ <= model.coverage.nnz and not large:
        parts = coverage_components(model.coverage)
        if len(parts) < 2 or len(parts[0][0]) > DECOMPOSE_MAX_SITE_SHARE * len(model.sites):
            parts = None  # one dominant component: nothing to split
    lp_future: Future[LpOutcome] | None = None
    if parts is not None:
        # the decomposition prices the budget at the LP dual: HiGHS solves the LP while the heuristics run
        pool = ThreadPoolExecutor(1)
        lp_future = pool.submit(relaxation_solver.solve_relaxation, model.mip)
        pool.shutdown(wait=False)
    if heuristic_seconds is None and isinstance(solver, HighsSolver) and parts is None and not large:
        # HiGHS proves one model of this size faster than a search would improve its start
        # (2,000 × 400: 0.14 s with the greedy start, 0.19 s after 0.05 s of swaps)
        heuristic_seconds = 0.0
    elif heuristic_seconds is None and parts is not None:
        # the search runs while HiGHS solves the LP relaxation; searching longer only delays the components,
        # whose seeded MIPs gain less from a better start than they lose by waiting (20,000 × 2,000, seed 1:
        # LP 0.4 s; 1.2 s of search, 4.7 s in all; 0.2 s, 3.9 s)
        heuristic_seconds = max(model.coverage.nnz / 1.2e6, 0.05)  # parts exist only below LARGE_MODEL_NNZ
    elif heuristic_seconds is None:
        heuristic_seconds = LARGE_MODEL_SEARCH_SECONDS if large else float(np.clip(model.coverage.nnz / 2e5, 0.05, 15.0))
    chosen = greedy_cover(model.coverage, model.group_weight, p, must=model.group_must)
    bound_job: BoundJob | None = None
    try:
        if chosen is not None:
            if heuristic_seconds > 0 and len(chosen):
                chosen = swap_cover(model.coverage, model.group_weight, chosen, must=model.group_must,
                                    time_limit=heuristic_seconds)
                left = heuristic_seconds - (time.perf_counter() - t_h)
                if left > 0 and large:
                    bound_job = start_village_bound(model.coverage, model.group_weight, model.group_must, model.p,
                                                    chosen, left, _group_value(model, chosen), REGION_SOLVER)
                    chosen = lns_cover(model.coverage, model.group_weight, chosen, left, LNS_SOLVER,
                                       must=model.group_must, sites_per_move=LNS_SITES_PER_MOVE)
                elif left > 0:
                    chosen = perturb_cover(model.coverage, model.group_weight, chosen, left, must=model.group_must)
            start = model.start(chosen)
            stats["heuristic_objective"] = model.mip.objective(start)
    except BaseException:
        if bound_job is not None:
            bound_job.cancel()
        raise
    stats["heuristic_seconds"] = time.perf_counter() - t_h
    lp = lp_future.result() if lp_future is not None else None
    build = time.perf_counter() - t0
    trivial = model.mip.offset + float(model.group_weight.sum())
    if model.mip.n_cols == len(model.sites) and model.mip.n_rows == 1:
        # nothing left to decide (everything covered or unreachable)
        out = MipOutcome("optimal", np.zeros(model.mip.n_cols), model.mip.offset, model.mip.offset, 0.0, 0.0, "none")
    elif start is not None and model.mip.objective(start) >= trivial - 1e-9:
        # the start covers every coverable settlement: optimal without a search
        v = model.mip.objective(start)
        out = MipOutcome("optimal", start, v, v, 0.0, 0.0, "heuristic")
    elif start is not None and large:
        v = model.mip.objective(start)
        t_b = time.perf_counter()
        if bound_job is not None:
            found, bound_job = bound_job.result(), None
        else:
            found = village_bound(model.coverage, model.group_weight, model.group_must, model.p, chosen, 0.0,
                                  v - model.mip.offset, REGION_SOLVER)
        stats["bound"] = found
        stats["bound_seconds"] = found["seconds"]
        bound = min(trivial, model.mip.offset + found["bound"])
        gap = relative_gap(v, bound)
        target = float(getattr(solver, "mip_rel_gap", OPTIMAL_GAP))
        status = "optimal" if gap <= OPTIMAL_GAP else "gap_limit" if gap <= target else "time_limit"
        out = MipOutcome(status, start, v, bound, gap, time.perf_counter() - t_b, "local-search+lagrangian")
    elif start is not None and parts is not None and lp is not None:
        out = _solve_decomposed(model, solver, chosen, parts, lp, stats)
    elif start is not None and isinstance(solver, HighsSolver):
        out = solver.tuned(SEEDED_MIP_OPTIONS).solve(model.mip, start)
    else:
        out = solver.solve(model.mip, start)
    if bound_job is not None:
        bound_job.cancel()  # settled without the bound (the start covers everything coverable)
    if out.x is None:
        if out.status == "infeasible":
            raise InfeasibleError("the must-cover settlements cannot all be covered with p new sites",
                                  diagnosis={"p": p, "must_cover": np.flatnonzero(must)})
        # no solution from the solver: fall back on the heuristic plan, bound unknown
        x = start if start is not None else None
        if x is None:
            raise InfeasibleError("no feasible plan was found within the time limit", diagnosis=out.status)
        out = MipOutcome(out.status if out.status == "error" else "no_solution", x, model.mip.objective(x),
                         float("nan"), float("nan"), out.seconds, out.solver)
    y = out.x[: len(model.sites)] > 0.5
    selected = _pad(model.sites[y], p, sites, C, w)
    is_open = np.zeros(m, dtype=bool)
    is_open[selected] = True
    is_open[sites.existing] = True
    assignment, distance = serving_site(C, dist, is_open)
    covered = assignment >= 0
    objective = float(w[covered].sum())
    bound = min(out.bound, trivial) if np.isfinite(out.bound) else trivial
    bound = max(bound, objective)
    return SitingResult(
        model="mclp", selected=selected, existing=sites.existing, objective=objective, bound=bound,
        gap=relative_gap(objective, bound) if out.status != "optimal" else 0.0, status=out.status,
        build_seconds=build, solve_seconds=out.seconds, assignment=assignment, covered=covered,
        distance=distance if dist is not None else None, solver=out.solver, stats=stats,
    )


def _fit_to_budget(C: sp.csr_matrix, weights: np.ndarray, must: np.ndarray, chosen: np.ndarray,
                  p: int) -> np.ndarray | None:
    """A plan of at most ``p`` sites from ``chosen``: extra sites dropped by least loss, missing ones added greedily.

    ``None`` when dropping would uncover a must-cover group.
    """
    w = np.asarray(weights, float)
    is_open = np.zeros(C.shape[1], dtype=bool)
    is_open[chosen] = True
    CT = sp.csr_matrix(C.T, dtype=float)
    while is_open.sum() > p:
        count = C @ is_open.astype(float)
        alone = count == 1
        loss = CT @ np.where(alone, w, 0.0)
        blocked = (CT @ (alone & must).astype(float)) > 0
        loss[~is_open | blocked] = np.inf
        j = int(np.argmin(loss))
        if not np.isfinite(loss[j]):
            return None
        is_open[j] = False
    if is_open.sum() < p:
        uncovered = (C @ is_open.astype(float)) == 0
        allowed = ~is_open
        extra = greedy_cover(C[uncovered], w[uncovered], p - int(is_open.sum()), allowed=allowed)
        if extra is not None:
            is_open[extra] = True
    return np.flatnonzero(is_open)


def _solve_decomposed(model: MclpModel, solver: HighsSolver, chosen: np.ndarray,
                      parts: list[tuple[np.ndarray, np.ndarray]], lp: LpOutcome, stats: dict[str, Any]) -> MipOutcome:
    """Lagrangian decomposition by components (:mod:`siting.locate.decompose`), whole-model MIP if a gap is left.

    ``parts`` are the coverage graph's components, ``lp`` the model's LP relaxation.
    """
    t0 = time.perf_counter()
    deadline = t0 + solver.time_limit if solver.time_limit is not None else None
    if not lp.optimal or lp.row_dual is None:
        return solver.solve(model.mip, model.start(chosen))
    price = abs(float(lp.row_dual[-1]))  # the budget row's dual: the LP value of one more site
    # a solver with its own thread count resets HiGHS's process-wide scheduler on each call: keep those serial
    workers = (os.cpu_count() or 1) if solver.threads is None else 1
    component_solver = solver.tuned(SEEDED_MIP_OPTIONS)
    tolerance = max(OPTIMAL_GAP, solver.mip_rel_gap)
    best, best_value = chosen, model.mip.objective(model.start(chosen))
    bound, seed, prices, seconds = lp.objective, chosen, [], 0.0
    for _ in range(1 + REPRICE_ROUNDS):
        dec = solve_by_components(model.coverage, model.group_weight, model.group_must, model.p, price,
                                  component_solver, start=seed, parts=parts, deadline=deadline, workers=workers)
        prices.append(dec.price)
        seconds += dec.seconds
        priced_bound = model.mip.offset + dec.bound
        bound = min(bound, priced_bound)
        if dec.chosen is None:
            break
        fitted = _fit_to_budget(model.coverage, model.group_weight, model.group_must, dec.chosen, model.p)
        fitted_value = model.mip.objective(model.start(fitted)) if fitted is not None else -np.inf
        if fitted_value > best_value:
            best, best_value = fitted, fitted_value
        extra_sites = len(dec.chosen) - model.p
        if (relative_gap(best_value, bound) <= tolerance or extra_sites == 0 or not dec.proven
                or (deadline is not None and time.perf_counter() > deadline)):
            break
        # the components' plans use more (fewer) than p sites: U(μ) falls toward the plan's value with a dearer
        # (cheaper) site; Polyak's step for the subgradient p − K, aiming at the best plan's value
        price = max(0.0, price + (priced_bound - best_value) / extra_sites)
        seed = dec.chosen
    stats["decomposition"] = {"components": dec.components, "largest_component_sites": len(parts[0][0]),
                              "prices": prices, "bound": bound, "seconds": seconds, "workers": workers}
    gap = relative_gap(best_value, bound)
    if gap <= tolerance:
        # proven, or within the gap the caller asked for: no whole-model search
        return MipOutcome("optimal" if gap <= OPTIMAL_GAP else "gap_limit", model.start(best), best_value, bound,
                          gap, time.perf_counter() - t0, "highs-components")
    # a duality gap is left: branch and bound on the whole model, seeded with the better plan
    whole = solver
    if deadline is not None:
        whole = replace(solver, time_limit=max(0.01, deadline - time.perf_counter()))
    out = whole.solve(model.mip, model.start(best))
    if out.status == "infeasible":
        return out
    x, value = model.start(best), best_value
    if out.x is not None and out.objective >= best_value:
        x, value = out.x, out.objective
    tight = min(out.bound, bound) if np.isfinite(out.bound) else bound
    tight = max(tight, value)
    gap = relative_gap(value, tight)
    status = "optimal" if gap <= OPTIMAL_GAP else out.status if out.x is not None else "time_limit"
    if status == "optimal":
        gap = 0.0
    return MipOutcome(status, x, value, tight, gap, time.perf_counter() - t0, out.solver)


def _capacitated_result(out: MipOutcome, mip: MipModel, cols: np.ndarray, pi: np.ndarray, pj: np.ndarray,
                        sites: SiteSets, C: sp.csr_matrix, dist: np.ndarray | None, w: np.ndarray,
                        build: float, n: int) -> SitingResult:
    if out.x is None:
        raise InfeasibleError(f"no feasible capacitated plan ({out.status})", diagnosis=out.status)
    k = len(cols)
    y = out.x[:k] > 0.5
    x = out.x[k:] > 0.5
    selected = cols[y & ~sites.is_existing[cols]]
    assignment = np.full(n, -1, dtype=np.int64)
    assignment[pi[x]] = pj[x]
    covered = assignment >= 0
    distance = None
    if dist is not None:
        rows = np.repeat(np.arange(n), np.diff(C.indptr))
        key = rows * C.shape[1] + C.indices
        q = np.flatnonzero(covered)
        pos = np.searchsorted(key, q * C.shape[1] + assignment[q])
        distance = np.full(n, np.nan)
        distance[q] = dist[pos]
    objective = float(w[covered].sum())
    return SitingResult(
        model="mclp", selected=selected, existing=sites.existing, objective=objective, bound=out.bound,
        gap=out.gap if out.status != "optimal" else 0.0, status=out.status, build_seconds=build,
        solve_seconds=out.seconds, assignment=assignment, covered=covered, distance=distance,
        solver=out.solver, stats={"capacitated": True, "pairs": int(len(pi))},
    )
