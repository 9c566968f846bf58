"""Running a sweep on the real data: tables, failures recorded, determinism, kill with SIGKILL then --resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from siting.batch import read_batch
from siting.batch.runner import run_batch
from siting.batch.sweep import expand
from siting.errors import AmayeshError, OutputExistsError

REPO = Path(__file__).resolve().parents[1]
SMALL = REPO / "tests" / "fixtures" / "batch" / "small.yaml"
TABLES = ("runs.parquet", "allocations.parquet", "summary.csv")


@pytest.fixture(scope="module")
def expanded(shared_data):
    return expand(SMALL, str(shared_data))


@pytest.fixture(scope="module")
def reference(expanded, tmp_path_factory) -> Path:
    """The small sweep, uninterrupted, on 2 local workers."""
    out = tmp_path_factory.mktemp("batch") / "reference"
    run_batch(expanded, out, workers=2, progress=False)
    return out


def test_one_row_per_scenario_in_sweep_order(reference, expanded):
    runs, allocations = read_batch(reference)
    assert runs["scenario_id"].tolist() == [s.scenario_id for s in expanded.specs]
    assert runs["order"].tolist() == list(range(9))
    status = dict(zip(runs["label"], runs["status"]))
    assert status["bad"] == "invalid" and status["impossible"] == "infeasible"
    assert all(status[label] == "optimal" for label in status if label not in ("bad", "impossible"))
    messages = dict(zip(runs["label"], runs["message"]))
    assert "plan.budget_licences" in messages["bad"] and "90,000" in messages["impossible"]
    assert {"param:plan.budget_licences", "param:plan.province_ceiling_share", "param:weights.values.rural_population"} <= set(runs.columns)
    for column in ("gap", "objective", "licences_urban", "licences_rural", "need_covered_share", "fcfs_need_covered_share",
                   "fcfs_licences_in_saturated_units", "within_gap"):
        assert column in runs.columns
    assert not any("second" in c or "time" in c for c in runs.columns)  # timings live in timings.csv
    planned = runs[runs["status"] == "optimal"]
    per_scenario = allocations.groupby("scenario_id")["new_licences"].sum()
    assert (per_scenario.reindex(planned["scenario_id"]).to_numpy() == planned["licences_allocated"].to_numpy()).all()
    assert set(allocations["scenario_id"]) == set(planned["scenario_id"])
    assert allocations.groupby("scenario_id").size().eq(429).all()
    budgets = dict(zip(runs["label"], runs["licences_allocated"]))
    assert budgets["grid:budget_licences=1500"] == 1500 and budgets["grid:budget_licences=2500"] == 2500
    timings = pd.read_csv(reference / "timings.csv")
    assert len(timings) == 9 and (timings["seconds"] >= 0).all()
    summary = pd.read_csv(reference / "summary.csv")
    assert summary["scenario_id"].tolist() == runs["scenario_id"].tolist()


def test_the_report_is_offline_and_bilingual(reference):
    from siting.report.offline import check_offline

    html = (reference / "report.html").read_text(encoding="utf-8")
    check_offline(html)
    for text in ("Licences by province", "مجوزها به تفکیک استان", "Need covered against budget", "Robust picks",
                 "Regret of named scenarios", "Rank stability under weight uncertainty", "data:font/woff2;base64", "data:image/svg+xml"):
        assert text in html
    assert "strict" in html and "rural-first" in html  # the regret table names the named scenarios


def test_results_do_not_depend_on_the_number_of_workers(reference, expanded, tmp_path):
    run_batch(expanded, tmp_path / "one", workers=1, chunk_size=4, progress=False)
    for name in TABLES:
        assert (tmp_path / "one" / name).read_bytes() == (reference / name).read_bytes(), name


def test_a_batch_killed_with_sigkill_resumes_to_the_same_results(reference, shared_data, tmp_path):
    out = tmp_path / "killed"
    command = [str(Path(sys.executable).with_name("amayesh")), "batch", str(SMALL), "--data", str(shared_data), "--out", str(out),
               "--workers", "1", "--chunk-size", "1", "--no-progress"]
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(list((out / "parts").glob("*.json")) if (out / "parts").exists() else []) < 3:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the batch wrote no results in 120 s"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the batch and its pool, mid-run
    process.wait()
    before = {p.name: p.stat().st_mtime_ns for p in (out / "parts").glob("*.json")}
    assert 3 <= len(before) < 9 and not (out / "runs.parquet").exists()
    # A second batch without --resume is refused, naming --resume
    refused = subprocess.run(command, capture_output=True, text=True)
    assert refused.returncode == 1 and "--resume" in refused.stderr
    resumed = subprocess.run(command + ["--resume"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{9 - len(before)} run now, {len(before)} already done" in resumed.stdout
    after = {p.name: p.stat().st_mtime_ns for p in (out / "parts").glob("*.json")}
    assert len(after) == 9 and all(after[name] == mtime for name, mtime in before.items())  # finished ones not redone
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name or ".partial-" in p.name]
    for name in TABLES:
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    runs, _ = read_batch(out)
    assert runs["scenario_id"].is_unique and len(runs) == 9


def test_keep_runs_writes_each_plan_folder(shared_data, tmp_path):
    sweep = tmp_path / "keep.yaml"
    sweep.write_text(yaml.safe_dump({"name": "keep", "base": str(REPO / "data" / "scenarios" / "default.yaml"), "keep_runs": True,
                                     "grid": {"plan.budget_licences": [1000]}}), encoding="utf-8")
    expanded = expand(sweep, str(shared_data))
    run_batch(expanded, tmp_path / "out", workers=1, progress=False)
    for spec in expanded.specs:
        folder = tmp_path / "out" / "runs" / spec.scenario_id
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        assert summary["status"] == "optimal" and (folder / "allocation.csv").is_file() and (folder / "scenario.yaml").is_file()
        assert summary["sites"] is None  # placement is off in a batch unless the sweep asks
    assert pd.read_csv(tmp_path / "out" / "runs" / expanded.specs[1].scenario_id / "allocation.csv")["new_licences"].sum() == 1000


def test_a_non_empty_folder_is_refused_and_read_batch_names_the_problem(expanded, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputExistsError, match="--resume"):
        run_batch(expanded, tmp_path / "full", progress=False)
    with pytest.raises(OutputExistsError, match="not a batch folder"):
        run_batch(expanded, tmp_path / "full", resume=True, progress=False)
    assert sorted(p.name for p in (tmp_path / "full").iterdir()) == ["notes.txt"]
    with pytest.raises(AmayeshError, match="not a finished batch folder"):
        read_batch(tmp_path / "full")


def test_a_local_worker_killed_mid_batch_loses_no_scenario(reference, expanded, tmp_path):
    """SIGKILL one process of the pool: the pool is rebuilt and the chunks left are run again."""
    import multiprocessing
    import threading

    out = tmp_path / "victim"
    errors = []

    def run():
        try:
            run_batch(expanded, out, workers=2, chunk_size=1, progress=False)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 120
    while len(list((out / "parts").glob("*.json")) if (out / "parts").exists() else []) < 2:
        assert time.monotonic() < deadline and thread.is_alive(), errors
        time.sleep(0.02)
    children = [child for child in multiprocessing.active_children() if child.pid]
    assert children
    os.kill(children[0].pid, signal.SIGKILL)
    thread.join(timeout=240)
    assert not thread.is_alive() and not errors, errors
    for name in TABLES:
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name


def _sheet(path: Path, name: str) -> pd.DataFrame:
    """A workbook sheet with its English header row (row 2) as columns."""
    return pd.read_excel(path, sheet_name=name, header=1, dtype={"Unit code": str, "Province code": str, "Scenario id": str})


def test_export_opens_a_batch_folder_and_writes_the_batch_pack(reference, tmp_path):
    import geopandas as gpd
    from click.testing import CliRunner

    from siting.batch.report import robustness
    from siting.cli.main import cli

    out = tmp_path / "pack"
    result = CliRunner().invoke(cli, ["export", "--run", str(reference), "--pack", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["batch.xlsx", "report.html", "robustness.gpkg"]
    runs, allocations = read_batch(reference)
    scenarios = _sheet(out / "batch.xlsx", "scenarios")
    assert scenarios["Scenario id"].tolist() == runs["scenario_id"].tolist()
    counties = _sheet(out / "batch.xlsx", "counties")
    expected = robustness(allocations, runs).set_index("unit_code")["share_allocated"]
    assert len(counties) == 429
    assert counties.set_index("Unit code")["Share of scenarios allocated"].reindex(expected.index).round(6).tolist() == expected.round(6).tolist()
    provinces = _sheet(out / "batch.xlsx", "provinces")
    planned = runs[runs["status"] == "optimal"]
    for label, licences in zip(planned["label"], planned["licences_allocated"]):
        assert int(provinces[label].sum()) == int(licences), label
    layer = gpd.read_file(out / "robustness.gpkg", layer="robustness")
    assert len(layer) == 429 and layer.geometry.notna().all()
    assert layer.set_index("unit_code")["share_allocated"].reindex(expected.index).round(6).tolist() == expected.round(6).tolist()
    assert (out / "report.html").read_bytes() == (reference / "report.html").read_bytes()
    # Same batch, same bytes; an existing export is not overwritten without --replace
    again = CliRunner().invoke(cli, ["export", "--run", str(reference), "--format", "xlsx", "--out", str(tmp_path / "again")])
    assert again.exit_code == 0, again.output
    assert (tmp_path / "again" / "batch.xlsx").read_bytes() == (out / "batch.xlsx").read_bytes()
    refused = CliRunner().invoke(cli, ["export", "--run", str(reference), "--pack", "--out", str(out)])
    assert refused.exit_code != 0 and "--replace" in refused.output


def test_export_one_batch_scenario_runs_it_again_to_the_plan_the_batch_reported(reference, tmp_path):
    from click.testing import CliRunner

    from siting.cli.main import cli

    runs, allocations = read_batch(reference)
    wanted = runs.set_index("label").loc["grid:budget_licences=1500", "scenario_id"]
    out = tmp_path / "one"
    result = CliRunner().invoke(cli, ["export", "--run", str(reference), "--scenario", "grid:budget_licences=1500",
                                      "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    counties = _sheet(out / "pack.xlsx", "counties").set_index("Unit code")["New licences"]
    batch = allocations[allocations["scenario_id"] == wanted].set_index("unit_code")["new_licences"]
    assert int(counties.sum()) == 1500
    assert counties.reindex(batch.index).astype(int).tolist() == batch.astype(int).tolist()
    assert list(reference.glob("export*")) == []  # only --out was written
    # An id prefix works too; an invalid scenario has no plan and leaves nothing behind
    by_id = CliRunner().invoke(cli, ["export", "--run", str(reference), "--scenario", wanted[:8], "--format", "xlsx",
                                     "--out", str(tmp_path / "by-id")])
    assert by_id.exit_code == 0, by_id.output
    bad = CliRunner().invoke(cli, ["export", "--run", str(reference), "--scenario", "bad", "--format", "xlsx", "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 1 and "is invalid and has no plan" in bad.output and not (tmp_path / "bad").exists()
    unknown = CliRunner().invoke(cli, ["export", "--run", str(reference), "--scenario", "nope", "--pack", "--out", str(tmp_path / "nope")])
    assert unknown.exit_code == 1 and "no scenario has the id or label 'nope'" in unknown.output
