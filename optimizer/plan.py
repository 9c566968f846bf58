"""One call from inputs and scenario to a plan, or to an explained refusal."""

from __future__ import annotations

from optimizer.diagnose import diagnose_infeasibility
from optimizer.model import build_allocation_model
from optimizer.problem import AllocationInputs, AllocationSettings
from optimizer.solve import AllocationResult, SolverName, solve
from siting.errors import InfeasibleError, ScenarioError

#: Relative MIP gap used by :func:`plan_allocation` unless told otherwise: tight
#: enough that "optimal" means optimal for plans of a few thousand licences.
DEFAULT_MIP_GAP = 1e-9


def plan_allocation(
    inputs: AllocationInputs,
    settings: AllocationSettings,
    solver: SolverName = "highs",
    time_limit: float | None = None,
    mip_gap: float | None = DEFAULT_MIP_GAP,
    threads: int | None = None,
    msg: bool = False,
) -> AllocationResult:
    """Build and solve the allocation; explain infeasibility instead of reporting it raw.

    Parameters
    ----------
    inputs, settings
        See :class:`~optimizer.problem.AllocationInputs` and
        :class:`~optimizer.problem.AllocationSettings`.
    solver, time_limit, mip_gap, threads, msg
        See :func:`optimizer.solve.solve`.

    Returns
    -------
    AllocationResult
        With status ``"optimal"`` or ``"time_limit_feasible"`` (a plan), or
        ``"time_limit_no_solution"`` / ``"error"`` (no plan, nothing proven).

    Raises
    ------
    siting.errors.InfeasibleError
        When no plan satisfies the scenario; ``.diagnosis`` is a
        :class:`~optimizer.diagnose.Diagnosis` and the message says which
        constraint groups conflict and by how much.
    siting.errors.ScenarioError
        For invalid or unbounded scenarios.
    """
    model = build_allocation_model(inputs, settings)
    result = solve(model, solver=solver, time_limit=time_limit, mip_gap=mip_gap, threads=threads, msg=msg)
    if result.status == "infeasible":
        diagnosis = diagnose_infeasibility(inputs, settings, solver=solver, time_limit=time_limit, threads=threads)
        raise InfeasibleError(diagnosis.message, diagnosis)
    if result.status == "unbounded":
        raise ScenarioError("the scenario is unbounded: nothing limits the number of licences")
    return result
