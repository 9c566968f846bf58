"""``amayesh export``: the committee pack, or one format, from a plan run folder or a batch folder."""

from __future__ import annotations

from pathlib import Path

import click

from siting.cli.options import replace_option, reports_errors

FORMATS = ("png", "pdf", "html", "xlsx", "gpkg")
METRICS = ("new_licences", "score", "gap", "pressure", "counter_share")


@click.command()
@click.option("--run", "run_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Run folder written by `amayesh plan`, or a batch folder written by `amayesh batch`.")
@click.option("--scenario", "scenario", default=None, metavar="ID|LABEL",
              help="With a batch folder: export this scenario's pack (id, id prefix or label; its kept plan folder, or the "
              "scenario run again on the batch's data) [default: the batch pack].")
@click.option("--pack", is_flag=True, help="Write the committee pack: pack.pdf, pack.xlsx, results.gpkg, map.html.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Write one format: png or pdf (national and province maps), html (map.html), xlsx (pack.xlsx), "
              "gpkg (results.gpkg).")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder [default: RUN/export]. It must not exist or be empty; it is written completely or not at all.")
@replace_option
@click.option("--paper", type=click.Choice(["A4", "A3"]), default="A4", show_default=True, help="Paper size of maps and pages (landscape).")
@click.option("--persian-digits/--latin-digits", "persian_digits", default=True, show_default=True,
              help="Digits of numbers on maps, legends and tooltips.")
@click.option("--scheme", type=click.Choice(["quantiles", "natural_breaks", "user"]), default="quantiles", show_default=True,
              help="Classification of the choropleths (natural breaks: Fisher-Jenks).")
@click.option("--breaks", "breaks", multiple=True, metavar="[VARIABLE:]B1,B2,...",
              help="Upper class limits for --scheme user, e.g. 0,2,5,10 (new licences) or pressure:1,2,5. Repeatable; "
              "variables without breaks use quantiles. Variables: " + ", ".join(METRICS) + ".")
@click.option("--metric", type=click.Choice(METRICS), default="new_licences", show_default=True,
              help="Variable of the province maps and of the web map's first view.")
@click.option("--province", "provinces", multiple=True, metavar="CODE",
              help="Province maps only for these SCI province codes (repeatable; default: every province).")
@click.option("--basemap", is_flag=True, help="Add an OpenStreetMap basemap to map.html (needs the internet when viewed).")
@click.option("--date", "date_text", default=None, metavar="DATE",
              help="Date printed on maps and pages, Jalali (1403/01/15) or Gregorian [default: today].")
@reports_errors
def export(run_dir: Path, scenario: str | None, pack: bool, fmt: str | None, out: Path | None, replace: bool, paper: str, persian_digits: bool,
           scheme: str, breaks: tuple[str, ...], metric: str, provinces: tuple[str, ...], basemap: bool,
           date_text: str | None) -> None:
    """Write maps, tables and the committee pack of a plan run.

    With --pack: pack.pdf (national and province maps, allocation by province and by
    county, moratorium list, counterfactual, parameters and weights), pack.xlsx,
    results.gpkg and map.html (works offline). With --format: one of them, or the
    print maps as 300 dpi PNG or vector PDF.

    From a batch folder: the batch pack (batch.xlsx with every scenario, the counties'
    robustness, provinces across scenarios, regret and rank stability; robustness.gpkg;
    report.html), or with --format xlsx|gpkg|html one of them; with --scenario ID, that
    scenario's committee pack as for a plan folder.
    """
    from siting.dates import parse_date
    from siting.errors import AmayeshError
    from siting.report.classes import parse_breaks
    from siting.report.pack import ExportOptions
    from siting.report.pack import export as run_export
    from siting.report.print_maps import MapStyle

    if pack == (fmt is not None):
        raise click.UsageError("choose --pack or --format FORMAT (one of them)")
    if breaks and scheme != "user":
        raise click.UsageError("--breaks needs --scheme user")
    try:
        date = parse_date(date_text) if date_text else None
    except ValueError as exc:
        raise AmayeshError(f"--date: {exc}") from None
    style = MapStyle(paper=paper, persian_digits=persian_digits, scheme=scheme, breaks=parse_breaks(breaks), date=date)
    options = ExportOptions(style=style, provinces=tuple(provinces) or None, basemap=basemap, metric=metric)
    from siting.batch.export import export_batch, export_scenario, is_batch_folder

    if not is_batch_folder(run_dir):
        if scenario is not None:
            raise click.UsageError(f"--scenario needs a batch folder; {run_dir} has no batch.json")
        destination = out if out is not None else run_dir / "export"
        written = run_export(run_dir, destination, None if pack else fmt, options, replace=replace)
    elif scenario is not None:
        written = export_scenario(run_dir, scenario, out, None if pack else fmt, options, replace=replace)
        destination = written[0].parent if written else out
    else:
        destination = out if out is not None else run_dir / "export"
        written = export_batch(run_dir, destination, None if pack else fmt, replace=replace)
    for path in written:
        click.echo(f"  {path.name:<40} {path.stat().st_size / 1024:>9,.0f} KB")
    click.echo(f"Wrote {len(written)} file(s) to {destination}")
