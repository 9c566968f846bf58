r"""Market share against competitor offices (Huff gravity), maximised or reached with the fewest sites.

A settlement :math:`i` (demand :math:`w_i`) splits its visits among every office
in reach in proportion to attraction :math:`A_j f(d_{ij})` (``A_j`` an office's
attractiveness, e.g. its services or capacity; :math:`f` a decay rule of
:mod:`siting.locate.decay`). With our offices' attraction
:math:`a_i(y) = a^0_i + \sum_j A_j f_{ij} y_j` (existing offices in
:math:`a^0_i`) and the competitors' :math:`C_i` (Police+10, municipal, rural ICT
offices: inputs, never moved), our share of settlement :math:`i` is

.. math:: h_i(a_i) = \frac{a_i}{a_i + C_i}

(where no competitor is in reach, :math:`C_i = 0`, the share is 1 as soon as one
of our offices is in reach: a covering term). Each :math:`h_i` is concave and
increasing, so every tangent over-estimates it:

.. math:: t_i \le h_i(\hat a) + h_i'(\hat a)\,(a_i(y) - \hat a)\quad\text{for any }\hat a \ge 0.

Max share (*Maximize Market Share*, :math:`p` new sites)::

    maximise    Σ_i w_i t_i
    subject to  tangent cuts of every settlement with C_i > 0
                t_i ≤ [a⁰_i > 0] + Σ_{j in reach} y_j,  t_i ≤ 1     (settlements with C_i = 0)
                Σ_j y_j = p,   y binary, t ≥ 0

Target share (*Target Market Share*, fewest new sites reaching share
:math:`\tau`): minimise :math:`\sum_j y_j` subject to :math:`\sum_i w_i t_i \ge
\tau \sum_i w_i` and the same cuts.

Solving is outer approximation (Kelley's cutting planes on a MIP): start from
cuts at :math:`a^0_i` and at the largest reachable attraction, solve, evaluate
the true share of the plan, add the tangents at the plan's :math:`a_i(y)` for
the settlements it over-estimates, and repeat. Every MIP optimum bounds the true
optimum (its cuts over-estimate :math:`h`); the loop stops when the true value
of a plan meets that bound within the gap, which happens after finitely many
rounds (a plan returned twice is exact at its own tangents).
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from siting.errors import InfeasibleError
from siting.locate._highs import HighsSolver
from siting.locate._inputs import LocationInputError, check_weights, site_sets
from siting.locate.decay import Decay, decayed_pairs
from siting.locate.mip import MipModel, MipSolver, relative_gap
from siting.locate.result import SitingResult

__all__ = ["competitor_attraction", "market_share", "solve_max_share", "solve_target_share"]

#: Relative tolerance at which a plan's true share proves it optimal against the cut model's bound.
SHARE_GAP = 1e-6
#: Rounds of cuts before giving up with the gap reached (never hit on the instances in the tests).
MAX_ROUNDS = 200


def competitor_attraction(distances: sp.spmatrix, decay: Decay, attractiveness: np.ndarray | float = 1.0) -> np.ndarray:
    """:math:`C_i = \\sum_k A_k f(d_{ik})` over the competitor offices ``k`` (columns of ``distances``)."""
    F = decayed_pairs(distances, decay)
    A = np.broadcast_to(np.asarray(attractiveness, dtype=float), (F.shape[1],))
    if np.any(A < 0) or not np.all(np.isfinite(A)):
        raise LocationInputError("competitor attractiveness must be finite and non-negative")
    return np.asarray(F @ A).ravel()


def market_share(weights: np.ndarray, attraction: sp.csr_matrix, competitors: np.ndarray, open_sites: np.ndarray) -> float:
    """Demand captured by ``open_sites`` (our offices) against the competitors' attraction, in demand units.

    ``attraction`` holds :math:`A_j f_{ij}` for our sites (existing and candidate columns).
    """
    is_open = np.zeros(attraction.shape[1])
    is_open[np.asarray(open_sites, dtype=np.int64)] = 1.0
    ours = np.asarray(attraction @ is_open).ravel()
    return float(np.dot(np.asarray(weights, float), _share(ours, np.asarray(competitors, float))))


def _share(ours: np.ndarray, competitors: np.ndarray) -> np.ndarray:
    total = ours + competitors
    return np.divide(ours, total, out=np.zeros_like(ours), where=total > 0)


class _CutModel:
    """The cut model's fixed parts; cuts grow round by round."""

    def __init__(self, w: np.ndarray, F: sp.csr_matrix, C: np.ndarray, existing: np.ndarray, candidates: np.ndarray):
        self.w, self.C = w, C
        self.base = np.asarray(F[:, existing].sum(axis=1)).ravel() if len(existing) else np.zeros(F.shape[0])
        self.K = sp.csr_matrix(F[:, candidates])  # attraction each candidate adds to each settlement
        reach = np.diff(self.K.indptr) > 0
        fixed_share = _share(self.base, C)
        # Settlements no candidate reaches keep their share whatever is chosen: a constant.
        self.free = np.flatnonzero(reach & ~((C == 0) & (self.base > 0)))
        self.offset = float(np.dot(w, fixed_share) - np.dot(w[self.free], fixed_share[self.free]))
        self.covering = self.free[C[self.free] == 0]
        self.gravity = self.free[C[self.free] > 0]
        self.cut_rows: list[np.ndarray] = []  # settlement position in `free`
        self.cut_points: list[np.ndarray] = []
        top = self.base + np.asarray(self.K.sum(axis=1)).ravel()
        self.add_cuts(self.gravity, self.base[self.gravity])
        self.add_cuts(self.gravity, top[self.gravity])

    def add_cuts(self, settlements: np.ndarray, points: np.ndarray) -> None:
        position = np.searchsorted(self.free, settlements)
        self.cut_rows.append(position)
        self.cut_points.append(np.asarray(points, float))

    def rows(self) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
        """Constraint rows over columns ``[y | t]`` with their upper bounds (all ``≤`` rows)."""
        k, g = self.K.shape[1], len(self.free)
        blocks, upper = [], []
        position = np.concatenate(self.cut_rows) if self.cut_rows else np.array([], np.int64)
        point = np.concatenate(self.cut_points) if self.cut_points else np.array([])
        if len(position):
            settlement = self.free[position]
            C = self.C[settlement]
            slope = C / (point + C) ** 2
            value = point / (point + C)
            # t_i − slope Σ_j K_ij y_j ≤ value + slope (a⁰_i − â)
            Ky = sp.csr_matrix(self.K[settlement].multiply(-slope[:, None]))
            T = sp.csr_matrix((np.ones(len(position)), (np.arange(len(position)), position)), shape=(len(position), g))
            blocks.append(sp.hstack([Ky, T], format="csr"))
            upper.append(value + slope * (self.base[settlement] - point))
        if len(self.covering):
            position_c = np.searchsorted(self.free, self.covering)
            reach = sp.csr_matrix(self.K[self.covering] > 0, dtype=float)
            T = sp.csr_matrix((np.ones(len(position_c)), (np.arange(len(position_c)), position_c)),
                              shape=(len(position_c), g))
            blocks.append(sp.hstack([-reach, T], format="csr"))
            upper.append(np.zeros(len(position_c)))  # no existing office of ours reaches them (else they are fixed)
        A = sp.vstack(blocks, format="csr") if blocks else sp.csr_matrix((0, k + g))
        return A, np.concatenate(upper) if upper else np.array([]), position

    def shares(self, y: np.ndarray) -> np.ndarray:
        """True share of every free settlement for the candidate choice ``y``."""
        ours = self.base[self.free] + np.asarray(self.K[self.free] @ y).ravel()
        return _share(ours, self.C[self.free])


