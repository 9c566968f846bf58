"""Writing output folders so that nothing a planner saved is lost or half-written.

An output folder is staged beside its destination and moved into place only
when every file is written. An existing non-empty folder is refused unless the
caller asks to replace it, and then the old one is kept as
``NAME.previous-YYYYmmdd-HHMMSS-ffffff`` (a further ``-N`` if that name is taken)
rather than deleted.

The staging folder is named ``.NAME.partial-PID-XXXX``: a run killed outright
(SIGKILL) leaves it behind, and the next run writing beside it removes those
whose process is gone and says so. While a run writes ``NAME`` it holds
``.NAME.lock`` (an exclusive ``flock``, removed when the run ends), so two runs
on one folder never race: the second is refused with a clear message. Folders get the user's umask, not
``mkdtemp``'s 0700.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Iterator

from siting.errors import OutputExistsError

_PARTIAL = re.compile(r"^\.(?P<name>.+)\.partial-(?P<pid>\d+)-")


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
    with _lock(destination):
        check_destination(destination, replace)  # again under the lock: a run that just finished may have filled it
        remove_stale_partials(destination.parent)
        staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.partial-{os.getpid()}-", dir=destination.parent))
        staging.chmod(0o777 & ~_umask())
        try:
            yield staging
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if destination.exists():
            if any(destination.iterdir()):
                destination.rename(_previous_name(destination))
            else:
                destination.rmdir()
        staging.rename(destination)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _previous_name(destination: Path) -> Path:
    """``NAME.previous-<time to the microsecond>``, never one that exists already."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    candidate = destination.with_name(f"{destination.name}.previous-{stamp}")
    number = 1
    while candidate.exists():
        candidate = destination.with_name(f"{destination.name}.previous-{stamp}-{number}")
        number += 1
    return candidate


@contextlib.contextmanager
def _lock(destination: Path) -> Iterator[None]:
    """Hold ``.NAME.lock`` beside ``destination``; refuse if another run holds it.

    The file is removed when the run ends. Removing a lock file races with a run
    that opened it just before: after taking the lock, check that the path still
    names the file we locked, and start again if it does not.
    """
    path = destination.with_name(f".{destination.name}.lock")
    while True:
        handle = open(path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            handle.close()
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise OutputExistsError(f"another run is writing {destination} now (it holds {path}); "
                                        "wait for it to finish or choose another --out folder") from None
            raise
        try:
            same_file = os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino
        except FileNotFoundError:
            same_file = False
        if same_file:
            break
        handle.close()
    try:
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        handle.close()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_partials(folder: Path) -> list[Path]:
    """Remove staging folders in ``folder`` left by runs whose process is gone; say so on stderr."""
    removed = []
    if not Path(folder).is_dir():
        return removed
    for path in sorted(Path(folder).iterdir()):
        match = _PARTIAL.match(path.name)
        if match and path.is_dir() and not _process_alive(int(match["pid"])):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
            print(f"amayesh: removed {path}, left half-written by an earlier run that was killed (process {match['pid']})",
                  file=sys.stderr)
    return removed


def write_json(path: Path, payload: object) -> None:
    """JSON as UTF-8 with Persian text readable and keys in a stable order."""
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
