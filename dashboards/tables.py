"""How the dashboard shows a table: translated headers, Persian digits and Jalali dates in Persian mode.

The headers and number formats are the committee workbook's (:data:`siting.report.tables.COLUMNS`),
so the page and the workbook name a column the same way. In Persian mode the numbers are written by
a pandas ``Styler`` (display only): the grid still sorts on the numbers themselves, and the frame a
selection returns keeps its raw values and column names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd

from dashboards.i18n import STRINGS
from siting.dates import to_jalali
from siting.report.labels import DECISION_FA, SETTING_FA, STATUS_FA, TIER_FA, number
from siting.report.tables import COLUMNS, DECIMAL1, INTEGER, SCORE, SHARE

_DECIMALS = {INTEGER: 0, DECIMAL1: 1, SCORE: 3}
# Coded values written in Persian in Persian mode (the code is what search and selections still see)
VALUE_WORDS_FA: dict[str, dict[str, str]] = {"tier": TIER_FA, "decision": DECISION_FA, "setting": SETTING_FA, "status": STATUS_FA}


def header(column: str, lang: str) -> str:
    """A column's header in ``lang``: the workbook's, else the dashboard's string, else its name."""
    if column in COLUMNS:
        fa, en, _ = COLUMNS[column]
        return fa if lang == "fa" else en
    if column in STRINGS:
        en, fa = STRINGS[column]
        return fa if lang == "fa" else en
    return column


def _is_date(series: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(series):
        return True
    if series.dtype != object:
        return False
    sample = series.dropna()
    return len(sample) > 0 and all(isinstance(v, dt.date) for v in sample.head(20))


def cell_formatter(series: pd.Series, lang: str) -> Callable[[Any], str] | None:
    """The function that writes one cell of ``series`` in Persian mode (``None``: leave the cell as it is)."""
    if lang != "fa":
        return None
    if pd.api.types.is_bool_dtype(series):
        return lambda v: "–" if pd.isna(v) else ("بله" if v else "خیر")
    words = VALUE_WORDS_FA.get(str(series.name))
    if words is not None:
        return lambda v: "–" if pd.isna(v) else words.get(str(v), str(v))
    if _is_date(series):
        return lambda v: to_jalali(pd.Timestamp(v).date() if not pd.isna(v) else None, persian_digits=True)
    if not pd.api.types.is_numeric_dtype(series):
        return None
    fmt = COLUMNS.get(str(series.name), (None, None, None))[2]
    if fmt == SHARE:
        return lambda v: "–" if pd.isna(v) else number(100 * float(v), 1, persian=True) + "٪"
    if fmt in _DECIMALS:
        decimals = _DECIMALS[fmt]
    elif pd.api.types.is_integer_dtype(series):
        decimals = 0
    else:
        finite = series.dropna()
        whole = len(finite) > 0 and bool((finite == finite.round()).all())
        decimals = 0 if whole else 3
    return lambda v: "–" if pd.isna(v) else number(float(v), decimals, persian=True)


def table_view(frame: pd.DataFrame, lang: str) -> tuple[Any, dict[str, str]]:
    """``(data, labels)`` to give ``st.dataframe``: the frame (a ``Styler`` in Persian mode) and its headers.

    The index is not formatted (the pages hide it or show codes in it).
    """
    labels = {str(c): header(str(c), lang) for c in frame.columns}
    formatters = {c: f for c in frame.columns if (f := cell_formatter(frame[c], lang)) is not None}
    if not formatters:
        return frame, labels
    return frame.style.format(formatters), labels
