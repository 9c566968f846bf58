"""The dashboard's pages driven headless by Streamlit's AppTest, on the real data in ../shared/data/iran.

The dataset is loaded once per process (``st.cache_resource``), so every AppTest here shares it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "iran"
APP = str(Path(__file__).resolve().parents[1] / "dashboards" / "app.py")
PERSIAN_DIGITS = set("۰۱۲۳۴۵۶۷۸۹")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dashboard_home")
    old = {k: os.environ.get(k) for k in ("AMAYESH_DASHBOARD_HOME", "AMAYESH_DASHBOARD_DATA")}
    os.environ["AMAYESH_DASHBOARD_HOME"] = str(folder)
    os.environ["AMAYESH_DASHBOARD_DATA"] = str(DATA)
    yield folder
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def app(page: str = "plan", **params):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["page"] = page
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def go(at, page: str):
    at.sidebar.radio(key="nav_en").set_value(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def by_key(elements, prefix: str):
    return next(e for e in elements if e.key and e.key.startswith(prefix))


def frame_with(at, *columns: str, nth: int = 0) -> pd.DataFrame:
    """The ``nth`` table on the page holding all ``columns`` (AppTest does not expose dataframe keys)."""
    found = [d.value for d in at.dataframe if set(columns) <= set(map(str, d.value.columns))]
    assert len(found) > nth, f"no table with {columns}"
    return found[nth]


LATIN = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")


def displayed(table) -> pd.DataFrame:
    """What the grid shows: the Styler's display values when the page formatted the table, else the values."""
    import pyarrow as pa

    styled = table.proto.arrow_data.styler.display_values
    if not styled:
        return table.value.astype(str)
    return pa.ipc.open_stream(styled).read_all().to_pandas()


def metrics(at) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def test_data_page_loads_the_official_folder_and_names_synthetic_registers(home):
    at = app("data")
    at.radio(key="data_kind_en").set_value("official").run()
    at.text_input(key="official_folder").set_value(str(DATA)).run()
    at.button(key="load_official").click().run()
    assert not at.exception
    values = metrics(at)
    assert values["Units (county)"][0] == "429"
    assert values["Units (province)"][0] == "31"
    assert values["Population"][0] == "79,926,270"
    registers = frame_with(at, "register", "origin")
    assert set(registers["origin"]) == {"SYNTHETIC"}
    warnings = frame_with(at, "file", "severity", nth=0)
    assert "iran_cities.csv" in set(warnings["file"])
    assert any("SYNTHETIC" in w.value for w in at.warning)


def test_data_page_keeps_the_loaded_data_when_a_folder_is_invalid(home, tmp_path):
    (tmp_path / "counties.csv").write_text("code,name\n1,x\n", encoding="utf-8")
    at = app("data")
    at.radio(key="data_kind_en").set_value("official").run()
    at.text_input(key="official_folder").set_value(str(tmp_path)).run()
    at.button(key="load_official").click().run()
    problems = frame_with(at, "file", "severity", nth=0)
    assert (problems["file"] == "counties.csv").any()
    assert problems["column"].astype(str).str.contains("unit_code").any()
    assert at.session_state["source"] == str(DATA)
    assert metrics(at)["Units (county)"][0] == "429"


def test_plan_page_cards_with_fcfs_beside_each_and_budget_change(home):
    at = app("plan")
    values = metrics(at)
    assert values["Licences allocated"][0] == "2,000"
    assert values["Need covered"][1].startswith("FCFS: ")
    assert values["Speculative applications refused"][1].startswith("FCFS: ")
    run = at.session_state["outcome"].run
    assert int(run.plan.allocation["new_licences"].sum()) == 2000
    by_key(at.number_input, "budget_").set_value(1500).run()
    assert metrics(at)["Licences allocated"][0] == "1,500"
    table = frame_with(at, "new_licences", "moratorium", "applications_speculative")
    assert len(table) == 429 and int(table["new_licences"].sum()) == 1500
    at.text_input(key="alloc_search").set_value("0001").run()
    assert list(frame_with(at, "new_licences", "moratorium", "applications_speculative")["unit_code"]) == ["0001"]


def test_an_infeasible_scenario_is_explained_in_words(home):
    at = app("plan")
    by_key(at.selectbox, "mode_").set_value("exact").run()
    by_key(at.number_input, "budget_").set_value(60000).run()
    assert any("No plan satisfies" in e.value for e in at.error)
    words = " ".join(m.value for m in at.markdown)
    assert "budget" in words.lower()
    assert at.session_state["outcome"].kind == "infeasible"
    # The same diagnosis in Persian, written from the conflict's groups and rows, with Persian digits
    # (the page calls this in Persian mode; AppTest cannot re-run a radio whose format_func translates)
    from dashboards.core import infeasible_words

    sentences = infeasible_words(at.session_state["outcome"].diagnosis, "fa")
    assert sentences and sentences[0].startswith("این قیدها") and "بودجه ملی مجوز" in sentences[0]
    assert set("۰۱۲۳۴۵۶۷۸۹") & set(sentences[0])


