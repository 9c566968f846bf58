"""The reports read what `amayesh plan` really writes: a plan on ../shared/data/iran, exported."""

from __future__ import annotations

import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from _run_fixture import IRAN
from siting.report.pack import ExportOptions, export
from siting.report.run import read_run
from siting.report.tables import workbook_sheets

from siting.cli.plan import plan as plan_command


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("real") / "run"
    result = CliRunner().invoke(plan_command, ["--data", str(IRAN), "--out", str(out)])
    if result.exit_code != 0:
        pytest.fail(f"amayesh plan failed: {result.output}")
    return out


def test_real_run_reads(real_run):
    run = read_run(real_run)
    assert run.level == "county" and len(run.units) == 429 and run.polygons
    assert run.units["new_licences"].sum() == run.summary["licences_allocated"]
    assert len(run.provinces) == 31


def test_real_run_tables_and_geopackage(real_run, tmp_path):
    sheets = workbook_sheets(read_run(real_run))
    export(real_run, tmp_path / "gpkg", "gpkg", ExportOptions())
    allocation = pd.read_csv(real_run / "allocation.csv", dtype={"unit_code": str})
    for sheet in ("counties", "provinces"):
        assert sheets[sheet]["new_licences"].sum() == allocation["new_licences"].sum()
        assert sheets[sheet]["existing_offices"].sum() == allocation["existing_offices"].sum()
    assert len(sheets["applications"]) == len(pd.read_csv(real_run / "applications.csv"))
    assert sheets["applications"]["decision_fa"].notna().all()
    assert sheets["counterfactual"]["fcfs"].notna().all()  # every headline measure found under the plan's names
    assert len(sheets["parameters"]) > 10  # the run's scenario.yaml
    layers = dict(pyogrio.list_layers(tmp_path / "gpkg" / "results.gpkg"))
    assert {"units", "provinces", "moratorium", "offices"} <= set(layers)
    units = pyogrio.read_dataframe(tmp_path / "gpkg" / "results.gpkg", layer="units", read_geometry=False)
    assert len(units) == 429 and units["new_licences"].sum() == allocation["new_licences"].sum()
