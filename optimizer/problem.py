"""Inputs and settings of the licence-allocation programme, validated.

Two frozen dataclasses hold everything the model needs:

* :class:`AllocationInputs` -- plain numpy arrays aligned on the planning units
  (counties or any other level): codes, need scores, populations, the office
  register (existing offices), the standards' targets, industrial parks and the
  committee's locked decisions.
* :class:`AllocationSettings` -- the scenario: budgets, switchable constraint
  groups and the shape of the concave benefit.

Both validate on construction. Bad data raises :class:`siting.errors.DataError`
(one :class:`~siting.errors.Problem` per column at fault, naming the units);
bad scenario values raise :class:`siting.errors.ScenarioError`. Arrays are
copied and made read-only, so an instance cannot change after validation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, Mapping

import numpy as np

from siting.errors import DataError, Problem, ScenarioError

#: The ``file`` named in the problems raised for bad input arrays.
INPUTS_SOURCE = "allocation inputs"

#: At most this many unit codes are listed in one message.
_MAX_LISTED = 8

BudgetMode = Literal["exact", "at_most"]


def _listed(codes: np.ndarray) -> str:
    """The first few codes of ``codes`` as text, with a count of the rest."""
    shown = ", ".join(str(code) for code in codes[:_MAX_LISTED])
    rest = len(codes) - _MAX_LISTED
    return shown + (f" and {rest} more" if rest > 0 else "")


def _frozen(array: np.ndarray) -> np.ndarray:
    """A read-only copy of ``array``."""
    copy = np.array(array, copy=True)
    copy.flags.writeable = False
    return copy


@dataclass(frozen=True, eq=False)
class AllocationInputs:
    """Per-unit data of one allocation, as numpy arrays aligned on the units.

    Parameters
    ----------
    unit_code : array of str
        Unique code of each planning unit (county, district, ...).
    province_code : array of str
        Province of each unit (used by province floors and ceilings).
    score : array of float
        Need score, ``>= 0``: the weight of a licence in the unit.
    urban_population, rural_population : array of float
        Residents, ``>= 0``.
    existing_urban, existing_rural : array of int
        Offices already licensed (from the office register), ``>= 0``.
    target_urban, target_rural : array of float
        Number of offices the standards call for, ``>= 0`` (fractional allowed).
    has_industrial_park : array of bool, optional
        Units with an industrial park; default none.
    locked_urban, locked_rural : array of float, optional
        New licences fixed by the committee; ``NaN`` leaves the unit free.
        Default all free.
    viable_urban, viable_rural : array of float, optional
        Offices (existing and new) the part's market sustains, from the siting
        layer (:mod:`siting.viability`: expected visits after the other networks
        take their share). Where given they replace the minimum-catchment rule
        ``floor(population / min_catchment)``; ``NaN`` keeps that rule. Default
        the rule everywhere.

    Raises
    ------
    siting.errors.DataError
        When an array has the wrong length or holds invalid values; every
        problem is listed with the units concerned.
    """

    unit_code: np.ndarray
    province_code: np.ndarray
    score: np.ndarray
    urban_population: np.ndarray
    rural_population: np.ndarray
    existing_urban: np.ndarray
    existing_rural: np.ndarray
    target_urban: np.ndarray
    target_rural: np.ndarray
    has_industrial_park: np.ndarray | None = None
    locked_urban: np.ndarray | None = None
    locked_rural: np.ndarray | None = None
    viable_urban: np.ndarray | None = None
    viable_rural: np.ndarray | None = None

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        n_units = np.asarray(self.unit_code).reshape(-1).shape[0]

        def coerce(name: str, dtype: type, default: object) -> np.ndarray:
            raw = getattr(self, name)
            if raw is None:
                return np.full(n_units, default, dtype=dtype)
            values = np.asarray(raw)
            if values.ndim != 1 or values.shape[0] != n_units:
                problems.append(
                    Problem(
                        INPUTS_SOURCE,
                        f"expected a 1-D array of {n_units} values (one per unit), got shape {values.shape}",
                        column=name,
                    )
                )
                return np.full(n_units, default, dtype=dtype)
            if dtype is str:
                return values.astype(str)
            try:
                return values.astype(dtype)
            except (TypeError, ValueError):
                problems.append(Problem(INPUTS_SOURCE, f"values are not {dtype.__name__}", column=name))
                return np.full(n_units, default, dtype=dtype)

        codes = coerce("unit_code", str, "")
        columns = {
            "unit_code": codes,
            "province_code": coerce("province_code", str, ""),
            "score": coerce("score", float, 0.0),
            "urban_population": coerce("urban_population", float, 0.0),
            "rural_population": coerce("rural_population", float, 0.0),
            "existing_urban": coerce("existing_urban", float, 0.0),
            "existing_rural": coerce("existing_rural", float, 0.0),
            "target_urban": coerce("target_urban", float, 0.0),
            "target_rural": coerce("target_rural", float, 0.0),
            "has_industrial_park": coerce("has_industrial_park", bool, False),
            "locked_urban": coerce("locked_urban", float, np.nan),
            "locked_rural": coerce("locked_rural", float, np.nan),
            "viable_urban": coerce("viable_urban", float, np.nan),
            "viable_rural": coerce("viable_rural", float, np.nan),
        }

        if n_units == 0:
            problems.append(Problem(INPUTS_SOURCE, "no units to allocate to", column="unit_code"))
        empty = np.char.strip(codes) == ""
        if empty.any():
            problems.append(Problem(INPUTS_SOURCE, f"{empty.sum()} unit(s) have an empty code", column="unit_code"))
        unique, counts = np.unique(codes, return_counts=True)
        if (counts > 1).any():
            problems.append(
                Problem(INPUTS_SOURCE, f"duplicate unit codes: {_listed(unique[counts > 1])}", column="unit_code")
            )

        def flag(name: str, bad: np.ndarray, what: str) -> None:
            if bad.any():
                problems.append(Problem(INPUTS_SOURCE, f"{what} in unit(s) {_listed(codes[bad])}", column=name))

        for name in ("score", "urban_population", "rural_population", "target_urban", "target_rural"):
            values = columns[name]
            flag(name, ~np.isfinite(values), "missing or infinite value")
            flag(name, np.isfinite(values) & (values < 0), "negative value")
        for name in ("existing_urban", "existing_rural"):
            values = columns[name]
            finite = np.isfinite(values)
            flag(name, ~finite, "missing or infinite office count")
            flag(name, finite & ((values < 0) | (values != np.round(values))), "office count not a whole number >= 0")
            columns[name] = np.where(finite, values, 0).astype(np.int64)
        for name in ("locked_urban", "locked_rural"):
            values = columns[name]
            set_ = ~np.isnan(values)
            bad = set_ & (~np.isfinite(values) | (values < 0) | (values != np.round(values)))
            flag(name, bad, "locked licences not a whole number >= 0 (use NaN to leave free)")
        for name in ("viable_urban", "viable_rural"):
            values = columns[name]
            bad = ~np.isnan(values) & (~np.isfinite(values) | (values < 0) | (values != np.round(values)))
            flag(name, bad, "viable offices not a whole number >= 0 (use NaN for the minimum-catchment rule)")

        if problems:
            raise DataError(problems)
        for name, values in columns.items():
            object.__setattr__(self, name, _frozen(values))

    @property
    def n_units(self) -> int:
        """Number of planning units."""
        return int(self.unit_code.shape[0])


@dataclass(frozen=True)
class GapShareFloor:
    """Province floor rule: each listed province gets its share of the national gap.

    The floor of province ``p`` is
    ``floor(fraction * budget_licences * gap_p / gap_national)``, where a
    province's gap is the sum over its units (urban and rural parts) of
    ``max(0, target - existing)``.

    Parameters
    ----------
    provinces : frozenset of str, optional
        Provinces that get a floor (e.g. the deprived ones); ``None`` means all.
    fraction : float
        Share of the proportional amount guaranteed, in ``(0, 1]``.
    """

    provinces: frozenset[str] | None = None
    fraction: float = 1.0

    def __post_init__(self) -> None:
        if self.provinces is not None:
            object.__setattr__(self, "provinces", frozenset(str(code) for code in self.provinces))
        if not (0 < self.fraction <= 1):
            raise ScenarioError(f"province floor fraction must be in (0, 1], got {self.fraction}")


@dataclass(frozen=True)
class AllocationSettings:
    """A scenario of the allocation: budgets, constraint switches, benefit shape.

    Every constraint group can be switched off with ``None`` (or ``False``).

    Parameters
    ----------
    budget_licences : int or None
        National number of new licences. ``None``: no licence budget.
    budget_mode : {"exact", "at_most"}
        ``"exact"`` hands out exactly ``budget_licences`` (infeasible, and
        explained, when the other constraints cannot absorb them);
        ``"at_most"`` allows fewer.
    loan_budget_rials : float or None
        Total loan money; each new office costs ``cost_urban_rials`` or
        ``cost_rural_rials``. ``None``: no loan budget.
    cost_urban_rials, cost_rural_rials : float
        Loan per new office (200 million rials by default).
    saturation_slack : float or None
        Saturation cap ``existing + new <= floor(target * (1 + slack))`` per
        area (urban or rural part of a unit, or the whole unit when not split).
        Areas already at or above their cap get no licence. ``None``: no cap.
    min_catchment_urban, min_catchment_rural : float or None
        Viability: residents per office after allocation must stay at least
        this, i.e. ``existing + new <= floor(population / min_catchment)``.
        ``None``: no minimum for that part.
    province_floor : mapping or GapShareFloor or None
        Minimum new licences per province: ``{province_code: licences}`` or a
        :class:`GapShareFloor` rule.
    province_ceiling_share : float or None
        No province takes more than this share of ``budget_licences`` (of the
        licences handed out when there is no licence budget).
    rural_share_min : float or None
        At least this share of the new licences is rural (needs
        ``split_urban_rural``).
    enforce_parks : bool
        Every unit with an industrial park ends with at least one office.
    respect_locks : bool
        Apply the committee's locked decisions from the inputs.
    split_urban_rural : bool
        Decide urban and rural licences separately (default) or one number per
        unit.
    benefit_fill_breakpoints : tuple of float
        Coverage ratios ``offices / target`` at which the marginal benefit of an
        office steps down; strictly increasing and positive.
    benefit_weights : tuple of float
        Marginal benefit of an office between consecutive breakpoints (one more
        than there are breakpoints); positive and non-increasing.
    first_office_weight : float
        Marginal benefit of the first office of an area that has none (and a
        positive target); at least ``benefit_weights[0]``.
    tie_break : float
        Size of the deterministic tie-breaking cost per licence on the
        normalised objective (see :func:`optimizer.model.build_allocation_model`).

    Raises
    ------
    siting.errors.ScenarioError
        When a value is out of range; all problems are listed.
    """

    budget_licences: int | None = 2000
    budget_mode: BudgetMode = "exact"
    loan_budget_rials: float | None = None
    cost_urban_rials: float = 200e6
    cost_rural_rials: float = 200e6
    saturation_slack: float | None = 0.1
    min_catchment_urban: float | None = None
    min_catchment_rural: float | None = None
    province_floor: Mapping[str, int] | GapShareFloor | None = None
    province_ceiling_share: float | None = None
    rural_share_min: float | None = None
    enforce_parks: bool = True
    respect_locks: bool = True
    split_urban_rural: bool = True
    benefit_fill_breakpoints: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)
    benefit_weights: tuple[float, ...] = (1.0, 0.8, 0.6, 0.4, 0.1)
    first_office_weight: float = 2.0
    tie_break: float = 1e-6
    _floor_items: tuple[tuple[str, int], ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        errors: list[str] = []

        def positive_or_none(name: str) -> None:
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                errors.append(f"{name} must be a positive number or None, got {value!r}")

        if self.budget_licences is not None:
            budget = self.budget_licences
            if isinstance(budget, bool) or not float(budget).is_integer() or budget < 0:
                errors.append(f"budget_licences must be a whole number >= 0 or None, got {budget!r}")
            else:
                object.__setattr__(self, "budget_licences", int(budget))
        if self.budget_mode not in ("exact", "at_most"):
            errors.append(f"budget_mode must be 'exact' or 'at_most', got {self.budget_mode!r}")
        if self.loan_budget_rials is not None and not (
            math.isfinite(self.loan_budget_rials) and self.loan_budget_rials >= 0
        ):
            errors.append(f"loan_budget_rials must be >= 0 or None, got {self.loan_budget_rials!r}")
        for name in ("cost_urban_rials", "cost_rural_rials"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                errors.append(f"{name} must be positive, got {value!r}")
        if self.saturation_slack is not None and not (
            math.isfinite(self.saturation_slack) and self.saturation_slack >= 0
        ):
            errors.append(f"saturation_slack must be >= 0 or None, got {self.saturation_slack!r}")
        positive_or_none("min_catchment_urban")
        positive_or_none("min_catchment_rural")
        for name in ("province_ceiling_share", "rural_share_min"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and 0 <= value <= 1):
                errors.append(f"{name} must be a share in [0, 1] or None, got {value!r}")
        if self.rural_share_min is not None and not self.split_urban_rural:
            errors.append("rural_share_min needs split_urban_rural=True")

        floor = self.province_floor
        if isinstance(floor, GapShareFloor):
            if self.budget_licences is None:
                errors.append("a gap-share province floor needs budget_licences")
        elif floor is not None:
            if not isinstance(floor, Mapping):
                errors.append("province_floor must be a mapping {province_code: licences}, a GapShareFloor or None")
            else:
                items = []
                for code, value in floor.items():
                    if isinstance(value, bool) or not float(value).is_integer() or value < 0:
                        errors.append(f"province floor of {code} must be a whole number >= 0, got {value!r}")
                    else:
                        items.append((str(code), int(value)))
                object.__setattr__(self, "_floor_items", tuple(sorted(items)))

        breakpoints = tuple(float(b) for b in self.benefit_fill_breakpoints)
        weights = tuple(float(w) for w in self.benefit_weights)
        object.__setattr__(self, "benefit_fill_breakpoints", breakpoints)
        object.__setattr__(self, "benefit_weights", weights)
        if any(not (math.isfinite(b) and b > 0) for b in breakpoints) or any(
            b2 <= b1 for b1, b2 in zip(breakpoints, breakpoints[1:])
        ):
            errors.append(f"benefit_fill_breakpoints must be positive and strictly increasing, got {breakpoints}")
        if len(weights) != len(breakpoints) + 1:
            errors.append(
                f"benefit_weights needs {len(breakpoints) + 1} values (one more than the breakpoints), "
                f"got {len(weights)}"
            )
        if any(not (math.isfinite(w) and w > 0) for w in weights) or any(
            w2 > w1 for w1, w2 in zip(weights, weights[1:])
        ):
            errors.append(f"benefit_weights must be positive and non-increasing (diminishing returns), got {weights}")
        if not (math.isfinite(self.first_office_weight) and weights and self.first_office_weight >= weights[0]):
            errors.append(f"first_office_weight must be at least benefit_weights[0], got {self.first_office_weight!r}")
        if not (math.isfinite(self.tie_break) and 0 <= self.tie_break <= 1e-3):
            errors.append(f"tie_break must be in [0, 1e-3], got {self.tie_break!r}")
        if errors:
            raise ScenarioError("invalid allocation settings:\n" + "\n".join(f"- {e}" for e in errors))

    @property
    def province_floor_mapping(self) -> dict[str, int] | None:
        """The explicit province floors as a dict, or ``None`` when not a mapping."""
        if self.province_floor is None or isinstance(self.province_floor, GapShareFloor):
            return None
        return dict(self._floor_items)
