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


def mclp_lagrangian(
    C: sp.csr_matrix,
    weights: np.ndarray,
    must: np.ndarray,
    p: int,
    lower: float,
    start: np.ndarray,
    max_iter: int = 3000,
    time_limit: float = 10.0,
    target_gap: float = 1e-9,
    offset: float = 0.0,
) -> LagrangianBound:
    """Subgradient minimisation of the MCLP Lagrangian (an upper bound on coverage).

    Relaxing ``z_g ≤ Σ_{j ∈ N_g} y_j`` with ``μ_g ≥ 0``::

        U(μ) = offset + Σ_{g free} max(0, W_g − μ_g) + Σ_{g must} (W_g − μ_g) + (sum of the p largest ρ_j),
        ρ_j  = Σ_{g ∈ N(j)} μ_g

    ``U(μ)`` is at least the optimum for every ``μ ≥ 0``; its minimum is the LP
    bound. Fixing is symmetric to :func:`fix_sites` (see :func:`fix_cover_sites`).

    Parameters
    ----------
    C : csr_matrix of bool
        Groups × sites coverage.
    weights, must : ndarray
        Group weights and must-cover flags.
    p : int
        Sites to open.
    lower : float
        Value of a known plan (offset included).
    start : ndarray
        Initial multipliers.
    """
    t0 = time.perf_counter()
    A = sp.csr_matrix(C, dtype=float)
    AT = A.T.tocsr()
    n, m = A.shape
    W = np.asarray(weights, float)
    mu = np.maximum(np.asarray(start, float), 0.0)
    best, best_rho, best_mu = np.inf, np.zeros(m), mu.copy()
    step, stall, it = 2.0, 0, 0
    tol = 1e-9 * max(abs(lower), 1.0)
    p = min(p, m)
    for it in range(1, max_iter + 1):
        rho = AT @ mu
        top = np.argpartition(-rho, p - 1)[:p] if 0 < p < m else np.arange(m if p else 0)
        y = np.zeros(m)
        y[top] = 1.0
        z = np.where(must, 1.0, (W > mu).astype(float))
        value = offset + float(np.sum(z * (W - mu)) + rho[top].sum())
        if value < best - tol:
            best, best_rho, best_mu, stall = value, rho, mu.copy(), 0
        else:
            stall += 1
            if stall >= 30:
                step, stall = step / 2, 0
        if best <= lower + target_gap * abs(lower) or step < 1e-4 or time.perf_counter() - t0 > time_limit:
            break
        g = A @ y - z  # subgradient of U in μ
        g[(mu <= 0) & (g < 0)] = 0.0
        norm = float(g @ g)
        if norm == 0.0:
            break
        mu = np.maximum(mu - step * max(value - lower, tol) / norm * g, 0.0)
    return LagrangianBound(best, best_rho, best_mu, it, time.perf_counter() - t0, lower, None)


def fix_cover_sites(lb: LagrangianBound, p: int, lower: float, integral: bool) -> tuple[np.ndarray, np.ndarray]:
    """Sites provably open / closed in every covering plan better than ``lower``.

    With ``ρ_(p)`` and ``ρ_(p+1)`` the p-th and (p+1)-th largest site values:
    opening a site outside the Lagrangian choice lowers the bound by
    ``ρ_(p) − ρ_j``, closing a chosen one by ``ρ_j − ρ_(p+1)``; if the lowered
    bound cannot beat ``lower`` (by 1 when weights are integers) the site is
    fixed. Returns ``(fix_open, fix_closed)`` masks.
    """
    rho = lb.rho
    m = len(rho)
    fix_open = np.zeros(m, dtype=bool)
    fix_closed = np.zeros(m, dtype=bool)
    if p <= 0 or p >= m:
        return fix_open, fix_closed
    order = np.argsort(-rho, kind="stable")
    chosen, rest = order[:p], order[p:]
    rp, rq = rho[order[p - 1]], rho[order[p]]
    need = lower + (1.0 - 1e-6 if integral else 1e-9 * max(abs(lower), 1.0))
    fix_closed[rest[lb.bound - (rp - rho[rest]) < need]] = True
    fix_open[chosen[lb.bound - (rho[chosen] - rq) < need]] = True
    return fix_open, fix_closed
