"""``amayesh site``: choose the settlements that host offices (MCLP, LSCP, p-median, attendance, market share)."""

from __future__ import annotations

from pathlib import Path

import click

from siting.cli.options import reports_errors, scenario_run_options, with_options


@click.command()
@scenario_run_options
@click.option("--model", type=click.Choice(["mclp", "lscp", "pmedian", "attendance", "max_share", "target_share"]), default=None,
              help="Location model (overrides site.model): maximal covering, set covering, p-median, maximise attendance "
                   "with distance decay, maximise market share against the other networks, or the fewest sites reaching "
                   "site.target_share.")
@click.option("--p", "p", type=click.IntRange(min=0), default=None,
              help="New sites for MCLP, p-median, attendance and max_share (overrides site.p; default plan.budget_licences).")
@click.option("--radius-km", type=click.FloatRange(min=0, min_open=True), default=None, help="Service distance in km (overrides site.radius_km).")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Solver time limit in seconds (overrides site.time_limit_seconds).")
@reports_errors
def site(scenario_path: Path | None, data: str | None, vintage: str, out: Path, replace: bool, model: str | None,
         p: int | None, radius_km: float | None, time_limit: float | None) -> None:
    """Choose new office sites among the settlements, existing offices kept open.

    Writes OUT/sites.csv (site code, name, unit, new offices, population newly covered),
    OUT/coverage.csv (each settlement, its nearest office, distance, covered or not) and
    OUT/summary.json (objective, bound, gap, status, coverage before and after) and
    OUT/timings.json (build, solve and total seconds: the one file that differs between two runs).
    """
    from siting.outputs import check_destination, output_folder, write_json
    from siting.pipeline import prepare_dataset, provenance, split_timings
    from siting.placement import site_national
    from siting.scenario import load_scenario

    check_destination(out, replace)
    scenario, path = load_scenario(scenario_path)
    scenario, text = with_options(scenario, {"site.model": model, "site.p": p, "site.radius_km": radius_km,
                                             "site.time_limit_seconds": time_limit})
    settings = scenario.site
    dataset = prepare_dataset(scenario, data, int(vintage))
    placed = site_national(dataset, settings, settings.p if settings.p is not None else scenario.plan.budget_licences)
    with output_folder(out, replace=replace) as staging:
        placed.sites.to_csv(staging / "sites.csv", index=False)
        placed.coverage.to_csv(staging / "coverage.csv", index=False)
        (staging / "scenario.yaml").write_bytes(text.encode("utf-8") if text is not None else path.read_bytes())
        facts, timings = split_timings(placed.summary)
        write_json(staging / "summary.json", {**facts, **provenance(dataset, scenario, path, text)})
        write_json(staging / "timings.json", timings)
    facts = placed.summary
    gap = f"{facts['gap']:.2%}" if facts.get("gap") is not None else "n/a"
    click.echo(f"{facts['model'].upper()} ({facts['status']}, objective {facts['objective']:,.1f}, bound {facts['bound']:,.1f}, gap {gap}; "
               f"build {facts['build_seconds']:.2f} s, solve {facts['solve_seconds']:.2f} s) → {out}")
    click.echo(f"  {facts['new_sites']:,} new sites; population within {facts['radius_km']:g} km of an office: "
               f"{facts['share_covered_before']:.1%} before, {facts['share_covered_after']:.1%} after")
    if "share" in facts:
        click.echo(f"  market share against {facts['competitor_offices']:,} offices of {', '.join(facts['competitor_networks'])}: "
                   f"{facts['share_before']:.1%} before, {facts['share']:.1%} after ({facts['rounds']} rounds of cuts)")
    if "visits_before" in facts:
        click.echo(f"  expected visits (distance decay {facts['decay']['kind']}): {facts['visits_before']:,.0f} before, "
                   f"{facts['objective']:,.0f} after")
