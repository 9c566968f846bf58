r"""The licence-allocation integer programme as a PuLP model.

:func:`build_allocation_model` emits the programme described below from a
:class:`~optimizer.formulation.Formulation`; :func:`emit_problem` is the
general emitter the elastic diagnosis (:mod:`optimizer.diagnose`) also uses.
Works with PuLP 3.3 and 4 (only APIs present in both, no deprecated calls).

Formulation
-----------
Sets: areas :math:`k \in K` (urban and rural part of each unit, or whole units),
benefit segments :math:`s \in S_k` of area :math:`k`, provinces :math:`p`.

Variables:

* :math:`x_k \in \mathbb{Z}_{\ge 0}` -- new licences of area :math:`k`;
* :math:`y_s \in [0, w_s]` -- licences of area :math:`k` counted in its benefit
  segment :math:`s` (continuous).

Objective (normalised so the largest :math:`c_s` is 1):

.. math::

    \max \sum_k \sum_{s \in S_k} c_s\, y_s \;-\; \sum_k t_k\, x_k

where :math:`c_s = \text{score}_{i(k)} \cdot w(m)` is the marginal benefit of
office number :math:`m` of the area (see
:func:`optimizer.formulation.benefit_segments`: the first office of an unserved
area is worth ``first_office_weight``, then the weight steps down as
``offices / target`` passes the fill breakpoints). Within an area the
:math:`c_s` are non-increasing, so the benefit is concave and the LP fills the
segments in order without binaries. :math:`t_k = \tau (1 + r_k / |K|)` is the
deterministic tie-breaking cost: :math:`r_k` is the area's rank when units are
sorted by code (urban first) and :math:`\tau` is ``settings.tie_break``
(10\ :sup:`-6` by default). Among plans of equal benefit it prefers fewer
licences, then earlier areas in that order; it changes the optimal benefit by
at most :math:`2\tau` per licence on the normalised scale and never makes a
licence of positive benefit unattractive unless that benefit is below
:math:`2\tau`.

Constraints (each group switchable in :class:`~optimizer.problem.AllocationSettings`):

.. math::

    \sum_{s \in S_k} y_s &\le x_k                                  && \text{(benefit link)}\\
    \sum_k x_k &= B \;\; (\text{or} \le B)                         && \text{(budget)}\\
    \sum_k \text{cost}_k\, x_k &\le L                              && \text{(loan budget)}\\
    x_k &\le \max(0, \lfloor T_k (1 + \sigma) \rfloor - e_k)       && \text{(saturation cap)}\\
    x_k &\le \max(0, N_k - e_k), \;\; N_k = \lfloor P_k / M_k \rfloor \text{ or the market's } N_k && \text{(viability)}\\
    \sum_{k \in p} x_k &\ge F_p                                    && \text{(province floors)}\\
    \sum_{k \in p} x_k &\le \lfloor \theta B \rfloor               && \text{(province ceilings)}\\
    \sum_{k \in i} x_k &\ge 1 \quad \forall i: \text{park}_i, e_i = 0 && \text{(industrial parks)}\\
    \sum_{k\,\text{rural}} x_k &\ge \rho \sum_k x_k                 && \text{(rural share)}\\
    x_k &= \ell_k \quad \forall k\ \text{locked}                   && \text{(locked decisions)}

Single-area rows (caps, viability, locks, parks of unsplit units) become
variable bounds when they agree with each other -- a saturated area gets the
upper bound 0, a moratorium; conflicting ones stay rows so the solver reports
infeasibility and the diagnosis can name them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal, Sequence

import numpy as np
import pulp

from optimizer.formulation import EQ, GE, LE, Formulation, formulate
from optimizer.problem import AllocationInputs, AllocationSettings

ObjectiveKind = Literal["benefit", "slack", "feasibility"]

_EPS = 1e-9


def linear_expression(variables: Sequence[Any], coefficients: Sequence[float]) -> Any:
    """``sum coef * var`` as a PuLP expression, built in one go on PuLP 3.3 and 4."""
    pairs = list(zip(variables, (float(c) for c in coefficients)))
    batch = getattr(pulp, "lpSum_vars_coefs", None)
    if batch is not None:  # PuLP 4: Rust batch path
        return batch(pairs)
    return pulp.LpAffineExpression(pairs)  # PuLP 3: list of (variable, coefficient)


@dataclass(frozen=True, eq=False)
class EmittedProblem:
    """A PuLP problem with handles to its variables.

    Attributes
    ----------
    problem : pulp.LpProblem
    x : tuple
        The new-licence variable of every area, in area order.
    segment_vars : tuple
        The benefit-segment variables (empty unless the objective is ``"benefit"``).
    slack : dict
        Group name -> ``(row index array, sign array, variables)`` for elastic
        groups: the row each slack variable belongs to and whether it measures
        excess (``+1``, row above its right-hand side) or shortfall (``-1``).
    """

    problem: Any
    x: tuple[Any, ...]
    segment_vars: tuple[Any, ...] = ()
    slack: dict[str, tuple[np.ndarray, np.ndarray, tuple[Any, ...]]] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class AllocationModel:
    """The allocation programme ready to solve.

    Attributes
    ----------
    inputs, settings
        What the model was built from.
    formulation : Formulation
        The arrays the model was emitted from (areas, segments, groups).
    emitted : EmittedProblem
        The PuLP problem and its variables.
    build_seconds : float
        Wall time of :func:`build_allocation_model`.
    """

    inputs: AllocationInputs
    settings: AllocationSettings
    formulation: Formulation
    emitted: EmittedProblem
    build_seconds: float

    @property
    def problem(self) -> Any:
        """The PuLP problem."""
        return self.emitted.problem

    @property
    def constraint_groups(self) -> tuple[str, ...]:
        """Names of the constraint groups in the model."""
        return self.formulation.group_names

    @property
    def saturated(self) -> np.ndarray:
        """Areas under a moratorium: at or above their saturation cap."""
        areas = self.formulation.areas
        return areas.existing >= areas.cap_limit


def _bounds_from_rows(
    formulation: Formulation, hard: frozenset[str]
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Variable bounds implied by the hard single-area rows, and the rows kept as rows.

    Returns the lower and upper bound of every area and, per group, a mask of
    its rows that stay explicit rows (multi-area rows, and single-area rows of
    areas whose implied bounds conflict).
    """
    n_areas = formulation.areas.size
    lower = np.zeros(n_areas)
    upper = np.full(n_areas, np.inf)
    singles: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    keep_rows: dict[str, np.ndarray] = {}
    for group in formulation.groups:
        if group.name not in hard:
            continue
        per_row = np.bincount(group.entry_row, minlength=group.n_rows)
        single_entry = (per_row[group.entry_row] == 1) & (group.entry_coef > 0)
        rows = group.entry_row[single_entry]
        area = group.entry_area[single_entry]
        bound = group.row_rhs[rows] / group.entry_coef[single_entry]
        sense = group.row_sense[rows]
        up = sense != GE
        low = sense != LE
        np.minimum.at(upper, area[up], np.floor(bound[up] + _EPS))
        np.maximum.at(lower, area[low], np.ceil(bound[low] - _EPS))
        singles[group.name] = (rows, area)
        keep = np.ones(group.n_rows, dtype=bool)
        keep[rows] = False
        keep_rows[group.name] = keep
    conflict = lower > upper
    for name, (rows, area) in singles.items():
        keep_rows[name][rows[conflict[area]]] = True
    lower = np.where(conflict, 0.0, lower)
    upper = np.where(conflict, np.inf, upper)
    return lower, upper, keep_rows


