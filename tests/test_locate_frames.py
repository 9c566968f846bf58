"""Data-frame adapters: settlements, candidate sites, existing offices, rules, travel-time files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from siting.locate import (
    LocationInputError,
    chosen_candidates,
    haversine_km,
    lscp_from_frames,
    mclp_from_frames,
    pmedian_from_frames,
    solve_mclp,
    solve_pmedian,
)


def _settlements(n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(51.0, 52.0, n), rng.uniform(35.0, 35.8, n)
    return pd.DataFrame({
        "settlement_code": [f"S{i:03d}" for i in range(n)],
        "name_fa": [f"آبادی {i}" for i in range(n)],
        "name_en": [f"Abadi {i}" for i in range(n)],
        "lon": lon, "lat": lat,
        "population": rng.integers(50, 5000, n),
        "unit_code": [f"U{i % 4}" for i in range(n)],
    })


def _dist(a: pd.DataFrame, b: pd.DataFrame) -> np.ndarray:
    return haversine_km(a.lon.to_numpy()[:, None], a.lat.to_numpy()[:, None], b.lon.to_numpy()[None], b.lat.to_numpy()[None])


def test_mclp_from_frames_rules_existing_and_coverage():
    s = _settlements()
    cand = s.iloc[::2].reset_index(drop=True)
    existing = pd.DataFrame({"lon": [51.5], "lat": [35.4]})
    r = mclp_from_frames(s, cand, 12.0, 3, existing=existing, min_candidate_population=1000)
    chosen = chosen_candidates(r, cand, existing)
    assert len(chosen) == 3 and (chosen.population >= 1000).all()
    assert r.existing.tolist() == [0]
    sites = pd.concat([existing, cand[["lon", "lat"]]], ignore_index=True)
    covered = (_dist(s, sites)[:, r.open_sites] <= 12.0).any(axis=1)
    assert (covered == r.covered).all()
    assert r.objective == pytest.approx(s.population[covered].sum())
    # the same model from arrays (brute-force distances) gives the same optimum
    D = _dist(s, sites)
    allowed = np.r_[False, cand.population.to_numpy() >= 1000]
    ref = solve_mclp(s.population.to_numpy(), D, 3, service_radius=12.0, existing_sites=[0], candidate_mask=allowed)
    assert ref.objective == r.objective


def test_lscp_from_frames_min_population_and_county_seat_rule():
    s = _settlements()
    cand = s.copy()
    cand["is_seat"] = np.arange(len(cand)) % 3 == 0
    r = lscp_from_frames(s, cand, 35.0, min_population=2000, candidate_rule="is_seat")
    assert r.status == "optimal"
    assert cand.is_seat.to_numpy()[r.selected].all()
    big = s.population.to_numpy() >= 2000
    assert r.covered[big].all()


def test_pmedian_from_frames_matches_dense_haversine():
    s = _settlements(80, 3)
    cand = s.iloc[::4].reset_index(drop=True)
    r = pmedian_from_frames(s, cand, 4)
    ref = solve_pmedian(s.population.to_numpy(), _dist(s, cand), 4)
    assert r.status == ref.status == "optimal"
    assert r.objective == pytest.approx(ref.objective, rel=1e-9)


def test_travel_time_file(tmp_path):
    s = _settlements(30, 5)
    cand = s.iloc[::3].reset_index(drop=True)
    minutes = _dist(s, cand) * 1.3  # pretend road minutes
    rows = [(a, b, round(float(minutes[i, j]), 3)) for i, a in enumerate(s.settlement_code)
            for j, b in enumerate(cand.settlement_code) if minutes[i, j] < 60]
    f = tmp_path / "times.csv"
    pd.DataFrame(rows, columns=["origin", "destination", "minutes"]).to_csv(f, index=False)
    m = np.full(minutes.shape, np.inf)
    for a, b, t in rows:
        m[int(a[1:]), cand.index[cand.settlement_code == b][0]] = t
    r = mclp_from_frames(s, cand, 25.0, 2, travel_times=f)
    ref = solve_mclp(s.population.to_numpy(), m, 2, service_radius=25.0)
    assert r.objective == ref.objective
    pm = pmedian_from_frames(s, cand, 3, travel_times=f)
    assert pm.status == "optimal" and np.isfinite(pm.distance).all()


def test_geodataframe_points_and_bad_input():
    gpd = pytest.importorskip("geopandas")
    s = _settlements(40, 7)
    g = gpd.GeoDataFrame(s.drop(columns=["lon", "lat"]), geometry=gpd.points_from_xy(s.lon, s.lat), crs=4326)
    r1 = mclp_from_frames(g, g.iloc[::5], 10.0, 2)
    r2 = mclp_from_frames(s, s.iloc[::5], 10.0, 2)
    assert r1.objective == r2.objective
    bad = s.copy()
    bad.loc[3, "lat"] = 123.0
    with pytest.raises(LocationInputError):
        mclp_from_frames(bad, s, 10.0, 1)
    with pytest.raises(LocationInputError):
        mclp_from_frames(s.drop(columns=["population"]), s, 10.0, 1)
