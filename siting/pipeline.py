"""The steps shared by the commands: load the data a scenario asks for, score it, write it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from siting.data import Dataset, data_fingerprint, load_dataset
from siting.scenario import Scenario
from siting.scoring import ScoreResult


def prepare_dataset(scenario: Scenario, data: str | None = None, vintage: int = 1395) -> Dataset:
    """Load ``data`` (else the scenario's ``data``, else the embedded default), with
    SYNTHETIC registers generated when the data brings none and the scenario asks for them."""
    dataset = load_dataset(data or scenario.data or "embedded", vintage=vintage)
    seed = scenario.registers.synthetic_seed
    if dataset.offices is None and dataset.applications is None and seed is not None:
        from siting.data.dataset import locate_rows
        from siting.data.synthetic import generate_registers

        generated = generate_registers(dataset, seed=seed)
        parsed = _as_loaded(list(generated))
        dataset = dataset.with_registers(*[locate_rows(frame, dataset)[0] for frame in parsed])
    return dataset


def _as_loaded(frames: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """Generated registers hold Jalali text dates; parse them as a loaded file would be."""
    import tempfile

    from siting.data._read import read_table
    from siting.data.registers import parse_applications, parse_offices, parse_parks

    out = []
    with tempfile.TemporaryDirectory() as folder:
        for frame, parser, name in zip(frames, (parse_offices, parse_applications, parse_parks), ("offices", "applications", "industrial_parks")):
            path = Path(folder) / f"{name}.csv"
            frame.to_csv(path, index=False)
            parsed, _ = parser(read_table(path))
            out.append(parsed)
    return out


def provenance(dataset: Dataset, scenario: Scenario, scenario_path: Path) -> dict:
    """What a run was made from: data source and notes, hashes, synthetic flags, versions."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for package in ("amayesh", "pulp", "highspy", "numpy", "pandas", "geopandas"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return {
        "scenario": {"name": scenario.name, "name_fa": scenario.name_fa, "file": str(scenario_path),
                     "sha256": hashlib.sha256(scenario_path.read_bytes()).hexdigest()},
        "data": {
            "source": dataset.metadata.get("source"),
            "folder": dataset.metadata.get("folder"),
            "population_source": dataset.metadata.get("population_source"),
            "note": dataset.metadata.get("note"),
            "synthetic_registers": dataset.synthetic_registers,
            "registers_note": "SYNTHETIC registers (generated): not real offices or applicants" if dataset.synthetic_registers else dataset.metadata.get("registers_note"),
            "sha256": data_fingerprint(dataset),
        },
        "versions": versions,
    }


def write_scores(result: ScoreResult, folder: Path) -> None:
    """scores.csv, weights.csv, sensitivity.csv (and group_ahp.csv) into ``folder``."""
    result.scores.to_csv(folder / "scores.csv", index=False)
    result.weights.to_csv(folder / "weights.csv", index=False)
    if result.sensitivity is not None:
        result.sensitivity.rename_axis("unit_code").reset_index().to_csv(folder / "sensitivity.csv", index=False)
    if result.group_ahp is not None:
        result.group_ahp.rename_axis("indicator").reset_index().to_csv(folder / "group_ahp.csv", index=False)
