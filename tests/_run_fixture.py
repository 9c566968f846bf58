"""A SYNTHETIC plan run folder built from the real Iran data, for the report tests.

``amayesh plan`` writes run folders; until it exists (and to keep the report tests
independent of the solver), :func:`write_run` writes one in the same contract: the
429 real 1395 counties and their census population from ``../shared/data/iran``,
with seeded, clearly synthetic offices, applications, scores and an allocation of
2,000 licences. Nothing here is a real plan.
"""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import json
import os
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from persiantools.jdatetime import JalaliDate

IRAN = Path(os.environ.get("AMAYESH_IRAN_DATA", Path(__file__).resolve().parents[2] / "shared" / "data" / "iran"))
NOTE = "SYNTHETIC test run written by tests/_run_fixture.py: census geography is real, every plan figure is made up."
TOTAL_LICENCES = 2_000
SCENARIO = """# SYNTHETIC test scenario (tests/_run_fixture.py)
name: Baseline 1403 (synthetic test)
name_fa: سناریوی پایه ۱۴۰۳ (آزمایشی)
level: county
indicators: [density, urban_share, offices_per_10k]
weights: {method: ahp}
need: {urban_residents_per_office: 8000, rural_residents_per_office: 6000}
plan: {budget_licences: 2000, saturation_slack: 0.1, province_ceiling_share: 0.15, rural_share_min: 0.3}
"""


def have_iran_data() -> bool:
    """Whether the real Iran data folder is available."""
    return (IRAN / "iran_counties.geojson").is_file()


@functools.cache
def _counties() -> gpd.GeoDataFrame:
    return gpd.read_file(IRAN / "iran_counties.geojson")


@functools.cache
def _provinces() -> gpd.GeoDataFrame:
    return gpd.read_file(IRAN / "iran_provinces.geojson")


