"""Benchmark: Amayesh's location models against PySAL spopt on the same synthetic instances.

Each instance (``siting.locate.synthetic``: Zipf-sized towns over a 1,600 km
square, 70 % clustered / 30 % rural settlements, log-normal populations,
candidates drawn from the settlements, straight-line km, 30 km service radius,
``p = candidates / 10``) is solved by spopt (``MCLP.from_cost_matrix`` /
``PMedian.from_cost_matrix``, PuLP with CBC and with HiGHS) and by
``siting.locate`` in the same run. Every solver run happens in its own
subprocess, so the peak resident memory reported is that run's alone: its own
peak plus that of the largest process it started (CBC's binary for spopt; the
bound's process for our village-scale MCLP), counted as if both peaked at once.

spopt is timed from its dense cost matrix (computing the matrix is not counted);
ours is timed from coordinates (KD-tree neighbours included in "build").

Usage::

    python bench/bench_locate.py --rows small
    python bench/bench_locate.py --rows all --spopt-time-limit 300 --skip-spopt-over 10000
    python bench/bench_locate.py --only mclp-60000   # one row, ours only if spopt skipped
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class Row:
    """One benchmark instance with the figures the issue reports for spopt 0.7."""

    key: str
    model: str  # "mclp" | "pmedian"
    n: int
    m: int
    small: bool
    issue_spopt: str  # the issue's spopt figures, for reference
    target: str
    gap: float = 1e-6  # relative gap we stop at
    spopt_memory_gb: float = 0.0  # rough peak of spopt's dense model; skip if over --spopt-memory-gb


ROWS = [
    Row("mclp-2000", "mclp", 2000, 400, True, "build 6.5 s; solve 1.5 s CBC / 11 s HiGHS", "50x faster, same optimum"),
    Row("mclp-10000", "mclp", 10000, 1000, False, "build 81 s; solve 348 s CBC / 127 s HiGHS", "50x faster, same optimum"),
    Row("mclp-20000", "mclp", 20000, 2000, False, "build 243 s; CBC failed", "50x faster where spopt finishes"),
    Row("pmedian-1000", "pmedian", 1000, 200, True, "build 5 s; solve 71 s CBC / 46 s HiGHS, 1.5 GB",
        "50x faster, same optimum", spopt_memory_gb=1.5),
    Row("pmedian-2000", "pmedian", 2000, 400, True, "build 22 s; HiGHS not optimal at 300 s (4.4 GB); CBC crashed",
        "proven optimal < 30 s", spopt_memory_gb=4.4),
    Row("pmedian-10000", "pmedian", 10000, 1000, False, "refused: over 14 GB", "proven optimal in < 30 s, < 4 GB",
        spopt_memory_gb=14.0),
    Row("mclp-60000", "mclp", 60000, 10000, False, "(not run)", "gap <= 0.05 % in < 30 s, < 4 GB",
        gap=5e-4, spopt_memory_gb=100.0),
]


def _peak_mb() -> float:
    """Peak resident memory of this run: its own peak plus its largest finished child's (the village-scale MCLP
    computes its bound in a process of its own, at the same time), so never less than what was in use at once."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024.0  # Linux: KiB


# ---------------------------------------------------------------- workers (run in a subprocess)

def run_ours(row: Row, seed: int, time_limit: float) -> dict:
    import numpy as np

    from siting.locate import HighsSolver, TreeNeighbours, planar_within_radius, solve_mclp, solve_pmedian
    from siting.locate.synthetic import synthetic_instance

    inst = synthetic_instance(row.n, row.m, seed=seed)
    solver = HighsSolver(time_limit=time_limit, mip_rel_gap=row.gap)
    t0 = time.perf_counter()
    if row.model == "mclp":
        cov = planar_within_radius(inst.demand_xy, inst.site_xy, 30.0)
        t_dist = time.perf_counter() - t0
        res = solve_mclp(inst.population, cov, inst.p, solver=solver)
    else:
        src = TreeNeighbours(inst.demand_xy, inst.site_xy)
        t_dist = time.perf_counter() - t0
        res = solve_pmedian(inst.population, src, inst.p, solver=solver)
    total = time.perf_counter() - t0
    return {
        "objective": res.objective, "bound": res.bound, "gap": res.gap, "status": res.status,
        "build": total - res.solve_seconds, "solve": res.solve_seconds, "total": total, "dist": t_dist,
        "peak_mb": _peak_mb(), "selected": int(len(res.selected)),
        "stats": {k: (float(v) if isinstance(v, (int, float, np.floating, np.integer)) else str(v))
                  for k, v in res.stats.items()},
    }


