"""Lagrangian decomposition of a connected MCLP into regions: a bound stronger than the LP's.

The component decomposition (:mod:`siting.locate.decompose`) needs a coverage graph
that falls apart; at village scale it is one component. Cut it instead: partition
the demand groups into regions ``D_r``, give each site a copy in every region whose
groups it covers, and split its budget price ``θ`` among the copies
(``θ_jr ≥ 0``, ``Σ_r θ_jr = θ``). Then::

    U = p θ + Σ_r F_r,   F_r = max  Σ_{g ∈ D_r} W_g z_g − Σ_j θ_jr y_j
                               s.t. z_g ≤ Σ_{j ∈ N_g} y_j,  z_g = 1 for must-cover groups,  y ∈ {0, 1}

bounds the MCLP from above for every split: a plan of at most ``p`` sites is
feasible in every region, and its copies' prices add up to ``θ |y| ≤ θ p``.

The split comes from an LP dual ``(λ, θ)`` of the whole model
(:func:`~siting.locate.lagrange.mclp_dual_smoothed`)::

    θ_jr = θ s_jr / s_j,   s_jr = Σ_{g ∈ D_r ∩ N_j} λ_g,   s_j = Σ_r s_jr

(an even split for a site with ``s_j = 0``). ``λ`` restricted to a region is then a
feasible dual of that region's LP, so::

    F_r ≤ LP_r = Σ_{g ∈ D_r} (W_g − λ_g) + Σ_j (s_jr − θ_jr)⁺

and ``p θ + Σ_r LP_r`` is the whole model's Lagrangian bound at ``λ``. Each region
whose MIP is solved (or whose MIP's dual bound is below ``LP_r``) lowers the bound
below the LP's by the integrality gap inside it; a region not reached in time
keeps ``LP_r``, so the bound is never weaker than the LP's. Measured on the
60,000 × 10,000 benchmark instance: 64 regions of about 150 sites, solved smallest
first with 3 s each, 53–55 of them in the 32 s left beside the search, lower the
bound by 0.022 % of the objective.

Regions are the graph Voronoi cells of the coverage graph around random seed
sites (breadth-first, so no coordinates are needed): dense areas, having more
sites, get more seeds and smaller cells.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from siting.locate.decompose import solve_by_components
from siting.locate.lagrange import mclp_lagrangian
from siting.locate.mip import MipSolver

__all__ = ["RegionalBound", "coverage_regions", "regional_bound", "regional_prices"]


def coverage_regions(C: sp.csr_matrix, sites_per_region: int = 150,
                     seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Partition the groups into graph Voronoi regions of the group–site coverage graph.

    Parameters
    ----------
    C : csr_matrix, shape (groups, sites)
    sites_per_region : int
        About how many sites per region: ``sites // sites_per_region`` seeds.
    seed : int
        Random seed for the seed sites.

    Returns
    -------
    list of (sites, groups)
        Each region's groups (every group with a site in range is in exactly one
        region) and every site covering one of them, fewest sites first.
    """
    B = sp.csr_matrix(C, dtype=bool)
    n, m = B.shape
    reachable = np.diff(B.indptr) > 0
    if not reachable.any():
        return []
    used_sites = np.flatnonzero(np.diff(B.tocsc().indptr) > 0)
    count = int(np.clip(len(used_sites) // max(1, sites_per_region), 1, len(used_sites)))
    seeds = n + np.random.default_rng(seed).choice(used_sites, count, replace=False)
    graph = sp.bmat([[None, B], [B.T, None]], format="csr")
    _, _, nearest_seed = dijkstra(graph, unweighted=True, indices=seeds, min_only=True, return_predecessors=True)
    groups = np.flatnonzero(reachable)
    _, label = np.unique(nearest_seed[groups], return_inverse=True)
    order = np.argsort(label, kind="stable")
    cuts = np.searchsorted(label[order], np.arange(label.max() + 2))
    parts = []
    for r in range(len(cuts) - 1):
        region_groups = groups[order[cuts[r]:cuts[r + 1]]]
        sites = np.flatnonzero(np.diff(B[region_groups].tocsc().indptr) > 0)
        parts.append((sites, region_groups))
    parts.sort(key=lambda sg: len(sg[0]))
    return parts


def regional_prices(C: sp.csr_matrix, weights: np.ndarray, lam: np.ndarray, theta: float,
                    parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[list[np.ndarray], list[float]]:
    """Split the budget price ``θ`` among the regions by the LP dual ``λ``; each region's ``LP_r``.

    Returns
    -------
    site_costs : list of ndarray
        ``θ_jr`` for each region's sites (module docstring); over the regions
        holding a site they add up to ``θ``.
    caps : list of float
        ``LP_r``, an upper bound on each region's ``F_r``.
    """
    C = sp.csr_matrix(C, dtype=float)
    w = np.asarray(weights, float)
    lam = np.clip(np.asarray(lam, float), 0.0, w)
    m = C.shape[1]
    copies = np.bincount(np.concatenate([s for s, _ in parts]), minlength=m) if parts else np.zeros(m, np.int64)
    region_values = [C[groups][:, sites].T @ lam[groups] for sites, groups in parts]
    total = np.zeros(m)
    for (sites, _), value in zip(parts, region_values):
        total[sites] += value
    site_costs, caps = [], []
    for (sites, groups), value in zip(parts, region_values):
        share = np.where(total[sites] > 0, value / np.where(total[sites] > 0, total[sites], 1.0),
                         1.0 / np.maximum(copies[sites], 1))
        cost = theta * share
        site_costs.append(cost)
        caps.append(float((w[groups] - lam[groups]).sum() + np.maximum(value - cost, 0.0).sum()))
    return site_costs, caps


@dataclass(frozen=True)
class RegionalBound:
    """Outcome of :func:`regional_bound`.

    Attributes
    ----------
    bound : float
        Upper bound on the covered weight (groups only); at most ``lp_bound``.
    lp_bound : float
        The Lagrangian (LP-strength) bound at the same ``λ``: ``p θ + Σ_r LP_r``.
    regions, solved : int
        Regions in the partition; regions whose MIP was solved to optimality.
    seconds : float
    """

    bound: float
    lp_bound: float
    regions: int
    solved: int
    seconds: float


def regional_bound(
    C: sp.csr_matrix,
    weights: np.ndarray,
    must: np.ndarray,
    p: int,
    lam: np.ndarray,
    solver: MipSolver,
    *,
    start: np.ndarray | None = None,
    deadline: float | None = None,
    sites_per_region: int = 150,
    seed: int = 0,
) -> RegionalBound:
    """The regional Lagrangian bound ``U`` at the LP dual ``λ`` (module docstring).

    Parameters
    ----------
    C : csr_matrix, shape (groups, sites)
    weights, must : ndarray, shape (groups,)
    p : int
    lam : ndarray, shape (groups,)
        Multipliers of the coverage rows (clipped into ``[0, W]``); ``θ`` is the
        ``p``-th largest site value ``s_j`` they give.
    solver : MipSolver
        Solves each region; its own time limit caps each region.
    start : ndarray of int, optional
        A plan whose restriction seeds each region's search.
    deadline : float, optional
        ``time.perf_counter()`` value after which the regions left keep ``LP_r``.
    sites_per_region, seed
        See :func:`coverage_regions`.
    """
    t0 = time.perf_counter()
    C = sp.csr_matrix(C)
    w = np.asarray(weights, float)
    lam = np.clip(np.asarray(lam, float), 0.0, w)
    s = C.T @ lam
    if p <= 0 or p >= len(s):
        # nothing to price: no site may open, or every site may
        value, _ = mclp_lagrangian(C, w, p, lam)
        return RegionalBound(value, value, 0, 0, time.perf_counter() - t0)
    theta = float(np.partition(s, len(s) - p)[len(s) - p])
    parts = coverage_regions(C, sites_per_region, seed)
    site_costs, caps = regional_prices(C, w, lam, theta, parts)
    # groups no site reaches keep their W_g − λ_g term (their λ_g buys nothing)
    outside = float((w - lam)[np.diff(C.indptr) == 0].sum())
    lp_bound = p * theta + outside + float(sum(caps))
    dec = solve_by_components(C, w, must, p, theta, solver, start=start, parts=parts, deadline=deadline,
                              site_costs=site_costs, caps=caps)
    bound = min(lp_bound, dec.bound + outside)
    return RegionalBound(bound, lp_bound, len(parts), dec.solved, time.perf_counter() - t0)
