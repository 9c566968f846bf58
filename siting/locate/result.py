"""The outcome of a location model: which sites, how good, how sure, how long."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

__all__ = ["SitingResult"]


def _frozen(a: np.ndarray | None, dtype: Any) -> np.ndarray | None:
    if a is None:
        return None
    a = np.array(a, dtype=dtype, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class SitingResult:
    """Frozen result of :func:`solve_mclp`, :func:`solve_lscp` or :func:`solve_pmedian`.

    Attributes
    ----------
    model : str
        ``"mclp"``, ``"lscp"`` or ``"pmedian"``.
    selected : ndarray of int
        New sites chosen (column indices of the site arrays), sorted.
    existing : ndarray of int
        Existing offices, all kept open, sorted.
    objective : float
        Value of the returned plan in the original (unreduced) model: population
        covered (MCLP), number of new sites (LSCP), population-weighted distance
        (p-median). Always recomputed from ``selected`` and ``existing``.
    bound : float
        Proven bound on the optimum (upper for MCLP, lower for LSCP and p-median).
    gap : float
        ``|objective − bound| / |objective|``; 0 when proven optimal.
    status : str
        ``"optimal"``, ``"gap_limit"`` (stopped at the requested gap), ``"time_limit"``
        (stopped by the clock; see ``gap``), ``"infeasible"``, ``"no_solution"``.
    build_seconds, solve_seconds : float
        Model assembly (distances excluded, reductions and heuristics included) and solver time.
    assignment : ndarray of int
        Per demand point, the open site serving it (nearest in range for covering
        models, the assigned one with capacities), ``-1`` if none.
    covered : ndarray of bool or None
        Per demand point, within the service standard of an open site (covering models).
    distance : ndarray of float or None
        Per demand point, distance to its assigned site (``nan`` if unassigned) when known.
    solver : str
        Which solver produced the plan.
    stats : mapping
        Model sizes before and after reduction, heuristic value, iterations.
    """

    model: str
    selected: np.ndarray
    existing: np.ndarray
    objective: float
    bound: float
    gap: float
    status: str
    build_seconds: float
    solve_seconds: float
    assignment: np.ndarray
    covered: np.ndarray | None = None
    distance: np.ndarray | None = None
    solver: str = ""
    stats: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "selected", _frozen(np.sort(np.asarray(self.selected)), np.int64))
        object.__setattr__(self, "existing", _frozen(np.sort(np.asarray(self.existing)), np.int64))
        object.__setattr__(self, "assignment", _frozen(self.assignment, np.int64))
        object.__setattr__(self, "covered", _frozen(self.covered, bool))
        object.__setattr__(self, "distance", _frozen(self.distance, float))
        object.__setattr__(self, "stats", MappingProxyType(dict(self.stats)))

    @property
    def open_sites(self) -> np.ndarray:
        """Existing and new sites together, sorted."""
        return np.union1d(self.existing, self.selected)

    @property
    def optimal(self) -> bool:
        """Whether the plan is proven optimal."""
        return self.status == "optimal"

    @property
    def seconds(self) -> float:
        """Build plus solve seconds."""
        return self.build_seconds + self.solve_seconds

    def summary(self) -> str:
        """One line: model, status, objective, bound and gap."""
        gap = "" if self.status == "optimal" else f", gap {100 * self.gap:.3g} %"
        return (f"{self.model}: {self.status}{gap}, objective {self.objective:.6g}, "
                f"bound {self.bound:.6g}, {len(self.selected)} new + {len(self.existing)} existing sites, "
                f"{self.seconds:.2f} s")
