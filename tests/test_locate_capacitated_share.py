"""Huff market share with capacities (issue 15): every office serves at most C visits.

The solver's plans are checked against brute force over every choice of sites and, single-sourced, over every
assignment of settlements to open offices, with the captured demand computed here independently (the Huff share from
dense decay weights, capped by what each office can serve; an LP via scipy when a settlement's visits may be split).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from siting.errors import InfeasibleError
from siting.locate.decay import Decay, decay_weights
from siting.locate.huff import competitor_attraction, solve_max_share, solve_target_share

DECAY = Decay("power", cutoff=25.0, beta=1.2, d0=2.0)


def _instance(seed: int, n: int = 6, m: int = 5, competitors: int = 3):
    rng = np.random.default_rng(seed)
    demand, sites, rivals = (rng.uniform(0, 30, (k, 2)) for k in (n, m, competitors))
    weights = rng.integers(5, 60, n).astype(float)
    dense = np.linalg.norm(demand[:, None] - sites[None], axis=2)
    rival_dense = np.linalg.norm(demand[:, None] - rivals[None], axis=2)
    return weights, dense, rival_dense


def _sparse(dense: np.ndarray, cutoff: float) -> sp.csr_matrix:
    rows, cols = np.nonzero(dense <= cutoff)
    return sp.csr_matrix((dense[rows, cols], (rows, cols)), shape=dense.shape)


def _huff(dense, rival_dense, open_sites):
    """Each settlement's share against the competitors, and which open offices reach it."""
    f = decay_weights(dense[:, open_sites], DECAY)
    ours, theirs = f.sum(axis=1), decay_weights(rival_dense, DECAY).sum(axis=1)
    total = ours + theirs
    return np.divide(ours, total, out=np.zeros_like(ours), where=total > 0), f > 0


def captured(weights, dense, rival_dense, open_sites, capacity, split):
    """The most demand ``open_sites`` capture within ``capacity`` visits each (independent of the model code)."""
    open_sites = list(open_sites)
    share, reach = _huff(dense, rival_dense, open_sites)
    n, k = reach.shape
    if not k:
        return 0.0
    if split:
        # max Σ x_ij  s.t.  Σ_j x_ij ≤ w_i h_i,  Σ_i x_ij ≤ C,  x_ij = 0 out of reach (x in visits)
        a_ub = np.vstack([np.kron(np.eye(n), np.ones(k)), np.kron(np.ones(n), np.eye(k))])
        bounds = [(0, None) if reach[i, j] else (0, 0) for i in range(n) for j in range(k)]
        found = linprog(-np.ones(n * k), A_ub=a_ub, b_ub=np.concatenate([weights * share, np.full(k, capacity)]),
                        bounds=bounds, method="highs")
        return -found.fun
    best = 0.0
    for assignment in itertools.product(range(-1, k), repeat=n):
        load = np.zeros(k)
        for i, j in enumerate(assignment):
            if j >= 0 and reach[i, j]:
                load[j] += weights[i] * share[i]
        best = max(best, float(np.minimum(load, capacity).sum()))
    return best


def _choices(m, existing, p):
    free = [j for j in range(m) if j not in set(existing)]
    return [sorted(set(existing) | set(c)) for c in itertools.combinations(free, p)]


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("split", [False, True])
def test_max_share_with_capacities_matches_brute_force(seed, split):
    weights, dense, rival_dense = _instance(seed)
    existing = [1] if seed % 2 else []
    rivals = competitor_attraction(_sparse(rival_dense, DECAY.cutoff), DECAY)
    capacity = float(np.quantile(weights, 0.6))
    r = solve_max_share(weights, _sparse(dense, DECAY.cutoff), rivals, 2, DECAY, existing_sites=np.array(existing, int),
                        capacities=capacity, allow_split=split)
    assert r.status == "optimal" and len(r.selected) == 2 and not set(r.selected) & set(existing)
    opened = sorted(set(existing) | set(r.selected.tolist()))
    assert r.objective == pytest.approx(captured(weights, dense, rival_dense, opened, capacity, split), rel=1e-6, abs=1e-6)
    best = max(captured(weights, dense, rival_dense, s, capacity, split) for s in _choices(dense.shape[1], existing, 2))
    assert r.objective == pytest.approx(best, rel=1e-6, abs=1e-6)
    before = captured(weights, dense, rival_dense, existing, capacity, split) / weights.sum()
    assert r.stats["share_before"] == pytest.approx(before, abs=1e-7) and r.stats["capacitated"]


def test_capacity_costs_share_splitting_recovers_some_and_no_cap_is_the_huff_model():
    weights, dense, rival_dense = _instance(3, n=7)
    D = _sparse(dense, DECAY.cutoff)
    rivals = competitor_attraction(_sparse(rival_dense, DECAY.cutoff), DECAY)
    free = solve_max_share(weights, D, rivals, 2, DECAY)
    tight = solve_max_share(weights, D, rivals, 2, DECAY, capacities=20.0)
    shared = solve_max_share(weights, D, rivals, 2, DECAY, capacities=20.0, allow_split=True)
    loose = solve_max_share(weights, D, rivals, 2, DECAY, capacities=np.inf)
    assert tight.objective <= shared.objective + 1e-7 <= free.objective + 2e-7
    assert tight.objective < free.objective
    assert loose.objective == pytest.approx(free.objective, rel=1e-7)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.integers(0, 10_000), st.integers(3, 8), st.integers(2, 6), st.integers(1, 3), st.floats(5, 120),
       st.booleans())
