"""Evaluate a plan (a set of open sites) on the original, unreduced data."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["serving_site"]


def serving_site(
    C: sp.csr_matrix, dist: np.ndarray | None, is_open: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each row, the nearest open covering site (``-1`` if none) and its distance.

    Parameters
    ----------
    C : csr_matrix of bool
        Coverage, canonical (sorted indices).
    dist : ndarray or None
        Distances aligned with ``C.indices``; without them the lowest-index open
        covering site is taken and distances are ``nan``.
    is_open : ndarray of bool
        Open sites (existing and new).
    """
    n = C.shape[0]
    rows = np.repeat(np.arange(n), np.diff(C.indptr))
    hit = is_open[C.indices]
    r, c = rows[hit], C.indices[hit].astype(np.int64)
    d = dist[hit] if dist is not None else np.zeros(hit.sum())
    order = np.lexsort((c, d, r))
    r, c, d = r[order], c[order], d[order]
    first = np.ones(len(r), dtype=bool)
    first[1:] = r[1:] != r[:-1]
    site = np.full(n, -1, dtype=np.int64)
    site[r[first]] = c[first]
    distance = np.full(n, np.nan)
    if dist is not None:
        distance[r[first]] = d[first]
    return site, distance
