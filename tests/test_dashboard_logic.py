"""The dashboard's pure helpers (no Streamlit): uploads by content, the scenario store, AHP help,
digits, the explanation, robustness and comparison, on the real data where data is needed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboards import compare, core, explain, robust, uploads
from dashboards.i18n import STRINGS, num, pct, t, today_line
from dashboards.state import NameError_, ScenarioStore, check_name
from dashboards.weighting import consistency, improving_judgements, matrix_from_upper, parse_judgement
from siting.errors import OutputExistsError

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "iran"


@pytest.fixture(scope="module")
def run():
    scenario = core.fast_scenario(core.default_scenario())
    dataset = core.load_data(str(DATA), scenario)
    outcome = core.plan(dataset, scenario)
    assert outcome.run is not None, outcome.error
    return outcome.run


def test_uploads_are_recognised_by_content_not_by_name():
    assert uploads.sniff(b"SQLite format 3\x00" + b"\x00" * 100) == "gpkg"
    assert uploads.sniff(b'{"type": "FeatureCollection", "features": []}') == "geojson"
    assert uploads.sniff("unit_code,name_fa\n0001,اراک\n".encode()) == "csv"
    assert uploads.sniff(b"\x80\x04\x95pickle") is None
    assert uploads.sniff(b'{"not": "geo"}') is None
    problems, accepted = uploads.check_uploads([uploads.Upload("counties.gpkg", "counties", b"plain text without commas\n")])
    assert not accepted and "not a data file" in problems[0].message and problems[0].file == "counties.gpkg"
    problems, _ = uploads.check_uploads([uploads.Upload("x.csv", "counties", b"a,b\n" * 10)])
    assert not problems


def test_a_csv_upload_in_windows_1256_or_with_semicolons_is_named_as_such():
    # Excel's plain "CSV" on a Persian Windows (with Arabic ye: Persian ی is not in the code page)
    excel = "park_id,name_fa\nP1,شهرک صنعتي\n".encode("cp1256")
    problems, accepted = uploads.check_uploads([uploads.Upload("parks.csv", "industrial_parks", excel)])
    assert not accepted and problems[0].row == 2 and "reads as Windows-1256" in problems[0].message
    semicolons = "park_id;name_fa\nP1;شهرک\n".encode()
    problems, accepted = uploads.check_uploads([uploads.Upload("parks.csv", "industrial_parks", semicolons)])
    assert not accepted and "looks semicolon-separated" in problems[0].message and problems[0].row == 1
    problems, _ = uploads.check_uploads([uploads.Upload("parks.csv", "industrial_parks", b"\x89PNG\r\n\x1a\n\x00\x00\xd4")])
    assert "not a data file" in problems[0].message  # binary, whatever its name


def test_uploads_size_limit_and_nothing_left_behind(tmp_path, monkeypatch):
    monkeypatch.setenv("AMAYESH_DASHBOARD_MAX_UPLOAD_MB", "0.001")
    problems, _ = uploads.check_uploads([uploads.Upload("offices.csv", "offices", b"a,b\n" + b"1,2\n" * 1000)])
    assert "above the upload limit" in problems[0].message
    monkeypatch.delenv("AMAYESH_DASHBOARD_MAX_UPLOAD_MB")
    data, source, problems = uploads.load_uploads([uploads.Upload("../../etc/counties.csv", "counties", b"code,name\n1,x\n")],
                                                  tmp_path, "embedded", core.load_data)
    assert data is None and source is None
    assert any(p.file == "counties.csv" and p.column == "unit_code" for p in problems)
    assert list(tmp_path.iterdir()) == []  # the refused folder is removed; the name was never a path


def test_registers_uploaded_alone_sit_on_the_loaded_geography(tmp_path):
    offices = "licence_id,unit_code,setting,status,lon,lat\nL1,0001,urban,active,49.69,34.09\n"
    folder, problems = uploads.stage_uploads([uploads.Upload("my offices.csv", "offices", offices.encode())], tmp_path, str(DATA))
    assert not problems and (folder / "offices.csv").exists()
    assert "geography" in (folder / "amayesh.yaml").read_text()


def _zipped_shapefile(tmp_path, frame, parts=(".shp", ".shx", ".dbf", ".prj", ".cpg"), prefix="my layer/") -> bytes:
    import io
    import zipfile

    folder = tmp_path / "shp"
    folder.mkdir(exist_ok=True)
    frame.to_file(folder / "layer.shp", engine="pyogrio")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for suffix in parts:
            archive.write(folder / f"layer{suffix}", f"{prefix}layer{suffix}")
        archive.writestr("__MACOSX/._layer.shp", b"resource fork")
    return buffer.getvalue()


def test_a_zipped_shapefile_upload_is_unpacked_under_the_layer_name_and_loaded(tmp_path):
    import geopandas as gpd
    import shapely

    offices = gpd.GeoDataFrame(
        {"licence_id": ["L1", "L2"], "unit_code": ["0001", "0001"], "setting": ["urban", "rural"],
         "status": ["active", "active"], "issue_date": ["2020-01-01", "2021-05-02"]},
        geometry=[shapely.Point(49.69, 34.09), shapely.Point(49.70, 34.10)], crs=4326)
    content = _zipped_shapefile(tmp_path, offices)
    assert uploads.sniff(content) == "shapefile"
    root = tmp_path / "uploads"
    data, source, _ = uploads.load_uploads([uploads.Upload("offices of Arak.zip", "offices", content)], root, str(DATA), core.load_data)
    assert data is not None and sorted(p.name for p in Path(source).iterdir()) == [
        "amayesh.yaml", "offices.cpg", "offices.dbf", "offices.prj", "offices.shp", "offices.shx"]
    assert data.offices["licence_id"].tolist() == ["L1", "L2"] and data.offices["lon"].tolist() == [49.69, 49.70]
    assert len(data.level("county")) == 429  # on the loaded geography

    # A Shapefile without its .shx, a missing column named by the uploaded file, a ZIP of something else
    problems, _ = uploads.check_uploads([uploads.Upload("a.zip", "offices", _zipped_shapefile(tmp_path, offices, (".shp", ".dbf")))])
    assert problems[0].file == "a.zip" and "without its .shx" in problems[0].message
    _, _, problems = uploads.load_uploads([uploads.Upload("b.zip", "offices", _zipped_shapefile(tmp_path, offices.drop(columns="issue_date")))],
                                          root, str(DATA), core.load_data)
    assert any(p.file == "b.zip (offices.shp)" and p.column == "issue_date" for p in problems)
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.shp", b"not a shapefile at all")
        archive.writestr("notes.shx", b"x")
        archive.writestr("notes.dbf", b"x")
    problems, _ = uploads.check_uploads([uploads.Upload("c.zip", "offices", buffer.getvalue())])
    assert "wrong file code" in problems[0].message
    problems, _ = uploads.check_uploads([uploads.Upload("offices.zip", "offices", b"licence_id,unit_code\nL1,0001\n")])
    assert "is named .zip but its content is CSV" in problems[0].message


def test_a_zip_that_unpacks_beyond_the_limit_is_refused_before_it_is_inflated(tmp_path, monkeypatch):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("x.shp", b"\x00\x00\x27\x0a" + b"\x00" * 5_000_000)
        archive.writestr("x.shx", b"\x00\x00\x27\x0a")
        archive.writestr("x.dbf", b"x")
    content = buffer.getvalue()
    monkeypatch.setenv("AMAYESH_DASHBOARD_MAX_UPLOAD_MB", "1")
    assert len(content) < 2**20
    problems, accepted = uploads.check_uploads([uploads.Upload("bomb.zip", "offices", content)])
    assert not accepted and "unpacks to more than the upload limit" in problems[0].message


def test_store_saves_yaml_and_run_and_never_overwrites_without_asking(tmp_path, run):
    store = ScenarioStore(tmp_path)
    saved = store.save("plan-1", run.scenario, run)
    assert saved.has_run and store.names() == ["plan-1"]
    assert store.load("plan-1").name == "plan-1"
    assert json.loads((saved.run_folder / "summary.json").read_text())["scenario"]["name"] == "plan-1"
    with pytest.raises(OutputExistsError):
        store.save("plan-1", run.scenario, run)
    store.save("plan-1", run.scenario, run, replace=True)
    assert any(p.name.startswith("plan-1.previous-") for p in tmp_path.iterdir())
    for bad in ("../x", "a/b", "", "x" * 65, "نام", "a.previous-1"):
        with pytest.raises(NameError_):
            check_name(bad)


def test_ahp_help_finds_the_judgement_that_most_reduces_cr():
    ids = ["a", "b", "c", "d"]
    upper = {("a", "b"): 3, ("a", "c"): 5, ("a", "d"): 7, ("b", "c"): 3, ("b", "d"): 5, ("c", "d"): 1 / 9}
    matrix = matrix_from_upper(ids, upper)
    before = consistency(ids, matrix).consistency_ratio
    assert before > 0.1
    best = improving_judgements(ids, matrix).iloc[0]
    assert (best["row"], best["column"]) == ("c", "d")
    assert best["cr_after"] < before and best["cr_reduction"] > 0
    assert parse_judgement("۱/۳") == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        parse_judgement("-2")


def test_persian_digits_and_dates():
    assert num(1234567, "fa") == "۱٬۲۳۴٬۵۶۷" and num(1234567, "en") == "1,234,567"
    assert pct(0.723, "fa") == "۷۲٫۳٪"
    import datetime as dt

    assert "۱۴۰۵" in today_line("fa", dt.date(2026, 12, 6)) and "آذر" in today_line("fa", dt.date(2026, 12, 6))
    assert all(len(pair) == 2 and pair[1] for pair in STRINGS.values())
    assert t("unknown_key", "fa") == "unknown_key"


def test_tables_in_persian_write_persian_digits_and_jalali_dates_but_keep_the_numbers():
    import datetime as dt

    from dashboards.tables import table_view

    frame = pd.DataFrame({"unit_code": ["0101", "0102"], "new_licences": [1234, 0], "score": [0.12345, np.nan],
                          "weight": [0.25, 0.75], "application_date": [dt.date(2024, 3, 20), None], "ratio": [1.5, 2.0],
                          "tier": ["deprived", "privileged"], "moratorium": [True, False]})
    data, labels = table_view(frame, "fa")
    assert labels["new_licences"] == "مجوز جدید" and labels["unit_code"] == "کد واحد" and labels["ratio"] == "ratio"
    shown = data.to_html()
    for text in ("۱٬۲۳۴", "۰٫۱۲۳", "۲۵٫۰٪", "۱۴۰۳/۰۱/۰۱", "۱٫۵۰۰", "–", "0101", "محروم", "برخوردار", "بله", "خیر"):
        assert text in shown, text
    assert data.data is frame and frame["new_licences"].tolist() == [1234, 0]  # the grid sorts on the numbers
    english, labels_en = table_view(frame, "en")
    assert english is frame and labels_en["new_licences"] == "New licences"


def test_explanation_contributions_binding_and_weight_change(run):
    code = "2301"
    parts = explain.contributions(run, code)
    assert parts["contribution"].sum() == pytest.approx(run.scored.scores.set_index("unit_code").loc[code, "score"])
    for unit in run.plan.allocation["unit_code"].head(40):
        found = explain.binding(run, unit)
        facts = explain.unit_facts(run, unit)
        assert explain.binding_words(found, facts)
        for part in ("urban", "rural"):
            if "saturation_cap" in found.groups and part in ",".join(found.rows.loc[found.rows["group"] == "saturation_cap", "part"]):
                # at the cap: no room left (the existing offices may already be above it)
                assert facts[part]["existing"] + facts[part]["new"] >= facts[part]["cap"]
    # the national budget binds every unit when all 2,000 are placed
    assert "budget" in explain.binding(run, code).groups

    def replan(scenario):
        outcome = core.plan(run.dataset, scenario)
        return outcome.run.plan.allocation if outcome.run is not None else None

    unit = run.plan.allocation.sort_values("new_licences").iloc[-1]["unit_code"]
    change = explain.smallest_weight_change(run, unit, replan, steps=(0.25, 0.5, 1.0), refine=1)
    assert change is None or change["licences_after"] != change["licences_before"]
    if change is not None:
        weights = run.scored.weights.set_index("indicator")["weight"].to_dict()
        weights[change["indicator"]] *= 1 + change["direction"] * change["relative_change"]
        total = sum(weights.values())
        check = replan(explain.with_weights(run.scenario, {k: v / total for k, v in weights.items()}))
        assert int(check.set_index("unit_code").loc[unit, "new_licences"]) == change["licences_after"]


def test_robustness_uses_the_scenarios_seeded_draws(run):
    from siting import mcda

    draws = robust.weight_draws(run)
    assert draws.shape == (run.scenario.sensitivity.draws, len(run.scenario.indicators))
    np.testing.assert_allclose(draws.sum(axis=1), 1.0)
    ranks = robust.draw_ranks(run, draws)
    top_k = run.scenario.sensitivity.top_k
    # the same draws as sensitivity.csv: the same share of draws in the top k
    share = (ranks <= top_k).mean(axis=0)
    np.testing.assert_allclose(share.to_numpy(), run.scored.sensitivity["top_k_share"].reindex(ranks.columns).to_numpy())
    accept = robust.rank_acceptability(run, top=5, positions=5)
    np.testing.assert_allclose(accept.sum(axis=1), 1.0)
    critical = robust.critical_indicator(run)
    assert set(critical["indicator"]) == set(run.scenario.indicators)
    assert mcda is not None


def test_compare_saved_runs_and_a_batch_folder(tmp_path, run):
    a = run.plan.allocation[["unit_code", "name_fa", "name_en", "province_code", "new_licences"]]
    b = a.assign(new_licences=np.where(a["unit_code"] == "0001", a["new_licences"] + 3, a["new_licences"]))
    wide = compare.side_by_side({"a": a, "b": b})
    diff = compare.changes(wide, "a", "b")
    assert list(diff["unit_code"]) == ["0001"] and int(diff["difference"].iloc[0]) == 3
    totals = compare.province_totals(wide, ["a", "b"])
    assert int(totals.loc[totals["province_code"] == "total", "b"].iloc[0]) == int(a["new_licences"].sum()) + 3
    batch = pd.concat([a.assign(scenario_id="r1"), b.assign(scenario_id="r2")])
    batch.to_parquet(tmp_path / "allocations.parquet")
    pd.DataFrame({"scenario_id": ["r1", "r2"]}).to_parquet(tmp_path / "runs.parquet")
    runs, allocations = compare.read_batch_folder(tmp_path)
    assert sorted(allocations) == ["r1", "r2"] and len(runs) == 2


def test_dashboard_command_binds_to_loopback_with_xsrf_on():
    from click.testing import CliRunner

    from siting.cli.dashboard import APP, streamlit_command
    from siting.cli.main import cli

    command = streamlit_command(8600, 50)
    flags = dict(zip(command[5::2], command[6::2]))
    assert flags["--server.address"] == "127.0.0.1" and flags["--server.enableXsrfProtection"] == "true"
    assert flags["--browser.gatherUsageStats"] == "false" and flags["--server.maxUploadSize"] == "50"
    assert flags["--server.headless"] == "true" and APP.exists()
    result = CliRunner().invoke(cli, ["dashboard", "--help"])
    assert result.exit_code == 0 and "--port" in result.output and "--data" in result.output