def _solve_rounds(cuts: _CutModel, make_model, evaluate, solver: MipSolver):
    """Cut rounds until a plan meets the cut model's bound; returns (y, bound, status, rounds, seconds)."""
    seconds, best_y, bound = 0.0, None, float("nan")
    k = cuts.K.shape[1]
    for round_number in range(1, MAX_ROUNDS + 1):
        model = make_model(*cuts.rows()[:2])
        out = solver.solve(model, start=None)
        seconds += out.seconds
        if out.x is None:
            return None, out.bound, out.status, round_number, seconds
        y = np.round(out.x[:k])
        bound = out.bound if np.isfinite(out.bound) else out.objective
        done, best_y = evaluate(y, out, bound)
        if done:
            return best_y, bound, "optimal" if out.status == "optimal" else out.status, round_number, seconds
        shares = cuts.shares(y)
        t = out.x[k:]
        over = np.flatnonzero(t > shares + 1e-9)
        over = over[cuts.C[cuts.free[over]] > 0]
        if not len(over):  # nothing to cut: the MIP value is the true value
            return best_y, bound, out.status, round_number, seconds
        ours = cuts.base[cuts.free[over]] + np.asarray(cuts.K[cuts.free[over]] @ y).ravel()
        cuts.add_cuts(cuts.free[over], ours)
    return best_y, bound, "time_limit", MAX_ROUNDS, seconds


