"""The allocation programme as plain arrays: areas, benefit segments, constraint rows.

Nothing here touches PuLP: :func:`formulate` turns validated inputs and settings
into a :class:`Formulation` -- numpy arrays describing the decision variables,
the concave benefit and every constraint group as sparse rows. The PuLP model
(:mod:`optimizer.model`) and the elastic diagnosis (:mod:`optimizer.diagnose`)
are both emitted from it, so they can never disagree about a constraint.

Areas
-----
The decision variables are the new licences ``x_k`` of each *area* ``k``: the
urban and the rural part of every unit when ``split_urban_rural`` (areas
``2i`` and ``2i + 1`` of unit ``i``), or the whole unit otherwise (area ``i``).
For a whole unit, population, existing offices and targets are the sums of
both parts; the viability limit is the sum of the two parts' limits; the loan
cost is the population-weighted mean of the urban and rural costs; a unit is
locked when either part is (a ``NaN`` part counts as zero).

Constraint rows
---------------
Every group is a set of rows ``sum_k a_rk x_k  (<=, =, >=)  b_r`` kept in
coordinate form and measured in licences (the loan row is divided by the
cheapest office cost, so a unit of violation is one office's loan).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.problem import AllocationInputs, AllocationSettings, GapShareFloor
from siting.errors import ScenarioError

#: Constraint senses of a row.
LE, EQ, GE = -1, 0, 1

#: Names of the constraint groups, in the order they are emitted and tested.
GROUP_NAMES = (
    "budget",
    "loan_budget",
    "saturation_cap",
    "viability",
    "province_floor",
    "province_ceiling",
    "industrial_parks",
    "rural_share",
    "locked",
)

#: Human names of the groups, for messages.
GROUP_TITLES = {
    "budget": "licence budget",
    "loan_budget": "loan budget",
    "saturation_cap": "saturation caps",
    "viability": "minimum catchments (viability)",
    "province_floor": "province floors",
    "province_ceiling": "province ceilings",
    "industrial_parks": "industrial parks",
    "rural_share": "rural share",
    "locked": "locked decisions",
}

_EPS = 1e-9


@dataclass(frozen=True, eq=False)
class AreaTable:
    """The decision areas (one integer variable each), aligned arrays.

    Attributes
    ----------
    unit_index : int array
        Unit (row of the inputs) each area belongs to.
    kind : str array
        ``"urban"``, ``"rural"`` or ``"total"``.
    label : str array
        ``"<unit_code> (urban)"`` etc., for messages.
    population, target : float arrays
    existing : int array
    locked : float array
        Locked new licences, ``NaN`` where free (also ``NaN`` everywhere when
        ``respect_locks`` is off).
    cost_rials : float array
        Loan per new office.
    cap_limit : float array
        Offices allowed by the saturation cap, ``floor(target * (1 + slack))``;
        ``inf`` when caps are off.
    viability_limit : float array
        Offices allowed by the minimum catchment, ``floor(population /
        min_catchment)``, or the market-based limit of the inputs
        (``viable_urban`` / ``viable_rural``) where given; ``inf`` when off.
    rank : int array
        Position of the area in the fixed tie-breaking order: units sorted by
        code, urban before rural.
    """

    unit_index: np.ndarray
    kind: np.ndarray
    label: np.ndarray
    population: np.ndarray
    existing: np.ndarray
    target: np.ndarray
    locked: np.ndarray
    cost_rials: np.ndarray
    cap_limit: np.ndarray
    viability_limit: np.ndarray
    rank: np.ndarray

    @property
    def size(self) -> int:
        """Number of areas."""
        return int(self.unit_index.shape[0])

    @property
    def upper_room(self) -> np.ndarray:
        """New licences allowed by caps and viability together (``>= 0``, maybe ``inf``)."""
        return np.maximum(np.minimum(self.cap_limit, self.viability_limit) - self.existing, 0.0)


@dataclass(frozen=True, eq=False)
class ConstraintGroup:
    """One switchable group of constraint rows, in coordinate form.

    Attributes
    ----------
    name : str
        One of :data:`GROUP_NAMES`.
    row_label : str array
        What each row is about (a province, a unit, ``"national"``).
    row_sense : int array
        :data:`LE`, :data:`EQ` or :data:`GE` per row.
    row_rhs : float array
        Right-hand side per row, in licences.
    entry_row, entry_area : int arrays
        Row and area of each nonzero coefficient.
    entry_coef : float array
        The coefficient.
    rhs_unit : float
        What one unit of the right-hand side is worth in the group's own
        measure (rials per unit for the loan budget, 1 otherwise).
    """

    name: str
    row_label: np.ndarray
    row_sense: np.ndarray
    row_rhs: np.ndarray
    entry_row: np.ndarray
    entry_area: np.ndarray
    entry_coef: np.ndarray
    rhs_unit: float = 1.0

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return int(self.row_rhs.shape[0])

    @property
    def title(self) -> str:
        """Human name of the group."""
        return GROUP_TITLES[self.name]

    def activity(self, new: np.ndarray) -> np.ndarray:
        """Left-hand side of every row for the licences ``new`` (one per area)."""
        return np.bincount(self.entry_row, weights=self.entry_coef * new[self.entry_area], minlength=self.n_rows)

    def violation(self, new: np.ndarray) -> np.ndarray:
        """By how much each row is violated by ``new`` (0 where it holds)."""
        gap = self.activity(new) - self.row_rhs
        return np.where(
            self.row_sense == LE, np.maximum(gap, 0), np.where(self.row_sense == GE, np.maximum(-gap, 0), np.abs(gap))
        )


@dataclass(frozen=True, eq=False)
class BenefitSegments:
    """The concave piecewise-linear benefit, as segments of consecutive licences.

    Segment ``s`` of area ``area[s]`` holds that area's new licences number
    ``start[s] + 1`` to ``start[s] + width[s]``; each is worth ``coef[s]`` on the
    normalised objective. Within an area the segments are consecutive and
    their coefficients non-increasing, so the benefit of ``x`` new licences is
    ``sum_s coef_s * clip(x - start_s, 0, width_s)`` -- concave in ``x``.
    """

    area: np.ndarray
    start: np.ndarray
    width: np.ndarray
    coef: np.ndarray

    def value(self, new: np.ndarray) -> float:
        """Normalised benefit of the licences ``new`` (one per area)."""
        filled = np.clip(new[self.area] - self.start, 0, self.width)
        return float(np.sum(self.coef * filled))


@dataclass(frozen=True, eq=False)
class Formulation:
    """Everything the model needs, as arrays.

    Attributes
    ----------
    areas : AreaTable
    segments : BenefitSegments
    tie_break_cost : float array
        Per-area cost subtracted from the normalised objective per licence.
    benefit_scale : float
        Multiply a normalised objective by this to get need-weighted benefit.
    groups : tuple of ConstraintGroup
        The groups switched on, in :data:`GROUP_NAMES` order.
    budget_licences : int or None
        The licence budget, for messages.
    """

    areas: AreaTable
    segments: BenefitSegments
    tie_break_cost: np.ndarray
    benefit_scale: float
    groups: tuple[ConstraintGroup, ...]
    budget_licences: int | None

    def group(self, name: str) -> ConstraintGroup | None:
        """The group called ``name``, or ``None`` when it is switched off."""
        return next((g for g in self.groups if g.name == name), None)

    @property
    def group_names(self) -> tuple[str, ...]:
        """Names of the groups switched on."""
        return tuple(g.name for g in self.groups)


def area_table(inputs: AllocationInputs, settings: AllocationSettings) -> AreaTable:
    """Build the decision areas of ``inputs`` under ``settings`` (see module docstring)."""
    n_units = inputs.n_units
    locked_u = inputs.locked_urban if settings.respect_locks else np.full(n_units, np.nan)
    locked_r = inputs.locked_rural if settings.respect_locks else np.full(n_units, np.nan)
    mc_u = np.inf if settings.min_catchment_urban is None else settings.min_catchment_urban
    mc_r = np.inf if settings.min_catchment_rural is None else settings.min_catchment_rural
    # floor(pop / inf) = 0 would forbid everything: an absent minimum means no limit.
    limit_u = np.floor(inputs.urban_population / mc_u + _EPS) if np.isfinite(mc_u) else np.full(n_units, np.inf)
    limit_r = np.floor(inputs.rural_population / mc_r + _EPS) if np.isfinite(mc_r) else np.full(n_units, np.inf)
    # The siting layer's market-based limits, where given, replace the residents-per-office rule.
    limit_u = np.where(np.isnan(inputs.viable_urban), limit_u, inputs.viable_urban)
    limit_r = np.where(np.isnan(inputs.viable_rural), limit_r, inputs.viable_rural)
    order = np.argsort(inputs.unit_code, kind="stable")
    unit_rank = np.empty(n_units, dtype=np.int64)
    unit_rank[order] = np.arange(n_units)

    if settings.split_urban_rural:
        unit_index = np.repeat(np.arange(n_units), 2)
        kind = np.tile(np.array(["urban", "rural"]), n_units)

        def interleave(urban: np.ndarray, rural: np.ndarray) -> np.ndarray:
            return np.column_stack([urban, rural]).reshape(-1)

        population = interleave(inputs.urban_population, inputs.rural_population)
        existing = interleave(inputs.existing_urban, inputs.existing_rural)
        target = interleave(inputs.target_urban, inputs.target_rural)
        locked = interleave(locked_u, locked_r)
        cost = np.tile([settings.cost_urban_rials, settings.cost_rural_rials], n_units).astype(float)
        viability = interleave(limit_u, limit_r)
        rank = interleave(2 * unit_rank, 2 * unit_rank + 1)
    else:
        unit_index = np.arange(n_units)
        kind = np.full(n_units, "total")
        population = inputs.urban_population + inputs.rural_population
        existing = inputs.existing_urban + inputs.existing_rural
        target = inputs.target_urban + inputs.target_rural
        any_lock = ~np.isnan(locked_u) | ~np.isnan(locked_r)
        locked = np.where(any_lock, np.nan_to_num(locked_u) + np.nan_to_num(locked_r), np.nan)
        share_urban = np.divide(inputs.urban_population, population, out=np.full(n_units, 0.5), where=population > 0)
        cost = share_urban * settings.cost_urban_rials + (1 - share_urban) * settings.cost_rural_rials
        viability = limit_u + limit_r
        rank = unit_rank

    if settings.saturation_slack is None:
        cap = np.full(unit_index.shape[0], np.inf)
    else:
        cap = np.floor(target * (1 + settings.saturation_slack) + _EPS)
    label = np.char.add(np.char.add(inputs.unit_code[unit_index], " ("), np.char.add(kind, ")"))
    return AreaTable(
        unit_index=unit_index,
        kind=kind,
        label=label,
        population=population.astype(float),
        existing=existing.astype(np.int64),
        target=target.astype(float),
        locked=locked.astype(float),
        cost_rials=cost.astype(float),
        cap_limit=cap.astype(float),
        viability_limit=viability.astype(float),
        rank=rank.astype(np.int64),
    )


def benefit_segments(
    areas: AreaTable, score: np.ndarray, settings: AllocationSettings
) -> tuple[BenefitSegments, float]:
    """The concave benefit of every area, normalised so the largest coefficient is 1.

    Office number ``m`` of an area (counting from 0, existing offices first) is
    worth ``score * w(m)`` where ``w(m)`` is ``first_office_weight`` for
    ``m = 0`` when the target is positive, and otherwise the weight of the
    fill-ratio band holding ``m / target`` (``benefit_weights[j]`` for
    ``breakpoint[j-1] <= m / target < breakpoint[j]``; the last weight when the
    target is 0). New licences take offices ``existing, existing + 1, ...``, so
    the first new office of an unserved area is worth the most and benefit
    falls as the area fills up towards and past its target. Segments are cut
    at the new-licence room left by caps and viability (when finite).

    Returns
    -------
    segments : BenefitSegments
    scale : float
        The largest un-normalised coefficient (1 when all are 0).
    """
    breakpoints = np.asarray(settings.benefit_fill_breakpoints)
    weights = np.asarray(settings.benefit_weights)
    target = areas.target[:, None]
    # Office-count boundaries of the bands: [0, 1), [1, c_1), [c_1, c_2), ..., [c_J, inf).
    inner = np.maximum(1.0, np.ceil(breakpoints[None, :] * target - _EPS))
    lower = np.hstack([np.zeros_like(target), np.ones_like(target), inner])
    upper = np.hstack([np.ones_like(target), inner, np.full_like(target, np.inf)])
    first = np.where(areas.target > 0, settings.first_office_weight, weights[-1])
    band_weight = np.hstack([first[:, None], np.broadcast_to(weights, (areas.size, weights.size))])

    existing = areas.existing[:, None].astype(float)
    reach = existing + areas.upper_room[:, None]
    width = np.minimum(upper, reach) - np.maximum(lower, existing)
    start = np.maximum(lower, existing) - existing
    coef = score[areas.unit_index][:, None] * band_weight
    keep = width > 0
    scale = float(coef[keep].max()) if keep.any() and coef[keep].max() > 0 else 1.0
    area_of = np.broadcast_to(np.arange(areas.size)[:, None], keep.shape)
    segments = BenefitSegments(
        area=area_of[keep].astype(np.int64),
        start=start[keep],
        width=width[keep],
        coef=coef[keep] / scale,
    )
    return segments, scale


def tie_break_cost(areas: AreaTable, settings: AllocationSettings) -> np.ndarray:
    """Deterministic tie-breaking cost per licence: ``tie_break * (1 + rank / K)``.

    Among plans of equal benefit it prefers fewer licences, then licences in
    areas earlier in the fixed order (units by code, urban first). The cost is
    below ``2 * tie_break`` of the largest marginal benefit per licence.
    """
    return settings.tie_break * (1.0 + areas.rank / max(areas.size, 1))


def _group(
    name: str,
    labels: np.ndarray,
    sense: np.ndarray | int,
    rhs: np.ndarray,
    entry_row: np.ndarray,
    entry_area: np.ndarray,
    entry_coef: np.ndarray,
    rhs_unit: float = 1.0,
) -> ConstraintGroup | None:
    """A group with its entries sorted by (row, area) and duplicate entries summed."""
    rhs = np.asarray(rhs, dtype=float).reshape(-1)
    if rhs.size == 0:
        return None
    entry_row = np.asarray(entry_row, dtype=np.int64)
    entry_area = np.asarray(entry_area, dtype=np.int64)
    n_cols = int(entry_area.max()) + 1 if entry_area.size else 1
    keys, position = np.unique(entry_row * n_cols + entry_area, return_inverse=True)
    coefs = np.bincount(position, weights=np.asarray(entry_coef, dtype=float), minlength=keys.size)
    nonzero = coefs != 0
    return ConstraintGroup(
        name=name,
        row_label=np.asarray(labels).astype(str).reshape(-1),
        row_sense=np.broadcast_to(np.asarray(sense, dtype=np.int8), rhs.shape).copy(),
        row_rhs=rhs,
        entry_row=(keys // n_cols)[nonzero],
        entry_area=(keys % n_cols)[nonzero],
        entry_coef=coefs[nonzero],
        rhs_unit=rhs_unit,
    )


def _single_area_rows(
    name: str, areas: AreaTable, mask: np.ndarray, sense: int, rhs: np.ndarray
) -> ConstraintGroup | None:
    """One row ``x_k (sense) rhs_k`` per area in ``mask``."""
    chosen = np.flatnonzero(mask)
    return _group(name, areas.label[chosen], sense, rhs[chosen], np.arange(chosen.size), chosen, np.ones(chosen.size))


def _province_rows(inputs: AllocationInputs, areas: AreaTable) -> tuple[np.ndarray, np.ndarray]:
    """Province codes (sorted) and the province row of every area."""
    provinces, row_of_area = np.unique(inputs.province_code[areas.unit_index], return_inverse=True)
    return provinces, row_of_area


def constraint_groups(
    inputs: AllocationInputs, areas: AreaTable, settings: AllocationSettings
) -> tuple[ConstraintGroup, ...]:
    """All switched-on constraint groups as rows (see module docstring)."""
    n_areas = areas.size
    all_areas = np.arange(n_areas)
    budget = settings.budget_licences
    groups: list[ConstraintGroup | None] = []

    if budget is not None:
        sense = EQ if settings.budget_mode == "exact" else LE
        groups.append(_group("budget", ["national"], sense, [budget], np.zeros(n_areas), all_areas, np.ones(n_areas)))

    if settings.loan_budget_rials is not None:
        unit_cost = float(areas.cost_rials.min())
        groups.append(
            _group(
                "loan_budget",
                ["national"],
                LE,
                [settings.loan_budget_rials / unit_cost],
                np.zeros(n_areas),
                all_areas,
                areas.cost_rials / unit_cost,
                rhs_unit=unit_cost,
            )
        )

    if settings.saturation_slack is not None:
        room = np.maximum(areas.cap_limit - areas.existing, 0)
        groups.append(_single_area_rows("saturation_cap", areas, np.ones(n_areas, bool), LE, room))

    finite_viability = np.isfinite(areas.viability_limit)
    if finite_viability.any():
        room = np.maximum(np.where(finite_viability, areas.viability_limit, 0) - areas.existing, 0)
        groups.append(_single_area_rows("viability", areas, finite_viability, LE, room))

    provinces, province_row = _province_rows(inputs, areas)
    floors = province_floors(inputs, areas, settings, provinces)
    if floors is not None:
        in_floor = floors[province_row] > 0
        row_map = np.cumsum(floors > 0) - 1
        groups.append(
            _group(
                "province_floor",
                provinces[floors > 0],
                GE,
                floors[floors > 0],
                row_map[province_row[in_floor]],
                all_areas[in_floor],
                np.ones(in_floor.sum()),
            )
        )

    share = settings.province_ceiling_share
    if share is not None:
        if budget is not None:
            ceiling = np.floor(share * budget + _EPS)
            groups.append(
                _group(
                    "province_ceiling",
                    provinces,
                    LE,
                    np.full(provinces.size, ceiling),
                    province_row,
                    all_areas,
                    np.ones(n_areas),
                )
            )
        else:
            # sum_{k in p} x_k - share * sum_k x_k <= 0 for every province p.
            rows = np.concatenate([province_row, np.repeat(np.arange(provinces.size), n_areas)])
            cols = np.concatenate([all_areas, np.tile(all_areas, provinces.size)])
            coefs = np.concatenate([np.ones(n_areas), np.full(n_areas * provinces.size, -share)])
            groups.append(_group("province_ceiling", provinces, LE, np.zeros(provinces.size), rows, cols, coefs))

    if settings.enforce_parks:
        existing_total = inputs.existing_urban + inputs.existing_rural
        needy = np.flatnonzero(inputs.has_industrial_park & (existing_total == 0))
        row_of_unit = np.full(inputs.n_units, -1)
        row_of_unit[needy] = np.arange(needy.size)
        in_park = row_of_unit[areas.unit_index] >= 0
        groups.append(
            _group(
                "industrial_parks",
                inputs.unit_code[needy],
                GE,
                np.ones(needy.size),
                row_of_unit[areas.unit_index[in_park]],
                all_areas[in_park],
                np.ones(in_park.sum()),
            )
        )

    if settings.rural_share_min is not None:
        y = settings.rural_share_min
        coefs = np.where(areas.kind == "rural", 1 - y, -y)
        groups.append(_group("rural_share", ["national"], GE, [0.0], np.zeros(n_areas), all_areas, coefs))

    locked = ~np.isnan(areas.locked)
    if locked.any():
        groups.append(_single_area_rows("locked", areas, locked, EQ, areas.locked))

    return tuple(g for g in groups if g is not None)


def province_floors(
    inputs: AllocationInputs, areas: AreaTable, settings: AllocationSettings, provinces: np.ndarray
) -> np.ndarray | None:
    """Minimum new licences of each province in ``provinces``, or ``None`` when off.

    Raises
    ------
    siting.errors.ScenarioError
        When a floor names a province that is not in the inputs.
    """
    rule = settings.province_floor
    if rule is None:
        return None
    if isinstance(rule, GapShareFloor):
        _, province_row = _province_rows(inputs, areas)
        gap = np.bincount(province_row, weights=np.maximum(areas.target - areas.existing, 0), minlength=provinces.size)
        total_gap = gap.sum()
        share = gap / total_gap if total_gap > 0 else np.zeros(provinces.size)
        floors = np.floor(rule.fraction * settings.budget_licences * share + _EPS)
        if rule.provinces is not None:
            unknown = sorted(rule.provinces - set(provinces.tolist()))
            if unknown:
                raise ScenarioError(f"province floor names unknown province(s): {', '.join(unknown)}")
            floors = np.where(np.isin(provinces, sorted(rule.provinces)), floors, 0)
        return floors
    mapping = settings.province_floor_mapping or {}
    unknown = sorted(set(mapping) - set(provinces.tolist()))
    if unknown:
        raise ScenarioError(f"province floor names unknown province(s): {', '.join(unknown)}")
    return np.array([mapping.get(code, 0) for code in provinces.tolist()], dtype=float)


def formulate(inputs: AllocationInputs, settings: AllocationSettings) -> Formulation:
    """Turn ``inputs`` and ``settings`` into a :class:`Formulation`.

    Raises
    ------
    siting.errors.ScenarioError
        When the scenario is unbounded (nothing limits the number of licences
        in some unit with a positive score) or names unknown provinces.
    """
    areas = area_table(inputs, settings)
    if settings.budget_licences is None and settings.loan_budget_rials is None:
        unbounded = np.isinf(areas.upper_room) & (inputs.score[areas.unit_index] > 0)
        if unbounded.any():
            raise ScenarioError(
                "nothing limits the number of licences in "
                f"{int(unbounded.sum())} area(s) (e.g. {areas.label[unbounded][0]}): set budget_licences or "
                "loan_budget_rials, or switch on saturation caps or minimum catchments"
            )
    segments, scale = benefit_segments(areas, inputs.score, settings)
    return Formulation(
        areas=areas,
        segments=segments,
        tie_break_cost=tie_break_cost(areas, settings),
        benefit_scale=scale,
        groups=constraint_groups(inputs, areas, settings),
        budget_licences=settings.budget_licences,
    )
