"""Lagrangian decomposition of the MCLP by connected components of its coverage graph.

Sites and demand groups form a bipartite graph (a group is joined to the sites
that cover it); its connected components interact only through the budget
``Σ y ≤ p``. Pricing the budget at ``μ ≥ 0`` splits the MCLP into one independent
problem per component ``c``::

    F_c(μ) = max  Σ_{g ∈ c} W_g z_g − μ Σ_{j ∈ c} y_j
             s.t. z_g ≤ Σ_{j ∈ N_g} y_j,   z_g = 1 for must-cover groups,   y ∈ {0, 1},  0 ≤ z ≤ 1

and ``U(μ) = p μ + Σ_c F_c(μ)`` bounds the MCLP from above for every ``μ ≥ 0``
(any plan with at most ``p`` sites is feasible for every component, and
``μ (p − Σ y) ≥ 0``). With ``μ`` the LP dual price of the budget, ``U(μ)`` is at
most the LP bound and, on the benchmark instances, equal to the optimum: the
components' solutions then use exactly ``p`` sites and form an optimal plan, or a
plan with a site more or less is repaired greedily. Each component problem is
small and, unlike the budget-constrained whole, has no knapsack row tying
near-tied sites across the map, so HiGHS proves them far faster (10,000 × 1,000:
~3.5 s for all 209 components, one after another with HiGHS's default search,
where the whole model takes 7.5–11 s).

The components are independent, so with ``workers > 1`` they are solved
concurrently, largest first, in threads (HiGHS releases the GIL while it
searches): at 20,000 × 2,000 the largest component (371 of 1,922 sites) takes
8–11 s and the other 146 a few seconds together, so two workers finish in the
time of the largest one.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, is_dataclass, replace

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from siting.locate._cover_mip import cover_mip, cover_start
from siting.locate.mip import MipOutcome, MipSolver

__all__ = ["Decomposition", "coverage_components", "solve_by_components"]


def coverage_components(C: sp.csr_matrix) -> list[tuple[np.ndarray, np.ndarray]]:
    """Connected components of the group–site coverage graph, largest first.

    Returns
    -------
    list of (sites, groups)
        Index arrays of each component with at least one group (sites that cover
        nothing are left out: they never change the coverage).
    """
    n = C.shape[0]
    graph = sp.bmat([[None, sp.csr_matrix(C, dtype=bool)], [sp.csr_matrix(C.T, dtype=bool), None]], format="csr")
    count, label = connected_components(graph, directed=False)
    group_label, site_label = label[:n], label[n:]
    site_order = np.argsort(site_label, kind="stable")
    group_order = np.argsort(group_label, kind="stable")
    site_cut = np.searchsorted(site_label[site_order], np.arange(count + 1))
    group_cut = np.searchsorted(group_label[group_order], np.arange(count + 1))
    parts = [(site_order[site_cut[c]:site_cut[c + 1]], group_order[group_cut[c]:group_cut[c + 1]])
             for c in range(count)]
    parts = [(s, g) for s, g in parts if len(g) and len(s)]
    parts.sort(key=lambda sg: -len(sg[0]))
    return parts


@dataclass(frozen=True)
class Decomposition:
    """Outcome of :func:`solve_by_components`.

    Attributes
    ----------
    bound : float
        ``U(μ)``, an upper bound on the MCLP's covered weight (groups only).
    chosen : ndarray of int or None
        Union of the components' best sites (``None`` if a component returned none).
    proven : bool
        Every component was solved to optimality (else ``bound`` uses their dual bounds).
    components, price, seconds
    solved : int
        Components solved to optimality.
    """

    bound: float
    chosen: np.ndarray | None
    proven: bool
    components: int
    price: float
    seconds: float
    solved: int = 0


def solve_by_components(
    C: sp.csr_matrix,
    weights: np.ndarray,
    must: np.ndarray,
    p: int,
    price: float,
    solver: MipSolver,
    start: np.ndarray | None = None,
    parts: list[tuple[np.ndarray, np.ndarray]] | None = None,
    deadline: float | None = None,
    workers: int = 1,
    site_costs: Sequence[np.ndarray] | None = None,
    caps: Sequence[float] | None = None,
) -> Decomposition:
    """Solve ``F_c(price)`` for every component and return ``U(price)`` (module docstring).

    Parameters
    ----------
    C : csr_matrix, shape (groups, sites)
    weights, must : ndarray, shape (groups,)
    p : int
    price : float
        Budget price ``μ`` (clipped at 0), normally the LP's budget dual.
    solver : MipSolver
    start : ndarray of int, optional
        A plan whose restriction seeds each component's search.
    parts : list, optional
        :func:`coverage_components` of ``C``, if already computed.
    deadline : float, optional
        ``time.perf_counter()`` value after which components get only a token time
        limit (their dual bounds still count, so the bound stays valid).
    workers : int
        Components solved at once, in threads; ``solver`` must then be safe to call
        from several threads (:class:`~siting.locate.HighsSolver` without ``threads``
        is: each call makes its own HiGHS object).
    site_costs : sequence of ndarray, optional
        Each part's own price for each of its sites, in place of ``price``, for parts
        that share sites (:mod:`siting.locate.regions`): the prices of a site over the
        parts holding it must add up to ``price`` for the bound to hold.
    caps : sequence of float, optional
        A known upper bound on each part's ``F``, used where the solver's is weaker
        (a part cut short before its root LP has none). With caps, parts not started
        by ``deadline`` are not solved at all: their caps stand in.
    """
    t0 = time.perf_counter()
    C = sp.csr_matrix(C)
    w = np.asarray(weights, float)
    mu = max(float(price), 0.0)
    parts = coverage_components(C) if parts is None else parts
    y_start = np.zeros(C.shape[1])
    if start is not None:
        y_start[start] = 1.0

    def solve_part(index: int) -> MipOutcome:
        sites, groups = parts[index]
        if caps is not None and deadline is not None and time.perf_counter() >= deadline:
            return MipOutcome("no_solution", None, float("nan"), float("nan"), float("nan"), 0.0, "skipped")
        R = C[groups][:, sites]
        cost = mu if site_costs is None else site_costs[index]
        mip = cover_mip(R, w[groups], must[groups], site_cost=cost)
        y0 = y_start[sites]
        part_solver = solver
        if deadline is not None and is_dataclass(solver) and hasattr(solver, "time_limit"):
            own = solver.time_limit if solver.time_limit is not None else np.inf
            part_solver = replace(solver, time_limit=max(0.01, min(own, deadline - time.perf_counter())))
        return part_solver.solve(mip, cover_start(R, y0) if start is not None else None)

    if workers > 1 and len(parts) > 1:
        # parts come largest first, so the longest solve starts at once and the rest fill the other workers
        with ThreadPoolExecutor(min(workers, len(parts))) as pool:
            outcomes = list(pool.map(solve_part, range(len(parts))))
    else:
        outcomes = [solve_part(index) for index in range(len(parts))]
    bound = p * mu
    chosen: list[np.ndarray] | None = []
    proven, solved = True, 0
    for index, ((sites, groups), out) in enumerate(zip(parts, outcomes)):
        if out.status == "optimal" and np.isfinite(out.objective):
            part_bound = max(out.objective, out.bound) if np.isfinite(out.bound) else out.objective
            solved += 1
        elif np.isfinite(out.bound):
            part_bound = out.bound
            proven = False
        else:
            # no bound from the solver: the part's weight plus nothing for sites is still one
            part_bound = float(w[groups].sum())
            proven = False
        bound += part_bound if caps is None else min(part_bound, caps[index])
        if out.x is None:
            chosen = None
        elif chosen is not None:
            chosen.append(sites[out.x[: len(sites)] > 0.5])
    picked = np.concatenate(chosen) if chosen else (np.zeros(0, np.int64) if chosen is not None else None)
    return Decomposition(float(bound), picked, proven, len(parts), mu, time.perf_counter() - t0, solved)
