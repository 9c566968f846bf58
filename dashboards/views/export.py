"""Export: the committee pack, the offline map, print maps, the workbook and the GeoPackage, as downloads."""

from __future__ import annotations

import streamlit as st

from dashboards import exports, ui
from siting.errors import AmayeshError

LABELS = {"pack": "dl_pack", "html": "dl_map", "print": "dl_print", "xlsx": "dl_xlsx", "gpkg": "dl_gpkg"}


def render() -> None:
    st.header(ui.tr("page_export"))
    name = st.session_state.get("open_name")
    if not name or not ui.store().get(name).has_run:
        st.info(ui.tr("export_needs_save"))
        return
    folder = ui.store().get(name).run_folder
    st.caption(f"{ui.tr('current')}: {name}")
    for kind, label in LABELS.items():
        c1, c2 = st.columns([1, 2])
        if c1.button(f"{ui.tr('make_exports')}: {ui.tr(label)}", key=f"make_{kind}"):
            with st.spinner(ui.tr(label)):
                try:
                    exports.make_export(folder, kind, persian_digits=ui.lang() == "fa")
                except AmayeshError as exc:
                    st.error(str(exc))
        path = exports.existing_export(folder, kind)
        if path is not None:
            c2.download_button(ui.tr(label), data=path.read_bytes(), file_name=f"{name}-{path.name}",
                               mime=exports.MIME[kind], key=f"download_{kind}")
