"""A dataset: the geography, settlements and registers that flow into scoring.

:func:`load_dataset` reads any supported source into one :class:`Dataset`:

- ``"embedded"``: the GeoNames default (:mod:`siting.data.embedded`);
- a folder in the official layout of ``shared/data/iran`` (:mod:`siting.data.official`);
- a folder in the planner's data contract: ``provinces.*``, ``counties.*``,
  ``settlements.*`` (CSV, GeoPackage, GeoJSON, Shapefile), see ``docs/data-contract.md``;
- any folder may add the registers ``offices.*``, ``applications.*``,
  ``industrial_parks.*``, ``other_offices.*`` (Police+10, municipal, rural ICT
  and post offices) and an ``amayesh.yaml`` manifest that points to the
  geography elsewhere (so registers can sit beside read-only official data).

Every error-level problem in any file raises one :class:`~siting.errors.DataError`
listing them all.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import pandas as pd
import yaml

from siting.data import checks
from siting.data._read import Table, find_file, read_table
from siting.data.registers import (
    APPLICATION_COLUMNS,
    OFFICE_COLUMNS,
    OTHER_OFFICE_COLUMNS,
    PARK_COLUMNS,
    parse_applications,
    parse_offices,
    parse_other_offices,
    parse_parks,
    unknown_units,
)
from siting.data.settlements import SETTLEMENT_COLUMNS, parse_settlements
from siting.data.units import LEVELS, UNIT_COLUMNS, assign_province_codes, check_hierarchy, parse_units, units_at
from siting.errors import DataError, Problem

EMBEDDED = "embedded"
MANIFEST = "amayesh.yaml"
CONTRACT_FILES = {"province": "provinces", "county": "counties"}
OFFICIAL_NOTE = "Statistical Centre of Iran (SCI), 1395 census; GeoNames places (CC BY 4.0)"


@dataclass(frozen=True)
class Dataset:
    """Everything loaded and validated; frames are not to be mutated."""

    units: gpd.GeoDataFrame
    settlements: pd.DataFrame
    offices: pd.DataFrame | None = None
    applications: pd.DataFrame | None = None
    parks: pd.DataFrame | None = None
    sci_indicators: pd.DataFrame | None = None
    metadata: dict = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()
    other_offices: pd.DataFrame | None = None  # the other networks (siting.data.registers.NETWORKS)

    def level(self, name: str) -> gpd.GeoDataFrame:
        """Units of one level, in code order."""
        return units_at(self.units, name)

    @property
    def levels(self) -> list[str]:
        return [level for level in LEVELS if (self.units["level"] == level).any()]

    @property
    def synthetic_registers(self) -> bool:
        return any(
            frame is not None and len(frame) and bool(frame["synthetic"].any())
            for frame in (self.offices, self.applications, self.parks, self.other_offices)
        )

    @functools.cached_property
    def sha256(self) -> str:
        """SHA-256 over the validated frames, computed once per dataset (frames are never mutated;
        :func:`dataclasses.replace` makes a new dataset with its own hash)."""
        digest = hashlib.sha256()
        frames = (self.units.drop(columns="geometry"), self.settlements, self.offices, self.applications, self.parks,
                  self.other_offices)  # None is skipped: data without the other networks keeps its fingerprint
        for frame in frames:
            if frame is not None:
                digest.update(pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy().tobytes())
        return digest.hexdigest()

    def with_registers(self, offices: pd.DataFrame | None, applications: pd.DataFrame | None, parks: pd.DataFrame | None) -> "Dataset":
        """A copy with other registers (e.g. generated ones)."""
        return replace(self, offices=offices, applications=applications, parks=parks)


def load_dataset(source: str | Path = EMBEDDED, vintage: int = 1395) -> Dataset:
    """Load and validate a data source (see the module docstring).

    Parameters
    ----------
    source
        ``"embedded"`` or a folder path.
    vintage
        1395 (census counties) or 1400 (current counties with apportioned
        1395 figures, flagged as estimates; official layout only).
    """
    if str(source) == EMBEDDED:
        from siting.data.embedded import embedded_folder

        dataset = _load_folder(embedded_folder(), registers_from=None)
    else:
        folder = Path(source)
        if not folder.is_dir():
            raise DataError([Problem(str(folder), "data folder not found")])
        dataset = _load_folder(folder, registers_from=folder)
    if vintage == 1400:
        from siting.data.crosswalk import to_1400

        dataset = to_1400(dataset)
    elif vintage != 1395:
        raise DataError([Problem(str(source), f"unknown county vintage {vintage}: use 1395 or 1400")])
    return dataset


def _load_folder(folder: Path, registers_from: Path | None) -> Dataset:
    manifest = _manifest(folder)
    geography = manifest.get("geography")
    if geography is not None:
        geography_source = geography if geography == EMBEDDED else (folder / geography).resolve()
        return _with_folder_registers(load_dataset(geography_source), folder, manifest)
    from siting.data.official import is_official_folder

    if is_official_folder(folder):
        dataset = _official(folder)
    else:
        dataset = _contract(folder)
    return _with_folder_registers(dataset, registers_from, manifest) if registers_from else dataset


def _manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.exists():
        return {}
    try:
        manifest = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise DataError([Problem(path.name, f"is not valid YAML: {exc}")]) from None
    allowed = {"geography", "offices", "applications", "industrial_parks", "note", "synthetic"}
    unknown = set(manifest) - allowed
    if unknown:
        raise DataError([Problem(path.name, f"unknown keys {sorted(unknown)}; allowed: {sorted(allowed)}")])
    return manifest


def _raise_errors(problems: list[Problem]) -> tuple[Problem, ...]:
    if any(p.severity == "error" for p in problems):
        raise DataError(problems)
    return tuple(problems)


def _contract(folder: Path) -> Dataset:
    problems: list[Problem] = []
    frames, tables = [], {}
    for level, stem in CONTRACT_FILES.items():
        path = find_file(folder, stem)
        if path is None:
            continue
        table = read_table(path, expected_columns=UNIT_COLUMNS)
        problems += table.problems
        units, found = parse_units(table, level, official_codes=False)
        problems += found
        frames.append(units)
        tables[level] = table
    if not frames:
        raise DataError([Problem(str(folder), "holds no geography: expected provinces.* and/or counties.* "
                                 "(data contract), iran_counties.geojson (official layout), or an amayesh.yaml manifest")])
    metadata = _folder_metadata(folder)
    _raise_errors(problems)
    units = assign_province_codes(pd.concat(frames, ignore_index=True))
    problems += check_hierarchy(units, tables, partial=set(metadata.get("partial_levels", [])))
    settlements = pd.DataFrame(columns=SETTLEMENT_COLUMNS)
    path = find_file(folder, "settlements")
    if path is not None:
        table = read_table(path, expected_columns=SETTLEMENT_COLUMNS)
        settlements, found = parse_settlements(table)
        problems += list(table.problems) + found + unknown_units(table, settlements["unit_code"], set(units["unit_code"]))
    warnings = _raise_errors(problems)
    metadata.setdefault("source", str(folder))
    metadata.setdefault("population_source", "planner's files")
    return Dataset(units=gpd.GeoDataFrame(units, geometry="geometry", crs=4326), settlements=settlements,
                   metadata=metadata, warnings=warnings)


def _folder_metadata(folder: Path) -> dict:
    path = folder / "metadata.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _official(folder: Path) -> Dataset:
    from siting.data.official import load_official, mark_seat_settlements, pick_seats

    parts = load_official(folder)
    problems = parts["problems"]
    _raise_errors(problems)
    counties = parts["counties"]
    frames = [parts["provinces"], counties] if "provinces" in parts else [counties]
    units = assign_province_codes(pd.concat(frames, ignore_index=True))
    problems += check_hierarchy(units, parts["tables"])
    county_codes = set(counties["unit_code"])
    if "labour" in parts:
        labour = parts["labour"]
        problems += unknown_units(parts["tables"]["labour"], labour["unit_code"], county_codes)
        units = units.merge(labour, on="unit_code", how="left")
    settlements = parts.get("settlements", pd.DataFrame(columns=SETTLEMENT_COLUMNS))
    if len(settlements):
        problems += unknown_units(parts["tables"]["settlements"].renamed({"county_code": "unit_code"}), settlements["unit_code"], county_codes)
    if "seats" in parts:
        is_county = units["level"] == "county"
        seated = pick_seats(units[is_county], parts["seats"], settlements)
        units.loc[is_county, ["seat_lon", "seat_lat"]] = seated[["seat_lon", "seat_lat"]].to_numpy()
        settlements = mark_seat_settlements(settlements, parts["seats"])
    warnings = _raise_errors(problems)
    metadata = {
        "source": "official",
        "folder": str(folder),
        "population_source": "SCI 1395 census",
        "note": OFFICIAL_NOTE,
        "plan_level": "county",
        "vintage": 1395,
        "files_read": parts["files_read"],
    }
    return Dataset(
        units=gpd.GeoDataFrame(units, geometry="geometry", crs=4326),
        settlements=settlements,
        sci_indicators=parts.get("sci_indicators"),
        metadata=metadata,
        warnings=warnings,
    )


def _with_folder_registers(dataset: Dataset, folder: Path, manifest: dict) -> Dataset:
    problems = list(dataset.warnings)
    registers = {}
    for key, parser, columns in (("offices", parse_offices, OFFICE_COLUMNS), ("applications", parse_applications, APPLICATION_COLUMNS),
                                 ("industrial_parks", parse_parks, PARK_COLUMNS),
                                 ("other_offices", parse_other_offices, OTHER_OFFICE_COLUMNS)):
        path = folder / manifest[key] if key in manifest else find_file(folder, key)
        if path is None:
            registers[key] = None
            continue
        table = read_table(path, expected_columns=columns)
        frame, found = parser(table)
        problems += list(table.problems) + found
        if not any(p.severity == "error" for p in found):
            frame, found = locate_rows(frame, dataset, table)
            problems += found
        registers[key] = frame
    warnings = _raise_errors(problems)
    metadata = dict(dataset.metadata)
    if manifest.get("note"):
        metadata["registers_note"] = manifest["note"]
    return replace(dataset, offices=registers["offices"], applications=registers["applications"],
                   parks=registers["industrial_parks"], other_offices=registers["other_offices"], metadata=metadata,
                   warnings=warnings)


def locate_rows(frame: pd.DataFrame, dataset: Dataset, table: Table | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Fill ``unit_code`` of rows given by coordinates, at the finest level of the geography.

    With polygons: the unit containing the point. Without (the embedded
    default): the unit of the nearest settlement. Rows whose unit code names no
    unit are reported.
    """
    from scipy.spatial import cKDTree

    frame = frame.copy()
    finest = dataset.levels[-1]
    units = dataset.level(finest)
    problems: list[Problem] = []
    needs = frame["unit_code"].isna() & frame["lon"].notna() & frame["lat"].notna()
    if needs.any():
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(frame.loc[needs, "lon"], frame.loc[needs, "lat"]), crs=4326, index=frame.index[needs])
        if units.geometry.notna().all():
            joined = gpd.sjoin(points, units[["unit_code", "geometry"]], how="left", predicate="within")
            joined = joined[~joined.index.duplicated()]
            frame.loc[needs, "unit_code"] = joined["unit_code"].reindex(frame.index[needs]).to_numpy()
        else:
            anchors = dataset.settlements if len(dataset.settlements) else units
            _, nearest = cKDTree(anchors[["lon", "lat"]].to_numpy(float)).query(frame.loc[needs, ["lon", "lat"]].to_numpy(float))
            frame.loc[needs, "unit_code"] = anchors["unit_code"].to_numpy()[nearest]
    if table is not None:
        outside = needs & frame["unit_code"].isna()
        problems += checks._rows(table, outside.to_numpy(), "lon", "point lies in no unit of the geography")
        problems += unknown_units(table, frame["unit_code"], set(dataset.units["unit_code"]))
    # Registers refer to the finest level; rows given at a coarser unit keep that code.
    return frame, problems


def data_fingerprint(dataset: Dataset) -> str:
    """SHA-256 over the validated frames: identifies the data a run used (hashed once per dataset)."""
    return dataset.sha256


def summary(dataset: Dataset) -> dict:
    """Counts and totals a planner checks first."""
    out: dict = {"source": dataset.metadata.get("source"), "population_source": dataset.metadata.get("population_source")}
    for level in dataset.levels:
        units = dataset.level(level)
        out[f"{level}_units"] = int(len(units))
        out[f"{level}_population_total"] = int(units["pop_total"].sum())
        out[f"{level}_population_urban"] = int(units["pop_urban"].sum())
        out[f"{level}_population_rural"] = int(units["pop_rural"].sum())
    out["settlements"] = int(len(dataset.settlements))
    out["settlement_population"] = int(dataset.settlements["population"].sum()) if len(dataset.settlements) else 0
    for name in ("offices", "applications", "parks", "other_offices"):
        frame = getattr(dataset, name)
        out[name] = None if frame is None else int(len(frame))
    out["synthetic_registers"] = dataset.synthetic_registers
    out["warnings"] = len(dataset.warnings)
    if dataset.metadata.get("note"):
        out["note"] = dataset.metadata["note"]
    return out
