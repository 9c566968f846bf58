"""The committee pack from one run: pack.pdf, pack.xlsx, results.gpkg, map.html; the export command."""

from __future__ import annotations

import re
import shutil
import subprocess

import pyogrio
import pytest
from click.testing import CliRunner

from _run_fixture import PACK_PROVINCES, shared_pack, shared_run
from siting.cli.export import export as export_command
from siting.report.offline import external_references
from siting.report.pack import PACK_FILES, ExportOptions, pdf_page_count
from siting.report.run import read_run

SPACES = re.compile(r"[\s\u200c-\u200f\u202a-\u202f]")


def compact(text: str) -> str:
    """Text without spaces and bidi marks: pdftotext splits some Persian words at glyph gaps."""
    return SPACES.sub("", text)


@pytest.fixture(scope="module")
def run():
    return read_run(shared_run())


@pytest.fixture(scope="module")
def pack():
    return shared_pack()


def _pdf_text(path, *pages) -> str:
    options = ["-f", str(pages[0]), "-l", str(pages[-1])] if pages else []
    text = subprocess.run(["pdftotext", "-layout", *options, str(path), "-"], capture_output=True, text=True, check=True).stdout
    return compact(text)


def test_every_file_is_written(pack):
    assert sorted(p.name for p in pack.iterdir()) == sorted(PACK_FILES)
    for name in PACK_FILES:
        assert (pack / name).stat().st_size > 10_000, name
    assert not list(pack.parent.glob(".pack.partial-*"))  # the staging folder became the pack


def test_pdf_pages_and_text(pack, run):
    info = subprocess.run(["pdfinfo", str(pack / "pack.pdf")], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages == pdf_page_count(run, ExportOptions(provinces=PACK_PROVINCES))
    assert "841.68 x 595.44 pts (A4)" in info
    cover = _pdf_text(pack / "pack.pdf", 1)
    assert compact("بسته کمیسیون") in cover and "Committeepack" in cover
    assert "Newlicences:2,000" in cover
    counterfactual = run.summary["counterfactual"]["fcfs"]["licences_in_saturated_units"]
    assert compact(f"First come, first served: {counterfactual:,} licences in saturated units") in cover
    text = _pdf_text(pack / "pack.pdf")
    for phrase in ("تخصیص مجوز به تفکیک استان", "Allocation by province", "Allocation by county", "فهرست واحدهای ممنوع",
                   "Moratorium list", "Scenario parameters and weights", "First come, first served", "SYNTHETIC",
                   "تراکم جمعیت", "Population density", "استان تهران", "استان خراسان رضوی"):
        assert compact(phrase) in text, phrase
    # Every county appears in the tables.
    for name in run.allocation["name_en"]:
        assert compact(name) in text, name
    assert compact("جمع کل") in text


def test_pdf_maps_are_vector_with_searchable_persian(pack, run):
    last = pdf_page_count(run, ExportOptions(provinces=PACK_PROVINCES))
    text = _pdf_text(pack / "pack.pdf", last)  # the Razavi Khorasan map
    for phrase in ("استان خراسان رضوی", "مشهد", "نیشابور", "کیلومتر", "Razavi Khorasan province", "GeoNames", "۱۴۰۳"):
        assert compact(phrase) in text, phrase
    images = subprocess.run(["pdfimages", "-list", str(pack / "pack.pdf")], capture_output=True, text=True, check=True).stdout
    assert len(images.strip().splitlines()) == 2  # header lines only: no raster image anywhere in the pack
    fonts = subprocess.run(["pdffonts", str(pack / "pack.pdf")], capture_output=True, text=True, check=True).stdout
    assert "Vazirmatn-Regular" in fonts and "Vazirmatn-Bold" in fonts


def test_geopackage_layers_and_counts(pack, run):
    layers = dict(pyogrio.list_layers(pack / "results.gpkg"))
    assert set(layers) == {"units", "provinces", "moratorium", "sites", "coverage", "offices", "applications", "industrial_parks"}
    counts = {name: pyogrio.read_info(pack / "results.gpkg", layer=name)["features"] for name in layers}
    assert counts["units"] == 429 and counts["provinces"] == 31
    assert counts["moratorium"] == run.moratorium["unit_code"].nunique()  # fully or partly closed units
    assert counts["sites"] == len(run.sites) and counts["coverage"] == len(run.coverage)
    assert counts["offices"] == len(run.layers["offices"]) and counts["applications"] == len(run.layers["applications"])
    units = pyogrio.read_dataframe(pack / "results.gpkg", layer="units")
    assert units["new_licences"].sum() == 2000
    assert {"score", "gap", "pressure", "density", "moratorium_reason"} <= set(units.columns)
    assert units.crs.to_epsg() == 4326
    applications = pyogrio.read_dataframe(pack / "results.gpkg", layer="applications", read_geometry=False)
    assert {"decision", "reason", "application_date"} <= set(applications.columns)


def test_map_html_is_offline(pack):
    assert external_references((pack / "map.html").read_text(encoding="utf-8")) == []


def test_command_writes_one_format_and_refuses_to_overwrite(tmp_path):
    runner = CliRunner()
    out = tmp_path / "gpkg"
    result = runner.invoke(export_command, ["--run", str(shared_run()), "--format", "gpkg", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.iterdir()] == ["results.gpkg"]
    again = runner.invoke(export_command, ["--run", str(shared_run()), "--format", "gpkg", "--out", str(out)])
    assert again.exit_code == 1 and "--replace" in again.output
    replaced = runner.invoke(export_command, ["--run", str(shared_run()), "--format", "gpkg", "--out", str(out), "--replace"])
    assert replaced.exit_code == 0
    assert [p.name for p in out.iterdir()] == ["results.gpkg"]
    assert len(list(tmp_path.glob("gpkg.previous-*"))) == 1


@pytest.mark.parametrize(
    "arguments, code, message",
    [
        (["--pack", "--format", "png"], 2, "choose --pack or --format"),
        ([], 2, "choose --pack or --format"),
        (["--format", "png", "--breaks", "1,2"], 2, "--breaks needs --scheme user"),
        (["--format", "png", "--scheme", "user", "--breaks", "size:1,2"], 1, "unknown map variable 'size'"),
        (["--format", "png", "--province", "99"], 1, "province(s) 99"),
        (["--format", "png", "--date", "1403/13/01"], 1, "--date"),
    ],
)
def test_command_errors(arguments, code, message, tmp_path):
    result = CliRunner().invoke(export_command, ["--run", str(shared_run()), "--out", str(tmp_path / "x"), *arguments])
    assert result.exit_code == code, result.output
    assert message in result.output
    assert not (tmp_path / "x").exists()


def test_broken_run_folder_writes_nothing(tmp_path):
    broken = tmp_path / "run"
    shutil.copytree(shared_run(), broken)
    (broken / "weights.csv").unlink()
    result = CliRunner().invoke(export_command, ["--run", str(broken), "--format", "xlsx"])
    assert result.exit_code == 2
    assert "weights.csv" in result.output and "nothing was written" in result.output
    assert not (broken / "export").exists()