def solve_max_share(
    weights: np.ndarray,
    distances: sp.spmatrix,
    competitors: np.ndarray,
    p: int,
    decay: Decay,
    *,
    attractiveness: np.ndarray | float = 1.0,
    existing_sites: np.ndarray | None = None,
    candidate_mask: np.ndarray | None = None,
    solver: MipSolver | None = None,
) -> SitingResult:
    """Choose ``p`` new sites maximising the demand captured against the competitors.

    Parameters
    ----------
    weights : array (n,)
    distances : sparse (n, m)
        Settlement–site distances of our sites (existing and candidates).
    competitors : array (n,)
        Competitor attraction per settlement (:func:`competitor_attraction`).
    p : int
    decay : Decay
    attractiveness : array (m,) or float
        Our sites' attractiveness :math:`A_j`.
    existing_sites, candidate_mask, solver
        As in :func:`~siting.locate.solve_mclp`.

    Returns
    -------
    SitingResult
        ``model="max_share"``; ``objective`` is the demand captured (the true
        Huff value of the plan), ``bound`` the cut model's proven upper bound;
        ``stats`` holds ``share`` (captured / total demand), ``share_before``,
        ``rounds``.
    """
    t0 = time.perf_counter()
    w, F, C, sites = _inputs(weights, distances, competitors, decay, attractiveness, existing_sites, candidate_mask, p)
    cuts = _CutModel(w, F, C, sites.existing, sites.candidates)
    k, g = len(sites.candidates), len(cuts.free)

    def make_model(A: sp.csr_matrix, upper: np.ndarray) -> MipModel:
        sites_row = np.concatenate([np.ones(k), np.zeros(g)])  # exactly p new sites
        return _cut_mip(A, upper, k, sites_row, float(p), float(p), np.concatenate([np.zeros(k), w[cuts.free]]), True, cuts.offset)

    def evaluate(y, out, bound):
        value = market_share(w, F, C, np.union1d(sites.existing, sites.candidates[y > 0.5]))
        return relative_gap(value, bound) <= SHARE_GAP or value >= bound, y

    build = time.perf_counter() - t0
    y, bound, status, rounds, seconds = _solve_rounds(cuts, make_model, evaluate, solver or HighsSolver())
    return _result("max_share", y, bound, status, rounds, build, seconds, w, F, C, sites, objective_is_share=True)


def solve_target_share(
    weights: np.ndarray,
    distances: sp.spmatrix,
    competitors: np.ndarray,
    target_share: float,
    decay: Decay,
    *,
    attractiveness: np.ndarray | float = 1.0,
    existing_sites: np.ndarray | None = None,
    candidate_mask: np.ndarray | None = None,
    solver: MipSolver | None = None,
) -> SitingResult:
    """The fewest new sites that capture at least ``target_share`` of all demand against the competitors.

    Raises
    ------
    InfeasibleError
        When even every candidate site open stays below the target (the message gives the share reachable).

    Returns
    -------
    SitingResult
        ``model="target_share"``; ``objective`` is the number of new sites,
        ``bound`` the proven lower bound; ``stats["share"]`` the share reached.
    """
    if not 0 <= target_share <= 1:
        raise LocationInputError("target_share must be between 0 and 1")
    t0 = time.perf_counter()
    w, F, C, sites = _inputs(weights, distances, competitors, decay, attractiveness, existing_sites, candidate_mask, None)
    total = float(w.sum())
    reachable = market_share(w, F, C, np.union1d(sites.existing, sites.candidates)) / max(total, 1e-12)
    if reachable + 1e-12 < target_share:
        raise InfeasibleError(f"a market share of {target_share:.1%} cannot be reached: with every one of the "
                              f"{len(sites.candidates)} candidate sites open the share is {reachable:.1%}")
    cuts = _CutModel(w, F, C, sites.existing, sites.candidates)
    k, g = len(sites.candidates), len(cuts.free)
    needed = target_share * total - cuts.offset

    def make_model(A: sp.csr_matrix, upper: np.ndarray) -> MipModel:
        demand_row = np.concatenate([np.zeros(k), w[cuts.free]])  # captured demand reaches the target
        return _cut_mip(A, upper, k, demand_row, needed - 1e-9 * total, np.inf, np.concatenate([np.ones(k), np.zeros(g)]), False, 0.0)

    def evaluate(y, out, bound):
        value = market_share(w, F, C, np.union1d(sites.existing, sites.candidates[y > 0.5]))
        return value >= target_share * total - 1e-9 * total, y

    build = time.perf_counter() - t0
    y, bound, status, rounds, seconds = _solve_rounds(cuts, make_model, evaluate, solver or HighsSolver())
    return _result("target_share", y, bound, status, rounds, build, seconds, w, F, C, sites, objective_is_share=False)


