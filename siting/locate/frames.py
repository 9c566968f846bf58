"""Thin adapters: (Geo)DataFrames of settlements, candidate sites and existing offices → the array models.

Settlements and candidates have the columns ``settlement_code``, ``name_fa``,
``name_en``, ``lon``, ``lat``, ``population``, ``unit_code`` (a GeoDataFrame of
points may carry its coordinates in ``geometry`` instead of ``lon``/``lat``);
existing offices need ``lon`` and ``lat`` (and ``settlement_code`` when travel
times are used). The site columns of every model are *existing offices first,
then candidates*: in a result, site ``i < len(existing)`` is ``existing.iloc[i]``
and site ``i ≥ len(existing)`` is ``candidates.iloc[i - len(existing)]``
(see :func:`chosen_candidates`). Distances are great-circle km found with a
KD-tree, or minutes from a travel-time file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from siting.locate._inputs import LocationInputError
from siting.locate.attendance import solve_attendance
from siting.locate.decay import Decay
from siting.locate.distances import MatrixNeighbours, TreeNeighbours, read_travel_times, within_radius
from siting.locate.lscp import solve_lscp
from siting.locate.mclp import solve_mclp
from siting.locate.huff import competitor_attraction, solve_max_share, solve_target_share
from siting.locate.mip import MipSolver
from siting.locate.pmedian import solve_pmedian
from siting.locate.result import SitingResult

__all__ = ["mclp_from_frames", "lscp_from_frames", "pmedian_from_frames", "attendance_from_frames",
           "share_from_frames", "chosen_candidates"]

CandidateRule = np.ndarray | str | Callable[[pd.DataFrame], Any] | None


def _lonlat(df: pd.DataFrame, what: str) -> np.ndarray:
    if {"lon", "lat"} <= set(df.columns):
        xy = df[["lon", "lat"]].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    elif "geometry" in df.columns and hasattr(df, "crs"):
        g = df if df.crs is None or df.crs.to_epsg() == 4326 else df.to_crs(4326)
        xy = np.column_stack([g.geometry.x.to_numpy(), g.geometry.y.to_numpy()])
    else:
        raise LocationInputError(f"{what}: needs 'lon' and 'lat' columns (or point geometries)")
    bad = ~np.isfinite(xy).all(axis=1) | (np.abs(xy[:, 1]) > 90) | (np.abs(xy[:, 0]) > 180)
    if bad.any():
        raise LocationInputError(f"{what}: invalid coordinates in row(s) {np.flatnonzero(bad)[:10].tolist()}")
    return xy


def _population(df: pd.DataFrame, column: str) -> np.ndarray:
    if column not in df.columns:
        raise LocationInputError(f"settlements: missing column '{column}'")
    w = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        raise LocationInputError(f"settlements: '{column}' must be a non-negative number (row(s) "
                                 f"{np.flatnonzero(bad)[:10].tolist()})")
    return w


def _candidate_mask(candidates: pd.DataFrame, rule: CandidateRule, min_population: float | None) -> np.ndarray:
    mask = np.ones(len(candidates), dtype=bool)
    if rule is not None:
        if isinstance(rule, str):
            if rule not in candidates.columns:
                raise LocationInputError(f"candidates: no column '{rule}' for the candidate rule")
            mask &= candidates[rule].fillna(False).astype(bool).to_numpy()
        elif callable(rule):
            mask &= np.asarray(rule(candidates), dtype=bool)
        else:
            mask &= np.asarray(rule, dtype=bool)
    if min_population is not None:
        mask &= _population(candidates, "population") >= min_population
    return mask


def _sites(candidates: pd.DataFrame, existing: pd.DataFrame | None, rule: CandidateRule,
           min_population: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Site coordinates (existing first), existing indices, and the allowed mask over all sites."""
    ex = existing if existing is not None else pd.DataFrame({"lon": [], "lat": []})
    ex_xy = _lonlat(ex, "existing offices") if len(ex) else np.zeros((0, 2))
    c_xy = _lonlat(candidates, "candidates")
    allowed = np.concatenate([np.zeros(len(ex), dtype=bool), _candidate_mask(candidates, rule, min_population)])
    return np.vstack([ex_xy, c_xy]), np.arange(len(ex)), allowed


