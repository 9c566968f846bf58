"""Checks of model inputs shared by the location models; user mistakes raise AmayeshError."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from siting.errors import AmayeshError
from siting.locate.reduce import as_coverage

__all__ = ["LocationInputError", "SiteSets", "check_weights", "site_sets", "coverage_matrix", "row_mask", "capacity_array"]


class LocationInputError(AmayeshError):
    """Inputs of a location model are inconsistent (shapes, indices, negative values)."""


def check_weights(weights: np.ndarray, n: int | None = None) -> np.ndarray:
    w = np.asarray(weights, dtype=float).ravel()
    if n is not None and len(w) != n:
        raise LocationInputError(f"{len(w)} demand weights for {n} demand points")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise LocationInputError("demand weights (populations) must be finite and non-negative")
    return w


def row_mask(mask: np.ndarray | None, n: int, what: str) -> np.ndarray:
    """Boolean flags over ``n`` rows from a boolean mask or a list of indices."""
    if mask is None:
        return np.zeros(n, dtype=bool)
    m = np.asarray(mask)
    if m.dtype != bool:
        # accept index lists too
        idx = m.astype(np.int64).ravel()
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise LocationInputError(f"{what}: index out of range 0..{n - 1}")
        out = np.zeros(n, dtype=bool)
        out[idx] = True
        return out
    if m.shape != (n,):
        raise LocationInputError(f"{what}: expected {n} flags, got shape {m.shape}")
    return m.copy()


def mask_only(mask: np.ndarray, n: int, what: str) -> np.ndarray:
    """A boolean mask of length ``n`` (0/1 numbers accepted); never read as indices."""
    m = np.asarray(mask)
    if m.shape != (n,):
        raise LocationInputError(f"{what}: expected {n} flags, got shape {m.shape}")
    if m.dtype != bool:
        if not np.isin(m, (0, 1)).all():
            raise LocationInputError(f"{what}: expected true/false flags")
        m = m.astype(bool)
    return m.copy()


class SiteSets:
    """Existing offices (fixed open) and the sites allowed to open, over all site columns."""

    def __init__(self, n_sites: int, existing: np.ndarray | None, candidate_mask: np.ndarray | None, p: int | None):
        ex = np.unique(np.asarray([] if existing is None else existing, dtype=np.int64).ravel())
        if ex.size and (ex.min() < 0 or ex.max() >= n_sites):
            raise LocationInputError(f"existing_sites: index out of range 0..{n_sites - 1}")
        self.n_sites = n_sites
        self.existing = ex
        self.is_existing = np.zeros(n_sites, dtype=bool)
        self.is_existing[ex] = True
        allowed = np.ones(n_sites, dtype=bool) if candidate_mask is None else mask_only(candidate_mask, n_sites, "candidate_mask")
        self.allowed = allowed & ~self.is_existing
        self.candidates = np.flatnonzero(self.allowed)
        if p is not None:
            if int(p) != p or p < 0:
                raise LocationInputError("p (number of new sites) must be a non-negative integer")
            if p > self.candidates.size:
                raise LocationInputError(f"p = {p} new sites requested but only {self.candidates.size} candidate sites are allowed")


def site_sets(n_sites: int, existing: np.ndarray | None, candidate_mask: np.ndarray | None, p: int | None) -> SiteSets:
    return SiteSets(n_sites, existing, candidate_mask, p)


def coverage_matrix(
    coverage: np.ndarray | sp.spmatrix, service_radius: float | None
) -> tuple[sp.csr_matrix, np.ndarray | None]:
    """Boolean coverage plus, when known, the distance of each covering pair.

    ``coverage`` is a boolean matrix (dense or sparse), or a distance matrix when
    ``service_radius`` is given (then pairs within the radius cover; for sparse
    input a missing pair is "no path", a stored 0 is distance 0). A sparse float
    matrix without a radius is read as "every stored pair covers", its values
    being distances (the output of :func:`~siting.locate.distances.within_radius`).

    Returns
    -------
    C : csr_matrix of bool
        Canonical (sorted indices, no duplicates).
    dist : ndarray or None
        Distances aligned with ``C.indices`` (``None`` for boolean input).
    """
    if sp.issparse(coverage):
        S = sp.csr_matrix(coverage, copy=True)
        S.sum_duplicates()
        S.sort_indices()
        if S.dtype == bool and service_radius is None:
            return as_coverage(S), None
        if S.dtype == bool:
            raise LocationInputError("service_radius needs a distance matrix, not a boolean one")
        vals = np.asarray(S.data, dtype=float)
        keep = np.ones(S.nnz, dtype=bool) if service_radius is None else vals <= float(service_radius)
        rows = np.repeat(np.arange(S.shape[0]), np.diff(S.indptr))[keep]
        indptr = np.zeros(S.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=S.shape[0]), out=indptr[1:])
        C = sp.csr_matrix((np.ones(keep.sum(), dtype=bool), S.indices[keep], indptr), shape=S.shape)
        C.has_sorted_indices = True
        return C, vals[keep]
    arr = np.asarray(coverage)
    if arr.ndim != 2:
        raise LocationInputError("coverage/distances must be a 2-D demand × site matrix")
    if service_radius is None:
        if arr.dtype != bool:
            raise LocationInputError("a dense coverage matrix must be boolean; pass service_radius with distances")
        return as_coverage(sp.csr_matrix(arr)), None
    arr = arr.astype(float)
    C = as_coverage(sp.csr_matrix(arr <= float(service_radius)))
    rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))
    return C, arr[rows, C.indices]


def capacity_array(capacities: np.ndarray | float | None, n_sites: int) -> np.ndarray | None:
    if capacities is None:
        return None
    cap = np.broadcast_to(np.asarray(capacities, dtype=float), (n_sites,)).copy()
    if not np.all(cap >= 0) or np.any(np.isnan(cap)):
        raise LocationInputError("capacities must be non-negative numbers (inf = unlimited)")
    return cap
