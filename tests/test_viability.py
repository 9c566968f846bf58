"""Viability from expected visits (siting.viability): hand-computed shares, agreement with the Huff
model computed independently, conversions and capacities, and the licence plan on the real data
taking each county's viable-office limit from it (and saying so)."""

from __future__ import annotations

import functools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from _run_fixture import have_iran_data
from siting.data.dataset import Dataset
from siting.errors import ScenarioError
from siting.locate.decay import Decay, decayed_pairs
from siting.locate.distances import within_radius
from siting.locate.huff import market_share
from siting.viability import competing_offices, counter_share, unit_markets

CUTOFF = Decay(kind="cutoff", cutoff=30.0)


def _dataset(settlements: pd.DataFrame, others: pd.DataFrame, offices: pd.DataFrame | None = None) -> Dataset:
    units = gpd.GeoDataFrame({
        "unit_code": ["01", "0101", "0102"], "level": ["province", "county", "county"], "parent_code": [None, "01", "01"],
        "province_code": ["01", "01", "01"], "name_fa": ["استان", "الف", "ب"], "name_en": ["P", "A", "B"],
        "pop_total": [30_000, 20_000, 10_000], "pop_urban": [18_000, 12_000, 6_000], "pop_rural": [12_000, 8_000, 4_000],
        "lon": [51.0, 51.0, 53.0], "lat": [35.0, 35.0, 35.0], "seat_lon": [np.nan, np.nan, 53.0], "seat_lat": [np.nan, np.nan, 35.0],
    }, geometry=[shapely.Point(51, 35), shapely.Point(51, 35), shapely.Point(53, 35)], crs=4326)
    return Dataset(units=units, settlements=settlements, other_offices=others, offices=offices)


def _others(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["office_id", "network", "lon", "lat", "capacity"]).assign(
        services=None, unit_code="0101", synthetic=True)


def test_hand_computed_shares_visits_and_viable_offices():
    settlements = pd.DataFrame({"settlement_code": ["s1", "s2"], "population": [3_000.0, 1_000.0], "unit_code": ["0101", "0101"],
                                "lon": [51.0, 51.5], "lat": [35.0, 35.0]})
    # One Police+10 office on s1 (C = 1, sigma = 1/2); s2 is 45 km away, beyond the 30 km cutoff (sigma = 1).
    dataset = _dataset(settlements, _others([("p1", "police10", 51.0, 35.0, np.nan), ("m1", "post", 51.5, 35.0, np.nan)]))
    counties = dataset.level("county")
    markets = unit_markets(dataset, counties, "county", CUTOFF, ["police10"], 1.0, 5_000, 3_000)
    share_a = (3_000 * 0.5 + 1_000 * 1.0) / 4_000  # 0.625: the post office is not a listed competitor
    assert markets.loc["0101", "counter_share"] == pytest.approx(share_a)
    assert markets.loc["0101", "visits_urban"] == pytest.approx(12_000 * share_a)
    assert markets.loc["0101", "viable_urban"] == 1  # floor(7,500 / 5,000)
    assert markets.loc["0101", "viable_rural"] == 1  # floor(5,000 / 3,000)
    # County B has no settlement: its seat, with no competitor near, keeps every visit (the residents rule)
    assert markets.loc["0102", "counter_share"] == 1.0
    assert markets.loc["0102", "viable_urban"] == 1 and markets.loc["0102", "viable_rural"] == 1
    # With every network competing, s2 loses half too
    markets = unit_markets(dataset, counties, "county", CUTOFF, ["police10", "post"], 2.0, 5_000, 3_000)
    assert markets.loc["0101", "counter_share"] == pytest.approx(0.5)
    assert markets.loc["0101", "viable_urban"] == 2  # floor(12,000 x 2 x 0.5 / 5,000)