def _site_ids(candidates: pd.DataFrame, existing: pd.DataFrame | None) -> np.ndarray:
    ex = existing if existing is not None else pd.DataFrame({"settlement_code": []})
    for df, what in ((candidates, "candidates"), (ex, "existing offices")):
        if len(df) and "settlement_code" not in df.columns:
            raise LocationInputError(f"{what}: travel times need a 'settlement_code' column")
    return np.concatenate([ex.get("settlement_code", pd.Series([], dtype=str)).astype(str).to_numpy(),
                           candidates["settlement_code"].astype(str).to_numpy()])


def _coverage(settlements: pd.DataFrame, sites_xy: np.ndarray, radius: float, travel_times: str | Path | None,
              site_ids: Callable[[], np.ndarray]) -> tuple[sp.csr_matrix, float | None]:
    """Distances of the pairs to consider, and the radius still to apply (``None``: all pairs cover)."""
    if travel_times is not None:
        minutes = read_travel_times(travel_times, settlements["settlement_code"].astype(str).to_numpy(), site_ids())
        return minutes, float(radius)
    xy = _lonlat(settlements, "settlements")
    return within_radius(xy[:, 0], xy[:, 1], sites_xy[:, 0], sites_xy[:, 1], radius), None


def _must(settlements: pd.DataFrame, must_cover: np.ndarray | str | None) -> np.ndarray | None:
    if isinstance(must_cover, str):
        if must_cover not in settlements.columns:
            raise LocationInputError(f"settlements: no column '{must_cover}' for must-cover")
        return settlements[must_cover].fillna(False).astype(bool).to_numpy()
    return must_cover


def mclp_from_frames(
    settlements: pd.DataFrame,
    candidates: pd.DataFrame,
    radius: float,
    p: int,
    *,
    existing: pd.DataFrame | None = None,
    candidate_rule: CandidateRule = None,
    min_candidate_population: float | None = None,
    must_cover: np.ndarray | str | None = None,
    capacities: np.ndarray | float | None = None,
    travel_times: str | Path | None = None,
    population_column: str = "population",
    solver: MipSolver | None = None,
) -> SitingResult:
    """Maximal covering from data frames; ``radius`` in km (or minutes with ``travel_times``).

    ``candidate_rule`` is a boolean column name, a mask, or a function of the
    candidates frame (e.g. ``lambda c: c.is_county_seat``); ``must_cover`` a
    boolean column name or mask of settlements. See :func:`~siting.locate.solve_mclp`.
    """
    sites_xy, ex, allowed = _sites(candidates, existing, candidate_rule, min_candidate_population)
    cov, r = _coverage(settlements, sites_xy, radius, travel_times, lambda: _site_ids(candidates, existing))
    return solve_mclp(_population(settlements, population_column), cov, p, existing_sites=ex,
                      candidate_mask=allowed, must_cover=_must(settlements, must_cover), capacities=capacities,
                      service_radius=r, solver=solver)


def lscp_from_frames(
    settlements: pd.DataFrame,
    candidates: pd.DataFrame,
    radius: float,
    *,
    existing: pd.DataFrame | None = None,
    candidate_rule: CandidateRule = None,
    min_candidate_population: float | None = None,
    min_population: float | None = None,
    must_cover: np.ndarray | str | None = None,
    capacities: np.ndarray | float | None = None,
    travel_times: str | Path | None = None,
    population_column: str = "population",
    solver: MipSolver | None = None,
) -> SitingResult:
    """Set covering from data frames: every settlement (or every one with at least
    ``min_population`` people, or the ``must_cover`` ones) within ``radius``."""
    sites_xy, ex, allowed = _sites(candidates, existing, candidate_rule, min_candidate_population)
    cov, r = _coverage(settlements, sites_xy, radius, travel_times, lambda: _site_ids(candidates, existing))
    w = _population(settlements, population_column)
    req = _must(settlements, must_cover)
    if min_population is not None:
        above = w >= min_population
        req = above if req is None else (np.asarray(req, bool) & above)
    return solve_lscp(cov, weights=w, must_cover=req, existing_sites=ex, candidate_mask=allowed,
                      capacities=capacities, service_radius=r, solver=solver)


