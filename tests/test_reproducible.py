"""Same inputs, same bytes (issue 14): two plans and two committee packs made from the same data and scenario
are identical file for file, but for ``timings.json`` (wall-clock figures live there and nowhere else).

The plans run on the real 1395 counties with the default scenario, settlement placement included; the two
runs of each command go in parallel to keep the module near half a minute.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from _run_fixture import have_iran_data

pytestmark = pytest.mark.skipif(not have_iran_data(), reason="needs ../shared/data/iran")

REPO = Path(__file__).resolve().parents[1]
AMAYESH = [sys.executable, "-c", "from siting.cli.main import cli; cli()"]
TIMING_WORDS = ("seconds", "elapsed", "duration", "timing")


def _run_pair(commands: list[list[str]]) -> None:
    """Run two commands at once and fail with their stderr if either fails."""
    processes = [subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for command in commands]
    for process in processes:
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, f"{' '.join(process.args)} failed:\n{out}\n{err}"


def _diff(first: Path, second: Path, *exclude: str) -> str:
    """``diff -r`` of two folders (empty when byte-identical)."""
    options = [item for name in exclude for item in ("-x", name)]
    found = subprocess.run(["diff", "-r", *options, str(first), str(second)], capture_output=True)
    return (found.stdout + found.stderr).decode("utf-8", "replace")[:2000]


@pytest.fixture(scope="module")
def two_plans(tmp_path_factory, shared_data) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("reproducible")
    folders = (base / "first", base / "second")
    _run_pair([AMAYESH + ["plan", "--data", str(shared_data), "--out", str(folder)] for folder in folders])
    return folders


def test_two_plans_are_byte_identical_but_for_timings(two_plans):
    first, second = two_plans
    assert (first / "sites.csv").is_file() and (first / "layers.gpkg").is_file(), "the placement files are compared too"
    assert _diff(first, second, "timings.json") == ""


def _keys(value: object) -> list[str]:
    if isinstance(value, dict):
        return [key for k, v in value.items() for key in (k, *_keys(v))]
    if isinstance(value, list):
        return [key for v in value for key in _keys(v)]
    return []


def test_timings_are_in_timings_json_only(two_plans):
    first, _ = two_plans
    summary = json.loads((first / "summary.json").read_text(encoding="utf-8"))
    timed = [key for key in _keys(summary) if any(word in key for word in TIMING_WORDS)]
    assert timed == [], f"wall-clock figures left in summary.json: {timed}"
    timings = json.loads((first / "timings.json").read_text(encoding="utf-8"))
    assert timings["build_seconds"] >= 0 and timings["solve_seconds"] >= 0
    assert timings["placement"]["seconds"] >= 0


def test_two_packs_are_byte_identical(two_plans, tmp_path):
    # One pack from each plan run: the whole chain data → plan → pack gives the same bytes.
    packs = (tmp_path / "pack-first", tmp_path / "pack-second")
    _run_pair([AMAYESH + ["export", "--run", str(run), "--pack", "--out", str(out), "--province", "23", "--date", "1403/01/15"]
               for run, out in zip(two_plans, packs)])
    assert sorted(p.name for p in packs[0].iterdir()) == ["map.html", "pack.pdf", "pack.xlsx", "results.gpkg"]
    assert _diff(*packs) == ""
