"""Robustness: probability of receiving licences over the seeded weight draws, rank acceptability, critical indicator."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from dashboards import core, robust, ui
from dashboards.i18n import num, pct
from dashboards.maps import choropleth, legend_html
from dashboards.views.why import replanner


def render() -> None:
    lang = ui.lang()
    st.header(ui.tr("page_robust"))
    result = ui.outcome()
    if result.run is None:
        ui.show_outcome_error(result)
        return
    run = result.run
    if run.scenario.sensitivity.draws < 1:
        st.info(ui.tr("no_draws"))
        return
    geo = ui.geometries(ui.source(), run.scored.level)
    key = core.yaml_key_of(run)
    c1, c2 = st.columns([1, 2])
    n = c1.number_input(ui.tr("draws_to_plan"), min_value=5, max_value=int(run.scenario.sensitivity.draws), value=30, step=5, key="robust_n")
    if c1.button(ui.tr("run_robust"), key="robust_button"):
        bar = st.progress(0.0)
        table = robust.licence_probability(run, int(n), replanner(run.dataset), progress=lambda f: bar.progress(min(f, 1.0)))
        st.session_state["robust"] = (key, table)
    stored = st.session_state.get("robust")
    if stored and stored[0] == key:
        table = stored[1]
        st.subheader(f"{ui.tr('prob_licences')} ({num(table.attrs.get('draws', 0), lang)})")
        values = table.set_index("unit_code")["probability"]
        title = ui.tr("prob_licences")
    else:
        scores = run.scored.scores.set_index("unit_code")
        values = scores["top_k_share"] if "top_k_share" in scores else scores["score"] * 0
        title = f"{ui.tr('top_k_share')} (k = {num(run.scenario.sensitivity.top_k, lang)})"
        st.subheader(title)
    m, classes = choropleth(geo, values.astype(float), "score", lang, title, decimals=2)
    st_folium(m, height=420, use_container_width=True, returned_objects=[], key="robust_map")
    st.markdown(legend_html(classes, title, lang), unsafe_allow_html=True)

    st.subheader(ui.tr("rank_accept"))
    accept = robust.rank_acceptability(run, top=10, positions=10)
    names = run.scored.scores.set_index("unit_code")["name_fa" if lang == "fa" else "name_en"]
    chart = accept.copy()
    chart.index = [f"{code} {names.get(code, '')}" for code in chart.index]
    st.bar_chart(chart, horizontal=True, stack=True)
    ui.table(accept, key="accept_table")

    st.subheader(ui.tr("critical"))
    critical = robust.critical_indicator(run)
    first = critical.iloc[0]
    if first["relative_change"] != float("inf"):
        st.success(f"{first['indicator']}: ±{pct(first['relative_change'], lang, 0)}")
    ui.table(critical, hide_index=True, key="critical_table")
