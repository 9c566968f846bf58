"""Streamlit glue shared by the pages: cached data, the scenario being edited, the current plan.

Large objects (datasets) are cached with ``st.cache_resource`` (read-only by convention, no pickled
copy per hit); the scenario and the latest plan live in ``st.session_state``; saved scenarios live on
disk (:mod:`dashboards.state`) and the URL names the open one (``?scenario=NAME``).
"""

from __future__ import annotations

import hashlib
import html

import streamlit as st

from dashboards import core
from dashboards.i18n import t
from dashboards.maps import simplified_units
from dashboards.state import ScenarioStore
from dashboards.tables import table_view
from siting.scenario import Scenario, scenario_yaml


@st.cache_resource(show_spinner=False, max_entries=8)
def dataset(source: str):
    """The dataset of ``source`` (embedded, official folder or an upload folder), loaded once per process."""
    return core.load_data(source)


@st.cache_resource(show_spinner=False, max_entries=16)
def geometries(source: str, level: str):
    """Simplified geometries of a level, once per dataset."""
    return simplified_units(dataset(source).level(level))


def store() -> ScenarioStore:
    """The saved scenarios of the workspace (``AMAYESH_DASHBOARD_HOME``)."""
    return ScenarioStore(core.workspace() / "scenarios")


def lang() -> str:
    return st.session_state.get("lang", "en")


def tr(key: str) -> str:
    return t(key, lang())


def source() -> str:
    return st.session_state["source"]


def scenario() -> Scenario:
    return st.session_state["scenario"]


def version() -> int:
    """Bumped when a scenario is opened, so that the widgets take its values afresh."""
    return st.session_state.get("version", 0)


def set_scenario(new: Scenario) -> None:
    st.session_state["scenario"] = new


def yaml_key(s: Scenario) -> str:
    return hashlib.sha256((source() + "\n" + scenario_yaml(s)).encode("utf-8")).hexdigest()


def outcome(force: bool = False) -> core.Outcome:
    """The plan of the current scenario on the current data, re-made only when either changed."""
    s = core.fast_scenario(scenario())
    key = yaml_key(s)
    cached = st.session_state.get("outcome")
    if not force and cached is not None and st.session_state.get("outcome_key") == key:
        return cached
    scoring = source() + core.scoring_key(s)
    reuse = cached.scored if cached is not None and st.session_state.get("scoring_key") == scoring else None
    result = core.plan(dataset(source()), s, name=st.session_state.get("open_name") or "draft", scored=reuse)
    st.session_state["scoring_key"] = scoring
    st.session_state["outcome"] = result
    st.session_state["outcome_key"] = key
    return result


def show_outcome_error(result: core.Outcome) -> None:
    """An infeasible or invalid scenario, in plain words (the elastic diagnosis for infeasibility)."""
    if result.kind == "infeasible":
        st.error(tr("infeasible"))
        st.write(tr("infeasible_hint"))
        for line in core.infeasible_words(result.diagnosis, lang()):
            st.markdown(f"- {line}")
    else:
        st.error(tr("scenario_error"))
        st.code(result.error or "", language=None)


def safe(text: object) -> str:
    """Escape a value for the few HTML snippets the dashboard writes itself."""
    return html.escape(str(text))


def table(frame, key: str, column_config: dict | None = None, **kwargs):
    """``st.dataframe`` in the page's language: translated headers; Persian digits and Jalali dates in Persian mode.

    ``column_config`` entries given by the page win over the translated headers; the return value is
    ``st.dataframe``'s (a selection event when ``on_select`` is given).
    """
    data, labels = table_view(frame, lang())
    config: dict = {column: label for column, label in labels.items() if label != column}
    config.update(column_config or {})
    return st.dataframe(data, key=key, column_config=config, **kwargs)
