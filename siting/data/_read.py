"""Reading tables and GIS layers with codes kept as text.

Every reader returns the frame together with the offset that turns a
0-based frame position into the row number a planner sees (spreadsheet row
for CSV, feature number for GIS layers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely
from pyproj.exceptions import CRSError

from siting.errors import DataError, Problem

GIS_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".fgb", ".parquet")
TABLE_SUFFIXES = (".csv",) + GIS_SUFFIXES
WGS84 = pyproj.CRS.from_epsg(4326)
# Iran's extent with a margin: a layer whose coordinates fall outside after
# reprojection has a wrong or garbled CRS.
IRAN_BOUNDS = (43.0, 24.0, 64.5, 40.5)


@dataclass(frozen=True)
class Table:
    """A frame read from a file, with what is needed to report its rows."""

    frame: pd.DataFrame
    path: Path
    row_offset: int  # add to a 0-based position to get the row a planner sees
    problems: tuple[Problem, ...] = ()
    source_columns: Mapping[str, str] = field(default_factory=dict)  # contract name -> the file's own name

    @property
    def name(self) -> str:
        return self.path.name

    def row(self, position: int) -> int:
        return int(position) + self.row_offset

    def label(self, column: str | None) -> str | None:
        """The column's name as the planner's file spells it."""
        return None if column is None else self.source_columns.get(column, column)

    def renamed(self, mapping: Mapping[str, str]) -> "Table":
        """The same table with file columns renamed to contract names; messages keep the file's names."""
        present = {source: target for source, target in mapping.items() if source in self.frame.columns}
        clashing = [target for target in present.values() if target in self.frame.columns and target not in present]
        frame = self.frame.drop(columns=clashing).rename(columns=present)
        sources = {**self.source_columns, **{target: source for source, target in present.items()}}
        return replace(self, frame=frame, source_columns=sources)


def find_file(folder: Path, stem: str) -> Path | None:
    """The file named ``stem`` with a supported suffix in ``folder`` (None if there is none).

    Raises
    ------
    DataError
        If two formats of it are there (``offices.csv`` and ``offices.gpkg``): reading
        either one silently could plan on the stale copy.
    """
    found = [folder / f"{stem}{suffix}" for suffix in TABLE_SUFFIXES if (folder / f"{stem}{suffix}").exists()]
    if len(found) > 1:
        names = " and ".join(path.name for path in found)
        raise DataError([Problem(found[0].name, f"{names} are both in {folder}: keep one (for a register, amayesh.yaml "
                                                "may name the one to read)")])
    return found[0] if found else None


def read_table(path: Path, expected_columns: Sequence[str] = ()) -> Table:
    """Read a CSV or GIS file; text stays text (codes keep leading zeros).

    GIS layers are checked for a declared, known CRS whose coordinates fall in
    Iran, and reprojected to EPSG:4326 with a warning when they use another CRS.
    Shapefiles cut field names to 10 characters: those of ``expected_columns``
    are restored (``parent_cod`` → ``parent_code``), messages still naming the
    file's field.
    """
    path = Path(path)
    if not path.exists():
        raise DataError([Problem(str(path), "file not found")])
    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise DataError([Problem(path.name, f"unsupported file type '{path.suffix}'")])
    if path.is_file() and path.stat().st_size == 0:
        raise DataError([Problem(path.name, "is empty (0 bytes): expected a header row and data rows"
                                 + (f" with columns {', '.join(expected_columns)}" if expected_columns else ""))])
    if path.suffix.lower() == ".csv":
        try:
            frame = pd.read_csv(
                path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig"
            )
        except pd.errors.EmptyDataError:
            raise DataError([Problem(path.name, "holds no header row (only blank lines)")]) from None
        except UnicodeDecodeError:
            raise DataError([csv_problem(path.name, path.read_bytes())]) from None
        except pd.errors.ParserError as exc:
            raise DataError([Problem(path.name, f"cannot be read as UTF-8 CSV: {exc}")]) from None
        frame.columns = [str(c).strip() for c in frame.columns]
        if len(frame.columns) == 1:
            other = csv_problem(path.name, path.read_bytes())
            if other is not None:
                raise DataError([other])
        return Table(frame, path, row_offset=2)
    table = _read_layer(path)
    if path.suffix.lower() == ".shp":
        truncated = {column[:10]: column for column in expected_columns if len(column) > 10}
        table = table.renamed({short: full for short, full in truncated.items() if full not in table.frame.columns})
    return table


_OTHER_SEPARATORS = {";": "semicolon", "\t": "tab", "|": "vertical bar"}