def pmedian_from_frames(
    settlements: pd.DataFrame,
    candidates: pd.DataFrame,
    p: int,
    *,
    existing: pd.DataFrame | None = None,
    candidate_rule: CandidateRule = None,
    min_candidate_population: float | None = None,
    must_cover: np.ndarray | str | None = None,
    service_radius: float | None = None,
    capacities: np.ndarray | float | None = None,
    travel_times: str | Path | None = None,
    population_column: str = "population",
    solver: MipSolver | None = None,
) -> SitingResult:
    """p-median from data frames: great-circle km from a KD-tree (lists grown on
    demand, no matrix) or minutes from ``travel_times`` (missing pairs = no path)."""
    sites_xy, ex, allowed = _sites(candidates, existing, candidate_rule, min_candidate_population)
    if travel_times is not None:
        minutes = read_travel_times(travel_times, settlements["settlement_code"].astype(str).to_numpy(),
                                    _site_ids(candidates, existing))
        source = MatrixNeighbours(minutes)
    else:
        source = TreeNeighbours(_lonlat(settlements, "settlements"), sites_xy, geodesic=True)
    return solve_pmedian(_population(settlements, population_column), source, p, existing_sites=ex,
                         candidate_mask=allowed, must_cover=_must(settlements, must_cover),
                         service_radius=service_radius, capacities=capacities, solver=solver)


def attendance_from_frames(
    settlements: pd.DataFrame,
    candidates: pd.DataFrame,
    p: int,
    decay: Decay,
    *,
    existing: pd.DataFrame | None = None,
    candidate_rule: CandidateRule = None,
    min_candidate_population: float | None = None,
    population_column: str = "population",
    capacities: np.ndarray | float | None = None,
    allow_split: bool = False,
    solver: MipSolver | None = None,
) -> SitingResult:
    """Maximise attendance from data frames: great-circle km within ``decay.cutoff``. See
    :func:`~siting.locate.attendance.solve_attendance`."""
    sites_xy, ex, allowed = _sites(candidates, existing, candidate_rule, min_candidate_population)
    distances, _ = _coverage(settlements, sites_xy, decay.cutoff, None, lambda: _site_ids(candidates, existing))
    return solve_attendance(_population(settlements, population_column), distances, p, decay, existing_sites=ex,
                            candidate_mask=allowed, capacities=capacities, allow_split=allow_split, solver=solver)


def share_from_frames(
    settlements: pd.DataFrame,
    candidates: pd.DataFrame,
    competitors: pd.DataFrame | None,
    decay: Decay,
    *,
    p: int | None = None,
    target_share: float | None = None,
    existing: pd.DataFrame | None = None,
    candidate_rule: CandidateRule = None,
    min_candidate_population: float | None = None,
    population_column: str = "population",
    capacities: np.ndarray | float | None = None,
    allow_split: bool = False,
    solver: MipSolver | None = None,
) -> SitingResult:
    """Huff market share from data frames: ``p`` new sites maximising the share, or (with
    ``target_share``) the fewest reaching it. Every office, ours or a competitor's, has
    attractiveness 1; ``capacities`` caps the visits each of our offices serves.
    See :mod:`siting.locate.huff`."""
    if (p is None) == (target_share is None):
        raise LocationInputError("give either p (maximise the share) or target_share (fewest sites reaching it)")
    sites_xy, ex, allowed = _sites(candidates, existing, candidate_rule, min_candidate_population)
    distances, _ = _coverage(settlements, sites_xy, decay.cutoff, None, lambda: _site_ids(candidates, existing))
    w = _population(settlements, population_column)
    if competitors is not None and len(competitors):
        rivals_xy = _lonlat(competitors, "competitor offices")
        xy = _lonlat(settlements, "settlements")
        rivals = competitor_attraction(within_radius(xy[:, 0], xy[:, 1], rivals_xy[:, 0], rivals_xy[:, 1], decay.cutoff), decay)
    else:
        rivals = np.zeros(len(settlements))
    common = dict(existing_sites=ex, candidate_mask=allowed, capacities=capacities, allow_split=allow_split, solver=solver)
    if p is not None:
        return solve_max_share(w, distances, rivals, p, decay, **common)
    return solve_target_share(w, distances, rivals, float(target_share), decay, **common)


def chosen_candidates(result: SitingResult, candidates: pd.DataFrame, existing: pd.DataFrame | None = None) -> pd.DataFrame:
    """The rows of ``candidates`` chosen as new sites, in site order."""
    n_ex = 0 if existing is None else len(existing)
    return candidates.iloc[np.asarray(result.selected) - n_ex]
