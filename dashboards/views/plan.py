"""Plan page: every scenario parameter of ``plan``, run, headline cards against FCFS, map, tables."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboards import core, ui
from dashboards.i18n import num, pct
from dashboards.maps import choropleth, clicked_code, legend_html
from siting.errors import AmayeshError


def _parameters() -> None:
    """The plan block's widgets; the scenario is replaced when they change (validated by pydantic)."""
    ver = ui.version()
    s = ui.scenario()
    p = s.plan
    with st.expander(ui.tr("parameters"), expanded=False):
        c1, c2, c3 = st.columns(3)
        budget = c1.number_input(ui.tr("budget"), min_value=0, max_value=100000, value=int(p.budget_licences or 0), step=100, key=f"budget_{ver}")
        mode = c2.selectbox(ui.tr("budget_mode"), ["at_most", "exact"], index=["at_most", "exact"].index(p.budget_mode),
                            format_func=ui.tr, key=f"mode_{ver}_{ui.lang()}")
        loan = c3.number_input(ui.tr("loan"), min_value=0.0, value=float(p.loan_budget_rials or 0), step=1e9, format="%.0f", key=f"loan_{ver}")
        caps_on = c1.checkbox(ui.tr("caps_on"), value=p.saturation_slack is not None, key=f"caps_{ver}")
        slack = c1.number_input(ui.tr("slack"), min_value=0.0, max_value=5.0, value=float(p.saturation_slack if p.saturation_slack is not None else 0.1),
                                step=0.05, key=f"slack_{ver}", disabled=not caps_on)
        catch_u = c2.number_input(ui.tr("catch_u"), min_value=0.0, value=float(p.min_catchment_urban or 0), step=500.0, key=f"cu_{ver}")
        catch_r = c2.number_input(ui.tr("catch_r"), min_value=0.0, value=float(p.min_catchment_rural or 0), step=500.0, key=f"cr_{ver}")
        rules = ["residents", "visits"]
        rule = c2.radio(ui.tr("viability_rule"), rules, index=rules.index(p.viability_rule), horizontal=True,
                        format_func=lambda r: ui.tr(f"viability_{r}"), key=f"vrule_{ver}_{ui.lang()}")
        visits = c2.number_input(ui.tr("visits_per_resident"), min_value=0.01, value=float(p.visits_per_resident), step=0.1,
                                 key=f"vpr_{ver}", disabled=rule != "visits")
        visits_u = c2.number_input(ui.tr("min_visits_u"), min_value=1.0, value=float(p.min_visits_urban), step=500.0,
                                   key=f"mvu_{ver}", disabled=rule != "visits")
        visits_r = c2.number_input(ui.tr("min_visits_r"), min_value=1.0, value=float(p.min_visits_rural), step=500.0,
                                   key=f"mvr_{ver}", disabled=rule != "visits")
        ceiling = c3.number_input(ui.tr("ceiling"), min_value=0.0, max_value=1.0, value=float(p.province_ceiling_share or 0), step=0.01, key=f"ceil_{ver}")
        rural = c3.number_input(ui.tr("rural_share"), min_value=0.0, max_value=1.0, value=float(p.rural_share_min or 0), step=0.05, key=f"rural_{ver}")
        parks = c1.checkbox(ui.tr("parks_rule"), value=p.enforce_parks, key=f"parks_{ver}")
        need_u = c2.number_input(ui.tr("need_u"), min_value=1.0, value=float(s.need.urban_residents_per_office), step=500.0, key=f"nu_{ver}")
        need_r = c3.number_input(ui.tr("need_r"), min_value=1.0, value=float(s.need.rural_residents_per_office), step=500.0, key=f"nr_{ver}")
        floor_modes = ["none", "gap_share", "explicit"]
        current_floor = "none" if p.province_floor is None else p.province_floor.mode
        floor_mode = st.radio(ui.tr("floor_mode"), floor_modes, index=floor_modes.index(current_floor), horizontal=True,
                              format_func=lambda m: ui.tr({"none": "floor_none", "gap_share": "floor_gap", "explicit": "floor_explicit"}[m]),
                              key=f"floor_{ver}_{ui.lang()}")
        floor = None
        if floor_mode == "gap_share":
            fraction = st.number_input(ui.tr("floor_fraction"), min_value=0.01, max_value=1.0,
                                       value=float(p.province_floor.fraction if p.province_floor else 1.0), step=0.05, key=f"ffrac_{ver}")
            floor = {"mode": "gap_share", "fraction": fraction,
                     "provinces": p.province_floor.provinces if p.province_floor and p.province_floor.mode == "gap_share" else None}
        elif floor_mode == "explicit":
            start = pd.DataFrame({"province_code": list((p.province_floor.licences or {}).keys()) if p.province_floor else [],
                                  "licences": list((p.province_floor.licences or {}).values()) if p.province_floor else []})
            edited = st.data_editor(start.astype({"province_code": str, "licences": float}), num_rows="dynamic", key=f"floors_{ver}",
                                    column_config={"licences": st.column_config.NumberColumn(min_value=0, step=1)})
            licences = {str(r.province_code).strip(): int(r.licences) for r in edited.dropna().itertuples() if str(r.province_code).strip()}
            floor = {"mode": "explicit", "licences": licences} if licences else None
        st.caption(ui.tr("locks"))
        lock_rows = [{"unit_code": code, "urban": lock.urban, "rural": lock.rural, "total": lock.total} for code, lock in p.locks.items()]
        locks_frame = pd.DataFrame(lock_rows, columns=["unit_code", "urban", "rural", "total"]).astype({"unit_code": str, "urban": float, "rural": float, "total": float})
        locks_edit = st.data_editor(locks_frame, num_rows="dynamic", key=f"locks_{ver}",
                                    column_config={c: st.column_config.NumberColumn(min_value=0, step=1) for c in ("urban", "rural", "total")})
        locks = {}
        for r in locks_edit.itertuples():
            code = str(r.unit_code).strip() if r.unit_code is not None else ""
            if not code or code == "nan":
                continue
            entry = {k: int(v) for k, v in (("urban", r.urban), ("rural", r.rural), ("total", r.total)) if v is not None and v == v}
            if entry:
                locks[code] = entry
    raw = s.model_dump(mode="json")
    raw["plan"].update({
        "budget_licences": int(budget), "budget_mode": mode, "loan_budget_rials": float(loan) or None,
        "saturation_slack": float(slack) if caps_on else None, "min_catchment_urban": float(catch_u) or None,
        "min_catchment_rural": float(catch_r) or None, "province_ceiling_share": float(ceiling) or None,
        "rural_share_min": float(rural) or None, "enforce_parks": bool(parks), "province_floor": floor, "locks": locks,
        "viability_rule": rule, "visits_per_resident": float(visits), "min_visits_urban": float(visits_u),
        "min_visits_rural": float(visits_r),
    })
    raw["need"].update({"urban_residents_per_office": float(need_u), "rural_residents_per_office": float(need_r)})
    try:
        from siting.scenario import validate_scenario

        updated = validate_scenario(raw, "dashboard")
    except AmayeshError as exc:
        st.error(str(exc))
        return
    if updated != s:
        ui.set_scenario(updated)


