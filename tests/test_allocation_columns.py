"""The urban and rural parts of the allocation each carry their own figures (issue 14).

The saturation cap binds each part separately (``optimizer.formulation``: new ≤ max(cap − existing, 0)
per urban or rural area), so a county with total offices above a total cap can rightly take rural
licences. allocation.csv, the workbook, the web map's popups and the pack's county table show every
part's existing offices, target, cap, new licences and moratorium. On the 429 real counties.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook

from _pipeline import cached_prepare
from _run_fixture import have_iran_data
from siting.pipeline import run_plan, write_plan
from siting.report import pages
from siting.report.run import read_run
from siting.report.tables import write_workbook
from siting.report.web_map import POPUP_FIELDS, render_html, web_map
from siting.scenario import DEFAULT_SCENARIO, Scenario

pytestmark = pytest.mark.skipif(not have_iran_data(), reason="needs ../shared/data/iran")

PARTS = ("urban", "rural")
PART_FIGURES = ("existing", "target", "cap", "new", "moratorium")


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory, shared_data) -> Path:
    raw = yaml.safe_load(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    raw["sensitivity"] = {"draws": 20, "spread": 0.2, "top_k": 50, "seed": 7}
    text = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)
    scenario = Scenario.model_validate(raw)
    run = run_plan(cached_prepare(scenario, str(shared_data)), scenario, "test:allocation-columns", text, place=False)
    folder = tmp_path_factory.mktemp("parts") / "run"
    folder.mkdir()
    write_plan(run, folder)
    return folder


@pytest.fixture(scope="module")
def allocation(run_folder) -> pd.DataFrame:
    return pd.read_csv(run_folder / "allocation.csv", dtype={"unit_code": str, "province_code": str})


def test_every_part_has_its_columns_and_they_add_up(allocation):
    for part in PARTS:
        for figure in PART_FIGURES:
            assert f"{figure}_{part}" in allocation.columns
    for figure in ("existing", "target", "new"):
        total = "new_licences" if figure == "new" else f"{figure}_offices"
        assert (allocation[f"{figure}_urban"] + allocation[f"{figure}_rural"] == allocation[total]).all()
    assert np.allclose(allocation["cap_urban"] + allocation["cap_rural"], allocation["cap"])


@pytest.mark.parametrize("part", PARTS)
def test_each_part_stays_within_its_own_cap(allocation, part):
    existing, new, cap = allocation[f"existing_{part}"], allocation[f"new_{part}"], allocation[f"cap_{part}"]
    closed = allocation[f"moratorium_{part}"].astype(bool)
    assert (existing[~closed] + new[~closed] <= cap[~closed]).all()
    # A part under moratorium is at or over its cap already and gets nothing.
    assert (existing[closed] >= cap[closed]).all() and (new[closed] == 0).all()
    assert closed.any()


def test_totals_alone_would_read_as_a_breach(allocation):
    # Why the parts are needed: the real plan has counties over the total cap that rightly take licences.
    over = allocation["existing_offices"] + allocation["new_licences"] > allocation["cap"]
    assert over.any()
    urban_closed = allocation["moratorium_urban"].astype(bool)
    assert (over & urban_closed & (allocation["new_rural"] > 0)).any()


def test_workbook_carries_the_parts(run_folder, allocation, tmp_path):
    path = write_workbook(read_run(run_folder), tmp_path / "pack.xlsx")
    rows = list(load_workbook(path, read_only=True)["counties"].iter_rows(values_only=True))
    english = list(rows[1])
    for header in ("Existing urban", "Target urban", "Cap urban", "New urban", "Urban moratorium",
                   "Existing rural", "Target rural", "Cap rural", "New rural", "Rural moratorium"):
        assert header in english
    sheet = pd.DataFrame(rows[2:], columns=english)
    assert sheet["Cap rural"].sum() == pytest.approx(allocation["cap_rural"].sum())
    assert sheet["Existing urban"].sum() == allocation["existing_urban"].sum()


def test_web_map_popups_carry_the_parts(run_folder, allocation):
    run = read_run(run_folder)
    html = render_html(web_map(run, persian_digits=False))
    for key in ("existing_parts", "target_parts", "cap_parts", "urban_rural"):
        assert key in POPUP_FIELDS and POPUP_FIELDS[key].split(" · ")[-1] in html  # folium escapes the Persian half
    row = allocation[allocation["moratorium_urban"] & (allocation["new_rural"] > 0)].iloc[0]
    cap = f'{row["cap_urban"]:,.0f} / {row["cap_rural"]:,.0f}'
    existing = f'{row["existing_urban"]:,} / {row["existing_rural"]:,}'
    assert f'"cap_parts": {json.dumps(cap)}, "existing": "{row["existing_offices"]:,}", "existing_parts": {json.dumps(existing)}' in html


def test_pack_county_table_carries_the_parts(run_folder):
    keys = {column.key for column in pages.COUNTY_COLUMNS}
    assert {f"{figure}_{part}" for figure in ("existing", "target", "cap", "new") for part in PARTS} <= keys
    assert "cap" not in keys  # a total cap beside total offices is what read as a breach
    run = read_run(run_folder)
    table = run.units.assign(moratorium_parts=pages.moratorium_parts(run.units))
    assert set(table["moratorium_parts"]) <= set(pages.MORATORIUM_PARTS.values())
    assert (table.loc[table["moratorium_urban"] & ~table["moratorium_rural"], "moratorium_parts"] == "ش").all()
