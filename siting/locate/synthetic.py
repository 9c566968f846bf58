"""Seeded synthetic settlement patterns shaped like a country's settlements.

Used by the benchmark (``bench/bench_locate.py``) and by the tests; never by
planning runs. Coordinates are planar kilometres.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SyntheticInstance", "synthetic_instance"]


@dataclass(frozen=True)
class SyntheticInstance:
    """A synthetic siting instance.

    Attributes
    ----------
    demand_xy : ndarray, shape (n, 2)
        Settlement coordinates in km.
    population : ndarray, shape (n,)
        Integer populations (log-normal, at least 1).
    site_xy : ndarray, shape (m, 2)
        Candidate-site coordinates in km (a subset of the settlements).
    site_settlement : ndarray, shape (m,)
        Index of the settlement each candidate site sits on.
    p : int
        Number of sites to choose (``m // 10``).
    """

    demand_xy: np.ndarray
    population: np.ndarray
    site_xy: np.ndarray
    site_settlement: np.ndarray
    p: int


def synthetic_instance(
    n: int,
    m: int,
    seed: int = 0,
    side_km: float = 1600.0,
    clustered_share: float = 0.7,
    zipf_exponent: float = 1.0,
    points_per_town: float = 100.0,
) -> SyntheticInstance:
    """Generate ``n`` settlements and ``m`` candidate sites drawn from them.

    Town centres are uniform over a ``side_km`` square; town sizes follow
    Zipf's law (size of the town of rank ``r`` ∝ ``r ** -zipf_exponent``).
    A share ``clustered_share`` of the settlements are placed around towns
    (town chosen with probability ∝ size, offset normal with a spread growing
    with the square root of the town size, 12–32 km); the others are
    scattered uniformly (rural points). Populations are log-normal, larger
    around bigger towns. Candidate sites are ``m`` distinct settlements drawn
    uniformly; ``p = max(1, m // 10)``.

    Parameters
    ----------
    n, m : int
        Number of settlements and of candidate sites (``m <= n``).
    seed : int
        Seed of the generator; equal arguments give equal instances.
    side_km, clustered_share, zipf_exponent, points_per_town : float
        Shape parameters; the defaults are the benchmark's.

    Returns
    -------
    SyntheticInstance
    """
    if not 0 < m <= n:
        raise ValueError("need 0 < m <= n")
    rng = np.random.default_rng(seed)
    n_towns = max(3, int(round(n / points_per_town)))
    rank = np.arange(1, n_towns + 1, dtype=float)
    size = rank**-zipf_exponent
    size /= size.sum()
    centres = rng.uniform(0.0, side_km, size=(n_towns, 2))
    spread = 12.0 + 20.0 * np.sqrt(size / size[0])

    n_clustered = int(round(clustered_share * n))
    town = rng.choice(n_towns, size=n_clustered, p=size)
    offsets = rng.normal(size=(n_clustered, 2)) * spread[town, None]
    clustered = np.clip(centres[town] + offsets, 0.0, side_km)
    rural = rng.uniform(0.0, side_km, size=(n - n_clustered, 2))
    xy = np.vstack([clustered, rural])

    log_mean = np.concatenate([5.5 + 0.3 * np.log1p(size[town] * n_towns), np.full(n - n_clustered, 5.0)])
    population = np.maximum(1, np.round(rng.lognormal(log_mean, 1.2))).astype(np.int64)

    order = rng.permutation(n)
    xy, population = xy[order], population[order]
    site_settlement = np.sort(rng.choice(n, size=m, replace=False))
    return SyntheticInstance(
        demand_xy=xy,
        population=population,
        site_xy=xy[site_settlement].copy(),
        site_settlement=site_settlement,
        p=max(1, m // 10),
    )
