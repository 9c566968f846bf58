"""``amayesh plan``: allocate new licences by need and screen the applications."""

from __future__ import annotations

from pathlib import Path

import click

from siting.cli.options import reports_errors, scenario_run_options, with_options


@click.command()
@scenario_run_options
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Solver time limit in seconds (overrides plan.time_limit_seconds).")
@click.option("--mip-gap", type=click.FloatRange(min=0), default=None, help="Relative MIP gap at which to stop (overrides plan.mip_gap).")
@click.option("--solver", type=click.Choice(["highs", "cbc"]), default=None, help="Solver (overrides plan.solver; HiGHS by default, CBC as fallback).")
@reports_errors
def plan(scenario_path: Path | None, data: str | None, vintage: str, out: Path, replace: bool,
         time_limit: float | None, mip_gap: float | None, solver: str | None) -> None:
    """Allocate new licences where the need is, and screen every application.

    Writes OUT/allocation.csv, applications.csv (every application with its decision and
    reason), moratorium.csv, register_audit.csv, scores.csv, weights.csv, layers.gpkg,
    sites.csv and coverage.csv (each unit's licences placed on its settlements by maximal
    covering, unless site.place_after_plan is false) and
    summary.json (status, objective, bound, gap, headline numbers against
    first-come-first-served issuance, data and scenario hashes, versions) and timings.json
    (build, solve and placement seconds: the one file that differs between two runs of
    the same inputs). An infeasible
    scenario is explained (which constraints conflict, by how much) and nothing is written.
    """
    from siting.outputs import check_destination, output_folder
    from siting.pipeline import prepare_dataset, run_plan, write_plan
    from siting.scenario import load_scenario

    check_destination(out, replace)
    scenario, path = load_scenario(scenario_path)
    scenario, text = with_options(scenario, {"plan.time_limit_seconds": time_limit, "plan.mip_gap": mip_gap, "plan.solver": solver})
    dataset = prepare_dataset(scenario, data, int(vintage))
    run = run_plan(dataset, scenario, path, text)
    with output_folder(out, replace=replace) as staging:
        write_plan(run, staging)
    made, result, placed, summary, scored = run.plan, run.plan.result, run.placed, run.summary, run.scored
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