def _session_folder(prefix: str) -> Path:
    """A temporary folder removed when the test session's process exits."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@functools.cache
def shared_run() -> Path:
    """One county-level run folder per test session (read-only for the tests)."""
    return write_run(_session_folder("amayesh-run-") / "run")


def write_run(folder: Path, seed: int = 1395, level: str = "county", points: bool = False, sites: bool = True) -> Path:
    """Write a SYNTHETIC run folder in the ``amayesh plan`` contract.

    Parameters
    ----------
    folder
        Where to write (created).
    seed
        Random seed; the same seed gives the same files.
    level
        ``county`` (429 units) or ``province`` (31 units).
    points
        Write units and provinces as points, like the embedded default data.
    sites
        Also write ``sites.csv`` and ``coverage.csv``.
    """
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    counties, provinces = _counties(), _provinces()
    if level == "county":
        units = counties.rename(columns={"county_code": "unit_code"})
    else:
        units = provinces.assign(unit_code=provinces["province_code"])
    allocation = _allocation(units, rng)
    applications = _applications(allocation, units, rng)
    allocation.to_csv(folder / "allocation.csv", index=False)
    applications.drop(columns=["lon", "lat"]).to_csv(folder / "applications.csv", index=False)
    _moratorium(allocation).to_csv(folder / "moratorium.csv", index=False)
    offices = _offices(allocation, units, rng)
    _audit(offices, rng).to_csv(folder / "register_audit.csv", index=False)
    scores = allocation[["unit_code", "name_fa", "name_en", "province_code"]].assign(
        density=units["density_per_km2"].to_numpy(),
        urban_share=units["urban_share"].to_numpy(),
        offices_per_10k=10_000 * allocation["existing_offices"] / allocation["pop_total"],
        score=allocation["score"], rank=allocation["rank"], tier=allocation["tier"],
        target_offices=allocation["target_offices"], existing_offices=allocation["existing_offices"],
        gap=allocation["target_offices"] - allocation["existing_offices"],
    )
    scores.to_csv(folder / "scores.csv", index=False)
    _weights().to_csv(folder / "weights.csv", index=False)
    summary = _summary(allocation, applications, level)
    (folder / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    _layers(folder / "layers.gpkg", units, provinces, offices, applications, rng, points)
    if sites:
        _sites(allocation, units, rng).to_csv(folder / "sites.csv", index=False)
        _coverage(rng).to_csv(folder / "coverage.csv", index=False)
    (folder / "scenario.yaml").write_text(SCENARIO, encoding="utf-8")
    (folder / "SYNTHETIC.txt").write_text(NOTE + "\n", encoding="utf-8")
    return folder


def _largest_remainder(weights: np.ndarray, total: int, caps: np.ndarray) -> np.ndarray:
    """Integers proportional to ``weights``, within ``caps``, summing to ``total``."""
    result = np.zeros(len(weights), dtype=int)
    while result.sum() < total:
        room = caps - result
        share = np.where(room > 0, weights, 0.0)
        if share.sum() == 0:
            break
        exact = share / share.sum() * (total - result.sum())
        add = np.minimum(np.floor(exact).astype(int), room)
        if add.sum() == 0:
            add = np.zeros_like(add)
            add[np.argmax(np.where(room > 0, exact, -1))] = 1
        result += add
    return result


def _allocation(units: gpd.GeoDataFrame, rng: np.random.Generator) -> pd.DataFrame:
    pop = units["pop_1395_total"].to_numpy(int)
    urban = units["urban_share"].to_numpy(float)
    target = np.maximum(1, np.round(pop / 6_500)).astype(int)
    bias = rng.lognormal(mean=np.log(0.8) + 0.5 * (urban - urban.mean()), sigma=0.35)
    existing = np.maximum(0, np.round(target * bias)).astype(int)
    moratorium = existing > 1.2 * target
    gap = target - existing
    urban_closed = moratorium | ((urban > 0.75) & (gap <= 1) & (rng.random(len(units)) < 0.5))
    rural_closed = moratorium | ((urban < 0.35) & (gap <= 0) & (rng.random(len(units)) < 0.5))
    cap = np.where(moratorium, 0, np.ceil(np.maximum(gap, 0) * 1.5 + 1)).astype(int)
    raw = 0.5 * pd.Series(units["density_per_km2"]).rank(pct=True).to_numpy() + 0.3 * (1 - urban) + 0.2 * rng.random(len(units))
    score = np.round(raw / raw.max(), 4)
    rank = pd.Series(-score).rank(method="first").astype(int).to_numpy()
    tier = np.asarray(pd.qcut(rank, 3, labels=["deprived", "middle", "privileged"]).astype(str))
    new = _largest_remainder(np.maximum(gap, 0) * (0.5 + score), TOTAL_LICENCES, cap)
    new_urban = np.where(urban_closed, 0, np.where(rural_closed, new, np.round(new * urban))).astype(int)
    applications = rng.poisson(0.35 * existing * (1 + 2 * moratorium) + 0.5)
    fitting = np.minimum(applications, new)
    frame = pd.DataFrame(
        {
            "unit_code": units["unit_code"].to_numpy(),
            "name_fa": units["name_fa"].to_numpy(),
            "name_en": units["name_en"].to_numpy(),
            "province_code": units["province_code"].to_numpy(),
            "score": score, "rank": rank, "tier": tier,
            "existing_offices": existing, "target_offices": target, "gap": gap, "cap": cap.astype(float),
            "new_licences": new, "new_urban": new_urban, "new_rural": new - new_urban,
            "applications": applications, "applications_fitting": fitting,
            "applications_speculative": applications - fitting,
            "population_per_office_after": np.round(pop / np.maximum(existing + new, 1), 1),
            "pop_total": pop.astype(float), "moratorium": moratorium,
            "moratorium_urban": urban_closed, "moratorium_rural": rural_closed,
        }
    )
    return frame.sort_values("unit_code").reset_index(drop=True)


def _moratorium(allocation: pd.DataFrame) -> pd.DataFrame:
    """One row per unit and setting closed to new licences, as `amayesh plan` writes them."""
    rows = []
    for setting in ("urban", "rural"):
        closed = allocation[allocation[f"moratorium_{setting}"]]
        rows.append(closed[["unit_code", "name_fa", "name_en", "province_code", "existing_offices", "target_offices", "cap"]].assign(
            setting=setting,
            reason="saturated: " + closed["existing_offices"].astype(str) + f" offices ({setting}) at or above the cap of "
            + closed["cap"].astype(int).astype(str) + " (target " + closed["target_offices"].astype(str) + ")",
        ))
    columns = ["unit_code", "name_fa", "name_en", "province_code", "setting", "existing_offices", "target_offices", "cap", "reason"]
    return pd.concat(rows)[columns].sort_values(["unit_code", "setting"], kind="stable")


def _jalali(days: np.ndarray) -> list[str]:
    start = dt.date(2019, 3, 21)
    return [JalaliDate(start + dt.timedelta(days=int(d))).strftime("%Y/%m/%d") for d in days]


def _near(units: gpd.GeoDataFrame, codes: np.ndarray, rng: np.random.Generator, spread: float = 0.08) -> tuple[np.ndarray, np.ndarray]:
    anchor = units.set_index("unit_code")[["lon", "lat"]].reindex(codes)
    return (
        np.round(anchor["lon"].to_numpy() + rng.normal(0, spread, len(codes)), 5),
        np.round(anchor["lat"].to_numpy() + rng.normal(0, spread, len(codes)), 5),
    )


def _applications(allocation: pd.DataFrame, units: gpd.GeoDataFrame, rng: np.random.Generator) -> pd.DataFrame:
    codes = np.repeat(allocation["unit_code"].to_numpy(), allocation["applications"].to_numpy())
    frame = pd.DataFrame({"unit_code": codes})
    frame["order"] = frame.groupby("unit_code").cumcount()
    per_unit = allocation.set_index("unit_code")
    fitting = per_unit["applications_fitting"].reindex(codes).to_numpy()
    closed = per_unit["moratorium"].reindex(codes).to_numpy()
    granted = frame["order"].to_numpy() < fitting
    frame["decision"] = np.select([granted, closed], ["granted", "refused"], "waitlisted")
    frame["reason"] = np.select(
        [granted, closed],
        ["ranked within the unit's new licences", "unit under moratorium (saturated)"],
        "no licence left in the unit this round",
    )
    n = len(frame)
    frame["application_id"] = [f"APP{i:06d}" for i in range(1, n + 1)]
    frame["applicant_hash"] = [f"{h:016x}" for h in rng.integers(0, 2**62, n)]
    frame["application_date"] = _jalali(rng.integers(0, 1_800, n))
    frame["veteran"] = rng.random(n) < 0.12
    frame["education"] = rng.choice(["diploma", "associate", "bachelor", "master", "doctorate"], n, p=[0.2, 0.2, 0.4, 0.17, 0.03])
    frame["lon"], frame["lat"] = _near(units, codes, rng)
    columns = ["application_id", "unit_code", "applicant_hash", "application_date", "veteran", "education", "decision", "reason", "lon", "lat"]
    return frame[columns]


def _offices(allocation: pd.DataFrame, units: gpd.GeoDataFrame, rng: np.random.Generator) -> pd.DataFrame:
    codes = np.repeat(allocation["unit_code"].to_numpy(), allocation["existing_offices"].to_numpy())
    n = len(codes)
    lon, lat = _near(units, codes, rng)
    return pd.DataFrame(
        {
            "licence_id": [f"LIC{i:06d}" for i in range(1, n + 1)],
            "unit_code": codes,
            "setting": np.where(rng.random(n) < 0.86, "urban", "rural"),
            "status": rng.choice(["active", "suspended", "unopened"], n, p=[0.93, 0.04, 0.03]),
            "lon": lon, "lat": lat,
        }
    )


def _audit(offices: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    picked = offices.sample(60, random_state=int(rng.integers(0, 2**31)))
    findings = rng.choice(["duplicate_holder", "never_opened", "outside_unit", "transferred"], len(picked))
    return pd.DataFrame(
        {"licence_id": picked["licence_id"].to_numpy(), "unit_code": picked["unit_code"].to_numpy(),
         "finding": findings, "detail": "synthetic finding for tests"}
    )


def _weights() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "indicator": ["density", "urban_share", "offices_per_10k"],
            "label_fa": ["تراکم جمعیت", "سهم جمعیت شهری", "دفتر به ازای ده هزار نفر"],
            "label_en": ["Population density", "Urban share", "Offices per 10,000 people"],
            "weight": [0.5396, 0.2970, 0.1634],
            "method": "ahp",
            "cr": 0.0088,
        }
    )


def _summary(allocation: pd.DataFrame, applications: pd.DataFrame, level: str) -> dict:
    need = np.maximum(allocation["target_offices"] - allocation["existing_offices"], 0)
    covered = np.minimum(allocation["new_licences"], need).sum() / need.sum()
    saturated = allocation.set_index("unit_code")["moratorium"]
    first = applications.sort_values("application_date").head(TOTAL_LICENCES)
    in_saturated = int(saturated.reindex(first["unit_code"]).sum())
    return {
        "scenario": {"name": "Baseline 1403 (synthetic test)", "name_fa": "سناریوی پایه ۱۴۰۳ (آزمایشی)"},
        "status": "Optimal", "objective": 1834.27, "bound": 1834.27, "gap": 0.0, "solver": "HiGHS",
        "licences_allocated": int(allocation["new_licences"].sum()),
        "need_covered_share": round(float(covered), 4),
        "speculative_share": round(float(allocation["applications_speculative"].sum() / max(allocation["applications"].sum(), 1)), 4),
        "counterfactual": {
            "fcfs": {"licences_in_saturated_units": in_saturated, "need_covered_share": round(float(covered) * 0.45, 4),
                     "licences_in_units_below_viability": 212, "speculative_served": int(0.6 * len(first))},
            "plan": {"licences_in_saturated_units": 0, "need_covered_share": round(float(covered), 4),
                     "licences_in_units_below_viability": 31, "speculative_served": 0},
            "explanation": "fcfs: the same number of licences issued to the earliest applications (synthetic test)",
        },
        "data": {"source": "official (../shared/data/iran)", "population_source": "SCI census 1395",
                 "note": NOTE, "synthetic_registers": True},
        "level": level,
        "reference_date": "2024-03-19",
        "versions": {"amayesh": "0.1.0", "fixture": "tests/_run_fixture.py"},
    }


def _points(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(frame.drop(columns=["lon", "lat"]), geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs=4326)


def _layers(path: Path, units: gpd.GeoDataFrame, provinces: gpd.GeoDataFrame, offices: pd.DataFrame,
            applications: pd.DataFrame, rng: np.random.Generator, points: bool) -> None:
    unit_layer = units[["unit_code", "geometry"]]
    province_layer = provinces[["province_code", "name_fa", "name_en", "geometry"]].rename(columns={"province_code": "unit_code"})
    if points:
        unit_layer = unit_layer.set_geometry(gpd.points_from_xy(units["lon"], units["lat"]), crs=4326)
        province_layer = province_layer.set_geometry(gpd.points_from_xy(provinces["lon"], provinces["lat"]), crs=4326)
    unit_layer.to_file(path, layer="units", driver="GPKG")
    province_layer.to_file(path, layer="provinces", driver="GPKG")
    _points(offices).to_file(path, layer="offices", driver="GPKG")
    located = applications.loc[rng.random(len(applications)) < 0.9, ["application_id", "unit_code", "decision", "lon", "lat"]]
    _points(located).to_file(path, layer="applications", driver="GPKG")
    counties = _counties()
    picked = counties.sample(120, weights=counties["pop_1395_urban"] + 1, replace=True, random_state=int(rng.integers(0, 2**31)))
    parks = pd.DataFrame({"park_id": [f"PARK{i:03d}" for i in range(1, 121)], "unit_code": picked["county_code"].to_numpy(),
                          "name_fa": "شهرک صنعتی " + picked["name_fa"].to_numpy(), "lon": picked["lon"].to_numpy() + 0.05,
                          "lat": picked["lat"].to_numpy() - 0.05})
    _points(parks).to_file(path, layer="industrial_parks", driver="GPKG")


def _sites(allocation: pd.DataFrame, units: gpd.GeoDataFrame, rng: np.random.Generator) -> pd.DataFrame:
    count = np.minimum(allocation["new_licences"].to_numpy(), 3)
    codes = np.repeat(allocation["unit_code"].to_numpy(), count)
    lon, lat = _near(units, codes, rng, spread=0.15)
    names = allocation.set_index("unit_code").reindex(codes)
    n = len(codes)
    return pd.DataFrame(
        {"site_code": [f"S{i:05d}" for i in range(1, n + 1)], "name_fa": names["name_fa"].to_numpy(),
         "name_en": names["name_en"].to_numpy(), "unit_code": codes, "lon": lon, "lat": lat,
         "population_covered": rng.integers(2_000, 40_000, n), "kind": "new"}
    )


def _coverage(rng: np.random.Generator) -> pd.DataFrame:
    cities = pd.read_csv(IRAN / "iran_cities.csv", dtype={"county_code": str, "geonameid": str})
    distance = np.round(rng.gamma(2.0, 6.0, len(cities)), 2)
    return pd.DataFrame(
        {"settlement_code": cities["geonameid"], "name_fa": cities["name_fa"], "unit_code": cities["county_code"],
         "lon": cities["lon"], "lat": cities["lat"], "population": cities["population_geonames"],
         "nearest_office": [f"LIC{i:06d}" for i in rng.integers(1, 9_000, len(cities))],
         "distance_km": distance, "covered": distance <= 15}
    )


PACK_PROVINCES = ("09",)  # Razavi Khorasan: one province map keeps the pack test fast


@functools.cache
def shared_pack() -> Path:
    """The committee pack of :func:`shared_run` (province maps for :data:`PACK_PROVINCES`), built once per session."""
    from siting.report.pack import ExportOptions, export
    from siting.report.print_maps import MapStyle

    out = shared_run().parent / "pack"
    options = ExportOptions(style=MapStyle(date=dt.date(2024, 4, 3)), provinces=PACK_PROVINCES)
    export(shared_run(), out, None, options)
    return out


@functools.cache
def points_run() -> Path:
    """A county run whose units and provinces are points, like the embedded default data (no sites)."""
    return write_run(_session_folder("amayesh-points-") / "run", points=True, sites=False)
