"""``amayesh data check`` and ``amayesh data generate``: output, exit codes, output-folder safety."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]


def test_check_official_folder(shared_data, run_amayesh):
    result = run_amayesh("data", "check", shared_data)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Data source: official (SCI 1395 census)" in out
    assert "province     31 units   population   79,926,270  (urban 59,146,847, rural 20,730,625)" in out
    assert "county      429 units   population   79,926,270  (urban 59,146,847, rural 20,730,625)" in out
    assert "offices      none loaded" in out
    assert out.rstrip().endswith("Valid, with 1 warning(s).")
    assert result.stderr.strip() == "WARNING: iran_cities.csv: 22 rows flagged possible_duplicate left out"


def test_check_official_folder_as_json(shared_data, run_amayesh):
    result = run_amayesh("data", "check", shared_data, "--json")
    assert result.exit_code == 0, result.output
    facts = json.loads(result.stdout)
    assert facts["province_units"] == 31 and facts["county_units"] == 429
    assert facts["province_population_total"] == facts["county_population_total"] == 79_926_270
    assert facts["county_population_urban"] + facts["county_population_rural"] + 48_798 == 79_926_270


def test_check_1400_vintage(shared_data, run_amayesh):
    result = run_amayesh("data", "check", shared_data, "--vintage", "1400", "--json")
    assert result.exit_code == 0, result.output
    facts = json.loads(result.stdout)
    assert facts["county_units"] == 469
    assert abs(facts["county_population_total"] - 79_926_270) <= 0.001 * 79_926_270
    assert "estimates" in facts["note"]


def test_check_without_path_uses_the_embedded_default(embedded_offline, run_amayesh):
    result = run_amayesh("data", "check")
    assert result.exit_code == 0, result.output
    assert "Data source: embedded" in result.stdout
    assert "province     31 units" in result.stdout
    assert "rural 0" in result.stdout
    assert "Note: Embedded default" in result.stdout and "rural population is missing" in result.stdout


def test_unknown_vintage_is_a_usage_error(shared_data, run_amayesh):
    result = run_amayesh("data", "check", shared_data, "--vintage", "1390")
    assert result.exit_code == 2
    assert "Invalid value for '--vintage'" in result.output


def test_missing_folder(tmp_path, run_amayesh):
    result = run_amayesh("data", "check", tmp_path / "nowhere")
    assert result.exit_code == 2
    assert "data folder not found" in result.stderr


def test_broken_copy_in_a_real_process(official_copy):
    """The installed command, in its own process: exit 2, the row named, no traceback."""
    folder = official_copy("iran_counties.geojson")
    path = folder / "iran_counties.geojson"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"county_code": "0002"', '"county_code": "0001"', 1), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", "from siting.cli.main import cli; cli()", "data", "check", str(folder)],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    assert result.returncode == 2
    assert "ERROR: iran_counties.geojson, row 2, column 'county_code': duplicate code '0001' (rows 1, 2)" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""


def test_help_and_version(run_amayesh):
    assert run_amayesh("--help").exit_code == 0
    help_text = run_amayesh("data", "--help").output
    assert "check" in help_text and "generate" in help_text
    version = run_amayesh("--version")
    assert version.exit_code == 0 and version.output.startswith("amayesh, version")


# --- data generate: output folder safety --------------------------------------------------------


@pytest.fixture
def geography(contract_folder):
    return contract_folder("csv", name="geography")


# Small counts: on this subset (~7 % of Iran's people) the generator scales them down, parks to zero.
GENERATE = ("--offices", "3000", "--applications", "1000", "--parks", "5")


def test_generate_writes_a_folder_that_reloads(geography, tmp_path, run_amayesh):
    out = tmp_path / "out"
    result = run_amayesh("data", "generate", "--data", geography, "--out", out, *GENERATE)
    assert result.exit_code == 0, result.output
    offices = pd.read_csv(out / "offices.csv", dtype=str)
    assert len(offices) == 3000  # explicit counts are exact, not scaled to the geography
    assert "Wrote 3,000 offices" in result.stdout and "5 parks" in result.stdout
    assert (out / "SYNTHETIC.txt").read_text(encoding="utf-8").startswith("SYNTHETIC registers")
    assert offices["unit_code"].str.len().eq(4).all()  # codes written as text, leading zeros kept
    assert offices["unit_code"].str.startswith("00").any()
    check = run_amayesh("data", "check", out)
    assert check.exit_code == 0, check.output
    assert "registers are SYNTHETIC" in check.stdout
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]  # no staging left


def test_generate_refuses_a_non_empty_folder_and_leaves_it_untouched(geography, tmp_path, run_amayesh):
    out = tmp_path / "out"
    out.mkdir()
    (out / "plan.csv").write_text("my work\n", encoding="utf-8")
    result = run_amayesh("data", "generate", "--data", geography, "--out", out, *GENERATE)
    assert result.exit_code != 0
    assert "already exists and is not empty" in result.stderr and "--replace" in result.stderr
    assert [p.name for p in out.iterdir()] == ["plan.csv"]
    assert (out / "plan.csv").read_text(encoding="utf-8") == "my work\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["geography", "out"]  # no staging or backup left


def test_generate_into_an_empty_folder(geography, tmp_path, run_amayesh):
    out = tmp_path / "empty"
    out.mkdir()
    result = run_amayesh("data", "generate", "--data", geography, "--out", out, *GENERATE)
    assert result.exit_code == 0, result.output
    assert (out / "offices.csv").exists()


def test_generate_replace_keeps_the_old_folder(geography, tmp_path, run_amayesh):
    out = tmp_path / "out"
    out.mkdir()
    (out / "plan.csv").write_text("my work\n", encoding="utf-8")
    result = run_amayesh("data", "generate", "--data", geography, "--out", out, "--replace", *GENERATE)
    assert result.exit_code == 0, result.output
    previous = [p for p in tmp_path.iterdir() if p.name.startswith("out.previous-")]
    assert len(previous) == 1
    assert previous[0].name[len("out.previous-"):].replace("-", "").isdigit()
    assert (previous[0] / "plan.csv").read_text(encoding="utf-8") == "my work\n"
    assert (out / "offices.csv").exists() and not (out / "plan.csv").exists()


def test_generate_from_bad_data_writes_nothing(geography, tmp_path, run_amayesh):
    counties = pd.read_csv(geography / "counties.csv", dtype=str)
    counties.loc[2, "pop_total"] = "-1"
    counties.to_csv(geography / "counties.csv", index=False)
    out = tmp_path / "out"
    result = run_amayesh("data", "generate", "--data", geography, "--out", out)
    assert result.exit_code == 2
    assert "counties.csv, row 4, column 'pop_total'" in result.stderr
    assert "nothing was written" in result.stderr
    assert not out.exists()


def test_generate_few_offices_on_the_official_data(shared_data, tmp_path, run_amayesh):
    out = tmp_path / "few"
    result = run_amayesh("data", "generate", "--data", shared_data, "--out", out, "--offices", "100")
    if result.exit_code == 0:
        offices = pd.read_csv(out / "offices.csv", dtype=str)
        assert len(offices) == 100
    else:
        assert "offices" in result.stderr and not out.exists()
