"""Reading a plan run folder (written by ``amayesh plan``) into frames for the reports.

Every problem is reported with the file it concerns (and the row and column where
there is one), collected over all files, so that a planner fixes a broken run folder
in one pass.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from siting.errors import AmayeshError, DataError, Problem

CODE_COLUMNS = ("unit_code", "province_code", "licence_id", "application_id", "site_code", "settlement_code")

ALLOCATION_COLUMNS = (
    "unit_code", "name_fa", "name_en", "province_code", "score", "rank", "tier", "existing_offices",
    "target_offices", "cap", "new_licences", "new_urban", "new_rural", "applications", "applications_fitting",
    "applications_speculative", "population_per_office_after", "pop_total", "moratorium",
)
ALLOCATION_INTEGERS = (
    "existing_offices", "target_offices", "cap", "new_licences", "new_urban", "new_rural", "applications",
    "applications_fitting", "applications_speculative", "pop_total",
)
# Each part's own figures: caps bind urban and rural separately, so totals alone can read as a breach.
# Optional, so that run folders written before allocation.csv carried them still read (shown as "–").
PART_COLUMNS = tuple(f"{what}_{part}" for part in ("urban", "rural") for what in ("existing", "target", "cap"))
APPLICATION_COLUMNS = ("application_id", "unit_code", "applicant_hash", "application_date", "veteran", "education", "decision", "reason")
DECISIONS = ("granted", "waitlisted", "refused")
MORATORIUM_COLUMNS = ("unit_code", "name_fa", "name_en", "province_code", "existing_offices", "cap", "reason")
AUDIT_COLUMNS = ("licence_id", "unit_code", "finding", "detail")
SCORES_COLUMNS = ("unit_code", "name_fa", "name_en", "province_code", "score", "rank", "tier", "target_offices", "existing_offices", "gap")
WEIGHTS_COLUMNS = ("indicator", "label_fa", "label_en", "weight", "method", "cr")
SITES_COLUMNS = ("site_code", "name_fa", "name_en", "unit_code", "lon", "lat", "population_covered", "kind")
COVERAGE_COLUMNS = ("settlement_code", "name_fa", "unit_code", "lon", "lat", "population", "nearest_office", "distance_km", "covered")
SUMMARY_KEYS = ("scenario", "status", "licences_allocated", "counterfactual", "data", "level")
LAYERS = {"units": True, "provinces": True, "offices": False, "applications": False, "industrial_parks": False}

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


@dataclass(frozen=True)
class RunData:
    """One plan run, read and checked.

    ``units`` is the plan level's units (geometry from ``layers.gpkg``) joined to
    ``allocation.csv`` and the ``gap`` of ``scores.csv``, with the derived
    ``pressure`` (applications per allocated licence). Optional inputs are empty
    frames when the run has none.
    """

    folder: Path
    summary: dict
    allocation: pd.DataFrame
    applications: pd.DataFrame
    moratorium: pd.DataFrame
    register_audit: pd.DataFrame
    scores: pd.DataFrame
    weights: pd.DataFrame
    units: gpd.GeoDataFrame
    provinces: gpd.GeoDataFrame
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    sites: pd.DataFrame | None = None
    coverage: pd.DataFrame | None = None
    parameters: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)  # timings.json (wall-clock seconds); never drawn into the pack

    @property
    def level(self) -> str:
        """``county`` or ``province``: the units the plan allocated licences to."""
        return str(self.summary.get("level", "county"))

    @property
    def synthetic(self) -> bool:
        """Whether the registers behind this run are synthetic (generated)."""
        return bool(self.summary.get("data", {}).get("synthetic_registers", False))

    @property
    def scenario_name(self) -> str:
        """The scenario's English name."""
        return str(self.summary.get("scenario", {}).get("name", ""))

    @property
    def scenario_name_fa(self) -> str:
        """The scenario's Persian name (the English one when it has none)."""
        scenario = self.summary.get("scenario", {})
        return str(scenario.get("name_fa") or scenario.get("name", ""))

    @property
    def created(self) -> str:
        """When the plan ran (``created``), else its reference date."""
        return str(self.summary.get("created") or self.summary.get("reference_date") or "")

    @property
    def stamp(self) -> dt.datetime:
        """The time written into the metadata of files made from this run: ``SOURCE_DATE_EPOCH``,
        else the plan's reference date (:func:`siting.reproducible.fixed_time`), never the clock."""
        from siting.reproducible import fixed_time

        return fixed_time(self.summary.get("reference_date"))

    @property
    def polygons(self) -> bool:
        """Whether the units are polygons (official data) rather than points (embedded default)."""
        kinds = set(self.units.geometry.geom_type.dropna())
        return bool(kinds) and kinds <= {"Polygon", "MultiPolygon"}


