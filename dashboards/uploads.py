"""A planner's uploaded files → a data-contract folder → a validated dataset, or the named problems.

Uploads are checked on the server by content, never by extension alone: each file must be a
GeoPackage (SQLite header), GeoParquet (``PAR1``), FlatGeobuf (``fgb`` magic), GeoJSON (a JSON
FeatureCollection), a zipped Shapefile (a ZIP holding one ``.shp`` with its ``.shx`` and ``.dbf``, the
``.shp`` starting with the Shapefile file code) or UTF-8 CSV. A ZIP's member names are only read for their
suffix: the members are written as ``<layer>.shp``, ``<layer>.dbf``, ... and their unpacked size counts
against the upload limit. Files are size-limited, parsed as data only by the readers of
:mod:`siting.data` (no pickle, no eval), and written under a folder the dashboard names itself
(``uploads/<random id>/<layer>.<format>``): an uploaded file name is never used as a path.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import uuid
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from siting.data import csv_problem
from siting.errors import AmayeshError, DataError, Problem

LAYERS = ("provinces", "counties", "settlements", "offices", "applications", "industrial_parks")
GEOGRAPHY = ("provinces", "counties")
DEFAULT_MAX_MB = 100.0


def max_upload_bytes() -> int:
    """The per-file limit: ``AMAYESH_DASHBOARD_MAX_UPLOAD_MB`` megabytes (100 by default)."""
    try:
        megabytes = float(os.environ.get("AMAYESH_DASHBOARD_MAX_UPLOAD_MB", DEFAULT_MAX_MB))
    except ValueError:
        megabytes = DEFAULT_MAX_MB
    return int(megabytes * 1024 * 1024)


def sniff(content: bytes) -> str | None:
    """The format of ``content`` from its bytes: ``gpkg``, ``parquet``, ``fgb``, ``geojson``, ``shapefile``, ``csv`` or None."""
    if content.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if content[:4] == b"PAR1" and content[-4:] == b"PAR1":
        return "parquet"
    if content[:3] == b"fgb" and len(content) > 8:
        return "fgb"
    if content.startswith(ZIP_MAGIC):
        return "shapefile" if isinstance(shapefile_members(content), dict) else None
    head = content.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        try:
            parsed = json.loads(content.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            return None
        if isinstance(parsed, dict) and parsed.get("type") in ("FeatureCollection", "Feature"):
            return "geojson"
        return None
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if "\x00" in text:
        return None
    first = text.split("\n", 1)[0]
    return "csv" if "," in first else None


ZIP_MAGIC = b"PK\x03\x04"
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
SHAPEFILE_REQUIRED = (".shp", ".shx", ".dbf")
_SHP_FILE_CODE = b"\x00\x00\x27\x0a"  # 9994, big-endian: the first word of every .shp and .shx


def shapefile_members(content: bytes, limit: int | None = None) -> dict[str, bytes] | str:
    """The parts of a zipped Shapefile by suffix (``.shp``, ``.shx``, ``.dbf``, ``.prj``, ``.cpg``), or why not.

    Other members (a ``.qmd``, a readme, macOS ``__MACOSX`` folders) are ignored; the unpacked
    parts must stay within ``limit`` bytes in total (a ZIP bomb is refused before it is inflated).
    """
    limit = max_upload_bytes() if limit is None else limit
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = [i for i in archive.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return f"is not a readable ZIP ({exc})"
    by_suffix: dict[str, list[zipfile.ZipInfo]] = {}
    for info in infos:
        suffix = Path(info.filename).suffix.lower()
        if suffix in SHAPEFILE_PARTS:
            by_suffix.setdefault(suffix, []).append(info)
    if len(by_suffix.get(".shp", [])) != 1:
        return f"holds {len(by_suffix.get('.shp', []))} .shp files: zip one Shapefile per upload"
    missing = [suffix for suffix in SHAPEFILE_REQUIRED if suffix not in by_suffix]
    if missing:
        return f"holds a Shapefile without its {', '.join(missing)} part(s)"
    if any(len(found) > 1 for found in by_suffix.values()):
        return "holds more than one file for a part of the Shapefile"
    if sum(found[0].file_size for found in by_suffix.values()) > limit:
        return f"unpacks to more than the upload limit of {limit / 2**20:.0f} MB"
    try:
        parts = {suffix: archive.read(found[0]) for suffix, found in by_suffix.items()}
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        return f"cannot be unpacked ({exc})"
    if not (parts[".shp"].startswith(_SHP_FILE_CODE) and parts[".shx"].startswith(_SHP_FILE_CODE)):
        return "holds a .shp or .shx that is not a Shapefile (wrong file code)"
    return parts


SUFFIX_FORMAT = {".zip": "shapefile", ".gpkg": "gpkg", ".parquet": "parquet", ".fgb": "fgb", ".geojson": "geojson", ".json": "geojson", ".csv": "csv"}
FORMAT_SUFFIX = {"gpkg": ".gpkg", "parquet": ".parquet", "fgb": ".fgb", "geojson": ".geojson", "csv": ".csv"}


def guess_layer(filename: str) -> str | None:
    """The contract layer a file's name suggests (``counties.gpkg`` → ``counties``), or None."""
    stem = Path(str(filename)).name.split(".")[0].lower()
    return stem if stem in LAYERS else None