def _cut_mip(cuts: sp.csr_matrix, cut_upper: np.ndarray, n_sites: int, row: np.ndarray, row_lower: float,
             row_upper: float, objective: np.ndarray, maximize: bool, offset: float) -> MipModel:
    """The cut rows over ``[y | t]`` plus one more ``row_lower ≤ row · x ≤ row_upper``; the ``n_sites`` y binary, 0 ≤ t ≤ 1."""
    n_cols = len(row)
    return MipModel(c=objective, A=sp.vstack([cuts, sp.csr_matrix(row[None, :])], format="csr"),
                    row_lower=np.concatenate([np.full(cuts.shape[0], -np.inf), [row_lower]]),
                    row_upper=np.concatenate([cut_upper, [row_upper]]),
                    col_lower=np.zeros(n_cols), col_upper=np.ones(n_cols), integer=np.arange(n_cols) < n_sites,
                    maximize=maximize, offset=offset)


def _inputs(weights, distances, competitors, decay, attractiveness, existing_sites, candidate_mask, p):
    if not sp.issparse(distances):
        raise LocationInputError("distances must be a sparse settlement × site matrix of the pairs with a path")
    n, m = distances.shape
    w = check_weights(weights, n)
    C = np.asarray(competitors, dtype=float).ravel()
    if C.shape != (n,) or np.any(C < 0) or not np.all(np.isfinite(C)):
        raise LocationInputError(f"competitors: expected {n} finite, non-negative attractions (one per settlement)")
    A = np.broadcast_to(np.asarray(attractiveness, dtype=float), (m,))
    if np.any(A <= 0) or not np.all(np.isfinite(A)):
        raise LocationInputError("attractiveness of our sites must be finite and positive")
    F = sp.csr_matrix(decayed_pairs(distances, decay).multiply(A[None, :]))
    return w, F, C, site_sets(m, existing_sites, candidate_mask, p)


def _result(model, y, bound, status, rounds, build, seconds, w, F, C, sites, objective_is_share):
    total = float(w.sum())
    before = market_share(w, F, C, sites.existing)
    if y is None:
        return SitingResult(model=model, selected=np.array([], np.int64), existing=sites.existing, objective=float("nan"),
                            bound=bound, gap=float("nan"), status=status if status != "optimal" else "no_solution",
                            build_seconds=build, solve_seconds=seconds, assignment=np.full(len(w), -1),
                            stats={"rounds": rounds, "share_before": before / max(total, 1e-12)})
    selected = np.sort(sites.candidates[y > 0.5])
    captured = market_share(w, F, C, np.union1d(sites.existing, selected))
    objective = captured if objective_is_share else float(len(selected))
    if not objective_is_share:
        bound = float(np.ceil(bound - 1e-6)) if np.isfinite(bound) else bound
    gap = 0.0 if status == "optimal" else relative_gap(objective, bound)
    is_open = np.zeros(F.shape[1], bool)
    is_open[np.union1d(sites.existing, selected)] = True
    masked = F.multiply(is_open[None, :].astype(float)).tocsr()
    strongest = np.asarray(masked.argmax(axis=1)).ravel().astype(np.int64)
    strongest[np.asarray(masked.max(axis=1).todense()).ravel() <= 0] = -1
    return SitingResult(model=model, selected=selected, existing=sites.existing, objective=objective, bound=bound,
                        gap=gap, status=status, build_seconds=build, solve_seconds=seconds, assignment=strongest,
                        stats={"rounds": rounds, "captured": captured, "share": captured / max(total, 1e-12),
                               "share_before": before / max(total, 1e-12)})
