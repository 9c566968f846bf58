"""Same inputs, same bytes: fixed metadata for the files Amayesh writes.

Libraries stamp files with the time they were written: GDAL a GeoPackage's
``gpkg_contents.last_change``, openpyxl a workbook's created/modified properties
and every zip member's time, matplotlib a PDF's creation date. Two runs of the
same plan then differ although their content does not, and a planner comparing
run folders (or a checksum in an archive) sees changes that are not there. The
helpers here write one fixed time instead: ``SOURCE_DATE_EPOCH`` when set (the
reproducible-builds convention), else midnight UTC of the run's reference date.
Wall-clock timings go to ``timings.json`` (:mod:`siting.pipeline`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import threading
import zipfile
from typing import Iterator

SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"
# The earliest time a zip member can carry (MS-DOS dates start in 1980).
FALLBACK = dt.datetime(1980, 1, 1, tzinfo=dt.timezone.utc)
_GDAL_LOCK = threading.Lock()


def fixed_time(date: str | dt.date | None = None) -> dt.datetime:
    """The time written into file metadata.

    Parameters
    ----------
    date
        The run's reference date (ISO text or a date); used when ``SOURCE_DATE_EPOCH`` is not set.

    Returns
    -------
    datetime.datetime
        ``SOURCE_DATE_EPOCH`` (seconds since 1970, UTC) when set, else midnight UTC of ``date``,
        else 1980-01-01 (never earlier: zip members cannot be dated before 1980).
    """
    epoch = os.environ.get(SOURCE_DATE_EPOCH, "").strip()
    if epoch.isdigit():
        return max(dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc), FALLBACK)
    if isinstance(date, str):
        try:
            date = dt.date.fromisoformat(date[:10])
        except ValueError:
            date = None
    if isinstance(date, dt.date):
        return max(dt.datetime(date.year, date.month, date.day, tzinfo=dt.timezone.utc), FALLBACK)
    return FALLBACK


@contextlib.contextmanager
def gdal_date(moment: dt.datetime) -> Iterator[None]:
    """GeoPackages written in the block carry ``moment`` as their last change, not the time of writing.

    GDAL reads the ``OGR_CURRENT_DATE`` configuration option for that stamp. The option is
    process-wide, so the block holds a lock: two threads (the dashboard's) never see each
    other's date, and the previous value is restored afterwards.
    """
    import pyogrio

    with _GDAL_LOCK:
        previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")})
        try:
            yield
        finally:
            pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})


def zip_at(data: bytes, moment: dt.datetime) -> bytes:
    """The zip archive ``data`` (an .xlsx) with every member dated ``moment``, in the same order and compression."""
    stamp = moment.astimezone(dt.timezone.utc).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=stamp)
            info.compress_type = member.compress_type
            info.external_attr = member.external_attr
            target.writestr(info, source.read(member))
    return out.getvalue()
