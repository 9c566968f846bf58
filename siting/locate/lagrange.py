"""Lagrangian bounds and bound-based site fixing for the p-median (vectorised subgradient).

Relaxing the assignment constraints ``Σ_j x_ij = 1`` of the p-median with
multipliers ``λ_i`` gives (Beasley 1993)::

    L(λ) = Σ_i λ_i + Σ_{j existing} ρ_j + (sum of the p smallest ρ_j over new sites),
    ρ_j  = Σ_i min(0, w_i d_ij − λ_i)

a lower bound on the optimum for every ``λ``; its maximum equals the LP bound.
Only pairs with ``w_i d_ij < λ_i`` contribute, so nearest-site lists suffice
when ``λ_i`` is capped at ``w_i`` × (distance of the last listed site) for lists
that do not hold every site: unlisted pairs are no closer, contribute 0, and the
bound stays valid for the full problem.

Fixing: with an upper bound ``UB`` (a plan's cost) and ``ρ_(p)``, ``ρ_(p+1)`` the
p-th and (p+1)-th smallest new-site values, forcing a site against the
Lagrangian choice raises the bound by a known amount::

    open a site j not chosen:   L(λ) + ρ_j − ρ_(p)      > UB  ⇒  y_j = 0 in every better plan
    close a site j chosen:      L(λ) + ρ_(p+1) − ρ_j    > UB  ⇒  y_j = 1 in every better plan

Each fixing only removes plans costing more than ``UB``; all fixings hold at
once, and the plan giving ``UB`` is kept aside, so the optimum is preserved.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import scipy.sparse as sp

__all__ = ["LagrangianBound", "pmedian_lagrangian", "fix_sites"]


@dataclass(frozen=True)
class LagrangianBound:
    """Best bound found and the site values at its multipliers."""

    bound: float
    rho: np.ndarray
    multipliers: np.ndarray
    iterations: int
    seconds: float
    upper: float
    plan: np.ndarray | None


def _evaluate(lam: np.ndarray, rows: np.ndarray, cols: np.ndarray, cost: np.ndarray, m: int,
              is_existing: np.ndarray, allowed: np.ndarray, p: int) -> tuple[float, np.ndarray, np.ndarray]:
    red = np.minimum(0.0, cost - lam[rows])
    rho = np.bincount(cols, weights=red, minlength=m)
    cand = np.flatnonzero(allowed)
    chosen = is_existing.copy()
    if p > 0:
        pick = cand[np.argpartition(rho[cand], p - 1)[:p]] if p < len(cand) else cand
        chosen[pick] = True
    value = float(lam.sum() + rho[chosen].sum())
    return value, rho, chosen


def pmedian_lagrangian(
    lists: sp.csr_matrix,
    weights: np.ndarray,
    cap: np.ndarray,
    is_existing: np.ndarray,
    allowed: np.ndarray,
    p: int,
    upper: float,
    start: np.ndarray,
    max_iter: int = 3000,
    time_limit: float = 10.0,
    target_gap: float = 1e-9,
    plan_cost: Callable[[np.ndarray], float] | None = None,
    plan_every: int = 10,
) -> LagrangianBound:
    """Subgradient maximisation of the p-median Lagrangian on nearest-site lists.

    Parameters
    ----------
    lists : csr_matrix
        Sorted nearest-site lists (local site indices, distances).
    weights : ndarray
    cap : ndarray
        Upper limit of each ``λ_i`` (``inf`` for complete lists).
    is_existing, allowed : ndarray of bool
        Always-open sites; sites that may open.
    p : int
        New sites to open.
    upper : float
        Cost of a known plan (step sizes, stopping).
    start : ndarray
        Initial multipliers (e.g. each settlement's cost in the known plan).
    max_iter, time_limit : int, float
        Stopping rules; also stops when the bound is within ``target_gap`` of the upper bound.
    plan_cost : callable, optional
        Cost of a plan (open-site mask). Every ``plan_every`` iterations the
        Lagrangian choice of sites is priced as a plan (Lagrangian heuristic);
        the best plan found and its cost are returned.

    Step sizes follow Held–Karp/Polyak, ``π (UB − L) / ‖g‖²`` with ``π`` halved
    after 30 iterations without a better bound; components of ``g`` pushing a
    capped ``λ_i`` up are zeroed (projected subgradient).
    """
    t0 = time.perf_counter()
    n, m = lists.shape
    rows = np.repeat(np.arange(n), np.diff(lists.indptr))
    cols = lists.indices.astype(np.int64)
    cost = np.asarray(weights, float)[rows] * lists.data
    lam = np.minimum(np.asarray(start, float), cap)
    best, best_rho, best_lam = -np.inf, np.zeros(m), lam.copy()
    plan: np.ndarray | None = None
    step, stall, it = 2.0, 0, 0
    tol = 1e-9 * max(abs(upper), 1.0)
    for it in range(1, max_iter + 1):
        value, rho, chosen = _evaluate(lam, rows, cols, cost, m, is_existing, allowed, p)
        if value > best + tol:
            best, best_rho, best_lam, stall = value, rho, lam.copy(), 0
        else:
            stall += 1
            if stall >= 30:
                step, stall = step / 2, 0
        if plan_cost is not None and it % plan_every == 1:
            c = plan_cost(chosen)
            if c < upper - tol:
                upper, plan = c, chosen.copy()
        if best >= upper - target_gap * abs(upper) or step < 1e-4 or time.perf_counter() - t0 > time_limit:
            break
        # subgradient: 1 − number of chosen sites that pay for row i
        pays = (cost < lam[rows]) & chosen[cols]
        g = 1.0 - np.bincount(rows, weights=pays, minlength=n)
        g[(lam >= cap) & (g > 0)] = 0.0
        norm = float(g @ g)
        if norm == 0.0:
            break  # λ is optimal: the Lagrangian solution is feasible and tight
        lam = np.minimum(lam + step * max(upper - value, tol) / norm * g, cap)
    return LagrangianBound(best, best_rho, best_lam, it, time.perf_counter() - t0, upper, plan)


def fix_sites(lb: LagrangianBound, allowed: np.ndarray, p: int, upper: float,
              rel_tol: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
    """Sites provably open / closed in every plan cheaper than ``upper`` (see module docstring).

    Returns
    -------
    fix_open, fix_closed : ndarray of bool
        Over all sites (only ``allowed`` ones are ever fixed).
    """
    rho = lb.rho
    cand = np.flatnonzero(allowed)
    fix_open = np.zeros(len(rho), dtype=bool)
    fix_closed = np.zeros(len(rho), dtype=bool)
    if p <= 0 or p >= len(cand):
        return fix_open, fix_closed
    order = cand[np.argsort(rho[cand], kind="stable")]
    chosen, rest = order[:p], order[p:]
    rp, rq = rho[order[p - 1]], rho[order[p]]
    margin = upper + rel_tol * max(abs(upper), 1.0)
    fix_closed[rest[lb.bound + rho[rest] - rp > margin]] = True
    fix_open[chosen[lb.bound + rq - rho[chosen] > margin]] = True
    return fix_open, fix_closed
