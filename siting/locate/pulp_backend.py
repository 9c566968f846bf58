"""Solve a :class:`~siting.locate.mip.MipModel` through PuLP (CBC, HiGHS or any PuLP solver).

PuLP is kept as the modelling interface for planners who want another solver
or an LP file; it is slower to build than :class:`~siting.locate.HighsSolver`
(one Python object per variable and per row), so the models default to direct
HiGHS. Works on PuLP 3.3 (Python 3.11) and 4.x: it uses only calls both share,
reads PuLP 4's solve statistics (``status``, ``has_solution``, ``best_bound``) and,
on PuLP 3.3, the *solution* status (``sol_status``), never ``LpStatus`` alone —
PuLP 3.3 calls a time-limited solve "Optimal".
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import pulp

from siting.locate.mip import OPTIMAL_GAP, MipModel, MipOutcome, clean_solution, relative_gap

__all__ = ["PulpSolver", "to_pulp", "solution_status"]


# PuLP's solution-status codes; PuLP 4 no longer exports the LpSolution*/LpStatus* names.
SOLUTION_NONE, SOLUTION_OPTIMAL, SOLUTION_FEASIBLE, SOLUTION_INFEASIBLE = 0, 1, 2, -1
STATUS_NOT_SOLVED, STATUS_OPTIMAL, STATUS_INFEASIBLE = 0, 1, -1


def solution_status(prob: pulp.LpProblem, outcome: Any) -> int:
    """PuLP's solution status (:data:`SOLUTION_OPTIMAL` …) on PuLP 3.3 and 4.x.

    PuLP 4's ``solve`` returns statistics with ``has_solution`` and no
    ``prob.sol_status``; PuLP 3.3 keeps ``sol_status`` on the problem.
    """
    if hasattr(outcome, "has_solution"):
        code = int(outcome.status)
        if code == STATUS_OPTIMAL:
            return SOLUTION_OPTIMAL
        if outcome.has_solution:
            return SOLUTION_FEASIBLE
        return SOLUTION_INFEASIBLE if code == STATUS_INFEASIBLE else SOLUTION_NONE
    return int(prob.sol_status)


def to_pulp(model: MipModel, name: str = "amayesh") -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
    """The same model as a ``pulp.LpProblem`` (variables ``x0, x1, …``, rows ``r0, r1, …``).

    Uses only calls that PuLP 3.3 and 4.x share (``add_variable``, ``lpDot``, the
    ``(expression <= value, name)`` row form).
    """
    prob = pulp.LpProblem(name, pulp.LpMaximize if model.maximize else pulp.LpMinimize)
    lo = [None if not np.isfinite(v) else float(v) for v in model.col_lower]
    hi = [None if not np.isfinite(v) else float(v) for v in model.col_upper]
    xs = [
        prob.add_variable(f"x{j}", lo[j], hi[j], pulp.LpInteger if model.integer[j] else pulp.LpContinuous)
        for j in range(model.n_cols)
    ]
    nz = np.flatnonzero(model.c)
    prob += pulp.lpSum([pulp.lpDot([float(model.c[j]) for j in nz], [xs[j] for j in nz])]) + float(model.offset)
    A = model.A.tocsr()
    for r in range(model.n_rows):
        cols, vals = A.indices[A.indptr[r]:A.indptr[r + 1]], A.data[A.indptr[r]:A.indptr[r + 1]]
        low, up = model.row_lower[r], model.row_upper[r]
        if len(cols) == 0:
            if low > 0 or up < 0:
                raise _EmptyRowInfeasible()
            continue
        expr = pulp.lpDot([float(v) for v in vals], [xs[j] for j in cols])
        if np.isfinite(low) and np.isfinite(up) and low == up:
            prob += (expr == float(low), f"r{r}")
            continue
        if np.isfinite(low):
            prob += (expr >= float(low), f"r{r}")
        if np.isfinite(up):
            prob += (expr <= float(up), f"r{r}_u" if np.isfinite(low) else f"r{r}")
    return prob, xs


class _EmptyRowInfeasible(Exception):
    """A row without variables whose bounds exclude 0."""


# PuLP 4 statuses (``LpSolveStatus`` names) that mean "stopped early"
_STOPPED = {"TimeLimit", "NodeLimit", "IterationLimit", "SolutionLimit", "Interrupted", "Stopped", "MemoryLimit"}


@dataclass
class PulpSolver:
    """Wrap a PuLP solver, e.g. ``PulpSolver(pulp.HiGHS(msg=False, timeLimit=60))``.

    With CBC (``warmStart=True``) the start solution is passed as initial values.
    The bound and gap come from PuLP 4's solve statistics, or from HiGHS when
    PuLP 3.3 used HiGHS; otherwise they are known only for a proven optimum (else ``nan``).
    """

    solver: Any
    name: str = "pulp"

    def solve(self, model: MipModel, start: np.ndarray | None = None) -> MipOutcome:
        t0 = time.perf_counter()
        label = f"pulp:{getattr(self.solver, 'name', type(self.solver).__name__)}"
        try:
            prob, xs = to_pulp(model)
        except _EmptyRowInfeasible:
            return MipOutcome("infeasible", None, float("nan"), float("nan"), float("nan"), 0.0, label)
        if start is not None:
            for var, v in zip(xs, start):
                var.setInitialValue(float(v))
        res = prob.solve(self.solver)
        seconds = time.perf_counter() - t0
        if hasattr(res, "has_solution"):  # PuLP 4.x: solve statistics
            return self._outcome_v4(model, xs, res, seconds, label)
        return self._outcome_v3(model, prob, xs, seconds, label)

    @staticmethod
    def _values(model: MipModel, xs: list[pulp.LpVariable]) -> np.ndarray:
        return clean_solution(model, np.array([v.value() or 0.0 for v in xs]))

    def _outcome_v4(self, model: MipModel, xs: list, res: Any, seconds: float, label: str) -> MipOutcome:
        status = res.status.name
        x = self._values(model, xs) if res.has_solution else None
        objective = model.objective(x) if x is not None else float("nan")
        bound = float("nan")
        if x is not None and res.best_bound is not None and res.objective is not None:
            diff = float(res.best_bound) - float(res.objective)
            bound = objective + diff if np.isfinite(diff) else float("nan")
        if status == "Optimal" or status == "GapLimit":
            if not np.isfinite(bound):
                bound = objective
            gap = relative_gap(objective, bound)
            label_status = "optimal" if not gap > OPTIMAL_GAP else "gap_limit"
            return MipOutcome(label_status, x, objective, bound, gap, seconds, label)
        if status == "Infeasible":
            return MipOutcome("infeasible", None, float("nan"), float("nan"), float("nan"), seconds, label)
        if status in _STOPPED:
            return MipOutcome("time_limit" if x is not None else "no_solution", x, objective, bound,
                              relative_gap(objective, bound), seconds, label)
        return MipOutcome("error", x, objective, bound, float("nan"), seconds, label)

    def _outcome_v3(self, model: MipModel, prob: pulp.LpProblem, xs: list, seconds: float, label: str) -> MipOutcome:
        # PuLP 3.3: LpStatus says "Optimal" after a time limit; only sol_status tells
        optimal, feasible, infeasible = SOLUTION_OPTIMAL, SOLUTION_FEASIBLE, SOLUTION_INFEASIBLE
        sol = prob.sol_status
        x = self._values(model, xs) if sol in (optimal, feasible) else None
        objective = model.objective(x) if x is not None else float("nan")
        bound = float("nan")
        highs = getattr(prob, "solverModel", None)
        if highs is not None and hasattr(highs, "getInfo") and model.integer.any() and x is not None:
            # PuLP may hand HiGHS the negated objective without its constant: translate the
            # gap between HiGHS's incumbent and bound, not the raw bound
            info = highs.getInfo()
            diff = float(info.mip_dual_bound) - float(info.objective_function_value)
            flipped = (highs.getObjectiveSense() == highspy.ObjSense.kMaximize) != model.maximize
            if np.isfinite(diff):
                bound = objective - diff if flipped else objective + diff
        if sol == optimal:
            if not np.isfinite(bound):
                bound = objective
            gap = relative_gap(objective, bound)
            return MipOutcome("optimal" if not gap > OPTIMAL_GAP else "gap_limit", x, objective, bound, gap,
                              seconds, label)
        if sol == feasible:
            return MipOutcome("time_limit", x, objective, bound, relative_gap(objective, bound), seconds, label)
        if sol == infeasible:
            return MipOutcome("infeasible", None, float("nan"), float("nan"), float("nan"), seconds, label)
        return MipOutcome("no_solution" if prob.status == STATUS_NOT_SOLVED else "error", None, float("nan"), float("nan"),
                          float("nan"), seconds, label)
