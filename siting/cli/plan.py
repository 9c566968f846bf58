"""``amayesh plan``: allocate new licences by need and screen the applications."""

from __future__ import annotations

from pathlib import Path

import click

from siting.cli.options import reports_errors, scenario_run_options

ALLOCATION_COLUMNS = [
    "unit_code", "name_fa", "name_en", "province_code", "score", "rank", "tier", "existing_offices", "target_offices", "gap",
    "cap", "moratorium", "moratorium_urban", "moratorium_rural", "new_licences", "new_urban", "new_rural", "applications",
    "applications_fitting", "applications_speculative", "population_per_office_after", "pop_total", "pop_urban", "pop_rural",
]
APPLICATION_COLUMNS = [
    "application_id", "applicant_hash", "unit_code", "plan_unit", "setting", "application_date", "veteran", "education",
    "resident_unit_code", "decision", "speculative", "reason", "queue_position",
]


@click.command()
@scenario_run_options
@click.option("--time-limit", type=float, default=None, help="Solver time limit in seconds (overrides plan.time_limit_seconds).")
@click.option("--mip-gap", type=float, default=None, help="Relative MIP gap at which to stop (overrides plan.mip_gap).")
@click.option("--solver", type=click.Choice(["highs", "cbc"]), default=None, help="Solver (overrides plan.solver; HiGHS by default, CBC as fallback).")
@reports_errors
def plan(scenario_path: Path | None, data: str | None, vintage: str, out: Path, replace: bool,
         time_limit: float | None, mip_gap: float | None, solver: str | None) -> None:
    """Allocate new licences where the need is, and screen every application.

    Writes OUT/allocation.csv, applications.csv (every application with its decision and
    reason), moratorium.csv, register_audit.csv, scores.csv, weights.csv, layers.gpkg,
    sites.csv and coverage.csv (each unit's licences placed on its settlements by maximal
    covering, unless site.place_after_plan is false) and
    summary.json (status, objective, bound, gap, timings, headline numbers against
    first-come-first-served issuance, data and scenario hashes, versions). An infeasible
    scenario is explained (which constraints conflict, by how much) and nothing is written.
    """
    import shutil

    from siting.dates import to_jalali
    from siting.outputs import check_destination, output_folder, write_json
    from siting.pipeline import prepare_dataset, provenance, write_scores
    from siting.planning import make_plan
    from siting.scenario import load_scenario
    from siting.scoring import score_units

    check_destination(out, replace)
    scenario, path = load_scenario(scenario_path)
    overrides = {k: v for k, v in {"time_limit_seconds": time_limit, "mip_gap": mip_gap, "solver": solver}.items() if v is not None}
    if overrides:
        scenario = scenario.model_copy(update={"plan": scenario.plan.model_copy(update=overrides)})
    dataset = prepare_dataset(scenario, data, int(vintage))
    scored = score_units(dataset, scenario)
    made = make_plan(dataset, scenario, scored)
    result = made.result
    placed = None
    if scenario.site.place_after_plan and len(dataset.settlements):
        from siting.placement import place_allocation

        placed = place_allocation(dataset, made.allocation, scored.level, scenario.site)
    applications = made.applications.copy()
    applications["application_date"] = applications["application_date"].map(to_jalali)
    summary = {
        "status": result.status,
        "objective": result.objective,
        "bound": result.best_bound,
        "gap": result.gap,
        "solver": f"{result.solver} {result.solver_version}",
        "build_seconds": round(result.build_seconds, 4),
        "solve_seconds": round(result.solve_seconds, 4),
        "level": scored.level,
        "units": len(made.allocation),
        "licences_allocated": int(made.allocation["new_licences"].sum()),
        "licences_urban": int(made.allocation["new_urban"].sum()),
        "licences_rural": int(made.allocation["new_rural"].sum()),
        "need_covered_share": made.headline["plan"]["need_covered_share"],
        "speculative_share": made.headline["applications_speculative"] / max(made.headline["applications"], 1),
        "moratorium_units": int(made.allocation["moratorium"].sum()),
        "counterfactual": {"plan": made.headline["plan"], "fcfs": made.headline["fcfs"],
                           "explanation": "fcfs: the same number of licences issued to the earliest applications, "
                                          "wherever they were (before the plan)"},
        "applications": {k: made.headline[k] for k in ("applications", "applications_speculative", "applications_granted", "licences_without_applicant")},
        "reference_date": made.headline["reference_date"],
        "notes": made.headline["notes"],
        "sites": placed.summary if placed is not None else None,
        **provenance(dataset, scenario, path),
    }
    with output_folder(out, replace=replace) as staging:
        made.allocation[ALLOCATION_COLUMNS].to_csv(staging / "allocation.csv", index=False)
        applications[APPLICATION_COLUMNS].to_csv(staging / "applications.csv", index=False)
        made.moratorium.to_csv(staging / "moratorium.csv", index=False)
        made.audit.to_csv(staging / "register_audit.csv", index=False)
        write_scores(scored, staging)
        _write_layers(dataset, scored.level, staging / "layers.gpkg")
        if placed is not None:
            placed.sites.to_csv(staging / "sites.csv", index=False)
            placed.coverage.to_csv(staging / "coverage.csv", index=False)
        shutil.copyfile(path, staging / "scenario.yaml")
        write_json(staging / "summary.json", summary)
    cf = summary["counterfactual"]
    click.echo(f"Plan ({result.status}, objective {result.objective:.3f}, gap {result.gap if result.gap is not None else 'n/a'}; "
               f"build {result.build_seconds:.2f} s, solve {result.solve_seconds:.2f} s) → {out}")
    click.echo(f"  {summary['licences_allocated']:,} licences to {int((made.allocation['new_licences'] > 0).sum())} {scored.level} units "
               f"({summary['licences_urban']:,} urban, {summary['licences_rural']:,} rural); {summary['moratorium_units']} units under moratorium")
    click.echo(f"  need covered: plan {cf['plan']['need_covered_share']:.0%} vs first-come-first-served {cf['fcfs']['need_covered_share']:.0%}")
    click.echo(f"  licences in saturated units: plan {cf['plan']['licences_in_saturated_units']:,} vs FCFS {cf['fcfs']['licences_in_saturated_units']:,}; "
               f"speculative applications served: plan {cf['plan']['speculative_served']:,} vs FCFS {cf['fcfs']['speculative_served']:,}")
    if placed is not None:
        facts = placed.summary
        click.echo(f"  placed on {facts['new_sites']:,} settlements; population within {facts['radius_km']:g} km of an office: "
                   f"{facts['share_covered_before']:.1%} before, {facts['share_covered_after']:.1%} after")
    for note in made.headline["notes"]:
        click.echo(f"  Note: {note}")
    if dataset.synthetic_registers:
        click.echo("  Office register and applications are SYNTHETIC (generated).")
    if dataset.metadata.get("source") == "embedded":
        click.echo("  Populations are GeoNames figures of mixed years (embedded default), not the census; rural population missing.")


def _write_layers(dataset, level: str, path: Path) -> None:
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
