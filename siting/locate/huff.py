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

Capacitated (each of our offices, existing ones too, serves at most
:math:`K_j` visits; the visits a settlement's share would bring beyond what the
open offices in reach can take are lost). Flows :math:`x_{ij}` (the part of
settlement :math:`i`'s demand served by office :math:`j`) carry the share::

    t_i ≤ Σ_j x_ij                       (a share counts only when it is served)
    Σ_i w_i x_ij ≤ K_j y_j                for every office j (y_j = 1 for existing offices)
    x_ij ≤ z_ij,  Σ_j z_ij ≤ 1,  z_ij ≤ y_j,  z binary   (single-sourced: one office per settlement)
    x_ij ≤ y_j                                           (with ``allow_split``: no z)

plus the tangent cuts and the budget (or target) row above. The true value of a
plan :math:`y` is the same model with :math:`y` fixed and :math:`t_i \le
h_i(a_i(y))` exactly (an LP when split); the cut rounds stop when it meets the
cut model's bound.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from siting.errors import InfeasibleError
from siting.locate._highs import HighsSolver
from siting.locate._inputs import LocationInputError, capacity_array, check_weights, site_sets
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
    k, g = cuts.K.shape[1], len(cuts.free)
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
        t = out.x[k:k + g]
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
    capacities: np.ndarray | float | None = None,
    allow_split: bool = False,
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
    capacities : array (m,) or float, optional
        Most visits (units of ``weights``) each of our offices serves; switches to
        the capacitated model (single-sourced unless ``allow_split``).
    allow_split : bool
        With capacities, let a settlement's captured visits be shared between offices.

    Returns
    -------
    SitingResult
        ``model="max_share"``; ``objective`` is the demand captured (the true
        Huff value of the plan, within the capacities when given), ``bound`` the
        cut model's proven upper bound; ``stats`` holds ``share`` (captured /
        total demand), ``share_before``, ``rounds``.
    """
    t0 = time.perf_counter()
    w, F, C, sites = _inputs(weights, distances, competitors, decay, attractiveness, existing_sites, candidate_mask, p)
    cap = capacity_array(capacities, F.shape[1])
    if cap is not None:
        return _solve_capacitated("max_share", w, F, C, sites, cap, allow_split, solver or HighsSolver(), t0, p=int(p))
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
    capacities: np.ndarray | float | None = None,
    allow_split: bool = False,
    solver: MipSolver | None = None,
) -> SitingResult:
    """The fewest new sites that capture at least ``target_share`` of all demand against the competitors.

    ``capacities`` and ``allow_split`` as in :func:`solve_max_share` (captured
    demand counts only within the offices' capacities).

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
    cap = capacity_array(capacities, F.shape[1])
    if cap is not None:
        return _solve_capacitated("target_share", w, F, C, sites, cap, allow_split, solver or HighsSolver(), t0,
                                  target=float(target_share))
    total = float(w.sum())
    reachable = market_share(w, F, C, np.union1d(sites.existing, sites.candidates)) / max(total, 1e-12)
    _check_reachable(target_share, reachable, len(sites.candidates), "")
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


def _check_reachable(target_share: float, reachable: float, n_candidates: int, within: str) -> None:
    if reachable + 1e-12 < target_share:
        raise InfeasibleError(f"a market share of {target_share:.1%} cannot be reached: with every one of the "
                              f"{n_candidates} candidate sites open the share is {reachable:.1%}{within}")


def _cut_mip(cuts: sp.csr_matrix, cut_upper: np.ndarray, n_sites: int, row: np.ndarray, row_lower: float,
             row_upper: float, objective: np.ndarray, maximize: bool, offset: float,
             flows: "_Flows | None" = None) -> MipModel:
    """The cut rows over ``[y | t]`` plus one more ``row_lower ≤ row · x ≤ row_upper``; the ``n_sites`` y binary, 0 ≤ t ≤ 1.

    With ``flows`` the model gains the capacitated serving columns and rows (existing offices fixed open).
    """
    n_cols = len(row)
    col_lower, integer = np.zeros(n_cols), np.arange(n_cols) < n_sites
    A, upper = sp.vstack([cuts, sp.csr_matrix(row[None, :])], format="csr"), np.concatenate([cut_upper, [row_upper]])
    lower = np.concatenate([np.full(cuts.shape[0], -np.inf), [row_lower]])
    if flows is not None:
        extra = flows.n_cols - n_cols
        A = sp.vstack([sp.hstack([A, sp.csr_matrix((A.shape[0], extra))]), flows.A], format="csr")
        upper, lower = np.concatenate([upper, flows.upper]), np.concatenate([lower, np.full(flows.A.shape[0], -np.inf)])
        objective = np.concatenate([objective, np.zeros(extra)])
        col_lower = np.concatenate([flows.existing.astype(float), np.zeros(flows.n_cols - n_sites)])
        integer = flows.integer
        n_cols = flows.n_cols
    return MipModel(c=objective, A=A, row_lower=lower, row_upper=upper, col_lower=col_lower, col_upper=np.ones(n_cols),
                    integer=integer, maximize=maximize, offset=offset)


class _Flows:
    """Capacitated serving over columns ``[y (our offices) | t (free settlements) | x (pairs) | z (pairs, single-sourced)]``."""

    def __init__(self, w: np.ndarray, K: sp.csr_matrix, free: np.ndarray, existing: np.ndarray, capacities: np.ndarray,
                 allow_split: bool):
        pairs = sp.csr_matrix(K[free]).tocoo()
        keep = pairs.data > 0
        self.pi, self.pj = pairs.row[keep].astype(np.int64), pairs.col[keep].astype(np.int64)
        k, g, e = K.shape[1], len(free), len(self.pi)
        self.k, self.g, self.e, self.existing = k, g, e, existing
        demand = w[free][self.pi]  # visits of the pair's settlement, all of it
        self.n_cols = k + g + e * (1 if allow_split else 2)
        ar, x0, z0 = np.arange(e), k + g, k + g + e
        ones, n = np.ones(e), self.n_cols
        blocks = [
            sp.coo_matrix((np.concatenate([np.ones(g), -ones]), (np.concatenate([np.arange(g), self.pi]),
                                                                   np.concatenate([k + np.arange(g), x0 + ar]))), shape=(g, n)),
            sp.coo_matrix((np.concatenate([demand, -np.minimum(capacities, demand.sum() + 1.0)]),
                           (np.concatenate([self.pj, np.arange(k)]), np.concatenate([x0 + ar, np.arange(k)]))), shape=(k, n)),
        ]
        if allow_split:
            blocks.append(sp.coo_matrix((np.concatenate([ones, -ones]), (np.tile(ar, 2), np.concatenate([x0 + ar, self.pj]))),
                                        shape=(e, n)))
        else:
            blocks += [
                sp.coo_matrix((np.concatenate([ones, -ones]), (np.tile(ar, 2), np.concatenate([x0 + ar, z0 + ar]))), shape=(e, n)),
                sp.coo_matrix((np.concatenate([ones, -ones]), (np.tile(ar, 2), np.concatenate([z0 + ar, self.pj]))), shape=(e, n)),
                sp.coo_matrix((ones, (self.pi, z0 + ar)), shape=(g, n)),
            ]
        self.A = sp.vstack(blocks, format="csr")
        self.upper = np.concatenate([np.zeros(g + k + e * (1 if allow_split else 2)), [] if allow_split else np.ones(g)])
        self.integer = np.zeros(n, bool)
        self.integer[:k] = True
        if not allow_split:
            self.integer[z0:] = True

    def served(self, y: np.ndarray, shares: np.ndarray, w_free: np.ndarray, solver: MipSolver) -> tuple[float, np.ndarray | None]:
        """Demand captured by the plan ``y`` within the capacities (shares ``t ≤ shares``), and the flows."""
        col_lower = np.zeros(self.n_cols)
        col_upper = np.ones(self.n_cols)
        col_lower[:self.k] = col_upper[:self.k] = y
        col_upper[self.k:self.k + self.g] = shares
        model = MipModel(c=np.concatenate([np.zeros(self.k), w_free, np.zeros(self.n_cols - self.k - self.g)]), A=self.A,
                         row_lower=np.full(self.A.shape[0], -np.inf), row_upper=self.upper, col_lower=col_lower,
                         col_upper=col_upper, integer=self.integer, maximize=True)
        out = solver.solve(model)
        if out.x is None:
            return float("nan"), None
        return float(out.objective), out.x[self.k + self.g:self.k + self.g + self.e]


def _solve_capacitated(model_name: str, w: np.ndarray, F: sp.csr_matrix, C: np.ndarray, sites, cap: np.ndarray,
                       allow_split: bool, solver: MipSolver, t0: float, *, p: int | None = None,
                       target: float | None = None) -> SitingResult:
    """Max share (``p``) or target share (``target``) with every office's visits capped; see the module docstring."""
    cols = np.union1d(sites.existing, sites.candidates)
    is_new = ~sites.is_existing[cols]
    cuts = _CutModel(w, sp.csr_matrix(F[:, cols]), C, np.array([], np.int64), np.arange(len(cols)))
    flows = _Flows(w, cuts.K, cuts.free, ~is_new, cap[cols], allow_split)
    k, g, w_free, total = len(cols), len(cuts.free), w[cuts.free], float(w.sum())

    evaluated: dict[bytes, tuple[float, np.ndarray | None]] = {}

    def served(y: np.ndarray) -> tuple[float, np.ndarray | None]:
        # each plan is evaluated once: the last round's plan is the one reported
        key = np.asarray(y, float).tobytes()
        if key not in evaluated:
            evaluated[key] = flows.served(y, cuts.shares(y), w_free, solver)
        return evaluated[key]

    before, _ = served((~is_new).astype(float))
    if target is not None:
        _check_reachable(target, served(np.ones(k))[0] / max(total, 1e-12), len(sites.candidates), " within the capacities")
    best: dict = {"value": -np.inf, "y": None}

    def make_model(A: sp.csr_matrix, upper: np.ndarray) -> MipModel:
        if target is None:  # exactly p new sites, maximise the captured demand
            return _cut_mip(A, upper, k, np.concatenate([is_new.astype(float), np.zeros(g)]), float(p), float(p),
                            np.concatenate([np.zeros(k), w_free]), True, cuts.offset, flows)
        return _cut_mip(A, upper, k, np.concatenate([np.zeros(k), w_free]), target * total - 1e-9 * total, np.inf,
                        np.concatenate([is_new.astype(float), np.zeros(g)]), False, 0.0, flows)

    def evaluate(y, out, bound):
        value, _ = served(y)
        if target is not None:
            return value >= target * total - 1e-9 * total, y
        if value > best["value"]:
            best.update(value=value, y=y)
        return relative_gap(value, bound) <= SHARE_GAP or value >= bound, best["y"]

    build = time.perf_counter() - t0
    y, bound, status, rounds, seconds = _solve_rounds(cuts, make_model, evaluate, solver)
    stats = {"rounds": rounds, "share_before": before / max(total, 1e-12), "capacitated": True, "split": allow_split}
    if y is None:
        return _no_plan(model_name, sites, bound, status, build, seconds, len(w), stats)
    captured, x = served(y)
    selected = np.sort(cols[(y > 0.5) & is_new])
    objective = captured if target is None else float(len(selected))
    if target is not None:
        bound = float(np.ceil(bound - 1e-6)) if np.isfinite(bound) else bound
    gap = 0.0 if status == "optimal" else relative_gap(objective, bound)
    # Each settlement's office: the one serving most of its captured visits.
    if x is None:  # the evaluation found no serving within its time limit: no settlement is assigned
        x = np.zeros(flows.e)
    flow = sp.csr_matrix((np.clip(x, 0, None), (cuts.free[flows.pi], flows.pj)), shape=(len(w), k))
    largest = np.asarray(flow.max(axis=1).todense()).ravel()
    assignment = np.where(largest > 1e-9, cols[np.asarray(flow.argmax(axis=1)).ravel()], -1).astype(np.int64)
    return SitingResult(model=model_name, selected=selected, existing=sites.existing, objective=objective, bound=bound,
                        gap=gap, status=status, build_seconds=build, solve_seconds=seconds, assignment=assignment,
                        stats={**stats, "captured": captured, "share": captured / max(total, 1e-12)})


def _no_plan(model: str, sites, bound: float, status: str, build: float, seconds: float, n: int, stats: dict) -> SitingResult:
    """The honest result of cut rounds that found no plan (their status and bound kept)."""
    return SitingResult(model=model, selected=np.array([], np.int64), existing=sites.existing, objective=float("nan"),
                        bound=bound, gap=float("nan"), status=status if status != "optimal" else "no_solution",
                        build_seconds=build, solve_seconds=seconds, assignment=np.full(n, -1), stats=stats)


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
        return _no_plan(model, sites, bound, status, build, seconds, len(w),
                        {"rounds": rounds, "share_before": before / max(total, 1e-12)})
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
