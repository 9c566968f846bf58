"""Benchmark: the 20 capacitated p-median problems of OR-Library (Osman & Christofides 1994).

Solves each with ``solve_pmedian(..., capacities=120, loads=demand)`` (single-sourced assignment, HiGHS) on
OR-Library's distances (Euclidean, truncated to integers) and prints time, objective, the published optimum
and whether it was reproduced. The tests reproduce twelve of them (the others take too long for CI).
Usage: python bench/bench_pmedcap.py [--only 1 2 ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=int, nargs="*", help="problem numbers (default: all 20)")
    args = parser.parse_args()
    from test_locate_pmed import ORLIB, PUBLISHED_CAPACITATED, read_orlib_pmedcap

    from siting.locate import MatrixNeighbours, solve_pmedian

    problems = read_orlib_pmedcap(ORLIB / "pmedcap1.txt")
    print(f"{'problem':>7} {'n':>4} {'p':>3} {'seconds':>8} {'objective':>10} {'published':>9} {'status':>9}  reproduced", flush=True)
    reproduced, total = 0, 0.0
    for number in args.only or sorted(problems):
        points, demand, p, capacity, _ = problems[number]
        D = np.floor(np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(axis=2)))
        started = time.perf_counter()
        r = solve_pmedian(np.ones(len(D)), MatrixNeighbours(D), p, capacities=capacity, loads=demand, k_capacitated=len(D))
        seconds = time.perf_counter() - started
        total += seconds
        same = r.status == "optimal" and r.objective == PUBLISHED_CAPACITATED[number]
        reproduced += same
        print(f"{number:>7} {len(D):>4} {p:>3} {seconds:>8.1f} {r.objective:>10.0f} {PUBLISHED_CAPACITATED[number]:>9} {r.status:>9}  {same}",
              flush=True)
    print(f"reproduced {reproduced} of {len(args.only or problems)} published optima in {total:.0f} s")


if __name__ == "__main__":
    main()
