"""p-median with existing offices, rules, must-cover and capacities, without n × m variables.

Uncapacitated: the radius (Cornuéjols–Nemhauser–Wolsey / Elloumi) formulation
in chain form, over each settlement's nearest sites only. For settlement ``i``
let ``D_i^0 < D_i^1 < … < D_i^{L-1}`` be the distinct distances of its listed
sites and ``S_i^t`` the candidate sites at distance ``D_i^t``; ``z_it`` (``t ≥ 1``)
means "no open site closer than ``D_i^t``"::

    minimise    Σ_i w_i D_i^0 + Σ_i Σ_{t≥1} w_i (D_i^t − D_i^{t−1}) z_it
    subject to  z_i1 + Σ_{j ∈ S_i^0} y_j ≥ 1
                z_i,t+1 − z_it + Σ_{j ∈ S_i^t} y_j ≥ 0          (t = 1 … L−2)
                −z_i,L−1 + Σ_{j ∈ S_i^{L−1}} y_j ≥ 0             (only if the list is complete)
                Σ_{j new} y_j = p
                Σ_{j : d_ij ≤ R} y_j ≥ 1                         (must-cover i, radius R)
                y_j ∈ {0, 1},  z_it ≥ 0

Its LP relaxation equals that of the classical assignment formulation, but it
has ``Σ_i L_i`` variables instead of ``n × m``, and each site appears once per
settlement. An existing office at distance ``D_i^t`` ends the list of ``i``
(farther levels can never be used). A list cut after ``K_i`` sites makes the
model a *relaxation* (the cost beyond the list is not charged), so its bound is
valid for the full problem; if in the returned plan every settlement has an
open site inside its list, the plan's true cost equals the relaxed optimum and
it is optimal for the full problem. Otherwise the lists of the settlements
concerned are doubled and the model solved again (warm-started).

Capacitated (single sourcing, each settlement served by one office of capacity
``cap_j``), over the pairs of the ``k_capacitated`` nearest sites per settlement::

    minimise    Σ_{(i,j)} w_i d_ij x_ij
    subject to  Σ_j x_ij = 1,  x_ij ≤ y_j,  Σ_i q_i x_ij ≤ cap_j y_j,
                Σ_{j new} y_j = p,  y_j = 1 (existing),  x, y ∈ {0, 1}

``q_i`` is the load settlement ``i`` puts on its office (``loads``: residents or
expected visits; by default its weight ``w_i``). With unit weights and loads
as demands this is the capacitated p-median of Osman & Christofides (1994),
whose OR-Library optima the tests reproduce.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from siting.errors import InfeasibleError
from siting.locate._highs import SEEDED_MIP_OPTIONS, HighsSolver
from siting.locate._inputs import LocationInputError, SiteSets, capacity_array, check_weights, row_mask
from siting.locate.distances import MatrixNeighbours, NeighbourSource
from siting.locate.heuristics import greedy_median, median_cost, perturb_median, swap_median
from siting.locate.lagrange import LagrangianBound, fix_sites, pmedian_dual_smoothed, site_penalties
from siting.locate.mip import OPTIMAL_GAP, MipModel, MipSolver, relative_gap
from siting.locate.result import SitingResult

__all__ = ["solve_pmedian", "build_radius_model", "RadiusModel"]

#: When the LP-dual bound is known and the radius model left after fixing still has
#: more rows than this, branch and bound is not tried: HiGHS's root LP on such models
#: takes minutes (58,000 rows: ~15 s; 290,000 rows: ~500 s).
RESIDUAL_MIP_MAX_ROWS = 100_000


def as_source(distances: np.ndarray | sp.spmatrix | NeighbourSource) -> NeighbourSource:
    """Wrap a dense/sparse distance matrix; pass a :class:`NeighbourSource` through."""
    if isinstance(distances, NeighbourSource):
        return distances
    if sp.issparse(distances) or isinstance(distances, np.ndarray):
        if distances.ndim != 2:
            raise LocationInputError("distances must be a 2-D demand × site matrix")
        return MatrixNeighbours(distances)
    raise LocationInputError("distances must be an array, a sparse matrix or a NeighbourSource")


def _row_positions(indptr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row of every entry and its position inside the row."""
    ln = np.diff(indptr)
    rows = np.repeat(np.arange(len(ln)), ln)
    return rows, np.arange(indptr[-1]) - indptr[:-1][rows]


