"""Large-neighbourhood search for the MCLP: re-optimise a few hundred sites at a time with the MIP solver.

Greedy, swaps and perturbation (:mod:`siting.locate.heuristics`) move one or two
sites at a time. On village-scale models, where branch and bound over the whole
model is out of reach, the plan is improved further by freeing a neighbourhood of
sites — one or two balls grown through shared settlements from random seeds —
keeping every other site as it is, and solving that small MCLP exactly::

    maximise    Σ_g W_g z_g                 over groups g reached by a free site and
                                            not already covered by a kept site
    subject to  z_g ≤ Σ_{j free, j ∈ N_g} y_j
                Σ_{j free} y_j = (open sites among the free ones now)
                z_g = 1 for must-cover groups

Two balls let a site move from one region to another, which single-site swaps
rarely find worthwhile. The number of open sites never changes, and a
neighbourhood's solution replaces the current one only when it covers strictly
more, so the plan never gets worse.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from siting.locate._cover_mip import cover_mip, cover_start
from siting.locate.heuristics import _entries
from siting.locate.mip import MipModel, MipSolver

__all__ = ["lns_cover"]


def _ball(C: sp.csr_matrix, CT: sp.csr_matrix, seed_site: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """Sites reached from ``seed_site`` through shared groups, breadth first, cut at ``size``."""
    inside = np.zeros(C.shape[1], dtype=bool)
    inside[seed_site] = True
    frontier = np.array([seed_site])
    while inside.sum() < size and len(frontier):
        groups = np.zeros(C.shape[0], dtype=bool)
        groups[_entries(CT, frontier)[0]] = True
        reached = np.zeros(C.shape[1], dtype=bool)
        reached[_entries(C, np.flatnonzero(groups))[0]] = True
        new = np.flatnonzero(reached & ~inside)
        room = size - int(inside.sum())
        if len(new) > room:
            new = rng.choice(new, room, replace=False)
        inside[new] = True
        frontier = new
    return np.flatnonzero(inside)


def _neighbourhood_mip(CT: sp.csr_matrix, weights: np.ndarray, must: np.ndarray, is_open: np.ndarray,
                       count: np.ndarray, free: np.ndarray) -> tuple[MipModel, np.ndarray]:
    """The sub-MCLP over the ``free`` sites (module docstring) and its start vector.

    ``CT`` is the coverage matrix site-major (sites × groups) and ``count`` the number of
    open sites covering each group: the neighbourhood is read from the free sites' rows
    alone, not from a scan of the whole matrix.
    """
    sub_t = CT[free]
    open_free = is_open[free]
    own = sub_t.T @ open_free.astype(np.int32)  # open free sites covering each group
    touched = np.unique(sub_t.indices)
    rows = touched[count[touched] == own[touched]]  # covered by no kept site
    R = sp.csr_matrix(sub_t[:, rows].T, dtype=float)
    mip = cover_mip(R, weights[rows], must[rows], budget=float(open_free.sum()), exact_budget=True)
    return mip, cover_start(R, open_free)


def lns_cover(
    C: sp.csr_matrix,
    weights: np.ndarray,
    chosen: np.ndarray,
    seconds: float,
    solver: MipSolver,
    must: np.ndarray | None = None,
    sites_per_move: int = 100,
    seed: int = 0,
) -> np.ndarray:
    """Improve a covering plan by exact re-optimisation of site neighbourhoods (module docstring).

    Parameters
    ----------
    C : csr_matrix of bool, shape (groups, sites)
    weights : ndarray, shape (groups,)
    chosen : ndarray of int
        Current plan (covers every ``must`` group).
    seconds : float
        Wall-clock budget.
    solver : MipSolver
        Solves each neighbourhood (a per-move time limit keeps one move from using the budget).
    must : ndarray of bool, optional
    sites_per_move : int
        Free sites per move (split over two balls in half of the moves).
    seed : int
        Random seed for the neighbourhoods.

    Returns
    -------
    ndarray of int
        The improved plan: as many sites as ``chosen``, never covering less.
    """
    t0 = time.perf_counter()
    C = sp.csr_matrix(C, dtype=bool)
    CT = C.T.tocsr()
    n, m = C.shape
    w = np.asarray(weights, float)
    must = np.zeros(n, dtype=bool) if must is None else np.asarray(must, bool)
    is_open = np.zeros(m, dtype=bool)
    is_open[chosen] = True
    if not is_open.any() or m <= 1:
        return np.flatnonzero(is_open)
    rng = np.random.default_rng(seed)
    count = C @ is_open.astype(np.int32)
    while time.perf_counter() - t0 < seconds:
        balls = 2 if rng.random() < 0.5 else 1
        parts = []
        for _ in range(balls):
            # most moves start at an open site (where the plan can change), some anywhere
            seed_site = int(rng.choice(np.flatnonzero(is_open))) if rng.random() < 0.7 else int(rng.integers(m))
            parts.append(_ball(C, CT, seed_site, max(1, sites_per_move // balls), rng))
        free = np.unique(np.concatenate(parts))
        mip, start = _neighbourhood_mip(CT, w, must, is_open, count, free)
        if mip.n_rows <= 1:
            continue  # nothing to gain here: every reachable group is covered by a kept site
        out = solver.solve(mip, start)
        if out.x is not None and mip.is_feasible(out.x) and out.objective > mip.objective(start) + 1e-9:
            now_open = out.x[: len(free)] > 0.5
            count += CT[free].T @ (now_open.astype(np.int32) - is_open[free].astype(np.int32))
            is_open[free] = now_open
    return np.flatnonzero(is_open)
