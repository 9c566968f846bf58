"""Sidebar: the open scenario, save (never overwriting without asking) and open saved ones."""

from __future__ import annotations

import streamlit as st

from dashboards import ui
from dashboards.state import check_name
from siting.errors import AmayeshError, OutputExistsError


def open_saved(name: str) -> None:
    """Open a saved scenario: its YAML, its data source, and the URL names it."""
    opened = ui.store().load(name)
    st.session_state["scenario"] = opened
    if opened.data:
        st.session_state["source"] = opened.data
    st.session_state["open_name"] = name
    st.session_state["version"] = ui.version() + 1
    st.query_params["scenario"] = name


def sidebar() -> None:
    name = st.session_state.get("open_name")
    st.markdown(f"**{ui.tr('current')}:** {name if name else ui.tr('unsaved')}")
    new_name = st.text_input(ui.tr("save_as"), value=name or "", key="save_name")
    replace = st.checkbox(ui.tr("overwrite"), value=False, key="save_replace")
    if st.button(ui.tr("save"), key="save_button"):
        try:
            check_name(new_name.strip())
            scenario = ui.scenario().model_copy(update={"data": ui.source()})
            result = ui.outcome()
            ui.store().save(new_name.strip(), scenario, result.run, replace=replace)
        except OutputExistsError:
            st.warning(ui.tr("exists"))
        except AmayeshError as exc:
            st.error(str(exc))
        else:
            st.session_state["open_name"] = new_name.strip()
            st.session_state["scenario"] = scenario.model_copy(update={"name": new_name.strip()})
            st.query_params["scenario"] = new_name.strip()
            st.success(f"{ui.tr('saved')}: {new_name.strip()}")
    names = ui.store().names()
    if names:
        pick = st.selectbox(ui.tr("open_scenario"), names, index=names.index(name) if name in names else 0, key="open_pick")
        if st.button(ui.tr("open"), key="open_button"):
            open_saved(pick)
            st.rerun()
