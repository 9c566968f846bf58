"""Sites: settlement-level placement of the plan's licences for one province or county, on request."""

from __future__ import annotations

import folium
import html
import streamlit as st
from streamlit_folium import st_folium

from dashboards import ui
from dashboards.i18n import num
from dashboards.maps import _localise
from siting.errors import AmayeshError
from siting.placement import place_allocation, site_national


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
    if stored and stored[:2] == (province, county):
        _show(stored[2], f"{province}_{county}")
    _national(run)


MODELS = ("mclp", "lscp", "pmedian", "attendance", "max_share", "target_share")


def _national(run) -> None:
    """The models of ``amayesh site`` over every settlement, with the scenario's settings as defaults."""
    site = run.scenario.site
    with st.expander(ui.tr("national_model"), expanded=False):
        c1, c2, c3 = st.columns(3)
        model = c1.selectbox(ui.tr("site_model"), MODELS, index=MODELS.index(site.model), format_func=lambda m: ui.tr(f"model_{m}"),
                             key=f"site_model_{ui.lang()}")
        p = c1.number_input(ui.tr("new_sites"), min_value=1, max_value=5000, value=int(site.p or 100), step=10, key="site_p",
                            disabled=model in ("lscp", "target_share"))
        kinds = ("cutoff", "linear", "power", "exponential")
        decay = c2.selectbox(ui.tr("decay_kind"), kinds, index=kinds.index(site.decay.kind), key="site_decay",
                             disabled=model not in ("attendance", "max_share", "target_share"))
        cutoff = c2.number_input(ui.tr("decay_cutoff"), min_value=1.0, max_value=500.0, value=float(site.decay.cutoff_km), step=5.0,
                                 key="site_cutoff")
        beta = c3.number_input(ui.tr("decay_beta"), min_value=0.0, max_value=10.0, value=float(site.decay.beta), step=0.1, key="site_beta")
        target = c3.number_input(ui.tr("target_share_input"), min_value=0.01, max_value=1.0, value=float(site.target_share or 0.6),
                                 step=0.01, key="site_target", disabled=model != "target_share")
        capacity = c1.number_input(ui.tr("site_capacity_input"), min_value=0.0, value=float(site.capacity or 0.0), step=1000.0,
                                   key="site_capacity")
        split = c2.checkbox(ui.tr("site_split_input"), value=site.allow_split, key="site_split",
                            disabled=model not in ("attendance", "max_share", "target_share"))
        if st.button(ui.tr("run_model"), key="site_model_button"):
            settings = site.model_copy(update={
                "model": model, "p": int(p), "target_share": float(target), "capacity": float(capacity) or None,
                "allow_split": bool(split),
                "decay": site.decay.model_copy(update={"kind": decay, "cutoff_km": float(cutoff), "beta": float(beta)})})
            with st.spinner(ui.tr("running_model")):
                try:
                    st.session_state["site_national"] = site_national(run.dataset, settings, int(p))
                except AmayeshError as exc:
                    st.session_state["site_national"] = str(exc)
        found = st.session_state.get("site_national")
        if isinstance(found, str):
            st.error(ui.tr("scenario_error"))
            st.code(found, language=None)
        elif found is not None:
            _show(found, "national")


def _show(placed, key: str) -> None:
    """Sites and covered settlements on a map, the model's summary and the site table."""
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
        st_folium(m, height=460, use_container_width=True, returned_objects=[], key=f"sites_map_{key}")
    st.json(placed.summary, expanded=False)
    ui.table(sites, hide_index=True, width="stretch", key=f"sites_table_{key}")
