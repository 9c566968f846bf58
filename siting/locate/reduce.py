"""Reductions of covering models that keep the optimum.

All functions take a boolean coverage matrix ``C`` (CSR, demand rows × site
columns, ``C[i, j]`` true iff site ``j`` serves demand ``i`` within the
service standard) and return index arrays or smaller matrices; none changes
its input. Each states why the optimum is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = [
    "as_coverage",
    "rows_covered_by",
    "merge_identical_rows",
    "RowGroups",
    "containment",
    "dominated_columns",
    "dominating_rows",
]


def as_coverage(C: sp.spmatrix | np.ndarray) -> sp.csr_matrix:
    """Canonical boolean CSR (sorted indices, no duplicates, no stored ``False``)."""
    C = sp.csr_matrix(C, dtype=bool, copy=True)
    C.sum_duplicates()
    C.eliminate_zeros()
    C.sort_indices()
    return C


def rows_covered_by(C: sp.csr_matrix, columns: np.ndarray) -> np.ndarray:
    """Boolean mask of rows covered by at least one of ``columns`` (open sites).

    In MCLP such a row is covered whatever else opens: its weight moves into the
    objective's constant and the row leaves the model. In LSCP its covering
    constraint is already satisfied. Neither changes the set of optimal choices
    of the *new* sites (the row's contribution is the same for every choice).
    """
    if len(columns) == 0:
        return np.zeros(C.shape[0], dtype=bool)
    hit = np.zeros(C.shape[1], dtype=bool)
    hit[np.asarray(columns)] = True
    rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))
    return np.bincount(rows[hit[C.indices]], minlength=C.shape[0]) > 0


@dataclass(frozen=True)
class RowGroups:
    """Rows merged by identical coverage sets.

    Attributes
    ----------
    matrix : csr_matrix
        One row per group (the set shared by its members).
    group : ndarray of int
        Group of every input row.
    representative : ndarray of int
        One input row per group.
    """

    matrix: sp.csr_matrix
    group: np.ndarray
    representative: np.ndarray

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Per-group sum of a per-row array (e.g. populations)."""
        return np.bincount(self.group, weights=values, minlength=len(self.representative))

    def any(self, flags: np.ndarray) -> np.ndarray:
        """Per-group logical OR of a per-row boolean array (e.g. must-cover)."""
        return np.bincount(self.group, weights=flags.astype(float), minlength=len(self.representative)) > 0


def merge_identical_rows(C: sp.csr_matrix, seed: int = 12345) -> RowGroups:
    """Group rows with the same set of covering sites.

    Why the optimum is kept: in every covering model the variables and
    constraints of a demand point depend only on its coverage set. Rows ``i``
    and ``k`` with ``N_i = N_k`` are covered by exactly the same site choices,
    so one row with weight ``w_i + w_k`` (must-cover if either is) has, for
    every choice of sites, the same objective and feasibility as the pair.

    Method: two independent random 64-bit keys per column summed per row
    (wrapping) plus the row length give a sort key; equal keys are then
    checked entry by entry, and a member that differs from its representative
    (a hash collision) is split off, so the result is exact.
    """
    C = as_coverage(C)
    n, m = C.shape
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, np.iinfo(np.int64).max, size=(2, m), dtype=np.int64).view(np.uint64)
    length = np.diff(C.indptr)
    rows = np.repeat(np.arange(n), length)
    h = np.zeros((2, n), dtype=np.uint64)
    for t in range(2):
        np.add.at(h[t], rows, keys[t][C.indices])
    order = np.lexsort((h[1], h[0], length))
    sl, s0, s1 = length[order], h[0][order], h[1][order]
    new = np.ones(n, dtype=bool)
    new[1:] = (sl[1:] != sl[:-1]) | (s0[1:] != s0[:-1]) | (s1[1:] != s1[:-1])
    gid_sorted = np.cumsum(new) - 1
    rep_sorted = np.flatnonzero(new)[gid_sorted]  # position (in sorted order) of the group's first row
    member, rep = order, order[rep_sorted]
    # exact check: compare each member's index list with its representative's
    ok = np.ones(n, dtype=bool)  # by sorted position
    cand = np.flatnonzero((member != rep) & (length[member] > 0))
    if cand.size:
        mem, rp = member[cand], rep[cand]
        ln = length[mem]
        off = np.arange(ln.sum()) - np.repeat(np.cumsum(ln) - ln, ln)
        a = C.indices[np.repeat(C.indptr[mem], ln) + off]
        b = C.indices[np.repeat(C.indptr[rp], ln) + off]
        bad_pair = np.bincount(np.repeat(np.arange(cand.size), ln), weights=(a != b), minlength=cand.size) > 0
        ok[cand[bad_pair]] = False
    # a row that collided with its representative becomes a group of its own
    group_of_sorted = gid_sorted.copy()
    bad_sorted = ~ok  # ok is indexed by sorted position
    n_first = int(gid_sorted[-1]) + 1 if n else 0
    group_of_sorted[bad_sorted] = n_first + np.arange(int(bad_sorted.sum()))
    group = np.empty(n, dtype=np.int64)
    group[order] = group_of_sorted
    n_groups = int(group.max()) + 1 if n else 0
    representative = np.full(n_groups, -1, dtype=np.int64)
    representative[group[::-1]] = np.arange(n)[::-1]  # first row of each group
    return RowGroups(C[representative], group, representative)


