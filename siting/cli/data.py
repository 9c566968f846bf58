"""``amayesh data``: check a data source, generate synthetic registers."""

from __future__ import annotations

from pathlib import Path

import click

from siting.cli.options import data_option, out_option, replace_option, reports_errors, vintage_option


@click.group()
def data() -> None:
    """Inspect and prepare input data."""


@data.command()
@click.argument("path", required=False, metavar="[PATH]")
@vintage_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@reports_errors
def check(path: str | None, vintage: str, as_json: bool) -> None:
    """Validate a data source and print its summary.

    PATH is a data folder or 'embedded' (the default). Exits 0 when valid; otherwise
    prints each problem with its file, row and column and exits 2.
    """
    from siting.data import load_dataset, summary

    dataset = load_dataset(path or "embedded", vintage=int(vintage))
    facts = summary(dataset)
    for warning in dataset.warnings:
        click.echo(str(warning), err=True)
    if as_json:
        import json

        click.echo(json.dumps(facts, ensure_ascii=False, indent=2))
        return
    click.echo(f"Data source: {facts['source']} ({facts['population_source']})")
    for level in dataset.levels:
        click.echo(
            f"  {level:<9} {facts[level + '_units']:>5,} units   population {facts[level + '_population_total']:>12,}"
            f"  (urban {facts[level + '_population_urban']:,}, rural {facts[level + '_population_rural']:,})"
        )
    click.echo(f"  settlements {facts['settlements']:>,} (population {facts['settlement_population']:,})")
    for name in ("offices", "applications", "parks"):
        count = facts[name]
        click.echo(f"  {name:<12} {'none loaded' if count is None else f'{count:,}'}")
    if dataset.other_offices is not None:
        by_network = dataset.other_offices["network"].value_counts().sort_index()
        click.echo(f"  other networks {len(dataset.other_offices):,} ("
                   + ", ".join(f"{network} {count:,}" for network, count in by_network.items()) + ")")
    if facts["synthetic_registers"]:
        click.echo("  registers are SYNTHETIC (generated), not real offices or applicants")
    if facts.get("note"):
        click.echo(f"Note: {facts['note']}")
    levels = dataset.levels
    partial = set(dataset.metadata.get("partial_levels", []))
    for parent, child in zip(levels, levels[1:]):
        relation = "holds at least the sum of" if child in partial else "equals the sum of"
        click.echo(f"Checked: every {parent} {relation} its {child} units; every {child} joins its {parent}.")
    click.echo("Checked: codes unique and textual; populations whole, non-negative, adding up and plausible; "
               "geometries valid polygons; CRS EPSG:4326, every feature inside Iran; every settlement and register row joins a unit.")
    if dataset.metadata.get("files_read"):
        read = dataset.metadata["files_read"]
        tables = [name for name in read if name.endswith("_population.csv")]
        click.echo(f"Read: {', '.join(read)} (other files in the folder are not used).")
        if tables:
            click.echo(f"Checked: {', '.join(tables)} agree(s) with the layers, unit by unit.")
    click.echo("Valid." if not dataset.warnings else f"Valid, with {len(dataset.warnings)} warning(s).")


@data.command()
@data_option
@out_option
@replace_option
@click.option("--seed", default=1393, show_default=True, help="Random seed: the same seed gives the same registers.")
@click.option("--offices", "n_offices", type=click.IntRange(min=0), default=None,
              help="Number of offices [default: 10,200 nationally, scaled to the population the source covers].")
@click.option("--applications", "n_applications", type=click.IntRange(min=0), default=None,
              help="Number of pending applications [default: 6,000 nationally, scaled likewise].")
@click.option("--parks", "n_parks", type=click.IntRange(min=0), default=None,
              help="Number of industrial parks [default: 450 nationally, scaled likewise].")
@reports_errors
def generate(data: str, out: Path, replace: bool, seed: int, n_offices: int | None, n_applications: int | None, n_parks: int | None) -> None:
    """Write SYNTHETIC registers (offices, applications, industrial parks) for a data source.

    The folder gets offices.csv, applications.csv, industrial_parks.csv (dates in Jalali)
    and an amayesh.yaml manifest pointing to the geography, so it can be passed as --data.
    """
    import yaml

    from siting.data import load_dataset
    from siting.data.synthetic import SYNTHETIC_NOTE, Calibration, generate_registers
    from siting.outputs import output_folder

    dataset = load_dataset(data)
    given = {k: v for k, v in {"offices": n_offices, "applications": n_applications, "parks": n_parks}.items() if v is not None}
    calibration = Calibration(**given)
    offices, applications, parks = generate_registers(dataset, seed=seed, calibration=calibration, scale_to_population=not given)
    geography = data if data == "embedded" else str(Path(data).resolve())
    with output_folder(out, replace=replace) as staging:
        offices.to_csv(staging / "offices.csv", index=False)
        applications.to_csv(staging / "applications.csv", index=False)
        parks.to_csv(staging / "industrial_parks.csv", index=False)
        manifest = {"geography": geography, "note": f"{SYNTHETIC_NOTE} Seed {seed}.", "synthetic": True}
        (staging / "amayesh.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False), encoding="utf-8")
        (staging / "SYNTHETIC.txt").write_text(SYNTHETIC_NOTE + f"\nSeed: {seed}\n", encoding="utf-8")
    click.echo(f"Wrote {len(offices):,} offices, {len(applications):,} applications, {len(parks):,} parks to {out} (SYNTHETIC).")