def test_every_capacitated_share_plan_satisfies_every_constraint(seed, n, m, p, capacity, split):
    weights, dense, rival_dense = _instance(seed, n, m)
    existing = np.array([0]) if seed % 3 == 0 else np.array([], int)
    p = min(p, m - len(existing))
    rivals = competitor_attraction(_sparse(rival_dense, DECAY.cutoff), DECAY)
    r = solve_max_share(weights, _sparse(dense, DECAY.cutoff), rivals, p, DECAY, existing_sites=existing,
                        capacities=capacity, allow_split=split)
    assert r.status == "optimal" and len(r.selected) == p and not set(r.selected) & set(existing.tolist())
    opened = sorted(set(existing.tolist()) | set(r.selected.tolist()))
    share, reach = _huff(dense, rival_dense, list(range(m)))
    # a settlement is assigned only to an open office in reach
    for i, j in enumerate(r.assignment):
        if j >= 0:
            assert j in opened and reach[i, j]
    # the captured demand never exceeds the offices' capacities nor the uncapacitated Huff share
    assert r.objective <= capacity * len(opened) + 1e-6
    share_open, _ = _huff(dense, rival_dense, opened)
    assert r.objective <= float(weights @ share_open) + 1e-6
    assert r.objective == pytest.approx(captured(weights, dense, rival_dense, opened, capacity, split), rel=1e-6, abs=1e-6)
    assert r.objective <= r.bound + 1e-6


@pytest.mark.parametrize("seed", range(4))
def test_target_share_with_capacities_uses_the_fewest_sites(seed):
    weights, dense, rival_dense = _instance(seed, n=6, m=5)
    rivals = competitor_attraction(_sparse(rival_dense, DECAY.cutoff), DECAY)
    capacity = float(np.quantile(weights, 0.7))
    total = weights.sum()
    reachable = captured(weights, dense, rival_dense, range(5), capacity, True) / total
    target = 0.6 * reachable
    r = solve_target_share(weights, _sparse(dense, DECAY.cutoff), rivals, target, DECAY, capacities=capacity, allow_split=True)
    assert r.status == "optimal"
    fewest = next(p for p in range(6) if any(captured(weights, dense, rival_dense, s, capacity, True) >= target * total - 1e-7
                                             for s in _choices(5, [], p)))
    assert r.objective == fewest == len(r.selected)
    assert captured(weights, dense, rival_dense, r.selected, capacity, True) >= target * total - 1e-6


def test_a_target_beyond_the_capacities_is_refused_with_the_share_reachable():
    weights, dense, rival_dense = _instance(5)
    rivals = competitor_attraction(_sparse(rival_dense, DECAY.cutoff), DECAY)
    D = _sparse(dense, DECAY.cutoff)
    uncapped = solve_target_share(weights, D, rivals, 0.3, DECAY)
    assert uncapped.status == "optimal"  # reachable without the caps ...
    with pytest.raises(InfeasibleError, match=r"cannot be reached: .* open the share is [\d.]+% within the capacities"):
        solve_target_share(weights, D, rivals, 0.3, DECAY, capacities=1.0)  # ... not with 1 visit an office


def test_capacitated_share_on_a_real_province(shared_data):
    """Semnan's settlements against its (SYNTHETIC) other networks, with its (SYNTHETIC) offices fixed open."""
    from siting.locate.frames import share_from_frames
    from siting.pipeline import prepare_dataset
    from siting.scenario import Scenario

    dataset = prepare_dataset(Scenario(indicators=["rural_population"], registers={"synthetic_other_networks": True}),
                              str(shared_data))
    province = dataset.units.set_index("unit_code")["province_code"]
    semnan = dataset.settlements["unit_code"].map(province).eq("20").to_numpy()
    settlements = dataset.settlements[semnan].reset_index(drop=True)
    offices = dataset.offices[dataset.offices["unit_code"].map(province).eq("20").to_numpy()
                              & dataset.offices["status"].eq("active").to_numpy()]
    existing = offices[["lon", "lat"]].dropna().reset_index(drop=True)
    rivals = dataset.other_offices[dataset.other_offices["unit_code"].map(province).eq("20").to_numpy()]
    decay = Decay(kind="exponential", cutoff=30.0, beta=0.1)
    common = dict(p=5, existing=existing)
    free = share_from_frames(settlements, settlements, rivals, decay, **common)
    capacity = float(settlements["population"].sum() / (len(existing) + 5) * 0.5)
    capped = share_from_frames(settlements, settlements, rivals, decay, capacities=capacity, allow_split=True, **common)
    assert free.status == capped.status == "optimal"
    assert capped.stats["capacitated"] and capped.objective < free.objective  # the caps bind: visits are lost
    assert capped.objective <= capacity * (len(existing) + 5) + 1e-6
    assert capped.stats["share_before"] <= capped.stats["share"] <= free.stats["share"] + 1e-9
