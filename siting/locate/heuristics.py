"""Start solutions: greedy construction plus swap (interchange) improvement, vectorised.

Covering heuristics work on a boolean coverage matrix ``C`` (CSR, rows ×
sites) and row weights; median heuristics on sorted nearest-site lists. Each
step updates the affected rows with sparse array operations; the loops are over
chosen sites or swap moves, never over demand × site pairs.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

__all__ = ["greedy_cover", "swap_cover", "greedy_median", "swap_median", "median_cost"]


def _entries(C: sp.csr_matrix, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column indices of the given rows' entries, and the row of each entry."""
    start, stop = C.indptr[rows], C.indptr[rows + 1]
    ln = stop - start
    if ln.sum() == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    off = np.arange(ln.sum()) - np.repeat(np.cumsum(ln) - ln, ln)
    pos = np.repeat(start, ln) + off
    return C.indices[pos].astype(np.int64), np.repeat(rows, ln)


def greedy_cover(
    C: sp.csr_matrix,
    weights: np.ndarray,
    p: int,
    must: np.ndarray | None = None,
    allowed: np.ndarray | None = None,
) -> np.ndarray | None:
    """Greedy maximal covering: repeatedly open the site adding the most uncovered weight.

    Rows flagged ``must`` are covered first (greedy set cover over them, ties by
    weight). Returns the chosen columns (at most ``p``), or ``None`` when the
    must-cover rows need more than ``p`` sites.
    """
    C = sp.csr_matrix(C)
    n, m = C.shape
    w = np.asarray(weights, dtype=float)
    CT = C.T.tocsr()
    covered = np.zeros(n, dtype=bool)
    must = np.zeros(n, dtype=bool) if must is None else np.asarray(must, bool).copy()
    gain = CT @ w
    need = CT @ must.astype(float)
    blocked = np.zeros(m, dtype=bool) if allowed is None else ~np.asarray(allowed, bool)
    chosen: list[int] = []
    big = float(w.sum() + 1.0)
    while len(chosen) < p:
        score = np.where(blocked, -np.inf, need * big + gain)
        j = int(np.argmax(score))
        if not np.isfinite(score[j]) or score[j] <= 0:
            break
        chosen.append(j)
        blocked[j] = True
        rows = CT.indices[CT.indptr[j]:CT.indptr[j + 1]]
        rows = rows[~covered[rows]]
        covered[rows] = True
        cols, r = _entries(C, rows)
        gain -= np.bincount(cols, weights=w[r], minlength=m)
        need -= np.bincount(cols, weights=must[r].astype(float), minlength=m)
        must[rows] = False
    if must.any():
        return None
    return np.array(sorted(chosen), dtype=np.int64)


