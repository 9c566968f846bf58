"""``amayesh export`` on a batch folder: the batch pack, or one scenario's committee pack.

A batch folder (written by ``amayesh batch``) holds the tables of every scenario but, unless the
sweep said ``keep_runs: true``, no plan folder. Two exports come from it:

* the **batch pack** — ``batch.xlsx`` (every scenario; counties with the share of planned
  scenarios giving them licences; provinces across scenarios; regret of the named scenarios; rank
  stability), ``robustness.gpkg`` (the county polygons with those shares) and ``report.html``;
* **one scenario's pack** (``scenario=`` an id, an id prefix or a label) — from its kept plan
  folder, or else by running that scenario again through the worker the batch used, on the batch's
  data (its sha256 must match), so the pack is the plan the batch reported.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from pathlib import Path

import pandas as pd

from siting.errors import AmayeshError

#: What one format writes from a batch folder.
BATCH_FORMATS = {"xlsx": "batch.xlsx", "gpkg": "robustness.gpkg", "html": "report.html"}


def is_batch_folder(folder: Path | str) -> bool:
    """Whether ``folder`` was written by ``amayesh batch`` (it holds ``batch.json``)."""
    return (Path(folder) / "batch.json").is_file()


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "batch.json").read_text(encoding="utf-8"))


def find_scenario(folder: Path | str, wanted: str) -> dict:
    """The scenario of ``scenarios.json`` whose id starts with ``wanted`` or whose label is ``wanted``.

    Raises
    ------
    AmayeshError
        When no scenario, or more than one, matches (the message lists what was searched).
    """
    folder = Path(folder)
    specs = json.loads((folder / "scenarios.json").read_text(encoding="utf-8"))
    matches = [s for s in specs if s["label"] == wanted] or [s for s in specs if s["scenario_id"].startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise AmayeshError(f"{folder / 'scenarios.json'}: no scenario has the id or label '{wanted}' "
                           f"({len(specs)} scenarios; `amayesh batch SWEEP --dry-run` lists them)")
    raise AmayeshError(f"{folder / 'scenarios.json'}: '{wanted}' matches {len(matches)} scenarios "
                       f"({', '.join(s['scenario_id'] for s in matches[:5])}…): give more of the id")


def recreate_run(folder: Path | str, spec: dict, destination: Path) -> Path:
    """Write the plan folder of one batch scenario into ``destination`` (an empty folder) and return it.

    The kept plan folder (``runs/<id>/``) is copied when there is one; otherwise the scenario runs
    again through :func:`siting.batch.worker.run_scenario` on the batch's data.

    Raises
    ------
    AmayeshError
        When the data is no longer the data the batch ran on, or the scenario has no plan.
    """
    folder = Path(folder)
    kept = folder / "runs" / spec["scenario_id"]
    if kept.is_dir():
        shutil.copytree(kept, destination, dirs_exist_ok=True)
        return destination
    from siting.batch.worker import run_scenario
    from siting.data import data_fingerprint, load_dataset

    manifest = _manifest(folder)
    data, vintage = manifest["data"]["source"], int(manifest["data"]["vintage"])
    if spec.get("raw") is None:
        raise AmayeshError(f"{folder}: scenario {spec['scenario_id']} ({spec['label']}) is invalid and has no plan: {spec.get('error')}")
    # batch.json holds the sha256 of the data as loaded (amayesh batch hashes it before any register is generated)
    now = data_fingerprint(load_dataset(data, vintage=vintage))
    if now != manifest["data"]["sha256"]:
        raise AmayeshError(f"{folder}: the batch ran on data with sha256 {manifest['data']['sha256'][:16]}…, but {data} now has "
                           f"{now[:16]}…: its scenario cannot be re-created (sweep with keep_runs: true to keep plans)")
    result = run_scenario(spec, data, vintage, bool(manifest.get("place")), True, Path(manifest["sweep"]["file"]).name)
    if not result["files"]:
        raise AmayeshError(f"{folder}: scenario {spec['scenario_id']} ({spec['label']}) has no plan: "
                           f"{result['status']}: {result['message']}")
    destination.mkdir(parents=True, exist_ok=True)
    for name, content in result["files"].items():
        (destination / name).write_bytes(content)
    return destination


def batch_sheets(folder: Path | str, units: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The sheets of ``batch.xlsx``: scenarios, counties (robustness), provinces, regret, rank stability."""
    from siting.batch.report import rank_stability, regret, robustness
    from siting.batch.results import PLANNED, read_batch, summary_csv

    runs, allocations = read_batch(folder)
    names = units.set_index("unit_code")[["name_fa", "name_en"]]
    counties = robustness(allocations, runs)
    spread = allocations[allocations["scenario_id"].isin(runs.loc[runs["status"].isin(PLANNED), "scenario_id"])]
    spread = spread.groupby("unit_code", observed=True)["new_licences"].agg(["min", "median", "max"])
    counties = counties.join(spread, on="unit_code").join(names, on="unit_code")
    counties = counties[["unit_code", "name_fa", "name_en", "class", "share_allocated", "mean_licences", "min", "median", "max"]]
    provinces = allocations.groupby(["province_code", "scenario_id"], observed=True)["new_licences"].sum().unstack("scenario_id")
    provinces = provinces.reindex(columns=runs["scenario_id"]).dropna(axis=1, how="all").fillna(0).astype(int)
    provinces.columns = [runs.set_index("scenario_id").loc[c, "label"] for c in provinces.columns]
    provinces = names.reindex(provinces.index).join(provinces).rename_axis("province_code").reset_index()
    stability, _ = rank_stability(allocations, runs, top=len(units))
    sheets = {"scenarios": summary_csv(runs),
              "counties": counties.sort_values(["share_allocated", "mean_licences", "unit_code"], ascending=[False, False, True]),
              "provinces": provinces}
    table = regret(allocations, runs)
    if not table.empty:
        sheets["regret"] = table
    if not stability.empty:
        sheets["rank_stability"] = stability.join(names, on="unit_code")
    return sheets


