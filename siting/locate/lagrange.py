"""Lagrangian (LP-dual) bounds: p-median (with bound-based site fixing) and MCLP.

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

For the MCLP (maximise covered weight, ``z_g ≤ Σ_{j ∈ N_g} y_j``, ``Σ y ≤ p``),
relaxing the coverage rows with ``0 ≤ λ_g ≤ W_g`` gives an upper bound::

    U(λ) = Σ_g (W_g − λ_g) + (sum of the p largest s_j),   s_j = Σ_{g ∈ N_j} λ_g

for every such ``λ``; its minimum equals the LP bound (see :func:`mclp_dual_smoothed`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize

__all__ = ["LagrangianBound", "fix_sites", "mclp_dual_smoothed", "mclp_lagrangian", "pmedian_dual_smoothed",
           "site_penalties"]


@dataclass(frozen=True)
class LagrangianBound:
    """Best bound found, the site values ``ρ`` and multipliers giving it, and the
    Lagrangian choice of open sites there (``plan``, a mask)."""

    bound: float
    rho: np.ndarray
    multipliers: np.ndarray
    iterations: int
    seconds: float
    upper: float
    plan: np.ndarray | None
    plans: tuple[np.ndarray, ...] = ()


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


def site_penalties(lb: LagrangianBound, allowed: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """How much forcing each site against the Lagrangian choice raises the bound (module docstring).

    Returns
    -------
    open_penalty, close_penalty : ndarray
        ``ρ_j − ρ_(p)`` for allowed sites not chosen and ``ρ_(p+1) − ρ_j`` for chosen ones, over
        all sites; 0 elsewhere (sites that are open anyway, or not allowed, or ``p`` leaves no choice).
    """
    rho = lb.rho
    cand = np.flatnonzero(allowed)
    open_penalty = np.zeros(len(rho))
    close_penalty = np.zeros(len(rho))
    if p <= 0 or p >= len(cand):
        return open_penalty, close_penalty
    order = cand[np.argsort(rho[cand], kind="stable")]
    chosen, rest = order[:p], order[p:]
    open_penalty[rest] = rho[rest] - rho[order[p - 1]]
    close_penalty[chosen] = rho[order[p]] - rho[chosen]
    return open_penalty, close_penalty


def fix_sites(lb: LagrangianBound, allowed: np.ndarray, p: int, upper: float,
              rel_tol: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
    """Sites provably open / closed in every plan cheaper than ``upper`` (see module docstring).

    Returns
    -------
    fix_open, fix_closed : ndarray of bool
        Over all sites (only ``allowed`` ones are ever fixed).
    """
    open_penalty, close_penalty = site_penalties(lb, allowed, p)
    margin = upper + rel_tol * max(abs(upper), 1.0)
    # a zero penalty (a tie with the p-th site) never fixes: the bound is at most ``upper``
    return ((close_penalty > 0) & (lb.bound + close_penalty > margin),
            (open_penalty > 0) & (lb.bound + open_penalty > margin))


def _softplus(x: np.ndarray, tau: float) -> tuple[np.ndarray, np.ndarray]:
    """``τ log(1 + e^{x/τ})`` and its derivative ``1 / (1 + e^{−x/τ})``, sharing one exponential."""
    u = x / tau
    e = np.exp(-np.abs(u))  # never overflows
    return tau * (np.maximum(u, 0.0) + np.log1p(e)), np.where(u >= 0, 1.0, e) / (1.0 + e)


def pmedian_dual_smoothed(
    lists: sp.csr_matrix,
    weights: np.ndarray,
    cap: np.ndarray,
    is_existing: np.ndarray,
    allowed: np.ndarray,
    p: int,
    start: np.ndarray,
    time_limit: float = 120.0,
    rounds: int = 8,
    evals_per_round: int = 400,
    upper: float = np.inf,
    stop_gap: float = 1e-7,
    check_every: int = 20,
) -> LagrangianBound:
    """Maximise the p-median LP dual with a smoothed objective (L-BFGS-B), then price it exactly.

    The LP dual of the p-median over the lists is ``max F(λ, θ)`` with::

        F = Σ_i λ_i − Σ_{j existing} s_j − p θ − Σ_{j new} (s_j − θ)⁺,   s_j = Σ_i (λ_i − w_i d_ij)⁺

    (``θ`` prices the budget; ``λ_i ≤ cap_i`` keeps unlisted pairs out). Every
    ``(x)⁺`` is replaced by ``τ log(1 + e^{x/τ})`` and ``τ`` shrinks round by round;
    each round's ``λ`` is then evaluated with the exact Lagrangian
    (:func:`pmedian_lagrangian`'s ``L(λ)``), which is a valid bound whatever the
    smoothing did. Converges much faster than a subgradient on large instances
    (10,000 × 1,000: LP bound to 1e-6 in ~25 s where 3,000 subgradient steps
    stayed 0.06 % short). Every ``check_every`` iterations the exact bound is
    priced too: a round ends when it has not risen since the last check (the
    smoothing holds it back; 1,000 × 200: 0.37 → 0.15 s). The work depends on
    iteration counts only (at most ``rounds`` × ``evals_per_round``), so results
    do not depend on machine load; ``time_limit`` is a safety stop between
    rounds. Stops early once the bound is within ``stop_gap`` of ``upper`` (the
    cost of a known plan). ``plans`` holds the Lagrangian choice
    of sites of every round (distinct ones), for rounding into plans.
    """
    t0 = time.perf_counter()
    n, m = lists.shape
    rows = np.repeat(np.arange(n), np.diff(lists.indptr))
    cols = lists.indices.astype(np.int64)
    cost = np.asarray(weights, float)[rows] * lists.data
    new = allowed & ~is_existing
    lam = np.minimum(np.asarray(start, float), cap)
    best_val, best_rho, best_plan = _evaluate(lam, rows, cols, cost, m, is_existing, allowed, p)
    best_lam = lam.copy()
    s0 = np.bincount(cols, weights=np.maximum(lam[rows] - cost, 0), minlength=m)
    theta = float(np.sort(s0[new])[::-1][p - 1]) if 0 < p <= new.sum() else 0.0
    scale = float(np.median(np.abs(lam[lam > 0]))) if np.any(lam > 0) else 1.0
    tau = 0.05 * scale
    bounds = [(None, c if np.isfinite(c) else None) for c in cap] + [(0.0, None)]

    def neg_f(v: np.ndarray, tau: float) -> tuple[float, np.ndarray]:
        lam_, th = v[:n], v[n]
        a = lam_[rows] - cost
        soft_a, sa = _softplus(a, tau)
        s = np.bincount(cols, weights=soft_a, minlength=m)
        b = s - th
        soft_b, sb = _softplus(b[new], tau)
        val = lam_.sum() - s[is_existing].sum() - p * th - soft_b.sum()
        coef = is_existing.astype(float)
        coef[new] = sb
        g_lam = 1.0 - np.bincount(rows, weights=sa * coef[cols], minlength=n)
        g_th = -p + sb.sum()
        return -val, -np.concatenate([g_lam, [g_th]])

    v = np.concatenate([lam, [theta]])
    plans: list[np.ndarray] = []
    proven_at = upper - stop_gap * abs(upper)
    iterations = 0

    def price(lam_: np.ndarray) -> np.ndarray:
        nonlocal best_val, best_rho, best_lam, best_plan
        val, rho, chosen = _evaluate(lam_, rows, cols, cost, m, is_existing, allowed, p)
        if val > best_val:
            best_val, best_rho, best_lam, best_plan = val, rho, lam_.copy(), chosen
        return chosen

    def stop_once_proven(intermediate_result: Any) -> None:
        # the exact bound every few iterations: once it proves the known plan, the rest of the round is
        # waste; once it stalls, the smoothing is what holds it back, and the next round shrinks it
        nonlocal iterations, last_checked
        iterations += 1
        if np.isfinite(upper) and iterations % check_every == 0:
            price(intermediate_result.x[:n])
            if best_val >= proven_at or best_val <= last_checked:
                raise StopIteration
            last_checked = best_val

    for _ in range(rounds):
        left = time_limit - (time.perf_counter() - t0)
        if left <= 0:
            break
        last_checked = -np.inf
        res = minimize(neg_f, v, args=(tau,), jac=True, method="L-BFGS-B", bounds=bounds,
                       callback=stop_once_proven if check_every else None,
                       options={"maxfun": evals_per_round, "maxiter": evals_per_round})
        v = res.x
        chosen = price(v[:n])
        if not any(np.array_equal(chosen, q) for q in plans):
            plans.append(chosen)
        if best_val >= proven_at:
            break  # the known plan is proven (near-)optimal
        tau *= 0.2
    return LagrangianBound(best_val, best_rho, best_lam, rounds, time.perf_counter() - t0, float("nan"), best_plan,
                           tuple(plans))


def mclp_lagrangian(coverage: sp.csr_matrix, weights: np.ndarray, p: int, lam: np.ndarray) -> tuple[float, np.ndarray]:
    """The MCLP Lagrangian upper bound ``U(λ)`` (module docstring) and the site values ``s``.

    ``λ`` is clipped into ``[0, W]`` first, so any vector gives a valid bound.
    """
    w = np.asarray(weights, float)
    lam = np.clip(lam, 0.0, w)
    s = coverage.T @ lam
    k = len(s)
    top = s if p >= k else s[np.argpartition(-s, p - 1)[:p]] if p > 0 else s[:0]
    return float((w - lam).sum() + top.sum()), s


def mclp_dual_smoothed(
    coverage: sp.csr_matrix,
    weights: np.ndarray,
    p: int,
    rounds: int = 4,
    evals_per_round: int = 250,
    time_limit: float = 60.0,
    lower: float = -np.inf,
    stop_gap: float = 1e-7,
) -> LagrangianBound:
    """Minimise the MCLP LP dual with a smoothed objective (L-BFGS-B), then price it exactly.

    The LP dual of the MCLP (groups × sites ``coverage``, all sites new and allowed) is::

        min  Σ_g (W_g − λ_g) + p θ + Σ_j (s_j − θ)⁺    over 0 ≤ λ ≤ W, θ ≥ 0

    (``θ`` prices the budget). ``(x)⁺`` is replaced by ``τ log(1 + e^{x/τ})``, which
    only raises the value, and ``τ`` shrinks round by round from a tenth of the mean
    group weight; each round's ``λ`` is then priced with the exact
    :func:`mclp_lagrangian`, a valid bound whatever the smoothing did. Starting from
    ``λ = 0`` (the coverable weight) it reaches the LP bound much faster than HiGHS's
    simplex or interior point on village-scale models (60,000 × 10,000: within 0.006 %
    of the LP bound in ~20 s where HiGHS needs over 195 s). The work is fixed
    (``rounds`` × ``evals_per_round``); ``time_limit`` is a safety stop between
    rounds. Stops early once the bound is within ``stop_gap`` of ``lower`` (the
    value of a known plan).
    """
    t0 = time.perf_counter()
    C = sp.csr_matrix(coverage, dtype=float)
    n, k = C.shape
    w = np.asarray(weights, float)
    lam = np.zeros(n)
    best_val, best_s = mclp_lagrangian(C, w, p, lam)
    best_lam = lam.copy()
    if n == 0 or k == 0 or p <= 0 or p >= k:
        # with no budget or room for every site the bound is exact at λ = 0 or W
        if p >= k and n:
            best_val, best_s = mclp_lagrangian(C, w, p, w)
            best_lam = w.copy()
        return LagrangianBound(best_val, best_s, best_lam, 0, time.perf_counter() - t0, float("nan"), None)
    CT = C.T.tocsr()
    tau = 0.1 * float(w.mean()) if w.mean() > 0 else 1.0
    bounds = [(0.0, float(c)) for c in w] + [(0.0, None)]

    def f(v: np.ndarray, tau: float) -> tuple[float, np.ndarray]:
        lam_, th = v[:n], v[n]
        b = CT @ lam_ - th
        soft, sig = _softplus(b, tau)
        val = (w - lam_).sum() + p * th + soft.sum()
        return float(val), np.concatenate([C @ sig - 1.0, [p - sig.sum()]])

    v = np.concatenate([lam, [0.0]])
    done = 0
    for _ in range(rounds):
        if time.perf_counter() - t0 > time_limit:
            break
        res = minimize(f, v, args=(tau,), jac=True, method="L-BFGS-B", bounds=bounds,
                       options={"maxfun": evals_per_round, "maxiter": evals_per_round})
        v = res.x
        done += 1
        val, s = mclp_lagrangian(C, w, p, v[:n])
        if val < best_val:
            best_val, best_s, best_lam = val, s, np.clip(v[:n], 0.0, w)
        if best_val <= lower + stop_gap * abs(lower):
            break  # the known plan is proven (near-)optimal
        tau *= 0.3
    return LagrangianBound(best_val, best_s, best_lam, done, time.perf_counter() - t0, float("nan"), None)
