"""The code, ``data/scenarios/default.yaml`` and the README agree on every default (issue 14)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from siting.scenario import PlanSettings, Scenario

REPO = Path(__file__).resolve().parents[1]
LABELS = {"name", "name_fa", "description"}


def _differences(code: dict, shipped: dict, prefix: str = "") -> list[str]:
    found = []
    for key, value in shipped.items():
        if isinstance(value, dict) and isinstance(code.get(key), dict):
            found += _differences(code[key], value, f"{prefix}{key}.")
        elif f"{prefix}{key}" not in LABELS and code.get(key) != value:
            found.append(f"{prefix}{key}: code {code.get(key)!r}, default.yaml {value!r}")
    return found


def test_default_yaml_states_the_code_defaults():
    shipped = yaml.safe_load((REPO / "data" / "scenarios" / "default.yaml").read_text(encoding="utf-8"))
    code = Scenario(indicators=shipped["indicators"]).model_dump()
    assert _differences(code, shipped) == []


def test_readme_names_the_code_default_budget_mode():
    assert PlanSettings().budget_mode == "at_most"
    row = next(line for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines() if "`plan.budget_mode`" in line)
    defaults = re.findall(r"`(\w+)` \(default", row)
    assert defaults == [PlanSettings().budget_mode]


def test_a_scenario_without_budget_mode_plans_on_the_embedded_default(embedded_offline, tmp_path, run_amayesh):
    """Before the fix the code defaulted to ``exact`` and this scenario was refused as infeasible."""
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("indicators: [total_population, offices_per_10k]\nweights: {method: direct, values: {total_population: 0.6, offices_per_10k: 0.4}}\nplan: {budget_licences: 2000}\n"
                        "site: {place_after_plan: false}\n", encoding="utf-8")
    result = run_amayesh("plan", "--scenario", scenario, "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert "licences to" in result.output
