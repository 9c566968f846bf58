"""Which constraints a plan runs into: the rows that hold with equality.

A licence left unspent, or a unit that gets no more, is explained by the rows
that are tight at the plan: a full saturation cap, a province at its ceiling,
the loan budget spent. Computed from the formulation's arrays and the plan
alone (no duals: the programme is an integer one).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.formulation import EQ, Formulation
from optimizer.solve import AllocationResult

#: How close (in licences, or rials for the loan budget) a row must be to its bound to count as tight.
TIGHT_TOLERANCE = 1e-6


def area_licences(formulation: Formulation, result: AllocationResult) -> np.ndarray:
    """The plan's new licences per decision area of ``formulation`` (urban, rural or whole unit)."""
    areas = formulation.areas
    if result.new_total is None:
        raise ValueError("the result holds no plan")
    by_kind = {"urban": result.new_urban, "rural": result.new_rural, "total": result.new_total}
    licences = np.zeros(areas.size)
    for kind, per_unit in by_kind.items():
        chosen = areas.kind == kind
        if per_unit is not None and chosen.any():
            licences[chosen] = np.asarray(per_unit, dtype=float)[areas.unit_index[chosen]]
    return licences


def tight_rows(formulation: Formulation, licences: np.ndarray) -> pd.DataFrame:
    """Every row of every group with its activity, bound and whether it is tight.

    Returns
    -------
    DataFrame
        One row per constraint row: ``group``, ``title``, ``row_label``,
        ``activity``, ``rhs``, ``tight``. Equality rows are always tight.
    """
    parts = []
    for group in formulation.groups:
        activity = group.activity(licences)
        tolerance = TIGHT_TOLERANCE * max(group.rhs_unit, 1.0)
        tight = (group.row_sense == EQ) | (np.abs(activity - group.row_rhs) <= tolerance)
        parts.append(pd.DataFrame({"group": group.name, "title": group.title, "row_label": group.row_label,
                                   "activity": activity, "rhs": group.row_rhs, "tight": tight}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["group", "title", "row_label", "activity", "rhs", "tight"])


def binding_by_area(formulation: Formulation, licences: np.ndarray) -> pd.DataFrame:
    """For each decision area, the tight groups among the rows it appears in.

    Caps and viability limits that became variable bounds are read from the
    area table: an area whose licences reach its room under the cap or the
    catchment minimum is bound by that.

    Returns
    -------
    DataFrame
        One row per area: ``unit_index``, ``kind``, ``label``, ``licences``,
        ``room`` (new licences caps and viability allow) and ``binding`` (the
        titles of the tight groups, "; "-joined, empty when none).
    """
    areas = formulation.areas
    titles: list[set[str]] = [set() for _ in range(areas.size)]
    for group in formulation.groups:
        activity = group.activity(licences)
        tight_row = (group.row_sense == EQ) | (np.abs(activity - group.row_rhs) <= TIGHT_TOLERANCE * max(group.rhs_unit, 1.0))
        for area in np.unique(group.entry_area[tight_row[group.entry_row]]):
            titles[area].add(group.title)
    room = areas.upper_room
    full = np.isfinite(room) & (licences >= room - TIGHT_TOLERANCE)
    cap_room = np.maximum(areas.cap_limit - areas.existing, 0)
    viability_room = np.maximum(areas.viability_limit - areas.existing, 0)
    for area in np.flatnonzero(full):
        if cap_room[area] <= viability_room[area]:
            titles[area].add("saturation caps")
        if viability_room[area] <= cap_room[area]:
            titles[area].add("minimum catchments (viability)")
    return pd.DataFrame({"unit_index": areas.unit_index, "kind": areas.kind, "label": areas.label,
                         "licences": licences, "room": room,
                         "binding": ["; ".join(sorted(t)) for t in titles]})


def unspent_facts(formulation: Formulation, licences: np.ndarray, budget: int) -> dict:
    """Why ``budget - sum(licences)`` licences could not be placed, as numbers and names.

    Returns
    -------
    dict
        ``unspent``, ``budget``; ``tight``: for each tight group other than the budget,
        ``{"group", "rows", "labels"}`` (its first eight row labels); ``areas``, ``capped``
        (areas with no room left under their cap or catchment), ``open`` (areas with room)
        and ``room`` (the licences those could still take).
    """
    rows = tight_rows(formulation, licences)
    tight = rows[rows["tight"] & (rows["group"] != "budget")]
    by_area = binding_by_area(formulation, licences)
    room_left = np.where(np.isfinite(by_area["room"]), by_area["room"] - by_area["licences"], np.inf)
    open_areas = np.isfinite(room_left) & (room_left > TIGHT_TOLERANCE)
    return {
        "unspent": int(round(budget - licences.sum())),
        "budget": int(budget),
        "tight": [{"group": str(name), "rows": len(part), "labels": [str(v) for v in part["row_label"].tolist()[:8]]}
                  for name, part in tight.groupby("group", sort=False)],
        "areas": int(formulation.areas.size),
        "capped": int((room_left <= TIGHT_TOLERANCE).sum()),
        "open": int(open_areas.sum()),
        "room": int(room_left[open_areas].sum()) if open_areas.any() else 0,
    }
