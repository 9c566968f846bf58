"""Solve a :class:`~siting.locate.mip.MipModel` through PuLP (CBC, HiGHS or any PuLP solver).

PuLP is kept as the modelling interface for planners who want another solver
or an LP file; it is slower to build than :class:`~siting.locate.HighsSolver`
(one Python object per variable and per row), so the models default to direct
HiGHS. Works on PuLP 3.3 (Python 3.11) and 4.x: it never calls the APIs 4.x
removes, and reads the *solution* status (``sol_status``), never ``LpStatus``
alone — PuLP 3.3 calls a time-limited solve "Optimal".
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import highspy
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
    """The same model as a ``pulp.LpProblem`` (variables ``x0, x1, …``, rows ``r0, r1, …``)."""
    prob = pulp.LpProblem(name, pulp.LpMaximize if model.maximize else pulp.LpMinimize)
    lo = [None if not np.isfinite(v) else float(v) for v in model.col_lower]
    hi = [None if not np.isfinite(v) else float(v) for v in model.col_upper]
    xs = [
        prob.add_variable(f"x{j}", lo[j], hi[j], pulp.LpInteger if model.integer[j] else pulp.LpContinuous)
        for j in range(model.n_cols)
    ]
    nz = np.flatnonzero(model.c)
    prob += pulp.lpSum(float(model.c[j]) * xs[j] for j in nz) + float(model.offset)
    A = model.A.tocsr()
    for r in range(model.n_rows):
        cols, vals = A.indices[A.indptr[r]:A.indptr[r + 1]], A.data[A.indptr[r]:A.indptr[r + 1]]
        expr = pulp.lpSum(float(v) * xs[j] for j, v in zip(cols, vals))
        low, up = model.row_lower[r], model.row_upper[r]
        if np.isfinite(low) and np.isfinite(up) and low == up:
            prob += (expr == float(low), f"r{r}")
            continue
        if np.isfinite(low):
            prob += (expr >= float(low), f"r{r}")
        if np.isfinite(up):
            prob += (expr <= float(up), f"r{r}_u" if np.isfinite(low) else f"r{r}")
    return prob, xs


@dataclass
class PulpSolver:
    """Wrap a PuLP solver, e.g. ``PulpSolver(pulp.HiGHS(msg=False, timeLimit=60))``.

    With CBC (``warmStart=True``) the start solution is passed as initial values.
    The bound and gap are read from HiGHS when PuLP used HiGHS; for other solvers
    they are known only for a proven optimum (otherwise ``nan``).
    """

    solver: Any
    name: str = "pulp"

    def solve(self, model: MipModel, start: np.ndarray | None = None) -> MipOutcome:
        t0 = time.perf_counter()
        prob, xs = to_pulp(model)
        if start is not None:
            for var, v in zip(xs, start):
                var.setInitialValue(float(v))
        outcome = prob.solve(self.solver)
        seconds = time.perf_counter() - t0
        label = f"pulp:{getattr(self.solver, 'name', type(self.solver).__name__)}"
        sol = solution_status(prob, outcome)
        if sol in (SOLUTION_OPTIMAL, SOLUTION_FEASIBLE):
            x = clean_solution(model, np.array([v.value() or 0.0 for v in xs]))
            objective = model.objective(x)
        else:
            x, objective = None, float("nan")
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
        if sol == SOLUTION_OPTIMAL:
            if not np.isfinite(bound):
                bound = objective
            gap = relative_gap(objective, bound)
            status = "optimal" if not gap > OPTIMAL_GAP else "gap_limit"
        elif sol == SOLUTION_FEASIBLE:
            status, gap = "time_limit", relative_gap(objective, bound)
        elif sol == SOLUTION_INFEASIBLE:
            status, gap = "infeasible", float("nan")
        else:
            status, gap = ("no_solution" if int(getattr(outcome, "status", prob.status)) == STATUS_NOT_SOLVED else "error"), float("nan")
        return MipOutcome(status, x, objective, bound, gap, seconds, label)
