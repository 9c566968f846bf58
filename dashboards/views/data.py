"""Data page: choose the embedded default, the official folder or uploaded files; validation; map; registers."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboards import core, ui
from dashboards.i18n import num
from dashboards.maps import choropleth, legend_html
from dashboards.uploads import LAYERS, Upload, guess_layer, load_uploads
from siting.data.dataset import summary
from siting.errors import AmayeshError, DataError


def _switch(source: str) -> bool:
    """Load ``source``; on failure show every problem and keep the loaded data."""
    try:
        ui.dataset(source)
    except (DataError, AmayeshError) as exc:
        st.session_state["data_problems"] = core.data_problems(exc)
        return False
    st.session_state["source"] = source
    st.session_state.pop("data_problems", None)
    return True


def render() -> None:
    lang = ui.lang()
    st.header(ui.tr("page_data"))
    kinds = ["embedded", "official", "upload"]
    kind = st.radio(ui.tr("data_source"), kinds, horizontal=True, key=f"data_kind_{lang}",
                    format_func=lambda k: ui.tr(f"src_{k}"))
    if kind == "embedded":
        if st.button(ui.tr("load"), key="load_embedded"):
            _switch("embedded")
    elif kind == "official":
        folder = st.text_input(ui.tr("official_folder"), value=core.default_official(), key="official_folder")
        if st.button(ui.tr("load"), key="load_official"):
            _switch(folder.strip())
    else:
        files = st.file_uploader(ui.tr("upload_files"), accept_multiple_files=True, key="uploads")
        chosen = []
        for i, file in enumerate(files or []):
            guess = guess_layer(file.name)
            layer = st.selectbox(f"{ui.tr('upload_layer')} {file.name}", LAYERS,
                                 index=LAYERS.index(guess) if guess else 0, key=f"upload_layer_{i}")
            chosen.append((file, layer))
        if st.button(ui.tr("validate_upload"), key="validate_upload"):
            uploads = [Upload(file.name, layer, file.getvalue()) for file, layer in chosen]
            data, folder, problems = load_uploads(uploads, core.workspace() / "uploads", ui.source(), ui.dataset)
            if data is None:
                st.session_state["data_problems"] = core.problems_table(problems)
                st.session_state["upload_refused"] = True
            else:
                st.session_state["source"] = folder
                st.session_state.pop("data_problems", None)
                st.session_state.pop("upload_refused", None)

    problems = st.session_state.get("data_problems")
    if problems is not None and len(problems):
        if st.session_state.get("upload_refused"):
            st.error(ui.tr("upload_refused"))
        st.subheader(ui.tr("problems"))
        # plain text, as the CLI prints them (file, row, column, message); never rendered as HTML or markdown
        st.code("\n".join(core.problem_lines(problems)), language=None)
        ui.table(problems, hide_index=True, width="stretch", key="problems_table")

    dataset = ui.dataset(ui.source())
    facts = summary(dataset)
    st.subheader(f"{ui.tr('loaded')}: {facts.get('source')}")
    st.caption(f"{facts.get('population_source')} · {facts.get('note') or ''}")
    columns = st.columns(4)
    for column, level in zip(columns, ("province", "county")):
        if f"{level}_units" in facts:
            column.metric(f"{ui.tr('units')} ({level})", num(facts[f"{level}_units"], lang))
    columns[2].metric(ui.tr("population"), num(facts.get("province_population_total", facts.get("county_population_total", 0)), lang))
    columns[3].metric(ui.tr("settlements"), num(facts.get("settlements", 0), lang))

    st.subheader(ui.tr("validation"))
    warnings = core.problems_table(list(dataset.warnings))
    if len(warnings):
        ui.table(warnings, hide_index=True, width="stretch", key="warnings_table")
    else:
        st.success(ui.tr("valid"))

    st.subheader(ui.tr("registers"))
    origin = core.register_origin(dataset)
    counts = {"offices": facts.get("offices", 0), "applications": facts.get("applications", 0), "industrial_parks": facts.get("parks", 0)}
    rows = [{"register": ui.tr("parks" if name == "industrial_parks" else name), "rows": num(counts[name] or 0, lang),
             "origin": ui.tr("synthetic") if kind_ == "synthetic" else ui.tr("real") if kind_ else ui.tr("none")}
            for name, kind_ in origin.items()]
    ui.table(pd.DataFrame(rows), hide_index=True, width="stretch", key="registers_table")
    if dataset.synthetic_registers:
        st.warning(ui.tr("synthetic_registers"))

    level = dataset.metadata.get("plan_level") or dataset.levels[-1]
    geo = ui.geometries(ui.source(), level)
    units = dataset.level(level).set_index("unit_code")
    m, classes = choropleth(geo, units["pop_total"].astype(float), "new_licences", lang, ui.tr("population"))
    st_folium(m, height=420, use_container_width=True, returned_objects=[], key=f"data_map_{ui.source()}")
    st.markdown(legend_html(classes, ui.tr("population"), lang), unsafe_allow_html=True)
