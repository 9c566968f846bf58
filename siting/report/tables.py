"""The tables behind the maps: allocation by province and by county, and the committee workbook.

``pack.xlsx`` (openpyxl) has one sheet per table, each with a Persian header row
above an English one (both frozen), number formats, a filter and a right-to-left
sheet view. Totals are in the ``summary`` sheet, so that the data sheets sum to them.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from siting.reproducible import zip_at
from siting.report import labels as L
from siting.report.labels import DECISION_FA
from siting.report.run import RunData
from siting.viability import MARKET_COLUMNS, VIABLE_COLUMNS

INTEGER = "#,##0"
DECIMAL1 = "#,##0.0"
SCORE = "0.000"
SHARE = "0.0%"
TEXT = "@"

# column → (Persian header, English header, number format)
COLUMNS: dict[str, tuple[str, str, str | None]] = {
    "province_code": ("کد استان", "Province code", TEXT),
    "province_fa": ("استان", "Province", None),
    "province_en": ("Province", "Province (English)", None),
    "unit_code": ("کد واحد", "Unit code", TEXT),
    "name_fa": ("نام", "Name", None),
    "name_en": ("Name", "Name (English)", None),
    "units": ("تعداد واحد", "Units", INTEGER),
    "score": ("امتیاز نیاز", "Need score", SCORE),
    "rank": ("رتبه", "Rank", INTEGER),
    "tier": ("سطح", "Tier", INTEGER),
    "pop_total": ("جمعیت ۱۳۹۵", "Population 2016", INTEGER),
    "existing_offices": ("دفاتر موجود", "Existing offices", INTEGER),
    "target_offices": ("هدف", "Target offices", INTEGER),
    "gap": ("کمبود", "Gap", INTEGER),
    "cap": ("سقف (جمع شهری و روستایی)", "Cap (urban + rural)", INTEGER),
    "existing_urban": ("دفاتر موجود شهری", "Existing urban", INTEGER),
    "target_urban": ("هدف شهری", "Target urban", INTEGER),
    "cap_urban": ("سقف شهری", "Cap urban", INTEGER),
    "existing_rural": ("دفاتر موجود روستایی", "Existing rural", INTEGER),
    "target_rural": ("هدف روستایی", "Target rural", INTEGER),
    "cap_rural": ("سقف روستایی", "Cap rural", INTEGER),
    "new_licences": ("مجوز جدید", "New licences", INTEGER),
    "new_urban": ("مجوز جدید شهری", "New urban", INTEGER),
    "new_rural": ("مجوز جدید روستایی", "New rural", INTEGER),
    "applications": ("درخواست‌ها", "Applications", INTEGER),
    "applications_fitting": ("درخواست‌های منطبق", "Applications fitting", INTEGER),
    "applications_speculative": ("درخواست‌های سوداگرانه", "Speculative applications", INTEGER),
    "pressure": ("درخواست به ازای مجوز", "Applications per licence", DECIMAL1),
    "population_per_office_after": ("جمعیت به ازای هر دفتر (پس از برنامه)", "Population per office after", INTEGER),
    "moratorium": ("ممنوعیت", "Moratorium", None),
    "moratorium_units": ("واحدهای ممنوع", "Moratorium units", INTEGER),
    "reason": ("دلیل", "Reason", None),
    "application_id": ("شناسه درخواست", "Application", TEXT),
    "unit_name": ("نام واحد", "Unit name", None),
    "applicant_hash": ("شناسه متقاضی (درهم‌سازی)", "Applicant (hashed)", TEXT),
    "application_date": ("تاریخ درخواست", "Application date", TEXT),
    "veteran": ("ایثارگر", "Veteran", None),
    "education": ("تحصیلات", "Education", None),
    "decision": ("تصمیم (کد)", "Decision", None),
    "decision_fa": ("تصمیم", "Decision (Persian)", None),
    "licence_id": ("شناسه مجوز", "Licence", TEXT),
    "finding": ("یافته", "Finding", None),
    "detail": ("شرح", "Detail", None),
    "indicator": ("شاخص (کد)", "Indicator", None),
    "label_fa": ("شاخص", "Indicator (Persian)", None),
    "label_en": ("Indicator", "Indicator (English)", None),
    "weight": ("وزن", "Weight", SHARE),
    "method": ("روش", "Method", None),
    "cr": ("نسبت سازگاری", "Consistency ratio", SCORE),
    "item_fa": ("مورد", "Item (Persian)", None),
    "item_en": ("Item", "Item", None),
    "value": ("مقدار", "Value", None),
    "fcfs": ("صدور به ترتیب نوبت", "First come, first served", None),
    "plan": ("برنامه", "Plan", None),
    "parameter": ("پارامتر", "Parameter", None),
    "setting": ("محیط (شهری/روستایی)", "Setting", None),
    "plan_unit": ("واحد برنامه", "Plan unit", TEXT),
    "resident_unit_code": ("واحد محل سکونت", "Resident unit", TEXT),
    "speculative": ("سوداگرانه", "Speculative", None),
    "queue_position": ("نوبت", "Queue position", INTEGER),
    "moratorium_urban": ("ممنوعیت شهری", "Urban moratorium", None),
    "moratorium_rural": ("ممنوعیت روستایی", "Rural moratorium", None),
    "moratorium_partial": ("ممنوعیت جزئی", "Partial moratorium", None),
    "pop_urban": ("جمعیت شهری", "Urban population", INTEGER),
    "pop_rural": ("جمعیت روستایی", "Rural population", INTEGER),
    "direction": ("جهت", "Direction", None),
    "park_id": ("شناسه شهرک", "Park", TEXT),
    "viable_urban": ("دفاتر پایدار شهری (قاعده پایداری)", "Viable urban offices", INTEGER),
    "viable_rural": ("دفاتر پایدار روستایی (قاعده پایداری)", "Viable rural offices", INTEGER),
    "counter_share": ("سهم دفاتر پیشخوان از مراجعه", "Counter offices' share of visits", SHARE),
    "visits_urban": ("مراجعه سالانه شهری", "Urban visits a year", INTEGER),
    "visits_rural": ("مراجعه سالانه روستایی", "Rural visits a year", INTEGER),
    # batch tables (siting.batch)
    "scenario_id": ("شناسه سناریو", "Scenario id", TEXT),
    "label": ("سناریو", "Scenario", None),
    "family": ("خانواده", "Family", None),
    "status": ("وضعیت", "Status", None),
    "message": ("پیام", "Message", None),
    "class": ("پایداری", "Robustness", None),
    "share_allocated": ("سهم سناریوهای دارای مجوز", "Share of scenarios allocated", SHARE),
    "mean_licences": ("میانگین مجوز", "Mean licences", DECIMAL1),
    "min": ("کمینه", "Minimum", INTEGER),
    "median": ("میانه", "Median", DECIMAL1),
    "max": ("بیشینه", "Maximum", INTEGER),
    "median_rank": ("میانه رتبه", "Median rank", DECIMAL1),
    "rank_p5": ("رتبه صدک ۵", "Rank, 5th percentile", DECIMAL1),
    "rank_p95": ("رتبه صدک ۹۵", "Rank, 95th percentile", DECIMAL1),
    "share_top50": ("سهم در ۵۰ رتبه نخست", "Share in the top 50", SHARE),
}
SUM_COLUMNS = ("pop_total", "existing_offices", "target_offices", "new_licences", "new_urban", "new_rural", "applications",
               "applications_fitting", "applications_speculative", "existing_urban", "existing_rural", "target_urban", "target_rural")
# Each part beside the totals: the saturation cap binds urban and rural offices separately.
PART_COLUMNS = ("existing_urban", "target_urban", "cap_urban", "new_urban", "moratorium_urban",
                "existing_rural", "target_rural", "cap_rural", "new_rural", "moratorium_rural")
COUNTERFACTUAL_ITEMS = {
    "licences_in_saturated_units": ("مجوز در واحدهای اشباع", "Licences in saturated units", INTEGER),
    "need_covered_share": ("سهم نیاز پوشش‌یافته", "Share of need covered", SHARE),
    "offices_below_viability": ("مجوز در واحدهای زیر آستانه دوام", "Licences in units below viability", INTEGER),
    "speculative_served": ("درخواست‌های سوداگرانه پذیرفته", "Speculative applications served", INTEGER),
}
# Names `amayesh plan` writes for the same measures.
COUNTERFACTUAL_ALIASES = {"offices_below_viability": ("licences_in_units_below_viability",)}


def counterfactual_value(side: dict, key: str) -> object:
    """A headline measure of one side (``fcfs`` or ``plan``) under its name or an alias."""
    for name in (key, *COUNTERFACTUAL_ALIASES.get(key, ())):
        if side.get(name) is not None:
            return side[name]
    return None


def province_names(run: RunData) -> pd.DataFrame:
    """Persian and English name of every province code of the run."""
    provinces = run.provinces
    frame = pd.DataFrame({"province_code": provinces["province_code"]})
    frame["province_fa"] = provinces["name_fa"] if "name_fa" in provinces else provinces["province_code"]
    frame["province_en"] = provinces["name_en"] if "name_en" in provinces else provinces["province_code"]
    return frame.drop_duplicates("province_code")


def by_county(run: RunData) -> pd.DataFrame:
    """The allocation per unit with province names, gap and pressure, in province then unit order."""
    units = pd.DataFrame(run.units.drop(columns="geometry"))
    table = units.merge(province_names(run), on="province_code", how="left")
    columns = ["province_code", "province_fa", "unit_code", "name_fa", "name_en", "score", "rank", "tier", "pop_total",
               "existing_offices", "target_offices", "gap", "cap", "new_licences", *PART_COLUMNS, "applications",
               "applications_speculative", "pressure", "population_per_office_after", "moratorium"]
    # The viability limits as applied (and the market behind them under the visits rule); older run folders lack them.
    columns += [c for c in (*VIABLE_COLUMNS, *MARKET_COLUMNS) if c in table]
    return table[columns].sort_values(["province_code", "unit_code"], kind="stable").reset_index(drop=True)


def by_province(run: RunData) -> pd.DataFrame:
    """The allocation summed per province, with population per office after the plan and pressure."""
    units = pd.DataFrame(run.units.drop(columns="geometry"))
    grouped = units.groupby("province_code", sort=True)
    table = grouped[list(SUM_COLUMNS)].sum(min_count=1)  # parts missing from older runs stay empty, not 0
    table.insert(0, "units", grouped.size())
    table["moratorium_units"] = grouped["moratorium"].sum().astype(int)
    table["gap"] = table["target_offices"] - table["existing_offices"]
    offices_after = table["existing_offices"] + table["new_licences"]
    table["population_per_office_after"] = np.round(table["pop_total"] / offices_after.where(offices_after > 0), 0)
    table["pressure"] = table["applications"] / np.maximum(table["new_licences"], 1)
    table = table.reset_index().merge(province_names(run), on="province_code", how="left")
    columns = ["province_code", "province_fa", "province_en", "units", "pop_total", "existing_offices", "target_offices", "gap",
               "new_licences", "existing_urban", "target_urban", "new_urban", "existing_rural", "target_rural", "new_rural", "applications", "applications_speculative", "pressure",
               "population_per_office_after", "moratorium_units"]
    return table[columns]


def applications_table(run: RunData) -> pd.DataFrame:
    """Applications with their decisions, the unit's name and the decision in Persian."""
    names = run.allocation.set_index("unit_code")["name_fa"]
    table = run.applications.copy()
    table.insert(2, "unit_name", table["unit_code"].map(names))
    table["decision_fa"] = table["decision"].map(DECISION_FA)
    return table


