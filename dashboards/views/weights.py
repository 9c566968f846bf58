"""Indicators and weights: direct weights, ranks, an AHP pairwise editor with live CR, group AHP; score map."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboards import core, ui
from dashboards.i18n import num
from dashboards.maps import choropleth, legend_html
from dashboards.weighting import (aggregate, consistency, improving_judgements, matrix_from_upper, parse_judgement,
                                  saaty_label, upper_from_matrix)
from siting.catalogue import load_catalogue
from siting.errors import AmayeshError

METHODS = ["direct", "rank_order_centroid", "rank_sum", "ahp", "group_ahp"]


def _label(catalogue, indicator: str, lang: str) -> str:
    entry = catalogue.get(indicator)
    if entry is None:
        return indicator
    return entry.label_fa if lang == "fa" else entry.label_en


def _ahp_editor(indicators: list[str], matrix, catalogue, lang: str, key: str) -> tuple[list[list[float]] | None, list[str]]:
    """Upper-triangle judgements as text inputs; the full matrix (None if a cell is unreadable) and errors."""
    upper = upper_from_matrix(indicators, matrix)
    values, errors = {}, []
    pairs = list(upper.items())
    columns = st.columns(3)
    for k, ((row, column), given) in enumerate(pairs):
        text = columns[k % 3].text_input(f"{_label(catalogue, row, lang)} ⟷ {_label(catalogue, column, lang)}",
                                         value=saaty_label(given), key=f"{key}_{row}_{column}")
        try:
            values[(row, column)] = parse_judgement(text)
        except (ValueError, ZeroDivisionError):
            errors.append(f"{row} / {column}: '{text}'")
    if errors:
        return None, errors
    return matrix_from_upper(indicators, values), []


def _show_consistency(indicators: list[str], matrix, lang: str, max_cr: float, key: str) -> float:
    result = consistency(indicators, matrix)
    cr = result.consistency_ratio
    st.metric(ui.tr("cr"), num(cr, lang, 3), help="CR = CI / RI")
    if cr > max_cr:
        st.warning(ui.tr("cr_bad"))
        ui.table(improving_judgements(indicators, matrix), hide_index=True, key=f"{key}_improve")
    else:
        st.success(ui.tr("cr_ok"))
    return cr


def render() -> None:
    lang = ui.lang()
    ver = ui.version()
    scenario = ui.scenario()
    catalogue = load_catalogue(scenario.catalogue)
    st.header(ui.tr("page_weights"))
    allowed = [i for i, entry in catalogue.items() if not entry.speculative or scenario.allow_speculative_indicators]
    indicators = st.multiselect(ui.tr("indicator"), allowed, default=[i for i in scenario.indicators if i in allowed],
                                format_func=lambda i: _label(catalogue, i, lang), key=f"indicators_{ver}_{lang}")
    if not indicators:
        st.warning(ui.tr("indicator"))
        return
    settings = scenario.weights
    method = st.selectbox(ui.tr("weights_method"), METHODS, index=METHODS.index(settings.method),
                          format_func=lambda m: ui.tr(f"m_{m}"), key=f"method_{ver}_{lang}")
    block: dict | None = None
    if method == "direct":
        cols = st.columns(3)
        values = {}
        for k, i in enumerate(indicators):
            start = (settings.values or {}).get(i, 1.0 / len(indicators))
            values[i] = cols[k % 3].number_input(_label(catalogue, i, lang), min_value=0.0, max_value=100.0,
                                                 value=float(round(start, 4)), step=0.05, format="%.3f", key=f"w_{i}_{ver}")
        block = {"method": "direct", "values": values}
    elif method in ("rank_order_centroid", "rank_sum"):
        cols = st.columns(3)
        ranks = {}
        for k, i in enumerate(indicators):
            start = (settings.ranks or {}).get(i) or catalogue[i].rank or (k + 1)
            ranks[i] = cols[k % 3].number_input(f"{ui.tr('rank')}: {_label(catalogue, i, lang)}", min_value=1.0,
                                                max_value=float(len(catalogue)), value=float(start), step=1.0, key=f"r_{i}_{ver}")
        block = {"method": method, "ranks": ranks}
    elif method == "ahp":
        ahp = settings.ahp
        matrix = ahp.matrix if ahp is not None and ahp.matrix is not None and ahp.indicators == indicators else None
        full, errors = _ahp_editor(indicators, matrix, catalogue, lang, f"ahp_{ver}")
        if errors:
            st.error("; ".join(errors))
        else:
            max_cr = ahp.max_cr if ahp is not None else 0.1
            cr = _show_consistency(indicators, full, lang, max_cr, f"ahp_{ver}")
            if cr <= max_cr:
                block = {"method": "ahp", "ahp": {"indicators": indicators, "matrix": full, "max_cr": max_cr}}
    else:
        ahp = settings.ahp
        saved = dict(ahp.stakeholders) if ahp is not None and ahp.stakeholders and ahp.indicators == indicators else {}
        count = st.number_input(ui.tr("stakeholders"), min_value=1, max_value=8, value=max(len(saved), 2), step=1, key=f"n_stake_{ver}")
        names = list(saved)[: int(count)] + [f"stakeholder_{k + 1}" for k in range(len(saved), int(count))]
        matrices, failed = {}, False
        for k, name in enumerate(names):
            with st.expander(f"{ui.tr('stakeholder')} {k + 1}: {name}", expanded=k == 0):
                full, errors = _ahp_editor(indicators, saved.get(name), catalogue, lang, f"g{k}_{ver}")
                if errors:
                    st.error("; ".join(errors))
                    failed = True
                else:
                    _show_consistency(indicators, full, lang, float("inf"), f"g{k}_{ver}")
                    matrices[name] = full
        if not failed:
            group = aggregate(indicators, matrices)
            st.subheader(ui.tr("aggregate"))
            st.metric(ui.tr("cr"), num(group.group.consistency_ratio, lang, 3))
            ui.table(group.stakeholder_weights.T.join(group.by_indicator), key=f"group_table_{ver}")
            max_cr = ahp.max_cr if ahp is not None else 0.1
            if group.group.consistency_ratio <= max_cr and all(r.consistency_ratio <= max_cr for r in group.individual.values()):
                block = {"method": "group_ahp", "ahp": {"indicators": indicators, "stakeholders": matrices, "max_cr": max_cr}}
            else:
                st.warning(ui.tr("cr_bad"))
    if block is not None:
        try:
            raw = scenario.model_dump(mode="json")
            raw["indicators"] = indicators
            raw["weights"] = block
            from siting.scenario import validate_scenario

            updated = validate_scenario(raw, "dashboard")
        except AmayeshError as exc:
            st.error(str(exc))
        else:
            if updated != scenario:
                ui.set_scenario(updated)
    result = ui.outcome()
    if result.scored is None:
        ui.show_outcome_error(result)
        return
    scored = result.scored
    table = scored.weights[["indicator", "label_fa" if lang == "fa" else "label_en", "weight", "cr"]]
    ui.table(table, hide_index=True, key="weights_table",
                 column_config={"weight": st.column_config.ProgressColumn(ui.tr("weight"), min_value=0.0, max_value=1.0, format="%.3f")})
    st.subheader(ui.tr("score_map"))
    geo = ui.geometries(ui.source(), scored.level)
    scores = scored.scores.set_index("unit_code")
    m, classes = choropleth(geo, scores["score"], "score", lang, ui.tr("score"))
    st_folium(m, height=420, use_container_width=True, returned_objects=[], key="score_map")
    st.markdown(legend_html(classes, ui.tr("score"), lang), unsafe_allow_html=True)
    shown = scored.scores[["unit_code", "name_fa", "name_en", "province_code", "score", "rank", "tier"] + list(scored.weights["indicator"])]
    ui.table(shown, hide_index=True, width="stretch", key="scores_table")