#: Files only `amayesh plan` writes (`site` and `score` folders share sites.csv, scores.csv, summary.json).
_PLAN_ONLY_FILES = ("allocation.csv", "applications.csv", "moratorium.csv", "register_audit.csv", "layers.gpkg")


def read_run(folder: Path | str) -> RunData:
    """Read and check a run folder written by ``amayesh plan``.

    Parameters
    ----------
    folder
        The run folder: ``allocation.csv``, ``applications.csv``, ``moratorium.csv``,
        ``register_audit.csv``, ``scores.csv``, ``weights.csv``, ``summary.json`` and
        ``layers.gpkg``; optionally ``sites.csv``, ``coverage.csv`` and the run's copy of
        its scenario, ``scenario.yaml`` (its parameters), and ``timings.json`` (the run's
        wall-clock seconds, kept apart so that the pack of a plan is the same whenever it ran).

    Returns
    -------
    RunData

    Raises
    ------
    AmayeshError
        If ``folder`` is not a folder.
    DataError
        Listing every missing file, missing column and invalid value found.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise AmayeshError(f"{folder} is not a run folder (run `amayesh plan --out {folder}` first)")
    if not any((folder / name).exists() for name in _PLAN_ONLY_FILES):
        # a folder of another command is not a broken plan run: say which it is, not every file it lacks
        other = next((command for command, marker in (("site", "sites.csv"), ("score", "scores.csv"))
                      if (folder / marker).exists()), None)
        if other is not None:
            raise AmayeshError(f"{folder} was written by `amayesh {other}`, not `amayesh plan`: export reads plan runs and "
                               f"batch folders (its CSV files are the tables already)")
    problems: list[Problem] = []
    summary = _summary(folder, problems)
    allocation = _csv(folder, "allocation.csv", ALLOCATION_COLUMNS, problems)
    applications = _csv(folder, "applications.csv", APPLICATION_COLUMNS, problems)
    moratorium = _csv(folder, "moratorium.csv", MORATORIUM_COLUMNS, problems)
    audit = _csv(folder, "register_audit.csv", AUDIT_COLUMNS, problems)
    scores = _csv(folder, "scores.csv", SCORES_COLUMNS, problems)
    weights = _csv(folder, "weights.csv", WEIGHTS_COLUMNS, problems)
    sites = _csv(folder, "sites.csv", SITES_COLUMNS, problems, required=False)
    coverage = _csv(folder, "coverage.csv", COVERAGE_COLUMNS, problems, required=False)
    layers = _layers(folder, problems)
    if allocation is not None:
        allocation = _allocation(allocation, problems)
    if applications is not None:
        applications = _applications(applications, problems)
    if moratorium is not None:
        moratorium = _numeric(moratorium, "moratorium.csv", ("existing_offices", "cap"), problems)
    if scores is not None:
        scores = _numeric(scores, "scores.csv", ("score", "rank", "target_offices", "existing_offices", "gap"), problems)
    if weights is not None:
        weights = _numeric(weights, "weights.csv", ("weight",), problems)
    if sites is not None:
        sites = _numeric(sites, "sites.csv", ("lon", "lat", "population_covered"), problems)
    if coverage is not None:
        coverage = _numeric(coverage, "coverage.csv", ("lon", "lat", "population", "distance_km"), problems)
        coverage["covered"] = _booleans(coverage["covered"], "coverage.csv", "covered", problems)
    if allocation is not None and "units" in layers:
        _same_units(allocation, layers["units"], problems)
    if any(p.severity == "error" for p in problems):
        raise DataError(problems)
    units = _units(layers["units"], allocation, scores, moratorium)
    return RunData(
        parameters=_parameters(folder),
        timings=_timings(folder),
        folder=folder,
        summary=summary,
        allocation=allocation,
        applications=applications,
        moratorium=moratorium,
        register_audit=audit,
        scores=scores,
        weights=weights,
        units=units,
        provinces=layers["provinces"],
        layers=layers,
        sites=sites,
        coverage=coverage,
    )


def _parameters(folder: Path) -> dict:
    """The scenario the run was made with (``scenario.yaml``), or an empty dict."""
    path = folder / "scenario.yaml"
    if not path.is_file():
        return {}
    import yaml

    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _timings(folder: Path) -> dict:
    """The run's wall-clock figures (``timings.json``), or an empty dict: they are informative only."""
    path = folder / "timings.json"
    try:
        loaded = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _summary(folder: Path, problems: list[Problem]) -> dict:
    path = folder / "summary.json"
    if not path.is_file():
        problems.append(Problem("summary.json", "file missing from the run folder (was `amayesh plan` interrupted?)"))
        return {}
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        problems.append(Problem("summary.json", f"not valid JSON: {exc}"))
        return {}
    if not isinstance(summary, dict):
        problems.append(Problem("summary.json", "expected a JSON object"))
        return {}
    missing = [key for key in SUMMARY_KEYS if key not in summary]
    if missing:
        problems.append(Problem("summary.json", f"missing key(s): {', '.join(missing)}"))
    counterfactual = summary.get("counterfactual", {})
    if not isinstance(counterfactual, dict) or not all(isinstance(counterfactual.get(k), dict) for k in ("fcfs", "plan")):
        problems.append(Problem("summary.json", "'counterfactual' must hold 'fcfs' and 'plan'", column="counterfactual"))
    if summary.get("level", "county") not in ("county", "province"):
        problems.append(Problem("summary.json", f"'level' is {summary.get('level')!r}, expected 'county' or 'province'", column="level"))
    return summary


