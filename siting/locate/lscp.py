"""Location set covering (LSCP): the fewest new sites that bring every required settlement within reach.

Formulation (Toregas et al. 1971), after reductions::

    minimise    Σ_j y_j
    subject to  Σ_{j ∈ N_g} y_j ≥ 1      for every remaining row g
                y_j ∈ {0, 1}

Required settlements already within reach of an existing office are dropped;
rows with identical sets are merged; a row whose set contains another row's set
is dropped (implied); sites whose set is inside another site's set are dropped
(unit costs); a row with a single site forces that site open. The reductions
are repeated until nothing changes (each keeps the optimum, see
:mod:`siting.locate.reduce`).

Capacitated variant (single sourcing; only required settlements are assigned)::

    minimise    Σ_{j new} y_j
    subject to  Σ_j x_ij = 1 (required i),  x_ij ≤ y_j,  Σ_i w_i x_ij ≤ cap_j y_j,
                y_j = 1 (existing),  x, y ∈ {0, 1}
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from siting.errors import InfeasibleError
from siting.locate._highs import HighsSolver
from siting.locate._inputs import SiteSets, capacity_array, check_weights, coverage_matrix, row_mask
from siting.locate.evaluate import serving_site
from siting.locate.heuristics import greedy_cover
from siting.locate.mip import MipModel, MipOutcome, MipSolver
from siting.locate.reduce import (
    dominated_columns, dominating_rows, merge_identical_rows, row_pair_work, rows_covered_by,
)
from siting.locate.result import SitingResult

__all__ = ["solve_lscp", "reduce_set_cover", "drop_redundant"]

#: Skip the pairwise dominance tests when ``Σ |row|²`` (or ``Σ |column|²``) exceeds this.
DOMINANCE_WORK_LIMIT = 400_000_000


def reduce_set_cover(R: sp.csr_matrix, rounds: int = 10) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, dict[str, int]]:
    """Apply the set-covering reductions until nothing changes.

    Parameters
    ----------
    R : csr_matrix of bool
        Rows to cover × sites; every row non-empty.

    Returns
    -------
    reduced : csr_matrix
        Remaining rows × remaining sites.
    sites : ndarray of int
        Column of ``R`` of each remaining site.
    forced : ndarray of int
        Columns of ``R`` forced open.
    stats : dict
    """
    cols = np.arange(R.shape[1])
    forced: list[np.ndarray] = []
    stats = {"forced": 0, "dominated_sites": 0, "implied_rows": 0}
    for _ in range(rounds):
        before = R.shape
        R = merge_identical_rows(R).matrix
        # a row with one site forces it
        single = np.diff(R.indptr) == 1
        if single.any():
            f = np.unique(R.indices[R.indptr[:-1][single]])
            forced.append(cols[f])
            stats["forced"] += len(f)
            done = rows_covered_by(R, f)
            R = R[~done]
            keep = np.ones(R.shape[1], dtype=bool)
            keep[f] = False
            R, cols = R[:, keep], cols[keep]
        if R.shape[0] == 0:
            break
        if row_pair_work(R) <= DOMINANCE_WORK_LIMIT:
            dom = dominated_columns(R)
            stats["dominated_sites"] += int(dom.sum())
            R, cols = R[:, ~dom], cols[~dom]
        if row_pair_work(R.T.tocsr()) <= DOMINANCE_WORK_LIMIT:
            imp = dominating_rows(R)
            stats["implied_rows"] += int(imp.sum())
            R = R[~imp]
        if R.shape == before:
            break
    R = sp.csr_matrix(R)
    f = np.concatenate(forced) if forced else np.zeros(0, dtype=np.int64)
    return R, cols, f, stats


def drop_redundant(C: sp.csr_matrix, chosen: np.ndarray) -> np.ndarray:
    """Remove chosen sites whose rows all stay covered by the others (smallest first)."""
    chosen = np.asarray(chosen, dtype=np.int64)
    CT = C.T.tocsr()
    cnt = np.asarray(C[:, chosen].sum(axis=1)).ravel()
    keep = np.ones(len(chosen), dtype=bool)
    size = np.diff(CT.indptr)[chosen]
    for t in np.argsort(size, kind="stable"):
        rows = CT.indices[CT.indptr[chosen[t]]:CT.indptr[chosen[t] + 1]]
        if np.all(cnt[rows] >= 2):
            keep[t] = False
            cnt[rows] -= 1
    return chosen[keep]


def solve_lscp(
    coverage: np.ndarray | sp.spmatrix,
    *,
    weights: np.ndarray | None = None,
    must_cover: np.ndarray | None = None,
    existing_sites: np.ndarray | None = None,
    candidate_mask: np.ndarray | None = None,
    capacities: np.ndarray | float | None = None,
    service_radius: float | None = None,
    solver: MipSolver | None = None,
    reduce: bool = True,
) -> SitingResult:
    """The fewest new sites so that every required settlement is within reach of an office.

    Parameters
    ----------
    coverage : sparse or dense matrix, shape (n, m)
        As in :func:`~siting.locate.solve_mclp`.
    weights : array_like, optional
        Populations (needed with ``capacities``; reported otherwise).
    must_cover : array_like of bool (n,) or indices, optional
        Settlements to cover; default all (e.g. ``population >= 1000`` for
        "every settlement above a size").
    existing_sites, candidate_mask, capacities, service_radius, solver
        As in :func:`~siting.locate.solve_mclp`.

    Returns
    -------
    SitingResult
        ``objective`` = number of new sites.

    Raises
    ------
    InfeasibleError
        Some required settlement has no allowed site or existing office in reach
        (``diagnosis["uncoverable"]`` lists them), or capacities cannot serve them.
    """
    t0 = time.perf_counter()
    C, dist = coverage_matrix(coverage, service_radius)
    n, m = C.shape
    w = check_weights(np.ones(n) if weights is None else weights, n)
    sites = SiteSets(m, existing_sites, candidate_mask, None)
    required = np.ones(n, dtype=bool) if must_cover is None else row_mask(must_cover, n, "must_cover")
    solver = solver if solver is not None else HighsSolver()
    cap = capacity_array(capacities, m)
    if cap is not None:
        return _capacitated(C, dist, w, required, sites, cap, solver, t0)
    pre = rows_covered_by(C, sites.existing)
    Ca = C[:, sites.candidates]
    need = required & ~pre
    bad = need & (np.diff(Ca.indptr) == 0)
    if bad.any():
        raise InfeasibleError(
            f"{int(bad.sum())} required settlement(s) have no candidate site or existing office in reach",
            diagnosis={"uncoverable": np.flatnonzero(bad)},
        )
    R = Ca[need]
    stats: dict[str, Any] = {"demand": n, "sites": m, "required": int(required.sum()),
                             "covered_by_existing": int((required & pre).sum())}
    if reduce and R.shape[0]:
        R, cols, forced, rstats = reduce_set_cover(R)
        stats.update(rstats)
    else:
        cols, forced = np.arange(R.shape[1]), np.zeros(0, dtype=np.int64)
    stats.update(rows=int(R.shape[0]), columns=int(R.shape[1]), nnz=int(R.nnz))
    k = R.shape[1]
    if R.shape[0] == 0:
        build = time.perf_counter() - t0
        out = MipOutcome("optimal", np.zeros(k), 0.0, 0.0, 0.0, 0.0, "none")
    else:
        mip = MipModel(c=np.ones(k), A=sp.csr_matrix(R, dtype=float), row_lower=np.ones(R.shape[0]),
                       row_upper=np.full(R.shape[0], np.inf), col_lower=np.zeros(k), col_upper=np.ones(k),
                       integer=np.ones(k, dtype=bool))
        g = greedy_cover(R, np.ones(R.shape[0]), k, must=np.ones(R.shape[0], dtype=bool))
        start = None
        if g is not None:
            g = drop_redundant(R, g)
            start = np.zeros(k)
            start[g] = 1.0
            stats["heuristic_objective"] = float(len(g) + len(forced))
        build = time.perf_counter() - t0
        out = solver.solve(mip, start)
    if out.x is None:
        raise InfeasibleError(f"no covering plan found ({out.status})", diagnosis=out.status)
    chosen_local = np.concatenate([forced, cols[out.x > 0.5]]).astype(np.int64)
    selected = np.sort(sites.candidates[chosen_local])
    is_open = np.zeros(m, dtype=bool)
    is_open[selected] = True
    is_open[sites.existing] = True
    assignment, distance = serving_site(C, dist, is_open)
    covered = assignment >= 0
    if not covered[required].all():  # cannot happen: a solver bug would show here
        raise InfeasibleError("internal error: the plan leaves required settlements uncovered")
    objective = float(len(selected))
    bound = float(np.ceil(out.bound - 1e-6)) + len(forced) if np.isfinite(out.bound) else float("nan")
    bound = min(bound, objective) if np.isfinite(bound) else bound
    status = out.status if not (np.isfinite(bound) and bound >= objective) else "optimal"
    stats["covered_population"] = float(w[covered].sum())
    return SitingResult(
        model="lscp", selected=selected, existing=sites.existing, objective=objective, bound=bound,
        gap=0.0 if status == "optimal" else (objective - bound) / max(objective, 1e-9),
        status=status, build_seconds=build, solve_seconds=out.seconds, assignment=assignment, covered=covered,
        distance=distance if dist is not None else None, solver=out.solver, stats=stats,
    )


def _capacitated(C: sp.csr_matrix, dist: np.ndarray | None, w: np.ndarray, required: np.ndarray, sites: SiteSets,
                 cap: np.ndarray, solver: MipSolver, t0: float) -> SitingResult:
    n, m = C.shape
    cols = np.union1d(sites.candidates, sites.existing)
    Cs = C[:, cols].tocoo()
    ok = required[Cs.row] & (w[Cs.row] <= cap[cols][Cs.col])
    pi, pj = Cs.row[ok].astype(np.int64), Cs.col[ok].astype(np.int64)
    bad = required & (np.bincount(pi, minlength=n) == 0)
    if bad.any():
        raise InfeasibleError(f"{int(bad.sum())} required settlement(s) have no site in reach with enough capacity",
                              diagnosis={"uncoverable": np.flatnonzero(bad)})
    k, e = len(cols), len(pi)
    ar = np.arange(e)
    is_ex = sites.is_existing[cols]
    req = np.flatnonzero(required)
    ridx = np.full(n, -1, dtype=np.int64)
    ridx[req] = np.arange(len(req))
    A = sp.vstack([
        sp.coo_matrix((np.ones(e), (ridx[pi], k + ar)), shape=(len(req), k + e)),
        sp.coo_matrix((np.concatenate([np.ones(e), -np.ones(e)]), (np.concatenate([ar, ar]), np.concatenate([k + ar, pj]))),
                      shape=(e, k + e)),
        sp.coo_matrix((np.concatenate([w[pi], -np.minimum(cap[cols], w.sum() + 1.0)]),
                       (np.concatenate([pj, np.arange(k)]), np.concatenate([k + ar, np.arange(k)]))), shape=(k, k + e)),
    ], format="csr")
    mip = MipModel(
        c=np.concatenate([(~is_ex).astype(float), np.zeros(e)]), A=A,
        row_lower=np.concatenate([np.ones(len(req)), np.full(e + k, -np.inf)]),
        row_upper=np.concatenate([np.ones(len(req)), np.zeros(e + k)]),
        col_lower=np.concatenate([is_ex.astype(float), np.zeros(e)]), col_upper=np.ones(k + e),
        integer=np.ones(k + e, dtype=bool),
    )
    build = time.perf_counter() - t0
    out = solver.solve(mip)
    if out.status == "infeasible":
        raise InfeasibleError("the required settlements cannot be served within the capacities", diagnosis=out.status)
    if out.x is None:
        raise InfeasibleError(f"no covering plan found ({out.status})", diagnosis=out.status)
    y = out.x[:k] > 0.5
    x = out.x[k:] > 0.5
    assignment = np.full(n, -1, dtype=np.int64)
    assignment[pi[x]] = cols[pj[x]]
    selected = cols[y & ~is_ex]
    return SitingResult(
        model="lscp", selected=selected, existing=sites.existing, objective=float(len(selected)),
        bound=float(np.ceil(out.bound - 1e-6)) if np.isfinite(out.bound) else float("nan"),
        gap=out.gap if out.status != "optimal" else 0.0, status=out.status, build_seconds=build,
        solve_seconds=out.seconds, assignment=assignment, covered=assignment >= 0, solver=out.solver,
        stats={"capacitated": True, "pairs": e},
    )
