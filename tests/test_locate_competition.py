"""Attendance with distance decay and Huff market share against competitors (issue 15).

Each model is checked against brute force over every choice of sites on small random instances, and its reported
objective against an independent dense computation.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.errors import InfeasibleError
from siting.locate.attendance import solve_attendance
from siting.locate.decay import Decay, decay_weights
from siting.locate.huff import competitor_attraction, solve_max_share, solve_target_share

DECAYS = [Decay("cutoff", cutoff=18.0), Decay("linear", cutoff=25.0), Decay("power", cutoff=30.0, beta=1.5, d0=2.0),
          Decay("exponential", cutoff=30.0, beta=0.12)]


def _instance(seed: int, n: int = 24, m: int = 8, competitors: int = 4):
    rng = np.random.default_rng(seed)
    demand, sites, rivals = (rng.uniform(0, 40, (k, 2)) for k in (n, m, competitors))
    weights = rng.integers(50, 5000, n).astype(float)
    dense = np.linalg.norm(demand[:, None] - sites[None], axis=2)
    rival_dense = np.linalg.norm(demand[:, None] - rivals[None], axis=2)
    existing = rng.choice(m, size=int(rng.integers(0, 3)), replace=False)
    return weights, dense, rival_dense, np.sort(existing)


def _sparse(dense: np.ndarray, cutoff: float) -> sp.csr_matrix:
    rows, cols = np.nonzero(dense <= cutoff)
    return sp.csr_matrix((dense[rows, cols], (rows, cols)), shape=dense.shape)


def _dense_attendance(weights, dense, decay, open_sites):
    f = decay_weights(dense[:, open_sites], decay) if len(open_sites) else np.zeros((len(weights), 1))
    return float(weights @ f.max(axis=1))


def _dense_share(weights, dense, rival_dense, decay, open_sites):
    ours = decay_weights(dense[:, open_sites], decay).sum(axis=1) if len(open_sites) else np.zeros(len(weights))
    theirs = decay_weights(rival_dense, decay).sum(axis=1)
    total = ours + theirs
    return float(weights @ np.divide(ours, total, out=np.zeros_like(ours), where=total > 0))


def _choices(m, existing, p):
    free = [j for j in range(m) if j not in set(existing)]
    return [np.union1d(existing, c).astype(int) for c in itertools.combinations(free, p)]


@given(st.floats(0, 80), st.sampled_from(DECAYS))
def test_decay_is_a_weight_that_never_grows_with_distance(distance, decay):
    near, far = decay_weights(np.array([distance, distance + 1.0]), decay)
    assert 0 <= far <= near <= 1
    assert (near == 0) == (distance > decay.cutoff)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 3), st.sampled_from(DECAYS))
def test_attendance_matches_brute_force(seed, p, decay):
    weights, dense, _, existing = _instance(seed)
    result = solve_attendance(weights, _sparse(dense, decay.cutoff), p, decay, existing_sites=existing)
    assert result.status == "optimal" and len(result.selected) == p
    assert not set(result.selected) & set(existing)
    best = max(_dense_attendance(weights, dense, decay, sites) for sites in _choices(dense.shape[1], existing, p))
    opened = np.union1d(existing, result.selected).astype(int)
    assert result.objective == pytest.approx(_dense_attendance(weights, dense, decay, opened), rel=1e-9, abs=1e-6)
    assert result.objective == pytest.approx(best, rel=1e-7, abs=1e-6)
    assert result.stats["visits_before"] == pytest.approx(_dense_attendance(weights, dense, decay, existing), abs=1e-6)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 3), st.sampled_from(DECAYS))
def test_max_share_matches_brute_force(seed, p, decay):
    weights, dense, rival_dense, existing = _instance(seed)
    rivals = competitor_attraction(_sparse(rival_dense, decay.cutoff), decay)
    result = solve_max_share(weights, _sparse(dense, decay.cutoff), rivals, p, decay, existing_sites=existing)
    assert result.status == "optimal" and len(result.selected) == p
    opened = np.union1d(existing, result.selected).astype(int)
    assert result.objective == pytest.approx(_dense_share(weights, dense, rival_dense, decay, opened), rel=1e-9, abs=1e-6)
    best = max(_dense_share(weights, dense, rival_dense, decay, s) for s in _choices(dense.shape[1], existing, p))
    assert result.objective == pytest.approx(best, rel=1e-6, abs=1e-6)
    assert result.bound >= result.objective - 1e-6


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.05, 0.95), st.sampled_from(DECAYS))
def test_target_share_uses_the_fewest_sites(seed, fraction, decay):
    weights, dense, rival_dense, existing = _instance(seed)
    rivals = competitor_attraction(_sparse(rival_dense, decay.cutoff), decay)
    m = dense.shape[1]
    total = weights.sum()
    reachable = _dense_share(weights, dense, rival_dense, decay, np.arange(m)) / total
    before = _dense_share(weights, dense, rival_dense, decay, existing) / total
    target = before + fraction * (reachable - before)
    result = solve_target_share(weights, _sparse(dense, decay.cutoff), rivals, target, decay, existing_sites=existing)
    assert result.status == "optimal"
    fewest = next(p for p in range(m + 1) if any(
        _dense_share(weights, dense, rival_dense, decay, s) >= target * total - 1e-9 * total
        for s in _choices(m, existing, p)))
    assert result.objective == fewest == len(result.selected)
    opened = np.union1d(existing, result.selected).astype(int)
    assert _dense_share(weights, dense, rival_dense, decay, opened) >= target * total - 1e-6 * total


def test_an_unreachable_target_says_how_far_it_can_go():
    weights, dense, rival_dense, existing = _instance(7)
    decay = Decay("power", cutoff=30.0, beta=2.0, d0=1.0)
    rivals = competitor_attraction(_sparse(rival_dense, decay.cutoff), decay) * 1000
    with pytest.raises(InfeasibleError, match=r"cannot be reached: with every one of the \d+ candidate sites open the share is"):
        solve_target_share(weights, _sparse(dense, decay.cutoff), rivals, 0.99, decay, existing_sites=existing)
