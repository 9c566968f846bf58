"""Why this county: contributions, offices, targets and caps, the binding constraint, one weight's smallest change."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import core, explain, ui
from dashboards.i18n import num, pct


def replanner(dataset):
    """A ``replan(scenario) -> allocation`` for the explanation and robustness searches (no placement)."""
    def replan(scenario):
        result = core.plan(dataset, core.fast_scenario(scenario), name="probe")
        return result.run.plan.allocation if result.run is not None else None

    return replan


def render() -> None:
    lang = ui.lang()
    st.header(ui.tr("page_why"))
    result = ui.outcome()
    if result.run is None:
        ui.show_outcome_error(result)
        return
    run = result.run
    allocation = run.plan.allocation
    codes = allocation["unit_code"].tolist()
    names = dict(zip(allocation["unit_code"], allocation["name_fa" if lang == "fa" else "name_en"]))
    selected = st.session_state.get("selected")
    if selected not in names:
        selected = allocation.sort_values("rank")["unit_code"].iloc[0]
    code = st.selectbox(ui.tr("choose_county"), codes, index=codes.index(selected),
                        format_func=lambda c: f"{c} {names.get(c, '')}", key="why_county")
    st.session_state["selected"] = code
    facts = explain.unit_facts(run, code)
    st.subheader(f"{code} · {facts['name_fa'] if lang == 'fa' else facts['name_en']}")
    c1, c2, c3 = st.columns(3)
    c1.metric(ui.tr("new_licences"), num(facts["new_licences"], lang))
    c2.metric(ui.tr("score"), num(facts["score"], lang, 3), f"{ui.tr('rank')} {num(facts['rank'], lang)}", delta_color="off")
    c3.metric(ui.tr("population"), num(facts["pop_urban"] + facts["pop_rural"], lang))

    st.markdown(f"**{ui.tr('contributions')}**")
    parts = explain.contributions(run, code)
    label = "label_fa" if lang == "fa" else "label_en"
    st.bar_chart(parts.set_index(label)["contribution"], horizontal=True)
    ui.table(parts[["indicator", label, "raw", "normalized", "weight", "contribution", "share"]], hide_index=True, key="contrib_table")

    table = pd.DataFrame([
        {"": ui.tr("existing_urban"), "urban": facts["urban"]["existing"], "rural": facts["rural"]["existing"]},
        {"": ui.tr("target"), "urban": facts["urban"]["target"], "rural": facts["rural"]["target"]},
        {"": ui.tr("cap"), "urban": facts["urban"]["cap"], "rural": facts["rural"]["cap"]},
        {"": ui.tr("catch_u"), "urban": facts["urban"]["viability"], "rural": facts["rural"]["viability"]},
        {"": ui.tr("new"), "urban": facts["urban"]["new"], "rural": facts["rural"]["new"]},
    ])
    ui.table(table, hide_index=True, key="offices_table")

    st.markdown(f"**{ui.tr('binding')}**")
    found = explain.binding(run, code)
    for line in explain.binding_words(found, facts, lang):
        st.markdown(f"- {line}")

    st.markdown(f"**{ui.tr('weight_change')}**")
    if st.button(ui.tr("compute"), key="weight_change_button"):
        bar = st.progress(0.0)
        change = explain.smallest_weight_change(run, code, replanner(run.dataset), progress=lambda f: bar.progress(min(f, 1.0)))
        st.session_state["weight_change"] = (code, core.yaml_key_of(run), change)
    stored = st.session_state.get("weight_change")
    if stored and stored[0] == code and stored[1] == core.yaml_key_of(run):
        change = stored[2]
        if change is None:
            st.write(ui.tr("no_change_found"))
        else:
            word = "+" if change["direction"] > 0 else "−"
            text_en = (f"{change['indicator']}: {word}{pct(change['relative_change'], lang, 0)} "
                       f"({num(change['weight_before'], lang, 3)} → {num(change['weight_after'], lang, 3)}) changes its licences "
                       f"{num(change['licences_before'], lang)} → {num(change['licences_after'], lang)}")
            st.success(text_en)