def audit_table(run: RunData) -> pd.DataFrame:
    """Register audit findings with the unit's name."""
    names = run.allocation.set_index("unit_code")["name_fa"]
    table = run.register_audit.copy()
    table.insert(2, "unit_name", table["unit_code"].map(names))
    return table


def counterfactual_table(run: RunData) -> pd.DataFrame:
    """First-come-first-served issuance against the plan, one row per headline measure."""
    counterfactual = run.summary.get("counterfactual", {})
    rows = []
    for key, (fa, en, _) in COUNTERFACTUAL_ITEMS.items():
        rows.append({"item_fa": fa, "item_en": en, "fcfs": counterfactual_value(counterfactual.get("fcfs", {}), key),
                     "plan": counterfactual_value(counterfactual.get("plan", {}), key), "key": key})
    return pd.DataFrame(rows)


def summary_table(run: RunData) -> pd.DataFrame:
    """The scenario, solver and data facts and the national totals, as (Persian, English, value) rows."""
    summary = run.summary
    allocation = run.allocation
    data = summary.get("data", {})
    scenario = summary.get("scenario", {})
    rows = [
        ("سناریو", "Scenario", scenario.get("name_fa") or scenario.get("name")),
        ("نام لاتین سناریو", "Scenario (English)", scenario.get("name")),
        ("سطح برنامه", "Plan level", summary.get("level")),
        ("وضعیت حل", "Solver status", summary.get("status")),
        ("حل‌کننده", "Solver", summary.get("solver")),
        ("مقدار هدف", "Objective", summary.get("objective")),
        ("کران", "Bound", summary.get("bound")),
        ("شکاف بهینگی", "Optimality gap", summary.get("gap")),
        ("مجوزهای تخصیص‌یافته", "Licences allocated", summary.get("licences_allocated")),
        ("سهم نیاز پوشش‌یافته", "Need covered share", summary.get("need_covered_share")),
        ("سهم درخواست‌های سوداگرانه", "Speculative share", summary.get("speculative_share")),
        ("جمع مجوزهای جدید (جدول)", "Total new licences (table)", int(allocation["new_licences"].sum())),
        ("جمع دفاتر موجود", "Total existing offices", int(allocation["existing_offices"].sum())),
        ("جمع هدف", "Total target offices", int(allocation["target_offices"].sum())),
        ("جمع درخواست‌ها", "Total applications", int(allocation["applications"].sum())),
        ("تعداد واحدها", "Units", len(allocation)),
        ("واحدهای دارای مجوز جدید", "Units with new licences", int((allocation["new_licences"] > 0).sum())),
        ("واحدهای ممنوع", "Moratorium units", int(allocation["moratorium"].sum())),
        ("منبع داده", "Data source", data.get("source")),
        ("پوشه داده", "Data folder", data.get("folder")),
        ("منبع جمعیت", "Population source", data.get("population_source")),
        ("یادداشت", "Note", data.get("note")),
        ("ثبت مصنوعی", "Synthetic registers", "بله · yes" if data.get("synthetic_registers") else "خیر · no"),
        ("یادداشت ثبت", "Registers note", data.get("registers_note")),
        ("تاریخ اجرای برنامه", "Plan run created", run.created),
    ]
    for name, version in (summary.get("versions") or {}).items():
        rows.append(("نسخه " + str(name), f"Version: {name}", version))
    rows = [row for row in rows if row[2] is not None]
    return pd.DataFrame(rows, columns=["item_fa", "item_en", "value"])