def run_spopt(row: Row, seed: int, solver_name: str, time_limit: float) -> dict:
    import numpy as np
    import pulp
    from scipy.spatial.distance import cdist
    from spopt.locate import MCLP, PMedian

    from siting.locate.synthetic import synthetic_instance

    inst = synthetic_instance(row.n, row.m, seed=seed)
    cost = cdist(inst.demand_xy, inst.site_xy)
    weights = inst.population.astype(float)
    if solver_name == "cbc":
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit)
    else:
        solver = pulp.HiGHS(msg=False, timeLimit=time_limit)
    t0 = time.perf_counter()
    if row.model == "mclp":
        model = MCLP.from_cost_matrix(cost, weights, service_radius=30.0, p_facilities=inst.p)
    else:
        model = PMedian.from_cost_matrix(cost, weights, p_facilities=inst.p)
    t_build = time.perf_counter() - t0
    t1 = time.perf_counter()
    error = ""
    try:
        model.solve(solver, results=False)
    except Exception as exc:  # spopt raises when the status is not "Optimal"
        error = f"{type(exc).__name__}: {exc}"[:120]
    t_solve = time.perf_counter() - t1
    prob = model.problem
    sol = getattr(prob, "sol_status", None)
    objective = pulp.value(prob.objective) if sol in (1, 2) else float("nan")
    bound = float("nan")
    highs = getattr(prob, "solverModel", None)
    if highs is not None and hasattr(highs, "getInfo") and sol in (1, 2):
        info = highs.getInfo()
        diff = float(info.mip_dual_bound) - float(info.objective_function_value)
        if np.isfinite(diff):
            bound = objective - diff if row.model == "mclp" else objective + diff
    status = {1: "optimal", 2: "time_limit"}.get(sol, "failed")
    if status == "optimal" and np.isfinite(bound) and abs(objective - bound) > 1e-6 * abs(objective):
        status = "gap_limit"
    gap = abs(objective - bound) / abs(objective) if np.isfinite(bound) and objective else float("nan")
    return {
        "objective": objective, "bound": bound, "gap": gap, "status": status, "pulp_status": pulp.LpStatus[prob.status],
        "build": t_build, "solve": t_solve, "total": t_build + t_solve, "peak_mb": _peak_mb(), "error": error,
    }


def worker(spec: dict) -> None:
    row = next(r for r in ROWS if r.key == spec["row"])
    if spec["impl"] == "ours":
        out = run_ours(row, spec["seed"], spec["time_limit"])
    else:
        out = run_spopt(row, spec["seed"], spec["impl"].split("-")[1], spec["time_limit"])
    print("RESULT " + json.dumps(out), flush=True)


# ---------------------------------------------------------------- driver

def run_in_subprocess(spec: dict, wall_limit: float) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=wall_limit, env=env)
    except subprocess.TimeoutExpired:
        return {"status": "killed", "error": f"no answer within {wall_limit:.0f} s"}
    for line in proc.stdout.splitlines()[::-1]:
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [""]
    return {"status": "crashed", "error": f"exit {proc.returncode}: {tail[0][:120]}"}


