"""Direct HiGHS (``highspy``) solver for :class:`~siting.locate.mip.MipModel` arrays.

The model goes to HiGHS in one ``Highs.passModel`` call with the CSR arrays (no
per-variable Python objects, unlike a PuLP model). A start solution is passed
with ``Highs.setSolution``; the outcome reports HiGHS's ``mip_dual_bound`` and
the relative gap, and says ``time_limit`` rather than "optimal" when the clock
stopped the search.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import highspy
import numpy as np

from siting._highs_banner import swallow_highs_banner
from siting.locate.mip import OPTIMAL_GAP, MipModel, MipOutcome, clean_solution, relative_gap

__all__ = ["HighsSolver", "LpOutcome", "SEEDED_MIP_OPTIONS"]


@dataclass(frozen=True)
class LpOutcome:
    """An LP relaxation's solution: primal columns, row duals (HiGHS's signs), objective."""

    optimal: bool
    x: np.ndarray | None
    row_dual: np.ndarray | None
    objective: float
    seconds: float


#: HiGHS options for MIPs seeded with a good plan — the MCLP decomposition's components,
#: its neighbourhood-search moves, the p-median left after Lagrangian fixing. Measured on the
#: 371-site component of 20,000 × 2,000 seeded with the swap plan: 45 s with presolve,
#: 33 s without; trusting pseudo-costs from the first branching instead of strong
#: branching each candidate eight times (HiGHS's default): 17–21 s, of which 9 s are
#: HiGHS's own primal heuristics (sub-MIPs, root reduced-cost fixing) re-finding what
#: the start already nearly has; with them off as well: 8–11 s. HiGHS 1.16 with its
#: parallel tree search off: 3.2 s instead of 3.9 s there (one worker also leaves the other
#: core to the next component); the same on the p-median residual (122 s both ways).
SEEDED_MIP_OPTIONS = {
    "mip_pscost_minreliable": 0,
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "parallel": "off",
}

_ROWWISE = 2  # kHighsMatrixFormatRowwise
_MINIMIZE, _MAXIMIZE = 1, -1


@dataclass
class HighsSolver:
    """Solve array models with HiGHS through ``highspy``.

    Parameters
    ----------
    time_limit : float or None
        Seconds for the whole HiGHS run; ``None`` = no limit.
    mip_rel_gap : float
        Stop when the relative gap is at most this (HiGHS default is 1e-4;
        ours is :data:`~siting.locate.mip.OPTIMAL_GAP`, i.e. prove optimality).
    threads : int or None
        HiGHS threads (``None`` = HiGHS's default).
    output : bool
        Print HiGHS's log.
    options : dict
        Any further HiGHS options (``{"mip_heuristic_effort": 0.1}``, …).
    """

    time_limit: float | None = None
    mip_rel_gap: float = OPTIMAL_GAP
    threads: int | None = None
    output: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    name: str = "highs"

    def tuned(self, defaults: dict[str, Any]) -> "HighsSolver":
        """A copy with model-specific default options; options set by the caller win."""
        return replace(self, options={**defaults, **self.options})

    def _configure(self, h: highspy.Highs) -> None:
        h.setOptionValue("output_flag", bool(self.output))
        h.setOptionValue("log_to_console", bool(self.output))
        h.setOptionValue("mip_rel_gap", float(self.mip_rel_gap))
        if self.time_limit is not None:
            h.setOptionValue("time_limit", float(max(self.time_limit, 0.01)))
        if self.threads is not None:
            # HiGHS keeps one thread pool per process: it must be reset to change its size
            h.resetGlobalScheduler(True)
            h.setOptionValue("threads", int(self.threads))
        for key, value in self.options.items():
            h.setOptionValue(key, value)

    def solve(self, model: MipModel, start: np.ndarray | None = None) -> MipOutcome:
        """Solve ``model``; ``start`` (a feasible column vector) seeds the MIP search."""
        t0 = time.perf_counter()
        h = self._load(model, relax=False)
        has_int = bool(model.integer.any())
        if start is not None and has_int:
            h.setSolution(model.n_cols, np.arange(model.n_cols, dtype=np.int32), np.asarray(start, dtype=np.float64))
        h.run()
        seconds = time.perf_counter() - t0
        return self._outcome(h, model, has_int, seconds)

    def solve_relaxation(self, model: MipModel) -> LpOutcome:
        """Solve the LP relaxation (integrality dropped); returns primal and dual values."""
        t0 = time.perf_counter()
        h = self._load(model, relax=True)
        h.run()
        ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        sol = h.getSolution()
        return LpOutcome(
            optimal=ok,
            x=np.asarray(sol.col_value) if ok else None,
            row_dual=np.asarray(sol.row_dual) if ok else None,
            objective=float(h.getInfo().objective_function_value) if ok else float("nan"),
            seconds=time.perf_counter() - t0,
        )

    def _load(self, model: MipModel, relax: bool) -> highspy.Highs:
        if not self.output:
            swallow_highs_banner()
        h = highspy.Highs()
        self._configure(h)
        A = model.A.tocsr()
        bounds = [np.ascontiguousarray(b, dtype=np.float64)  # ±inf is HiGHS's infinity
                  for b in (model.col_lower, model.col_upper, model.row_lower, model.row_upper)]
        has_int = bool(model.integer.any()) and not relax
        args = [
            model.n_cols, model.n_rows, int(A.nnz), _ROWWISE,
            _MAXIMIZE if model.maximize else _MINIMIZE, float(model.offset),
            np.ascontiguousarray(model.c, dtype=np.float64), *bounds,
            A.indptr.astype(np.int32), A.indices.astype(np.int32), A.data.astype(np.float64),
        ]
        args.append(model.integer.astype(np.int32) if has_int else np.zeros(model.n_cols, dtype=np.int32))
        h.passModel(*args)
        return h

    def _outcome(self, h: highspy.Highs, model: MipModel, has_int: bool, seconds: float) -> MipOutcome:
        status = h.getModelStatus()
        info = h.getInfo()
        MS = highspy.HighsModelStatus
        has_x = info.primal_solution_status == highspy.kSolutionStatusFeasible
        x = clean_solution(model, np.asarray(h.getSolution().col_value)) if has_x else None
        objective = model.objective(x) if x is not None else float("nan")
        if has_int:
            bound = float(info.mip_dual_bound)
            if not np.isfinite(bound):
                bound = float("nan")
        else:
            bound = objective if status == MS.kOptimal else float("nan")
        gap = relative_gap(objective, bound)
        if status == MS.kOptimal:
            label = "optimal" if (not has_int or not gap > OPTIMAL_GAP or not np.isfinite(gap)) else "gap_limit"
            if has_int and not np.isfinite(gap):
                gap = 0.0
                bound = objective
        elif status == MS.kInfeasible:
            label = "infeasible"
        elif status in (MS.kTimeLimit, MS.kIterationLimit, MS.kSolutionLimit, MS.kInterrupt):
            label = "time_limit" if x is not None else "no_solution"
        else:
            label = "error" if x is None else "time_limit"
        return MipOutcome(label, x, objective, bound, gap, seconds, self.name)