def test_capacity_weights_attraction_and_converted_offices_stop_competing():
    settlements = pd.DataFrame({"settlement_code": ["s1"], "population": [1_000.0], "unit_code": ["0101"], "lon": [51.0], "lat": [35.0]})
    others = _others([("p1", "police10", 51.0, 35.0, 30.0), ("p2", "police10", 51.0, 35.0, 10.0)])
    dataset = _dataset(settlements, others)
    competitors = competing_offices(dataset, ["police10"])
    assert competitors["attractiveness"].tolist() == [1.5, 0.5]  # capacity over the network's median (20)
    assert counter_share(np.array([51.0]), np.array([35.0]), competitors, CUTOFF)[0] == pytest.approx(1 / 3)
    converted = pd.DataFrame({"licence_id": ["CONV-police10-p1"]})
    assert competing_offices(_dataset(settlements, others, converted), ["police10"])["office_id"].tolist() == ["p2"]
    with pytest.raises(ScenarioError, match="other_offices"):
        competing_offices(_dataset(settlements, None), ["police10"])


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.integers(1, 6), st.integers(0, 8), st.sampled_from(["cutoff", "linear", "power", "exponential"]), st.integers(0, 10_000))
def test_the_share_agrees_with_the_huff_model_computed_independently(n_settlements, n_competitors, kind, seed):
    """sigma_s is the market share one counter office in settlement s captures there (siting.locate.huff)."""
    rng = np.random.default_rng(seed)
    lon, lat = 51 + rng.uniform(0, 0.4, n_settlements), 35 + rng.uniform(0, 0.4, n_settlements)
    competitors = pd.DataFrame({"lon": 51 + rng.uniform(0, 0.4, n_competitors), "lat": 35 + rng.uniform(0, 0.4, n_competitors),
                                "attractiveness": rng.uniform(0.2, 2.0, n_competitors)})
    decay = Decay(kind=kind, cutoff=30.0, beta=0.1 if kind == "exponential" else 1.0, d0=1.0)
    sigma = counter_share(lon, lat, competitors, decay)
    for s in range(n_settlements):
        # our office in the settlement: one stored pair at distance 0
        ours = decayed_pairs(sp.csr_matrix((np.zeros(1), (np.zeros(1, int), np.zeros(1, int))), shape=(1, 1)), decay)
        if n_competitors:
            pull = decayed_pairs(within_radius(lon[s:s + 1], lat[s:s + 1], competitors["lon"].to_numpy(), competitors["lat"].to_numpy(), 30.0),
                                 decay) @ competitors["attractiveness"].to_numpy()
        else:
            pull = np.zeros(1)
        assert market_share(np.ones(1), ours, np.asarray(pull).ravel(), np.array([0])) == pytest.approx(sigma[s], rel=1e-12)
    assert np.all((sigma > 0) & (sigma <= 1))


pytestmark_real = pytest.mark.skipif(not have_iran_data(), reason="needs ../shared/data/iran")


@functools.cache
def _prepared(data: str, convert: tuple[str, ...], scenario_json: str):
    from siting.pipeline import prepare_dataset
    from siting.scenario import Scenario

    return prepare_dataset(Scenario.model_validate_json(scenario_json), data)


