"""Benchmark: 1,000 county-level scenarios on the real data, 1 and 2 local workers, and a Dask cluster.

Targets (issue 13, a 2-core machine): all 1,000 in under 5 minutes with 2 workers; at least 1.7x faster
with 2 workers than with 1; the Dask cluster (a real ``dask scheduler`` and two ``dask worker
--nthreads 1`` on 127.0.0.1) within 15 % of the local pool. Prints the figures; asserts nothing, but
says whether the three tables are byte-identical across the runs.
Usage: python bench/bench_batch.py [--data ../shared/data/iran] [--n 1000] [--skip-one]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "iran"
SWEEP = """name: bench
seed: 13
include_base: true
samples:
  n: {n}
  ranges:
    plan.budget_licences: [1000, 3000]
    plan.saturation_slack: [0.0, 0.2]
    plan.rural_share_min: [0.2, 0.5]
    plan.province_ceiling_share: [0.08, 0.2]
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _digest(folder: Path) -> str:
    return hashlib.sha256(b"".join((folder / name).read_bytes() for name in ("runs.parquet", "allocations.parquet", "summary.csv"))).hexdigest()[:16]


def _run(expanded, out: Path, **kwargs) -> float:
    from siting.batch.runner import run_batch

    started = time.perf_counter()
    outcome = run_batch(expanded, out, progress=False, **kwargs)
    seconds = time.perf_counter() - started
    print(f"  {outcome.total:,} scenarios, {outcome.failed} failed: {seconds:.1f} s, {outcome.total / seconds:.2f} scenarios/s, tables {_digest(out)}",
          flush=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--n", type=int, default=1000, help="scenarios (the base and n-1 Latin-hypercube samples)")
    parser.add_argument("--skip-one", action="store_true", help="skip the 1-worker run (the slowest)")
    args = parser.parse_args()
    from siting.batch.sweep import expand

    work = Path(tempfile.mkdtemp(prefix="amayesh-bench-batch-"))
    try:
        sweep = work / "bench.yaml"
        sweep.write_text(SWEEP.format(n=args.n - 1), encoding="utf-8")
        expanded = expand(sweep, args.data)
        print(f"{len(expanded.specs):,} county-level scenarios on {args.data}; {os.cpu_count()} cores", flush=True)
        figures = {}
        if not args.skip_one:
            print("local pool, 1 worker:", flush=True)
            figures["one"] = _run(expanded, work / "one", workers=1)
        print("local pool, 2 workers:", flush=True)
        figures["two"] = _run(expanded, work / "two", workers=2)
        port = _free_port()
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        dask = [str(Path(sys.executable).with_name("dask"))]
        processes = [subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)]
        time.sleep(2)
        for k in range(2):
            processes.append(subprocess.Popen([*dask, "worker", f"tcp://127.0.0.1:{port}", "--nthreads", "1", "--nworkers", "1",
                                               "--no-dashboard", "--local-directory", str(work / f"dask-{k}")],
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env))
        try:
            from distributed import Client

            with Client(f"tcp://127.0.0.1:{port}", timeout="30s") as client:
                client.wait_for_workers(2, timeout=60)
            print("Dask cluster (scheduler + 2 workers, 1 thread each):", flush=True)
            figures["dask"] = _run(expanded, work / "dask", scheduler=f"tcp://127.0.0.1:{port}")
        finally:
            for process in reversed(processes):
                process.terminate()
            for process in processes:
                process.wait(timeout=30)
        print("figures:")
        if "one" in figures:
            print(f"  speed-up 2 workers / 1 worker: {figures['one'] / figures['two']:.2f}x (target >= 1.7x)")
        print(f"  2 workers: {figures['two']:.1f} s for {len(expanded.specs):,} (target < 300 s)")
        print(f"  Dask / local 2 workers: {figures['dask'] / figures['two']:.2f} (target <= 1.15)")
        same = len({_digest(work / name) for name in figures}) == 1
        print(f"  tables byte-identical across runs: {same}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