@dataclass(frozen=True)
class Upload:
    """One uploaded file: the name the browser gave (shown, never used as a path), its layer and bytes."""

    filename: str
    layer: str
    content: bytes


def check_uploads(uploads: list[Upload]) -> tuple[list[Problem], dict[str, tuple[str, bytes | dict[str, bytes]]]]:
    """Check sizes, layers and content; the problems and, per layer, ``(format, bytes)`` — for a zipped
    Shapefile, ``("shapefile", parts by suffix)``, unpacked once here."""
    problems: list[Problem] = []
    accepted: dict[str, tuple[str, bytes | dict[str, bytes]]] = {}
    limit = max_upload_bytes()
    if not uploads:
        return [Problem("(upload)", "no file was uploaded")], accepted
    for upload in uploads:
        name = upload.filename
        if upload.layer not in LAYERS:
            problems.append(Problem(name, f"choose the layer this file holds (one of {', '.join(LAYERS)})"))
            continue
        if len(upload.content) > limit:
            problems.append(Problem(name, f"is {len(upload.content) / 2**20:.1f} MB, above the upload limit of {limit / 2**20:.0f} MB"))
            continue
        if not upload.content:
            problems.append(Problem(name, "is empty (0 bytes)"))
            continue
        claimed = SUFFIX_FORMAT.get(Path(str(name)).suffix.lower())
        data: bytes | dict[str, bytes] = upload.content
        if upload.content.startswith(ZIP_MAGIC):
            data = shapefile_members(upload.content)
            if isinstance(data, str):  # why the ZIP is not a Shapefile
                problems.append(Problem(name, data))
                continue
            fmt = "shapefile"
        else:
            fmt = sniff(upload.content)
        text_like = fmt is None and claimed in ("csv", None) and b"\x00" not in upload.content
        text_problem = csv_problem(name, upload.content) if text_like else None
        if text_problem is not None:  # a table in another code page or with another separator: say which
            problems.append(text_problem)
            continue
        if fmt is None:
            problems.append(Problem(name, "is not a data file Amayesh reads: its content is none of GeoPackage, GeoParquet, "
                                          "FlatGeobuf, GeoJSON, a zipped Shapefile or UTF-8 CSV"
                                    + (f" although it is named {Path(str(name)).suffix}" if claimed else "")))
            continue
        if claimed is not None and claimed != fmt:
            problems.append(Problem(name, f"is named {Path(str(name)).suffix} but its content is {fmt.upper()}: "
                                          "rename it or upload the right file"))
            continue
        if upload.layer in accepted:
            problems.append(Problem(name, f"a second file for layer '{upload.layer}'"))
            continue
        accepted[upload.layer] = (fmt, data)
    return problems, accepted


def stage_uploads(uploads: list[Upload], root: Path, base_source: str) -> tuple[Path | None, list[Problem]]:
    """Write accepted uploads into a new folder under ``root``; None and the problems when any is refused.

    Registers uploaded without a geography are put beside the currently loaded geography
    (``base_source``, ``embedded`` or a folder) through an ``amayesh.yaml`` manifest.
    """
    problems, accepted = check_uploads(uploads)
    if problems:
        return None, problems
    folder = Path(root) / uuid.uuid4().hex[:12]
    folder.mkdir(parents=True)
    for layer, (fmt, content) in accepted.items():
        if fmt == "shapefile":
            for suffix, part in content.items():
                (folder / f"{layer}{suffix}").write_bytes(part)
        else:
            (folder / f"{layer}{FORMAT_SUFFIX[fmt]}").write_bytes(content)
    if not any(layer in accepted for layer in GEOGRAPHY):
        geography = base_source if base_source == "embedded" else str(Path(base_source).resolve())
        (folder / "amayesh.yaml").write_text(yaml.safe_dump({"geography": geography}), encoding="utf-8")
    return folder, []


def load_uploads(uploads: list[Upload], root: Path, base_source: str, loader) -> tuple[object | None, str | None, list[Problem]]:
    """Stage and load uploads with ``loader(folder)``: ``(dataset, source, [])`` or ``(None, None, problems)``.

    A refused upload leaves nothing behind, so the loaded data stays as it was.
    """
    folder, problems = stage_uploads(uploads, root, base_source)
    if folder is None:
        return None, None, problems
    # The loader names the staged files (offices.shp); the planner knows the files they uploaded.
    # Only the base name: an uploaded name may carry folders ("../x.csv") that mean nothing here.
    uploaded = {u.layer: Path(str(u.filename)).name for u in uploads}

    def as_uploaded(problem: Problem) -> Problem:
        layer = problem.file.split(".")[0]
        if layer in uploaded and problem.file != uploaded[layer]:
            return replace(problem, file=f"{uploaded[layer]} ({problem.file})")
        return problem

    try:
        dataset = loader(str(folder))
    except DataError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return None, None, [as_uploaded(p) for p in exc.problems]
    except AmayeshError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return None, None, [Problem("(upload)", str(exc))]
    return dataset, str(folder), [as_uploaded(p) for p in getattr(dataset, "warnings", ())]