def cards(result: core.Outcome, lang: str) -> None:
    """Headline cards, each with the first-come-first-served counterfactual beside it."""
    h = core.headline(result.run)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(ui.tr("licences_allocated"), num(h["licences"], lang),
              f"{num(h['licences_urban'], lang)} / {num(h['licences_rural'], lang)}", delta_color="off", delta_arrow="off", border=True)
    c2.metric(ui.tr("need_covered"), pct(h["need_covered"], lang),
              f"{ui.tr('vs_fcfs')}: {pct(h['need_covered_fcfs'], lang)}", delta_color="off", delta_arrow="off", border=True)
    c3.metric(ui.tr("spec_refused"), num(h["speculative_refused"], lang),
              f"{ui.tr('vs_fcfs')}: {num(h['speculative_refused_fcfs'], lang)}", delta_color="off", delta_arrow="off", border=True)
    c4.metric(ui.tr("saturated"), num(h["saturated"], lang), f"{ui.tr('vs_fcfs')}: {num(h['saturated_fcfs'], lang)}", delta_color="off", delta_arrow="off", border=True)
    st.caption(f"{ui.tr('time')}: {num(result.seconds, lang, 2)} {ui.tr('seconds')} · {ui.tr('status_' + h['status'])}")
    for note in h["notes_fa" if lang == "fa" else "notes"]:
        st.info(note)
    if result.run.dataset.synthetic_registers:
        st.warning(ui.tr("synthetic_registers"))


