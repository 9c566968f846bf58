"""Compare: two or more saved scenarios (or a batch folder's runs) side by side."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit_folium import st_folium

from dashboards import compare, ui
from dashboards.maps import choropleth, legend_html


def render() -> None:
    lang = ui.lang()
    st.header(ui.tr("page_compare"))
    store = ui.store()
    saved = [n for n in store.names() if store.get(n).has_run]
    picked = st.multiselect(ui.tr("compare_pick"), saved, default=saved[:2], key="compare_pick")
    batch = st.text_input(ui.tr("batch_folder"), value="", key="compare_batch")
    allocations = {name: compare.read_allocation(store.get(name).run_folder) for name in picked}
    if batch.strip():
        try:
            _, runs = compare.read_batch_folder(Path(batch.strip()))
        except Exception as exc:  # a folder that is not a batch: say what is wrong
            st.error(f"{batch}: {exc}")
        else:
            allocations.update({f"batch:{k}": v for k, v in runs.items()})
    if len(allocations) < 2:
        st.info(ui.tr("compare_pick"))
        return
    labels = list(allocations)
    wide = compare.side_by_side(allocations)
    st.subheader(ui.tr("province_totals"))
    ui.table(compare.province_totals(wide, labels), hide_index=True, key="compare_provinces")
    first = st.selectbox("A", labels, index=0, key="compare_a")
    second = st.selectbox("B", labels, index=1, key="compare_b")
    diff = compare.changes(wide, first, second)
    st.subheader(f"{ui.tr('changes')} ({len(diff)})")
    ui.table(diff, hide_index=True, width="stretch", key="compare_changes")
    level = ui.outcome().run.scored.level if ui.outcome().run is not None else "county"
    try:
        geo = ui.geometries(ui.source(), level)
    except Exception:
        return
    cols = st.columns(3)
    values = wide.set_index("unit_code")
    for column, label, metric in ((cols[0], first, "new_licences"), (cols[1], second, "new_licences")):
        with column:
            st.caption(label)
            m, classes = choropleth(geo, values[label].astype(float), metric, lang, ui.tr("new_licences"))
            st_folium(m, height=320, use_container_width=True, returned_objects=[], key=f"cmp_{label}")
            st.markdown(legend_html(classes, ui.tr("new_licences"), lang), unsafe_allow_html=True)
    with cols[2]:
        st.caption(f"{ui.tr('difference')}: {second} − {first}")
        m, classes = choropleth(geo, (values[second] - values[first]).astype(float), "gap", lang, ui.tr("difference"))
        st_folium(m, height=320, use_container_width=True, returned_objects=[], key="cmp_diff")
        st.markdown(legend_html(classes, ui.tr("difference"), lang), unsafe_allow_html=True)