def _fmt_run(r: dict | None) -> str:
    if r is None:
        return "not run"
    if r.get("status") in ("killed", "crashed"):
        return f"{r['status']} ({r.get('error', '')})"
    gap = "" if r["status"] == "optimal" else f" gap {100 * r['gap']:.3g} %" if r["gap"] == r["gap"] else " gap ?"
    return (f"obj {r['objective']:.10g} [{r['status']}{gap}]  build {r['build']:.2f} s  solve {r['solve']:.2f} s"
            f"  peak {r['peak_mb']:.0f} MB")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", choices=["small", "all"], default="small")
    ap.add_argument("--only", nargs="*", help="row keys to run (e.g. mclp-2000 pmedian-1000)")
    ap.add_argument("--skip-spopt-over", type=int, default=None, metavar="N",
                    help="do not run spopt on instances with more than N demand points")
    ap.add_argument("--spopt-memory-gb", type=float, default=8.0,
                    help="do not run spopt where the issue measured more than this (default 8)")
    ap.add_argument("--spopt-solvers", default="cbc,highs", help="comma list of cbc, highs, or 'none'")
    ap.add_argument("--spopt-time-limit", type=float, default=300.0)
    ap.add_argument("--time-limit", type=float, default=120.0,
                    help="our solver's time limit per run (the 0.1 %%-gap rows stop on their own budgets)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path, help="also write the raw results here")
    ap.add_argument("--from-json", type=Path, help="print the table of an earlier --json run, run nothing")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(json.loads(args.worker))
        return 0
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        rows = [r for r in ROWS if r.key in saved]
        for row in rows:
            print_row(row, saved[row.key])
        print_table(rows, saved)
        return 0
    rows = [r for r in ROWS if (args.rows == "all" or r.small)]
    if args.only:
        rows = [r for r in ROWS if r.key in args.only]
    spopt_solvers = [] if args.spopt_solvers == "none" else args.spopt_solvers.split(",")
    results: dict[str, dict] = {}
    for row in rows:
        res: dict[str, dict | None] = {}
        skip = (args.skip_spopt_over is not None and row.n > args.skip_spopt_over) or \
            row.spopt_memory_gb > args.spopt_memory_gb
        for s in spopt_solvers:
            res[f"spopt-{s}"] = None if skip else run_in_subprocess(
                {"row": row.key, "impl": f"spopt-{s}", "seed": args.seed, "time_limit": args.spopt_time_limit},
                wall_limit=args.spopt_time_limit * 2 + 600)
        res["ours"] = run_in_subprocess({"row": row.key, "impl": "ours", "seed": args.seed,
                                         "time_limit": args.time_limit}, wall_limit=args.time_limit * 4 + 300)
        results[row.key] = res
        print_row(row, res)
    print_table(rows, results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


def _ratio(row: Row, res: dict) -> tuple[str, str]:
    """Speed-up against spopt's faster finished run; objective against spopt's proven optimum."""
    ours = res.get("ours") or {}
    done = [r for k, r in res.items() if k.startswith("spopt") and r and r.get("status") in ("optimal", "gap_limit")]
    if not done or "total" not in ours:
        return "–", "–"
    fastest = min(done, key=lambda r: r["total"])
    ratio = fastest["total"] / ours["total"]
    proven = [r for r in done if r["status"] == "optimal"]
    ref = proven[0] if proven else fastest
    diff = (ours["objective"] - ref["objective"]) / abs(ref["objective"])
    same = "yes" if abs(diff) <= 1e-6 else f"no ({100 * diff:+.4f} %)"
    if not proven:
        same += " (spopt not proven)"
    return f"{ratio:.1f}x", same


def print_row(row: Row, res: dict) -> None:
    print(f"\n== {row.model} {row.n:,} x {row.m:,}, p = {row.m // 10}  (issue, spopt 0.7: {row.issue_spopt})")
    for k, r in res.items():
        print(f"   {k:12s} {_fmt_run(r)}")
    ratio, same = _ratio(row, res)
    print(f"   speed-up vs spopt's faster finished run: {ratio}; same objective: {same}; target: {row.target}",
          flush=True)


def print_table(rows: list[Row], results: dict) -> None:
    head = ("instance", "spopt build", "spopt solve CBC / HiGHS", "spopt peak", "ours build", "ours solve",
            "ours peak", "ours status", "ratio", "same obj")
    lines = []
    for row in rows:
        res = results[row.key]
        sp = [res.get(f"spopt-{s}") for s in ("cbc", "highs")]
        ran = [r for r in sp if r and "build" in r]
        build = f"{ran[0]['build']:.1f} s" if ran else "–"

        def solve_txt(r: dict | None) -> str:
            if r is None:
                return "not run"
            if "solve" not in r:
                return r.get("status", "?")
            tag = "" if r["status"] == "optimal" else f" ({r['status']}" + (
                f", gap {100 * r['gap']:.2g} %)" if r.get("gap") == r.get("gap") else ")")
            return f"{r['solve']:.1f} s{tag}"

        peak = f"{max(r['peak_mb'] for r in ran) / 1024:.1f} GB" if ran else "–"
        o = res["ours"]
        ok = "build" in o
        status = (o["status"] + ("" if o["status"] == "optimal" else f", gap {100 * o['gap']:.3g} %")) if ok else o.get("status")
        ratio, same = _ratio(row, res)
        lines.append((f"{row.model} {row.n:,} x {row.m:,}, p = {row.m // 10}", build,
                      f"{solve_txt(sp[0])} / {solve_txt(sp[1])}", peak,
                      f"{o['build']:.2f} s" if ok else "–", f"{o['solve']:.2f} s" if ok else "–",
                      f"{o['peak_mb'] / 1024:.2f} GB" if ok else "–", status, ratio, same))
    widths = [max(len(str(x[i])) for x in lines + [head]) for i in range(len(head))]
    fmt = " | ".join("{:%d}" % w for w in widths)
    print("\n" + fmt.format(*head))
    print("-+-".join("-" * w for w in widths))
    for ln in lines:
        print(fmt.format(*ln))


if __name__ == "__main__":
    sys.exit(main())