def swap_cover(
    C: sp.csr_matrix,
    weights: np.ndarray,
    chosen: np.ndarray,
    fixed: np.ndarray | None = None,
    must: np.ndarray | None = None,
    allowed: np.ndarray | None = None,
    time_limit: float = 5.0,
    max_moves: int = 10_000,
) -> np.ndarray:
    """Best-improvement interchange for maximal covering.

    Each move closes one chosen (non-``fixed``) site and opens one closed site,
    taking the pair with the largest exact gain. With ``cnt_i`` = number of
    open sites covering row ``i``: ``loss(j)`` = weight of rows only ``j``
    covers, ``gain(k)`` = weight of uncovered rows ``k`` covers, and the swap
    gain is ``gain(k) − loss(j) + E[j, k]`` where ``E[j, k]`` is the weight of
    rows only ``j`` covers that ``k`` also covers (a sparse matrix). Moves that
    would uncover a ``must`` row are not taken. Stops at a local optimum, after
    ``max_moves`` moves, or after ``time_limit`` seconds.
    """
    t0 = time.perf_counter()
    C = sp.csr_matrix(C)
    n, m = C.shape
    w = np.asarray(weights, dtype=float)
    CT = C.T.tocsr()
    is_open = np.zeros(m, dtype=bool)
    is_open[np.asarray(chosen, dtype=np.int64)] = True
    frozen = np.zeros(m, dtype=bool)
    if fixed is not None:
        frozen[np.asarray(fixed, dtype=np.int64)] = True
    can_open = np.ones(m, dtype=bool) if allowed is None else np.asarray(allowed, bool)
    must = np.zeros(n, dtype=bool) if must is None else np.asarray(must, bool)
    rows_all = np.repeat(np.arange(n), np.diff(C.indptr))
    cols_all = C.indices.astype(np.int64)
    cnt = np.bincount(rows_all, weights=is_open[cols_all], minlength=n).astype(np.int64)
    tol = 1e-9 * max(1.0, float(w.sum()))
    for _ in range(max_moves):
        if time.perf_counter() - t0 > time_limit:
            break
        alone = cnt == 1
        open_entry = is_open[cols_all]
        # the unique open site of each row covered once
        u = np.full(n, -1, dtype=np.int64)
        sel = open_entry & alone[rows_all]
        u[rows_all[sel]] = cols_all[sel]
        loss = np.bincount(u[alone], weights=w[alone], minlength=m)
        # closing a site that is the only cover of a must row is forbidden
        locked = frozen.copy()
        locked[u[alone & must]] = True
        uncovered = cnt == 0
        gain = CT @ np.where(uncovered, w, 0.0)
        closable = is_open & ~locked
        openable = ~is_open & can_open
        if not closable.any() or not openable.any():
            break
        # pairs without a shared lonely row: best gain minus smallest loss
        k0 = int(np.argmax(np.where(openable, gain, -np.inf)))
        j0 = int(np.argmin(np.where(closable, loss, np.inf)))
        best, move = gain[k0] - loss[j0], (j0, k0)
        # pairs sharing rows covered once: exact delta via sparse E
        e_sel = alone[rows_all] & ~open_entry
        if e_sel.any():
            E = sp.coo_matrix(
                (w[rows_all[e_sel]], (u[rows_all[e_sel]], cols_all[e_sel])), shape=(m, m)
            ).tocsr()
            E.sum_duplicates()
            Ec = E.tocoo()
            ok = closable[Ec.row] & openable[Ec.col]
            if ok.any():
                delta = gain[Ec.col[ok]] - loss[Ec.row[ok]] + Ec.data[ok]
                b = int(np.argmax(delta))
                if delta[b] > best:
                    best, move = float(delta[b]), (int(Ec.row[ok][b]), int(Ec.col[ok][b]))
        if best <= tol:
            break
        j, k = move
        is_open[j], is_open[k] = False, True
        cnt[CT.indices[CT.indptr[j]:CT.indptr[j + 1]]] -= 1
        cnt[CT.indices[CT.indptr[k]:CT.indptr[k + 1]]] += 1
    return np.flatnonzero(is_open & ~frozen)


