"""``amayesh batch``: run a sweep of scenarios unattended and compare them in one report."""

from __future__ import annotations

from pathlib import Path

import click

from siting.cli.options import reports_errors, vintage_option


@click.command()
@click.argument("sweep_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--data", "data", default=None, metavar="PATH",
              help="Data source, overriding the sweep's 'data': 'embedded', an official folder or a data-contract folder. "
                   "With --scheduler every worker must see the same path.")
@vintage_option
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Batch folder (required unless --dry-run). Results are written into it as they arrive.")
@click.option("--workers", type=int, default=2, show_default=True, help="Local worker processes (one solver thread each).")
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT", help="Submit to this running Dask scheduler instead of a local pool.")
@click.option("--resume", is_flag=True, help="Finish a killed batch in --out: finished scenarios are not redone.")
@click.option("--replace", is_flag=True, help="Replace a non-empty --out folder (the old one is kept as NAME.previous-<time>).")
@click.option("--chunk-size", type=int, default=None, help="Scenarios per task (default: about 8 tasks per worker, at most 10 each).")
@click.option("--dry-run", is_flag=True, help="List the scenarios the sweep makes (id, family, label, varied parameters) and stop.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@reports_errors
def batch(sweep_file: Path, data: str | None, vintage: str, out: Path | None, workers: int, scheduler: str | None, resume: bool,
          replace: bool, chunk_size: int | None, dry_run: bool, no_progress: bool) -> None:
    """Run every scenario of SWEEP_FILE (grids, named scenarios, Latin-hypercube samples, weight uncertainty).

    Writes OUT/runs.parquet and summary.csv (one row per scenario: id, varied parameters, status, gap,
    objective, licences, need covered, FCFS counterfactual), allocations.parquet (licences per scenario
    and county), timings.csv, report.html, and with keep_runs: true the plan folder of each scenario
    under OUT/runs/. A scenario that fails is recorded with its status and message; the others go on.
    See docs/batch.md.
    """
    from siting.batch.runner import check_folder, run_batch
    from siting.batch.sweep import expand, load_sweep, resolve_data
    from siting.data import data_fingerprint, load_dataset
    from siting.errors import AmayeshError

    if workers < 1:
        raise AmayeshError("--workers must be at least 1")
    if not dry_run and out is None:
        raise AmayeshError("--out is required (or use --dry-run to list the scenarios)")
    sweep = load_sweep(sweep_file)
    source = resolve_data(sweep, sweep_file, data)
    the_vintage = int(vintage) if vintage != "1395" else sweep.vintage
    dataset = load_dataset(source, vintage=the_vintage)
    expanded = expand(sweep_file, source, the_vintage, data_sha256=data_fingerprint(dataset))
    if dry_run:
        click.echo(f"Sweep {expanded.sweep.name}: {len(expanded.specs):,} scenarios on {source} (data sha256 {expanded.data_sha256[:16]}…)")
        for spec in expanded.specs:
            varied = ", ".join(f"{k}={v}" for k, v in spec.overrides.items() if not isinstance(v, (dict, list))) or "-"
            flag = f"  INVALID: {spec.error.splitlines()[-1].strip()}" if spec.error else ""
            click.echo(f"{spec.order:5d}  {spec.scenario_id}  {spec.family:<11} {spec.label:<40} seed {spec.seed:<10d} {varied}{flag}")
        return
    check_folder(expanded, out, resume, replace)
    units = dataset.units
    names = {code: (fa, en) for code, fa, en in zip(units["unit_code"], units["name_fa"], units["name_en"])}
    outcome = run_batch(expanded, out, workers=workers, scheduler=scheduler, resume=resume, replace=replace,
                        chunk_size=chunk_size, progress=not no_progress, province_names=names)
    click.echo(f"Batch {expanded.sweep.name}: {outcome.total:,} scenarios ({outcome.ran:,} run now, {outcome.skipped:,} already done, "
               f"{outcome.failed:,} failed) in {outcome.seconds:.1f} s → {out}")
    click.echo(f"  {out / 'runs.parquet'}, allocations.parquet, summary.csv, report.html")