def _csv(folder: Path, name: str, columns: tuple[str, ...], problems: list[Problem], required: bool = True) -> pd.DataFrame | None:
    path = folder / name
    if not path.is_file():
        if required:
            problems.append(Problem(name, "file missing from the run folder (was `amayesh plan` interrupted?)"))
        return None
    try:
        frame = pd.read_csv(path, dtype={c: str for c in CODE_COLUMNS}, keep_default_na=False, na_values=[""], encoding="utf-8")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        problems.append(Problem(name, f"cannot be read as UTF-8 CSV: {exc}"))
        return None
    missing = [c for c in columns if c not in frame.columns]
    for column in missing:
        problems.append(Problem(name, "required column missing", column=column))
    if missing:
        return None
    for column in (c for c in CODE_COLUMNS if c in frame.columns):
        frame[column] = frame[column].astype("string").str.strip().astype(object)
    return frame


def _numeric(frame: pd.DataFrame, name: str, columns: tuple[str, ...], problems: list[Problem], integer: bool = False) -> pd.DataFrame:
    frame = frame.copy()
    for column in columns:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() & frame[column].notna()
        if integer:
            bad |= values.notna() & (values != np.round(values))
        problems.extend(_rows(name, bad, column, f"not {'a whole number' if integer else 'a number'}: {{}}", frame[column]))
        frame[column] = values
    return frame


def _rows(name: str, mask: pd.Series, column: str, message: str, values: pd.Series, limit: int = 10) -> list[Problem]:
    rows = np.flatnonzero(np.asarray(mask))
    found = [Problem(name, message.format(repr(values.iloc[i])), row=int(i) + 2, column=column) for i in rows[:limit]]
    if len(rows) > limit:
        found.append(Problem(name, f"{len(rows) - limit} more row(s) with the same problem", column=column))
    return found


def _booleans(series: pd.Series, name: str, column: str, problems: list[Problem]) -> pd.Series:
    text = series.astype("string").str.strip().str.lower().fillna("")
    bad = ~text.isin(_TRUE | _FALSE)
    problems.extend(_rows(name, bad, column, "expected true or false, found {}", series))
    return text.isin(_TRUE)


def _allocation(frame: pd.DataFrame, problems: list[Problem]) -> pd.DataFrame:
    name = "allocation.csv"
    frame = _numeric(frame, name, ALLOCATION_INTEGERS, problems, integer=True)
    frame = _numeric(frame, name, ("score", "rank", "population_per_office_after"), problems)
    frame["moratorium"] = _booleans(frame["moratorium"], name, "moratorium", problems)
    for column in ("moratorium_urban", "moratorium_rural"):
        if column in frame.columns:
            frame[column] = _booleans(frame[column], name, column, problems)
    frame = _numeric(frame, name, tuple(c for c in PART_COLUMNS if c in frame.columns), problems)
    frame = frame.assign(**{c: np.nan for c in PART_COLUMNS if c not in frame.columns})
    duplicated = frame["unit_code"].duplicated(keep=False)
    problems.extend(_rows(name, duplicated, "unit_code", "unit code appears more than once: {}", frame["unit_code"]))
    missing = frame["unit_code"].isna()
    problems.extend(_rows(name, missing, "unit_code", "empty unit code", frame["unit_code"]))
    negative = frame["new_licences"] < 0
    problems.extend(_rows(name, negative, "new_licences", "negative number of licences: {}", frame["new_licences"]))
    for column in ALLOCATION_INTEGERS:
        if not frame[column].isna().any():
            frame[column] = frame[column].astype("int64")
    return frame


def _applications(frame: pd.DataFrame, problems: list[Problem]) -> pd.DataFrame:
    decision = frame["decision"].astype("string").str.strip().str.lower()
    bad = ~decision.isin(DECISIONS)
    problems.extend(_rows("applications.csv", bad, "decision", f"expected one of {', '.join(DECISIONS)}, found {{}}", frame["decision"]))
    frame = frame.copy()
    frame["decision"] = decision.astype(object)
    frame["veteran"] = _booleans(frame["veteran"], "applications.csv", "veteran", problems)
    return frame