def flatten(mapping: dict, prefix: str = "") -> list[tuple[str, object]]:
    """``a.b.c: value`` pairs of a nested mapping (lists kept as text)."""
    pairs: list[tuple[str, object]] = []
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            pairs.extend(flatten(value, name + "."))
        elif isinstance(value, (list, tuple)):
            pairs.append((name, ", ".join(str(v) for v in value)))
        else:
            pairs.append((name, value))
    return pairs


def parameters_table(run: RunData) -> pd.DataFrame:
    """The scenario's parameters (``scenario.yaml`` of the run), one row each."""
    pairs = flatten(run.parameters)
    return pd.DataFrame({"parameter": [k for k, _ in pairs], "value": [v if isinstance(v, (int, float)) else str(v) for _, v in pairs]})


SUMMARY_FORMATS = {"Need covered share": SHARE, "Speculative share": SHARE, "Optimality gap": "0.00%"}


def workbook_sheets(run: RunData) -> dict[str, pd.DataFrame]:
    """The sheets of ``pack.xlsx`` in order."""
    units_sheet = "counties" if run.level == "county" else "units"
    return {
        "summary": summary_table(run),
        "counterfactual": counterfactual_table(run).drop(columns="key"),
        "provinces": by_province(run),
        units_sheet: by_county(run),
        "applications": applications_table(run),
        "moratorium": run.moratorium.copy(),
        "register_audit": audit_table(run),
        "weights": run.weights.copy(),
        "parameters": parameters_table(run),
    }