def test_the_visits_viability_rule_is_a_plan_parameter(home):
    at = app("plan")
    by_key(at.radio, "vrule_").set_value("visits").run()
    # The default data carries no register of the other networks: the page says what the rule needs
    assert any(e.value == "The scenario is invalid" for e in at.error)
    assert any("viability_rule: visits needs the register of the other networks" in c.value for c in at.code)
    assert at.session_state["outcome"].run is None
    by_key(at.radio, "vrule_").set_value("residents").run()
    run = at.session_state["outcome"].run
    assert run is not None and any(n.startswith("viability rule: residents") for n in run.summary["notes"])


def test_weights_direct_edit_rescores_and_ahp_shows_cr_and_fixes(home):
    at = app("weights")
    by_key(at.selectbox, "method_").set_value("direct").run()
    first = by_key(at.number_input, "w_offices_per_10k")
    first.set_value(5.0).run()
    weights = at.session_state["scenario"].weights
    assert weights.method == "direct" and weights.values["offices_per_10k"] == 5.0
    table = frame_with(at, "indicator", "weight", "cr")
    assert table.loc[table["indicator"] == "offices_per_10k", "weight"].iloc[0] == pytest.approx(5.0 / (5.0 + 5 / 6), abs=1e-3)

    by_key(at.selectbox, "method_").set_value("ahp").run()
    inputs = [t for t in at.text_input if t.key and t.key.startswith("ahp_")]
    assert len(inputs) == 15  # 6 indicators: the upper triangle
    inputs[0].set_value("9").run()
    inputs = [t for t in at.text_input if t.key and t.key.startswith("ahp_")]
    inputs[-1].set_value("1/9").run()
    cr = next(m for m in at.metric if m.label == "Consistency ratio")
    assert float(cr.value.replace(",", "")) > 0.1
    improve = frame_with(at, "suggested", "cr_after")
    assert len(improve) >= 1 and (improve["cr_after"] < float(cr.value)).all()


def test_group_ahp_aggregates_stakeholders(home):
    at = app("weights")
    by_key(at.selectbox, "method_").set_value("group_ahp").run()
    group = frame_with(at, "group_weight")
    assert {"stakeholder_1", "stakeholder_2", "group_weight"} <= set(group.columns)
    assert at.session_state["scenario"].weights.method == "group_ahp"


def test_why_this_county_explains_contributions_and_binding(home):
    at = app("why")
    at.selectbox(key="why_county").set_value("2301").run()
    contributions = frame_with(at, "contribution", "normalized")
    run = at.session_state["outcome"].run
    score = run.scored.scores.set_index("unit_code").loc["2301", "score"]
    assert contributions["contribution"].sum() == pytest.approx(score)
    text = " ".join(m.value for m in at.markdown)
    assert "2301" in " ".join(h.value for h in at.subheader)
    assert any(word in text for word in ("saturation cap", "budget", "minimum catchment", "province", "No constraint", "lock", "rural"))


def test_save_reload_by_url_and_no_overwrite_without_asking(home):
    at = app("plan")
    at.sidebar.text_input(key="save_name").set_value("committee-a").run()
    at.sidebar.button(key="save_button").click().run()
    assert (home / "scenarios" / "committee-a.yaml").exists()
    assert (home / "scenarios" / "committee-a" / "allocation.csv").exists()
    assert at.query_params["scenario"] == ["committee-a"] or at.query_params["scenario"] == "committee-a"
    again = app("plan")
    again.sidebar.text_input(key="save_name").set_value("committee-a").run()
    again.sidebar.button(key="save_button").click().run()
    assert any("tick 'replace'" in w.value for w in again.sidebar.warning)
    reopened = app("plan", scenario="committee-a")
    assert reopened.session_state["open_name"] == "committee-a"
    assert reopened.session_state["source"] == str(DATA)
    saved = pd.read_csv(home / "scenarios" / "committee-a" / "allocation.csv", dtype={"unit_code": str})
    assert int(saved["new_licences"].sum()) == int(reopened.session_state["outcome"].run.plan.allocation["new_licences"].sum())