def csv_problem(name: str, raw: bytes) -> Problem | None:
    """Why ``raw`` is not a UTF-8, comma-separated table, or None.

    Names the row of the first byte that is not UTF-8, and says when that byte is a
    Persian letter in Windows-1256 (Excel's plain "CSV" on a Persian Windows saves
    that unless "CSV UTF-8" is chosen); or the separator of a header with no comma.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = raw[: exc.start].count(b"\n") + 1
        # Windows-1256 gives a character to nearly every byte, so the hint needs the byte to be a Persian/Arabic letter
        as_1256 = raw[exc.start:exc.start + 1].decode("cp1256", errors="replace")
        persian = ("\u0600" <= as_1256 <= "\u06ff" or as_1256 == "\u200c") and b"\x00" not in raw  # NUL: binary, not text
        hint = "; it reads as Windows-1256 (Excel's plain 'CSV' on a Persian Windows): save it as 'CSV UTF-8'" if persian else ""
        return Problem(name, f"cannot be read as UTF-8 CSV: byte 0x{raw[exc.start]:02x} is not UTF-8{hint}", row=row)
    header = text.split("\n", 1)[0]
    if "," in header:
        return None
    separator = next((label for mark, label in _OTHER_SEPARATORS.items() if mark in header), None)
    if separator is None:
        return None
    return Problem(name, f"the header is one column holding {separator}s: the file looks {separator}-separated; save it "
                         "as comma-separated CSV", row=1)


def _read_layer(path: Path) -> Table:
    problems: list[Problem] = []
    try:
        if path.suffix.lower() == ".parquet":
            frame = gpd.read_parquet(path)
        else:
            frame = gpd.read_file(path, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError, ImportError, OSError) as exc:
        raise DataError([Problem(path.name, f"cannot be read as a GIS layer: {exc}")]) from None
    declared = _declared_geojson_crs(path) if path.suffix.lower() in (".geojson", ".json") else None
    if declared is not None:
        try:
            frame = frame.set_crs(pyproj.CRS.from_user_input(declared), allow_override=True)
        except CRSError:
            raise DataError(
                [Problem(path.name, f"the declared CRS '{declared}' is not a known coordinate reference system")]
            ) from None
    if frame.crs is None:
        raise DataError(
            [Problem(path.name, "has no CRS (for a Shapefile: the .prj file is missing); expected EPSG:4326")]
        )
    source_crs = frame.crs.to_string()
    if not frame.crs.equals(WGS84) and not _is_crs84(frame.crs):
        problems.append(
            Problem(path.name, f"reprojected from {frame.crs.to_string()} to EPSG:4326", severity="warning")
        )
        frame = frame.to_crs(WGS84)
    outside = _outside_iran(frame)
    if outside.all() and len(frame):
        raise DataError(
            [
                Problem(
                    path.name,
                    f"coordinates fall outside Iran under the declared CRS {source_crs} for every feature: "
                    "the CRS is wrong or garbled (expected EPSG:4326 longitude/latitude)",
                )
            ]
        )
    if outside.any():
        problems += _features_outside(Table(frame, path, row_offset=1), outside)
    frame = frame.set_crs(WGS84, allow_override=True)
    for column in frame.columns:
        if column != frame.geometry.name and pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].astype(object)
    return Table(frame, path, row_offset=1, problems=tuple(problems))


_CRS_MEMBER = re.compile(r'"crs"\s*:\s*\{.*?"name"\s*:\s*"([^"]*)"', re.S)


def _declared_geojson_crs(path: Path) -> str | None:
    """The CRS name a GeoJSON file declares (GDAL silently ignores a garbled one)."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        head = handle.read(65536)
    match = _CRS_MEMBER.search(head)
    if match is None:
        return None
    name = match.group(1)
    return "OGC:CRS84" if name.endswith("CRS84") else name


def _is_crs84(crs: pyproj.CRS) -> bool:
    return crs.to_string() in ("OGC:CRS84", "urn:ogc:def:crs:OGC:1.3:CRS84")


def _outside_iran(frame: gpd.GeoDataFrame) -> pd.Series:
    """Features with a part outside Iran's extent (missing and empty geometries are not flagged here)."""
    bounds = shapely.bounds(frame.geometry.to_numpy())  # NaN for missing or empty geometries
    west, south, east, north = IRAN_BOUNDS
    with np.errstate(invalid="ignore"):
        outside = (bounds[:, 0] < west) | (bounds[:, 1] < south) | (bounds[:, 2] > east) | (bounds[:, 3] > north)
    return pd.Series(outside, index=frame.index)


# Columns that name a feature to a planner, in the order they are looked for.
_NAMING_COLUMNS = ("unit_code", "county_code", "province_code", "code", "licence_id", "application_id", "park_id",
                   "settlement_id", "id", "name_fa", "name_en", "name")


def _features_outside(table: Table, outside: pd.Series) -> list[Problem]:
    """Name the features outside Iran, with their code, when the rest of the layer is inside."""
    frame = table.frame
    centre = frame.geometry.representative_point()
    where = "lon " + centre.x.round(3).astype(str) + ", lat " + centre.y.round(3).astype(str)
    column = next((c for c in _NAMING_COLUMNS if c in frame.columns), None)
    if column is not None:
        where = f"{column} " + frame[column].astype(str) + " at " + where
    from siting.data.checks import _rows  # checks imports this module

    return _rows(table, outside.to_numpy(), "geometry",
                 "feature lies outside Iran while the rest of the layer is inside (a wrong coordinate, not a wrong CRS)",
                 where)
