"""Solving a built allocation model with HiGHS (default) or CBC, on PuLP 3.3 and 4.

:func:`solve` runs the solver and reads the plan back as integer arrays with an
honest status: a run stopped by its time limit is never reported optimal (the
solver's own model status is read, not PuLP's problem status, which PuLP 3.3
sets to "Optimal" on a time-limited run). The best bound and gap come from
HiGHS' info record; CBC reports no bound through PuLP, so they are ``None``
there unless the plan is proven optimal.

Statuses
--------
``"optimal"``
    Proven optimal within the relative MIP gap asked for (``gap`` says how close).
``"time_limit_feasible"``
    Stopped by a limit (time, iterations, ...) with a feasible plan.
``"time_limit_no_solution"``
    Stopped by a limit before any feasible plan was found.
``"infeasible"``, ``"unbounded"``
    As reported by the solver (the model builder rules out unbounded scenarios).
``"error"``
    Anything else (the solver failed).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pulp

from optimizer.formulation import Formulation
from optimizer.model import AllocationModel, EmittedProblem
from siting._highs_banner import swallow_highs_banner
from siting.errors import ScenarioError

SolverName = Literal["highs", "cbc"]

STATUSES = ("optimal", "time_limit_feasible", "time_limit_no_solution", "infeasible", "unbounded", "error")


@dataclass(frozen=True, eq=False)
class AllocationResult:
    """The plan and how it was found.

    Attributes
    ----------
    unit_code : str array
        The units, in input order.
    new_urban, new_rural : int arrays or None
        New licences per unit and part; ``None`` when the model does not split
        urban and rural or there is no plan.
    new_total : int array or None
        New licences per unit; ``None`` when there is no plan.
    status : str
        One of :data:`STATUSES`.
    objective : float or None
        Need-weighted benefit of the plan minus the tie-breaking cost, in score
        units (what the solver maximised, rescaled).
    benefit : float or None
        Need-weighted benefit of the plan, in score units.
    best_bound : float or None
        Best proven upper bound on the objective (same units), when known.
    gap : float or None
        ``(best_bound - objective) / |objective|``, when both are known.
    build_seconds, solve_seconds : float
        Wall time to build the model and to run the solver (including PuLP's
        hand-over to it).
    solver, solver_version : str
        What ran.
    solver_status : str
        The solver's own word for how it stopped (e.g. ``"kTimeLimit"``), for logs.
    """

    unit_code: np.ndarray
    new_urban: np.ndarray | None
    new_rural: np.ndarray | None
    new_total: np.ndarray | None
    status: str
    objective: float | None
    benefit: float | None
    best_bound: float | None
    gap: float | None
    build_seconds: float
    solve_seconds: float
    solver: str
    solver_version: str
    solver_status: str = ""

    @property
    def has_plan(self) -> bool:
        """Whether a feasible plan came back."""
        return self.new_total is not None

    def plan_bytes(self) -> bytes:
        """The plan and its objective as bytes: identical inputs give identical bytes."""
        parts = [self.status.encode(), repr(self.objective).encode(), repr(self.benefit).encode()]
        for array in (self.new_urban, self.new_rural, self.new_total):
            parts.append(b"-" if array is None else np.ascontiguousarray(array, dtype=np.int64).tobytes())
        return b"|".join(parts)


@dataclass(frozen=True)
class _SolverRun:
    status: str
    has_solution: bool
    bound: float | None  # in the problem's (maximisation) sense, normalised scale
    name: str
    version: str
    exact_optimum: bool = False  # optimal with a zero gap tolerance: the plan's value is the bound
    raw_status: str = ""


def highs_available() -> bool:
    """Whether PuLP can run HiGHS through highspy."""
    try:
        return bool(pulp.HiGHS(msg=False).available())
    except Exception:  # noqa: BLE001 - any failure means "not available"
        return False


def _cbc_solver(time_limit: float | None, mip_gap: float | None, threads: int | None, msg: bool) -> Any:
    """A CBC solver object without PuLP deprecation warnings, or raise when none is installed."""
    options = dict(msg=msg, timeLimit=time_limit, gapRel=mip_gap, threads=threads)
    solver = pulp.COIN_CMD(**options)
    if solver.available():
        return solver
    # PuLP 3 ships a CBC binary; COIN_CMD with its path avoids the deprecated PULP_CBC_CMD.
    bundled = getattr(getattr(pulp.apis, "coin_api", None), "pulp_cbc_path", None)
    if bundled:
        solver = pulp.COIN_CMD(path=bundled, **options)
        if solver.available():
            return solver
    raise ScenarioError("CBC is not available: install it (pip install 'pulp[cbc]') or use solver='highs'")


def _highs_status(highs: Any) -> tuple[str, bool]:
    """Map HiGHS' own model status (not PuLP's) to ours, and whether a plan exists."""
    status = highs.getModelStatus()
    kinds = type(status)
    info = highs.getInfo()
    has_primal = int(getattr(info, "primal_solution_status", 0)) == 2  # kSolutionStatusFeasible
    if status == kinds.kOptimal:
        return "optimal", True
    if status in (kinds.kInfeasible, kinds.kUnboundedOrInfeasible):
        # The builder guarantees a bounded model, so "unbounded or infeasible" means infeasible.
        return "infeasible", False
    if status == kinds.kUnbounded:
        return "unbounded", False
    limits = [
        getattr(kinds, name)
        for name in (
            "kTimeLimit",
            "kIterationLimit",
            "kSolutionLimit",
            "kInterrupt",
            "kObjectiveBound",
            "kObjectiveTarget",
            "kMemoryLimit",
        )
        if hasattr(kinds, name)
    ]
    if status in limits:
        return ("time_limit_feasible", True) if has_primal else ("time_limit_no_solution", False)
    return "error", False


def _run_highs(
    problem: Any, time_limit: float | None, mip_gap: float | None, threads: int | None, msg: bool
) -> _SolverRun:
    if not msg:
        swallow_highs_banner()
    if threads is not None:
        # HiGHS keeps one thread scheduler per process and refuses a different
        # thread count once it exists; start a fresh one with the count asked for.
        import highspy

        reset = getattr(highspy.Highs, "resetGlobalScheduler", None)
        if reset is not None:
            reset(True)
    solver = pulp.HiGHS(msg=msg, timeLimit=time_limit, gapRel=mip_gap, threads=threads)
    problem.solve(solver)
    highs = problem.solverModel
    status, has_solution = _highs_status(highs)
    bound = None
    dual_bound = float(highs.getInfo().mip_dual_bound)
    if math.isfinite(dual_bound):
        # PuLP 3 hands HiGHS the negated objective to minimise; PuLP 4 sets the sense.
        _, sense = highs.getObjectiveSense()
        bound = -dual_bound if sense == type(sense).kMinimize and problem.sense == pulp.LpMaximize else dual_bound
    version = f"{highs.versionMajor()}.{highs.versionMinor()}.{highs.versionPatch()}"
    raw = getattr(highs.getModelStatus(), "name", str(highs.getModelStatus()))
    return _SolverRun(status, has_solution, bound, "HiGHS", version, raw_status=raw)


def _run_cbc(
    problem: Any, time_limit: float | None, mip_gap: float | None, threads: int | None, msg: bool
) -> _SolverRun:
    solver = _cbc_solver(time_limit, mip_gap, threads, msg)
    outcome = problem.solve(solver)
    if hasattr(outcome, "has_solution"):  # PuLP 4 returns solve statistics
        code = int(outcome.status)
        has_solution = bool(outcome.has_solution)
        optimal = code == 1
        limited = code in (-4, -5, -6, -7, -8, -9, -10, -11)
    else:  # PuLP 3: the solution status tells a time-limited run from an optimal one
        code = int(problem.status)
        sol_status = int(problem.sol_status)
        has_solution = sol_status in (1, 2)
        optimal = sol_status == 1
        limited = sol_status == 2 or (code == 0 and sol_status == 0)
    if optimal:
        status = "optimal"
    elif code == -1:
        status = "infeasible"
    elif code == -2:
        status = "unbounded"
    elif limited:
        status = "time_limit_feasible" if has_solution else "time_limit_no_solution"
    else:
        status = "error"
    bound = getattr(outcome, "best_bound", None)
    exact = optimal and not mip_gap  # CBC's own default relative gap is 0
    raw = getattr(outcome, "status", code)
    return _SolverRun(
        status, has_solution, None if bound is None else float(bound), "CBC", "unknown", exact, raw_status=str(raw)
    )


def run_solver(
    emitted: EmittedProblem,
    solver: SolverName = "highs",
    time_limit: float | None = None,
    mip_gap: float | None = None,
    threads: int | None = None,
    msg: bool = False,
) -> tuple[_SolverRun, np.ndarray | None, float]:
    """Solve an emitted problem; return the run, the rounded ``x`` values and the wall time.

    HiGHS is used when asked for and available; otherwise CBC (the fallback).
    """
    if solver not in ("highs", "cbc"):
        raise ScenarioError(f"unknown solver {solver!r}: use 'highs' or 'cbc'")
    if time_limit is not None and not time_limit > 0:
        raise ScenarioError(f"time_limit must be positive, got {time_limit!r}")
    if mip_gap is not None and not (0 <= mip_gap < 1):
        raise ScenarioError(f"mip_gap must be in [0, 1), got {mip_gap!r}")
    started = time.perf_counter()
    if solver == "highs" and highs_available():
        run = _run_highs(emitted.problem, time_limit, mip_gap, threads, msg)
    else:
        run = _run_cbc(emitted.problem, time_limit, mip_gap, threads, msg)
    seconds = time.perf_counter() - started
    values = None
    if run.has_solution:
        raw = np.array([v.varValue if v.varValue is not None else (v.lowBound or 0.0) for v in emitted.x], dtype=float)
        values = np.rint(raw).astype(np.int64)  # HiGHS may return -0.0 or 2.9999999
    return run, values, seconds


def _relative_gap(objective: float, bound: float) -> float:
    difference = max(bound - objective, 0.0)
    if difference == 0:
        return 0.0
    return difference / abs(objective) if objective != 0 else math.inf


def solve(
    model: AllocationModel,
    solver: SolverName = "highs",
    time_limit: float | None = None,
    mip_gap: float | None = None,
    threads: int | None = None,
    msg: bool = False,
) -> AllocationResult:
    """Solve an allocation model.

    Parameters
    ----------
    model : AllocationModel
        From :func:`optimizer.model.build_allocation_model`.
    solver : {"highs", "cbc"}
        HiGHS through highspy (default; falls back to CBC when highspy is
        missing) or CBC.
    time_limit : float, optional
        Seconds; the result says ``"time_limit_feasible"`` if it is hit.
    mip_gap : float, optional
        Relative MIP gap at which the solver may stop and call the plan
        optimal (solver default when ``None``; HiGHS' is 1e-4).
    threads : int, optional
        Solver threads (solver default when ``None``). With HiGHS this resets
        its process-wide thread scheduler, so do not change it while another
        thread of the same process is solving.
    msg : bool
        Show the solver log.

    Returns
    -------
    AllocationResult
        Integer plan (``None`` arrays when there is none), status, objective,
        bound, gap and timings. Does not raise on infeasibility; see
        :func:`optimizer.plan_allocation` for the explained version.
    """
    run, x, seconds = run_solver(model.emitted, solver, time_limit, mip_gap, threads, msg)
    return result_from_plan(model, run, x, seconds)


def result_from_plan(model: AllocationModel, run: _SolverRun, x: np.ndarray | None, seconds: float) -> AllocationResult:
    """Assemble the :class:`AllocationResult` of a solver run."""
    formulation: Formulation = model.formulation
    scale = formulation.benefit_scale
    new_urban = new_rural = new_total = None
    objective = benefit = gap = None
    bound = None if run.bound is None else run.bound * scale
    if x is not None:
        areas = formulation.areas
        n_units = model.inputs.n_units
        new_total = np.bincount(areas.unit_index, weights=x, minlength=n_units).astype(np.int64)
        if model.settings.split_urban_rural:
            new_urban = x[areas.kind == "urban"].astype(np.int64)
            new_rural = x[areas.kind == "rural"].astype(np.int64)
        normalised_benefit = formulation.segments.value(x)
        benefit = normalised_benefit * scale
        objective = (normalised_benefit - float(np.dot(formulation.tie_break_cost, x))) * scale
        if run.exact_optimum and bound is None:
            bound = objective
        if bound is not None:
            bound = max(bound, objective)
            gap = _relative_gap(objective, bound)
    return AllocationResult(
        unit_code=model.inputs.unit_code,
        new_urban=new_urban,
        new_rural=new_rural,
        new_total=new_total,
        status=run.status,
        objective=objective,
        benefit=benefit,
        best_bound=bound,
        gap=gap,
        build_seconds=model.build_seconds,
        solve_seconds=seconds,
        solver=run.name,
        solver_version=run.version,
        solver_status=run.raw_status,
    )