def test_persian_mode_uses_persian_digits(home):
    at = app("plan", lang="fa")
    values = metrics(at)
    value = values["مجوزهای تخصیص‌یافته"][0]
    assert set(value) - {"٬"} <= PERSIAN_DIGITS and value == "۲٬۰۰۰"
    assert any("direction: rtl" in m.value for m in at.markdown if m.allow_html)
    # The allocation table: Persian headers, Persian digits on screen, the numbers themselves underneath
    table = next(d for d in at.dataframe if "new_licences" in map(str, d.value.columns))
    assert pd.api.types.is_integer_dtype(table.value["new_licences"])
    shown = displayed(table)
    assert set("".join(shown["new_licences"])) <= PERSIAN_DIGITS | {"٬"}
    assert shown["new_licences"].map(lambda v: int(v.translate(LATIN).replace("٬", ""))).sum() == 2000
    assert json.loads(table.proto.columns)["new_licences"]["label"] == "مجوز جدید"


def test_robustness_page(home):
    at = app("robust")
    assert len(frame_with(at, "1", "2", ">10")) == 10
    critical = frame_with(at, "relative_change", "direction")
    assert len(critical) == 6
    at.number_input(key="robust_n").set_value(5).run()
    at.button(key="robust_button").click().run()
    key, table = at.session_state["robust"]
    assert table.attrs["draws"] == 5 and table["probability"].between(0, 1).all()
    assert table["probability"].max() == 1.0


def test_sites_page_places_one_county_when_asked(home):
    at = app("sites")
    at.selectbox(key="sites_province").set_value("23").run()
    at.selectbox(key="sites_county").set_value("2301").run()
    at.button(key="place_button").click().run()
    assert not at.exception
    sites = frame_with(at, "site_code")
    run = at.session_state["outcome"].run
    expected = int(run.plan.allocation.set_index("unit_code").loc["2301", "new_licences"])
    assert sites["new_offices"].sum() == expected if "new_offices" in sites else len(sites) >= 1


def test_sites_page_runs_a_national_attendance_model_when_asked(home):
    at = app("sites")
    by_key(at.selectbox, "site_model_").set_value("attendance").run()
    at.number_input(key="site_p").set_value(50).run()
    at.selectbox(key="site_decay").set_value("exponential").run()
    at.number_input(key="site_beta").set_value(0.1).run()
    at.button(key="site_model_button").click().run()
    assert not at.exception
    placed = at.session_state["site_national"]
    summary = placed.summary
    assert summary["model"] == "attendance" and summary["status"] == "optimal"
    assert summary["decay"]["kind"] == "exponential" and summary["decay"]["beta"] == 0.1
    assert len(placed.sites) == 50 and summary["objective"] >= summary["visits_before"]
    # with a capacity each office serves at most that many visits (shared between offices here)
    at.number_input(key="site_capacity").set_value(200_000.0).run()
    at.checkbox(key="site_split").check().run()
    at.button(key="site_model_button").click().run()
    capped = at.session_state["site_national"].summary
    assert capped["capacitated"] and capped["split"] and capped["status"] == "optimal"
    assert capped["objective"] <= summary["objective"] + 1e-6
    # max_share needs the other networks' register, which the default data lacks: named, no traceback
    by_key(at.selectbox, "site_model_").set_value("max_share").run()
    at.button(key="site_model_button").click().run()
    assert not at.exception
    assert any("other_offices" in c.value for c in at.code)


def test_compare_two_saved_scenarios(home):
    at = app("plan")
    by_key(at.number_input, "budget_").set_value(1000).run()
    at.sidebar.text_input(key="save_name").set_value("small-budget").run()
    at.sidebar.button(key="save_button").click().run()
    go(at, "compare")
    at.multiselect(key="compare_pick").set_value(["committee-a", "small-budget"]).run()
    provinces = frame_with(at, "province_code", "committee-a", "small-budget")
    total = provinces[provinces["province_code"] == "total"]
    assert int(total["small-budget"].iloc[0]) == 1000
    changes = frame_with(at, "difference")
    assert len(changes) > 0 and (changes["difference"] == changes["small-budget"] - changes["committee-a"]).all()


def test_export_workbook_inside_the_run_folder(home):
    at = app("export", scenario="committee-a")
    at.button(key="make_xlsx").click().run()
    assert not at.exception
    path = home / "scenarios" / "committee-a" / "export" / "xlsx" / "pack.xlsx"
    assert path.exists()
    counties = pd.read_excel(path, sheet_name="counties", header=1)
    allocation = pd.read_csv(home / "scenarios" / "committee-a" / "allocation.csv")
    assert int(counties["New licences"].sum()) == int(allocation["new_licences"].sum())
    summary = pd.read_excel(path, sheet_name="summary", header=1).set_index("Item")
    assert int(summary.loc["Licences allocated", "Value"]) == int(allocation["new_licences"].sum())
