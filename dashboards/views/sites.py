"""Sites: settlement-level placement of the plan's licences for one province or county, on request."""

from __future__ import annotations

import folium
import html
import streamlit as st
from streamlit_folium import st_folium

from dashboards import ui
from dashboards.i18n import num
from dashboards.maps import _localise
from siting.placement import place_allocation


def render() -> None:
    lang = ui.lang()
    st.header(ui.tr("page_sites"))
    result = ui.outcome()
    if result.run is None:
        ui.show_outcome_error(result)
        return
    run = result.run
    allocation = run.plan.allocation
    provinces = sorted(allocation["province_code"].unique())
    province = st.selectbox(ui.tr("province"), provinces, key="sites_province")
    inside = allocation[allocation["province_code"] == province]
    counties = ["*"] + inside["unit_code"].tolist()
    county = st.selectbox(ui.tr("choose_county"), counties, key="sites_county")
    subset = inside if county == "*" else inside[inside["unit_code"] == county]
    st.caption(f"{ui.tr('new_licences')}: {num(int(subset['new_licences'].sum()), lang)}")
    if st.button(ui.tr("place"), key="place_button"):
        with st.spinner(ui.tr("placing")):
            bar = st.progress(0.0)
            placed = place_allocation(run.dataset, subset, run.scored.level, run.scenario.site)
            bar.progress(1.0)
        st.session_state["sites"] = (province, county, placed)
    stored = st.session_state.get("sites")
    if not stored or stored[:2] != (province, county):
        return
    placed = stored[2]
    sites = placed.sites
    st.subheader(ui.tr("sites"))
    if len(sites):
        m = folium.Map(location=[float(sites["lat"].mean()), float(sites["lon"].mean())], zoom_start=7, tiles=None, prefer_canvas=True)
        coverage = placed.coverage
        for row in coverage.itertuples():
            folium.CircleMarker([row.lat, row.lon], radius=3, color="#2b8cbe" if row.covered else "#e34a33", fill=True,
                                weight=0.5).add_to(m)
        for row in sites.itertuples():
            folium.CircleMarker([row.lat, row.lon], radius=7, color="#000000", fill=True, fill_color="#ffd92f",
                                tooltip=html.escape(f"{row.name_fa} / {row.name_en}")).add_to(m)
        m.fit_bounds([[sites["lat"].min(), sites["lon"].min()], [sites["lat"].max(), sites["lon"].max()]])
        _localise(m)
        st_folium(m, height=460, use_container_width=True, returned_objects=[], key=f"sites_map_{province}_{county}")
    st.json(placed.summary, expanded=False)
    ui.table(sites, hide_index=True, width="stretch", key="sites_table")
