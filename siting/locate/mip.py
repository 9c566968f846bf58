"""A mixed-integer programme as plain arrays, the outcome of solving one, and the solver protocol.

The location models build a :class:`MipModel` (no solver involved); a solver
object (:class:`siting.locate.HighsSolver` for direct HiGHS arrays, or
:class:`siting.locate.PulpSolver` for any PuLP solver) turns it into a
:class:`MipOutcome`. Statuses are honest: ``"optimal"`` only when the solver
proved optimality (relative gap ≤ ``OPTIMAL_GAP``); a run stopped by its time limit
with a feasible solution is ``"time_limit"`` with the gap it reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp

__all__ = ["MipModel", "MipOutcome", "MipSolver", "OPTIMAL_GAP", "relative_gap"]

#: Relative gap at or below which a solve counts as proven optimal.
OPTIMAL_GAP = 1e-6

#: The statuses a :class:`MipOutcome` can carry.
STATUSES = ("optimal", "gap_limit", "time_limit", "infeasible", "no_solution", "error")


@dataclass(frozen=True)
class MipModel:
    """``min/max c·x + offset  s.t.  row_lower ≤ A x ≤ row_upper, col_lower ≤ x ≤ col_upper``.

    Attributes
    ----------
    c : ndarray, shape (n_cols,)
    A : scipy.sparse.csr_matrix, shape (n_rows, n_cols)
    row_lower, row_upper : ndarray, shape (n_rows,)
        ``±inf`` for one-sided rows.
    col_lower, col_upper : ndarray, shape (n_cols,)
    integer : ndarray of bool, shape (n_cols,)
    maximize : bool
    offset : float
        Constant added to the objective (e.g. demand covered by existing offices).
    """

    c: np.ndarray
    A: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    maximize: bool = False
    offset: float = 0.0

    @property
    def n_cols(self) -> int:
        return len(self.c)

    @property
    def n_rows(self) -> int:
        return self.A.shape[0]

    def objective(self, x: np.ndarray) -> float:
        """Objective value of ``x`` (offset included)."""
        return float(self.c @ x + self.offset)

    def is_feasible(self, x: np.ndarray, tol: float = 1e-6) -> bool:
        """Whether ``x`` satisfies every bound, row and integrality (within ``tol``)."""
        ax = self.A @ x
        return bool(
            np.all(x >= self.col_lower - tol)
            and np.all(x <= self.col_upper + tol)
            and np.all(ax >= self.row_lower - tol)
            and np.all(ax <= self.row_upper + tol)
            and np.all(np.abs(x[self.integer] - np.round(x[self.integer])) <= tol)
        )


@dataclass(frozen=True)
class MipOutcome:
    """What a solver returned.

    Attributes
    ----------
    status : str
        One of ``optimal``, ``gap_limit`` (stopped at the requested relative gap),
        ``time_limit`` (stopped by the clock with a feasible solution), ``infeasible``,
        ``no_solution`` (clock ran out before any solution), ``error``.
    x : ndarray or None
        Column values (integers rounded, ``-0.0`` cleaned), ``None`` without a solution.
    objective, bound : float
        Best objective found and the proven bound (offset included); ``nan`` if unknown.
    gap : float
        ``|objective - bound| / max(|objective|, 1e-9)``; ``nan`` if unknown.
    seconds : float
        Wall-clock seconds spent in the solver call.
    solver : str
        Which solver ran.
    """

    status: str
    x: np.ndarray | None
    objective: float
    bound: float
    gap: float
    seconds: float
    solver: str


def relative_gap(objective: float, bound: float) -> float:
    """Relative gap between a solution value and a bound, as HiGHS defines it."""
    if not (np.isfinite(objective) and np.isfinite(bound)):
        return float("nan")
    return abs(objective - bound) / max(abs(objective), 1e-9)


@runtime_checkable
class MipSolver(Protocol):
    """Anything that solves a :class:`MipModel`, optionally from a start solution."""

    name: str

    def solve(self, model: MipModel, start: np.ndarray | None = None) -> MipOutcome: ...


def clean_solution(model: MipModel, x: np.ndarray) -> np.ndarray:
    """Round integer columns and turn ``-0.0`` into ``0.0``."""
    x = np.asarray(x, dtype=float).copy()
    x[model.integer] = np.round(x[model.integer])
    x[np.abs(x) < 1e-12] = 0.0
    return x
