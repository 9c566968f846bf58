"""Placing licences on settlements: which towns and villages host the new offices.

After the county plan, each unit's new licences are placed on its settlements by
maximal covering (MCLP, p = the unit's allocation, its open offices fixed), and
rolled up to a national site list. Standalone, one national model — MCLP, LSCP
or p-median — chooses sites over all settlements. The models are in
:mod:`siting.locate`; this module turns a dataset into their inputs and their
results into the site and coverage tables.

GeoNames lists places of 500+ inhabitants, so on the official data rural
licences land on the listed places nearest to the villages; a planner's own
settlement file (data contract) gives village-level siting.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from siting.data.dataset import Dataset
from siting.errors import ScenarioError
from siting.indicators import active_offices, ancestor_codes, nearest_site
from siting.locate import (
    HighsSolver,
    attendance_from_frames,
    chosen_candidates,
    lscp_from_frames,
    mclp_from_frames,
    pmedian_from_frames,
    share_from_frames,
)
from siting.scenario import SiteSettings

SITE_COLUMNS = ["site_code", "name_fa", "name_en", "unit_code", "lon", "lat", "kind", "new_offices", "population_covered"]
COVERAGE_COLUMNS = ["settlement_code", "name_fa", "name_en", "unit_code", "lon", "lat", "population", "nearest_office",
                    "nearest_kind", "distance_km", "covered"]


@dataclass(frozen=True)
class SitePlan:
    sites: pd.DataFrame
    coverage: pd.DataFrame
    summary: dict


def _candidates(settlements: pd.DataFrame, settings: SiteSettings) -> np.ndarray:
    mask = np.ones(len(settlements), bool)
    if settings.candidates == "county_seats":
        mask &= settlements["is_county_seat"].fillna(False).astype(bool).to_numpy()
    if settings.min_candidate_population is not None:
        mask &= settlements["population"].to_numpy(float) >= settings.min_candidate_population
    return mask


def _existing(dataset: Dataset) -> pd.DataFrame:
    offices = active_offices(dataset)
    if offices is None:
        return pd.DataFrame(columns=["licence_id", "unit_code", "lon", "lat"])
    return offices.dropna(subset=["lon", "lat"])[["licence_id", "unit_code", "lon", "lat"]].reset_index(drop=True)


def _solver(settings: SiteSettings) -> HighsSolver:
    return HighsSolver(time_limit=settings.time_limit_seconds, threads=1)


def place_allocation(dataset: Dataset, allocation: pd.DataFrame, level: str, settings: SiteSettings) -> SitePlan:
    """Place each unit's ``new_licences`` on its settlements by MCLP (existing offices fixed open).

    When a unit has more licences than candidate settlements, every candidate is
    chosen and the extra offices go to them in order of population (a large town
    can host several offices). A unit with no listed settlement hosts its
    offices at its seat.
    """
    started = time.perf_counter()
    settlements = dataset.settlements.assign(plan_unit=ancestor_codes(dataset.units, dataset.settlements["unit_code"], level).to_numpy())
    existing = _existing(dataset)
    existing = existing.assign(plan_unit=ancestor_codes(dataset.units, existing["unit_code"], level).to_numpy())
    units = dataset.level(level).set_index("unit_code")
    rows, statuses, worst_gap = [], {}, 0.0
    by_unit = settlements.groupby("plan_unit")
    offices_by_unit = existing.groupby("plan_unit")
    for unit_code, licences in allocation.loc[allocation["new_licences"] > 0, ["unit_code", "new_licences"]].itertuples(index=False):
        licences = int(licences)
        if unit_code not in by_unit.groups:
            seat = units.loc[unit_code]
            rows.append({"site_code": f"seat-{unit_code}", "name_fa": seat["name_fa"], "name_en": seat["name_en"], "unit_code": unit_code,
                         "lon": seat["seat_lon"], "lat": seat["seat_lat"], "kind": "new_at_seat", "new_offices": licences})
            statuses["no_settlement_listed"] = statuses.get("no_settlement_listed", 0) + 1
            continue
        places = by_unit.get_group(unit_code).reset_index(drop=True)
        mask = _candidates(places, settings)
        if not mask.any():
            mask = places["population"].to_numpy() == places["population"].max()
        unit_existing = offices_by_unit.get_group(unit_code) if unit_code in offices_by_unit.groups else None
        p = min(licences, int(mask.sum()))
        result = mclp_from_frames(places, places, settings.radius_km, p, existing=unit_existing, candidate_rule=mask,
                                  solver=_solver(settings))
        statuses[result.status] = statuses.get(result.status, 0) + 1
        worst_gap = max(worst_gap, float(result.gap))
        chosen = chosen_candidates(result, places, unit_existing).sort_values(["population", "settlement_code"], ascending=[False, True])
        per_site = np.ones(len(chosen), int)
        extra = licences - len(chosen)
        if extra > 0:
            # More licences than places: share the rest over the chosen places by population, largest first.
            weights = chosen["population"].to_numpy(float) + 1.0
            per_site += np.floor(extra * weights / weights.sum()).astype(int)
            remainder = licences - per_site.sum()
            per_site[: remainder] += 1
        for (_, place), count in zip(chosen.iterrows(), per_site):
            rows.append({"site_code": str(place["settlement_code"]), "name_fa": place["name_fa"], "name_en": place["name_en"],
                         "unit_code": unit_code, "lon": place["lon"], "lat": place["lat"], "kind": "new", "new_offices": int(count)})
    new_sites = pd.DataFrame(rows, columns=SITE_COLUMNS[:-1])
    return _finish(dataset, new_sites, existing, settings, {
        "model": "mclp per unit", "units_placed": int((allocation["new_licences"] > 0).sum()), "statuses": statuses,
        "worst_gap": worst_gap, "seconds": round(time.perf_counter() - started, 3)})


def site_national(dataset: Dataset, settings: SiteSettings, p: int | None) -> SitePlan:
    """One national model over all settlements (existing offices fixed open)."""
    started = time.perf_counter()
    settlements = dataset.settlements.reset_index(drop=True)
    existing = _existing(dataset)
    mask = _candidates(settlements, settings)
    must = None
    if settings.must_cover_min_population is not None:
        must = settlements["population"].to_numpy(float) >= settings.must_cover_min_population
    common = dict(existing=existing if len(existing) else None, candidate_rule=mask, must_cover=must,
                  capacities=settings.capacity, travel_times=settings.travel_times, solver=_solver(settings))
    if settings.model in ("attendance", "max_share", "target_share"):
        result = _competition_model(dataset, settlements, existing, mask, settings, p)
    elif settings.model == "lscp":
        result = lscp_from_frames(settlements, settlements, settings.radius_km, **common)
    else:
        if p is None:
            raise ScenarioError("site.p (the number of new sites) is needed for MCLP and p-median")
        if settings.model == "mclp":
            result = mclp_from_frames(settlements, settlements, settings.radius_km, p, **common)
        else:
            result = pmedian_from_frames(settlements, settlements, p, service_radius=None, **common)
    chosen = chosen_candidates(result, settlements, existing if len(existing) else None)
    new_sites = pd.DataFrame({
        "site_code": chosen["settlement_code"].astype(str).to_numpy(), "name_fa": chosen["name_fa"].to_numpy(),
        "name_en": chosen["name_en"].to_numpy(), "unit_code": chosen["unit_code"].to_numpy(), "lon": chosen["lon"].to_numpy(),
        "lat": chosen["lat"].to_numpy(), "kind": "new", "new_offices": 1,
    })
    reported = ("visits_before", "share", "share_before", "rounds", "capacitated", "split")
    extra = {key: result.stats[key] for key in reported if key in result.stats}
    if settings.model in ("attendance", "max_share", "target_share"):
        extra["decay"] = settings.decay.model_dump()
    if settings.model in ("max_share", "target_share"):
        extra["competitor_networks"] = settings.competitor_networks
        extra["competitor_offices"] = int(len(_competitors(dataset, settings)))
    return _finish(dataset, new_sites, existing, settings, {
        "model": settings.model, "status": result.status, "objective": float(result.objective), "bound": float(result.bound),
        "gap": float(result.gap), "build_seconds": round(result.build_seconds, 3), "solve_seconds": round(result.solve_seconds, 3),
        "solver": result.solver, "seconds": round(time.perf_counter() - started, 3), **extra})


def _competitors(dataset: Dataset, settings: SiteSettings) -> pd.DataFrame:
    other = dataset.other_offices
    if other is None:
        return pd.DataFrame(columns=["lon", "lat"])
    return other[other["network"].isin(settings.competitor_networks)].dropna(subset=["lon", "lat"])


def _competition_model(dataset: Dataset, settlements: pd.DataFrame, existing: pd.DataFrame, mask: np.ndarray,
                       settings: SiteSettings, p: int | None):
    """Attendance or Huff market share over the settlements, existing offices fixed open."""
    if settings.travel_times is not None:
        raise ScenarioError(f"site.model {settings.model} uses great-circle distances; travel_times is not supported for it yet")
    common = dict(existing=existing if len(existing) else None, candidate_rule=mask, capacities=settings.capacity,
                  allow_split=settings.allow_split, solver=_solver(settings))
    decay = settings.decay.rule()
    if settings.model == "attendance":
        if p is None:
            raise ScenarioError("site.p (the number of new sites) is needed for the attendance model")
        return attendance_from_frames(settlements, settlements, p, decay, **common)
    if dataset.other_offices is None:
        raise ScenarioError(f"site.model {settings.model} needs the register of the other networks (other_offices.* in the "
                            "data folder, or registers.synthetic_other_networks: true)")
    competitors = _competitors(dataset, settings)
    if settings.model == "max_share":
        if p is None:
            raise ScenarioError("site.p (the number of new sites) is needed for max_share")
        return share_from_frames(settlements, settlements, competitors, decay, p=p, **common)
    if settings.target_share is None:
        raise ScenarioError("site.target_share is needed for the target_share model")
    return share_from_frames(settlements, settlements, competitors, decay, target_share=settings.target_share, **common)


def _finish(dataset: Dataset, new_sites: pd.DataFrame, existing: pd.DataFrame, settings: SiteSettings, facts: dict) -> SitePlan:
    """Coverage of every settlement by the nearest open office, before and after, and the site table."""
    settlements = dataset.settlements.reset_index(drop=True)
    open_lon = np.concatenate([existing["lon"].to_numpy(float), new_sites["lon"].to_numpy(float)])
    open_lat = np.concatenate([existing["lat"].to_numpy(float), new_sites["lat"].to_numpy(float)])
    codes = np.concatenate([existing["licence_id"].astype(str).to_numpy(), new_sites["site_code"].astype(str).to_numpy()])
    kinds = np.array(["existing"] * len(existing) + ["new"] * len(new_sites), dtype=object)
    lon, lat = settlements["lon"].to_numpy(float), settlements["lat"].to_numpy(float)
    nearest, distance = nearest_site(lon, lat, open_lon, open_lat)
    _, before = nearest_site(lon, lat, existing["lon"].to_numpy(float), existing["lat"].to_numpy(float))
    covered = distance <= settings.radius_km
    population = settlements["population"].to_numpy(float)
    coverage = pd.DataFrame({
        "settlement_code": settlements["settlement_code"].astype(str), "name_fa": settlements["name_fa"], "name_en": settlements["name_en"],
        "unit_code": settlements["unit_code"], "lon": lon, "lat": lat, "population": population,
        "nearest_office": np.where(nearest >= 0, codes[np.maximum(nearest, 0)], None),
        "nearest_kind": np.where(nearest >= 0, kinds[np.maximum(nearest, 0)], None),
        "distance_km": np.round(distance, 3), "covered": covered,
    })
    newly = covered & (before > settings.radius_km)
    served_by_new = coverage.loc[newly].assign(site=coverage.loc[newly, "nearest_office"]).groupby("site")["population"].sum()
    sites = new_sites.assign(population_covered=new_sites["site_code"].map(served_by_new).fillna(0.0))
    total = float(population.sum())
    covered_before = float(population[before <= settings.radius_km].sum())
    covered_after = float(population[covered].sum())
    summary = {
        **facts,
        "radius_km": settings.radius_km,
        "new_sites": int(len(new_sites)),
        "new_offices": int(new_sites["new_offices"].sum()) if len(new_sites) else 0,
        "existing_offices": int(len(existing)),
        "settlements": int(len(settlements)),
        "population_covered_before": covered_before,
        "population_covered_after": covered_after,
        "share_covered_before": covered_before / total if total else 0.0,
        "share_covered_after": covered_after / total if total else 0.0,
        "settlements_newly_covered": int(newly.sum()),
    }
    return SitePlan(sites=sites[SITE_COLUMNS], coverage=coverage[COVERAGE_COLUMNS], summary=summary)
