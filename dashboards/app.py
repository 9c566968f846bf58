"""Amayesh planning dashboard (Streamlit entry point): ``amayesh dashboard`` or ``streamlit run dashboards/app.py``.

The pages live in ``dashboards/views/`` (not ``pages/``, which Streamlit would turn into its own navigation); the logic in the small modules beside this file. Every plan is
made by :mod:`siting.pipeline`, the functions the CLI calls.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboards import assets, core, ui  # noqa: E402
from dashboards.i18n import LANGS, page_css, t, today_line  # noqa: E402
from dashboards.views import PAGES  # noqa: E402

assets.ensure_static()
st.set_page_config(page_title="Amayesh", page_icon=None, layout="wide")


def _first_run() -> None:
    """Language, data source and scenario from the URL (or the browser locale), once per session."""
    if "scenario" in st.session_state:
        return
    params = st.query_params
    wanted = params.get("lang")
    if wanted not in LANGS:
        locale = (getattr(st.context, "locale", None) or "").lower()
        wanted = "fa" if locale.startswith("fa") else "en"
    st.session_state["lang"] = wanted
    st.session_state["source"] = core.default_source()
    st.session_state["scenario"] = core.default_scenario()
    name = params.get("scenario")
    if name:
        try:
            opened = ui.store().load(name)
        except Exception as exc:  # a stale or bad link: say so, keep the defaults
            st.session_state["open_error"] = str(exc)
        else:
            st.session_state["scenario"] = opened
            st.session_state["source"] = opened.data or core.default_source()
            st.session_state["open_name"] = name


_first_run()
lang = ui.lang()
st.markdown(page_css(lang), unsafe_allow_html=True)  # a constant style block: no user text

with st.sidebar:
    choice = st.radio(t("language", lang), ["en", "fa"], index=LANGS.index(lang), horizontal=True,
                      format_func=lambda code: "English" if code == "en" else "فارسی", key="lang_radio")
    if choice != lang:
        st.session_state["lang"] = choice
        st.query_params["lang"] = choice
        st.rerun()
    keys = list(PAGES)
    wanted_page = st.query_params.get("page")
    page = st.radio(t("page", lang), keys, index=keys.index(wanted_page) if wanted_page in keys else 0,
                    format_func=lambda key: t(f"page_{key}", lang), key=f"nav_{lang}")
    if st.query_params.get("page") != page:
        st.query_params["page"] = page
    st.caption(today_line(lang))
    from dashboards.views import scenarios

    scenarios.sidebar()

st.title(t("title", lang))
if st.session_state.get("open_error"):
    st.warning(st.session_state.pop("open_error"))
try:
    ui.dataset(ui.source())
except Exception as exc:  # the saved source is gone or invalid: fall back to the default and say so
    st.error(f"{ui.source()}: {exc}")
    st.session_state["source"] = core.default_source()
PAGES[page]()
