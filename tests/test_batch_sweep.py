"""Sweep files: expansion, validation with errors naming the field, stable ids, valid weight samples."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from siting.batch.sweep import Range, expand, load_sweep
from siting.errors import ScenarioError
from siting.weights import ahp_weights

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "batch"
SHA = "0" * 64  # a stand-in data fingerprint: expansion without loading data


def _sweep(tmp_path: Path, body: dict, name: str = "sweep.yaml") -> Path:
    path = tmp_path / name
    body = {"base": str(REPO / "data" / "scenarios" / "default.yaml"), **body}
    path.write_text(yaml.safe_dump(body, allow_unicode=True), encoding="utf-8")
    return path


def test_range_is_inclusive_and_typed():
    assert Range.model_validate({"from": 1000, "to": 3000, "step": 250}).values() == [1000, 1250, 1500, 1750, 2000, 2250, 2500, 2750, 3000]
    assert Range.model_validate({"from": 0, "to": 0.2, "step": 0.05}).values() == [0.0, 0.05, 0.1, 0.15, 0.2]


def test_grid_is_the_cross_product_of_the_issue(tmp_path):
    path = _sweep(tmp_path, {"grid": {"plan.budget_licences": {"from": 1000, "to": 3000, "step": 250},
                                      "plan.saturation_slack": {"from": 0, "to": 0.2, "step": 0.05}}})
    expanded = expand(path, data_sha256=SHA)
    assert len(expanded.specs) == 1 + 9 * 5
    grid = [s for s in expanded.specs if s.family == "grid"]
    assert {(s.overrides["plan.budget_licences"], s.overrides["plan.saturation_slack"]) for s in grid} == {
        (b, x) for b in range(1000, 3001, 250) for x in (0.0, 0.05, 0.1, 0.15, 0.2)}
    assert all(s.raw["plan"]["budget_licences"] == s.overrides["plan.budget_licences"] for s in grid)
    assert all(s.raw["sensitivity"]["draws"] == 0 and s.raw["sensitivity"]["seed"] == s.seed for s in expanded.specs)
    assert expanded.parameters == ["plan.budget_licences", "plan.saturation_slack"]
    assert [s.order for s in expanded.specs] == list(range(len(expanded.specs)))


def test_every_family_in_order_with_explicit_seeds():
    expanded = expand(FIXTURES / "small.yaml", data_sha256=SHA)
    assert [s.family for s in expanded.specs] == ["base", "grid", "grid", "named", "named", "named", "named", "dirichlet", "dirichlet"]
    assert [s.label for s in expanded.specs][3:7] == ["strict", "rural-first", "bad", "impossible"]
    assert len({s.seed for s in expanded.specs}) == len(expanded.specs)
    assert all(s.raw["name"] == f"small/{s.label}" for s in expanded.specs if s.raw)


def test_an_invalid_value_is_a_scenario_error_not_a_sweep_error():
    bad = next(s for s in expand(FIXTURES / "small.yaml", data_sha256=SHA).specs if s.label == "bad")
    assert bad.raw is None and "plan.budget_licences" in bad.error and "greater than or equal to 0" in bad.error


@pytest.mark.parametrize("body, words", [
    ({"grid": {"plan.budget": [1, 2]}}, ["'plan.budget' is not a scenario field", "'budget' unknown", "grid"]),
    ({"scenarios": [{"name": "x", "overrides": {"weights.metod": "direct"}}]}, ["scenarios[x].overrides", "'metod' unknown"]),
    ({"samples": {"n": 3, "ranges": {"plan.nope": [0, 1]}}}, ["samples.ranges", "'nope' unknown"]),
    ({"fixed": {"budget_licences": 3}}, ["fixed", "'budget_licences' unknown"]),
    ({"grid": {"plan.budget_licences": {"from": 3, "to": 1, "step": 1}}}, ["grid.plan.budget_licences", "'to' (1) is below 'from' (3)"]),
    ({"smaples": {"n": 3}}, ["smaples", "Extra inputs are not permitted"]),
    ({"samples": {"n": 0, "ranges": {"plan.budget_licences": [1, 2]}}}, ["samples.n", "greater than or equal to 1"]),
    ({"samples": {"n": 2, "ranges": {"plan.budget_licences": [5, 2]}}}, ["samples.ranges", "upper bound"]),
    ({"scenarios": [{"name": "a"}, {"name": "a"}]}, ["scenarios", "given twice"]),
    ({"weights": {"ahp": {"n": 2}}}, ["weights.ahp", "perturbed judgements need weights.method 'ahp'"]),
    ({"weights": {"stakeholders": True}}, ["weights.stakeholders", "group_ahp"]),
    ({"base": "missing.yaml"}, ["base", "not found"]),
])
def test_bad_sweeps_name_the_file_and_field(tmp_path, body, words):
    path = _sweep(tmp_path, body)
    with pytest.raises(ScenarioError) as caught:
        expand(path, data_sha256=SHA)
    message = str(caught.value)
    assert str(path) in message
    for word in words:
        assert word in message


def test_not_a_mapping_and_missing_file(tmp_path):
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="a sweep is a YAML mapping"):
        load_sweep(tmp_path / "list.yaml")
    with pytest.raises(ScenarioError, match="not found"):
        load_sweep(tmp_path / "nope.yaml")


def test_ids_are_stable_across_runs_and_processes():
    first = [s.scenario_id for s in expand(FIXTURES / "small.yaml", data_sha256=SHA).specs]
    assert first == [s.scenario_id for s in expand(FIXTURES / "small.yaml", data_sha256=SHA).specs]
    assert len(set(first)) == len(first)
    program = ("import json, sys; from siting.batch.sweep import expand; "
               f"print(json.dumps([s.scenario_id for s in expand({str(FIXTURES / 'small.yaml')!r}, data_sha256={SHA!r}).specs]))")
    other = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": "123", "PATH": ""})
    assert json.loads(other.stdout) == first
    # other data → other ids
    assert first[0] != expand(FIXTURES / "small.yaml", data_sha256="1" * 64).specs[0].scenario_id


def test_latin_hypercube_fills_every_stratum(tmp_path):
    path = _sweep(tmp_path, {"include_base": False, "samples": {"n": 40, "seed": 3, "ranges": {
        "plan.budget_licences": [1000, 3000], "plan.rural_share_min": [0.2, 0.5]}}})
    specs = expand(path, data_sha256=SHA).specs
    budget = np.array([s.overrides["plan.budget_licences"] for s in specs])
    share = np.array([s.overrides["plan.rural_share_min"] for s in specs])
    assert budget.dtype.kind == "i" and budget.min() >= 1000 and budget.max() <= 3000
    assert share.min() >= 0.2 and share.max() <= 0.5
    strata = np.floor((share - 0.2) / 0.3 * 40).clip(0, 39).astype(int)
    assert sorted(strata) == list(range(40))  # one sample per stratum: a Latin hypercube
    assert [s.overrides for s in specs] == [s.overrides for s in expand(path, data_sha256=SHA).specs]


def test_dirichlet_weights_stay_on_the_simplex_around_the_committee(tmp_path):
    from siting.batch.sampling import base_weights
    from siting.scenario import load_scenario

    path = _sweep(tmp_path, {"include_base": False, "weights": {"dirichlet": {"n": 400, "concentration": 200, "seed": 4}}})
    specs = expand(path, data_sha256=SHA).specs
    draws = np.array([[s.raw["weights"]["values"][i] for i in s.raw["indicators"]] for s in specs])
    assert np.all(draws >= 0) and np.allclose(draws.sum(axis=1), 1, atol=1e-5)
    assert all(s.raw["weights"]["method"] == "direct" for s in specs)
    centre = base_weights(load_scenario()[0])
    assert np.allclose(draws.mean(axis=0), centre, atol=0.01)


def test_perturbed_ahp_judgements_stay_consistent(tmp_path):
    path = _sweep(tmp_path, {"base": str(FIXTURES / "ahp_base.yaml"), "include_base": False,
                             "weights": {"ahp": {"n": 30, "spread": 0.4, "seed": 5}}})
    specs = expand(path, data_sha256=SHA).specs
    assert len(specs) == 30
    matrices = [np.array(s.raw["weights"]["ahp"]["matrix"]) for s in specs]
    for matrix in matrices:
        result = ahp_weights(matrix, specs[0].raw["weights"]["ahp"]["indicators"])  # refuses CR > 0.1
        assert result.consistency_ratio <= 0.1
        assert np.allclose(matrix * matrix.T, 1, rtol=0.01)
    assert len({m.tobytes() for m in matrices}) == 30  # really perturbed


def test_too_wide_a_perturbation_is_refused_clearly(tmp_path):
    path = _sweep(tmp_path, {"base": str(FIXTURES / "ahp_base.yaml"), "weights": {"ahp": {"n": 3, "spread": 2, "max_tries": 2, "seed": 1}}})
    with pytest.raises(ScenarioError, match=r"weights.ahp: no perturbed matrix within the consistency limit"):
        expand(path, data_sha256=SHA)


def test_each_stakeholder_as_a_scenario(tmp_path):
    path = _sweep(tmp_path, {"base": str(FIXTURES / "group_base.yaml"), "weights": {"stakeholders": True}})
    specs = expand(path, data_sha256=SHA).specs
    assert [s.label for s in specs] == ["base", "stakeholder:cra", "stakeholder:province"]
    cra = specs[1].raw["weights"]
    assert cra["method"] == "ahp" and cra["ahp"]["stakeholders"] is None and cra["ahp"]["matrix"][0] == [1.0, 3.0, 5.0]


def test_the_example_sweep_expands():
    expanded = expand(REPO / "data" / "sweeps" / "example.yaml", data_sha256=SHA)
    families = [s.family for s in expanded.specs]
    assert families.count("grid") == 45 and families.count("named") == 3 and families.count("lhs") == 20
    assert all(s.error is None for s in expanded.specs)


def test_dry_run_lists_scenarios_and_writes_nothing(tmp_path, shared_data):
    from click.testing import CliRunner

    from siting.cli.main import cli

    result = CliRunner().invoke(cli, ["batch", str(FIXTURES / "small.yaml"), "--data", str(shared_data), "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Sweep small: 9 scenarios")
    assert len(lines) == 10 and "INVALID" in next(line for line in lines if " bad " in line)
    ids = [s.scenario_id for s in expand(FIXTURES / "small.yaml", str(shared_data)).specs]
    assert [line.split()[1] for line in lines[1:]] == ids


def test_cli_bad_sweep_exits_non_zero_without_output(tmp_path, shared_data):
    from click.testing import CliRunner

    from siting.cli.main import cli

    path = _sweep(tmp_path, {"grid": {"plan.budgett": [1]}})
    result = CliRunner().invoke(cli, ["batch", str(path), "--data", str(shared_data), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "'plan.budgett' is not a scenario field" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
    result = CliRunner().invoke(cli, ["batch", str(FIXTURES / "small.yaml"), "--data", str(tmp_path / "no-data"), "--out", str(tmp_path / "out")])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
