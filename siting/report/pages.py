"""Text pages of the committee PDF: cover, tables, the counterfactual and the scenario's parameters.

Pages are matplotlib figures of the map's paper size, laid out right to left for a
Persian reader: the first column of a table is on the right, headers in Persian
with English beneath.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from siting.report import labels as L
from siting.report.print_maps import MapStyle
from siting.report.run import RunData
from siting.report.tables import COUNTERFACTUAL_ITEMS, SHARE, counterfactual_value


@dataclass(frozen=True)
class Column:
    """A table column on paper: data key, headers, relative width and how to write its values.

    ``kind`` is ``text`` (Persian: digits follow the style), ``en`` (English: Latin digits),
    ``int``, ``dec1``, ``score``, ``share`` or ``bool``.
    """

    key: str
    fa: str
    en: str
    width: float
    kind: str = "int"


PROVINCE_COLUMNS = (
    Column("province_fa", "استان", "Province", 2.2, "text"),
    Column("units", "واحد", "Units", 0.8),
    Column("pop_total", "جمعیت", "Population", 1.3),
    Column("existing_offices", "دفاتر موجود", "Existing", 1.0),
    Column("target_offices", "هدف", "Target", 1.0),
    Column("gap", "کمبود", "Gap", 0.9),
    Column("new_licences", "مجوز جدید", "New", 1.0),
    Column("new_urban", "شهری", "Urban", 0.8),
    Column("new_rural", "روستایی", "Rural", 0.8),
    Column("applications", "درخواست", "Applications", 1.0),
    Column("pressure", "درخواست/مجوز", "Appl./licence", 1.0, "dec1"),
    Column("population_per_office_after", "جمعیت/دفتر پس از برنامه", "Pop./office after", 1.5),
    Column("moratorium_units", "واحد ممنوع", "Moratorium", 0.9),
)
def _part_columns(part: str, fa: str, en: str) -> tuple[Column, ...]:
    """Existing, target, cap and new offices of one part (urban or rural) of a unit."""
    return (Column(f"existing_{part}", f"موجود {fa}", f"Exist. {en}", 0.75), Column(f"target_{part}", f"هدف {fa}", f"Target {en}", 0.75),
            Column(f"cap_{part}", f"سقف {fa}", f"Cap {en}", 0.7), Column(f"new_{part}", f"جدید {fa}", f"New {en}", 0.7))


COUNTY_COLUMNS = (
    Column("province_fa", "استان", "Province", 1.4, "text"),
    Column("name_fa", "شهرستان", "County", 1.5, "text"),
    Column("name_en", "County", "(English)", 1.5, "en"),
    Column("score", "امتیاز", "Score", 0.7, "score"),
    Column("rank", "رتبه", "Rank", 0.5),
    Column("pop_total", "جمعیت", "Population", 1.0),
    # Urban (ش) and rural (ر) parts side by side: each has its own cap, which totals would hide.
    *_part_columns("urban", "ش", "urb."),
    *_part_columns("rural", "ر", "rur."),
    Column("new_licences", "جدید", "New", 0.6),
    Column("applications", "درخواست", "Appl.", 0.8),
    Column("applications_speculative", "سوداگرانه", "Specul.", 0.8),
    Column("moratorium_parts", "ممنوع", "Morat.", 0.6, "text"),
)
MORATORIUM_PARTS = {(True, True): "ش · ر", (True, False): "ش", (False, True): "ر", (False, False): ""}
COUNTY_NOTE = ("ش: شهری، ر: روستایی. سقف هر بخش جداگانه است: موجود + جدید ≤ سقف، مگر در بخش ممنوع",
               "urb./ش: urban part, rur./ر: rural part. Each part has its own cap: existing + new ≤ cap, unless the part is closed (Morat.)")


def moratorium_parts(frame: pd.DataFrame) -> pd.Series:
    """Which parts of each unit are closed, as the county table prints it (ش urban, ر rural)."""
    keys = zip(frame["moratorium_urban"].astype(bool), frame["moratorium_rural"].astype(bool))
    return pd.Series([MORATORIUM_PARTS[key] for key in keys], index=frame.index)


MORATORIUM_COLUMNS = (
    Column("province_fa", "استان", "Province", 1.6, "text"),
    Column("name_fa", "شهرستان", "Unit", 1.6, "text"),
    Column("name_en", "Unit", "(English)", 1.6, "en"),
    Column("setting_text", "محیط", "Setting", 0.7, "text"),
    Column("existing_offices", "دفاتر موجود", "Existing", 0.9),
    Column("cap", "سقف", "Cap", 0.6),
    Column("reason", "دلیل", "Reason", 4.0, "en"),
)
WEIGHT_COLUMNS = (
    Column("label_fa", "شاخص", "Indicator", 2.4, "text"),
    Column("label_en", "Indicator", "(English)", 2.4, "en"),
    Column("weight", "وزن", "Weight", 0.9, "share"),
    Column("method", "روش", "Method", 0.8, "en"),
    Column("cr", "نسبت سازگاری", "Consistency ratio", 1.1, "score"),
)
ROWS_PER_PAGE = 38


def _value(value: object, kind: str, persian: bool) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "–"
    if kind == "en":
        return str(value)
    if kind == "text":
        return L.digits(str(value), persian) if persian else str(value)
    if kind == "bool":
        return "•" if bool(value) else ""
    if kind == "share":
        return L.percent(float(value), persian)
    decimals = {"int": 0, "dec1": 1, "score": 3}[kind]
    return L.number(float(value), decimals, persian)


def _page(style: MapStyle, run: RunData, title_fa: str, title_en: str, page_no: int | None = None):
    """A blank page with the running head and foot."""
    import matplotlib.pyplot as plt

    s = style.scale
    fig = plt.figure(figsize=style.size, dpi=100)
    fig.text(0.985, 0.955, title_fa, ha="right", va="center", fontsize=14 * s, fontweight="bold")
    fig.text(0.015, 0.955, title_en, ha="left", va="center", fontsize=11 * s, fontweight="bold")
    scenario_fa, scenario_en = L.scenario_lines(run.summary, style.persian_digits)
    fig.text(0.985, 0.918, f"{L.TITLE_FA} · {scenario_fa}", ha="right", va="center", fontsize=8.5 * s, color="#444444")
    fig.text(0.015, 0.918, f"{L.TITLE_EN} · {scenario_en}", ha="left", va="center", fontsize=8 * s, color="#444444")
    fig.add_artist(_rule(0.9))
    fig.add_artist(_rule(0.05))
    source_fa, source_en = L.source_lines(run.summary, style.persian_digits)
    fig.text(0.985, 0.032, source_fa, ha="right", va="center", fontsize=6 * s)
    fig.text(0.015, 0.032, source_en, ha="left", va="center", fontsize=6 * s)
    fig.text(0.985, 0.014, L.date_line_fa(style.today, style.persian_digits), ha="right", va="center", fontsize=6 * s)
    if page_no is not None:
        fig.text(0.5, 0.014, L.digits(f"{page_no}", style.persian_digits), ha="center", va="center", fontsize=7 * s)
    if run.synthetic:
        fig.text(0.015, 0.014, "SYNTHETIC registers: not real offices or applicants · ثبت مصنوعی", ha="left", va="center",
                 fontsize=6 * s, color="#b30000", fontweight="bold")
    return fig


def _rule(y: float):
    from matplotlib.lines import Line2D

    return Line2D([0.015, 0.985], [y, y], color="#999999", linewidth=0.6)


def table_pages(
    frame: pd.DataFrame,
    columns: tuple[Column, ...],
    run: RunData,
    style: MapStyle,
    title_fa: str,
    title_en: str,
    total: dict[str, object] | None = None,
    rows_per_page: int = ROWS_PER_PAGE,
    note: tuple[str, str] | None = None,
) -> Iterator:
    """A table over as many pages as it needs, first column on the right (figures, one at a time).

    ``total`` is an optional last row (e.g. ``{"province_fa": "جمع کل", "new_licences": 2000}``);
    ``note`` a (Persian, English) line printed under the table on every page.
    """
    s = style.scale
    rows = [{c.key: record.get(c.key) for c in columns} for record in frame.to_dict("records")]
    if total is not None:
        rows.append({c.key: total.get(c.key) for c in columns} | {"_total": True})
    chunks = [rows[i:i + rows_per_page] for i in range(0, max(len(rows), 1), rows_per_page)] or [[]]
    widths = np.array([c.width for c in columns])
    edges = 0.985 - np.concatenate([[0.0], np.cumsum(widths / widths.sum() * 0.97)])
    for number, chunk in enumerate(chunks, start=1):
        suffix_fa = f" ({L.digits(str(number), style.persian_digits)} از {L.digits(str(len(chunks)), style.persian_digits)})" if len(chunks) > 1 else ""
        suffix_en = f" ({number} of {len(chunks)})" if len(chunks) > 1 else ""
        fig = _page(style, run, title_fa + suffix_fa, title_en + suffix_en)
        top, height = 0.875, 0.78 / (rows_per_page + 2)
        for i, column in enumerate(columns):
            centre = (edges[i] + edges[i + 1]) / 2
            fig.text(centre, top, column.fa, ha="center", va="center", fontsize=7.5 * s, fontweight="bold")
            fig.text(centre, top - 0.6 * height, column.en, ha="center", va="center", fontsize=6 * s, color="#555555")
        y = top - 1.7 * height
        fig.add_artist(_rule(y + 0.5 * height))
        for r, row in enumerate(chunk):
            if r % 2 == 1 or row.get("_total"):
                from matplotlib.patches import Rectangle

                colour = "#dde8f3" if row.get("_total") else "#f2f2f2"
                fig.add_artist(Rectangle((0.015, y - 0.5 * height), 0.97, height, color=colour, zorder=0, transform=fig.transFigure))
            for i, column in enumerate(columns):
                text = _value(row.get(column.key), column.kind, style.persian_digits)
                weight = "bold" if row.get("_total") else "normal"
                if column.kind in ("text", "en"):
                    fig.text(edges[i] - 0.004, y, text, ha="right", va="center", fontsize=7 * s, fontweight=weight, clip_on=True)
                else:
                    fig.text((edges[i] + edges[i + 1]) / 2, y, text, ha="center", va="center", fontsize=7 * s, fontweight=weight)
            y -= height
        if note is not None:
            fig.text(0.985, 0.072, note[0], ha="right", va="center", fontsize=6.5 * s, color="#444444")
            fig.text(0.015, 0.058, note[1], ha="left", va="center", fontsize=6.5 * s, color="#444444")
        yield fig


def cover_page(run: RunData, style: MapStyle, contents: list[tuple[str, str]]):
    """Title, scenario, headline numbers, the counterfactual headline and the contents."""
    s = style.scale
    persian = style.persian_digits
    fig = _page(style, run, "بسته کمیسیون", "Committee pack")
    summary = run.summary
    allocation = run.allocation
    fig.text(0.985, 0.85, L.TITLE_FA, ha="right", va="top", fontsize=20 * s, fontweight="bold")
    fig.text(0.985, 0.79, L.TITLE_EN, ha="right", va="top", fontsize=13 * s)
    scenario_fa, scenario_en = L.scenario_lines(summary, persian)
    fig.text(0.985, 0.745, scenario_fa, ha="right", va="top", fontsize=12 * s)
    fig.text(0.985, 0.71, scenario_en, ha="right", va="top", fontsize=10 * s, color="#444444")
    fig.text(0.985, 0.675, L.date_line_fa(style.today, persian), ha="right", va="top", fontsize=9 * s)
    fig.text(0.985, 0.648, L.date_line_en(style.today), ha="right", va="top", fontsize=8.5 * s, color="#444444")
    fcfs = summary.get("counterfactual", {}).get("fcfs", {})
    plan = summary.get("counterfactual", {}).get("plan", {})
    level_fa = L.LEVEL_FA[run.level]
    facts = [
        (f"مجوزهای جدید: {L.number(allocation['new_licences'].sum(), 0, persian)}",
         f"New licences: {allocation['new_licences'].sum():,}"),
        (f"{level_fa}های دارای مجوز جدید: {L.number(int((allocation['new_licences'] > 0).sum()), 0, persian)} از {L.number(len(allocation), 0, persian)}",
         f"Units receiving licences: {int((allocation['new_licences'] > 0).sum())} of {len(allocation)}"),
        (f"واحدهای ممنوع (اشباع): {L.number(int(allocation['moratorium'].sum()), 0, persian)}",
         f"Units under moratorium (saturated): {int(allocation['moratorium'].sum())}"),
        (f"سهم نیاز پوشش‌یافته: {L.percent(summary.get('need_covered_share', np.nan), persian)}",
         f"Need covered: {L.percent(summary.get('need_covered_share', np.nan))}"),
        (f"صدور به ترتیب نوبت: {L.number(fcfs.get('licences_in_saturated_units', np.nan), 0, persian)} مجوز در واحدهای اشباع، "
         f"پوشش نیاز {L.percent(fcfs.get('need_covered_share', np.nan), persian)}",
         f"First come, first served: {L.number(fcfs.get('licences_in_saturated_units', np.nan))} licences in saturated units, "
         f"need covered {L.percent(fcfs.get('need_covered_share', np.nan))}"),
        (f"این برنامه: {L.number(plan.get('licences_in_saturated_units', np.nan), 0, persian)} مجوز در واحدهای اشباع، "
         f"پوشش نیاز {L.percent(plan.get('need_covered_share', np.nan), persian)}",
         f"This plan: {L.number(plan.get('licences_in_saturated_units', np.nan))} licences in saturated units, "
         f"need covered {L.percent(plan.get('need_covered_share', np.nan))}"),
        (f"حل: {summary.get('status', '–')} · {summary.get('solver', '–')}",
         f"Solver: {summary.get('status', '–')} · {summary.get('solver', '–')}"),
    ]
    y = 0.59
    for fa, en in facts:
        fig.text(0.985, y, fa, ha="right", va="top", fontsize=10 * s)
        fig.text(0.985, y - 0.027, en, ha="right", va="top", fontsize=8 * s, color="#555555")
        y -= 0.062
    fig.text(0.015, 0.85, "فهرست · Contents", ha="left", va="top", fontsize=11 * s, fontweight="bold")
    y = 0.81
    for fa, en in contents:
        fig.text(0.015, y, f"{en}  ·  {fa}", ha="left", va="top", fontsize=8.5 * s)
        y -= 0.032
    note = summary.get("data", {}).get("note")
    if note:
        fig.text(0.015, 0.09, f"Note: {note}", ha="left", va="bottom", fontsize=7 * s, color="#444444", wrap=True)
    if run.synthetic:
        fig.text(0.015, 0.14, "ثبت دفاتر و درخواست‌ها مصنوعی است: این بسته برای آزمون است، نه تصمیم\n"
                 "SYNTHETIC registers: this pack is for testing, not for decisions", ha="left", va="bottom",
                 fontsize=9 * s, color="#b30000", fontweight="bold",
                 bbox={"boxstyle": "round,pad=0.4", "facecolor": "#fff0f0", "edgecolor": "#b30000"})
    return fig


def counterfactual_page(run: RunData, style: MapStyle):
    """First come, first served against the plan: one bar pair per headline measure."""
    s = style.scale
    persian = style.persian_digits
    fig = _page(style, run, "مقایسه با صدور به ترتیب نوبت", "Counterfactual: first come, first served vs the plan")
    counterfactual = run.summary.get("counterfactual", {})
    fcfs, plan = counterfactual.get("fcfs", {}), counterfactual.get("plan", {})
    fig.text(0.985, 0.865, "اگر مجوزها به ترتیب نوبت درخواست صادر می‌شد، چه می‌شد؟", ha="right", va="top", fontsize=11 * s)
    fig.text(0.015, 0.865, "What first-come-first-served issuance of the same licences would have done", ha="left",
             va="top", fontsize=9.5 * s, color="#444444")
    for i, (key, (fa, en, fmt)) in enumerate(COUNTERFACTUAL_ITEMS.items()):
        column, row = i % 2, i // 2
        ax = fig.add_axes((0.63 - 0.49 * column, 0.47 - 0.36 * row, 0.33, 0.26))
        values = [counterfactual_value(fcfs, key), counterfactual_value(plan, key)]
        numbers = [np.nan if v is None else float(v) for v in values]
        ax.barh([1, 0], [0 if np.isnan(v) else v for v in numbers], color=["#d7191c", "#2c7bb6"], height=0.6)
        ax.set_yticks([1, 0], ["به ترتیب نوبت · FCFS", "برنامه · Plan"], fontsize=8 * s)
        ax.set_title(f"{fa}\n{en}", fontsize=9 * s, loc="right")
        top = max([v for v in numbers if not np.isnan(v)], default=1.0) or 1.0
        ax.set_xlim(0, top * 1.3)
        for y, v in zip([1, 0], numbers):
            text = L.percent(v, persian) if fmt == SHARE else L.number(v, 0, persian)
            ax.text((0 if np.isnan(v) else v) + top * 0.02, y, text, va="center", ha="left", fontsize=9 * s, fontweight="bold")
        ax.tick_params(axis="x", labelsize=7 * s)
        ax.xaxis.set_visible(False)
        for side in ("top", "right", "bottom"):
            ax.spines[side].set_visible(False)
    return fig


PARAMETER_COLUMNS = (
    Column("parameter", "پارامتر", "Parameter", 2.0, "en"),
    Column("value", "مقدار", "Value", 5.0, "en"),
)
# No wall-clock figure (timings.json): the pack of a plan is the same whenever the plan ran.
RUN_FACTS = ("level", "status", "objective", "bound", "gap", "solver", "licences_allocated",
             "need_covered_share", "speculative_share", "created", "reference_date")


def _short(value: object, limit: int = 70) -> str:
    text = f"{value:,.4g}" if isinstance(value, float) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parameters_pages(run: RunData, style: MapStyle) -> list:
    """The indicator weights with the run's facts, then the scenario's parameters (``scenario.yaml``)."""
    from siting.report.tables import parameters_table

    s = style.scale
    figs = list(table_pages(run.weights, WEIGHT_COLUMNS, run, style, "پارامترها و وزن‌های سناریو",
                            "Scenario parameters and weights", rows_per_page=18))
    summary = run.summary
    lines = [(f"scenario.{k}", v) for k, v in (summary.get("scenario") or {}).items() if k != "sha256"]
    lines += [(k, summary.get(k)) for k in RUN_FACTS if summary.get(k) is not None]
    lines += [(f"data.{k}", v) for k, v in (summary.get("data") or {}).items() if k not in ("note", "sha256")]
    lines += [(f"version.{k}", v) for k, v in (summary.get("versions") or {}).items()]
    fig = figs[0]
    y = 0.40
    fig.text(0.015, y + 0.03, "Run · اجرا", ha="left", va="bottom", fontsize=9 * s, fontweight="bold")
    half = (len(lines) + 1) // 2
    for i, (key, value) in enumerate(lines):
        fig.text(0.015 + 0.49 * (i // half), y - (i % half) * 0.026, f"{key}: {_short(value)}", ha="left", va="top", fontsize=7 * s)
    parameters = parameters_table(run)
    if len(parameters):
        parameters = parameters.assign(value=parameters["value"].map(_short))
        figs.extend(table_pages(parameters, PARAMETER_COLUMNS, run, style, "پارامترهای سناریو (scenario.yaml)",
                                "Scenario parameters (scenario.yaml)"))
    return figs


def parameters_page_count(run: RunData) -> int:
    """Pages :func:`parameters_pages` draws."""
    from siting.report.tables import flatten

    weights = -(-max(len(run.weights), 1) // 18)
    parameters = len(flatten(run.parameters))
    return weights + (-(-parameters // ROWS_PER_PAGE) if parameters else 0)