def write_workbook(run: RunData, path: Path | str) -> Path:
    """Write ``pack.xlsx``: Persian and English header rows (frozen), number formats, filters, right-to-left.

    Returns
    -------
    Path
    """
    return write_sheets(workbook_sheets(run), path, run.stamp)


def write_sheets(sheets: dict[str, pd.DataFrame], path: Path | str, stamp, title: str = L.TITLE_EN) -> Path:
    """Write frames as the sheets of one workbook, as ``pack.xlsx`` is written, dated ``stamp`` throughout.

    Returns
    -------
    Path
    """
    from openpyxl import Workbook

    path = Path(path)
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, frame in sheets.items():
        sheet = workbook.create_sheet(name)
        _write_sheet(sheet, frame)
        if name == "summary":
            _summary_formats(sheet, frame)
        if name == "counterfactual":
            _counterfactual_formats(sheet)
        if name == "weights":
            sheet.sheet_view.rightToLeft = True
    workbook.properties.title = title
    workbook.properties.creator = "Amayesh"
    path.write_bytes(_fixed_bytes(workbook, stamp))
    return path


def _fixed_bytes(workbook, stamp) -> bytes:
    """The workbook as .xlsx bytes dated ``stamp`` throughout.

    ``Workbook.save`` sets the modified property to the clock and zips every member with the
    clock's time; writing through openpyxl's ``ExcelWriter`` keeps the properties given here, and
    :func:`~siting.reproducible.zip_at` dates the members, so a run's workbook is the same bytes whenever written.
    """
    from zipfile import ZIP_DEFLATED, ZipFile

    from openpyxl.writer.excel import ExcelWriter

    workbook.properties.created = workbook.properties.modified = stamp.replace(tzinfo=None)  # openpyxl takes naive UTC
    buffer = io.BytesIO()
    ExcelWriter(workbook, ZipFile(buffer, "w", ZIP_DEFLATED, allowZip64=True)).save()
    return zip_at(buffer.getvalue(), stamp)