METRIC_COLUMNS = {"new_licences": "new_licences", "score": "score", "gap": "gap"}


def search(frame: pd.DataFrame, text: str, columns: list[str]) -> pd.DataFrame:
    """Rows where any of ``columns`` contains ``text`` (case-insensitive, Persian/Latin digits alike)."""
    if not text.strip():
        return frame
    from siting.text import normalize_digits

    needle = normalize_digits(text.strip()).lower()
    mask = pd.Series(False, index=frame.index)
    for column in columns:
        mask |= frame[column].astype(str).str.lower().str.contains(needle, regex=False, na=False)
    return frame[mask]


def render() -> None:
    lang = ui.lang()
    st.header(ui.tr("page_plan"))
    _parameters()
    force = st.button(ui.tr("run_plan"), key="run_plan", type="primary")
    result = ui.outcome(force=force)
    if result.run is None:
        ui.show_outcome_error(result)
        return
    cards(result, lang)
    run = result.run
    allocation = run.plan.allocation
    metric = st.radio(ui.tr("metric"), list(METRIC_COLUMNS), horizontal=True, format_func=ui.tr, key=f"plan_metric_{lang}")
    geo = ui.geometries(ui.source(), run.scored.level)
    values = allocation.set_index("unit_code")[METRIC_COLUMNS[metric]].astype(float)
    selected = st.session_state.get("selected")
    m, classes = choropleth(geo, values, metric, lang, ui.tr(metric), selected=selected)
    state = st_folium(m, height=480, use_container_width=True, returned_objects=["last_active_drawing"], key=f"plan_map_{metric}")
    clicked = core_click(state)
    st.markdown(legend_html(classes, ui.tr(metric), lang), unsafe_allow_html=True)
    if clicked and clicked != selected:
        st.session_state["selected"] = clicked
        st.info(f"{ui.tr('choose_county')}: {clicked} → {ui.tr('page_why')}")

    st.subheader(ui.tr("allocation"))
    text = st.text_input(ui.tr("search"), key="alloc_search")
    columns = ["unit_code", "name_fa", "name_en", "province_code", "score", "rank", "tier", "existing_offices", "target_offices",
               "cap", "new_urban", "new_rural", "new_licences", "moratorium", "applications", "applications_speculative",
               "population_per_office_after"]
    shown = search(allocation[columns], text, ["unit_code", "name_fa", "name_en", "province_code"]).reset_index(drop=True)
    event = ui.table(shown, hide_index=True, width="stretch", key="allocation_table",
                         on_select="rerun", selection_mode="single-row")
    rows = getattr(getattr(event, "selection", None), "rows", None) if event is not None else None
    if rows:
        st.session_state["selected"] = str(shown.iloc[rows[0]]["unit_code"])
    st.subheader(ui.tr("applications"))
    apps_text = st.text_input(ui.tr("search"), key="apps_search")
    apps = run.plan.applications[["application_id", "unit_code", "plan_unit", "setting", "application_date", "decision",
                                  "speculative", "reason", "queue_position"]]
    ui.table(search(apps, apps_text, ["application_id", "unit_code", "plan_unit", "decision", "reason"]),
                 hide_index=True, width="stretch", key="applications_table")


def core_click(state: dict | None) -> str | None:
    return clicked_code(state)