def containment(C: sp.csr_matrix) -> tuple[sp.coo_matrix, np.ndarray]:
    """Overlap counts ``S = Cᵀ C`` (pairs of columns sharing a row) and column sizes.

    ``S[j, k] = |N(j) ∩ N(k)|``; work and memory grow with ``Σ_i |row i|²``.
    """
    A = sp.csr_matrix(C, dtype=np.int32)
    S = (A.T @ A).tocoo()
    size = np.asarray(A.sum(axis=0)).ravel()
    return S, size


def _subset_of_other(S: sp.coo_matrix, size: np.ndarray) -> np.ndarray:
    j, k, overlap = S.row, S.col, S.data
    beats = (j != k) & (overlap == size[j]) & ((size[k] > size[j]) | ((size[k] == size[j]) & (k < j)))
    out = np.zeros(len(size), dtype=bool)
    out[j[beats]] = True
    return out


def row_pair_work(C: sp.csr_matrix) -> int:
    """``Σ_i |row i|²``: the work of :func:`containment` on ``C``."""
    d = np.diff(sp.csr_matrix(C).indptr).astype(np.int64)
    return int((d * d).sum())


def dominated_columns(C: sp.csr_matrix) -> np.ndarray:
    """Columns whose coverage set lies inside another kept column's set.

    Returns a boolean mask, ``True`` = dominated (may be removed).

    Why the optimum is kept (MCLP, LSCP, with must-cover rows kept as rows
    of ``C``; unit site costs; no capacities): if ``N(j) ⊆ N(k)`` then in any
    solution that opens ``j``, opening ``k`` instead (or, if ``k`` is already
    open, nothing or any other site) covers every row ``j`` covered, so the
    objective does not get worse and every covering constraint stays met. For
    identical columns the lowest index is kept; dominance is transitive, so
    every removed column has a kept dominator. A column covering no row is
    dominated by any other. The site budget must become ``Σ y ≤ p`` (or be
    padded with removed sites afterwards) in case fewer than ``p`` columns remain.
    """
    C = as_coverage(C)
    S, size = containment(C)
    out = _subset_of_other(S, size)
    empty = size == 0
    if empty.any() and (~empty).any():
        out |= empty
    elif empty.all() and len(size) > 1:
        out[1:] = True
    return out


def dominating_rows(C: sp.csr_matrix) -> np.ndarray:
    """Rows whose covering constraint is implied by another row's (set covering).

    Returns a boolean mask, ``True`` = redundant row (a superset of another row).

    Why the optimum is kept (LSCP): if ``N_k ⊆ N_i`` then every choice that
    covers ``k`` covers ``i``; the constraint of ``i`` is redundant and can go.
    Identical rows keep the lowest index (one copy stays).
    """
    C = as_coverage(C)
    S, size = containment(C.T.tocsr())
    j, k, overlap = S.row, S.col, S.data
    beats = (j != k) & (overlap == size[k]) & ((size[j] > size[k]) | ((size[j] == size[k]) & (k < j)))
    out = np.zeros(len(size), dtype=bool)
    out[j[beats]] = True
    return out