def _cell_value(value: object) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None  # no limit (inf) is a blank cell: Excel has no infinity
    if isinstance(value, (np.bool_, bool)):
        return "بله · yes" if value else "خیر · no"
    if isinstance(value, (dict, list)):
        return str(value)
    return value


def _write_sheet(sheet, frame: pd.DataFrame) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    columns = list(frame.columns)
    sheet.append([COLUMNS.get(c, (c, c, None))[0] for c in columns])
    sheet.append([COLUMNS.get(c, (c, c, None))[1] for c in columns])
    for row in frame.itertuples(index=False, name=None):
        sheet.append([_cell_value(v) for v in row])
    bold, grey = Font(bold=True), Font(italic=True, color="555555")
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[1]:
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for cell in sheet[2]:
        cell.font, cell.fill = grey, fill
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for index, column in enumerate(columns, start=1):
        fmt = COLUMNS.get(column, (column, column, None))[2]
        letter = get_column_letter(index)
        if fmt and fmt != TEXT:
            for (cell,) in sheet.iter_rows(min_row=3, min_col=index, max_col=index):
                cell.number_format = fmt
        longest = frame[column].astype(str).str.len().quantile(0.9) if len(frame) else 0
        header = max(len(COLUMNS.get(column, (column, column))[0]), len(COLUMNS.get(column, (column, column))[1]))
        sheet.column_dimensions[letter].width = float(min(max(10, longest + 2, header * 0.9), 60))
    sheet.freeze_panes = "A3"
    sheet.sheet_view.rightToLeft = True
    if len(frame):
        sheet.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{len(frame) + 2}"
    sheet.row_dimensions[1].height = 30


def _summary_formats(sheet, frame: pd.DataFrame) -> None:
    for offset, item in enumerate(frame["item_en"]):
        fmt = SUMMARY_FORMATS.get(item)
        cell = sheet.cell(row=offset + 3, column=3)
        if fmt:
            cell.number_format = fmt
        elif isinstance(cell.value, (int, float)):
            cell.number_format = INTEGER if float(cell.value).is_integer() else "#,##0.00"


def _counterfactual_formats(sheet) -> None:
    for offset, (_, _, fmt) in enumerate(COUNTERFACTUAL_ITEMS.values()):
        for column in (3, 4):
            sheet.cell(row=offset + 3, column=column).number_format = fmt
