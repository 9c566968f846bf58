"""Writing output folders so that nothing a planner saved is lost or half-written.

An output folder is staged beside its destination and moved into place only
when every file is written. An existing non-empty folder is refused unless the
caller asks to replace it, and then the old one is kept as
``NAME.previous-YYYYmmdd-HHMMSS`` rather than deleted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from siting.errors import OutputExistsError


def check_destination(destination: Path, replace: bool = False) -> None:
    """Refuse a non-empty destination up front, before any work is done.

    Raises
    ------
    OutputExistsError
        If ``destination`` holds files and ``replace`` is false.
    """
    destination = Path(destination)
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())) and not replace:
        raise OutputExistsError(
            f"{destination} already exists and is not empty: choose another --out folder, "
            "or pass --replace (the old folder is kept as a .previous-<time> copy)"
        )


@contextlib.contextmanager
def output_folder(destination: Path, replace: bool = False) -> Iterator[Path]:
    """Yield a staging folder that becomes ``destination`` when the block succeeds.

    Raises
    ------
    OutputExistsError
        If ``destination`` holds files and ``replace`` is false.
    """
    destination = Path(destination)
    check_destination(destination, replace)
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.partial-", dir=destination.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if destination.exists():
        if any(destination.iterdir()):
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            destination.rename(destination.with_name(f"{destination.name}.previous-{stamp}"))
        else:
            destination.rmdir()
    staging.rename(destination)


def write_json(path: Path, payload: object) -> None:
    """JSON as UTF-8 with Persian text readable and keys in a stable order."""
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
