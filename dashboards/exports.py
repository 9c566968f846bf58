"""Exports of a saved scenario, written only inside its run folder with :func:`siting.report.pack.export`.

Each kind has a fixed folder ``RUN/export/<kind>``; an earlier export there is kept as
``<kind>.previous-<time>`` by :func:`siting.outputs.output_folder` (never silently overwritten).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from siting.report.pack import ExportOptions, export
from siting.report.print_maps import MapStyle

#: kind -> (export format, or None for the whole pack; the file offered for download)
KINDS: dict[str, tuple[str | None, str]] = {
    "pack": (None, "pack.pdf"),
    "html": ("html", "map.html"),
    "print": ("pdf", "print-maps.zip"),
    "xlsx": ("xlsx", "pack.xlsx"),
    "gpkg": ("gpkg", "results.gpkg"),
}
MIME = {"pack": "application/pdf", "html": "text/html", "print": "application/zip",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "gpkg": "application/geopackage+sqlite3"}


def export_folder(run_folder: Path, kind: str) -> Path:
    """``RUN/export/<kind>``: the only place an export of ``kind`` is written."""
    if kind not in KINDS:
        raise ValueError(f"unknown export kind {kind!r}")
    return Path(run_folder).resolve() / "export" / kind


def make_export(run_folder: Path, kind: str, persian_digits: bool = True) -> Path:
    """Write one export of a run folder and return the file to download."""
    fmt, filename = KINDS[kind]
    out = export_folder(run_folder, kind)
    options = ExportOptions(style=MapStyle(persian_digits=persian_digits))
    written = export(Path(run_folder).resolve(), out, fmt=fmt, options=options, replace=True)
    if kind == "print":
        target = out / filename
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in written:
                archive.write(path, path.name)
        return target
    return out / filename


def existing_export(run_folder: Path, kind: str) -> Path | None:
    """The downloadable file of an export made earlier, if any."""
    path = export_folder(run_folder, kind) / KINDS[kind][1]
    return path if path.exists() else None
