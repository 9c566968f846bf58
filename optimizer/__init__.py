"""Licence allocation: how many new counter-office licences each unit gets.

The integer programme decides new licences per unit (urban and rural apart
where the data allows) to maximise need-weighted benefit with diminishing
returns, under switchable budget, saturation, viability, province, industrial
park, rural-share and locked-decision constraints. Infeasible scenarios are
explained by an elastic reformulation.

Public API
----------
AllocationInputs, AllocationSettings, GapShareFloor
    Validated inputs (numpy arrays per unit) and scenario settings.
build_allocation_model(inputs, settings) -> AllocationModel
    The PuLP model (formulation in :mod:`optimizer.model`).
solve(model, solver="highs", time_limit=None, mip_gap=None, threads=None, msg=False) -> AllocationResult
    Solve with HiGHS (CBC as fallback); honest status, bound and gap.
diagnose_infeasibility(inputs, settings) -> Diagnosis
    Which constraint groups conflict and by how much.
plan_allocation(inputs, settings, ...) -> AllocationResult
    Build, solve, and raise :class:`siting.errors.InfeasibleError` with a
    diagnosis when the scenario has no feasible plan.
"""

from optimizer.diagnose import Conflict, Diagnosis, diagnose_infeasibility
from optimizer.formulation import GROUP_NAMES, GROUP_TITLES, Formulation, formulate
from optimizer.model import AllocationModel, build_allocation_model
from optimizer.plan import plan_allocation
from optimizer.problem import AllocationInputs, AllocationSettings, GapShareFloor
from optimizer.solve import STATUSES, AllocationResult, solve

__all__ = [
    "GROUP_NAMES",
    "GROUP_TITLES",
    "STATUSES",
    "AllocationInputs",
    "AllocationModel",
    "AllocationResult",
    "AllocationSettings",
    "Conflict",
    "Diagnosis",
    "Formulation",
    "GapShareFloor",
    "build_allocation_model",
    "diagnose_infeasibility",
    "formulate",
    "plan_allocation",
    "solve",
]