def _layers(folder: Path, problems: list[Problem]) -> dict[str, gpd.GeoDataFrame]:
    import pyogrio

    path = folder / "layers.gpkg"
    if not path.is_file():
        problems.append(Problem("layers.gpkg", "file missing from the run folder (was `amayesh plan` interrupted?)"))
        return {}
    try:
        present = {str(row[0]) for row in pyogrio.list_layers(path)}
    except Exception as exc:  # pyogrio raises its own DataSourceError and GDAL errors
        problems.append(Problem("layers.gpkg", f"cannot be opened as a GeoPackage: {exc}"))
        return {}
    layers: dict[str, gpd.GeoDataFrame] = {}
    for layer, required in LAYERS.items():
        if layer not in present:
            if required:
                problems.append(Problem("layers.gpkg", f"layer '{layer}' missing"))
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = gpd.read_file(path, layer=layer)
        for column in (c for c in CODE_COLUMNS if c in frame.columns):
            frame[column] = frame[column].astype("string").str.strip().astype(object)
        if frame.crs is None:
            frame = frame.set_crs(4326)
        elif frame.crs.to_epsg() != 4326:
            frame = frame.to_crs(4326)
        layers[layer] = frame
    provinces = layers.get("provinces")
    if provinces is not None and "province_code" not in provinces.columns and "unit_code" in provinces.columns:
        layers["provinces"] = provinces.rename(columns={"unit_code": "province_code"})  # as `amayesh plan` writes it
    for layer, key in (("units", "unit_code"), ("provinces", "province_code")):
        if layer in layers and key not in layers[layer].columns:
            problems.append(Problem("layers.gpkg", f"layer '{layer}' has no '{key}' column", column=key))
            layers.pop(layer)
    return layers


def _same_units(allocation: pd.DataFrame, units: gpd.GeoDataFrame, problems: list[Problem]) -> None:
    known = set(units["unit_code"])
    unmatched = ~allocation["unit_code"].isin(known)
    problems.extend(
        _rows("allocation.csv", unmatched, "unit_code", "unit {} has no geometry in layers.gpkg layer 'units'", allocation["unit_code"])
    )


def _units(units: gpd.GeoDataFrame, allocation: pd.DataFrame, scores: pd.DataFrame, moratorium: pd.DataFrame) -> gpd.GeoDataFrame:
    geometry = units[["unit_code", "geometry"]].drop_duplicates("unit_code")
    merged = geometry.merge(allocation, on="unit_code", how="inner")
    if "gap" not in merged.columns:
        gap = scores[["unit_code", "gap"]].drop_duplicates("unit_code")
        merged = merged.merge(gap, on="unit_code", how="left")
    merged["gap"] = pd.to_numeric(merged["gap"], errors="coerce").fillna(merged["target_offices"] - merged["existing_offices"])
    # A unit may be closed for urban or rural licences only: one moratorium row per setting.
    reasons = moratorium.dropna(subset=["reason"]).groupby("unit_code", sort=False)["reason"].agg(
        lambda texts: "; ".join(dict.fromkeys(str(t) for t in texts))).rename("moratorium_reason")
    merged = merged.merge(reasons, left_on="unit_code", right_index=True, how="left")
    listed = merged["unit_code"].isin(moratorium["unit_code"])
    setting = moratorium["setting"] if "setting" in moratorium.columns else pd.Series(np.nan, index=moratorium.index)
    for part in ("urban", "rural"):
        if f"moratorium_{part}" not in merged.columns:  # older runs: from moratorium.csv's rows for that setting
            closed = moratorium.loc[setting.eq(part), "unit_code"]
            merged[f"moratorium_{part}"] = merged["unit_code"].isin(closed) | merged["moratorium"]
    merged["moratorium_partial"] = (listed | merged.get("moratorium_urban", False) | merged.get("moratorium_rural", False)) & ~merged["moratorium"]
    merged["moratorium_partial"] = merged["moratorium_partial"].astype(bool)
    merged["pressure"] = speculative_pressure(merged["applications"], merged["new_licences"])
    merged = merged.sort_values("unit_code", kind="stable").reset_index(drop=True)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=units.crs)


def speculative_pressure(applications: pd.Series, new_licences: pd.Series) -> pd.Series:
    """Applications per allocated licence.

    A unit that gets no licence is divided by one, so that its pressure is its count
    of applications: the applications there can only be refused or wait.
    """
    return applications.astype(float) / np.maximum(new_licences.astype(float), 1.0)
