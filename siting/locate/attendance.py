r"""Maximise attendance: expected visits with distance decay, existing offices fixed.

Each settlement :math:`i` (demand :math:`w_i`) visits its nearest open office
:math:`j` and brings :math:`w_i f(d_{ij})` visits, :math:`f` a decay rule of
:mod:`siting.locate.decay` (the model ArcGIS Pro calls *Maximize Attendance*).
Existing offices stay open; :math:`p` new sites are chosen.

Formulation, after folding in the existing offices: let
:math:`b_i = \max_{j \text{ existing}} f_{ij}` (0 when none is in reach) and keep
only candidate pairs with :math:`f_{ij} > b_i`, with gain
:math:`g_{ij} = w_i (f_{ij} - b_i)`::

    maximise    Σ_{(i,j)} g_ij x_ij + Σ_i w_i b_i
    subject to  Σ_j x_ij ≤ 1                 for every settlement i
                x_ij − y_j ≤ 0               for every kept pair
                Σ_j y_j ≤ p
                y_j ∈ {0, 1},  0 ≤ x_ij ≤ 1

For integer :math:`y` the assignment rows are an interval matrix, so the best
:math:`x` is integral (each settlement takes its best open office) and need
not be declared integer. The plan is padded to exactly :math:`p` sites when
fewer are useful (extra sites cannot lower attendance).

Capacitated (each office receives at most :math:`C_j` visits; existing offices
too, so nothing is folded in)::

    maximise    Σ_{(i,j)} w_i f_ij x_ij
    subject to  Σ_j x_ij ≤ 1                 for every settlement i
                x_ij − y_j ≤ 0               for every pair in reach
                Σ_i w_i f_ij x_ij ≤ C_j y_j   for every site j
                Σ_{j new} y_j ≤ p,  y_j = 1 for existing offices
                y_j ∈ {0, 1},  x_ij ∈ {0, 1}

Single sourcing (a settlement's visits go to one office, not necessarily the
nearest when that one is full) is exact; ``allow_split`` relaxes
:math:`x_{ij}` to :math:`[0, 1]`, letting a settlement's visits be shared.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from siting.locate._highs import HighsSolver
from siting.locate._inputs import LocationInputError, capacity_array, check_weights, site_sets
from siting.locate.decay import Decay, decayed_pairs
from siting.locate.mip import MipModel, MipSolver, relative_gap
from siting.locate.result import SitingResult

__all__ = ["attendance", "solve_attendance"]


def attendance(weights: np.ndarray, decay_matrix: sp.csr_matrix, open_sites: np.ndarray) -> tuple[float, np.ndarray]:
    """Expected visits when ``open_sites`` are open, and each settlement's best open office (``-1`` if none).

    Parameters
    ----------
    weights : array (n,)
    decay_matrix : csr_matrix (n, m)
        Decay weights of the pairs in reach (:func:`~siting.locate.decay.decayed_pairs`).
    open_sites : array of int
    """
    D = sp.csr_matrix(decay_matrix)
    is_open = np.zeros(D.shape[1], dtype=bool)
    is_open[np.asarray(open_sites, dtype=np.int64)] = True
    masked = D.multiply(is_open[None, :].astype(float)).tocsr()
    best = np.asarray(masked.max(axis=1).todense()).ravel()
    site = np.asarray(masked.argmax(axis=1)).ravel().astype(np.int64)
    site[best <= 0] = -1
    return float(np.dot(np.asarray(weights, dtype=float), best)), site


def build_attendance(weights: np.ndarray, decay_matrix: sp.csr_matrix, existing: np.ndarray, candidates: np.ndarray,
                     p: int) -> tuple[MipModel, np.ndarray, np.ndarray]:
    """The attendance MIP over columns ``[y (candidates) | x (kept pairs)]``.

    Returns the model and the pairs' settlement and candidate positions.
    """
    D = sp.csr_matrix(decay_matrix)
    n = D.shape[0]
    base = np.zeros(n)
    if len(existing):
        base = np.asarray(D[:, existing].max(axis=1).todense()).ravel()
    pairs = D[:, candidates].tocoo()
    keep = pairs.data > base[pairs.row] + 1e-12
    pi, pk = pairs.row[keep].astype(np.int64), pairs.col[keep].astype(np.int64)
    gain = weights[pi] * (pairs.data[keep] - base[pi])
    k, e = len(candidates), len(pi)
    assign = sp.csr_matrix((np.ones(e), (pi, k + np.arange(e))), shape=(n, k + e))
    link = sp.csr_matrix((np.concatenate([np.ones(e), -np.ones(e)]),
                          (np.tile(np.arange(e), 2), np.concatenate([k + np.arange(e), pk]))), shape=(e, k + e))
    budget = sp.csr_matrix((np.ones(k), (np.zeros(k, dtype=np.int64), np.arange(k))), shape=(1, k + e))
    used = np.bincount(pi, minlength=n) > 0
    A = sp.vstack([assign[used], link, budget], format="csr")
    n_rows = A.shape[0]
    model = MipModel(
        c=np.concatenate([np.zeros(k), gain]),
        A=A,
        row_lower=np.full(n_rows, -np.inf),
        row_upper=np.concatenate([np.ones(int(used.sum())), np.zeros(e), [float(p)]]),
        col_lower=np.zeros(k + e),
        col_upper=np.ones(k + e),
        integer=np.concatenate([np.ones(k, bool), np.zeros(e, bool)]),
        maximize=True,
        offset=float(np.dot(weights, base)),
    )
    return model, pi, pk


def solve_attendance(
    weights: np.ndarray,
    distances: sp.spmatrix,
    p: int,
    decay: Decay,
    *,
    existing_sites: np.ndarray | None = None,
    candidate_mask: np.ndarray | None = None,
    capacities: np.ndarray | float | None = None,
    allow_split: bool = False,
    solver: MipSolver | None = None,
) -> SitingResult:
    """Choose ``p`` new sites maximising expected visits under distance decay.

    Parameters
    ----------
    weights : array_like, shape (n,)
        Demand of each settlement (residents, or expected visits per resident × residents).
    distances : sparse matrix, shape (n, m)
        Distance of every settlement–site pair with a path (zeros kept); pairs
        beyond ``decay.cutoff`` bring no visits.
    p : int
        Number of new sites.
    decay : Decay
        The distance-decay rule.
    existing_sites, candidate_mask : optional
        Offices that stay open; sites allowed to open.
    capacities : array_like or float, optional
        Most visits an office (existing or new) receives; switches to the
        capacitated model (single-sourced unless ``allow_split``).
    allow_split : bool
        With capacities, let a settlement's visits be shared between offices.
    solver : MipSolver, optional
        Default :class:`~siting.locate.HighsSolver`.

    Returns
    -------
    SitingResult
        ``model="attendance"``; ``objective`` is expected visits (recomputed
        from the plan), ``bound`` the solver's proven upper bound;
        ``stats["visits_before"]`` is the visits of the existing offices alone.
    """
    t0 = time.perf_counter()
    D = decayed_pairs(distances, decay)
    n, m = D.shape
    w = check_weights(weights, n)
    sites = site_sets(m, existing_sites, candidate_mask, p)
    cap = capacity_array(capacities, m)
    if cap is not None:
        return _solve_capacitated(w, D, sites, int(p), cap, allow_split, solver or HighsSolver(), decay, t0)
    model, pi, pk = build_attendance(w, D, sites.existing, sites.candidates, int(p))
    build = time.perf_counter() - t0
    solver = solver or HighsSolver()
    out = solver.solve(model)
    if out.x is None:
        return _no_plan(sites, out, build, n, {"pairs": len(pi)})
    chosen = out.x[: len(sites.candidates)] > 0.5
    selected = _padded(sites.candidates, chosen, int(p))
    visits_before, _ = attendance(w, D, sites.existing)
    objective, assignment = attendance(w, D, np.union1d(sites.existing, selected))
    bound = max(out.bound, objective) if np.isfinite(out.bound) else out.bound
    status = "optimal" if out.status == "optimal" or relative_gap(objective, bound) <= 1e-6 else out.status
    return SitingResult(
        model="attendance", selected=selected, existing=sites.existing, objective=objective, bound=bound,
        gap=0.0 if status == "optimal" else relative_gap(objective, bound), status=status, build_seconds=build,
        solve_seconds=out.seconds, assignment=assignment, solver=out.solver,
        stats={"pairs": len(pi), "visits_before": visits_before, "decay": decay.kind},
    )


def _no_plan(sites, out, build: float, n: int, stats: dict) -> SitingResult:
    """The honest result of a solve that found no plan (its status and bound kept)."""
    return SitingResult(model="attendance", selected=np.array([], np.int64), existing=sites.existing,
                        objective=float("nan"), bound=out.bound, gap=float("nan"), status=out.status,
                        build_seconds=build, solve_seconds=out.seconds, assignment=np.full(n, -1),
                        solver=out.solver, stats=stats)


def _padded(candidates: np.ndarray, chosen: np.ndarray, p: int) -> np.ndarray:
    """The chosen candidates, topped up to ``p`` with the first unchosen ones (they cannot lower the objective)."""
    selected = candidates[chosen]
    if len(selected) < p:
        selected = np.concatenate([selected, candidates[~chosen][: p - len(selected)]])
    return np.sort(selected)


def build_capacitated_attendance(weights: np.ndarray, decay_matrix: sp.csr_matrix, is_existing: np.ndarray, cols: np.ndarray,
                                 p: int, capacities: np.ndarray, allow_split: bool = False) -> tuple[MipModel, np.ndarray, np.ndarray, np.ndarray]:
    """The capacitated attendance MIP over columns ``[y (cols) | x (pairs)]`` (see the module docstring).

    Returns the model and the pairs' settlement, column position and visits.
    """
    Ds = sp.csr_matrix(decay_matrix)[:, cols].tocoo()
    visits = weights[Ds.row] * Ds.data
    keep = visits > 0
    pi, pj, visits = Ds.row[keep].astype(np.int64), Ds.col[keep].astype(np.int64), visits[keep]
    n, k, e = Ds.shape[0], len(cols), len(pi)
    ar = np.arange(e)
    ex = is_existing[cols]
    cap = np.minimum(capacities[cols], visits.sum() + 1.0)
    A = sp.vstack([
        sp.coo_matrix((np.ones(e), (pi, k + ar)), shape=(n, k + e)),  # one office per settlement
        sp.coo_matrix((np.concatenate([np.ones(e), -np.ones(e)]), (np.concatenate([ar, ar]), np.concatenate([k + ar, pj]))),
                      shape=(e, k + e)),  # only open offices
        sp.coo_matrix((np.concatenate([visits, -cap]), (np.concatenate([pj, np.arange(k)]), np.concatenate([k + ar, np.arange(k)]))),
                      shape=(k, k + e)),  # capacity in visits
        sp.coo_matrix((np.ones(int((~ex).sum())), (np.zeros(int((~ex).sum()), dtype=np.int64), np.flatnonzero(~ex))),
                      shape=(1, k + e)),  # new-site budget
    ], format="csr")
    model = MipModel(
        c=np.concatenate([np.zeros(k), visits]), A=A,
        row_lower=np.full(A.shape[0], -np.inf),
        row_upper=np.concatenate([np.ones(n), np.zeros(e + k), [float(p)]]),
        col_lower=np.concatenate([ex.astype(float), np.zeros(e)]), col_upper=np.ones(k + e),
        integer=np.concatenate([np.ones(k, bool), np.full(e, not allow_split)]), maximize=True,
    )
    return model, pi, pj, visits


def _solve_capacitated(w: np.ndarray, D: sp.csr_matrix, sites, p: int, cap: np.ndarray, allow_split: bool, solver: MipSolver,
                       decay: Decay, t0: float) -> SitingResult:
    n = D.shape[0]
    cols = np.union1d(sites.existing, sites.candidates)
    model, pi, pj, visits = build_capacitated_attendance(w, D, sites.is_existing, cols, p, cap, allow_split)
    build = time.perf_counter() - t0
    out = solver.solve(model)
    stats = {"pairs": len(pi), "decay": decay.kind, "capacitated": True, "split": allow_split}
    if out.x is None:
        return _no_plan(sites, out, build, n, stats)
    k = len(cols)
    is_new = ~sites.is_existing[cols]
    chosen_new = cols[(out.x[:k] > 0.5) & is_new]
    candidates_chosen = np.isin(sites.candidates, chosen_new)
    selected = _padded(sites.candidates, candidates_chosen, p)
    x = np.clip(out.x[k:], 0.0, 1.0)
    if not allow_split:
        x = np.round(x)
    objective = float(np.dot(visits, x))
    # Each settlement's office: the one taking most of its visits (the only one when single-sourced).
    share = sp.csr_matrix((x, (pi, pj)), shape=(n, k))
    assignment = np.where(np.asarray(share.max(axis=1).todense()).ravel() > 0, cols[np.asarray(share.argmax(axis=1)).ravel()], -1)
    base = _existing_only(w, D, sites, cap, allow_split, solver)
    bound = max(out.bound, objective) if np.isfinite(out.bound) else out.bound
    status = "optimal" if out.status == "optimal" or relative_gap(objective, bound) <= 1e-6 else out.status
    return SitingResult(
        model="attendance", selected=selected, existing=sites.existing, objective=objective, bound=bound,
        gap=0.0 if status == "optimal" else relative_gap(objective, bound), status=status, build_seconds=build,
        solve_seconds=out.seconds, assignment=assignment.astype(np.int64), solver=out.solver,
        stats={**stats, "visits_before": base},
    )


def _existing_only(w: np.ndarray, D: sp.csr_matrix, sites, cap: np.ndarray, allow_split: bool, solver: MipSolver) -> float:
    """Visits the existing offices receive within their capacities, before any new site."""
    if not len(sites.existing):
        return 0.0
    model, *_ = build_capacitated_attendance(w, D, sites.is_existing, np.asarray(sites.existing), 0, cap, allow_split)
    found = solver.solve(model)
    return float(found.objective) if found.x is not None else float("nan")
