"""``amayesh score``: score units on a scenario's weighted indicators."""

from __future__ import annotations

from pathlib import Path

import click

from siting.cli.options import reports_errors, scenario_run_options


@click.command()
@scenario_run_options
@reports_errors
def score(scenario_path: Path | None, data: str | None, vintage: str, out: Path, replace: bool) -> None:
    """Score units on weighted indicators and write scores.csv and weights.csv.

    Writes OUT/scores.csv (normalised and raw indicators, score, rank, tier, target and
    existing offices, gap, top-k share under weight uncertainty), OUT/weights.csv,
    OUT/sensitivity.csv and OUT/summary.json.
    """
    import shutil

    from siting.outputs import check_destination, output_folder, write_json
    from siting.pipeline import prepare_dataset, provenance, write_scores
    from siting.scenario import load_scenario
    from siting.scoring import score_units

    check_destination(out, replace)
    scenario, path = load_scenario(scenario_path)
    dataset = prepare_dataset(scenario, data, int(vintage))
    result = score_units(dataset, scenario)
    with output_folder(out, replace=replace) as staging:
        write_scores(result, staging)
        shutil.copyfile(path, staging / "scenario.yaml")
        write_json(staging / "summary.json", {
            **provenance(dataset, scenario, path),
            "level": result.level,
            "units": len(result.scores),
            "filled_with_median": result.filled,
            "national_gap": int(result.scores["gap"].clip(lower=0).sum()),
        })
    top = result.scores.sort_values("rank").head(5)
    click.echo(f"Scored {len(result.scores)} {result.level} units on {len(result.weights)} indicators → {out}")
    for row in top.itertuples():
        click.echo(f"  {row.rank:>3}. {row.unit_code} {row.name_fa} ({row.name_en})  score {row.score:.3f}  gap {row.gap:+d}  {row.tier}")
    if dataset.synthetic_registers:
        click.echo("Office register and applications are SYNTHETIC (generated).")
