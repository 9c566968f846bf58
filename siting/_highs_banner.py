"""Keep HiGHS's copyright banner off standard output.

HiGHS prints its banner from C++ when a process makes its first ``Highs``
object, whatever its output options; tables and CSV written to stdout by the
CLI must not start with it.
"""

from __future__ import annotations

import functools
import os
import sys
import threading

__all__ = ["swallow_highs_banner"]

# fd 1 is process-wide: two threads redirecting it at once could leave it on the null device
_LOCK = threading.Lock()


@functools.cache
def _swallow() -> None:
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


def swallow_highs_banner() -> None:
    """Make the process's first HiGHS object with file descriptor 1 on the null device (once)."""
    try:
        with _LOCK:
            _swallow()
    except OSError:  # no usable stdout descriptor: the banner does no harm then
        pass
