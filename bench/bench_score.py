"""Benchmark: scoring all 429 real counties with ~2,700 settlements.

Target (issue 3): well under 2 seconds. Prints the figures; asserts nothing.
Usage: python bench/bench_score.py [--data ../shared/data/iran] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from siting.data import load_dataset
from siting.pipeline import prepare_dataset
from siting.scenario import load_scenario
from siting.scoring import score_units

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "iran"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    load_dataset(args.data)
    load_seconds = time.perf_counter() - started
    scenario, _ = load_scenario()
    dataset = prepare_dataset(scenario, args.data)
    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        result = score_units(dataset, scenario)
        timings.append(time.perf_counter() - started)
    print(f"units scored: {len(result.scores)} {result.level} units, settlements: {len(dataset.settlements)}, "
          f"offices: {len(dataset.offices)}, indicators: {len(result.weights)}, sensitivity draws: {scenario.sensitivity.draws}")
    print(f"load + validate data: {load_seconds:.2f} s")
    print(f"score (indicators, normalise, weights, composite, tiers, need, sensitivity): "
          f"median {statistics.median(timings):.3f} s, min {min(timings):.3f} s, max {max(timings):.3f} s over {args.repeat} runs")
    print("target: well under 2 s for scoring →", "met" if statistics.median(timings) < 2 else "NOT met")


if __name__ == "__main__":
    main()
