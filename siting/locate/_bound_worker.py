"""The village-scale MCLP's upper bound, computed in a process of its own beside the search.

On models too large for branch and bound (``mclp.LARGE_MODEL_NNZ``) the plan comes
from neighbourhood search and the bound from the smoothed LP dual, then the
regional decomposition (:mod:`siting.locate.regions`). Both halves spend much of
their time in sparse products that hold the GIL, so in two threads each slows
the other (measured: the dual took 34 s instead of 19 s); in two processes each
has a core. :func:`start_village_bound` runs ``python -m
siting.locate._bound_worker IN OUT`` on pickled arrays; if that process cannot
start or fails, :meth:`BoundJob.result` computes the bound in this process
instead, by the same deadline (so the dual, and regions only if time is left),
and says so.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from siting.locate.lagrange import mclp_dual_smoothed
from siting.locate.mip import MipSolver
from siting.locate.regions import regional_bound

__all__ = ["BoundJob", "start_village_bound", "village_bound"]

#: The bound process keeps to one core: with the search busy on the other, a
#: multi-threaded BLAS spinning for a second core slowed the dual from 16 s to 38–45 s
#: (60,000 × 10,000); alone, one BLAS thread is as fast as two.
_ONE_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}


def village_bound(C: sp.csr_matrix, weights: np.ndarray, must: np.ndarray, p: int, start: np.ndarray,
                  seconds: float, lower: float, solver: MipSolver) -> dict[str, Any]:
    """The smoothed LP dual, then the regional bound until ``seconds`` have passed.

    ``lower`` is the value of a known plan (the dual stops once it proves it);
    ``solver`` solves the regions. Returns ``bound``, ``lp_bound`` and timings.
    """
    t0 = time.perf_counter()
    dual = mclp_dual_smoothed(C, weights, p, lower=lower)
    out: dict[str, Any] = {"lp_bound": dual.bound, "bound": dual.bound, "dual_seconds": dual.seconds,
                           "regions": 0, "regions_solved": 0}
    if dual.bound > lower:
        regional = regional_bound(C, weights, must, p, dual.multipliers, solver, start=start,
                                  deadline=t0 + seconds)
        out.update(bound=min(dual.bound, regional.bound), regions=regional.regions,
                   regions_solved=regional.solved, regions_seconds=regional.seconds)
    out["seconds"] = time.perf_counter() - t0
    return out


class BoundJob:
    """A :func:`village_bound` running in another process; :meth:`result` waits for it."""

    def __init__(self, args: dict[str, Any]) -> None:
        self._args = args
        self._dir = tempfile.TemporaryDirectory(prefix="amayesh-bound-")
        self._out = Path(self._dir.name) / "out.pickle"
        self._proc: subprocess.Popen[bytes] | None = None
        self._sent_at = time.time()
        self.error: str | None = None
        try:
            inp = Path(self._dir.name) / "in.pickle"
            with open(inp, "wb") as fh:
                pickle.dump({"args": args, "sent_at": self._sent_at}, fh, protocol=pickle.HIGHEST_PROTOCOL)
            # the child imports this package from wherever this process found it
            root = str(Path(__file__).resolve().parents[2])
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
                   **_ONE_THREAD}
            self._proc = subprocess.Popen([sys.executable, "-m", "siting.locate._bound_worker", str(inp),
                                           str(self._out)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.PIPE, env=env)
        except OSError as exc:
            self.error = f"could not start the bound process: {exc}"

    def result(self) -> dict[str, Any]:
        """The bound; computed here if the other process could not give it."""
        try:
            if self._proc is not None:
                _, err = self._proc.communicate()
                if self._proc.returncode == 0 and self._out.exists():
                    with open(self._out, "rb") as fh:
                        return {**pickle.load(fh), "process": "separate"}
                tail = err.decode(errors="replace").strip().splitlines()[-1:] if err else []
                self.error = f"bound process exited with {self._proc.returncode}" + (f": {tail[0]}" if tail else "")
            # nothing from the other process: the bound here, after the search rather than beside it, keeping the
            # deadline it was given (so the dual, but regions only with time left)
            left = max(0.0, self._args["seconds"] - (time.time() - self._sent_at))
            return {**village_bound(**{**self._args, "seconds": left}), "process": "same", "process_error": self.error}
        finally:
            self._dir.cleanup()

    def cancel(self) -> None:
        """Stop the other process (the caller no longer needs the bound)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.communicate()
        self._dir.cleanup()


def start_village_bound(C: sp.csr_matrix, weights: np.ndarray, must: np.ndarray, p: int, start: np.ndarray,
                        seconds: float, lower: float, solver: MipSolver) -> BoundJob:
    """Start :func:`village_bound` in another process and return at once."""
    return BoundJob({"C": sp.csr_matrix(C), "weights": np.asarray(weights, float), "must": np.asarray(must, bool),
                     "p": int(p), "start": np.asarray(start), "seconds": float(seconds), "lower": float(lower),
                     "solver": solver})


def _main(argv: list[str]) -> int:
    inp, out = Path(argv[0]), Path(argv[1])
    with open(inp, "rb") as fh:
        job = pickle.load(fh)
    # the clock started when the job was sent: starting this interpreter used part of it
    args = {**job["args"], "seconds": job["args"]["seconds"] - (time.time() - job["sent_at"])}
    result = village_bound(**args)
    partial = out.with_suffix(".partial")
    with open(partial, "wb") as fh:
        pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(partial, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
