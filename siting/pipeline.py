"""The steps shared by every face of Amayesh (the CLI, the dashboard, the batch runner).

load the data a scenario asks for → score → plan → (place on settlements) → write the run folder.
:func:`run_plan` computes a plan run in memory and :func:`write_plan` writes it; ``amayesh plan``,
the dashboard's Plan page and ``amayesh batch`` all call these two, so a plan made in any of them
is the same plan with the same files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from siting.data import Dataset, data_fingerprint, load_dataset
from siting.planning import Plan
from siting.scenario import Scenario
from siting.scoring import ScoreResult
from siting.viability import MARKET_COLUMNS, VIABLE_COLUMNS

ALLOCATION_COLUMNS = [
    "unit_code", "name_fa", "name_en", "province_code", "score", "rank", "tier", "existing_offices", "target_offices", "gap",
    "cap", "moratorium", "moratorium_urban", "moratorium_rural", "new_licences", "new_urban", "new_rural",
    # The urban and rural parts, each with its own cap: the optimiser caps each part separately.
    "existing_urban", "target_urban", "cap_urban", "existing_rural", "target_rural", "cap_rural",
    "applications", "applications_fitting", "applications_speculative", "population_per_office_after", "pop_total", "pop_urban",
    "pop_rural",
    # The viability limits as applied (either rule); the market behind them follows under the visits rule.
    *VIABLE_COLUMNS,
]
APPLICATION_COLUMNS = [
    "application_id", "applicant_hash", "unit_code", "plan_unit", "setting", "application_date", "veteran", "education",
    "resident_unit_code", "decision", "speculative", "reason", "queue_position",
]


def prepare_dataset(scenario: Scenario, data: str | None = None, vintage: int = 1395) -> Dataset:
    """Load ``data`` (else the scenario's ``data``, else the embedded default), with
    SYNTHETIC registers generated when the data brings none and the scenario asks for them,
    and the other networks' offices converted to counter offices when ``plan.convert_networks`` says so."""
    from siting.data.dataset import locate_rows

    dataset = load_dataset(data or scenario.data or "embedded", vintage=vintage)
    seed = scenario.registers.synthetic_seed
    if dataset.offices is None and dataset.applications is None and seed is not None:
        from siting.data.synthetic import generate_registers

        generated = generate_registers(dataset, seed=seed)
        parsed = _as_loaded(list(generated), ("offices", "applications", "industrial_parks"))
        dataset = dataset.with_registers(*[locate_rows(frame, dataset)[0] for frame in parsed])
    if dataset.other_offices is None and seed is not None and scenario.registers.synthetic_other_networks:
        from siting.data.synthetic import generate_other_offices

        parsed = _as_loaded([generate_other_offices(dataset, seed=seed)], ("other_offices",))[0]
        dataset = replace(dataset, other_offices=locate_rows(parsed, dataset)[0])
    if scenario.plan.convert_networks:
        from siting.conversion import convert_networks

        dataset, _ = convert_networks(dataset, scenario.plan.convert_networks, scenario.plan.convert_provinces)
    return dataset


def _as_loaded(frames: list[pd.DataFrame], names: tuple[str, ...]) -> list[pd.DataFrame]:
    """Generated registers hold Jalali text dates; parse them as a loaded file would be."""
    import tempfile

    from siting.data._read import read_table
    from siting.data.registers import parse_applications, parse_offices, parse_other_offices, parse_parks

    parsers = {"offices": parse_offices, "applications": parse_applications, "industrial_parks": parse_parks,
               "other_offices": parse_other_offices}
    out = []
    with tempfile.TemporaryDirectory() as folder:
        for frame, name in zip(frames, names):
            path = Path(folder) / f"{name}.csv"
            frame.to_csv(path, index=False)
            parsed, _ = parsers[name](read_table(path))
            out.append(parsed)
    return out


def provenance(dataset: Dataset, scenario: Scenario, scenario_path: Path | str, scenario_text: str | None = None) -> dict:
    """What a run was made from: data source and notes, hashes, synthetic flags, versions.

    ``scenario_text`` is the scenario's YAML when it was not read from ``scenario_path``
    (a scenario edited in the dashboard or expanded from a sweep).
    """
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for package in ("amayesh", "pulp", "highspy", "numpy", "pandas", "geopandas"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return {
        "scenario": {"name": scenario.name, "name_fa": scenario.name_fa, "file": str(scenario_path),
                     "sha256": hashlib.sha256(_scenario_bytes(scenario_path, scenario_text)).hexdigest()},
        "data": {
            "source": dataset.metadata.get("source"),
            "folder": dataset.metadata.get("folder"),
            "population_source": dataset.metadata.get("population_source"),
            "note": dataset.metadata.get("note"),
            "synthetic_registers": dataset.synthetic_registers,
            "registers_note": "SYNTHETIC registers (generated): not real offices or applicants" if dataset.synthetic_registers else dataset.metadata.get("registers_note"),
            "sha256": data_fingerprint(dataset),
            **({"converted_offices": dataset.metadata["converted_offices"],
                "converted_provinces": dataset.metadata.get("converted_provinces")}
               if dataset.metadata.get("converted_offices") else {}),
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


def _scenario_bytes(scenario_path: Path | str, scenario_text: str | None) -> bytes:
    return scenario_text.encode("utf-8") if scenario_text is not None else Path(scenario_path).read_bytes()


@dataclass(frozen=True)
class PlanRun:
    """A plan computed in memory: everything :func:`write_plan` puts in a run folder."""

    scenario: Scenario
    scenario_text: str  # the YAML scenario.yaml holds
    dataset: Dataset
    scored: ScoreResult
    plan: Plan
    placed: object | None  # siting.placement.SitePlan when licences were placed on settlements
    summary: dict
    timings: dict = field(default_factory=dict)  # timings.json: wall-clock figures, kept out of summary.json


def run_plan(dataset: Dataset, scenario: Scenario, scenario_path: Path | str, scenario_text: str | None = None,
             place: bool | None = None, scored: ScoreResult | None = None) -> PlanRun:
    """Score (unless ``scored`` is given), plan and optionally place one scenario on ``dataset``.

    Parameters
    ----------
    scenario_path
        Where the scenario came from (a file, or a label such as ``dashboard:NAME``).
    scenario_text
        Its YAML; read from ``scenario_path`` when None.
    place
        Place each unit's licences on its settlements; None follows ``site.place_after_plan``.

    Raises
    ------
    ScenarioError, InfeasibleError, DataError
        As :func:`siting.scoring.score_units` and :func:`siting.planning.make_plan` do.
    """
    from siting.planning import make_plan
    from siting.scoring import score_units

    text = scenario_text if scenario_text is not None else Path(scenario_path).read_bytes().decode("utf-8")
    scored = scored if scored is not None else score_units(dataset, scenario)
    made = make_plan(dataset, scenario, scored)
    placed = None
    if (scenario.site.place_after_plan if place is None else place) and len(dataset.settlements):
        from siting.placement import place_allocation

        placed = place_allocation(dataset, made.allocation, scored.level, scenario.site)
    summary = plan_summary(made, scored, placed, provenance(dataset, scenario, scenario_path, text))
    return PlanRun(scenario=scenario, scenario_text=text, dataset=dataset, scored=scored, plan=made, placed=placed, summary=summary,
                   timings=plan_timings(made, placed))


# Wall-clock figures: they differ from run to run, so they go to timings.json, never to summary.json.
TIMING_KEYS = ("build_seconds", "solve_seconds", "seconds")


def split_timings(facts: dict) -> tuple[dict, dict]:
    """``facts`` without its wall-clock figures (:data:`TIMING_KEYS`), and those figures.

    Examples
    --------
    >>> split_timings({"status": "optimal", "solve_seconds": 0.5})
    ({'status': 'optimal'}, {'solve_seconds': 0.5})
    """
    return ({k: v for k, v in facts.items() if k not in TIMING_KEYS},
            {k: v for k, v in facts.items() if k in TIMING_KEYS})


def plan_timings(made: Plan, placed: object | None) -> dict:
    """timings.json of a plan run: the optimiser's build and solve seconds and the placement's."""
    result = made.result
    timings = {"build_seconds": round(result.build_seconds, 4), "solve_seconds": round(result.solve_seconds, 4)}
    if placed is not None:
        timings["placement"] = split_timings(placed.summary)[1]
    return timings


def plan_summary(made: Plan, scored: ScoreResult, placed: object | None, origin: dict) -> dict:
    """summary.json of a plan run: status, bound, gap, headline figures against FCFS, provenance.

    Nothing in it depends on the clock (timings are :func:`plan_timings`), so the same inputs give the same file.
    """
    result = made.result
    allocation = made.allocation
    return {
        "status": result.status,
        "objective": result.objective,
        "bound": result.best_bound,
        "gap": result.gap,
        "solver": f"{result.solver} {result.solver_version}",
        "level": scored.level,
        "units": len(allocation),
        "licences_allocated": int(allocation["new_licences"].sum()),
        "licences_urban": int(allocation["new_urban"].sum()),
        "licences_rural": int(allocation["new_rural"].sum()),
        "need_covered_share": made.headline["plan"]["need_covered_share"],
        "speculative_share": made.headline["applications_speculative"] / max(made.headline["applications"], 1),
        "moratorium_units": int(allocation["moratorium"].sum()),
        "counterfactual": {"plan": made.headline["plan"], "fcfs": made.headline["fcfs"],
                           "explanation": "fcfs: the same number of licences issued to the earliest applications, "
                                          "wherever they were (before the plan)"},
        "applications": {k: made.headline[k] for k in ("applications", "applications_speculative", "applications_granted", "licences_without_applicant")},
        "reference_date": made.headline["reference_date"],
        "notes": made.headline["notes"],
        "notes_fa": made.headline["notes_fa"],
        "sites": split_timings(placed.summary)[0] if placed is not None else None,
        **origin,
    }


def write_plan(run: PlanRun, folder: Path) -> None:
    """Write a plan run's files into ``folder`` (a staging folder from :func:`siting.outputs.output_folder`).

    Every file but ``timings.json`` is a function of the inputs: the same data and scenario give the same bytes.
    """
    from siting.dates import to_jalali
    from siting.outputs import write_json
    from siting.reproducible import fixed_time, gdal_date

    made = run.plan
    applications = made.applications.copy()
    applications["application_date"] = applications["application_date"].map(to_jalali)
    columns = ALLOCATION_COLUMNS + [c for c in MARKET_COLUMNS if c in made.allocation.columns]
    made.allocation[columns].to_csv(folder / "allocation.csv", index=False)
    applications[APPLICATION_COLUMNS].to_csv(folder / "applications.csv", index=False)
    made.moratorium.to_csv(folder / "moratorium.csv", index=False)
    made.audit.to_csv(folder / "register_audit.csv", index=False)
    write_scores(run.scored, folder)
    with gdal_date(fixed_time(made.headline["reference_date"])):
        write_layers(run.dataset, run.scored.level, folder / "layers.gpkg")
    if run.placed is not None:
        run.placed.sites.to_csv(folder / "sites.csv", index=False)
        run.placed.coverage.to_csv(folder / "coverage.csv", index=False)
    (folder / "scenario.yaml").write_bytes(run.scenario_text.encode("utf-8"))
    write_json(folder / "summary.json", run.summary)
    write_json(folder / "timings.json", run.timings)


def write_layers(dataset: Dataset, level: str, path: Path) -> None:
    """The geometries maps need, so exports never reload the data."""
    import geopandas as gpd

    units = dataset.level(level)
    geometry = units.geometry if units.geometry.notna().all() else gpd.points_from_xy(units["lon"], units["lat"])
    gpd.GeoDataFrame(units[["unit_code", "name_fa", "name_en", "province_code"]], geometry=geometry, crs=4326).to_file(path, layer="units")
    provinces = dataset.level("province")
    geometry = provinces.geometry if provinces.geometry.notna().all() else gpd.points_from_xy(provinces["lon"], provinces["lat"])
    gpd.GeoDataFrame(provinces[["unit_code", "name_fa", "name_en"]], geometry=geometry, crs=4326).to_file(path, layer="provinces")
    for name, frame, columns in (("offices", dataset.offices, ["licence_id", "unit_code", "setting", "status"]),
                                 ("applications", dataset.applications, ["application_id", "unit_code", "setting"]),
                                 ("industrial_parks", dataset.parks, ["park_id", "name_fa", "unit_code"])):
        if frame is None:
            continue
        located = frame.dropna(subset=["lon", "lat"])
        if len(located):
            gpd.GeoDataFrame(located[columns], geometry=gpd.points_from_xy(located["lon"], located["lat"]), crs=4326).to_file(path, layer=name)