def median_cost(lists: sp.csr_matrix, weights: np.ndarray, is_open: np.ndarray, far: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance to the nearest open site of each row using its sorted list.

    Returns ``(d1, n1)``: the distance (``far[i]`` if no listed site is open)
    and the site index (``-1`` then).
    """
    n = lists.shape[0]
    rows = np.repeat(np.arange(n), np.diff(lists.indptr))
    hit = is_open[lists.indices]
    first = np.full(n, -1, dtype=np.int64)
    pos = np.flatnonzero(hit)
    # entries are ordered by distance inside each row: first hit per row is nearest
    r = rows[pos]
    keep = np.ones(len(pos), dtype=bool)
    keep[1:] = r[1:] != r[:-1]
    first[r[keep]] = pos[keep]
    d1 = np.where(first >= 0, lists.data[np.maximum(first, 0)], far)
    n1 = np.where(first >= 0, lists.indices[np.maximum(first, 0)], -1)
    return d1, n1


def greedy_median(lists: sp.csr_matrix, weights: np.ndarray, far: np.ndarray, p: int,
                  fixed: np.ndarray | None = None, allowed: np.ndarray | None = None) -> np.ndarray:
    """Greedy p-median on sorted nearest-site lists: open the site saving the most.

    A row whose listed sites are all closed is charged ``far[i]`` (at least the
    distance beyond its list). ``fixed`` sites start open; returns new sites.
    """
    n, m = lists.shape
    w = np.asarray(weights, float)
    rows = np.repeat(np.arange(n), np.diff(lists.indptr))
    cols = lists.indices.astype(np.int64)
    dist = lists.data
    is_open = np.zeros(m, dtype=bool)
    if fixed is not None and len(fixed):
        is_open[np.asarray(fixed, np.int64)] = True
    blocked = is_open.copy()
    if allowed is not None:
        blocked |= ~np.asarray(allowed, bool)
    d1, _ = median_cost(lists, w, is_open, far)
    chosen: list[int] = []
    for _ in range(p):
        save = np.bincount(cols, weights=w[rows] * np.maximum(d1[rows] - dist, 0.0), minlength=m)
        save[blocked] = -1.0
        j = int(np.argmax(save))
        if save[j] < 0:
            break
        chosen.append(j)
        blocked[j] = True
        is_open[j] = True
        hit = cols == j
        d1[rows[hit]] = np.minimum(d1[rows[hit]], dist[hit])
    return np.array(sorted(chosen), dtype=np.int64)


def swap_median(lists: sp.csr_matrix, weights: np.ndarray, far: np.ndarray, chosen: np.ndarray,
                fixed: np.ndarray | None = None, allowed: np.ndarray | None = None,
                time_limit: float = 5.0, max_moves: int = 10_000) -> np.ndarray:
    """Best-improvement interchange (fast interchange à la Whitaker) on sorted lists.

    With ``d1``/``d2`` the distances to the nearest and second-nearest open
    sites and ``n1`` the nearest: ``gain(k) = Σ w (d1 − d_ik)⁺``, ``loss(j) = Σ_{n1=j}
    w (d2 − d1)`` and the swap (close ``j``, open ``k``) saves ``gain(k) − loss(j) +
    E[j, k]`` with ``E[j, k] = Σ_{n1(i)=j, d_ik<d2_i} w_i (d2_i − max(d_ik, d1_i))``,
    a sparse matrix over list entries. Exact when every row's two nearest open
    sites are in its list; rows without them use ``far`` (a lower bound).
    """
    t0 = time.perf_counter()
    n, m = lists.shape
    w = np.asarray(weights, float)
    rows = np.repeat(np.arange(n), np.diff(lists.indptr))
    cols = lists.indices.astype(np.int64)
    dist = lists.data
    is_open = np.zeros(m, dtype=bool)
    is_open[np.asarray(chosen, np.int64)] = True
    frozen = np.zeros(m, dtype=bool)
    if fixed is not None and len(fixed):
        frozen[np.asarray(fixed, np.int64)] = True
        is_open |= frozen
    can_open = np.ones(m, dtype=bool) if allowed is None else np.asarray(allowed, bool)
    for _ in range(max_moves):
        if time.perf_counter() - t0 > time_limit:
            break
        d1, n1 = median_cost(lists, w, is_open, far)
        second = is_open.copy()
        # second nearest: first open entry after the nearest one
        hit = is_open[cols] & (cols != n1[rows])
        d2 = np.full(n, np.inf)
        pos = np.flatnonzero(hit)
        r = rows[pos]
        keep = np.ones(len(pos), dtype=bool)
        keep[1:] = r[1:] != r[:-1]
        d2[r[keep]] = dist[pos[keep]]
        d2 = np.where(np.isfinite(d2), d2, np.maximum(far, d1))
        del second
        gain = np.bincount(cols, weights=w[rows] * np.maximum(d1[rows] - dist, 0.0), minlength=m)
        has1 = n1 >= 0
        loss = np.bincount(n1[has1], weights=w[has1] * (d2[has1] - d1[has1]), minlength=m)
        closable = is_open & ~frozen
        openable = ~is_open & can_open
        if not closable.any() or not openable.any():
            break
        k0 = int(np.argmax(np.where(openable, gain, -np.inf)))
        j0 = int(np.argmin(np.where(closable, loss, np.inf)))
        best, move = gain[k0] - loss[j0], (j0, k0)
        e_sel = (n1[rows] >= 0) & (dist < d2[rows]) & openable[cols]
        if e_sel.any():
            rr = rows[e_sel]
            val = w[rr] * (d2[rr] - np.maximum(dist[e_sel], d1[rr]))
            E = sp.coo_matrix((val, (n1[rr], cols[e_sel])), shape=(m, m)).tocsr().tocoo()
            ok = closable[E.row]
            if ok.any():
                delta = gain[E.col[ok]] - loss[E.row[ok]] + E.data[ok]
                b = int(np.argmax(delta))
                if delta[b] > best:
                    best, move = float(delta[b]), (int(E.row[ok][b]), int(E.col[ok][b]))
        if best <= 1e-9 * max(1.0, float((w * d1).sum())):
            break
        j, k = move
        is_open[j], is_open[k] = False, True
    return np.flatnonzero(is_open & ~frozen)