def emit_problem(
    formulation: Formulation,
    *,
    hard: frozenset[str] | set[str] | None = None,
    elastic: frozenset[str] | set[str] = frozenset(),
    objective: ObjectiveKind = "benefit",
    name: str = "licence_allocation",
) -> EmittedProblem:
    """Emit ``formulation`` as a PuLP problem.

    Parameters
    ----------
    formulation : Formulation
    hard : set of str, optional
        Groups emitted as hard constraints (default: all groups not in
        ``elastic``). Groups in neither set are left out.
    elastic : set of str
        Groups emitted with a non-negative slack per row (two for equality
        rows) so they can be violated.
    objective : {"benefit", "slack", "feasibility"}
        ``"benefit"``: maximise the concave benefit minus tie-breaking cost.
        ``"slack"``: minimise the total slack of the elastic groups (in
        licences). ``"feasibility"``: minimise the number of licences (any
        feasible plan will do).
    name : str
        Name of the PuLP problem.
    """
    elastic = frozenset(elastic)
    hard = frozenset(formulation.group_names) - elastic if hard is None else frozenset(hard) - elastic
    sense = pulp.LpMaximize if objective == "benefit" else pulp.LpMinimize
    problem = pulp.LpProblem(name, sense)

    lower, upper, keep_rows = _bounds_from_rows(formulation, hard)
    x = tuple(
        problem.add_variable(
            f"x_{k:06d}", lowBound=float(lo), upBound=None if np.isinf(up) else float(up), cat="Integer"
        )
        for k, (lo, up) in enumerate(zip(lower.tolist(), upper.tolist()))
    )

    segment_vars: tuple[Any, ...] = ()
    slack: dict[str, tuple[np.ndarray, np.ndarray, tuple[Any, ...]]] = {}
    if objective == "benefit":
        segments = formulation.segments
        segment_vars = tuple(
            problem.add_variable(f"y_{s:07d}", lowBound=0.0, upBound=None if np.isinf(w) else float(w))
            for s, w in enumerate(segments.width.tolist())
        )
        objective_expr = linear_expression(
            list(segment_vars) + list(x), np.concatenate([segments.coef, -formulation.tie_break_cost])
        )
        problem.setObjective(objective_expr)
        # sum_s y_s - x_k <= 0 per area with segments (segments are grouped by area).
        starts = np.flatnonzero(np.diff(segments.area, prepend=-1) != 0)
        ends = np.append(starts[1:], segments.area.size)
        for first, last in zip(starts.tolist(), ends.tolist()):
            k = int(segments.area[first])
            link = linear_expression(list(segment_vars[first:last]) + [x[k]], [1.0] * (last - first) + [-1.0])
            problem += (link <= 0, f"link_{k:06d}")
    elif objective == "feasibility":
        problem.setObjective(linear_expression(x, np.ones(len(x))))

    slack_terms: list[Any] = []
    for group in formulation.groups:
        if group.name not in hard and group.name not in elastic:
            continue
        rows_to_emit = keep_rows.get(group.name, np.ones(group.n_rows, dtype=bool))
        row_slack: list[tuple[int, int, Any]] = []
        order = np.argsort(group.entry_row, kind="stable")
        bounds = np.searchsorted(group.entry_row[order], np.arange(group.n_rows + 1))
        for r in np.flatnonzero(rows_to_emit).tolist():
            entries = order[bounds[r] : bounds[r + 1]]
            terms = [x[k] for k in group.entry_area[entries].tolist()]
            coefs = group.entry_coef[entries].tolist()
            row_sense = int(group.row_sense[r])
            if group.name in elastic:
                signs = {LE: (1,), GE: (-1,), EQ: (1, -1)}[row_sense]
                for sign in signs:
                    tag = "p" if sign > 0 else "m"
                    var = problem.add_variable(f"s_{group.name}_{r:06d}_{tag}", lowBound=0.0)
                    terms.append(var)
                    coefs.append(-float(sign))
                    row_slack.append((r, sign, var))
                    slack_terms.append(var)
            expr = linear_expression(terms, coefs)
            rhs = float(group.row_rhs[r])
            constraint = expr <= rhs if row_sense == LE else (expr >= rhs if row_sense == GE else expr == rhs)
            problem += (constraint, f"{group.name}_{r:06d}")
        if group.name in elastic:
            slack[group.name] = (
                np.array([r for r, _, _ in row_slack], dtype=np.int64),
                np.array([s for _, s, _ in row_slack], dtype=np.int64),
                tuple(v for _, _, v in row_slack),
            )
    if objective == "slack":
        problem.setObjective(linear_expression(slack_terms, np.ones(len(slack_terms))))
    return EmittedProblem(problem=problem, x=x, segment_vars=segment_vars, slack=slack)


def build_allocation_model(inputs: AllocationInputs, settings: AllocationSettings) -> AllocationModel:
    """Build the allocation integer programme (see the module docstring for the formulation).

    Parameters
    ----------
    inputs : AllocationInputs
    settings : AllocationSettings

    Returns
    -------
    AllocationModel
        The PuLP problem, its variables, the arrays it came from and the build time.

    Raises
    ------
    siting.errors.ScenarioError
        When the scenario is unbounded or names unknown provinces.
    """
    started = time.perf_counter()
    formulation = formulate(inputs, settings)
    emitted = emit_problem(formulation, objective="benefit")
    return AllocationModel(
        inputs=inputs,
        settings=settings,
        formulation=formulation,
        emitted=emitted,
        build_seconds=time.perf_counter() - started,
    )