def _first_in_row(rows: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """Entry index of the first masked entry of each row, ``-1`` if none."""
    first = np.full(n, -1, dtype=np.int64)
    pos = np.flatnonzero(mask)
    if pos.size:
        r = rows[pos]
        keep = np.ones(len(pos), dtype=bool)
        keep[1:] = r[1:] != r[:-1]
        first[r[keep]] = pos[keep]
    return first


class RadiusModel:
    """The truncated chain radius model for given nearest-site lists.

    Parameters
    ----------
    lists : csr_matrix
        Per settlement, its nearest sites in increasing distance (local site indices).
    closed : ndarray of bool
        Lists that hold every relevant site (complete, or ended by an existing office).
    weights : ndarray
    is_existing : ndarray of bool
        Local sites that are existing offices (always open).
    p : int
    must : ndarray of bool or None
        Settlements that need an open site within ``radius``.
    radius : float or None
    """

    def __init__(self, lists: sp.csr_matrix, closed: np.ndarray, weights: np.ndarray, is_existing: np.ndarray,
                 p: int, must: np.ndarray | None = None, radius: float | None = None):
        n, m = lists.shape
        self.n_sites = m
        rows, pos = _row_positions(lists.indptr)
        d, site = lists.data, lists.indices.astype(np.int64)
        # level of each entry: a new level whenever the distance grows
        new_level = (pos == 0)
        new_level[1:] |= d[1:] != d[:-1]
        level = np.cumsum(new_level) - 1
        level -= level[lists.indptr[:-1][rows]] if len(rows) else 0
        n_levels = np.zeros(n, dtype=np.int64)
        np.maximum.at(n_levels, rows, level + 1)
        ex_entry = is_existing[site]
        has_ex = np.zeros(n, dtype=bool)
        has_ex[rows[ex_entry]] = True
        # an existing office closes the list at its level
        ex_level = np.full(n, np.iinfo(np.int64).max)
        np.minimum.at(ex_level, rows[ex_entry], level[ex_entry])
        n_levels = np.where(has_ex, ex_level + 1, n_levels)
        final_row = closed & ~has_ex  # complete list: someone in it must be open
        n_z = np.maximum(n_levels - 1, 0)
        n_chain = n_z + final_row
        z_off = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(n_z, out=z_off[1:])
        r_off = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(n_chain, out=r_off[1:])
        # distance of each level: first entry of the level
        lv_start = np.flatnonzero(new_level)
        lv_dist = d[lv_start]
        lv_row = rows[lv_start]
        lv_idx = level[lv_start]
        nonempty = np.diff(lists.indptr) > 0
        D0 = np.zeros(n)
        D0[nonempty] = d[lists.indptr[:-1][nonempty]]
        # z variables: level t ≥ 1 of each row, t < n_levels
        zsel = (lv_idx >= 1) & (lv_idx < n_levels[lv_row])
        z_row, z_t = lv_row[zsel], lv_idx[zsel]
        z_col = m + z_off[z_row] + z_t - 1
        z_cost = weights[z_row] * (lv_dist[zsel] - lv_dist[np.flatnonzero(zsel) - 1])
        nz_total = int(z_off[-1])
        n_rows_chain = int(r_off[-1])
        # entries: z_it in chain row t (+1) and t+1 (−1); y_j of level t in chain row t+1
        chain_row_of = lambda i, t: r_off[i] + t - 1  # noqa: E731  (t = 1 … n_chain)
        e_r = [chain_row_of(z_row, z_t)]
        e_c = [z_col]
        e_v = [np.ones(len(z_row))]
        nxt = z_t + 1 <= n_chain[z_row]
        e_r.append(chain_row_of(z_row[nxt], z_t[nxt] + 1))
        e_c.append(z_col[nxt])
        e_v.append(-np.ones(nxt.sum()))
        ysel = ~ex_entry & (level + 1 <= n_chain[rows]) & (level < n_levels[rows])
        e_r.append(chain_row_of(rows[ysel], level[ysel] + 1))
        e_c.append(site[ysel])
        e_v.append(np.ones(ysel.sum()))
        rhs = np.zeros(n_rows_chain)
        has_chain = n_chain > 0
        rhs[r_off[:-1][has_chain]] = 1.0
        # budget row over new sites
        new_sites = np.flatnonzero(~is_existing)
        e_r.append(np.full(len(new_sites), n_rows_chain))
        e_c.append(new_sites)
        e_v.append(np.ones(len(new_sites)))
        row_lower = [rhs, [float(p)]]
        row_upper = [np.full(n_rows_chain, np.inf), [float(p)]]
        n_rows = n_rows_chain + 1
        # must-cover within a radius
        self.must_rows = 0
        if must is not None and radius is not None and must.any():
            ok_ex = np.zeros(n, dtype=bool)
            ok_ex[rows[ex_entry & (d <= radius)]] = True
            need = must & ~ok_ex
            msel = need[rows] & (d <= radius) & ~ex_entry
            idx = np.cumsum(need) - 1
            e_r.append(n_rows + idx[rows[msel]])
            e_c.append(site[msel])
            e_v.append(np.ones(msel.sum()))
            k = int(need.sum())
            row_lower.append(np.ones(k))
            row_upper.append(np.full(k, np.inf))
            n_rows += k
            self.must_rows = k
        A = sp.csr_matrix((np.concatenate(e_v), (np.concatenate(e_r), np.concatenate(e_c))), shape=(n_rows, m + nz_total))
        c = np.zeros(m + nz_total)
        c[z_col] = z_cost
        col_lower = np.zeros(m + nz_total)
        col_lower[:m] = is_existing.astype(float)
        col_upper = np.concatenate([np.ones(m), np.full(nz_total, np.inf)])
        integer = np.concatenate([np.ones(m, bool), np.zeros(nz_total, bool)])
        # rows with no variables at all contribute their constant D0 only
        offset = float(weights @ D0)
        self.mip = MipModel(c, A, np.concatenate(row_lower), np.concatenate(row_upper), col_lower, col_upper,
                            integer, maximize=False, offset=offset)
        self.lists, self.closed, self.has_existing = lists, closed, has_ex
        self.n_levels = n_levels

    def start(self, is_open: np.ndarray) -> np.ndarray:
        """Column vector for an open-site mask: ``z_it = 1`` iff nothing open before level ``t``."""
        m = self.n_sites
        x = np.zeros(self.mip.n_cols)
        x[:m] = is_open
        lists = self.lists
        rows, pos = _row_positions(lists.indptr)
        d = lists.data
        new_level = (pos == 0)
        new_level[1:] |= d[1:] != d[:-1]
        level = np.cumsum(new_level) - 1
        level -= level[lists.indptr[:-1][rows]] if len(rows) else 0
        hit = is_open[lists.indices]
        first = _first_in_row(rows, hit, lists.shape[0])
        first_level = np.where(first >= 0, level[np.maximum(first, 0)], np.iinfo(np.int64).max)
        n_z = np.maximum(self.n_levels - 1, 0)
        z_row = np.repeat(np.arange(lists.shape[0]), n_z)
        z_t = np.arange(n_z.sum()) - np.repeat(np.cumsum(n_z) - n_z, n_z) + 1
        x[m:] = (z_t <= first_level[z_row]).astype(float)
        return x


def build_radius_model(lists: sp.csr_matrix, closed: np.ndarray, weights: np.ndarray, is_existing: np.ndarray,
                       p: int, must: np.ndarray | None = None, radius: float | None = None) -> RadiusModel:
    """Assemble the truncated chain radius model (see the module docstring)."""
    return RadiusModel(lists, closed, weights, is_existing, p, must, radius)


def _truncate_at_existing(lists: sp.csr_matrix, is_existing: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """Drop list entries farther than each row's first existing office; flag those rows."""
    rows, _ = _row_positions(lists.indptr)
    ex = is_existing[lists.indices]
    first = _first_in_row(rows, ex, lists.shape[0])
    has = first >= 0
    limit = np.where(has, lists.data[np.maximum(first, 0)], np.inf)
    keep = lists.data <= limit[rows]
    # at the existing office's distance, keep only entries up to it (ties are equivalent)
    keep &= ~(has[rows] & (lists.data == limit[rows]) & (np.arange(len(rows)) > first[rows]))
    indptr = np.zeros(lists.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows[keep], minlength=lists.shape[0]), out=indptr[1:])
    out = sp.csr_matrix((lists.data[keep], lists.indices[keep], indptr), shape=lists.shape)
    out.has_sorted_indices = False
    return out, has


def _exact_cost(src: NeighbourSource, is_open: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """True nearest open site (local index) and distance for every settlement."""
    open_idx = np.flatnonzero(is_open)
    near, _ = src.restrict(open_idx).nearest(np.ones(src.n_demand, dtype=np.int64))
    has = np.diff(near.indptr) > 0
    site = np.full(src.n_demand, -1, dtype=np.int64)
    dist = np.full(src.n_demand, np.inf)
    site[has] = open_idx[near.indices]
    dist[has] = near.data
    return site, dist


@dataclass
class _Lists:
    """Nearest-site lists of a (sub)problem, grown on demand."""

    src: NeighbourSource
    is_ex: np.ndarray
    k: np.ndarray
    #: the settlement–site pairs a plan cheaper than the best known can use (:func:`_reach_limits`);
    #: the others are dropped
    reach: "_Reach | None" = None
    lists: sp.csr_matrix = field(init=False)
    closed: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.fetch()

    def fetch(self) -> None:
        lists, exhausted = self.src.nearest(self.k)
        self.lists, has_ex = _truncate_at_existing(lists, self.is_ex)
        self.closed = exhausted | has_ex
        self.complete = exhausted & ~has_ex
        if self.reach is not None:
            rows, _ = _row_positions(self.lists.indptr)
            keep = self.reach.usable(rows, self.lists.indices, self.lists.data)
            cut = np.bincount(rows[self.lists.data > self.reach.limit[rows]], minlength=self.lists.shape[0]) > 0
            indptr = np.zeros(self.lists.shape[0] + 1, dtype=np.int64)
            np.cumsum(np.bincount(rows[keep], minlength=self.lists.shape[0]), out=indptr[1:])
            self.lists = sp.csr_matrix((self.lists.data[keep], self.lists.indices[keep], indptr),
                                       shape=self.lists.shape)
            self.lists.has_sorted_indices = False  # sorted by distance, not by site
            self.closed = self.closed | cut  # every site beyond the limit is unusable

    def grow(self, rows: np.ndarray) -> None:
        self.k = np.where(rows, self.k * 2, self.k)
        self.fetch()

    @property
    def last(self) -> np.ndarray:
        return self.lists.data[np.maximum(self.lists.indptr[1:] - 1, 0)]


@dataclass(frozen=True)
class _Reach:
    """The settlement–site pairs usable by a plan cheaper than the best known (:func:`_reach_limits`)."""

    multipliers: np.ndarray  # λ_i
    weights: np.ndarray
    slack: float  # best known cost − L(λ)
    site_penalty: np.ndarray  # per site, what opening it adds to L(λ)

    @property
    def limit(self) -> np.ndarray:
        """Per settlement, the distance beyond which no site serves it."""
        with np.errstate(divide="ignore", invalid="ignore"):
            reach = (self.multipliers + self.slack) / self.weights
        return np.where(self.weights > 0, reach, np.inf)

    def usable(self, rows: np.ndarray, sites: np.ndarray, dist: np.ndarray) -> np.ndarray:
        """Mask of the pairs ``(rows, sites)`` at ``dist`` that some better plan may use."""
        w = self.weights[rows]
        excess = np.maximum(w * dist - self.multipliers[rows], 0.0) + self.site_penalty[sites]
        return (w == 0) | (excess <= self.slack)

    def restrict(self, cols: np.ndarray) -> "_Reach":
        return _Reach(self.multipliers, self.weights, self.slack, self.site_penalty[cols])


def _reach_limits(lb: LagrangianBound, weights: np.ndarray, upper: float, allowed: np.ndarray, p: int) -> _Reach:
    """The pairs ``(i, j)`` any plan cheaper than ``upper`` can use to serve ``i`` from ``j``.

    Serving ``i`` from ``j`` forces ``x_ij = 1`` and ``y_j = 1``: the Lagrangian bound
    rises by the reduced cost ``(w_i d_ij − λ_i)⁺`` (added to ``ρ_j``) plus, when ``j`` is
    not among the Lagrangian choice of sites, ``ρ_j − ρ_(p)``
    (:func:`~siting.locate.lagrange.site_penalties`). Pairs whose rise exceeds
    ``upper − L(λ)`` are in no better plan; in particular no settlement is served beyond
    ``(λ_i + upper − L(λ)) / w_i``.
    """
    slack = upper - lb.bound + 1e-9 * max(abs(upper), 1.0)
    open_penalty, _ = site_penalties(lb, allowed, p)
    return _Reach(lb.multipliers, np.asarray(weights, float), float(slack), np.maximum(open_penalty, 0.0))


def _sole_sites(L: _Lists) -> np.ndarray:
    """Sites that are the only one left in a settlement's closed list: open in every better plan."""
    one = (np.diff(L.lists.indptr) == 1) & L.closed
    forced = np.zeros(L.lists.shape[1], dtype=bool)
    forced[L.lists.indices[L.lists.indptr[:-1][one]]] = True
    return forced & ~L.is_ex


def _capped_lists(src: NeighbourSource, is_ex: np.ndarray, k: np.ndarray, reach: _Reach, plan: np.ndarray,
                  w: np.ndarray) -> tuple[_Lists, np.ndarray, int]:
    """Lists capped at each settlement's reach, sites alone in a capped list opened, grown until ``plan`` is exact in them.

    Returns the lists, the open mask they were built with (``is_ex`` plus the forced sites) and how many were forced.
    """
    L = _Lists(src, is_ex, k, reach)
    forced = _sole_sites(L)
    if forced.any():
        is_ex = is_ex | forced
        L = _Lists(src, is_ex, L.k, reach)
    for _ in range(64):  # every list reaches the plan's nearest office: its cost is exact in the model
        _, n1 = median_cost(L.lists, w, plan | is_ex, np.zeros(len(w)))
        short = (n1 < 0) & ~L.closed
        if not short.any():
            break
        L.grow(short)
    return L, is_ex, int(forced.sum())


def _heuristic(L: _Lists, w: np.ndarray, p: int, allowed: np.ndarray, seconds: float) -> np.ndarray:
    """Greedy + swap plan (open-site mask), growing lists until every settlement sees an open site."""
    fixed = np.flatnonzero(L.is_ex)
    for _ in range(64):
        big = float(L.lists.data.max() * 4 + 1.0) if L.lists.nnz else 1.0
        far = np.where(L.closed, big, L.last)
        chosen = greedy_median(L.lists, w, far, p, fixed=fixed, allowed=allowed)
        if seconds > 0:
            chosen = swap_median(L.lists, w, far, chosen, fixed=fixed, allowed=allowed, time_limit=seconds)
        is_open = L.is_ex.copy()
        is_open[chosen] = True
        _, n1 = median_cost(L.lists, w, is_open, far)
        grow = (n1 < 0) & ~L.closed
        if not grow.any():
            return is_open
        L.grow(grow)
    return is_open


def solve_pmedian(
    weights: np.ndarray,
    distances: np.ndarray | sp.spmatrix | NeighbourSource,
    p: int,
    *,
    existing_sites: np.ndarray | None = None,
    candidate_mask: np.ndarray | None = None,
    must_cover: np.ndarray | None = None,
    service_radius: float | None = None,
    capacities: np.ndarray | float | None = None,
    loads: np.ndarray | None = None,
    solver: MipSolver | None = None,
    k_initial: int | None = None,
    k_capacitated: int = 50,
    heuristic_seconds: float = 5.0,
    lagrangian_seconds: float = 120.0,
    ils_seconds: float | None = None,
    max_rounds: int = 12,
) -> SitingResult:
    """Choose ``p`` new sites minimising population-weighted distance to the nearest office.

    Steps: nearest-site lists (never an n × m matrix unless one is given);
    greedy + swap plan; Lagrangian bound and site fixing (:mod:`siting.locate.lagrange`);
    each settlement's reach capped by the Lagrangian reduced costs, and sites alone
    within a settlement's reach opened; the truncated radius model of the remaining
    sites solved by the MIP solver, lists grown until the optimality proof covers
    the full problem.

    Parameters
    ----------
    weights : array_like, shape (n,)
        Population of each settlement.
    distances : ndarray (n, m), sparse matrix, or NeighbourSource
        Dense distances (``inf`` = no path), admissible pairs as a sparse matrix
        (missing = no path, e.g. a travel-time file), or a
        :class:`~siting.locate.distances.TreeNeighbours` over coordinates (no
        matrix at all; lists grow on demand).
    p : int
        Number of new sites.
    existing_sites, candidate_mask : optional
        As in :func:`~siting.locate.solve_mclp`.
    must_cover : array_like of bool or indices, optional
        Settlements that need an open office within ``service_radius``.
    service_radius : float, optional
        Radius of the must-cover rule.
    capacities : array_like or float, optional
        Maximum population per office; switches to the capacitated assignment
        model over the ``k_capacitated`` nearest sites of each settlement.
    loads : array_like, shape (n,), optional
        What each settlement uses of its office's capacity (default its weight,
        e.g. expected visits where the weights are residents).
    solver : MipSolver, optional
        Default :class:`~siting.locate.HighsSolver`. Its time limit applies per round.
    k_initial : int, optional
        First list length (default ``≈ 3 m / (p + existing)``, at least 8).
    heuristic_seconds, lagrangian_seconds : float
        Time for swap improvement; safety time limit of the LP-dual bound, whose
        work is otherwise fixed (0 = skip the bound and fixing).
    ils_seconds : float, optional
        Iterated local search after the bound when the gap is still open; default
        grows with the list size (up to 20 s) when the gap exceeds 0.1 %, else 0.
    max_rounds : int
        Rounds of list growth before giving up on the optimality proof.

    Returns
    -------
    SitingResult
        ``objective`` = Σ population × distance to the serving office.
    """
    t0 = time.perf_counter()
    source = as_source(distances)
    n, m_all = source.n_demand, source.n_sites
    w = check_weights(weights, n)
    sites = SiteSets(m_all, existing_sites, candidate_mask, p)
    must = row_mask(must_cover, n, "must_cover")
    if must.any() and service_radius is None:
        raise LocationInputError("must_cover in a p-median needs service_radius")
    solver = solver if solver is not None else HighsSolver()
    cols = np.union1d(sites.candidates, sites.existing)
    src = source.restrict(cols)
    m = len(cols)
    is_ex = sites.is_existing[cols]
    cap = capacity_array(capacities, m_all)
    if cap is not None:
        q = w if loads is None else check_weights(loads, n)
        return _solve_capacitated(w, q, src, cols, is_ex, p, must, service_radius, cap[cols], solver, k_capacitated, sites, t0)

    k0 = int(k_initial) if k_initial else max(8, int(np.ceil(3 * m / max(p + len(sites.existing), 1))))
    L = _Lists(src, is_ex, np.full(n, k0, dtype=np.int64))
    empty = np.diff(L.lists.indptr) == 0
    if empty.any():
        raise InfeasibleError(f"{int(empty.sum())} settlement(s) have no reachable site",
                              diagnosis={"unreachable": np.flatnonzero(empty)})
    if service_radius is not None and must.any():
        for _ in range(64):  # must-cover lists reach beyond the radius
            short = must & ~L.closed & (L.last <= service_radius)
            if not short.any():
                break
            L.grow(short)
    stats: dict[str, Any] = {"demand": n, "sites": m_all, "rounds": 0}
    t_h = time.perf_counter()
    best_open = _heuristic(L, w, p, ~is_ex, heuristic_seconds)
    if must.any():
        chosen = _repair_must(L.lists, np.flatnonzero(best_open & ~is_ex), is_ex, ~is_ex, must, service_radius, p, w)
        best_open = is_ex.copy()
        best_open[chosen] = True
    h_site, h_dist = _exact_cost(src, best_open)
    best_value = float(w @ h_dist)
    stats["heuristic_objective"] = best_value
    stats["heuristic_seconds"] = time.perf_counter() - t_h
    meets_must = not must.any() or bool(np.all(h_dist[must] <= service_radius))

    # LP-dual bound, Lagrangian plan, iterated local search, then site fixing
    target = float(getattr(solver, "mip_rel_gap", OPTIMAL_GAP))
    bound = -np.inf
    fixed_idx = np.flatnonzero(is_ex)
    lb: LagrangianBound | None = None
    big = float(L.lists.data.max() * 4 + 1.0)
    far = np.where(L.closed, big, L.last)

    def consider(chosen: np.ndarray) -> None:
        nonlocal best_open, best_value
        cand = is_ex.copy()
        cand[chosen] = True
        _, cd = _exact_cost(src, cand)
        if float(w @ cd) < best_value:
            best_open, best_value = cand, float(w @ cd)

    if lagrangian_seconds > 0 and not must.any() and 0 < p < m - len(sites.existing):
        t_l = time.perf_counter()
        lam_cap = np.where(L.complete, np.inf, w * L.last)
        lb = pmedian_dual_smoothed(L.lists, w, lam_cap, is_ex, ~is_ex, p, w * h_dist, time_limit=lagrangian_seconds,
                                   upper=best_value, stop_gap=min(target, 1e-7))
        bound = lb.bound
        for plan in lb.plans[::-1]:  # the Lagrangian choices of sites, polished by swaps
            consider(swap_median(L.lists, w, far, np.flatnonzero(plan & ~is_ex), fixed=fixed_idx,
                                 allowed=~is_ex, time_limit=heuristic_seconds))
        gap = relative_gap(best_value, bound)
        if ils_seconds is None:
            ils_seconds = float(np.clip(L.lists.nnz / 2e4, 0.0, 20.0)) if gap > 1e-3 else 0.0
        if gap > target and ils_seconds > 0:
            consider(perturb_median(L.lists, w, far, np.flatnonzero(best_open & ~is_ex), ils_seconds,
                                    fixed=fixed_idx, allowed=~is_ex))
        stats.update(lagrangian_bound=lb.bound, lagrangian_seconds=time.perf_counter() - t_l,
                     ils_seconds=ils_seconds, upper_after_search=best_value)
    build = time.perf_counter() - t0
    solve_seconds = 0.0
    status, solver_name = "time_limit", "heuristic"
    if np.isfinite(bound) and relative_gap(best_value, bound) <= target:
        status, solver_name = ("optimal" if relative_gap(best_value, bound) <= OPTIMAL_GAP else "gap_limit"), "lagrangian"
    else:
        def residual(upper: float, k_sub: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, _Lists, int, bool]:
            """The subproblem of the plans cheaper than ``upper``: its sites, those open, lists, budget, and
            whether it is empty. Fixed-open sites act as existing offices; the bound also caps each
            settlement's reach, and a site alone in a capped list must open. ``k_sub``: first list
            lengths (default ``≈ 3 × sites left / (p + existing)``)."""
            if lb is None:
                return np.arange(m), is_ex, L, p, False
            fix_open, fix_closed = fix_sites(lb, ~is_ex, p, upper)
            keep = ~fix_closed
            sub_cols = np.flatnonzero(keep)
            if k_sub is None:
                k_sub = np.full(n, max(8, int(np.ceil(3 * len(sub_cols) / max(p + len(sites.existing), 1)))),
                                dtype=np.int64)
            reach = _reach_limits(lb, w, upper, ~is_ex, p).restrict(sub_cols)
            Ls, sub_ex, stats["fixed_open_by_reach"] = _capped_lists(src.restrict(sub_cols), (is_ex | fix_open)[keep],
                                                                     k_sub, reach, best_open[keep], w)
            stats.update(fixed_open=int(fix_open.sum()), fixed_closed=int(fix_closed.sum()))
            sub_p = p - int((sub_ex & ~is_ex[keep]).sum())
            # a settlement left with no site (or more sites forced open than p): no plan beats the best one
            empty = sub_p < 0 or bool(np.any((np.diff(Ls.lists.indptr) == 0) & Ls.closed))
            return sub_cols, sub_ex, Ls, sub_p, empty

        fixing_upper = best_value if lb is not None else stats["heuristic_objective"]
        sub_cols, sub_ex, Ls, sub_p, no_better = residual(fixing_upper, None)
        sub_best = best_open[sub_cols]
        sub_bound = np.nan
        if no_better:
            sub_bound, status, solver_name = fixing_upper, "optimal", "lagrangian"
        seeded = solver.tuned(SEEDED_MIP_OPTIONS) if isinstance(solver, HighsSolver) else solver
        for rnd in range(0 if no_better else max_rounds):
            tb = time.perf_counter()
            if service_radius is not None and must.any():
                while True:
                    short = must & ~Ls.closed & (Ls.last <= service_radius)
                    if not short.any():
                        break
                    Ls.grow(short)
            model = build_radius_model(Ls.lists, Ls.closed, w, sub_ex, sub_p, must, service_radius)
            start = model.start(sub_best) if (meets_must and bool(np.all(sub_best[sub_ex]))) else None
            if start is not None and not model.mip.is_feasible(start):
                start = None
            stats.update(rows=model.mip.n_rows, columns=model.mip.n_cols, nnz=int(model.mip.A.nnz))
            build += time.perf_counter() - tb
            if np.isfinite(bound) and model.mip.n_rows > RESIDUAL_MIP_MAX_ROWS:
                stats["residual_mip"] = "skipped: too large"
                status, solver_name = "time_limit", "lagrangian"
                break
            out = (seeded if start is not None else solver).solve(model.mip, start)
            solve_seconds += out.seconds
            stats["rounds"] = rnd + 1
            solver_name = out.solver
            status = out.status
            if out.status == "infeasible" and lb is not None:
                sub_bound, status = fixing_upper, "optimal"  # no plan within the reach beats the best one
                break
            if out.status == "infeasible":
                raise InfeasibleError("no plan meets the must-cover rule with p new sites",
                                      diagnosis={"p": p, "must_cover": np.flatnonzero(must)})
            if out.x is None:
                break
            sub_bound = out.bound if np.isfinite(out.bound) else np.nan
            is_open_sub = out.x[: len(sub_cols)] > 0.5
            full = np.zeros(m, dtype=bool)
            full[sub_cols[is_open_sub]] = True
            _, dist_ = _exact_cost(src, full)
            value = float(w @ dist_)
            if value < best_value:
                best_open, best_value = full, value
                sub_best = is_open_sub
            _, n1 = median_cost(Ls.lists, w, is_open_sub, np.zeros(n))
            outside = (n1 < 0) & ~Ls.closed
            if not outside.any():
                break  # the relaxed optimum is attained: its bound holds for the full problem
            sub_bound = np.nan
            tb = time.perf_counter()
            Ls.grow(outside)
            status = "time_limit"
            if lb is not None and best_value < fixing_upper - 1e-9 * abs(fixing_upper):
                # a better plan: fewer plans beat it, so fix again with its cost (smaller model next round)
                fixing_upper = best_value
                sub_cols, sub_ex, Ls, sub_p, no_better = residual(fixing_upper, Ls.k.copy())
                sub_best = best_open[sub_cols]
                stats["refixed"] = stats.get("refixed", 0) + 1
                if no_better:
                    sub_bound, status, solver_name = fixing_upper, "optimal", "lagrangian"
                    build += time.perf_counter() - tb
                    break
            build += time.perf_counter() - tb
        if np.isfinite(sub_bound):
            # plans removed by fixing cost more than the best plan known when fixing
            bound = max(bound, min(sub_bound, fixing_upper))
    site, dist = _exact_cost(src, best_open)
    objective = float(w @ dist)
    bound = min(bound, objective) if np.isfinite(bound) else float("nan")
    gap = relative_gap(objective, bound) if np.isfinite(bound) else float("nan")
    if status == "optimal" and gap > OPTIMAL_GAP:
        status = "gap_limit"
    if status in ("gap_limit", "time_limit") and np.isfinite(gap) and gap <= OPTIMAL_GAP:
        status = "optimal"
    return SitingResult(
        model="pmedian", selected=cols[best_open & ~is_ex], existing=sites.existing, objective=objective,
        bound=bound, gap=0.0 if status == "optimal" else gap, status=status, build_seconds=build,
        solve_seconds=solve_seconds, assignment=np.where(site >= 0, cols[np.maximum(site, 0)], -1), distance=dist,
        solver=solver_name, covered=(dist <= service_radius) if service_radius is not None else None, stats=stats,
    )


def _repair_must(lists: sp.csr_matrix, chosen: np.ndarray, is_ex: np.ndarray, allowed: np.ndarray,
                 must: np.ndarray, radius: float, p: int, w: np.ndarray) -> np.ndarray:
    """Make a heuristic plan meet the must-cover rule, if cheaply possible (else leave it)."""
    rows, _ = _row_positions(lists.indptr)
    inr = lists.data <= radius
    is_open = is_ex.copy()
    is_open[chosen] = True
    chosen = list(chosen)
    for _ in range(p + 1):
        ok = np.zeros(lists.shape[0], dtype=bool)
        ok[rows[inr & is_open[lists.indices]]] = True
        bad = must & ~ok
        if not bad.any():
            break
        sel = bad[rows] & inr & allowed[lists.indices] & ~is_open[lists.indices]
        if not sel.any():
            break
        score = np.bincount(lists.indices[sel], minlength=lists.shape[1])
        j = int(np.argmax(score))
        # replace the open new site whose removal hurts the fewest must settlements
        if len(chosen) >= p:
            cnt = np.bincount(rows[inr & is_open[lists.indices]], minlength=lists.shape[0])
            lone = must & (cnt == 1)
            sole = np.bincount(lists.indices[lone[rows] & inr & is_open[lists.indices]], minlength=lists.shape[1])
            cand = [c for c in chosen]
            out = min(cand, key=lambda c: sole[c])
            chosen.remove(out)
            is_open[out] = False
        chosen.append(j)
        is_open[j] = True
    return np.array(sorted(chosen), dtype=np.int64)


def _solve_capacitated(w: np.ndarray, q: np.ndarray, src: NeighbourSource, cols: np.ndarray, is_ex: np.ndarray, p: int,
                       must: np.ndarray, radius: float | None, cap: np.ndarray, solver: MipSolver, k_cap: int,
                       sites: SiteSets, t0: float) -> SitingResult:
    n, m = src.n_demand, len(cols)
    lists, _ = src.nearest(np.full(n, min(k_cap, m)))
    rows, _ = _row_positions(lists.indptr)
    pj, dd = lists.indices.astype(np.int64), lists.data
    ok = q[rows] <= cap[pj]
    if must.any():
        ok &= ~(must[rows] & (dd > radius))
    pi, pj, dd = rows[ok], pj[ok], dd[ok]
    e = len(pi)
    if (np.bincount(pi, minlength=n) == 0).any():
        raise InfeasibleError("some settlements have no site with enough capacity among their nearest sites",
                              diagnosis={"unassignable": np.flatnonzero(np.bincount(pi, minlength=n) == 0)})
    ar = np.arange(e)
    new = np.flatnonzero(~is_ex)
    A = sp.vstack([
        sp.coo_matrix((np.ones(e), (pi, m + ar)), shape=(n, m + e)),
        sp.coo_matrix((np.concatenate([np.ones(e), -np.ones(e)]), (np.concatenate([ar, ar]), np.concatenate([m + ar, pj]))),
                      shape=(e, m + e)),
        sp.coo_matrix((np.concatenate([q[pi], -np.minimum(cap, q.sum() + 1.0)]),
                       (np.concatenate([pj, np.arange(m)]), np.concatenate([m + ar, np.arange(m)]))), shape=(m, m + e)),
        sp.coo_matrix((np.ones(len(new)), (np.zeros(len(new), dtype=np.int64), new)), shape=(1, m + e)),
    ], format="csr")
    mip = MipModel(
        c=np.concatenate([np.zeros(m), w[pi] * dd]), A=A,
        row_lower=np.concatenate([np.ones(n), np.full(e + m, -np.inf), [float(p)]]),
        row_upper=np.concatenate([np.ones(n), np.zeros(e + m), [float(p)]]),
        col_lower=np.concatenate([is_ex.astype(float), np.zeros(e)]), col_upper=np.ones(m + e),
        integer=np.ones(m + e, dtype=bool), maximize=False,
    )
    build = time.perf_counter() - t0
    out = solver.solve(mip)
    if out.x is None:
        raise InfeasibleError(f"no feasible capacitated plan ({out.status})", diagnosis=out.status)
    y = out.x[:m] > 0.5
    x = out.x[m:] > 0.5
    assignment = np.full(n, -1, dtype=np.int64)
    assignment[pi[x]] = cols[pj[x]]
    distance = np.full(n, np.nan)
    distance[pi[x]] = dd[x]
    return SitingResult(
        model="pmedian", selected=cols[y & ~is_ex], existing=sites.existing, objective=float(w @ np.nan_to_num(distance)),
        bound=out.bound, gap=out.gap if out.status != "optimal" else 0.0, status=out.status, build_seconds=build,
        solve_seconds=out.seconds, assignment=assignment, distance=distance, solver=out.solver,
        covered=(distance <= radius) if radius is not None else None,
        stats={"capacitated": True, "pairs": e, "k_capacitated": min(k_cap, m)},
    )