def export_batch(folder: Path | str, out: Path | str | None = None, fmt: str | None = None, replace: bool = False) -> list[Path]:
    """Write the batch pack (``fmt=None``: batch.xlsx, robustness.gpkg, report.html) or one of its files.

    ``out`` defaults to ``FOLDER/export``; it is written completely or not at all.

    Raises
    ------
    OutputExistsError
        If ``out`` holds files and ``replace`` is false.
    AmayeshError
        If ``folder`` is not a finished batch or ``fmt`` is not one of :data:`BATCH_FORMATS`.
    """
    from siting.data import load_dataset
    from siting.outputs import output_folder
    from siting.report.tables import write_sheets
    from siting.reproducible import fixed_time, gdal_date

    folder = Path(folder)
    if fmt is not None and fmt not in BATCH_FORMATS:
        raise AmayeshError(f"a batch folder exports {', '.join(BATCH_FORMATS)} (or --scenario ID for one scenario's pack), not '{fmt}'")
    manifest = _manifest(folder)
    out = Path(out) if out is not None else folder / "export"
    stamp = fixed_time(None)
    with output_folder(out, replace=replace) as staging:
        written: list[Path] = []
        wanted = list(BATCH_FORMATS) if fmt is None else [fmt]
        sheets: dict[str, pd.DataFrame] = {}
        if {"xlsx", "gpkg"} & set(wanted):  # the tables and the layer need the geography; report.html does not
            units = load_dataset(manifest["data"]["source"], vintage=int(manifest["data"]["vintage"])).units
            sheets = batch_sheets(folder, units)
        if "xlsx" in wanted:
            written.append(write_sheets(sheets, staging / BATCH_FORMATS["xlsx"], stamp, title=f"Amayesh batch {manifest['sweep']['name']}"))
        if "gpkg" in wanted:
            counties = sheets["counties"]
            layer = units[["unit_code", "province_code", "geometry"]].merge(counties, on="unit_code", how="inner")
            layer = layer.astype({c: "string" for c in layer.columns if c != "geometry" and layer[c].dtype == object})
            path = staging / BATCH_FORMATS["gpkg"]
            with gdal_date(stamp), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                layer.to_file(path, layer="robustness", driver="GPKG")
            written.append(path)
        if "html" in wanted:
            if not (folder / "report.html").is_file():
                raise AmayeshError(f"{folder} has no report.html: finish the batch with --resume first")
            written.append(Path(shutil.copy2(folder / "report.html", staging / BATCH_FORMATS["html"])))
        relative = [path.relative_to(staging) for path in written]
    return [out / path for path in relative]


def export_scenario(folder: Path | str, wanted: str, out: Path | str | None, fmt: str | None, options, replace: bool = False) -> list[Path]:
    """One batch scenario's committee pack (or one format), as ``amayesh export --run`` writes for a plan folder.

    ``out`` defaults to ``FOLDER/export-<scenario id>`` (``FOLDER/export`` is the batch pack's).
    """
    from siting.report.pack import export

    folder = Path(folder)
    spec = find_scenario(folder, wanted)
    out = Path(out) if out is not None else folder / f"export-{spec['scenario_id']}"
    with tempfile.TemporaryDirectory(prefix="amayesh-scenario-") as scratch:
        run_folder = recreate_run(folder, spec, Path(scratch) / spec["scenario_id"])
        return export(run_folder, out, fmt, options, replace=replace)
