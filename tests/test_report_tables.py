"""Allocation tables and the committee workbook: Persian headers, frozen rows, formats, totals."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook

from _run_fixture import shared_pack, shared_run
from siting.report.run import read_run
from siting.report.tables import by_county, by_province, counterfactual_table

SHEETS = ["summary", "counterfactual", "provinces", "counties", "applications", "moratorium", "register_audit", "weights",
          "parameters"]


@pytest.fixture(scope="module")
def run():
    return read_run(shared_run())


@pytest.fixture(scope="module")
def allocation():
    return pd.read_csv(shared_run() / "allocation.csv", dtype={"unit_code": str, "province_code": str})


@pytest.fixture(scope="module")
def workbook():
    return load_workbook(shared_pack() / "pack.xlsx")


def _frame(sheet) -> pd.DataFrame:
    rows = list(sheet.iter_rows(values_only=True))
    return pd.DataFrame(rows[2:], columns=rows[1])  # row 1 Persian, row 2 English headers


def test_by_province_adds_up_to_the_allocation(run, allocation):
    table = by_province(run)
    assert len(table) == 31
    for column in ("new_licences", "existing_offices", "target_offices", "applications", "pop_total"):
        assert table[column].sum() == allocation[column].sum(), column
    assert table["units"].sum() == len(allocation)
    assert table["moratorium_units"].sum() == allocation["moratorium"].sum()
    assert table.loc[table["province_code"] == "23", "province_fa"].item() == "تهران"


def test_by_county_is_in_province_order(run):
    table = by_county(run)
    assert len(table) == 429
    assert list(table["province_code"]) == sorted(table["province_code"])
    assert table["province_fa"].notna().all()


def test_counterfactual_rows(run):
    table = counterfactual_table(run)
    assert list(table["key"]) == ["licences_in_saturated_units", "need_covered_share", "offices_below_viability", "speculative_served"]
    assert table.loc[0, "plan"] == 0 and table.loc[0, "fcfs"] > 0
    assert table.loc[2, "fcfs"] == 212  # read under the plan's name, licences_in_units_below_viability


def test_workbook_sheets_headers_and_frozen_rows(workbook):
    assert workbook.sheetnames == SHEETS
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A3", sheet.title
        assert sheet.max_row > 2, sheet.title
        assert sheet.sheet_view.rightToLeft
    counties = workbook["counties"]
    assert counties["A1"].value == "کد استان" and counties["A1"].font.bold
    assert [c.value for c in counties[1]][:5] == ["کد استان", "استان", "کد واحد", "نام", "Name"]
    assert [c.value for c in counties[2]][:3] == ["Province code", "Province", "Unit code"]
    assert counties.auto_filter.ref.startswith("A2:")


def test_workbook_totals_equal_the_allocation(workbook, allocation):
    counties = _frame(workbook["counties"])
    assert len(counties) == len(allocation)
    assert counties["Unit code"].iloc[0] == "0001"  # codes stay text
    for column, english in (("new_licences", "New licences"), ("existing_offices", "Existing offices"),
                            ("applications", "Applications"), ("pop_total", "Population 2016")):
        assert counties[english].sum() == allocation[column].sum()
        assert _frame(workbook["provinces"])[english].sum() == allocation[column].sum()
    summary = _frame(workbook["summary"]).set_index("Item")
    assert summary.loc["Total new licences (table)", "Value"] == allocation["new_licences"].sum() == 2000
    assert summary.loc["Units", "Value"] == 429
    assert len(_frame(workbook["moratorium"])) == len(pd.read_csv(shared_run() / "moratorium.csv"))
    applications = pd.read_csv(shared_run() / "applications.csv")
    sheet = _frame(workbook["applications"])
    assert len(sheet) == len(applications)
    assert sheet["Decision"].value_counts().to_dict() == applications["decision"].value_counts().to_dict()
    assert set(sheet["Decision (Persian)"]) <= {"پذیرفته", "در نوبت", "رد شده"}
    assert len(_frame(workbook["register_audit"])) == len(pd.read_csv(shared_run() / "register_audit.csv"))
    assert _frame(workbook["weights"])["Weight"].sum() == pytest.approx(1.0)


def test_workbook_number_formats(workbook):
    counties = workbook["counties"]
    headers = [c.value for c in counties[2]]
    assert counties.cell(row=3, column=headers.index("New licences") + 1).number_format == "#,##0"
    assert counties.cell(row=3, column=headers.index("Need score") + 1).number_format == "0.000"
    assert counties.cell(row=3, column=headers.index("Applications per licence") + 1).number_format == "#,##0.0"
    weights = workbook["weights"]
    assert weights.cell(row=3, column=[c.value for c in weights[2]].index("Weight") + 1).number_format == "0.0%"
    summary = _frame(workbook["summary"])
    row = summary.index[summary["Item"] == "Need covered share"][0] + 3
    assert workbook["summary"].cell(row=row, column=3).number_format == "0.0%"
