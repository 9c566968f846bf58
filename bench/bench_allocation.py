"""Benchmark of the licence-allocation programme on a synthetic Iran-shaped instance.

Builds a seeded instance of 429 counties in 31 provinces (log-normal
populations, about 10,000 existing offices biased towards cities, a budget of
2,000 licences with every constraint group switched on), solves it with HiGHS
and prints build and solve seconds, status, objective and gap, then times the
diagnosis of an infeasible variant. Prints figures only; it asserts nothing
about time.

Usage::

    .venv/bin/python bench/bench_allocation.py [--units 429] [--seed 1405] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dataclasses  # noqa: E402
import time  # noqa: E402

from optimizer import (  # noqa: E402
    AllocationInputs,
    AllocationSettings,
    GapShareFloor,
    build_allocation_model,
    diagnose_infeasibility,
    formulate,
    solve,
)

N_PROVINCES = 31


def synthetic_inputs(n_units: int = 429, seed: int = 1405) -> AllocationInputs:
    """A seeded instance shaped like Iran's counties.

    Populations are log-normal (median about 90,000); about 74 % of people are
    urban. Existing offices (about 10,000 for 429 units) follow the urban
    population with noise, so cities are near or above their targets while
    rural areas lag. Targets: one office per 7,000 urban and 4,000 rural
    residents. Scores grow with the unit's relative gap. One unit in ten has
    an industrial park; three units are locked by the committee.
    """
    rng = np.random.default_rng(seed)
    codes = np.array([f"{i:04d}" for i in range(1, n_units + 1)])
    provinces = np.array([f"P{p:02d}" for p in rng.integers(1, N_PROVINCES + 1, size=n_units)])
    population = np.exp(rng.normal(np.log(90_000), 0.9, size=n_units))
    urban_share = rng.beta(6, 2, size=n_units)
    urban = np.round(population * urban_share)
    rural = np.round(population - urban)
    target_urban = urban / 7_000
    target_rural = rural / 4_000
    offices = 10_000 * n_units / 429
    existing_urban = rng.poisson(target_urban * (offices * 0.85) / target_urban.sum() * rng.uniform(0.6, 1.4, n_units))
    existing_rural = rng.poisson(target_rural * (offices * 0.15) / target_rural.sum() * rng.uniform(0.3, 1.2, n_units))
    target = target_urban + target_rural
    gap = np.maximum(target - existing_urban - existing_rural, 0) / np.maximum(target, 1)
    score = np.round(0.2 + gap + rng.uniform(0, 0.3, n_units), 4)
    parks = (rng.random(n_units) < 0.1) & (target_urban >= 1)  # a park town has room for an office
    locked_urban = np.full(n_units, np.nan)
    locked_rural = np.full(n_units, np.nan)
    locked_units = rng.choice(n_units, size=3, replace=False)
    locked_urban[locked_units] = 0
    locked_rural[locked_units] = 1
    return AllocationInputs(
        unit_code=codes,
        province_code=provinces,
        score=score,
        urban_population=urban,
        rural_population=rural,
        existing_urban=existing_urban,
        existing_rural=existing_rural,
        target_urban=target_urban,
        target_rural=target_rural,
        has_industrial_park=parks,
        locked_urban=locked_urban,
        locked_rural=locked_rural,
    )


def benchmark_settings(budget: int = 2_000) -> AllocationSettings:
    """Every constraint group on, with values a committee might pick."""
    deprived = frozenset(f"P{p:02d}" for p in (3, 7, 11, 19, 23, 29))
    return AllocationSettings(
        budget_licences=budget,
        budget_mode="exact",
        loan_budget_rials=budget * 205e6,
        cost_urban_rials=220e6,
        cost_rural_rials=180e6,
        saturation_slack=0.1,
        min_catchment_urban=3_000,
        min_catchment_rural=1_500,
        province_floor=GapShareFloor(provinces=deprived, fraction=0.8),
        province_ceiling_share=0.12,
        rural_share_min=0.3,
        enforce_parks=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=429)
    parser.add_argument("--seed", type=int, default=1405)
    parser.add_argument("--budget", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--mip-gap", type=float, default=None)
    parser.add_argument("--solver", default="highs", choices=["highs", "cbc"])
    args = parser.parse_args(argv)

    inputs = synthetic_inputs(args.units, args.seed)
    settings = benchmark_settings(args.budget)
    print(
        f"instance: {inputs.n_units} units, {int(inputs.existing_urban.sum() + inputs.existing_rural.sum()):,} "
        f"existing offices, budget {args.budget:,}"
    )
    for run in range(1, args.repeat + 1):
        model = build_allocation_model(inputs, settings)
        result = solve(model, solver=args.solver, mip_gap=args.mip_gap, threads=1)
        problem = model.problem
        figures = (
            f"objective {result.objective:.4f}, bound {result.best_bound:.4f}, gap {result.gap:.2e}, "
            f"{int(result.new_total.sum()):,} licences ({int(result.new_rural.sum()):,} rural)"
            if result.has_plan
            else "no plan"
        )
        print(
            f"run {run}: build {result.build_seconds:.3f} s, solve {result.solve_seconds:.3f} s, "
            f"total {result.build_seconds + result.solve_seconds:.3f} s | status {result.status} | {figures} | "
            f"{len(problem.variables())} variables, {len(problem.constraints())} rows | "
            f"{result.solver} {result.solver_version}"
        )

    # An infeasible variant: province floors adding up to the budget + 310, each
    # within its province's room under the caps (so the budget is the conflict).
    areas = formulate(inputs, settings).areas
    province = inputs.province_code[areas.unit_index]
    provinces, where = np.unique(province, return_inverse=True)
    room = np.bincount(where, weights=areas.upper_room)
    floors = dict(zip(provinces.tolist(), np.floor(room / room.sum() * (args.budget + 310)).astype(int).tolist()))
    floors[provinces[np.argmax(room)]] += args.budget + 310 - sum(floors.values())
    infeasible = dataclasses.replace(settings, province_floor=floors, province_ceiling_share=None)
    started = time.perf_counter()
    diagnosis = diagnose_infeasibility(inputs, infeasible, threads=1)
    print(f"diagnosis of an infeasible variant: {time.perf_counter() - started:.3f} s | {diagnosis.message}")


if __name__ == "__main__":
    main()