def _run(shared_data, **plan):
    from siting.pipeline import run_plan
    from siting.scenario import DEFAULT_SCENARIO, Scenario

    raw = yaml.safe_load(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    raw["sensitivity"] = {"draws": 0}
    raw.setdefault("registers", {})["synthetic_other_networks"] = True
    raw["plan"].update(plan)
    scenario = Scenario.model_validate(raw)
    # the data (with the SYNTHETIC other networks, and any conversion) is prepared once per conversion
    basis = scenario.model_copy(update={"plan": scenario.plan.model_copy(update={"viability_rule": "residents"})})
    dataset = _prepared(str(shared_data), tuple(scenario.plan.convert_networks), basis.model_dump_json())
    return run_plan(dataset, scenario, "test:viability", yaml.safe_dump(raw), place=False)


@pytestmark_real
def test_the_plan_takes_each_countys_viable_limit_from_the_visits_and_says_so(shared_data):
    residents = _run(shared_data)
    visits = _run(shared_data, viability_rule="visits")
    assert any(n.startswith("viability rule: residents (urban 5,000") for n in residents.summary["notes"])
    assert any(n.startswith("viability rule: visits (1 visit(s) per resident") and "police10, municipal" in n for n in visits.summary["notes"])
    # the same notes in Persian, one for one, for the dashboard's Persian pages and Persian readers of summary.json
    for run in (residents, visits):
        assert len(run.summary["notes_fa"]) == len(run.summary["notes"])
    assert any(n.startswith("قاعده دوام: جمعیت (شهری ۵٬۰۰۰ نفر") for n in residents.summary["notes_fa"])
    assert any(n.startswith("قاعده دوام: مراجعه (۱ مراجعه") and "پلیس+۱۰" in n for n in visits.summary["notes_fa"])
    a = visits.plan.allocation.set_index("unit_code")
    assert {"counter_share", "visits_urban", "visits_rural", "viable_urban", "viable_rural"} <= set(a.columns)
    for part in ("urban", "rural"):
        expected = np.floor(a[f"pop_{part}"] * a["counter_share"] / visits.scenario.plan.__getattribute__(f"min_visits_{part}") + 1e-9)
        assert (a[f"viable_{part}"] == expected).all()
        # every licence stays within what the market sustains
        assert ((a[f"new_{part}"] == 0) | (a[f"existing_{part}"] + a[f"new_{part}"] <= a[f"viable_{part}"])).all()
    # Competitors only take visits away: no county sustains more offices than under the residents rule
    r = residents.plan.allocation.set_index("unit_code")
    assert (a["viable_urban"] <= r["viable_urban"]).all() and (a["viable_rural"] <= r["viable_rural"]).all()
    assert (a["viable_urban"] < r["viable_urban"]).sum() > 100
    assert visits.summary["counterfactual"]["plan"]["licences_in_units_below_viability"] == 0


@pytestmark_real
def test_converting_the_competitors_raises_the_viable_limits(shared_data):
    before = _run(shared_data, viability_rule="visits").plan.allocation.set_index("unit_code")
    after = _run(shared_data, viability_rule="visits", convert_networks=["police10", "municipal"]).plan.allocation.set_index("unit_code")
    # Converted offices no longer compete: every county keeps at least the share it had, most keep all of it
    assert (after["counter_share"] >= before["counter_share"] - 1e-12).all()
    assert (after["counter_share"] == 1.0).mean() > 0.95
    assert after["viable_urban"].sum() > before["viable_urban"].sum()


@pytestmark_real
def test_the_market_share_maps_of_a_visits_run(shared_data, tmp_path):
    from siting.errors import AmayeshError
    from siting.pipeline import write_plan
    from siting.report.print_maps import MapStyle, national_map, prepare
    from siting.report.run import read_run
    from siting.report.web_map import render_html, web_map

    folders = {}
    for rule in ("visits", "residents"):
        folders[rule] = tmp_path / rule
        folders[rule].mkdir()
        write_plan(_run(shared_data, viability_rule=rule), folders[rule])
    run = read_run(folders["visits"])
    style = MapStyle()
    data = prepare(run, style)
    assert "counter_share" in data.classes and sum(data.classes["counter_share"].counts) == 429
    figure = national_map(run, "counter_share", style, data)
    assert any("Counter offices' share of visits" in t.get_text() for t in figure.texts)
    html = render_html(web_map(run, metric="counter_share"))
    assert "سهم دفاتر پیشخوان از مراجعه" in html
    other = read_run(folders["residents"])
    with pytest.raises(AmayeshError, match="viability_rule: visits"):
        national_map(other, "counter_share", style)
    assert "counter_share" not in prepare(other, style).classes
