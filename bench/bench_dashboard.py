"""Dashboard speed: re-plan latency after a weight or parameter change, and the county map's payload.

    .venv/bin/python bench/bench_dashboard.py [--data ../shared/data/iran] [--repeat 10]

Loads the data once (as the dashboard's st.cache_resource does), then times what the Plan page does
after each change: re-score and re-plan all units with :func:`dashboards.core.plan` (the pipeline's
``run_plan``), alternating a weight change and a budget change. Then builds the county map as the
page does and reports the size of what streamlit-folium sends (its Leaflet script with the GeoJSON).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "iran"))
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()

    from dashboards import core
    from dashboards.maps import choropleth, payload_bytes, simplified_units

    scenario = core.fast_scenario(core.default_scenario())
    start = time.perf_counter()
    dataset = core.load_data(args.data, scenario)
    print(f"data loaded once in {time.perf_counter() - start:.2f} s ({args.data})")
    core.plan(dataset, scenario)  # warm-up (imports, solver)

    ids = list(scenario.indicators)
    base = core.plan(dataset, scenario)
    timings, budget_timings = [], []
    for k in range(args.repeat):
        if k % 2 == 0:
            weights = {i: 1.0 for i in ids}
            weights[ids[k % len(ids)]] = 2.0 + k
            changed = core.replace_block(scenario, "weights", {"method": "direct", "values": weights})
        else:
            changed = core.edit(scenario, {"plan.budget_licences": 1500 + 100 * k})
        start = time.perf_counter()
        # as the Plan page does: a plan-only change re-plans on the scores already computed
        same_scores = core.scoring_key(changed) == core.scoring_key(scenario)
        outcome = core.plan(dataset, changed, scored=base.scored if same_scores else None)
        (budget_timings if same_scores else timings).append(time.perf_counter() - start)
        assert outcome.run is not None, outcome.error
    level = outcome.run.scored.level
    units = len(outcome.run.plan.allocation)
    print(f"weight change: re-score ({scenario.sensitivity.draws} sensitivity draws) + re-plan of {units} {level} units: "
          f"median {statistics.median(timings):.3f} s, max {max(timings):.3f} s over {len(timings)} changes")
    print(f"budget change: re-plan of {units} {level} units on the same scores: "
          f"median {statistics.median(budget_timings):.3f} s, max {max(budget_timings):.3f} s over {len(budget_timings)} changes")

    start = time.perf_counter()
    geo = simplified_units(dataset.level(level))
    simplify = time.perf_counter() - start
    start = time.perf_counter()
    m, _ = choropleth(geo, outcome.run.plan.allocation.set_index("unit_code")["new_licences"].astype(float), "new_licences")
    build = time.perf_counter() - start
    size = payload_bytes(m)
    raw = simplified_units(dataset.level(level), tolerance=0)
    m_raw, _ = choropleth(raw, outcome.run.plan.allocation.set_index("unit_code")["new_licences"].astype(float), "new_licences")
    print(f"county map: simplified once in {simplify:.2f} s, built in {build:.2f} s per draw, "
          f"payload {size / 1024:.0f} KiB (unsimplified: {payload_bytes(m_raw) / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
