r"""Explaining infeasible scenarios: which constraint groups conflict and by how much.

Method
------
1. **Elastic reformulation.** Every row of every switched-on group gets a
   non-negative slack (two for equality rows) measured in licences (a loan
   row's unit is one office's loan), and the total slack is minimised with the
   licences still integer:

   .. math::

       \min \sum_r (s_r^+ + s_r^-) \quad \text{s.t.} \quad
       a_r x - s_r^+ + s_r^- \;(\le, =, \ge)\; b_r,\; x \in \mathbb{Z}_{\ge 0}^K

   A zero minimum means the scenario is feasible; otherwise the minimum is
   the smallest total relaxation that makes it feasible, and the slack per
   group says which groups had to give.
2. **Minimal conflicting set of groups** (a deletion filter over groups): start
   from all groups; drop each group in turn and keep it dropped if the
   remaining hard groups are still infeasible. What is left conflicts as a
   whole, and every proper subset is feasible. Groups are tried in reverse
   :data:`~optimizer.formulation.GROUP_NAMES` order (locks, rural share, parks,
   ceilings, floors, viability, caps, loan, budget), so when several conflicts
   exist the one reported involves the most basic groups -- "province floors
   need 2,310 licences, the budget is 2,000" rather than a side conflict.
3. **How much.** The elastic problem is solved again on that set alone; its
   minimum is the shortfall, and the rows with slack name the provinces,
   units or national totals at stake. Each group of the conflict is then
   described in numbers -- "province floors need 2,310 licences, the budget is
   2,000 licences".

A feasibility test that stops on its time limit without an answer counts as
feasible (the group stays in the set), so the set is then still conflicting
but may not be minimal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from optimizer.formulation import EQ, GROUP_TITLES, ConstraintGroup, Formulation, formulate
from optimizer.model import emit_problem
from optimizer.problem import AllocationInputs, AllocationSettings
from optimizer.solve import SolverName, run_solver

#: Slack below this (in licences) counts as zero.
SLACK_TOLERANCE = 1e-6

_MAX_LISTED = 6


@dataclass(frozen=True)
class Conflict:
    """A set of constraint groups that cannot hold together.

    Attributes
    ----------
    groups : tuple of str
        The groups in conflict (a minimal set: dropping any one of them makes
        the rest feasible).
    relaxation : float
        Smallest total violation of these groups, in licences, that makes
        them feasible together.
    violated_rows : tuple of (group, label, amount)
        Rows that had to give in that smallest relaxation; ``amount`` > 0 is
        an excess over a limit, < 0 a shortfall under a requirement (loan
        rows in rials, others in licences).
    message : str
        The conflict in words.
    """

    groups: tuple[str, ...]
    relaxation: float
    violated_rows: tuple[tuple[str, str, float], ...]
    message: str


@dataclass(frozen=True)
class Diagnosis:
    """Why a scenario has no feasible plan.

    Attributes
    ----------
    feasible : bool
        True when no conflict was found (the scenario has a plan).
    conflicts : tuple of Conflict
        The conflict found (empty when feasible).
    violations : mapping str -> float
        Slack per group, in licences, in the smallest relaxation of all groups
        together.
    total_relaxation : float
        Sum of ``violations``.
    message : str
        Everything above in words.
    """

    feasible: bool
    conflicts: tuple[Conflict, ...]
    violations: Mapping[str, float] = field(default_factory=dict)
    total_relaxation: float = 0.0
    message: str = ""

    @property
    def groups(self) -> tuple[str, ...]:
        """Groups named by the conflicts, in order."""
        names: list[str] = []
        for conflict in self.conflicts:
            names.extend(g for g in conflict.groups if g not in names)
        return tuple(names)


@dataclass(frozen=True)
class _Options:
    solver: SolverName
    time_limit: float | None
    threads: int | None


def _is_infeasible(formulation: Formulation, hard: frozenset[str], options: _Options) -> bool:
    """Whether the groups ``hard`` alone admit no plan (an undecided run counts as feasible)."""
    emitted = emit_problem(formulation, hard=hard, objective="feasibility", name="feasibility_test")
    run, _, _ = run_solver(emitted, options.solver, options.time_limit, None, options.threads)
    return run.status == "infeasible"


def _elastic(
    formulation: Formulation, groups: frozenset[str], options: _Options
) -> tuple[float, dict[str, np.ndarray]] | None:
    """Minimise total slack with ``groups`` elastic (others left out).

    Returns the minimum and, per group, the signed slack of every row
    (``+`` excess, ``-`` shortfall), or ``None`` when the solve failed.
    """
    emitted = emit_problem(formulation, hard=frozenset(), elastic=groups, objective="slack", name="elastic")
    run, _, _ = run_solver(emitted, options.solver, options.time_limit, None, options.threads)
    if not run.has_solution:
        return None
    per_row: dict[str, np.ndarray] = {}
    for name, (rows, signs, variables) in emitted.slack.items():
        values = np.array([v.varValue or 0.0 for v in variables], dtype=float)
        values[values < SLACK_TOLERANCE] = 0.0
        group = formulation.group(name)
        per_row[name] = np.bincount(rows, weights=signs * values, minlength=group.n_rows if group else 0)
    total = float(sum(np.abs(v).sum() for v in per_row.values()))
    return total, per_row


def _minimal_conflict(formulation: Formulation, options: _Options) -> frozenset[str]:
    """Deletion filter over groups: a minimal set of groups that is infeasible."""
    kept = list(formulation.group_names)
    for name in reversed(formulation.group_names):
        trial = frozenset(g for g in kept if g != name)
        if _is_infeasible(formulation, trial, options):
            kept = [g for g in kept if g != name]
    return frozenset(kept)


def _fmt(value: float) -> str:
    """A count with thousands separators; decimals only when needed."""
    rounded = round(value)
    return f"{rounded:,}" if abs(value - rounded) < 1e-6 else f"{value:,.2f}"


def _listed(labels: np.ndarray) -> str:
    shown = ", ".join(labels[:_MAX_LISTED].tolist())
    rest = labels.size - _MAX_LISTED
    return shown + (f" and {rest} more" if rest > 0 else "")


def _rows_touching(group: ConstraintGroup, areas: np.ndarray) -> np.ndarray:
    """Mask of the rows of ``group`` with an entry in ``areas``."""
    touching = np.zeros(group.n_rows, dtype=bool)
    touching[group.entry_row[np.isin(group.entry_area, areas)]] = True
    return touching


def _is_national(group: ConstraintGroup, n_areas: int) -> bool:
    """Whether ``group`` has a row over every area (budgets, rural share, relative ceilings)."""
    return bool(np.bincount(group.entry_row, minlength=group.n_rows).max(initial=0) >= n_areas)


def _involved_rows(
    formulation: Formulation, groups: tuple[str, ...], per_row: Mapping[str, np.ndarray]
) -> tuple[dict[str, np.ndarray], bool]:
    """The rows of each group a conflict is about, and whether the conflict is local.

    A conflict with a national group (a budget, the rural share) is about
    totals: every row of every group. Otherwise it is about places: the rows
    that had to give, the rows of the other groups touching the same areas,
    and, for single-area groups (caps, viability, locks), every area the
    conflict's rows touch.
    """
    n_areas = formulation.areas.size
    everything = {g: np.ones(formulation.group(g).n_rows, dtype=bool) for g in groups}
    if any(_is_national(formulation.group(g), n_areas) for g in groups):
        return everything, False
    violated = {g: per_row[g] != 0 for g in groups if g in per_row and np.any(per_row[g] != 0)}
    if not violated:
        return everything, True
    stake = np.unique(
        np.concatenate(
            [formulation.group(g).entry_area[rows[formulation.group(g).entry_row]] for g, rows in violated.items()]
        )
    )
    involved: dict[str, np.ndarray] = {}
    for name in groups:
        group = formulation.group(name)
        rows = violated.get(name)
        if rows is None:
            rows = _rows_touching(group, stake)
        involved[name] = rows if rows.any() else everything[name]
    touched = np.unique(
        np.concatenate([formulation.group(g).entry_area[involved[g][formulation.group(g).entry_row]] for g in groups])
    )
    for name in groups:
        group = formulation.group(name)
        if np.bincount(group.entry_row, minlength=group.n_rows).max(initial=0) <= 1:
            involved[name] = involved[name] | _rows_touching(group, touched)
    return involved, True


def _describe(group: ConstraintGroup, rows: np.ndarray, settings: AllocationSettings, local: bool) -> str:
    """What ``group`` requires or allows on its ``rows``, in numbers (naming the places when ``local``)."""
    where = f" in {_listed(group.row_label[rows])}" if local else ""
    total = float(group.row_rhs[rows].sum())
    name = group.name
    if name == "budget":
        exact = group.row_sense[0] == EQ
        return f"the budget is {'exactly ' if exact else ''}{_fmt(total)} licences"
    if name == "loan_budget":
        rials = round(total * group.rhs_unit)
        offices = _fmt(np.floor(total + 1e-9))
        return f"the loan budget of {rials:,} rials pays for at most {offices} offices at the lowest cost"
    if name == "saturation_cap":
        return f"saturation caps leave room for {_fmt(total)} new licences{where}"
    if name == "viability":
        return f"minimum catchments leave room for {_fmt(total)} new licences{where}"
    if name == "province_floor":
        return f"province floors need {_fmt(total)} licences{where}"
    if name == "province_ceiling":
        if settings.budget_licences is not None:
            return f"province ceilings allow at most {_fmt(group.row_rhs[0])} licences per province{where}"
        return f"no province may take more than {settings.province_ceiling_share:.0%} of the new licences{where}"
    if name == "industrial_parks":
        count = int(rows.sum())
        return f"industrial parks need a first office in {count} unit(s) without one ({_listed(group.row_label[rows])})"
    if name == "rural_share":
        return f"at least {settings.rural_share_min:.0%} of the new licences must be rural"
    if name == "locked":
        return f"locked decisions fix {_fmt(total)} licences{where}"
    return f"{GROUP_TITLES.get(name, name)}{where}"


def _conflict(
    formulation: Formulation, settings: AllocationSettings, groups: frozenset[str], options: _Options
) -> Conflict:
    ordered = tuple(g for g in formulation.group_names if g in groups)
    elastic = _elastic(formulation, groups, options)
    relaxation, per_row = elastic if elastic is not None else (float("nan"), {})
    involved, local = _involved_rows(formulation, ordered, per_row)
    descriptions = []
    violated: list[tuple[str, str, float]] = []
    for name in ordered:
        group = formulation.group(name)
        descriptions.append(_describe(group, involved[name], settings, local))
        slack = per_row.get(name)
        if slack is not None:
            for r in np.flatnonzero(slack != 0).tolist():
                violated.append((name, str(group.row_label[r]), float(slack[r]) * group.rhs_unit))
    titles = " and ".join(GROUP_TITLES[g] for g in ordered)
    message = ", ".join(descriptions)
    message = message[0].upper() + message[1:]
    if np.isfinite(relaxation):
        message += f" ({titles} conflict; relaxing them by {_fmt(relaxation)} licence(s) in total would allow a plan"
        if violated:
            details = "; ".join(
                f"{GROUP_TITLES[g]} {label} {'over' if amount > 0 else 'short'} by "
                + (f"{round(abs(amount)):,} rials" if g == "loan_budget" else _fmt(abs(amount)))
                for g, label, amount in violated[:_MAX_LISTED]
            )
            more = len(violated) - _MAX_LISTED
            message += f": {details}" + (f" and {more} more" if more > 0 else "")
        message += ")."
    else:
        message += f" ({titles} conflict)."
    return Conflict(groups=ordered, relaxation=relaxation, violated_rows=tuple(violated), message=message)


def diagnose_infeasibility(
    inputs: AllocationInputs,
    settings: AllocationSettings,
    *,
    solver: SolverName = "highs",
    time_limit: float | None = 60.0,
    threads: int | None = None,
) -> Diagnosis:
    """Explain why ``settings`` admits no plan for ``inputs`` (see module docstring).

    Parameters
    ----------
    inputs : AllocationInputs
    settings : AllocationSettings
    solver : {"highs", "cbc"}
    time_limit : float, optional
        Seconds per solver run (the diagnosis makes a few).
    threads : int, optional

    Returns
    -------
    Diagnosis
        ``feasible=True`` and no conflicts when the scenario has a plan.
    """
    options = _Options(solver, time_limit, threads)
    formulation = formulate(inputs, settings)
    everything = frozenset(formulation.group_names)
    overall = _elastic(formulation, everything, options)
    if overall is not None and overall[0] <= SLACK_TOLERANCE:
        return Diagnosis(feasible=True, conflicts=(), message="No conflict: the scenario has a feasible plan.")
    violations: dict[str, float] = {}
    total = float("nan")
    if overall is not None:
        total, per_row = overall
        violations = {name: float(np.abs(s).sum()) for name, s in per_row.items() if np.any(s != 0)}
    conflict = _conflict(formulation, settings, _minimal_conflict(formulation, options), options)
    message = "No plan satisfies every constraint. " + conflict.message
    others = [GROUP_TITLES[g] for g in violations if g not in conflict.groups]
    if others:
        message += f" Relaxing everything at least cost also touches: {', '.join(others)}."
    return Diagnosis(
        feasible=False,
        conflicts=(conflict,),
        violations=violations,
        total_relaxation=total,
        message=message,
    )
